/**
 * The kernel interface (src/backend/kernels.ts) as every implementation here provides it — the
 * WebAssembly kernels (SIMD128, and relaxed SIMD where the runtime accepts it) and the native ones
 * for each ISA this CPU runs (test/helpers/backends.ts) — against plain Float64 computations, on
 * shapes that are not multiples of 4 or 16 (so every padded edge and every block remainder runs).
 *
 * Needs build/kernels.wasm and build/Release/charlab_native.node: `npm ci` builds both (`npm test`
 * rebuilds the wasm); without the native addon its cases are left out (test/native.test.ts says so).
 *
 * Tolerances. u = 2^-24 is the unit roundoff of f32. The inputs are rounded to f32 before the
 * Float64 reference sees them, so only the kernels' arithmetic is measured:
 * - a sum of n products computed in f32 in any order (blocked, with or without fused
 *   multiply-add) is within γ_n·Σ|terms| ≈ n·u·Σ|terms| of the exact sum (Higham, Accuracy and
 *   Stability of Numerical Algorithms, §3.1); the products are checked element by element against
 *   that bound, with n = the number of terms + 2 (bias, accumulated value);
 * - gathers and scatter-adds are exact (compared with the same f32 operations in the same order,
 *   Math.fround);
 * - the cells chain tanh/exp approximations (absolute error ~1e-7, the same polynomials in every
 *   implementation) through the recurrence; they use the models' metric, relErr(a, b) =
 *   max|a - b| / max|b| per tensor, under 1e-5 (observed 1e-7..6e-7 for outputs, states and
 *   gradients).
 */
import { describe, expect, it } from 'vitest';
import {
  GATES,
  RNG_STATE_INTS,
  type CellBuffers,
  type CellKind,
  type Kernels,
  type Mat,
} from '../src/backend/kernels.js';
import { WasmKernels } from '../src/backend/wasmKernels.js';
import { gaussian, makeRng, makeSavableRng, type Rng } from '../src/util/rng.js';
import { KERNEL_IMPLS } from './helpers/backends.js';
import { relErr } from './helpers/relErr.js';

const U = 2 ** -24;

/** n values N(0, scale²), rounded to f32. */
function randomF32(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(gaussian(rng) * scale));
}

/** A matrix in kernel memory filled with random f32 values; returns it and its values. */
function randomMat(k: Kernels, rng: Rng, rows: number, cols: number, scale = 1): [Mat, Float64Array] {
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

/** Σ_j term(m, n, j) over j < K in Float64, and Σ |term|, for every (m, n), starting from init(m, n). */
function exactProduct(
  M: number,
  N: number,
  K: number,
  term: (m: number, n: number, j: number) => number,
  init: (m: number, n: number) => number,
) {
  const exact = new Float64Array(M * N);
  const abs = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = init(m, n);
      let t = Math.abs(s);
      for (let j = 0; j < K; j++) {
        const x = term(m, n, j);
        s += x;
        t += Math.abs(x);
      }
      exact[m * N + n] = s;
      abs[m * N + n] = t;
    }
  }
  return { exact, abs };
}

const SHAPES: [number, number, number][] = [
  // [M, N, K]: one of each remainder, a single element, and the cells' own shapes scaled down
  [7, 13, 11],
  [33, 5, 54],
  [1, 1, 1],
  [3, 6, 2],
  [32, 30, 17],
  [5, 3, 130],
  [13, 70, 9],
];

describe.each(KERNEL_IMPLS)('kernels (%s): matrix products', (_name, make) => {
  it.each(SHAPES)('gemmPacked ABt M=%i N=%i K=%i: Y = A·Wᵀ + bias (+ Y) within the f32 summation bound', (M, N, K) => {
    const k = make();
    const rng = makeRng(`abt:${M}:${N}:${K}`);
    const [A, a] = randomMat(k, rng, M, K);
    const [W, w] = randomMat(k, rng, N, K);
    const [bias, bv] = randomMat(k, rng, 1, N);
    const [Y, y0] = randomMat(k, rng, M, N);
    const Wp = k.allocPacked(W, 'ABt');
    k.pack(Wp, W);
    for (const accumulate of [false, true]) {
      k.write(Y, y0);
      k.gemmPacked(Y, A, Wp, { bias, accumulate });
      const { exact, abs } = exactProduct(
        M,
        N,
        K,
        (m, n, j) => a[m * K + j] * w[n * K + j],
        (m, n) => bv[n] + (accumulate ? y0[m * N + n] : 0),
      );
      expectWithinSumBound(k.read(Y), exact, abs, K + 2);
    }
  });

  it.each(SHAPES)(
    'gemmPacked AB, gemmAB and gemmAtB M=%i N=%i K=%i: C = A·B, Aᵀ·B (+ C) within the bound',
    (M, N, K) => {
      const k = make();
      const rng = makeRng(`ab:${M}:${N}:${K}`);
      const [A, a] = randomMat(k, rng, M, K);
      const [At, at] = randomMat(k, rng, K, M);
      const [B, b] = randomMat(k, rng, K, N);
      const [C, c0] = randomMat(k, rng, M, N);
      const Bp = k.allocPacked(B, 'AB');
      k.pack(Bp, B);
      for (const op of ['packed', 'ab', 'atb'] as const) {
        for (const accumulate of [false, true]) {
          k.write(C, c0);
          if (op === 'packed') k.gemmPacked(C, A, Bp, { accumulate });
          else if (op === 'ab') k.gemmAB(C, A, B, accumulate);
          else k.gemmAtB(C, At, B, accumulate);
          const left = (m: number, j: number) => (op === 'atb' ? at[j * M + m] : a[m * K + j]);
          const { exact, abs } = exactProduct(
            M,
            N,
            K,
            (m, n, j) => left(m, j) * b[j * N + n],
            (m, n) => (accumulate ? c0[m * N + n] : 0),
          );
          expectWithinSumBound(k.read(C), exact, abs, K + 2);
        }
      }
    },
  );

  it('the padding columns of the products stay zero (later products read them)', () => {
    const k = make();
    const rng = makeRng('pad');
    const [A] = randomMat(k, rng, 9, 7);
    const [B] = randomMat(k, rng, 7, 5);
    const C = k.alloc(9, 5);
    k.gemmAB(C, A, B);
    const v = k.view(C);
    for (let r = 0; r < 9; r++) for (let c = 5; c < C.ld; c++) expect(v[r * C.ld + c]).toBe(0);
  });

  it("pack ignores what lies past W's columns (W may be a window of a wider matrix)", () => {
    const k = make();
    const rng = makeRng('window');
    const [wide] = randomMat(k, rng, 6, 40);
    const window: Mat = { ...wide, cols: 5 }; // columns 5..39 are real data, not zero padding
    const narrow = k.alloc(6, 5);
    k.write(narrow, k.read(window));
    const [A] = randomMat(k, rng, 3, 5);
    const [Wp, Np] = [k.allocPacked(window, 'ABt'), k.allocPacked(narrow, 'ABt')];
    k.pack(Wp, window);
    k.pack(Np, narrow);
    const [Y1, Y2] = [k.alloc(3, 6), k.alloc(3, 6)];
    k.gemmPacked(Y1, A, Wp);
    k.gemmPacked(Y2, A, Np);
    expect(Array.from(k.read(Y1))).toEqual(Array.from(k.read(Y2)));
  });
});

describe('wasm kernels: the unpacked product and the transpose', () => {
  it('gemmABt (B unpacked) gives the bits of the packed form', () => {
    const k = new WasmKernels();
    const rng = makeRng('abt-unpacked');
    for (const [M, N, K] of SHAPES) {
      const [A] = randomMat(k, rng, M, K);
      const [W] = randomMat(k, rng, N, K);
      const [bias] = randomMat(k, rng, 1, N);
      const [Y1, Y2] = [k.alloc(M, N), k.alloc(M, N)];
      const Wp = k.allocPacked(W, 'ABt');
      k.pack(Wp, W);
      k.gemmPacked(Y1, A, Wp, { bias });
      k.gemmABt(Y2, A, W, { bias });
      expect(Array.from(k.read(Y2))).toEqual(Array.from(k.read(Y1)));
    }
  });

  it('transpose is exact, in blocks and at the edges', () => {
    const k = new WasmKernels();
    const rng = makeRng('transpose');
    for (const [R, Cc] of [
      [9, 6],
      [4, 8],
      [1, 5],
      [13, 1],
      [37, 22],
    ]) {
      const [S, s] = randomMat(k, rng, R, Cc);
      const D = k.alloc(Cc, R);
      k.transpose(D, S);
      const d = k.read(D);
      for (let r = 0; r < R; r++) for (let c = 0; c < Cc; c++) expect(d[c * R + r]).toBe(s[r * Cc + c]);
    }
  });
});

describe.each(KERNEL_IMPLS)('kernels (%s): rows and optimizer', (_name, make) => {
  /** A V × N table, a bias, n ids into the table and an n × N output, for the gather tests. */
  function gatherCase(k: Kernels, seed: string) {
    const rng = makeRng(seed);
    const [V, N, n] = [5, 10, 13];
    const [table, tv] = randomMat(k, rng, V, N);
    const [bias, bv] = randomMat(k, rng, 1, N);
    const idsArr = Array.from({ length: n }, () => Math.floor(rng() * V));
    const ids = k.allocI32(n);
    k.writeI32(ids, idsArr);
    return { rng, N, n, table, tv, bias, bv, idsArr, ids, out: k.alloc(n, N) };
  }

  it('gatherRows (+ bias) and scatterAddRows do exactly the f32 operations of a one-hot product', () => {
    const k = make();
    const { rng, N, n, table, tv, bias, bv, idsArr, ids, out } = gatherCase(k, 'gather');
    k.gatherRows(out, ids, table, bias);
    const got = k.read(out);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < N; c++) expect(got[r * N + c]).toBe(Math.fround(tv[idsArr[r] * N + c] + bv[c]));
    const [src, sv] = randomMat(k, rng, n, N);
    k.scatterAddRows(table, ids, src);
    const want = Float64Array.from(tv);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < N; c++) want[idsArr[r] * N + c] = Math.fround(want[idsArr[r] * N + c] + sv[r * N + c]);
    expect(Array.from(k.read(table))).toEqual(Array.from(want));
  });

  it("gatherRows and scatterAddRows with a scale per row (input dropout's mask): the f32 product, then the sum", () => {
    const k = make();
    const { rng, N, n, table, tv, bias, bv, idsArr, ids, out } = gatherCase(k, 'gather-scaled');
    const scales = k.alloc(1, n + 3); // longer than needed: only the first n are read
    const sv = Array.from({ length: n + 3 }, (_, r) => Math.fround(r % 3 === 0 ? 0 : 1 / (1 - 0.3)));
    k.write(scales, sv);
    k.gatherRows(out, ids, table, bias, scales);
    const got = k.read(out);
    // one rounding (a fused multiply-add) or two: within an ulp of the exact value either way
    for (let r = 0; r < n; r++)
      for (let c = 0; c < N; c++) {
        const exact = tv[idsArr[r] * N + c] * sv[r] + bv[c];
        expect(Math.abs(got[r * N + c] - exact)).toBeLessThanOrEqual(
          2 * U * (Math.abs(tv[idsArr[r] * N + c] * sv[r]) + Math.abs(bv[c])),
        );
      }
    const [src, srcv] = randomMat(k, rng, n, N);
    const before = k.read(table);
    k.scatterAddRows(table, ids, src, scales);
    const want = Float64Array.from(before);
    const bound = new Float64Array(want.length);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < N; c++) {
        const i = idsArr[r] * N + c;
        want[i] += srcv[r * N + c] * sv[r];
        bound[i] += 2 * U * (Math.abs(want[i]) + Math.abs(srcv[r * N + c] * sv[r]));
      }
    }
    const after = k.read(table);
    for (let i = 0; i < want.length; i++) expect(Math.abs(after[i] - want[i])).toBeLessThanOrEqual(bound[i]);
    expect(() => k.gatherRows(out, ids, table, bias, k.alloc(1, n - 1))).toThrow(/shapes do not fit/);
  });

  it("dropoutMask draws the reference's masks: seedrandom's doubles, bit for bit, and its state written back", () => {
    const k = make();
    const state = k.allocI32(RNG_STATE_INTS);
    const js = makeSavableRng('dropout:7');
    const s0 = js.state();
    k.writeI32(state, [...s0.S, s0.i, s0.j]);
    const out = k.alloc(9, 21);
    for (const [rows, cols, p] of [
      [9, 21, 0.3],
      [4, 7, 0.5],
      [1, 20, 0],
      [3, 5, 0.9],
    ] as const) {
      k.view(out).fill(-1);
      k.dropoutMask(out, rows, cols, p, state);
      const got = k.read(out);
      for (let r = 0; r < 9; r++) {
        for (let c = 0; c < 21; c++) {
          const want = r < rows && c < cols ? (js.next() < p ? 0 : Math.fround(1 / (1 - p))) : -1; // outside rows × cols: untouched
          expect(got[r * 21 + c]).toBe(want);
        }
      }
      const st = js.state();
      expect(Array.from(k.readI32(state, RNG_STATE_INTS))).toEqual([...st.S, st.i, st.j]);
    }
    expect(() => k.dropoutMask(out, 10, 21, 0.3, state)).toThrow(/shapes do not fit/);
    expect(() => k.dropoutMask(out, 1, 1, 1, state)).toThrow(/p must be in \[0, 1\)/);
  });

  it('sumRows: column sums within the summation bound', () => {
    const k = make();
    const rng = makeRng('sumrows');
    for (const [M, N] of [
      [23, 9],
      [300, 77],
    ]) {
      const [A, a] = randomMat(k, rng, M, N);
      const out = k.alloc(1, N);
      k.sumRows(out, A);
      const { exact, abs } = exactProduct(
        1,
        N,
        M,
        (_m, n, r) => a[r * N + n],
        () => 0,
      );
      expectWithinSumBound(k.read(out), exact, abs, M);
    }
  });

  it('softmaxXent: loss and scale·(p - onehot) as in Float64 (exp relative error ~1e-7)', () => {
    const k = make();
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

  it('sumSquares (the global norm) within the f32 bound of its blocks', () => {
    const k = make();
    const rng = makeRng('norm');
    const [X, x] = randomMat(k, rng, 1, 50001);
    const exact = x.reduce((a, v) => a + v * v, 0);
    // each lane sums at most 4096 squares in f32 before the f64 total
    expect(Math.abs(k.sumSquares(X) - exact)).toBeLessThan(4096 * U * exact);
  });

  it('adam: three steps of torch.optim.Adam with a scaled gradient, as in Float64', () => {
    const k = make();
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
      k.optimize(W, G, [M, V], { kind: 'adam', lr, step, beta1: b1, beta2: b2, eps, gradScale: gs });
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

  it("clipValues, adagrad and rmsprop: src/optim's updates, as in Float64; the optimizer's own clip is clipValues' bit for bit", () => {
    const k = make();
    const rng = makeRng('optim');
    const n = 37;
    for (const opt of ['adagrad', 'rmsprop'] as const) {
      const [W, w0] = randomMat(k, rng, 1, n);
      const [G] = randomMat(k, rng, 1, n);
      const M = k.alloc(1, n);
      const [W2, G2, M2] = [k.alloc(1, n), k.alloc(1, n), k.alloc(1, n)];
      k.write(W2, w0);
      const w = Float64Array.from(w0);
      const m = new Float64Array(n);
      const [lr, gs, c] = [0.05, 0.7, 0.8];
      for (let step = 0; step < 3; step++) {
        const g = randomF32(rng, n);
        k.write(G, g);
        k.write(G2, g);
        k.clipValues(G, c);
        expect(k.read(G)).toEqual(g.map((x) => Math.min(c, Math.max(-c, x)).valueOf()).map(Math.fround));
        k.optimize(W, G, [M], { kind: opt, lr, eps: 1e-8, alpha: 0.95, gradScale: gs });
        k.optimize(W2, G2, [M2], { kind: opt, lr, eps: 1e-8, alpha: 0.95, gradScale: gs, clip: c });
        for (let i = 0; i < n; i++) {
          const gi = Math.min(c, Math.max(-c, g[i])) * gs;
          m[i] = opt === 'adagrad' ? m[i] + gi * gi : 0.95 * m[i] + 0.05 * gi * gi;
          w[i] -= opt === 'adagrad' ? (lr * gi) / Math.sqrt(m[i] + 1e-8) : (lr * gi) / (Math.sqrt(m[i]) + 1e-8);
        }
      }
      // each step is lr·g/√m: a handful of f32 roundings, bounded by 1e-6·(|w| + 5·lr) (rmsprop's steps reach ~4.5·lr)
      const got = k.read(W);
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - w[i])).toBeLessThan(1e-6 * (Math.abs(w[i]) + 5 * lr));
      expect(Array.from(k.read(W2))).toEqual(Array.from(got));
    }
    // decoupled weight decay: w·decay first, then the update (decay 1 leaves every optimizer's bits as they were)
    for (const opt of ['adagrad', 'rmsprop', 'adam'] as const) {
      const [W, w0] = randomMat(k, rng, 1, n);
      const [G, g] = randomMat(k, rng, 1, n);
      const slots = opt === 'adam' ? [k.alloc(1, n), k.alloc(1, n)] : [k.alloc(1, n)];
      const [W1, G1, slots1] = [k.alloc(1, n), k.alloc(1, n), slots.map(() => k.alloc(1, n))];
      k.write(W1, w0);
      k.write(G1, g);
      const step = { kind: opt, lr: 0.05, eps: 1e-8, alpha: 0.95, step: 1 };
      k.optimize(W, G, slots, { ...step, decay: 0.9 });
      k.optimize(W1, G1, slots1, { ...step, decay: 1 });
      const [withDecay, plain] = [k.read(W), k.read(W1)];
      // the update is the same: w·0.9 − u against w − u, within f32 roundings of w
      for (let i = 0; i < n; i++)
        expect(Math.abs(withDecay[i] - (plain[i] - 0.1 * w0[i]))).toBeLessThan(
          4 * U * (Math.abs(w0[i]) + Math.abs(plain[i])),
        );
      const [W2, G2, slots2] = [k.alloc(1, n), k.alloc(1, n), slots.map(() => k.alloc(1, n))];
      k.write(W2, w0);
      k.write(G2, g);
      k.optimize(W2, G2, slots2, step);
      expect(Array.from(k.read(W2))).toEqual(Array.from(plain));
    }
    const [N] = randomMat(k, rng, 1, 5);
    k.view(N)[2] = NaN;
    k.clipValues(N, 1);
    expect(k.read(N)[2]).toBeNaN(); // a diverged gradient stays visible
  });

  it('softmaxRow: softmax(y·invT) of one row, as in Float64 (exp relative error ~1e-7)', () => {
    const k = make();
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

// ---- the cells: Float64 oracles ---------------------------------------------------------------------

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface Seq {
  gates: Float64Array; // T·B × nG·H
  gh: Float64Array; // GRU: T·B × 3H
  hs: Float64Array; // (T+1)·B × H
  cs: Float64Array;
}

/** z = zin_t + h_{t-1}·W_hᵀ (+ b_h for the GRU's gh) for one row r of T·B: the recurrent part of the pre-activations. */
function recurrent(G: number, H: number, Wh: Float64Array, h: Float64Array, bh?: Float64Array): Float64Array {
  return Float64Array.from({ length: G }, (_, u) => h.reduce((s, hj, j) => s + Wh[u * H + j] * hj, bh ? bh[u] : 0));
}

/** The cell over T steps of B streams in Float64 (PyTorch's equations; rnn: h = tanh(z)). */
function forwardOracle(
  kind: CellKind,
  T: number,
  B: number,
  H: number,
  zin: Float64Array,
  Wh: Float64Array,
  bh: Float64Array,
  h0: Float64Array,
  c0: Float64Array,
): Seq {
  const G = GATES[kind] * H;
  const s: Seq = {
    gates: new Float64Array(T * B * G),
    gh: new Float64Array(T * B * G),
    hs: new Float64Array((T + 1) * B * H),
    cs: new Float64Array((T + 1) * B * H),
  };
  s.hs.set(h0);
  s.cs.set(c0);
  for (let r = 0; r < T * B; r++) {
    const hp = s.hs.subarray(r * H, r * H + H);
    const rec = recurrent(G, H, Wh, hp, kind === 'gru' ? bh : undefined);
    const x = zin.subarray(r * G, r * G + G);
    const out = s.gates.subarray(r * G, r * G + G);
    for (let j = 0; j < H; j++) {
      if (kind === 'rnn') s.hs[(r + B) * H + j] = out[j] = Math.tanh(x[j] + rec[j]);
      else if (kind === 'lstm') {
        const [i, f, g, o] = [
          sigmoid(x[j] + rec[j]),
          sigmoid(x[H + j] + rec[H + j]),
          Math.tanh(x[2 * H + j] + rec[2 * H + j]),
          sigmoid(x[3 * H + j] + rec[3 * H + j]),
        ];
        [out[j], out[H + j], out[2 * H + j], out[3 * H + j]] = [i, f, g, o];
        s.cs[(r + B) * H + j] = f * s.cs[r * H + j] + i * g;
        s.hs[(r + B) * H + j] = o * Math.tanh(s.cs[(r + B) * H + j]);
      } else {
        const rg = sigmoid(x[j] + rec[j]);
        const z = sigmoid(x[H + j] + rec[H + j]);
        const n = Math.tanh(x[2 * H + j] + rg * rec[2 * H + j]);
        [out[j], out[H + j], out[2 * H + j]] = [rg, z, n];
        s.hs[(r + B) * H + j] = (1 - z) * n + z * hp[j];
      }
    }
    s.gh.set(rec, r * G);
  }
  return s;
}

/** Its backward given ∂loss/∂h_t from above: dz (GRU: ∂gx and ∂gh), ∂loss/∂h_0, ∂loss/∂c_0 and ∂W_h = Σ dzᵀ·h_{t−1}. */
function backwardOracle(kind: CellKind, T: number, B: number, H: number, f: Seq, Wh: Float64Array, dH: Float64Array) {
  const G = GATES[kind] * H;
  const dz = new Float64Array(T * B * G);
  const dgh = new Float64Array(T * B * G);
  let dh = new Float64Array(B * H);
  const dc = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
    const next = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      const q = f.gates.subarray(r * G, r * G + G);
      for (let j = 0; j < H; j++) {
        const d = dH[r * H + j] + dh[b * H + j];
        if (kind === 'rnn') dgh[r * G + j] = dz[r * G + j] = d * (1 - q[j] * q[j]);
        else if (kind === 'lstm') {
          const tc = Math.tanh(f.cs[(r + B) * H + j]);
          const dcj = dc[b * H + j] + d * q[3 * H + j] * (1 - tc * tc);
          dz[r * G + j] = dcj * q[2 * H + j] * q[j] * (1 - q[j]);
          dz[r * G + H + j] = dcj * f.cs[r * H + j] * q[H + j] * (1 - q[H + j]);
          dz[r * G + 2 * H + j] = dcj * q[j] * (1 - q[2 * H + j] ** 2);
          dz[r * G + 3 * H + j] = d * tc * q[3 * H + j] * (1 - q[3 * H + j]);
          dc[b * H + j] = dcj * q[H + j];
          for (const u of [0, 1, 2, 3]) dgh[r * G + u * H + j] = dz[r * G + u * H + j];
        } else {
          const [rg, z, n] = [q[j], q[H + j], q[2 * H + j]];
          const dan = d * (1 - z) * (1 - n * n);
          const dar = dan * f.gh[r * G + 2 * H + j] * rg * (1 - rg);
          const daz = d * (f.hs[r * H + j] - n) * z * (1 - z);
          [dz[r * G + j], dz[r * G + H + j], dz[r * G + 2 * H + j]] = [dar, daz, dan];
          [dgh[r * G + j], dgh[r * G + H + j], dgh[r * G + 2 * H + j]] = [dar, daz, rg * dan];
          next[b * H + j] += d * z;
        }
      }
      for (let u = 0; u < G; u++) for (let j = 0; j < H; j++) next[b * H + j] += dgh[r * G + u] * Wh[u * H + j];
    }
    dh = next;
  }
  const gWh = new Float64Array(G * H);
  for (let r = 0; r < T * B; r++)
    for (let u = 0; u < G; u++) for (let j = 0; j < H; j++) gWh[u * H + j] += dgh[r * G + u] * f.hs[r * H + j];
  return { dz, dgh, dh, dc, gWh };
}

/** Rows of `gates` blocks of H (reference) → rows of `gates` blocks of Hp (kernels, padding zero), and back. */
function toGateLayout(src: Float64Array, rows: number, H: number, Hp: number, gates: number): Float64Array {
  const out = new Float64Array(rows * gates * Hp);
  for (let r = 0; r < rows; r++)
    for (let q = 0; q < gates; q++)
      for (let j = 0; j < H; j++) out[r * gates * Hp + q * Hp + j] = src[r * gates * H + q * H + j];
  return out;
}
function fromGateLayout(src: Float64Array, rows: number, H: number, Hp: number, gates: number): Float64Array {
  const out = new Float64Array(rows * gates * H);
  for (let r = 0; r < rows; r++)
    for (let q = 0; q < gates; q++)
      for (let j = 0; j < H; j++) out[r * gates * H + q * H + j] = src[r * gates * Hp + q * Hp + j];
  return out;
}
/** W_h's nG·H rows placed at the kernels' gate rows (block q at row q·Hp). */
function toGateRows(W: Float64Array, H: number, Hp: number, gates: number): Float64Array {
  const out = new Float64Array(gates * Hp * H);
  for (let q = 0; q < gates; q++)
    for (let j = 0; j < H; j++) for (let i = 0; i < H; i++) out[(q * Hp + j) * H + i] = W[(q * H + j) * H + i];
  return out;
}

// [T, B, H]: H = 7, 13, 20 pad to 8/16/24 (wasm) and 16/16/32 (native); B odd; H = 4 and 16 need less padding
const CELL_CASES: [number, number, number][] = [
  [5, 3, 7],
  [4, 1, 13],
  [3, 5, 4],
  [3, 7, 20],
];

describe.each(KERNEL_IMPLS)('kernels (%s): the cells over a chunk', (_name, make) => {
  describe.each(['rnn', 'gru', 'lstm'] as const)('%s', (kind) => {
    it.each(CELL_CASES)(
      'cellForward and cellBackward T=%i B=%i H=%i: gates, states, gradients and ∂W_h within 1e-5',
      (T, B, H) => {
        const k = make();
        const rng = makeRng(`${kind}:${T}:${B}:${H}`);
        const nG = GATES[kind];
        const Hp = Math.ceil(H / k.align) * k.align;
        const G = nG * H;
        const [zin, Wh, bh] = [randomF32(rng, T * B * G, 0.8), randomF32(rng, G * H, 0.4), randomF32(rng, G, 0.3)];
        const [h0, c0, dHv] = [
          randomF32(rng, B * H, 0.5),
          kind === 'lstm' ? randomF32(rng, B * H, 0.5) : new Float64Array(B * H),
          randomF32(rng, T * B * H, 0.3),
        ];
        const want = forwardOracle(kind, T, B, H, zin, Wh, bh, h0, c0);
        const back = backwardOracle(kind, T, B, H, want, Wh, dHv);

        const buf: CellBuffers = {
          Z: k.alloc(T * B, nG * Hp),
          GH: kind === 'gru' ? k.alloc(T * B, nG * Hp) : null,
          hs: k.alloc((T + 1) * B, H),
          cs: kind === 'lstm' ? k.alloc((T + 1) * B, H) : null,
          train: {
            dH: k.alloc(T * B, H),
            dh: k.alloc(B, H),
            dc: kind === 'lstm' ? k.alloc(B, H) : null,
            scratch: k.allocCellScratch(kind, T, B, H),
          },
        };
        k.write(buf.Z, toGateLayout(zin, T * B, H, Hp, nG));
        const W = k.alloc(nG * Hp, H);
        k.write(W, toGateRows(Wh, H, Hp, nG));
        const [Wf, Wb] = [k.allocPacked(W, 'ABt'), k.allocPacked(W, 'AB')];
        k.pack(Wf, W);
        k.pack(Wb, W);
        const bhm = k.alloc(1, nG * Hp);
        k.write(bhm, toGateLayout(bh, 1, H, Hp, nG));
        k.write(k.rowsOf(buf.hs, 0, B), h0);
        if (buf.cs) k.write(k.rowsOf(buf.cs, 0, B), c0);
        k.cellForward(kind, T, B, buf, Wf, kind === 'gru' ? bhm : null);
        if (kind !== 'rnn')
          expect(relErr(fromGateLayout(k.read(buf.Z), T * B, H, Hp, nG), want.gates)).toBeLessThan(1e-5);
        expect(relErr(k.read(buf.hs), want.hs)).toBeLessThan(1e-5);
        if (buf.cs) expect(relErr(k.read(buf.cs), want.cs)).toBeLessThan(1e-5);
        if (buf.GH) expect(relErr(fromGateLayout(k.read(buf.GH), T * B, H, Hp, nG), want.gh)).toBeLessThan(1e-5);

        k.write(buf.train!.dH, dHv);
        const gWh = k.alloc(nG * Hp, H);
        k.cellBackward(kind, T, B, buf, Wb, gWh);
        expect(relErr(fromGateLayout(k.read(buf.Z), T * B, H, Hp, nG), back.dz)).toBeLessThan(1e-5);
        if (buf.GH) expect(relErr(fromGateLayout(k.read(buf.GH), T * B, H, Hp, nG), back.dgh)).toBeLessThan(1e-5);
        expect(relErr(k.read(buf.train!.dh), back.dh)).toBeLessThan(1e-5);
        if (buf.train!.dc) expect(relErr(k.read(buf.train!.dc), back.dc)).toBeLessThan(1e-5);
        expect(relErr(gateRowsBack(k.read(gWh), H, Hp, nG), back.gWh)).toBeLessThan(1e-5);
      },
    );
  });
});

/** The kernels' gate rows of ∂W_h (nG·Hp × H) back to the reference's nG·H × H. */
function gateRowsBack(W: Float64Array, H: number, Hp: number, gates: number): Float64Array {
  const out = new Float64Array(gates * H * H);
  for (let q = 0; q < gates; q++)
    for (let j = 0; j < H; j++) for (let i = 0; i < H; i++) out[(q * H + j) * H + i] = W[(q * Hp + j) * H + i];
  return out;
}
