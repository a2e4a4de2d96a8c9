/**
 * Row-wise kernels around the matrix products of the cells: the one-hot input (a gather
 * of weight rows, and its gradient, a scatter-add), bias gradients (column sums), softmax with
 * cross-entropy, and the optimizer: Adam and the global gradient norm (for clip_grad_norm_).
 *
 * Layout as in gemm.ts: row-major f32, row strides in floats (multiples of 4), pointers in bytes,
 * padding columns zero. ids are i32 arrays.
 */
import { expv, hmax, hsum } from './vmath';

/** out[r, :] = table[ids[r], :] (+ bias) for r < n: the one-hot product x·W_ihᵀ, W_ihᵀ as rows. */
export function gatherRows(n: i32, ids: usize, table: usize, ld: i32, bias: usize, out: usize, scales: usize): void {
  const rb = <usize>ld << 2;
  for (let r = 0; r < n; r++) {
    const src = table + <usize>load<i32>(ids + (<usize>r << 2)) * rb;
    const dst = out + <usize>r * rb;
    const s = f32x4.splat(scales ? load<f32>(scales + (<usize>r << 2)) : 1);
    for (let j: usize = 0; j < rb; j += 16) {
      const v = scales ? f32x4.mul(v128.load(src + j), s) : v128.load(src + j);
      v128.store(dst + j, bias ? f32x4.add(v, v128.load(bias + j)) : v);
    }
  }
}

/**
 * table[ids[r], :] += src[r, :]·scales[r] (scales 0: none) for r < n, in the order r = 0, 1, ...:
 * the gradient of gatherRows.
 */
export function scatterAddRows(n: i32, ids: usize, src: usize, ld: i32, table: usize, scales: usize): void {
  const rb = <usize>ld << 2;
  for (let r = 0; r < n; r++) {
    const dst = table + <usize>load<i32>(ids + (<usize>r << 2)) * rb;
    const s = src + <usize>r * rb;
    const f = f32x4.splat(scales ? load<f32>(scales + (<usize>r << 2)) : 1);
    if (scales) for (let j: usize = 0; j < rb; j += 16) v128.store(dst + j, f32x4.add(v128.load(dst + j), f32x4.mul(v128.load(s + j), f)));
    else for (let j: usize = 0; j < rb; j += 16) v128.store(dst + j, f32x4.add(v128.load(dst + j), v128.load(s + j)));
  }
}

/**
 * out[:] (+)= Σ_{r<M} A[r, :] over N columns: a bias gradient. Strips of 16 columns (one cache
 * line of each row, 4 accumulators), every row in order, so each line of A is read once.
 */
export function sumRows(M: i32, N: i32, A: usize, lda: i32, out: usize, accumulate: i32): void {
  const rb = <usize>lda << 2;
  const nb = <usize>((N + 3) & ~3) << 2;
  const aEnd = A + <usize>M * rb;
  let j: usize = 0;
  for (; j + 64 <= nb; j += 64) {
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    for (let a = A + j; a < aEnd; a += rb) {
      s0 = f32x4.add(s0, v128.load(a));
      s1 = f32x4.add(s1, v128.load(a, 16));
      s2 = f32x4.add(s2, v128.load(a, 32));
      s3 = f32x4.add(s3, v128.load(a, 48));
    }
    if (accumulate) {
      s0 = f32x4.add(s0, v128.load(out + j));
      s1 = f32x4.add(s1, v128.load(out + j, 16));
      s2 = f32x4.add(s2, v128.load(out + j, 32));
      s3 = f32x4.add(s3, v128.load(out + j, 48));
    }
    v128.store(out + j, s0);
    v128.store(out + j, s1, 16);
    v128.store(out + j, s2, 32);
    v128.store(out + j, s3, 48);
  }
  for (; j < nb; j += 16) {
    let s = f32x4.splat(0);
    for (let a = A + j; a < aEnd; a += rb) s = f32x4.add(s, v128.load(a));
    if (accumulate) s = f32x4.add(s, v128.load(out + j));
    v128.store(out + j, s);
  }
}

/**
 * Softmax cross-entropy of M rows of V logits (stride ld) against targets[r], in place: each row
 * becomes scale·(p - onehot(target)), the gradient of scale·Σ_r -ln p_r[target_r]. Returns
 * Σ_r -ln p_r[target_r] in nats (f64; summed over the rows in order). Padding lanes end as 0.
 */
export function softmaxXent(M: i32, V: i32, Y: usize, ld: i32, targets: usize, scale: f32): f64 {
  const rb = <usize>ld << 2;
  const full: usize = <usize>(V & ~3) << 2;
  const vb: usize = <usize>((V + 3) & ~3) << 2;
  const hasTail = (V & 3) != 0;
  const negInf = f32x4.splat(-Infinity);
  const base = V & ~3;
  const mask = i32x4.lt_s(i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(base)), i32x4.splat(V));
  let loss: f64 = 0;
  for (let r = 0; r < M; r++) {
    const y = Y + <usize>r * rb;
    let mx = negInf;
    for (let k: usize = 0; k < full; k += 16) mx = f32x4.max(mx, v128.load(y + k));
    if (hasTail) mx = f32x4.max(mx, v128.bitselect(v128.load(y + full), negInf, mask));
    const m = hmax(mx);
    const tgt = y + (<usize>load<i32>(targets + (<usize>r << 2)) << 2);
    const d = <f64>(load<f32>(tgt) - m); // y_target - max
    const mv = f32x4.splat(m);
    let sum = f32x4.splat(0);
    for (let k: usize = 0; k < full; k += 16) {
      const e = expv(f32x4.sub(v128.load(y + k), mv));
      v128.store(y + k, e);
      sum = f32x4.add(sum, e);
    }
    if (hasTail) {
      const e = v128.and(expv(f32x4.sub(v128.load(y + full), mv)), mask);
      v128.store(y + full, e);
      sum = f32x4.add(sum, e);
    }
    const s = hsum(sum);
    loss += Math.log(<f64>s) - d;
    const k = f32x4.splat(scale / s);
    for (let j: usize = 0; j < vb; j += 16) v128.store(y + j, f32x4.mul(v128.load(y + j), k));
    store<f32>(tgt, load<f32>(tgt) - scale);
  }
  return loss;
}

/** Σ x² over n floats (n a multiple of 4), in f32x4 blocks of 1024 floats added up in f64. */
export function sumSquares(X: usize, n: i32): f64 {
  const end = X + (<usize>n << 2);
  let total: f64 = 0;
  for (let p = X; p < end; ) {
    const stop = min(end, p + 4096);
    let s0 = f32x4.splat(0);
    let s1 = s0;
    for (; p + 32 <= stop; p += 32) {
      const a = v128.load(p);
      const b = v128.load(p, 16);
      s0 = f32x4.add(s0, f32x4.mul(a, a));
      s1 = f32x4.add(s1, f32x4.mul(b, b));
    }
    for (; p < stop; p += 16) {
      const a = v128.load(p);
      s0 = f32x4.add(s0, f32x4.mul(a, a));
    }
    const s = f32x4.add(s0, s1);
    total += <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) +
      <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  }
  return total;
}

/**
 * Adam over n floats (a multiple of 4), torch.optim.Adam's update with the gradient scaled first
 * (gscale: the clip_grad_norm_ factor, min(1, maxNorm / (‖g‖ + 1e-6))):
 *   g ← gscale·g;  m ← m + (1-β1)·(g - m);  v ← β2·v + (1-β2)·g²
 *   w ← w - stepSize·m / (√v / bc2sqrt + eps),  stepSize = lr / (1 - β1^t), bc2sqrt = √(1 - β2^t)
 * (the host computes stepSize and bc2sqrt for step t).
 */
export function adam(W: usize, Gr: usize, Mm: usize, Vv: usize, n: i32, stepSize: f32, b1: f32, b2: f32,
  eps: f32, bc2sqrt: f32, gscale: f32, decay: f32): void {
  const dk = f32x4.splat(decay);
  const nb = <usize>n << 2;
  const gs = f32x4.splat(gscale);
  const a1 = f32x4.splat(1 - b1);
  const vb2 = f32x4.splat(b2);
  const a2 = f32x4.splat(1 - b2);
  const e = f32x4.splat(eps);
  const bc = f32x4.splat(bc2sqrt);
  const st = f32x4.splat(stepSize);
  for (let k: usize = 0; k < nb; k += 16) {
    const g = f32x4.mul(v128.load(Gr + k), gs);
    const m0 = v128.load(Mm + k);
    const m = f32x4.add(m0, f32x4.mul(a1, f32x4.sub(g, m0)));
    const v = f32x4.add(f32x4.mul(vb2, v128.load(Vv + k)), f32x4.mul(a2, f32x4.mul(g, g)));
    v128.store(Mm + k, m);
    v128.store(Vv + k, v);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), bc), e);
    v128.store(W + k, f32x4.sub(f32x4.mul(v128.load(W + k), dk), f32x4.mul(st, f32x4.div(m, denom))));
  }
}

/**
 * dst[c, r] = src[r, c] for r < rows, c < cols (strides in floats): 4×4 blocks through registers
 * (a transpose by shuffles), taken in tiles of 16 rows so that each row of dst receives 64
 * contiguous bytes (a whole cache line) per tile; the edges one float at a time. dst's padding
 * columns are left alone.
 */
export function transpose(rows: i32, cols: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  const sb = <usize>lds << 2;
  const db = <usize>ldd << 2;
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  for (let r0 = 0; r0 < r4; r0 += 16) {
    const r1 = min(r4, r0 + 16);
    for (let c = 0; c < c4; c += 4) {
      for (let r = r0; r < r1; r += 4) {
        const s = src + <usize>r * sb + (<usize>c << 2);
        const a = v128.load(s);
        const b = v128.load(s + sb);
        const e = v128.load(s + 2 * sb);
        const f = v128.load(s + 3 * sb);
        const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
        const t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
        const t2 = v128.shuffle<f32>(e, f, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
        const d = dst + <usize>c * db + (<usize>r << 2);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(d + db, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(d + 2 * db, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(d + 3 * db, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    const cStart = r < r4 ? c4 : 0;
    for (let c = cStart; c < cols; c++) {
      store<f32>(dst + <usize>c * db + (<usize>r << 2), load<f32>(src + <usize>r * sb + (<usize>c << 2)));
    }
  }
}

/**
 * seedrandom's generator, exactly (node_modules/seedrandom/seedrandom.js): ARC4 over the state S[256],
 * i, j (int32 at `state`), and its double() (48 bits topped up to 52, every operation exact in f64), so
 * the masks are the reference's bit for bit. dropoutMask: rows × cols floats of out (row stride ld) in
 * row-major order, each 0 if the next double is below p, else 1/(1 − p) rounded to f32.
 */
function arc4(state: usize, count: i32): f64 {
  let i = load<i32>(state + 1024);
  let j = load<i32>(state + 1028);
  let r: f64 = 0;
  while (count-- > 0) {
    i = (i + 1) & 255;
    const t = load<i32>(state + (<usize>i << 2));
    j = (j + t) & 255;
    const sj = load<i32>(state + (<usize>j << 2));
    store<i32>(state + (<usize>i << 2), sj);
    store<i32>(state + (<usize>j << 2), t);
    r = r * 256 + <f64>load<i32>(state + (<usize>((sj + t) & 255) << 2));
  }
  store<i32>(state + 1024, i);
  store<i32>(state + 1028, j);
  return r;
}

function arc4Double(state: usize): f64 {
  let n = arc4(state, 6);
  let d: f64 = 281474976710656.0; // 2^48
  let x: f64 = 0;
  while (n < 4503599627370496.0) { // 2^52
    n = (n + x) * 256;
    d *= 256;
    x = arc4(state, 1);
  }
  while (n >= 9007199254740992.0) { // 2^53
    n /= 2;
    d /= 2;
    x = <f64>(<u32>x >> 1);
  }
  return (n + x) / d;
}

export function dropoutMask(state: usize, out: usize, rows: i32, cols: i32, ld: i32, p: f64): void {
  const keep = <f32>(1.0 / (1.0 - p));
  for (let r = 0; r < rows; r++) {
    const o = out + ((<usize>r * <usize>ld) << 2);
    for (let c = 0; c < cols; c++) store<f32>(o + (<usize>c << 2), arc4Double(state) < p ? 0 : keep);
  }
}
