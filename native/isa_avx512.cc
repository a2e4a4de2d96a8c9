// The kernels for avx512 (flags in binding.gyp). See kernels.inc.
#define CHARLAB_ISA_AVX512
#define CHARLAB_ISA_NAME "avx512"
#define CHARLAB_TABLE kTableAvx512
#include "kernels.inc"
