/**
 * min-char-rnn's fused WebAssembly kernels (src/backend/minCharRnnWasm.ts, the wasm backend's fast
 * path for exactly min-char-rnn's configuration) against the Float64 reference (src/model/reference.ts).
 *
 * Needs build/min-char-rnn.wasm: `npm run build` (or `npm run build:wasm`) first; `npm test` does it.
 *
 * Relative metric used throughout, per parameter array:
 *   relErr(a, b) = max_i |a_i − b_i| / max(max_i |b_i|, 1e-30)
 * i.e. the worst element error measured against the array's scale, so elements that happen to
 * be near zero (where an element-wise relative error is meaningless for f32 against f64) do not
 * dominate, while an error in any element that matters is caught.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, createModel } from '../src/backend/index.js';
import { KernelModel } from '../src/backend/kernelModel.js';
import { MinCharRnnWasm, wasmModule } from '../src/backend/minCharRnnWasm.js';
import { testVectorMath } from '../src/backend/minCharRnnTesting.js';
import { initParams } from '../src/model/params.js';
import { ReferenceModel } from '../src/model/reference.js';
import { PARAM_NAMES, type CharModel, type Params, type RnnConfig } from '../src/model/types.js';
import { gaussian, makeRng } from '../src/util/rng.js';
import { relErr } from './helpers/relErr.js';

function config(vocabSize: number, hiddenSize: number, unroll: number, seed: string | number = 1): RnnConfig {
  return { vocabSize, hiddenSize, unroll, learningRate: 0.1, clip: 5, seed };
}

/** Parameters with every element N(0, scale²): larger than training's 0.01 so tanh is non-linear. */
function randomParams(c: RnnConfig, scale: number, seed: string): Params {
  const rng = makeRng(seed);
  const p = initParams(c);
  for (const name of PARAM_NAMES) for (let i = 0; i < p[name].length; i++) p[name][i] = gaussian(rng) * scale;
  return p;
}

function bitsEqual(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('MinCharRnnWasm: gradients against the Float64 reference', () => {
  // [V, H, unroll, len, weight scale]: odd sizes exercise the padding of H and V to multiples of 4,
  // len < unroll a short final chunk, H=100/V=54 the benchmark shape, H=256 the 6-wide blocks.
  const cases: [number, number, number, number, number][] = [
    [7, 10, 8, 8, 0.5],
    [5, 13, 5, 3, 0.3],
    [11, 37, 16, 16, 0.2],
    [54, 100, 16, 16, 0.1],
    [54, 100, 16, 1, 0.1],
    [61, 256, 16, 15, 0.05],
  ];
  for (const [V, H, T, len, scale] of cases) {
    it(`V=${V} H=${H} unroll=${T} len=${len}: loss and every gradient array within 1e-5`, () => {
      const c = config(V, H, T);
      const rng = makeRng(`chunk:${V}:${H}:${len}`);
      const params = randomParams(c, scale, `params:${V}:${H}`);
      for (let trial = 0; trial < 3; trial++) {
        const data = new Int32Array(T + 5);
        for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * V);
        const hPrev = new Float64Array(H);
        for (let i = 0; i < H; i++) hPrev[i] = Math.tanh(gaussian(rng));
        const p = 1 + trial;
        const ref = createModel('reference', c, params).lossAndGradients(data, p, len, hPrev);
        const wasm = createModel('wasm', c, params);
        const { loss, grads } = wasm.lossAndGradients(data, p, len, hPrev);
        expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
        for (const name of PARAM_NAMES) {
          // Observed ~1e-7..1e-6 (f32 rounding); the requirement is 1e-3.
          expect(relErr(grads[name], ref.grads[name]), name).toBeLessThan(1e-5);
        }
        // Gradient-only: the parameters are untouched.
        const after = wasm.exportParams();
        for (const name of PARAM_NAMES) expect(relErr(after[name], params[name]), name).toBeLessThan(1e-6);
      }
    });
  }

  it('one training step (clip + Adagrad) moves every parameter array as the reference does', () => {
    const c = { ...config(17, 30, 12), clip: 0.05 }; // a small clip so clipping is exercised
    const params = randomParams(c, 0.3, 'step');
    const data = new Int32Array(40);
    const rng = makeRng('step-data');
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * c.vocabSize);
    const ref = new ReferenceModel(c, params);
    const wasm = new MinCharRnnWasm(c, params);
    for (let step = 0; step < 3; step++) {
      const a = ref.trainChunk(data, 3 + 12 * step, 12);
      const b = wasm.trainChunk(data, 3 + 12 * step, 12);
      expect(Math.abs(a - b) / a).toBeLessThan(1e-4);
    }
    const pr = ref.exportParams();
    const pw = wasm.exportParams();
    for (const name of PARAM_NAMES) {
      const dRef = pr[name].map((v, i) => v - params[name][i]);
      const dWasm = pw[name].map((v, i) => v - params[name][i]);
      expect(relErr(dWasm, dRef), name).toBeLessThan(1e-3);
    }
    expect(relErr(wasm.exportHidden(), ref.exportHidden())).toBeLessThan(1e-4);
  });
});

describe('MinCharRnnWasm: plumbing', () => {
  it('a diverging run (learning rate 1000) shows an infinite loss at the same iteration as the reference', () => {
    const rng = makeRng('diverge');
    const data = Int32Array.from({ length: 400 }, () => Math.floor(rng() * 20));
    const firstBadIteration = (m: CharModel) => {
      for (let it = 1, p = 0; p + 9 < data.length; it++, p += 8)
        if (!Number.isFinite(m.trainChunk(data, p, 8))) return it;
      return null;
    };
    const c = { ...config(20, 8, 8), learningRate: 1000 };
    const ref = firstBadIteration(new ReferenceModel(c));
    expect(ref).not.toBeNull();
    expect(firstBadIteration(new MinCharRnnWasm(c))).toBe(ref);
  });

  it('exports the parameters it was given (rounded to f32) and a zero hidden state', () => {
    const c = config(9, 14, 4);
    const params = randomParams(c, 1, 'roundtrip');
    const out = new MinCharRnnWasm(c, params).exportParams();
    for (const name of PARAM_NAMES) {
      expect(Array.from(out[name])).toEqual(Array.from(params[name], (v) => Math.fround(v)));
    }
    const m = new MinCharRnnWasm(c, params);
    expect(Array.from(m.exportHidden())).toEqual(new Array(14).fill(0));
  });

  it('compiles the module once per thread; each model has its own memory', () => {
    expect(wasmModule()).toBe(wasmModule());
    const c = config(6, 8, 4);
    const a = new MinCharRnnWasm(c);
    const b = new MinCharRnnWasm(c);
    const data = Int32Array.from([0, 1, 2, 3, 4, 5, 0, 1]);
    a.trainChunk(data, 0, 4);
    expect(bitsEqual(b.exportParams().Whh, initParams(c).Whh.map(Math.fround))).toBe(true);
    expect(bitsEqual(a.exportParams().Whh, b.exportParams().Whh)).toBe(false);
  });

  it('rejects bad chunks and symbols instead of reading outside its buffers', () => {
    const m = new MinCharRnnWasm(config(5, 8, 4));
    const data = Int32Array.from([0, 1, 2, 3, 4, 0, 1]);
    expect(() => m.trainChunk(data, 0, 5)).toThrow(RangeError);
    expect(() => m.trainChunk(data, 4, 3)).toThrow(RangeError);
    expect(() => m.trainChunk(Int32Array.from([0, 1, 9, 2, 3]), 0, 4)).toThrow(/outside the vocabulary/);
    expect(() => m.evaluate(data, 0, 3)).toThrow(RangeError);
    expect(() => m.sample([7], 3, 1, makeRng(1))).toThrow(RangeError);
  });

  it('the vector tanh and exp are accurate', () => {
    const xs = new Float32Array(4000).map((_, i) => (i - 2000) / 150); // [-13.3, 13.3]
    const th = testVectorMath('tanh', xs);
    let err = 0;
    for (let i = 0; i < xs.length; i++) err = Math.max(err, Math.abs(th[i] - Math.tanh(xs[i])));
    expect(err).toBeLessThan(1e-6);
    const ys = new Float32Array(4000).map((_, i) => -i / 44); // [-90.9, 0]
    const ex = testVectorMath('exp', ys);
    let rel = 0;
    for (let i = 0; i < ys.length; i++) {
      const e = Math.exp(ys[i]);
      if (ys[i] >= -87) rel = Math.max(rel, Math.abs(ex[i] - e) / e);
      else expect(ex[i]).toBe(0);
    }
    expect(rel).toBeLessThan(1e-6);
  });

  it('wasm memory does not grow while training', () => {
    const c = config(20, 64, 16);
    const m = new MinCharRnnWasm(c);
    const data = new Int32Array(5000).map((_, i) => (i * 7) % 20);
    const before = m.memoryBytes;
    for (let p = 0; p + 17 < data.length; p += 16) m.trainChunk(data, p, 16);
    m.evaluate(data, 1, 4000);
    m.sample([1], 100, 0.8, makeRng(3));
    expect(m.memoryBytes).toBe(before);
  });

  it("createModel: wasm takes this fast path for min-char-rnn's configuration only, the one host model otherwise", () => {
    expect(BACKENDS).toEqual(['native', 'wasm', 'reference']);
    const c = config(6, 8, 4);
    expect(createModel('wasm', c)).toBeInstanceOf(MinCharRnnWasm);
    for (const other of [
      { batch: 2 },
      { layers: 2 },
      { optimizer: 'adam' as const },
      { clipNorm: 1 },
      { cell: 'gru' as const },
    ]) {
      expect(createModel('wasm', { ...c, ...other })).toBeInstanceOf(KernelModel);
    }
    expect(() => new MinCharRnnWasm({ ...c, batch: 2 })).toThrow(/min-char-rnn's configuration only/);
    expect(createModel('reference', c)).toBeInstanceOf(ReferenceModel);
  });
});
