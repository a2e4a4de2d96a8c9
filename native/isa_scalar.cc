// The kernels for scalar (flags in binding.gyp). See kernels.inc.
#define CHARLAB_ISA_SCALAR
#define CHARLAB_ISA_NAME "scalar"
#define CHARLAB_TABLE kTableScalar
#include "kernels.inc"
