/**
 * The rest of the optimizer family beside rows.ts's Adam, over n floats (a multiple of 4), each
 * reading the gradient scaled by gscale first (the global-norm clipping factor, 1 when off), and
 * element-wise clipping by value; plus the sampling softmax. The equations are those of
 * src/optim/optimizers.ts and src/optim/adagrad.ts (the Float64 reference), in f32:
 *   clip:     g ← min(max(g, -c), c)
 *   adagrad:  m += g²;                    w −= lr·g / √(m + 1e-8)          (min-char-rnn's)
 *   rmsprop:  m = α·m + (1 − α)·g²;        w −= lr·g / (√m + 1e-8)         (char-rnn's)
 * Each (and Adam) first multiplies w by `decay`: decoupled weight decay, 1 − lr·λ (1: off, exact).
 */
import { expv, hmax, hsum } from './vmath';

/** g ← clamp(g, -c, c) over n floats. */
export function clipValues(Gr: usize, n: i32, c: f32): void {
  const nb = <usize>n << 2;
  const hi = f32x4.splat(c);
  const lo = f32x4.splat(-c);
  for (let k: usize = 0; k < nb; k += 16) v128.store(Gr + k, f32x4.min(hi, f32x4.max(lo, v128.load(Gr + k)))); // NaN stays NaN
}

/** Adagrad: g ← gscale·g; m += g²; w −= lr·g / √(m + eps). */
export function adagrad(W: usize, Gr: usize, Mm: usize, n: i32, lr: f32, eps: f32, gscale: f32, decay: f32): void {
  const nb = <usize>n << 2;
  const dk = f32x4.splat(decay);
  const gs = f32x4.splat(gscale);
  const l = f32x4.splat(lr);
  const e = f32x4.splat(eps);
  for (let k: usize = 0; k < nb; k += 16) {
    const g = f32x4.mul(v128.load(Gr + k), gs);
    const m = f32x4.add(v128.load(Mm + k), f32x4.mul(g, g));
    v128.store(Mm + k, m);
    v128.store(W + k, f32x4.sub(f32x4.mul(v128.load(W + k), dk), f32x4.div(f32x4.mul(l, g), f32x4.sqrt(f32x4.add(m, e)))));
  }
}

/** RMSprop: g ← gscale·g; m = α·m + (1 − α)·g²; w −= lr·g / (√m + eps). */
export function rmsprop(W: usize, Gr: usize, Mm: usize, n: i32, lr: f32, alpha: f32, eps: f32, gscale: f32, decay: f32): void {
  const nb = <usize>n << 2;
  const dk = f32x4.splat(decay);
  const gs = f32x4.splat(gscale);
  const a = f32x4.splat(alpha);
  const a1 = f32x4.splat(1 - alpha);
  const l = f32x4.splat(lr);
  const e = f32x4.splat(eps);
  for (let k: usize = 0; k < nb; k += 16) {
    const g = f32x4.mul(v128.load(Gr + k), gs);
    const m = f32x4.add(f32x4.mul(a, v128.load(Mm + k)), f32x4.mul(a1, f32x4.mul(g, g)));
    v128.store(Mm + k, m);
    v128.store(W + k, f32x4.sub(f32x4.mul(v128.load(W + k), dk), f32x4.div(f32x4.mul(l, g), f32x4.add(f32x4.sqrt(m), e))));
  }
}

/**
 * p = softmax(y·invT) in place over the V logits at Y (padding lanes end as 0), computed as the
 * reference does: exp((y − max y)·invT) / Σ. For sampling and scoring one stream.
 */
export function softmaxRow(V: i32, Y: usize, invT: f32): void {
  const full: usize = <usize>(V & ~3) << 2;
  const vb: usize = <usize>((V + 3) & ~3) << 2;
  const hasTail = (V & 3) != 0;
  const negInf = f32x4.splat(-Infinity);
  const mask = i32x4.lt_s(i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(V & ~3)), i32x4.splat(V));
  let mx = negInf;
  for (let k: usize = 0; k < full; k += 16) mx = f32x4.max(mx, v128.load(Y + k));
  if (hasTail) mx = f32x4.max(mx, v128.bitselect(v128.load(Y + full), negInf, mask));
  const mv = f32x4.splat(hmax(mx));
  const it = f32x4.splat(invT);
  let sum = f32x4.splat(0);
  for (let k: usize = 0; k < full; k += 16) {
    const e = expv(f32x4.mul(f32x4.sub(v128.load(Y + k), mv), it));
    v128.store(Y + k, e);
    sum = f32x4.add(sum, e);
  }
  if (hasTail) {
    const e = v128.and(expv(f32x4.mul(f32x4.sub(v128.load(Y + full), mv), it)), mask);
    v128.store(Y + full, e);
    sum = f32x4.add(sum, e);
  }
  const k1 = f32x4.splat(1 / hsum(sum));
  for (let j: usize = 0; j < vb; j += 16) v128.store(Y + j, f32x4.mul(v128.load(Y + j), k1));
}
