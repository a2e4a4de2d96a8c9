// The kernels for avx2 (flags in binding.gyp). See kernels.inc.
#define CHARLAB_ISA_AVX2
#define CHARLAB_ISA_NAME "avx2"
#define CHARLAB_TABLE kTableAvx2
#include "kernels.inc"
