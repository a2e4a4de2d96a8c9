// The kernels for neon (flags in binding.gyp). See kernels.inc.
#define CHARLAB_ISA_NEON
#define CHARLAB_ISA_NAME "neon"
#define CHARLAB_TABLE kTableNeon
#include "kernels.inc"
