/*
 * One vector type per instruction set, with the few operations the kernels use, so that each
 * kernel is written once (kernels.inc) and compiled once per ISA (isa_*.cc):
 *
 *   CHARLAB_ISA_AVX512   __m512, 16 lanes, fused multiply-add     (isa_avx512.cc: -mavx512f -mfma)
 *   CHARLAB_ISA_AVX2     __m256,  8 lanes, fused multiply-add     (isa_avx2.cc:   -mavx2 -mfma)
 *   CHARLAB_ISA_SSE2     __m128,  4 lanes, multiply then add      (isa_sse2.cc:   x86-64 baseline)
 *   CHARLAB_ISA_NEON     float32x4_t, 4 lanes, fused multiply-add (isa_neon.cc:   arm64 baseline)
 *   CHARLAB_ISA_SCALAR   float, 1 lane                            (isa_scalar.cc: any other CPU)
 *
 * Everything here has internal linkage (static inline, in an unnamed namespace): a translation
 * unit built with -mavx512f must not hand the linker an inline function that another, baseline
 * translation unit could end up calling on a CPU without AVX-512.
 *
 * vmin(a, b), vmax(a, b) return b when either is NaN (x86's rule): callers put the data second, so a
 * NaN gradient survives clipping and a diverged run stays visible.
 *
 * Loads and stores are unaligned ones (no cost on aligned data, which the host provides: 64-byte
 * aligned matrices with row strides of 16 floats), so a misaligned pointer is slow, never a crash.
 *
 * fma(a, b, c) = a·b + c, rounded once where the ISA fuses it (AVX-512, AVX2, NEON) and twice
 * (multiply, then add) on SSE2 and scalar. Results are exact per ISA (the same bits run after run,
 * whatever the thread count); across ISAs they differ in the last bits (the width of the vectors
 * sets the order of horizontal sums, SSE2 rounds twice), within the tolerances of the tests.
 */
#pragma once
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(CHARLAB_ISA_AVX512) || defined(CHARLAB_ISA_AVX2) || defined(CHARLAB_ISA_SSE2)
#include <immintrin.h>
#elif defined(CHARLAB_ISA_NEON)
#include <arm_neon.h>
#endif

namespace {

#if defined(CHARLAB_ISA_AVX512)

constexpr int W = 16;
struct VF { __m512 v; };
struct VI { __m512i v; };
static inline VF vload(const float* p) { return {_mm512_loadu_ps(p)}; }
static inline void vstore(float* p, VF a) { _mm512_storeu_ps(p, a.v); }
static inline VF vset1(float x) { return {_mm512_set1_ps(x)}; }
static inline VF vzero() { return {_mm512_setzero_ps()}; }
static inline VF operator+(VF a, VF b) { return {_mm512_add_ps(a.v, b.v)}; }
static inline VF operator-(VF a, VF b) { return {_mm512_sub_ps(a.v, b.v)}; }
static inline VF operator*(VF a, VF b) { return {_mm512_mul_ps(a.v, b.v)}; }
static inline VF operator/(VF a, VF b) { return {_mm512_div_ps(a.v, b.v)}; }
static inline VF vfma(VF a, VF b, VF c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
static inline VF vmin(VF a, VF b) { return {_mm512_min_ps(a.v, b.v)}; }
static inline VF vmax(VF a, VF b) { return {_mm512_max_ps(a.v, b.v)}; }
static inline VF vsqrt(VF a) { return {_mm512_sqrt_ps(a.v)}; }
static inline VF vabs(VF a) { return {_mm512_abs_ps(a.v)}; }
/** 1/√x to about 2^-14 (refined by vrsqrt below). */
static inline VF vrsqrt_estimate(VF a) { return {_mm512_rsqrt14_ps(a.v)}; }
/** Round to the nearest integer (ties to even), as a float. */
static inline VF vround(VF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
/** 2^n for integral n in [-126, 127] held as floats. */
static inline VF vpow2i(VF n) {
  __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n.v), _mm512_set1_epi32(127));
  return {_mm512_castsi512_ps(_mm512_slli_epi32(e, 23))};
}
/** Lanes where a < b take x, the others y. */
static inline VF vselect_lt(VF a, VF b, VF x, VF y) { return {_mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ), y.v, x.v)}; }
/** Lanes where a >= b keep x, the others are 0. */
static inline VF vkeep_ge(VF a, VF b, VF x) { return {_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a.v, b.v, _CMP_GE_OQ), x.v)}; }
static inline float vsum(VF a) { return _mm512_reduce_add_ps(a.v); }
/** Whether every lane is +0 or −0. */
static inline bool vall_zero(VF a) { return _mm512_cmpneq_ps_mask(a.v, _mm512_setzero_ps()) == 0; }
static inline float vhmax(VF a) { return _mm512_reduce_max_ps(a.v); }
/** d (W rows, ld apart) ← the transpose of the W × W block at s (rows ls apart). */
static inline void vtranspose(const float* s, long ls, float* d, long ld) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(s + i * ls);
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    const __m512 a = t[4 * i], b = t[4 * i + 1], c = t[4 * i + 2], e = t[4 * i + 3];
    r[4 * i] = _mm512_shuffle_ps(a, c, 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(a, c, 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(b, e, 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(b, e, 0xEE);
  }
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 4; j++) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0xDD);
    }
  for (int j = 0; j < 8; j++) {
    _mm512_storeu_ps(d + j * ld, _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88));
    _mm512_storeu_ps(d + (8 + j) * ld, _mm512_shuffle_f32x4(t[j], t[8 + j], 0xDD));
  }
}

#elif defined(CHARLAB_ISA_AVX2)

constexpr int W = 8;
struct VF { __m256 v; };
static inline VF vload(const float* p) { return {_mm256_loadu_ps(p)}; }
static inline void vstore(float* p, VF a) { _mm256_storeu_ps(p, a.v); }
static inline VF vset1(float x) { return {_mm256_set1_ps(x)}; }
static inline VF vzero() { return {_mm256_setzero_ps()}; }
static inline VF operator+(VF a, VF b) { return {_mm256_add_ps(a.v, b.v)}; }
static inline VF operator-(VF a, VF b) { return {_mm256_sub_ps(a.v, b.v)}; }
static inline VF operator*(VF a, VF b) { return {_mm256_mul_ps(a.v, b.v)}; }
static inline VF operator/(VF a, VF b) { return {_mm256_div_ps(a.v, b.v)}; }
static inline VF vfma(VF a, VF b, VF c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
static inline VF vmin(VF a, VF b) { return {_mm256_min_ps(a.v, b.v)}; }
static inline VF vmax(VF a, VF b) { return {_mm256_max_ps(a.v, b.v)}; }
static inline VF vsqrt(VF a) { return {_mm256_sqrt_ps(a.v)}; }
static inline VF vabs(VF a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
static inline VF vrsqrt_estimate(VF a) { return {_mm256_rsqrt_ps(a.v)}; }
static inline VF vround(VF a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
static inline VF vpow2i(VF n) {
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127));
  return {_mm256_castsi256_ps(_mm256_slli_epi32(e, 23))};
}
static inline VF vselect_lt(VF a, VF b, VF x, VF y) { return {_mm256_blendv_ps(y.v, x.v, _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ))}; }
static inline VF vkeep_ge(VF a, VF b, VF x) { return {_mm256_and_ps(_mm256_cmp_ps(a.v, b.v, _CMP_GE_OQ), x.v)}; }
static inline bool vall_zero(VF a) { return _mm256_movemask_ps(_mm256_cmp_ps(a.v, _mm256_setzero_ps(), _CMP_NEQ_UQ)) == 0; }
static inline float vsum(VF a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
static inline float vhmax(VF a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
static inline void vtranspose(const float* s, long ls, float* d, long ld) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(s + i * ls);
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; i++) {
    const __m256 a = t[4 * i], b = t[4 * i + 1], c = t[4 * i + 2], e = t[4 * i + 3];
    r[4 * i] = _mm256_shuffle_ps(a, c, 0x44);
    r[4 * i + 1] = _mm256_shuffle_ps(a, c, 0xEE);
    r[4 * i + 2] = _mm256_shuffle_ps(b, e, 0x44);
    r[4 * i + 3] = _mm256_shuffle_ps(b, e, 0xEE);
  }
  for (int j = 0; j < 4; j++) {
    _mm256_storeu_ps(d + j * ld, _mm256_permute2f128_ps(r[j], r[4 + j], 0x20));
    _mm256_storeu_ps(d + (4 + j) * ld, _mm256_permute2f128_ps(r[j], r[4 + j], 0x31));
  }
}

#elif defined(CHARLAB_ISA_SSE2)

constexpr int W = 4;
struct VF { __m128 v; };
static inline VF vload(const float* p) { return {_mm_loadu_ps(p)}; }
static inline void vstore(float* p, VF a) { _mm_storeu_ps(p, a.v); }
static inline VF vset1(float x) { return {_mm_set1_ps(x)}; }
static inline VF vzero() { return {_mm_setzero_ps()}; }
static inline VF operator+(VF a, VF b) { return {_mm_add_ps(a.v, b.v)}; }
static inline VF operator-(VF a, VF b) { return {_mm_sub_ps(a.v, b.v)}; }
static inline VF operator*(VF a, VF b) { return {_mm_mul_ps(a.v, b.v)}; }
static inline VF operator/(VF a, VF b) { return {_mm_div_ps(a.v, b.v)}; }
static inline VF vfma(VF a, VF b, VF c) { return {_mm_add_ps(_mm_mul_ps(a.v, b.v), c.v)}; }
static inline VF vmin(VF a, VF b) { return {_mm_min_ps(a.v, b.v)}; }
static inline VF vmax(VF a, VF b) { return {_mm_max_ps(a.v, b.v)}; }
static inline VF vsqrt(VF a) { return {_mm_sqrt_ps(a.v)}; }
static inline VF vabs(VF a) { return {_mm_andnot_ps(_mm_set1_ps(-0.0f), a.v)}; }
static inline VF vrsqrt_estimate(VF a) { return {_mm_rsqrt_ps(a.v)}; }
/** cvtps rounds to nearest even under the default MXCSR (valid for |x| < 2^31, all the kernels need). */
static inline VF vround(VF a) { return {_mm_cvtepi32_ps(_mm_cvtps_epi32(a.v))}; }
static inline VF vpow2i(VF n) {
  __m128i e = _mm_add_epi32(_mm_cvtps_epi32(n.v), _mm_set1_epi32(127));
  return {_mm_castsi128_ps(_mm_slli_epi32(e, 23))};
}
static inline VF vselect_lt(VF a, VF b, VF x, VF y) {
  __m128 m = _mm_cmplt_ps(a.v, b.v);
  return {_mm_or_ps(_mm_and_ps(m, x.v), _mm_andnot_ps(m, y.v))};
}
static inline VF vkeep_ge(VF a, VF b, VF x) { return {_mm_and_ps(_mm_cmpge_ps(a.v, b.v), x.v)}; }
static inline bool vall_zero(VF a) { return _mm_movemask_ps(_mm_cmpneq_ps(a.v, _mm_setzero_ps())) == 0; }
static inline float vsum(VF a) {
  __m128 s = _mm_add_ps(a.v, _mm_movehl_ps(a.v, a.v));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
static inline float vhmax(VF a) {
  __m128 s = _mm_max_ps(a.v, _mm_movehl_ps(a.v, a.v));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
static inline void vtranspose(const float* s, long ls, float* d, long ld) {
  __m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + ls), r2 = _mm_loadu_ps(s + 2 * ls), r3 = _mm_loadu_ps(s + 3 * ls);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(d, r0);
  _mm_storeu_ps(d + ld, r1);
  _mm_storeu_ps(d + 2 * ld, r2);
  _mm_storeu_ps(d + 3 * ld, r3);
}

#elif defined(CHARLAB_ISA_NEON)

constexpr int W = 4;
struct VF { float32x4_t v; };
static inline VF vload(const float* p) { return {vld1q_f32(p)}; }
static inline void vstore(float* p, VF a) { vst1q_f32(p, a.v); }
static inline VF vset1(float x) { return {vdupq_n_f32(x)}; }
static inline VF vzero() { return {vdupq_n_f32(0.0f)}; }
static inline VF operator+(VF a, VF b) { return {vaddq_f32(a.v, b.v)}; }
static inline VF operator-(VF a, VF b) { return {vsubq_f32(a.v, b.v)}; }
static inline VF operator*(VF a, VF b) { return {vmulq_f32(a.v, b.v)}; }
static inline VF operator/(VF a, VF b) { return {vdivq_f32(a.v, b.v)}; }
static inline VF vfma(VF a, VF b, VF c) { return {vfmaq_f32(c.v, a.v, b.v)}; }
static inline VF vmin(VF a, VF b) { return {vminq_f32(a.v, b.v)}; }  // NaN in, NaN out (as x86 with x second)
static inline VF vmax(VF a, VF b) { return {vmaxq_f32(a.v, b.v)}; }
static inline VF vsqrt(VF a) { return {vsqrtq_f32(a.v)}; }
static inline VF vabs(VF a) { return {vabsq_f32(a.v)}; }
static inline VF vrsqrt_estimate(VF a) {
  float32x4_t y = vrsqrteq_f32(a.v);  // 8 bits; one Newton step here, one in vrsqrt
  return {vmulq_f32(y, vrsqrtsq_f32(vmulq_f32(a.v, y), y))};
}
static inline VF vround(VF a) { return {vrndnq_f32(a.v)}; }
static inline VF vpow2i(VF n) {
  int32x4_t e = vaddq_s32(vcvtnq_s32_f32(n.v), vdupq_n_s32(127));
  return {vreinterpretq_f32_s32(vshlq_n_s32(e, 23))};
}
static inline VF vselect_lt(VF a, VF b, VF x, VF y) { return {vbslq_f32(vcltq_f32(a.v, b.v), x.v, y.v)}; }
static inline VF vkeep_ge(VF a, VF b, VF x) {
  return {vreinterpretq_f32_u32(vandq_u32(vcgeq_f32(a.v, b.v), vreinterpretq_u32_f32(x.v)))};
}
static inline float vsum(VF a) { return vaddvq_f32(a.v); }
static inline bool vall_zero(VF a) { return vmaxvq_u32(vmvnq_u32(vceqzq_f32(a.v))) == 0; }
static inline float vhmax(VF a) { return vmaxvq_f32(a.v); }
static inline void vtranspose(const float* s, long ls, float* d, long ld) {
  const float32x4x2_t a = vtrnq_f32(vld1q_f32(s), vld1q_f32(s + ls));
  const float32x4x2_t b = vtrnq_f32(vld1q_f32(s + 2 * ls), vld1q_f32(s + 3 * ls));
  vst1q_f32(d, vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0])));
  vst1q_f32(d + ld, vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1])));
  vst1q_f32(d + 2 * ld, vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0])));
  vst1q_f32(d + 3 * ld, vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1])));
}

#elif defined(CHARLAB_ISA_SCALAR)

constexpr int W = 1;
struct VF { float v; };
static inline VF vload(const float* p) { return {*p}; }
static inline void vstore(float* p, VF a) { *p = a.v; }
static inline VF vset1(float x) { return {x}; }
static inline VF vzero() { return {0.0f}; }
static inline VF operator+(VF a, VF b) { return {a.v + b.v}; }
static inline VF operator-(VF a, VF b) { return {a.v - b.v}; }
static inline VF operator*(VF a, VF b) { return {a.v * b.v}; }
static inline VF operator/(VF a, VF b) { return {a.v / b.v}; }
static inline VF vfma(VF a, VF b, VF c) {
  volatile float p = a.v * b.v;  // two roundings, as on SSE2, whatever the compiler's contraction
  return {p + c.v};
}
static inline VF vmin(VF a, VF b) { return {a.v < b.v ? a.v : b.v}; }  // x86's: the second operand if either is NaN
static inline VF vmax(VF a, VF b) { return {a.v > b.v ? a.v : b.v}; }
static inline VF vsqrt(VF a) { return {sqrtf(a.v)}; }
static inline VF vabs(VF a) { return {a.v < 0 ? -a.v : a.v}; }
static inline VF vrsqrt_estimate(VF a) { return {1.0f / sqrtf(a.v)}; }
static inline VF vround(VF a) {
  float r = (float)(int32_t)(a.v + (a.v >= 0 ? 0.5f : -0.5f));
  if (r - a.v == 0.5f || a.v - r == 0.5f) r = 2.0f * (float)(int32_t)(r * 0.5f);  // ties to even
  return {r};
}
static inline VF vpow2i(VF n) {
  int32_t e = ((int32_t)n.v + 127) << 23;
  float f;
  memcpy(&f, &e, 4);
  return {f};
}
static inline VF vselect_lt(VF a, VF b, VF x, VF y) { return a.v < b.v ? x : y; }
static inline VF vkeep_ge(VF a, VF b, VF x) { return {a.v >= b.v ? x.v : 0.0f}; }
static inline float vsum(VF a) { return a.v; }
static inline bool vall_zero(VF a) { return a.v == 0.0f; }
static inline float vhmax(VF a) { return a.v; }
static inline void vtranspose(const float* s, long, float* d, long) { *d = *s; }

#else
#error "define one CHARLAB_ISA_* before including simd.h"
#endif

static inline VF operator-(VF a) { return vzero() - a; }

/** 1/√x for x > 0: the ISA's estimate and one Newton step, y·(1.5 − ½·x·y²): relative error ~1e-7. */
static inline VF vrsqrt(VF x) {
  const VF y = vrsqrt_estimate(x);
  return y * vfma(vset1(-0.5f) * x, y * y, vset1(1.5f));
}

}  // namespace
