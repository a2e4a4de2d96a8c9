/**
 * Register-blocked f32x4 matrix products for the batched cells (rnn, LSTM, GRU) of the one host model:
 * the three products a linear layer needs at batch B, forward and backward.
 *
 *   gemmABt  Y[M×N] = A[M×K]·B[N×K]ᵀ (+ bias[N]) (+ Y)   forward: Y = X·Wᵀ, W in PyTorch's [out×in]
 *   gemmAB   C[M×N] = A[M×K]·B[K×N] (+ C)                 backward to the input: dX = dY·W
 *   gemmAtB  C[M×N] = A[K×M]ᵀ·B[K×N] (+ C)                weight gradient: dW += dYᵀ·X
 *
 * Layout: row-major f32, every row stride (lda, ldb, ...) a multiple of 4 floats, rows 16-byte
 * aligned; the columns between a matrix's width and its stride are padding that must be zero in
 * the inputs (A and B), and that the outputs may overwrite (with zeros, given zero inputs). So a
 * width K of 54 is computed as 56, and M, N, K need not be multiples of anything.
 *
 * gemmABt is a product of rows with rows: the vectors run along K, and a 2×4 block keeps 8
 * accumulators (rows m, m+1 of A against rows n..n+3 of B): per 4 k, 2 + 4 loads feed 8 vector
 * multiply-adds; the 4 sums of each A row are reduced with one 4×4 transpose-and-add (hsum4) and
 * stored as 4 consecutive outputs. A is walked in tiles of 32 rows (32 rows of 256 floats = 32 KB,
 * L1) with all of B's rows for each tile.
 *
 * gemmAB and gemmAtB are one kernel, sums of scaled rows: C[i, :] = Σ_p a(i,p)·B[p, :], with
 * a(i,p) read through two strides (A row-major for gemmAB, A transposed for gemmAtB), broadcast
 * to all lanes. A 4×2 block keeps 8 accumulators (4 rows of C × 8 columns): per p, 2 vector loads
 * of B and 4 broadcasts feed 8 multiply-adds. V8 hoists all six loads to the top of the loop
 * body, so with the accumulators and a product that is the 15 xmm registers its x64 code generator
 * allocates (a 3×3 block, 16, spills one accumulator and runs markedly slower).
 * P is cut into panels of 256 so the strip of B being reused (and the A values) stay in L1.
 *
 * mac(acc, a, b) = acc + a·b: a multiply then an add (two roundings) in the SIMD128 build; a
 * relaxed multiply-add in the relaxed-SIMD build (fused where the hardware has FMA, and then one
 * rounding: the same inputs give the same bits on the same machine and runtime).
 */
import { hsum4 } from './vmath';

// @ts-ignore: decorator
@inline
export function mac(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// ---- Y = A·Bᵀ --------------------------------------------------------------------------------

/**
 * The 2 (rows2) or 1 rows of Y at y (ldy bytes apart), columns n..n+3 (cols4) or n alone, from rows
 * a0 (and a0 + lda) of A and rows b0, b0 + ldb, ... of B, over kb bytes of K.
 */
// @ts-ignore: decorator
@inline
function dotBlock(a0: usize, lda: usize, b0: usize, ldb: usize, kb: usize, y: usize, ldy: usize,
  bias: usize, acc: bool, rows2: bool, cols4: bool): void {
  const a1 = a0 + lda;
  const b1 = b0 + ldb;
  const b2 = b1 + ldb;
  const b3 = b2 + ldb;
  const zero = f32x4.splat(0);
  let c00 = zero, c01 = zero, c02 = zero, c03 = zero;
  let c10 = zero, c11 = zero, c12 = zero, c13 = zero;
  for (let j: usize = 0; j < kb; j += 16) {
    const x0 = v128.load(a0 + j);
    const x1 = rows2 ? v128.load(a1 + j) : zero;
    let w = v128.load(b0 + j);
    c00 = mac(c00, x0, w);
    if (rows2) c10 = mac(c10, x1, w);
    if (cols4) {
      w = v128.load(b1 + j);
      c01 = mac(c01, x0, w);
      if (rows2) c11 = mac(c11, x1, w);
      w = v128.load(b2 + j);
      c02 = mac(c02, x0, w);
      if (rows2) c12 = mac(c12, x1, w);
      w = v128.load(b3 + j);
      c03 = mac(c03, x0, w);
      if (rows2) c13 = mac(c13, x1, w);
    }
  }
  if (cols4) {
    let r0 = hsum4(c00, c01, c02, c03);
    let r1 = hsum4(c10, c11, c12, c13);
    if (bias) {
      const bv = v128.load(bias);
      r0 = f32x4.add(r0, bv);
      r1 = f32x4.add(r1, bv);
    }
    if (acc) {
      r0 = f32x4.add(r0, v128.load(y));
      r1 = f32x4.add(r1, v128.load(y + ldy));
    }
    v128.store(y, r0);
    if (rows2) v128.store(y + ldy, r1);
  } else {
    const s = hsum4(c00, c10, zero, zero);
    let r0 = f32x4.extract_lane(s, 0);
    let r1 = f32x4.extract_lane(s, 1);
    if (bias) {
      r0 += load<f32>(bias);
      r1 += load<f32>(bias);
    }
    if (acc) {
      r0 += load<f32>(y);
      r1 += load<f32>(y + ldy);
    }
    store<f32>(y, r0);
    if (rows2) store<f32>(y + ldy, r1);
  }
}

/** Rows m0..m1 of Y = A·Bᵀ (+ bias) (+ Y): every column, 2 rows × 4 columns at a time. */
// @ts-ignore: decorator
@inline
function abtTile(m0: i32, m1: i32, N: i32, kb: usize, A: usize, lda: usize, B: usize, ldb: usize,
  Y: usize, ldy: usize, bias: usize, acc: bool): void {
  const n4 = N & ~3;
  for (let n = 0; n < N; ) {
    const four = n < n4;
    const b0 = B + <usize>n * ldb;
    const bn = bias ? bias + (<usize>n << 2) : 0;
    let m = m0;
    for (; m + 2 <= m1; m += 2) {
      const y = Y + <usize>m * ldy + (<usize>n << 2);
      const a0 = A + <usize>m * lda;
      if (four) dotBlock(a0, lda, b0, ldb, kb, y, ldy, bn, acc, true, true);
      else dotBlock(a0, lda, b0, ldb, kb, y, ldy, bn, acc, true, false);
    }
    if (m < m1) {
      const y = Y + <usize>m * ldy + (<usize>n << 2);
      const a0 = A + <usize>m * lda;
      if (four) dotBlock(a0, lda, b0, ldb, kb, y, ldy, bn, acc, false, true);
      else dotBlock(a0, lda, b0, ldb, kb, y, ldy, bn, acc, false, false);
    }
    n += four ? 4 : 1;
  }
}

/**
 * Y[M×N] = A[M×K]·B[N×K]ᵀ, plus bias[n] when bias is not 0, plus Y's old value when accumulate
 * is not 0. Strides in floats (multiples of 4), pointers in bytes.
 */
export function gemmABt(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32,
  Y: usize, ldy: i32, bias: usize, accumulate: i32): void {
  const kb = <usize>((K + 3) & ~3) << 2;
  const la = <usize>lda << 2;
  const lb = <usize>ldb << 2;
  const ly = <usize>ldy << 2;
  for (let m0 = 0; m0 < M; m0 += 32) {
    const m1 = min(M, m0 + 32);
    if (accumulate) abtTile(m0, m1, N, kb, A, la, B, lb, Y, ly, bias, true);
    else abtTile(m0, m1, N, kb, A, la, B, lb, Y, ly, bias, false);
  }
}

// ---- Y = A·Bᵀ with B packed ------------------------------------------------------------------------

/**
 * Packs B (N×K) for gemmABtPacked: its rows in panels of 4, interleaved by vectors, so that the
 * inner loop reads the 4 rows from one pointer at immediate offsets 0, 16, 32, 48:
 *   Bp[((n/4)·kv + k/4)·16 + (n%4)·4 + k%4] = B[n, k],  kv = ⌈K/4⌉; rows past N are zero.
 * Bp holds ⌈N/4⌉·4 × kv·4 floats, zero past B's N rows and K columns (whatever B's padding
 * holds: B may be a window of a wider matrix). A weight matrix is packed once per update, then
 * used by every step of the chunk.
 */
export function packRows4(N: i32, K: i32, B: usize, ldb: i32, Bp: usize): void {
  const kv = (K + 3) >> 2;
  const nb = (N + 3) >> 2;
  const lb = <usize>ldb << 2;
  const zero = f32x4.splat(0);
  const tail = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(K - ((kv - 1) << 2))); // lanes of the last vector < K
  for (let q = 0; q < nb; q++) {
    const panel = Bp + <usize>q * <usize>kv * 64;
    for (let r = 0; r < 4; r++) {
      const n = (q << 2) + r;
      const src = B + <usize>n * lb;
      for (let v = 0; v < kv; v++) {
        let x = n < N ? v128.load(src + (<usize>v << 4)) : zero;
        if (v == kv - 1) x = v128.and(x, tail);
        v128.store(panel + (<usize>v << 6) + (<usize>r << 4), x);
      }
    }
  }
}

/** Stores the first `count` (1..4) lanes of x at y. */
// @ts-ignore: decorator
@inline
function storeLanes(y: usize, x: v128, count: i32): void {
  if (count >= 4) {
    v128.store(y, x);
    return;
  }
  store<f32>(y, f32x4.extract_lane(x, 0));
  if (count > 1) store<f32>(y, f32x4.extract_lane(x, 1), 4);
  if (count > 2) store<f32>(y, f32x4.extract_lane(x, 2), 8);
}

/**
 * The 2 (rows2) or 1 rows of Y at y, columns n..n+cols-1 (cols <= 4), from rows a0, a0 + lda of A
 * and the packed panel pb of B's rows n..n+3, over kb bytes of K: the loop reads A at two
 * addresses and B at one.
 */
// @ts-ignore: decorator
@inline
function dotBlockPacked(a0: usize, lda: usize, pb: usize, kb: usize, y: usize, ldy: usize,
  bias: usize, acc: bool, rows2: bool, cols: i32): void {
  const a1 = a0 + lda;
  const zero = f32x4.splat(0);
  let c00 = zero, c01 = zero, c02 = zero, c03 = zero;
  let c10 = zero, c11 = zero, c12 = zero, c13 = zero;
  for (let j: usize = 0; j < kb; j += 16) {
    const x0 = v128.load(a0 + j);
    const x1 = rows2 ? v128.load(a1 + j) : zero;
    let w = v128.load(pb);
    c00 = mac(c00, x0, w);
    if (rows2) c10 = mac(c10, x1, w);
    w = v128.load(pb, 16);
    c01 = mac(c01, x0, w);
    if (rows2) c11 = mac(c11, x1, w);
    w = v128.load(pb, 32);
    c02 = mac(c02, x0, w);
    if (rows2) c12 = mac(c12, x1, w);
    w = v128.load(pb, 48);
    c03 = mac(c03, x0, w);
    if (rows2) c13 = mac(c13, x1, w);
    pb += 64;
  }
  let r0 = hsum4(c00, c01, c02, c03);
  let r1 = hsum4(c10, c11, c12, c13);
  if (bias) {
    const bv = v128.load(bias); // bias rows are padded to whole vectors
    r0 = f32x4.add(r0, bv);
    r1 = f32x4.add(r1, bv);
  }
  if (acc) {
    r0 = f32x4.add(r0, cols >= 4 ? v128.load(y) : loadLanes(y, cols));
    if (rows2) r1 = f32x4.add(r1, cols >= 4 ? v128.load(y + ldy) : loadLanes(y + ldy, cols));
  }
  storeLanes(y, r0, cols);
  if (rows2) storeLanes(y + ldy, r1, cols);
}

/** The first `count` (1..3) floats at y in the low lanes, zeros above. */
// @ts-ignore: decorator
@inline
function loadLanes(y: usize, count: i32): v128 {
  let x = f32x4.splat(0);
  x = f32x4.replace_lane(x, 0, load<f32>(y));
  if (count > 1) x = f32x4.replace_lane(x, 1, load<f32>(y, 4));
  if (count > 2) x = f32x4.replace_lane(x, 2, load<f32>(y, 8));
  return x;
}

/** Rows m0..m1 of Y = A·Bᵀ from packed B: every panel of 4 columns, 2 rows at a time. */
// @ts-ignore: decorator
@inline
function abtPackedTile(m0: i32, m1: i32, N: i32, kb: usize, A: usize, lda: usize, Bp: usize,
  Y: usize, ldy: usize, bias: usize, acc: bool): void {
  const panelBytes = kb << 2;
  for (let n = 0; n < N; n += 4) {
    const cols = min(4, N - n);
    const pb = Bp + <usize>(n >> 2) * panelBytes;
    const bn = bias ? bias + (<usize>n << 2) : 0;
    let m = m0;
    for (; m + 2 <= m1; m += 2) {
      const y = Y + <usize>m * ldy + (<usize>n << 2);
      const a0 = A + <usize>m * lda;
      if (cols == 4) dotBlockPacked(a0, lda, pb, kb, y, ldy, bn, acc, true, 4);
      else dotBlockPacked(a0, lda, pb, kb, y, ldy, bn, acc, true, cols);
    }
    if (m < m1) {
      const y = Y + <usize>m * ldy + (<usize>n << 2);
      dotBlockPacked(A + <usize>m * lda, lda, pb, kb, y, ldy, bn, acc, false, cols);
    }
  }
}

/**
 * Y[M×N] = A[M×K]·B[N×K]ᵀ (+ bias) (+ Y) with B given packed by packRows4: gemmABt's 2×4 blocks
 * with B's 4 rows read from one pointer (V8 does not fold an added row stride into the address,
 * so unpacked rows cost an integer add per load: 6 a step against 2 here).
 */
export function gemmABtPacked(M: i32, N: i32, K: i32, A: usize, lda: i32, Bp: usize,
  Y: usize, ldy: i32, bias: usize, accumulate: i32): void {
  const kb = <usize>((K + 3) & ~3) << 2;
  const la = <usize>lda << 2;
  const ly = <usize>ldy << 2;
  for (let m0 = 0; m0 < M; m0 += 32) {
    const m1 = min(M, m0 + 32);
    if (accumulate) abtPackedTile(m0, m1, N, kb, A, la, Bp, Y, ly, bias, true);
    else abtPackedTile(m0, m1, N, kb, A, la, Bp, Y, ly, bias, false);
  }
}

// ---- C = Σ_p a(·,p)·B[p,:] ------------------------------------------------------------------------

/**
 * Rows i..i+R-1 (R = 1..4) of C, V (2 or 1) vectors of columns from column byte 0:
 * C[i+r, :] (+)= Σ_{p0 <= p < p1} a(i+r, p)·B[p, :], with a(i, p) at A + i·ai + p·ap.
 */
// @ts-ignore: decorator
@inline
function scaledRowsBlock(A: usize, ai: usize, ap: usize, B: usize, ldb: usize, p0: i32, p1: i32,
  C: usize, ldc: usize, acc: bool, R: i32, V: i32): void {
  const zero = f32x4.splat(0);
  let c00 = zero, c01 = zero, c10 = zero, c11 = zero;
  let c20 = zero, c21 = zero, c30 = zero, c31 = zero;
  let a = A + <usize>p0 * ap;
  let b = B + <usize>p0 * ldb;
  for (let p = p0; p < p1; p++) {
    const w0 = v128.load(b);
    const w1 = V > 1 ? v128.load(b, 16) : zero;
    let s = v128.load32_splat(a);
    c00 = mac(c00, w0, s);
    if (V > 1) c01 = mac(c01, w1, s);
    if (R > 1) {
      s = v128.load32_splat(a + ai);
      c10 = mac(c10, w0, s);
      if (V > 1) c11 = mac(c11, w1, s);
    }
    if (R > 2) {
      s = v128.load32_splat(a + 2 * ai);
      c20 = mac(c20, w0, s);
      if (V > 1) c21 = mac(c21, w1, s);
    }
    if (R > 3) {
      s = v128.load32_splat(a + 3 * ai);
      c30 = mac(c30, w0, s);
      if (V > 1) c31 = mac(c31, w1, s);
    }
    a += ap;
    b += ldb;
  }
  storeRow(C, c00, c01, acc, V);
  if (R > 1) storeRow(C + ldc, c10, c11, acc, V);
  if (R > 2) storeRow(C + 2 * ldc, c20, c21, acc, V);
  if (R > 3) storeRow(C + 3 * ldc, c30, c31, acc, V);
}

/** Stores (acc: adds to) the V vectors x0, x1 at c. */
// @ts-ignore: decorator
@inline
function storeRow(c: usize, x0: v128, x1: v128, acc: bool, V: i32): void {
  if (acc) {
    x0 = f32x4.add(x0, v128.load(c));
    if (V > 1) x1 = f32x4.add(x1, v128.load(c, 16));
  }
  v128.store(c, x0);
  if (V > 1) v128.store(c, x1, 16);
}

/** Rows i..i+R-1 of C, every column: 2 vectors at a time, then the 1 left. */
// @ts-ignore: decorator
@inline
function scaledRowsPanel(nv: i32, A: usize, ai: usize, ap: usize, B: usize, ldb: usize, p0: i32, p1: i32,
  C: usize, ldc: usize, acc: bool, R: i32): void {
  let v = 0;
  for (; v + 2 <= nv; v += 2) {
    const j = <usize>v << 4;
    scaledRowsBlock(A, ai, ap, B + j, ldb, p0, p1, C + j, ldc, acc, R, 2);
  }
  if (v < nv) {
    const j = <usize>v << 4;
    scaledRowsBlock(A, ai, ap, B + j, ldb, p0, p1, C + j, ldc, acc, R, 1);
  }
}

/** All of C: 4 rows at a time, then the 1 to 3 left. */
// @ts-ignore: decorator
@inline
function scaledRowsAll(M: i32, nv: i32, A: usize, ai: usize, ap: usize, B: usize, ldb: usize, p0: i32, p1: i32,
  C: usize, ldc: usize, acc: bool): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    scaledRowsPanel(nv, A + <usize>i * ai, ai, ap, B, ldb, p0, p1, C + <usize>i * ldc, ldc, acc, 4);
  }
  const left = M - i;
  const a = A + <usize>i * ai;
  const c = C + <usize>i * ldc;
  if (left == 3) scaledRowsPanel(nv, a, ai, ap, B, ldb, p0, p1, c, ldc, acc, 3);
  else if (left == 2) scaledRowsPanel(nv, a, ai, ap, B, ldb, p0, p1, c, ldc, acc, 2);
  else if (left == 1) scaledRowsPanel(nv, a, ai, ap, B, ldb, p0, p1, c, ldc, acc, 1);
}

const PANEL = 256;

/**
 * C[i, 0..N) (+)= Σ_{p<P} a(i,p)·B[p, 0..N) for i < M, a(i,p) at A + i·ai + p·ap (byte strides);
 * B and C row strides in bytes; N rounded up to whole vectors. Inlined into gemmAB (ap = 4) and
 * gemmAtB (ai = 4), where the constant stride becomes an immediate load offset.
 */
// @ts-ignore: decorator
@inline
function sumScaledRows(M: i32, N: i32, P: i32, A: usize, ai: usize, ap: usize, B: usize, ldb: usize,
  C: usize, ldc: usize, accumulate: bool): void {
  const nv = (N + 3) >> 2;
  for (let p0 = 0; p0 < P || p0 == 0; p0 += PANEL) {
    const p1 = min(P, p0 + PANEL);
    if (accumulate || p0 > 0) scaledRowsAll(M, nv, A, ai, ap, B, ldb, p0, p1, C, ldc, true);
    else scaledRowsAll(M, nv, A, ai, ap, B, ldb, p0, p1, C, ldc, false);
  }
}

/** C[M×N] = A[M×K]·B[K×N] (+ C when accumulate): dX = dY·W. Strides in floats, pointers in bytes. */
export function gemmAB(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32,
  C: usize, ldc: i32, accumulate: i32): void {
  sumScaledRows(M, N, K, A, <usize>lda << 2, 4, B, <usize>ldb << 2, C, <usize>ldc << 2, accumulate != 0);
}

/** C[M×N] = A[K×M]ᵀ·B[K×N] (+ C when accumulate): dW += dYᵀ·X. Strides in floats, pointers in bytes. */
export function gemmAtB(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32,
  C: usize, ldc: i32, accumulate: i32): void {
  sumScaledRows(M, N, K, A, 4, <usize>lda << 2, B, <usize>ldb << 2, C, <usize>ldc << 2, accumulate != 0);
}
