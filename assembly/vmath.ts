/**
 * Vector (f32x4) transcendental functions for the kernels. Pure WebAssembly arithmetic, no
 * imports, no table look-ups: the same inputs give the same bits on every run and every engine
 * that implements the SIMD proposal (IEEE-754 single precision, no fused multiply-add).
 */

/**
 * e^x for x <= 0 (the softmax argument y - max), in each lane. Cephes' expf: x = n·ln2 + r with
 * |r| <= ln2/2 (ln2 split in two parts so n·ln2 is exact), a degree-7 polynomial for e^r,
 * then 2^n built in the exponent bits. Lanes below -87 (and -Infinity) give exactly 0, so the
 * padded lanes of a softmax row contribute nothing. Relative error about 1e-7.
 */
// @ts-ignore: decorator
@inline
export function expv(x: v128): v128 {
  const lo = f32x4.splat(-87.0);
  const keep = f32x4.ge(x, lo);
  const xc = f32x4.pmax(lo, x);
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.and(f32x4.mul(p, pow2n), keep);
}

/**
 * tanh in each lane: the odd/even rational approximation x·P(x²)/Q(x²) on [-7.9, 7.9] used by
 * Eigen's fast float tanh (input clamped outside, where tanh rounds to ±1 in f32), and x itself
 * for |x| < 4e-4. Absolute error about 1e-7 over the whole line.
 */
// @ts-ignore: decorator
@inline
export function tanhv(x: v128): v128 {
  const c = f32x4.splat(7.90531110763549805);
  const tiny = f32x4.lt(f32x4.abs(x), f32x4.splat(0.0004));
  const xc = f32x4.pmin(c, f32x4.pmax(f32x4.neg(c), x));
  const x2 = f32x4.mul(xc, xc);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(5.12229709037114e-8));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(1.48572235717979e-5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(6.37261928875436e-4));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(4.89352455891786e-3));
  p = f32x4.mul(p, xc);
  let q = f32x4.splat(1.19825839466702e-6);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(1.18534705686654e-4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(2.26843463243900e-3));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(4.89352518554385e-3));
  return v128.bitselect(x, f32x4.div(p, q), tiny);
}

/** [Σa0, Σa1, Σa2, Σa3]: the four horizontal sums, by a 4×4 transpose-and-add. */
// @ts-ignore: decorator
@inline
export function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const t0 = f32x4.add(f32x4.shuffle(a0, a1, 0, 4, 1, 5), f32x4.shuffle(a0, a1, 2, 6, 3, 7));
  const t1 = f32x4.add(f32x4.shuffle(a2, a3, 0, 4, 1, 5), f32x4.shuffle(a2, a3, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(t0, t1, 0, 1, 4, 5), f32x4.shuffle(t0, t1, 2, 3, 6, 7));
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline
export function hsum(a: v128): f32 {
  const t = f32x4.add(a, f32x4.shuffle(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

/** Largest of the four lanes. */
// @ts-ignore: decorator
@inline
export function hmax(a: v128): f32 {
  const t = f32x4.max(a, f32x4.shuffle(a, a, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(t, 0), f32x4.extract_lane(t, 1));
}
