/**
 * The model ladder's WebAssembly kernels (assembly/gemm.ts, lstm.ts, rows.ts, optim.ts through
 * src/backend/ladderKernels.ts) against plain Float64 computations, on shapes that are not
 * multiples of 4 (so every padded edge and every block remainder runs).
 *
 * Needs build/ladder.wasm: `npm run build` (or `npm run build:wasm`) first; `npm test` does it.
 * The relaxed-SIMD build is tested too where the runtime accepts it (not Node 20 by default).
 *
 * Tolerances. u = 2^-24 is the unit roundoff of f32. The inputs are rounded to f32 before the
 * Float64 reference sees them, so only the kernels' arithmetic is measured:
 * - a sum of n products computed in f32 in any order (blocked, with or without fused
 *   multiply-add) is within γ_n·Σ|terms| ≈ n·u·Σ|terms| of the exact sum (Higham, Accuracy and
 *   Stability of Numerical Algorithms, §3.1); the products are checked element by element against
 *   that bound, with n = the number of terms + 2 (bias, accumulated value);
 * - gathers, scatter-adds and transposes are exact (compared with the same f32 operations in the
 *   same order, Math.fround);
 * - the LSTM and the whole model chain tanh/exp approximations (absolute error ~1e-7) through
 *   the recurrence; they use wasm.test.ts's metric, relErr(a, b) = max|a - b| / max|b| per tensor,
 *   under 1e-5 (observed 1e-7..6e-7 for outputs, states and gradients).
 */
import { describe, expect, it } from 'vitest';
import { LadderKernels, relaxedSimdSupported, type LadderBuild, type Mat } from '../src/backend/ladderKernels.js';
import { FastLstm, initLstmParams, type LstmParams } from '../src/backend/ladderLstm.js';
import { gaussian, makeRng, type Rng } from '../src/util/rng.js';

const U = 2 ** -24;
const BUILDS: LadderBuild[] = relaxedSimdSupported() ? ['simd128', 'relaxed'] : ['simd128'];

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/** n values N(0, scale²), rounded to f32. */
function randomF32(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(gaussian(rng) * scale));
}

/** A matrix in kernel memory filled with random f32 values; returns it and its values. */
function randomMat(k: LadderKernels, rng: Rng, rows: number, cols: number, scale = 1): [Mat, Float64Array] {
  const m = k.alloc(rows, cols);
  const v = randomF32(rng, rows * cols, scale);
  k.write(m, v);
  return [m, v];
}

/** Every element within the f32 summation bound: |got - exact| <= n·u·Σ|terms|. */
function expectWithinSumBound(got: Float64Array, exact: Float64Array, absSum: Float64Array, n: number): void {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const bound = n * U * absSum[i] + 1e-30;
    worst = Math.max(worst, Math.abs(got[i] - exact[i]) / bound);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

const SHAPES: [number, number, number][] = [
  // [M, N, K]: one of each remainder, a single element, and the LSTM's own shapes scaled down
  [7, 13, 11],
  [33, 5, 54],
  [1, 1, 1],
  [3, 6, 2],
  [32, 30, 17],
  [5, 3, 130],
];

describe.each(BUILDS)('ladder kernels (%s): matrix products', (build) => {
  it.each(SHAPES)('gemmABt and gemmABtPacked M=%i N=%i K=%i: Y = A·Bᵀ + bias (+ Y) within the f32 summation bound', (M, N, K) => {
    const k = new LadderKernels(build);
    const rng = makeRng(`abt:${M}:${N}:${K}`);
    const [A, a] = randomMat(k, rng, M, K);
    const [B, b] = randomMat(k, rng, N, K);
    const [bias, bv] = randomMat(k, rng, 1, N);
    const [Y, y0] = randomMat(k, rng, M, N);
    const Bp = k.allocPacked(B);
    k.packRows4(Bp, B);
    for (const [packed, accumulate] of [[false, false], [false, true], [true, false], [true, true]]) {
      if (accumulate) k.write(Y, y0);
      if (packed) k.gemmABtPacked(Y, A, Bp, { bias, accumulate });
      else k.gemmABt(Y, A, B, { bias, accumulate });
      const exact = new Float64Array(M * N);
      const abs = new Float64Array(M * N);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = bv[n] + (accumulate ? y0[m * N + n] : 0);
          let t = Math.abs(bv[n]) + (accumulate ? Math.abs(y0[m * N + n]) : 0);
          for (let j = 0; j < K; j++) {
            s += a[m * K + j] * b[n * K + j];
            t += Math.abs(a[m * K + j] * b[n * K + j]);
          }
          exact[m * N + n] = s;
          abs[m * N + n] = t;
        }
      }
      expectWithinSumBound(k.read(Y), exact, abs, K + 2);
    }
  });

  it.each(SHAPES)('gemmAB M=%i N=%i K=%i and gemmAtB: C = A·B, C = Aᵀ·B (+ C) within the bound', (M, N, K) => {
    const k = new LadderKernels(build);
    const rng = makeRng(`ab:${M}:${N}:${K}`);
    const [A, a] = randomMat(k, rng, M, K); // for gemmAB
    const [At, at] = randomMat(k, rng, K, M); // for gemmAtB
    const [B, b] = randomMat(k, rng, K, N);
    const [C, c0] = randomMat(k, rng, M, N);
    for (const transposed of [false, true]) {
      for (const accumulate of [false, true]) {
        k.write(C, c0);
        if (transposed) k.gemmAtB(C, At, B, accumulate);
        else k.gemmAB(C, A, B, accumulate);
        const exact = new Float64Array(M * N);
        const abs = new Float64Array(M * N);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let s = accumulate ? c0[m * N + n] : 0;
            let t = Math.abs(s);
            for (let p = 0; p < K; p++) {
              const x = (transposed ? at[p * M + m] : a[m * K + p]) * b[p * N + n];
              s += x;
              t += Math.abs(x);
            }
            exact[m * N + n] = s;
            abs[m * N + n] = t;
          }
        }
        expectWithinSumBound(k.read(C), exact, abs, K + 2);
      }
    }
  });

  it('the padding columns of the products stay zero (later products read them)', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('pad');
    const [A] = randomMat(k, rng, 9, 7);
    const [B] = randomMat(k, rng, 7, 5);
    const C = k.alloc(9, 5);
    k.gemmAB(C, A, B);
    const v = k.view(C);
    for (let r = 0; r < 9; r++) for (let c = 5; c < C.ld; c++) expect(v[r * C.ld + c]).toBe(0);
  });

  it('packRows4 ignores what lies past B\'s columns (B may be a window of a wider matrix)', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('window');
    const [wide] = randomMat(k, rng, 6, 12);
    const window: Mat = { ...wide, cols: 5 }; // columns 5..11 are real data, not zero padding
    const narrow = k.alloc(6, 5);
    k.write(narrow, k.read(window));
    const [A] = randomMat(k, rng, 3, 5);
    const Wp = k.allocPacked(window);
    k.packRows4(Wp, window);
    const Y1 = k.alloc(3, 6);
    const Y2 = k.alloc(3, 6);
    k.gemmABtPacked(Y1, A, Wp);
    k.gemmABt(Y2, A, narrow);
    expect(Array.from(k.read(Y1))).toEqual(Array.from(k.read(Y2)));
  });

  it('transpose is exact, in blocks and at the edges', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('transpose');
    for (const [R, Cc] of [[9, 6], [4, 8], [1, 5], [13, 1], [37, 22]]) {
      const [S, s] = randomMat(k, rng, R, Cc);
      const D = k.alloc(Cc, R);
      k.transpose(D, S);
      const d = k.read(D);
      for (let r = 0; r < R; r++) for (let c = 0; c < Cc; c++) expect(d[c * R + r]).toBe(s[r * Cc + c]);
    }
  });
});

describe.each(BUILDS)('ladder kernels (%s): rows and optimizer', (build) => {
  it('gatherRows (+ bias) and scatterAddRows do exactly the f32 operations of a one-hot product', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('gather');
    const [V, N, n] = [5, 10, 13];
    const [table, tv] = randomMat(k, rng, V, N);
    const [bias, bv] = randomMat(k, rng, 1, N);
    const idsArr = Array.from({ length: n }, () => Math.floor(rng() * V));
    const ids = k.allocI32(n);
    k.writeI32(ids, idsArr);
    const out = k.alloc(n, N);
    k.gatherRows(out, ids, table, bias);
    const got = k.read(out);
    for (let r = 0; r < n; r++) for (let c = 0; c < N; c++) expect(got[r * N + c]).toBe(Math.fround(tv[idsArr[r] * N + c] + bv[c]));
    const [src, sv] = randomMat(k, rng, n, N);
    k.scatterAddRows(table, ids, src);
    const want = Float64Array.from(tv);
    for (let r = 0; r < n; r++) for (let c = 0; c < N; c++) want[idsArr[r] * N + c] = Math.fround(want[idsArr[r] * N + c] + sv[r * N + c]);
    expect(Array.from(k.read(table))).toEqual(Array.from(want));
  });

  it('sumRows: column sums within the summation bound', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('sumrows');
    const [M, N] = [23, 9];
    const [A, a] = randomMat(k, rng, M, N);
    const out = k.alloc(1, N);
    k.sumRows(out, A);
    const exact = new Float64Array(N);
    const abs = new Float64Array(N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      exact[n] += a[m * N + n];
      abs[n] += Math.abs(a[m * N + n]);
    }
    expectWithinSumBound(k.read(out), exact, abs, M);
  });

  it('softmaxXent: loss and scale·(p - onehot) as in Float64 (exp relative error ~1e-7)', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('xent');
    const [M, V, scale] = [11, 7, 1 / 11];
    const [Y, y] = randomMat(k, rng, M, V, 3);
    const tg = Array.from({ length: M }, () => Math.floor(rng() * V));
    const targets = k.allocI32(M);
    k.writeI32(targets, tg);
    const nats = k.softmaxXent(Y, targets, scale);
    const d = k.read(Y);
    let exactNats = 0;
    for (let m = 0; m < M; m++) {
      const row = y.subarray(m * V, (m + 1) * V);
      const mx = Math.max(...row);
      const s = row.reduce((acc, v) => acc + Math.exp(v - mx), 0);
      exactNats += Math.log(s) - (row[tg[m]] - mx);
      for (let v = 0; v < V; v++) {
        const want = scale * (Math.exp(row[v] - mx) / s - (v === tg[m] ? 1 : 0));
        expect(Math.abs(d[m * V + v] - want)).toBeLessThan(1e-6 * scale);
      }
    }
    // each row's -ln p carries an absolute error of about 1e-7 (exp, and the f32 sum of V terms)
    expect(Math.abs(nats - exactNats)).toBeLessThan(1e-6 * M);
    expect(k.view(Y)[V]).toBe(0); // a padding lane of row 0
  });

  it('sumSquares (the global norm) within the f32 bound of its 1024-float blocks', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('norm');
    const [X, x] = randomMat(k, rng, 1, 5001);
    const exact = x.reduce((a, v) => a + v * v, 0);
    // each lane sums at most 1024/8 squares in f32 before the f64 total: far inside 1024·u
    expect(Math.abs(k.sumSquares(X) - exact)).toBeLessThan(1024 * U * exact);
  });

  it('adam: three steps of torch.optim.Adam with a scaled gradient, as in Float64', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('adam');
    const n = 37;
    const [W, w0] = randomMat(k, rng, 1, n);
    const [G] = randomMat(k, rng, 1, n);
    const M = k.alloc(1, n);
    const V = k.alloc(1, n);
    const w = Float64Array.from(w0);
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    const [lr, b1, b2, eps, gs] = [2e-3, 0.9, 0.999, 1e-8, 0.7];
    for (let step = 1; step <= 3; step++) {
      const g = randomF32(rng, n);
      k.write(G, g);
      k.adam(W, G, M, V, { lr, step, beta1: b1, beta2: b2, eps, gradScale: gs });
      for (let i = 0; i < n; i++) {
        const gi = g[i] * gs;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** step) + eps;
        w[i] -= (lr / (1 - b1 ** step)) * (m[i] / denom);
      }
    }
    // w and each step carry a handful of f32 roundings (u ≈ 6e-8): 1e-6·(|w| + lr) is ~8u of each
    const got = k.read(W);
    for (let i = 0; i < n; i++) expect(Math.abs(got[i] - w[i])).toBeLessThan(1e-6 * (Math.abs(w[i]) + lr));
  });

  it('clipValues, adagrad and rmsprop (assembly/optim.ts): src/optim\'s updates, as in Float64', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('optim');
    const n = 37;
    for (const opt of ['adagrad', 'rmsprop'] as const) {
      const [W, w0] = randomMat(k, rng, 1, n);
      const [G] = randomMat(k, rng, 1, n);
      const M = k.alloc(1, n);
      const w = Float64Array.from(w0);
      const m = new Float64Array(n);
      const [lr, gs, c] = [0.05, 0.7, 0.8];
      for (let step = 0; step < 3; step++) {
        const g = randomF32(rng, n);
        k.write(G, g);
        k.clipValues(G, c);
        expect(k.read(G)).toEqual(g.map((x) => Math.min(c, Math.max(-c, x)).valueOf()).map(Math.fround));
        if (opt === 'adagrad') k.adagrad(W, G, M, lr, 1e-8, gs);
        else k.rmsprop(W, G, M, lr, 0.95, 1e-8, gs);
        for (let i = 0; i < n; i++) {
          const gi = Math.min(c, Math.max(-c, g[i])) * gs;
          m[i] = opt === 'adagrad' ? m[i] + gi * gi : 0.95 * m[i] + 0.05 * gi * gi;
          w[i] -= opt === 'adagrad' ? (lr * gi) / Math.sqrt(m[i] + 1e-8) : (lr * gi) / (Math.sqrt(m[i]) + 1e-8);
        }
      }
      // each step is lr·g/√m: a handful of f32 roundings, bounded by 1e-6·(|w| + 5·lr) (rmsprop's steps reach ~4.5·lr)
      const got = k.read(W);
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - w[i])).toBeLessThan(1e-6 * (Math.abs(w[i]) + 5 * lr));
    }
    const [N] = randomMat(k, rng, 1, 5);
    k.view(N)[2] = NaN;
    k.clipValues(N, 1);
    expect(k.read(N)[2]).toBeNaN(); // a diverged gradient stays visible
  });

  it('softmaxRow: softmax(y·invT) of one row, as in Float64 (exp relative error ~1e-7)', () => {
    const k = new LadderKernels(build);
    const rng = makeRng('softmaxRow');
    const [Y, y] = randomMat(k, rng, 3, 13, 3);
    for (const invT of [1, 0.5, 2]) {
      k.write(Y, y);
      k.softmaxRow(Y, 1, invT);
      const row = y.subarray(13, 26);
      const mx = Math.max(...row);
      const e = row.map((v) => Math.exp((v - mx) * invT));
      const sum = e.reduce((a, b) => a + b, 0);
      const got = k.read(Y);
      for (let j = 0; j < 13; j++) expect(Math.abs(got[13 + j] - e[j] / sum)).toBeLessThan(1e-6 * (e[j] / sum) + 1e-9);
      expect(got.subarray(0, 13)).toEqual(y.subarray(0, 13)); // other rows untouched
    }
  });
});

// ---- the LSTM: a Float64 oracle -----------------------------------------------------------------

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface CellSeq {
  gates: Float64Array; // T·B × 4H (i, f, g, o)
  hs: Float64Array; // (T+1)·B × H
  cs: Float64Array;
}

/** PyTorch's LSTM over T steps of B streams: z = zin_t + h_{t-1}·W_hhᵀ; gates; c; h. */
function cellForwardOracle(T: number, B: number, H: number, zin: Float64Array, Whh: Float64Array, h0: Float64Array, c0: Float64Array): CellSeq {
  const G = 4 * H;
  const gates = new Float64Array(T * B * G);
  const hs = new Float64Array((T + 1) * B * H);
  const cs = new Float64Array((T + 1) * B * H);
  hs.set(h0);
  cs.set(c0);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      const hp = hs.subarray(r * H, r * H + H);
      for (let u = 0; u < G; u++) {
        let z = zin[r * G + u];
        for (let j = 0; j < H; j++) z += Whh[u * H + j] * hp[j];
        gates[r * G + u] = u >= 2 * H && u < 3 * H ? Math.tanh(z) : sigmoid(z);
      }
      for (let j = 0; j < H; j++) {
        const [i, f, g, o] = [0, 1, 2, 3].map((q) => gates[r * G + q * H + j]);
        const c = f * cs[r * H + j] + i * g;
        cs[(r + B) * H + j] = c;
        hs[(r + B) * H + j] = o * Math.tanh(c);
      }
    }
  }
  return { gates, hs, cs };
}

/** Its backward given ∂loss/∂h_t (dH) from above: dz (T·B × 4H) and ∂loss/∂h_0, ∂loss/∂c_0. */
function cellBackwardOracle(T: number, B: number, H: number, f: CellSeq, Whh: Float64Array, dH: Float64Array) {
  const G = 4 * H;
  const dz = new Float64Array(T * B * G);
  let dh = new Float64Array(B * H);
  const dc = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
    const dhPrev = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      for (let j = 0; j < H; j++) {
        const [i, fg, g, o] = [0, 1, 2, 3].map((q) => f.gates[r * G + q * H + j]);
        const tc = Math.tanh(f.cs[(r + B) * H + j]);
        const dhj = dH[r * H + j] + dh[b * H + j];
        const dcj = dc[b * H + j] + dhj * o * (1 - tc * tc);
        dz[r * G + j] = dcj * g * i * (1 - i);
        dz[r * G + H + j] = dcj * f.cs[r * H + j] * fg * (1 - fg);
        dz[r * G + 2 * H + j] = dcj * i * (1 - g * g);
        dz[r * G + 3 * H + j] = dhj * tc * o * (1 - o);
        dc[b * H + j] = dcj * fg;
      }
      for (let u = 0; u < G; u++) for (let j = 0; j < H; j++) dhPrev[b * H + j] += dz[r * G + u] * Whh[u * H + j];
    }
    dh = dhPrev;
  }
  return { dz, dh, dc };
}

/** The whole model of ladderLstm.ts in Float64: mean cross-entropy and every gradient. */
function modelOracle(V: number, H: number, B: number, T: number, p: LstmParams, x: number[], y: number[], h0: Float64Array, c0: Float64Array) {
  const G = 4 * H;
  const zin = new Float64Array(T * B * G);
  for (let r = 0; r < T * B; r++) for (let u = 0; u < G; u++) zin[r * G + u] = p.Wih[u * V + x[r]] + p.b[u];
  const f = cellForwardOracle(T, B, H, zin, p.Whh, h0, c0);
  const n = T * B;
  const g: LstmParams = { Wih: new Float64Array(G * V), Whh: new Float64Array(G * H), b: new Float64Array(G), Why: new Float64Array(V * H), by: new Float64Array(V) };
  const dH = new Float64Array(n * H);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const h = f.hs.subarray((r + B) * H, (r + B + 1) * H);
    const logits = Array.from({ length: V }, (_, v) => p.by[v] + h.reduce((a, hj, j) => a + p.Why[v * H + j] * hj, 0));
    const mx = Math.max(...logits);
    const s = logits.reduce((a, l) => a + Math.exp(l - mx), 0);
    loss += Math.log(s) - (logits[y[r]] - mx);
    for (let v = 0; v < V; v++) {
      const d = (Math.exp(logits[v] - mx) / s - (v === y[r] ? 1 : 0)) / n;
      g.by[v] += d;
      for (let j = 0; j < H; j++) {
        g.Why[v * H + j] += d * h[j];
        dH[r * H + j] += d * p.Why[v * H + j];
      }
    }
  }
  const bw = cellBackwardOracle(T, B, H, f, p.Whh, dH);
  for (let r = 0; r < n; r++) {
    for (let u = 0; u < G; u++) {
      const d = bw.dz[r * G + u];
      g.b[u] += d;
      g.Wih[u * V + x[r]] += d;
      for (let j = 0; j < H; j++) g.Whh[u * H + j] += d * f.hs[r * H + j];
    }
  }
  return { loss: loss / n, grads: g, f, bw };
}

const PARAM_KEYS = ['Wih', 'Whh', 'b', 'Why', 'by'] as const;

/** PyTorch-layout rows of `gates` blocks of H → kernel rows of `gates` blocks of Hp (padding zero). */
function toGateLayout(src: Float64Array, rows: number, H: number, Hp: number, gates = 4): Float64Array {
  const out = new Float64Array(rows * gates * Hp);
  for (let r = 0; r < rows; r++) for (let q = 0; q < gates; q++) for (let j = 0; j < H; j++) out[r * gates * Hp + q * Hp + j] = src[r * gates * H + q * H + j];
  return out;
}
/** The inverse of toGateLayout: the padding dropped. */
function fromGateLayout(src: Float64Array, rows: number, H: number, Hp: number, gates = 4): Float64Array {
  const out = new Float64Array(rows * gates * H);
  for (let r = 0; r < rows; r++) for (let q = 0; q < gates; q++) for (let j = 0; j < H; j++) out[r * gates * H + q * H + j] = src[r * gates * Hp + q * Hp + j];
  return out;
}

describe.each(BUILDS)('ladder kernels (%s): the LSTM chunk', (build) => {
  // [T, B, H]: H = 7 pads to 8, H = 13 to 16, B odd; H = 4 has no padding
  const CASES: [number, number, number][] = [
    [5, 3, 7],
    [4, 1, 13],
    [3, 5, 4],
  ];
  it.each(CASES)('lstmForward and lstmBackward T=%i B=%i H=%i: gates, h, c, dz, dh_0, dc_0 within 1e-5', (T, B, H) => {
    const k = new LadderKernels(build);
    const rng = makeRng(`lstm:${T}:${B}:${H}`);
    const Hp = (H + 3) & ~3;
    const G = 4 * H;
    const zin = randomF32(rng, T * B * G, 0.8);
    const Whh = randomF32(rng, G * H, 0.4);
    const h0 = randomF32(rng, B * H, 0.5);
    const c0 = randomF32(rng, B * H, 0.5);
    const dHv = randomF32(rng, T * B * H, 0.3);
    const want = cellForwardOracle(T, B, H, zin, Whh, h0, c0);
    const back = cellBackwardOracle(T, B, H, want, Whh, dHv);

    const Z = k.alloc(T * B, 4 * Hp);
    k.write(Z, toGateLayout(zin, T * B, H, Hp));
    const Wk = k.alloc(4 * Hp, H);
    k.write(Wk, fromRowsToGateRows(Whh, H, Hp));
    const WT = k.alloc(H, 4 * Hp);
    k.transpose(WT, Wk);
    const WkP = k.allocPacked(Wk);
    k.packRows4(WkP, Wk);
    const WTP = k.allocPacked(WT);
    k.packRows4(WTP, WT);
    const hs = k.alloc((T + 1) * B, H);
    const cs = k.alloc((T + 1) * B, H);
    k.write(k.rowsOf(hs, 0, B), h0);
    k.write(k.rowsOf(cs, 0, B), c0);
    const hT = k.alloc(Hp, T * B);
    k.lstmForward(T, B, Z, WkP, hs, cs, hT);
    expect(relErr(fromGateLayout(k.read(Z), T * B, H, Hp), want.gates)).toBeLessThan(1e-5);
    expect(relErr(k.read(hs), want.hs)).toBeLessThan(1e-5);
    expect(relErr(k.read(cs), want.cs)).toBeLessThan(1e-5);
    // hT: h_{t-1} transposed, exactly (a copy)
    const hsv = k.read(hs);
    const hTv = k.read(hT);
    for (let r = 0; r < T * B; r++) for (let j = 0; j < H; j++) expect(hTv[j * T * B + r]).toBe(hsv[r * H + j]);

    const dH = k.alloc(T * B, H);
    k.write(dH, dHv);
    const dh = k.alloc(B, H);
    const dc = k.alloc(B, H);
    const ZT = k.alloc(4 * Hp, T * B);
    k.lstmBackward(T, B, Z, WTP, hs, cs, dH, dh, dc, ZT);
    expect(relErr(fromGateLayout(k.read(Z), T * B, H, Hp), back.dz)).toBeLessThan(1e-5);
    const zv = k.read(Z);
    const ztv = k.read(ZT);
    for (let r = 0; r < T * B; r++) for (let u = 0; u < 4 * Hp; u++) expect(ztv[u * T * B + r]).toBe(zv[r * 4 * Hp + u]);
    expect(relErr(k.read(dh), back.dh)).toBeLessThan(1e-5);
    expect(relErr(k.read(dc), back.dc)).toBeLessThan(1e-5);
  });

  /** W_hh's 4H rows placed at the kernel's gate rows (block q at row q·Hp). */
  function fromRowsToGateRows(W: Float64Array, H: number, Hp: number): Float64Array {
    const out = new Float64Array(4 * Hp * H);
    for (let q = 0; q < 4; q++) for (let j = 0; j < H; j++) for (let i = 0; i < H; i++) out[(q * Hp + j) * H + i] = W[(q * H + j) * H + i];
    return out;
  }

  // [V, H, B, T]
  const MODELS: [number, number, number, number][] = [
    [11, 13, 3, 6],
    [54, 9, 5, 4],
    [6, 4, 1, 3],
  ];
  it.each(MODELS)('FastLstm V=%i H=%i B=%i T=%i: loss and every gradient from a carried state within 1e-5', (V, H, B, T) => {
    const rng = makeRng(`model:${V}:${H}`);
    const p = initLstmParams(V, H, rng);
    for (const key of PARAM_KEYS) p[key] = p[key].map((v) => Math.fround(v * 3)); // larger than init: non-linear
    const x = Array.from({ length: T * B }, () => Math.floor(rng() * V));
    const y = Array.from({ length: T * B }, () => Math.floor(rng() * V));
    const h0 = randomF32(rng, B * H, 0.5);
    const c0 = randomF32(rng, B * H, 0.5);
    const m = new FastLstm({ vocab: V, hidden: H, batch: B, unroll: T, lr: 2e-3, clipNorm: 5, build }, p);
    m.setState(h0, c0);
    const loss = m.forwardBackward(x, y);
    const want = modelOracle(V, H, B, T, p, x, y, h0, c0);
    expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
    const grads = m.exportGrads();
    for (const key of PARAM_KEYS) expect(relErr(grads[key], want.grads[key]), key).toBeLessThan(1e-5);
    // the parameters are untouched until update()
    for (const key of PARAM_KEYS) expect(Array.from(m.exportParams()[key])).toEqual(Array.from(p[key]));
  });

  it('FastLstm training steps (global-norm clip, Adam, carried state) move the parameters as Float64 does', () => {
    const [V, H, B, T] = [9, 6, 3, 5];
    const rng = makeRng('train');
    const p0 = initLstmParams(V, H, rng);
    for (const key of PARAM_KEYS) p0[key] = p0[key].map((v) => Math.fround(v * 3));
    const clipNorm = 0.05; // small, so the clip is active
    const lr = 1e-2;
    const m = new FastLstm({ vocab: V, hidden: H, batch: B, unroll: T, lr, clipNorm, build }, p0);
    const p: LstmParams = { ...p0 };
    const mom = PARAM_KEYS.map((key) => new Float64Array(p0[key].length));
    const vel = PARAM_KEYS.map((key) => new Float64Array(p0[key].length));
    let h: Float64Array = new Float64Array(B * H);
    let c: Float64Array = new Float64Array(B * H);
    for (let step = 1; step <= 3; step++) {
      const x = Array.from({ length: T * B }, () => Math.floor(rng() * V));
      const y = Array.from({ length: T * B }, () => Math.floor(rng() * V));
      const want = modelOracle(V, H, B, T, p, x, y, h, c);
      const loss = m.trainStep(x, y);
      expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-6); // observed ~5e-8
      const norm = Math.sqrt(PARAM_KEYS.reduce((a, key) => a + want.grads[key].reduce((s, g) => s + g * g, 0), 0));
      const scale = Math.min(1, clipNorm / (norm + 1e-6));
      expect(scale).toBeLessThan(1);
      PARAM_KEYS.forEach((key, n) => {
        p[key] = p[key].map((w, i) => {
          const g = want.grads[key][i] * scale;
          mom[n][i] = 0.9 * mom[n][i] + 0.1 * g;
          vel[n][i] = 0.999 * vel[n][i] + 0.001 * g * g;
          return w - (lr / (1 - 0.9 ** step)) * (mom[n][i] / (Math.sqrt(vel[n][i]) / Math.sqrt(1 - 0.999 ** step) + 1e-8));
        });
      });
      h = want.f.hs.slice(T * B * H);
      c = want.f.cs.slice(T * B * H);
    }
    const got = m.exportParams();
    for (const key of PARAM_KEYS) {
      const dGot = got[key].map((v, i) => v - p0[key][i]);
      const dWant = p[key].map((v, i) => v - p0[key][i]);
      // Adam's early steps are ≈ ±lr whatever the gradient's size, so an f32 error in a gradient
      // element near 0 moves its update by a visible fraction of lr (observed up to 1e-5 of the
      // largest move, against 4e-7 for the gradients themselves)
      expect(relErr(dGot, dWant), key).toBeLessThan(1e-4);
    }
    const state = m.exportState();
    expect(relErr(state.h, h)).toBeLessThan(1e-5);
    expect(relErr(state.c, c)).toBeLessThan(1e-5);
  });

  it('FastLstm is deterministic: the same parameters and chunks give bitwise-identical results', () => {
    const [V, H, B, T] = [7, 10, 3, 4];
    const p0 = initLstmParams(V, H, makeRng('det'));
    const rng = makeRng('det-data');
    const chunks = Array.from({ length: 3 }, () => [0, 1].map(() => Array.from({ length: T * B }, () => Math.floor(rng() * V))));
    const runs = [0, 1].map(() => {
      const m = new FastLstm({ vocab: V, hidden: H, batch: B, unroll: T, lr: 1e-2, clipNorm: 1, build }, p0);
      const losses = chunks.map(([x, y]) => m.trainStep(x, y));
      return { losses, params: m.exportParams(), state: m.exportState() };
    });
    expect(runs[1].losses).toEqual(runs[0].losses);
    for (const key of PARAM_KEYS) expect(Array.from(runs[1].params[key]), key).toEqual(Array.from(runs[0].params[key]));
    expect(Array.from(runs[1].state.h)).toEqual(Array.from(runs[0].state.h));
  });

  it('rejects ids outside the vocabulary and chunks of the wrong length', () => {
    const m = new FastLstm({ vocab: 5, hidden: 4, batch: 2, unroll: 3, lr: 1e-3, clipNorm: 5, build }, initLstmParams(5, 4, makeRng(1)));
    expect(() => m.forwardBackward([0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 0, 0])).toThrow(/x\[5\] = 5 is outside the vocabulary/);
    expect(() => m.forwardBackward([0, 1, 2], [0, 1, 2])).toThrow(/3 ids, expected unroll × batch = 6/);
  });
});

// ---- the GRU: a Float64 oracle ------------------------------------------------------------------

/** PyTorch's GRU over T steps: gh = h·W_hhᵀ + b_hh; r, z, n; h' = (1-z)⊙n + z⊙h. */
function gruForwardOracle(T: number, B: number, H: number, gx: Float64Array, Whh: Float64Array, bhh: Float64Array, h0: Float64Array) {
  const G = 3 * H;
  const gates = new Float64Array(T * B * G);
  const gh = new Float64Array(T * B * G);
  const hs = new Float64Array((T + 1) * B * H);
  hs.set(h0);
  for (let r = 0; r < T * B; r++) {
    for (let u = 0; u < G; u++) {
      let s = bhh[u];
      for (let j = 0; j < H; j++) s += Whh[u * H + j] * hs[r * H + j];
      gh[r * G + u] = s;
    }
    for (let j = 0; j < H; j++) {
      const rg = sigmoid(gx[r * G + j] + gh[r * G + j]);
      const z = sigmoid(gx[r * G + H + j] + gh[r * G + H + j]);
      const n = Math.tanh(gx[r * G + 2 * H + j] + rg * gh[r * G + 2 * H + j]);
      gates[r * G + j] = rg;
      gates[r * G + H + j] = z;
      gates[r * G + 2 * H + j] = n;
      hs[(r + B) * H + j] = (1 - z) * n + z * hs[r * H + j];
    }
  }
  return { gates, gh, hs };
}

/** Its backward: ∂loss/∂gx, ∂loss/∂gh (T·B × 3H) and ∂loss/∂h_0 given ∂loss/∂h_t from above. */
function gruBackwardOracle(T: number, B: number, H: number, f: ReturnType<typeof gruForwardOracle>, Whh: Float64Array, dH: Float64Array) {
  const G = 3 * H;
  const dgx = new Float64Array(T * B * G);
  const dgh = new Float64Array(T * B * G);
  let dh = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
    const next = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      for (let j = 0; j < H; j++) {
        const [rg, z, n] = [0, 1, 2].map((q) => f.gates[r * G + q * H + j]);
        const d = dH[r * H + j] + dh[b * H + j];
        const dan = d * (1 - z) * (1 - n * n);
        const dar = dan * f.gh[r * G + 2 * H + j] * rg * (1 - rg);
        const daz = d * (f.hs[r * H + j] - n) * z * (1 - z);
        [dgx[r * G + j], dgx[r * G + H + j], dgx[r * G + 2 * H + j]] = [dar, daz, dan];
        [dgh[r * G + j], dgh[r * G + H + j], dgh[r * G + 2 * H + j]] = [dar, daz, rg * dan];
        next[b * H + j] += d * z;
      }
      for (let u = 0; u < G; u++) for (let j = 0; j < H; j++) next[b * H + j] += dgh[r * G + u] * Whh[u * H + j];
    }
    dh = next;
  }
  return { dgx, dgh, dh };
}

/** The GRU's 3H-wide rows (r, z, n) in the kernels' layout, and back. */
const to3 = (src: Float64Array, rows: number, H: number, Hp: number) => toGateLayout(src, rows, H, Hp, 3);
const from3 = (src: Float64Array, rows: number, H: number, Hp: number) => fromGateLayout(src, rows, H, Hp, 3);

describe.each(BUILDS)('ladder kernels (%s): the GRU chunk', (build) => {
  const CASES: [number, number, number][] = [
    [5, 3, 7],
    [4, 1, 13],
    [3, 5, 4],
  ];
  it.each(CASES)('gruForward and gruBackward T=%i B=%i H=%i: gates, gh, h, ∂gx, ∂gh, dh_0 within 1e-5', (T, B, H) => {
    const k = new LadderKernels(build);
    const rng = makeRng(`gru:${T}:${B}:${H}`);
    const Hp = (H + 3) & ~3;
    const G = 3 * H;
    const gx = randomF32(rng, T * B * G, 0.8);
    const Whh = randomF32(rng, G * H, 0.4);
    const bhh = randomF32(rng, G, 0.3);
    const h0 = randomF32(rng, B * H, 0.5);
    const dHv = randomF32(rng, T * B * H, 0.3);
    const want = gruForwardOracle(T, B, H, gx, Whh, bhh, h0);
    const back = gruBackwardOracle(T, B, H, want, Whh, dHv);

    const X = k.alloc(T * B, 3 * Hp);
    k.write(X, to3(gx, T * B, H, Hp));
    const GH = k.alloc(T * B, 3 * Hp);
    const W = k.alloc(3 * Hp, H); // gate rows q·Hp + j
    const Wv = new Float64Array(3 * Hp * H);
    for (let q = 0; q < 3; q++) for (let j = 0; j < H; j++) for (let i = 0; i < H; i++) Wv[(q * Hp + j) * H + i] = Whh[(q * H + j) * H + i];
    k.write(W, Wv);
    const WT = k.alloc(H, 3 * Hp);
    k.transpose(WT, W);
    const WP = k.allocPacked(W);
    k.packRows4(WP, W);
    const WTP = k.allocPacked(WT);
    k.packRows4(WTP, WT);
    const b = k.alloc(1, 3 * Hp);
    k.write(b, to3(bhh, 1, H, Hp));
    const hs = k.alloc((T + 1) * B, H);
    k.write(k.rowsOf(hs, 0, B), h0);
    const hT = k.alloc(Hp, T * B);
    k.gruForward(T, B, X, GH, WP, b, hs, hT);
    expect(relErr(from3(k.read(X), T * B, H, Hp), want.gates)).toBeLessThan(1e-5);
    expect(relErr(from3(k.read(GH), T * B, H, Hp), want.gh)).toBeLessThan(1e-5);
    expect(relErr(k.read(hs), want.hs)).toBeLessThan(1e-5);
    const hsv = k.read(hs);
    const hTv = k.read(hT);
    for (let r = 0; r < T * B; r++) for (let j = 0; j < H; j++) expect(hTv[j * T * B + r]).toBe(hsv[r * H + j]);

    const dH = k.alloc(T * B, H);
    k.write(dH, dHv);
    const dh = k.alloc(B, H);
    const GHT = k.alloc(3 * Hp, T * B);
    k.gruBackward(T, B, X, GH, WTP, hs, dH, dh, GHT);
    expect(relErr(from3(k.read(X), T * B, H, Hp), back.dgx)).toBeLessThan(1e-5);
    expect(relErr(from3(k.read(GH), T * B, H, Hp), back.dgh)).toBeLessThan(1e-5);
    expect(relErr(k.read(dh), back.dh)).toBeLessThan(1e-5);
    const ghv = k.read(GH);
    const ghtv = k.read(GHT);
    for (let r = 0; r < T * B; r++) for (let u = 0; u < 3 * Hp; u++) expect(ghtv[u * T * B + r]).toBe(ghv[r * 3 * Hp + u]);
  });
});
