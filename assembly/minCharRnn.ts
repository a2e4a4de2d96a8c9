/**
 * min-char-rnn's fused WebAssembly SIMD kernels (build/min-char-rnn.wasm): forward, backward,
 * element-wise clipping and Adagrad in one call per chunk, held-out scoring and sampling, in f32x4.
 * The wasm backend's named fast path for exactly min-char-rnn's configuration (cell rnn, one layer,
 * one stream, Adagrad, no norm clip: src/backend/minCharRnnWasm.ts); every other configuration
 * runs on the one host model (src/backend/kernelModel.ts) over assembly/kernels.ts.
 *
 * One instance holds one model. The host calls configure() once, grows the memory to the size it
 * returns, fills the weights at the addresses of the exported buffer globals (WxhT, Whh, …), and
 * from then on nothing is allocated: every buffer below lives at a fixed address for the life of
 * the instance.
 *
 * Layout (f32, row-major; Hp = H rounded up to a multiple of 4, Vp likewise; padding is zero
 * and stays zero because its gradients are exactly zero):
 *   WxhT  V×Hp   Wxh transposed: row x is column x of Wxh, so the one-hot product is a row lookup
 *   Whh   Hp×Hp  forward: dot products of its rows with h (6 rows at a time);
 *                backward: Whhᵀ·dhraw as a sum of its rows scaled by dhraw (no transposed copy)
 *   Why   Vp×Hp  bh Hp  by Vp, and an Adagrad memory (and a gradient buffer) of each shape
 *   hs    (T+1)×Hp  row 0 = incoming hidden state, row t+1 = h_t
 *   ys    T×Vp      logits, then probabilities, then dy = p - onehot(target)
 *   dhy   T×Hp      Whyᵀ·dy_t for every t (all taken before Why is updated)
 *   dhraw T×Hp      (1 - h_t²) ⊙ dh_t
 *
 * A training chunk: the recurrences (forward h_t, backward dhraw_t) run step by step, as they
 * must; what does not depend on them is batched over the chunk: the logits of all steps, and
 * the weight gradients dWhy = Σ_t dy_t h_tᵀ and dWhh = Σ_t dhraw_t h_{t-1}ᵀ, which are summed
 * over the steps in registers (24 lanes at a time, instead of an outer product per step), one
 * weight row at a time; the finished gradient row is then clipped and applied by Adagrad while
 * it is still in L1. The backward recurrence needs the old Whh, so Whh is updated after it; Why
 * is updated once Whyᵀ·dy_t has been taken for every step.
 * Wxh only changes in the rows of symbols that occur in the chunk (a zero gradient leaves both
 * Adagrad's memory and the weight unchanged), so only those rows are touched.
 */
import { expv, hmax, hsum, hsum4, tanhv } from './vmath';

// ---- configuration and layout (set by configure) -------------------------------------------
let H: i32 = 0; // hidden size
let V: i32 = 0; // vocabulary size
let T: i32 = 0; // unroll
/** H rounded up to a multiple of 4: the row stride in floats (exported: the host reads the layout from here). */
export let Hp: i32 = 0;
let Vp: i32 = 0;
let HB: usize = 0; // bytes in a row of Hp floats
let VB: usize = 0; // bytes in a row of Vp floats
let lr: f32 = 0.1;
let clipAt: f32 = 5.0;
let stamp: i32 = 0;

// Buffer addresses, exported as WebAssembly globals: the host reads the layout from them by name
// (after configure), so there is no second copy of it on the host side.
export let WxhT: usize = 0;
export let Whh: usize = 0;
export let Why: usize = 0;
export let bh: usize = 0;
export let by: usize = 0;
export let mWxhT: usize = 0;
export let mWhh: usize = 0;
export let mWhy: usize = 0;
export let mbh: usize = 0;
export let mby: usize = 0;
export let gWxhT: usize = 0;
export let gWhh: usize = 0;
export let gWhy: usize = 0;
export let gbh: usize = 0;
export let gby: usize = 0;
export let hs: usize = 0;
let ys: usize = 0;
let dhy: usize = 0;
let dhraw: usize = 0;
let tmp: usize = 0; // Hp scratch (Whhᵀ·dhraw)
export let hcar: usize = 0; // the hidden state carried between training chunks
let he0: usize = 0; // evaluation / sampling hidden states (ping-pong)
let he1: usize = 0;
export let pe: usize = 0; // evaluation / sampling logits and probabilities, Vp
export let ids: usize = 0; // i32 symbol ids passed in by the host
let marks: usize = 0; // i32 per symbol: the chunk stamp of the last Wxh row update
let ecur: usize = 0;
let enext: usize = 0;

let cursor: usize = 0;

function take(bytes: usize): usize {
  const p = cursor;
  cursor = (cursor + bytes + 63) & ~(<usize>63);
  return p;
}

/**
 * Sets the shapes and lays out every buffer after the static data. idsCapacity is the number of
 * i32 ids the host may pass at once (at least unroll + 1). Returns the end address of the last
 * buffer: the host grows the memory to cover it, once.
 */
export function configure(hidden: i32, vocab: i32, unroll: i32, idsCapacity: i32): usize {
  H = hidden;
  V = vocab;
  T = unroll;
  Hp = (hidden + 3) & ~3;
  Vp = (vocab + 3) & ~3;
  HB = <usize>Hp << 2;
  VB = <usize>Vp << 2;
  const hp = <usize>Hp;
  const vp = <usize>Vp;
  const v = <usize>V;
  const t = <usize>T;
  cursor = (__heap_base + 63) & ~(<usize>63);
  WxhT = take(v * HB);
  Whh = take(hp * HB);
  Why = take(vp * HB);
  bh = take(HB);
  by = take(VB);
  mWxhT = take(v * HB);
  mWhh = take(hp * HB);
  mWhy = take(vp * HB);
  mbh = take(HB);
  mby = take(VB);
  gWxhT = take(v * HB);
  gWhh = take(hp * HB);
  gWhy = take(vp * HB);
  gbh = take(HB);
  gby = take(VB);
  hs = take((t + 1) * HB);
  ys = take(t * VB);
  dhy = take(t * HB);
  dhraw = take(t * HB);
  tmp = take(HB);
  hcar = take(HB);
  he0 = take(HB);
  he1 = take(HB);
  pe = take(VB);
  ids = take(<usize>max<i32>(idsCapacity, unroll + 1) << 2);
  marks = take(v << 2);
  ecur = he0;
  enext = he1;
  return cursor;
}

/** Learning rate and clipping bound. */
export function setHyper(learningRate: f32, clip: f32): void {
  lr = learningRate;
  clipAt = clip;
}

// ---- building blocks -------------------------------------------------------------------------

// The register blocks below are 6 vectors wide: 6 accumulators, the 6 vectors loaded for them
// and the broadcast factor fit the 15 allocatable xmm registers of V8's x64 code generator
// without spilling, and 6 independent add chains hide the add latency. A 4-wide block takes
// what is left over. The helpers marked @inline are expanded into their callers, where `wide`
// is a constant, so each block compiles to straight-line code with no test of it.

/**
 * o[i] = W[i,:]·v for the 6 (wide) or 4 rows i from w0 on (rb bytes apart), over n bytes of
 * columns: one accumulator per row, summed horizontally at the end.
 */
// @ts-ignore: decorator
@inline
function dotRowsBlock(w0: usize, rb: usize, v: usize, n: usize, o: usize, wide: bool): void {
  const w1 = w0 + rb;
  const w2 = w1 + rb;
  const w3 = w2 + rb;
  const w4 = w3 + rb;
  const w5 = w4 + rb;
  const zero = f32x4.splat(0);
  let a0 = zero;
  let a1 = zero;
  let a2 = zero;
  let a3 = zero;
  let a4 = zero;
  let a5 = zero;
  for (let j: usize = 0; j < n; j += 16) {
    const x = v128.load(v + j);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(w0 + j), x));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + j), x));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(w2 + j), x));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(w3 + j), x));
    if (wide) {
      a4 = f32x4.add(a4, f32x4.mul(v128.load(w4 + j), x));
      a5 = f32x4.add(a5, f32x4.mul(v128.load(w5 + j), x));
    }
  }
  v128.store(o, hsum4(a0, a1, a2, a3));
  if (wide) v128.store64_lane(o, hsum4(a4, a5, zero, zero), 0, 16);
}

/** out[r] = W[r,:]·v for r < rows (rows even, Hp columns): 6 dot products at a time. */
function matvec(W: usize, rows: i32, v: usize, out: usize): void {
  const rb = HB;
  const n = HB;
  const outEnd = out + (<usize>rows << 2);
  let w0 = W;
  let o = out;
  const zero = f32x4.splat(0);
  for (; o + 24 <= outEnd; o += 24, w0 += rb * 6) dotRowsBlock(w0, rb, v, n, o, true);
  if (o + 16 <= outEnd) {
    dotRowsBlock(w0, rb, v, n, o, false);
    w0 += rb << 2;
    o += 16;
  }
  if (o < outEnd) {
    // The last 2 rows: two chains per row over alternate column vectors.
    const w1 = w0 + rb;
    let a0 = zero;
    let a1 = zero;
    let a2 = zero;
    let a3 = zero;
    let j: usize = 0;
    for (; j + 32 <= n; j += 32) {
      const x0 = v128.load(v + j);
      const x1 = v128.load(v + j, 16);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0 + j), x0));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + j), x0));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(w0 + j, 16), x1));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(w1 + j, 16), x1));
    }
    if (j < n) {
      const x0 = v128.load(v + j);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0 + j), x0));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + j), x0));
    }
    v128.store64_lane(o, hsum4(f32x4.add(a0, a2), f32x4.add(a1, a3), zero, zero), 0);
  }
}

/**
 * The 24 (wide) or 16 output lanes at o of a sum of scaled rows: o[:] = Σ_k c_k·R_k[:], for the
 * coefficients c_k from c up to cEnd (cs bytes apart) and the rows R_k from w on (rs bytes
 * apart), in the order k = 0, 1, 2, ...
 */
// @ts-ignore: decorator
@inline
function scaledRowsBlock(w: usize, rs: usize, c: usize, cs: usize, cEnd: usize, o: usize, wide: bool): void {
  const zero = f32x4.splat(0);
  let a0 = zero;
  let a1 = zero;
  let a2 = zero;
  let a3 = zero;
  let a4 = zero;
  let a5 = zero;
  for (let cp = c; cp < cEnd; cp += cs) {
    const s = v128.load32_splat(cp);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(w), s));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(w, 16), s));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(w, 32), s));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(w, 48), s));
    if (wide) {
      a4 = f32x4.add(a4, f32x4.mul(v128.load(w, 64), s));
      a5 = f32x4.add(a5, f32x4.mul(v128.load(w, 80), s));
    }
    w += rs;
  }
  v128.store(o, a0);
  v128.store(o, a1, 16);
  v128.store(o, a2, 32);
  v128.store(o, a3, 48);
  if (wide) {
    v128.store(o, a4, 64);
    v128.store(o, a5, 80);
  }
}

/**
 * out[:] = Σ_{k<count} c_k·R_k[:] over n bytes of columns, for the coefficients c_k at c + k·cs
 * and the rows R_k at R + k·rs: 24 output lanes at a time, then 16; the remaining single vectors
 * take four interleaved chains over k (chain i adds the k ≡ i mod 4, the chains are summed as
 * (a0 + a1) + (a2 + a3)), so the adds overlap.
 */
// @ts-ignore: decorator
@inline
function sumScaledRows(R: usize, rs: usize, c: usize, cs: usize, count: i32, out: usize, n: usize): void {
  const cEnd = c + <usize>count * cs;
  let j: usize = 0;
  for (; j + 96 <= n; j += 96) scaledRowsBlock(R + j, rs, c, cs, cEnd, out + j, true);
  for (; j + 64 <= n; j += 64) scaledRowsBlock(R + j, rs, c, cs, cEnd, out + j, false);
  const c4End = c + <usize>(count & ~3) * cs;
  const zero = f32x4.splat(0);
  for (; j < n; j += 16) {
    let a0 = zero;
    let a1 = zero;
    let a2 = zero;
    let a3 = zero;
    let w = R + j;
    let cp = c;
    for (; cp < c4End; cp += cs << 2) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w), v128.load32_splat(cp)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w + rs), v128.load32_splat(cp + cs)));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(w + 2 * rs), v128.load32_splat(cp + 2 * cs)));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(w + 3 * rs), v128.load32_splat(cp + 3 * cs)));
      w += rs << 2;
    }
    for (; cp < cEnd; cp += cs) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w), v128.load32_splat(cp)));
      w += rs;
    }
    v128.store(out + j, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  }
}

/** out[:] = Σ_{r<rows} c[r]·W[r,:] (Hp columns), i.e. Wᵀ·c. */
function tmatvec(W: usize, rows: i32, c: usize, out: usize): void {
  sumScaledRows(W, HB, c, 4, rows, out, HB);
}

/**
 * Clip to [-clip, clip], then Adagrad, over n bytes: m += g²; w -= lr·g / sqrt(m + 1e-8),
 * exactly min-char-rnn's update, in f32.
 */
function adagrad(W: usize, M: usize, G: usize, n: usize): void {
  const lrv = f32x4.splat(lr);
  const hi = f32x4.splat(clipAt);
  const lo = f32x4.neg(hi);
  const eps = f32x4.splat(1e-8);
  for (let k: usize = 0; k < n; k += 16) {
    const g = f32x4.pmin(hi, f32x4.pmax(lo, v128.load(G + k)));
    const m = f32x4.add(v128.load(M + k), f32x4.mul(g, g));
    v128.store(M + k, m);
    v128.store(W + k, f32x4.sub(v128.load(W + k), f32x4.div(f32x4.mul(lrv, g), f32x4.sqrt(f32x4.add(m, eps)))));
  }
}

/**
 * The gradient of a weight matrix from a chunk, G[r,:] = Σ_{t<len} A[t,r]·B[t,:] for r < rows
 * (A rows aStride bytes apart, B rows HB apart, Hp columns), a sum of the rows of B scaled by
 * column r of A, accumulated in registers and stored in G;
 * if `update`, each row is then clipped and applied by Adagrad to W and M while it is still in L1.
 */
function outerUpdate(W: usize, M: usize, G: usize, rows: i32, A: usize, aStride: usize, B: usize, len: i32, update: bool): void {
  for (let r = 0; r < rows; r++) {
    const roff = <usize>r * HB;
    sumScaledRows(B, HB, A + (<usize>r << 2), aStride, len, G + roff, HB);
    if (update) adagrad(W + roff, M + roff, G + roff, HB);
  }
}

/** Bias gradient G = Σ_{t<len} A[t,:] (rowBytes per row); if `update`, clipped and applied by Adagrad. */
function biasUpdate(W: usize, M: usize, G: usize, rowBytes: usize, A: usize, len: i32, update: bool): void {
  const aEnd = A + <usize>len * rowBytes;
  for (let k: usize = 0; k < rowBytes; k += 16) {
    let g = f32x4.splat(0);
    for (let a = A + k; a < aEnd; a += rowBytes) g = f32x4.add(g, v128.load(a));
    v128.store(G + k, g);
  }
  if (update) adagrad(W, M, G, rowBytes);
}

/** Lanes of the last (partial) vector of a Vp row that hold real symbols. */
// @ts-ignore: decorator
@inline
function tailMask(): v128 {
  const base = V & ~3;
  return i32x4.lt_s(i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(base)), i32x4.splat(V));
}

/**
 * Softmax of the logit row y (Vp lanes; padding ignored) at temperature 1/invT, in place when
 * `normalize` (padding lanes become 0); otherwise y is left holding the unnormalised e^(y-max).
 * Returns -ln p[target] = ln Σ e^((y-max)·invT) - (y[target]-max)·invT in f64 (0 if target < 0;
 * Infinity where the reference's p[target] would underflow to 0).
 */
function softmaxRow(y: usize, target: i32, invT: f32, normalize: bool): f64 {
  const full: usize = <usize>(V & ~3) << 2;
  const hasTail = (V & 3) != 0;
  const negInf = f32x4.splat(-Infinity);
  const mask = tailMask();
  let mx = negInf;
  for (let k: usize = 0; k < full; k += 16) mx = f32x4.max(mx, v128.load(y + k));
  if (hasTail) mx = f32x4.max(mx, v128.bitselect(v128.load(y + full), negInf, mask));
  const m = hmax(mx);
  const yt: f32 = target >= 0 ? load<f32>(y + (<usize>target << 2)) : m;
  const mv = f32x4.splat(m);
  const sv = f32x4.splat(invT);
  let sum = f32x4.splat(0);
  for (let k: usize = 0; k < full; k += 16) {
    const e = expv(f32x4.mul(f32x4.sub(v128.load(y + k), mv), sv));
    v128.store(y + k, e);
    sum = f32x4.add(sum, e);
  }
  if (hasTail) {
    const e = v128.and(expv(f32x4.mul(f32x4.sub(v128.load(y + full), mv), sv)), mask);
    v128.store(y + full, e);
    sum = f32x4.add(sum, e);
  }
  const s = hsum(sum);
  if (normalize) {
    const inv = f32x4.splat(<f32>1.0 / s);
    for (let k: usize = 0; k < VB; k += 16) v128.store(y + k, f32x4.mul(v128.load(y + k), inv));
  }
  if (target < 0) return 0.0;
  // -ln p[target], with the reference's (Float64) semantics: a probability that underflows to 0
  // (e^d with d below about -745) is an infinite loss, which is how a diverging run shows itself.
  const d = <f64>((yt - m) * invT);
  return d < -745.0 || !isFinite(s) ? Infinity : Math.log(<f64>s) - d;
}

/** h_out = tanh(WxhT[x] + bh + Whh·h_in). */
function stepHidden(hin: usize, hout: usize, x: i32): void {
  matvec(Whh, Hp, hin, hout);
  const wx = WxhT + <usize>x * HB;
  for (let i: usize = 0; i < HB; i += 16) {
    const a = f32x4.add(v128.load(hout + i), f32x4.add(v128.load(wx + i), v128.load(bh + i)));
    v128.store(hout + i, tanhv(a));
  }
}

/** y = Why·h + by for one hidden state. */
function logitsOne(h: usize, y: usize): void {
  matvec(Why, Vp, h, y);
  for (let k: usize = 0; k < VB; k += 16) v128.store(y + k, f32x4.add(v128.load(y + k), v128.load(by + k)));
}

/** Logits of steps t < len: ys[t] = Why·h_t + by (two steps at a time share the loads of Why). */
function logitsBatch(len: i32): void {
  const n = HB;
  let t = 0;
  for (; t + 2 <= len; t += 2) {
    const h0 = hs + <usize>(t + 1) * HB;
    const h1 = h0 + HB;
    const y0 = ys + <usize>t * VB;
    const y1 = y0 + VB;
    let w0 = Why;
    for (let k: usize = 0; k < VB; k += 16) {
      const w1 = w0 + HB;
      const w2 = w1 + HB;
      const w3 = w2 + HB;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0);
      let b1 = f32x4.splat(0);
      let b2 = f32x4.splat(0);
      let b3 = f32x4.splat(0);
      for (let j: usize = 0; j < n; j += 16) {
        const x0 = v128.load(h0 + j);
        const x1 = v128.load(h1 + j);
        let w = v128.load(w0 + j);
        a0 = f32x4.add(a0, f32x4.mul(w, x0));
        b0 = f32x4.add(b0, f32x4.mul(w, x1));
        w = v128.load(w1 + j);
        a1 = f32x4.add(a1, f32x4.mul(w, x0));
        b1 = f32x4.add(b1, f32x4.mul(w, x1));
        w = v128.load(w2 + j);
        a2 = f32x4.add(a2, f32x4.mul(w, x0));
        b2 = f32x4.add(b2, f32x4.mul(w, x1));
        w = v128.load(w3 + j);
        a3 = f32x4.add(a3, f32x4.mul(w, x0));
        b3 = f32x4.add(b3, f32x4.mul(w, x1));
      }
      const bv = v128.load(by + k);
      v128.store(y0 + k, f32x4.add(hsum4(a0, a1, a2, a3), bv));
      v128.store(y1 + k, f32x4.add(hsum4(b0, b1, b2, b3), bv));
      w0 += HB << 2;
    }
  }
  if (t < len) logitsOne(hs + <usize>(t + 1) * HB, ys + <usize>t * VB);
}

// ---- training ----------------------------------------------------------------------------------

/** The symbol id ids[t]. */
// @ts-ignore: decorator
@inline
function idAt(t: i32): i32 {
  return load<i32>(ids + (<usize>t << 2));
}

/**
 * The recurrence backwards at step t: dhraw_t = (1 - h_t²) ⊙ dh_t, with dh_t = dhy_t, plus
 * tmp = Whhᵀ·dhraw_{t+1} unless t is the last step.
 */
// @ts-ignore: decorator
@inline
function tanhBackward(t: i32, last: bool): void {
  const h = hs + <usize>(t + 1) * HB;
  const d = dhy + <usize>t * HB;
  const o = dhraw + <usize>t * HB;
  const one = f32x4.splat(1.0);
  for (let i: usize = 0; i < HB; i += 16) {
    const hv = v128.load(h + i);
    const dh = last ? v128.load(d + i) : f32x4.add(v128.load(d + i), v128.load(tmp + i));
    v128.store(o + i, f32x4.mul(f32x4.sub(one, f32x4.mul(hv, hv)), dh));
  }
}

/** Forward over ids[0..len) (targets ids[1..len]) from hs row 0. Leaves p_t in ys. Returns the loss. */
function forwardChunk(len: i32): f64 {
  for (let t = 0; t < len; t++) {
    stepHidden(hs + <usize>t * HB, hs + <usize>(t + 1) * HB, idAt(t));
  }
  logitsBatch(len);
  let loss: f64 = 0;
  for (let t = 0; t < len; t++) {
    loss += softmaxRow(ys + <usize>t * VB, idAt(t + 1), 1.0, true);
  }
  return loss;
}

/**
 * Backward through the chunk forwardChunk saw. With `update`: clip and apply Adagrad to every
 * parameter; without: store the raw (unclipped) gradients in the g* buffers and change nothing.
 */
function backwardChunk(len: i32, update: bool): void {
  // dy_t = p_t - onehot(target_t)
  for (let t = 0; t < len; t++) {
    const a = ys + <usize>t * VB + (<usize>idAt(t + 1) << 2);
    store<f32>(a, load<f32>(a) - 1.0);
  }
  // dhy_t = Whyᵀ·dy_t with the old Why, then dWhy = Σ dy_t h_tᵀ and dby = Σ dy_t.
  for (let t = 0; t < len; t++) tmatvec(Why, V, ys + <usize>t * VB, dhy + <usize>t * HB);
  outerUpdate(Why, mWhy, gWhy, V, ys, VB, hs + HB, len, update);
  biasUpdate(by, mby, gby, VB, ys, len, update);
  // The recurrence backwards: dhraw_t = (1 - h_t²) ⊙ (dhy_t + Whhᵀ·dhraw_{t+1}).
  tanhBackward(len - 1, true);
  for (let t = len - 2; t >= 0; t--) {
    tmatvec(Whh, H, dhraw + <usize>(t + 1) * HB, tmp);
    tanhBackward(t, false);
  }
  // dWhh = Σ dhraw_t h_{t-1}ᵀ, dbh = Σ dhraw_t, dWxh[:, x_t] += dhraw_t.
  outerUpdate(Whh, mWhh, gWhh, H, dhraw, HB, hs, len, update);
  biasUpdate(bh, mbh, gbh, HB, dhraw, len, update);
  if (!update) memory.fill(gWxhT, 0, <usize>V * HB);
  for (let t = 0; t < len; t++) {
    const g = gWxhT + <usize>idAt(t) * HB;
    const d = dhraw + <usize>t * HB;
    for (let i: usize = 0; i < HB; i += 16) v128.store(g + i, f32x4.add(v128.load(g + i), v128.load(d + i)));
  }
  if (!update) return;
  stamp++;
  for (let t = 0; t < len; t++) {
    const x = idAt(t);
    const mk = marks + (<usize>x << 2);
    if (load<i32>(mk) == stamp) continue;
    store<i32>(mk, stamp);
    const off = <usize>x * HB;
    adagrad(WxhT + off, mWxhT + off, gWxhT + off, HB);
    memory.fill(gWxhT + off, 0, HB);
  }
}

/**
 * One training step over ids[0..len] (inputs ids[0..len), targets ids[1..len]): forward from the
 * carried hidden state, backward, clip, Adagrad; carries h_{len-1}. Returns the loss in nats.
 */
export function trainChunk(len: i32): f64 {
  memory.copy(hs, hcar, HB);
  const loss = forwardChunk(len);
  backwardChunk(len, true);
  memory.copy(hcar, hs + <usize>len * HB, HB);
  return loss;
}

/** Loss and raw gradients (into the g* buffers) of ids[0..len] from the state in hs row 0; updates nothing. */
export function lossAndGradients(len: i32): f64 {
  const loss = forwardChunk(len);
  backwardChunk(len, false);
  return loss;
}

export function resetHidden(): void {
  memory.fill(hcar, 0, HB);
}

// ---- evaluation and sampling -------------------------------------------------------------------

/** Feeds symbol x to the evaluation / sampling state: h_cur ← tanh(Wxh[:, x] + bh + Whh·h_cur). */
// @ts-ignore: decorator
@inline
function evalStep(x: i32): void {
  stepHidden(ecur, enext, x);
  const c = ecur;
  ecur = enext;
  enext = c;
}

/** Start a held-out pass or a sample from a copy of the training state. */
export function beginEval(): void {
  memory.copy(he0, hcar, HB);
  ecur = he0;
  enext = he1;
}

/** Scores ids[1..n] given inputs ids[0..n), continuing the evaluation state. Returns nats. */
export function evalBlock(n: i32): f64 {
  let nats: f64 = 0;
  for (let i = 0; i < n; i++) {
    evalStep(idAt(i));
    logitsOne(ecur, pe);
    nats += softmaxRow(pe, idAt(i + 1), 1.0, false);
  }
  return nats;
}

/** Feeds symbol x to the sampling state; if wantProbs, leaves softmax(y·invT) in pe. */
export function sampleStep(x: i32, invT: f32, wantProbs: bool): void {
  evalStep(x);
  if (wantProbs) {
    logitsOne(ecur, pe);
    softmaxRow(pe, -1, invT, true);
  }
}

// ---- test seam: used only by the tests (src/backend/minCharRnnTesting.ts), never by training -------

/**
 * Applies the vector tanh (which = 0) or exp (which = 1) to n floats at `ids`, in place (n a
 * multiple of 4), so that the tests can measure their accuracy.
 */
export function testVectorMath(which: i32, n: i32): void {
  const end = ids + (<usize>n << 2);
  for (let p = ids; p < end; p += 16) v128.store(p, which == 0 ? tanhv(v128.load(p)) : expv(v128.load(p)));
}
