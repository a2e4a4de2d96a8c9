// The kernels for sse2 (flags in binding.gyp). See kernels.inc.
#define CHARLAB_ISA_SSE2
#define CHARLAB_ISA_NAME "sse2"
#define CHARLAB_TABLE kTableSse2
#include "kernels.inc"
