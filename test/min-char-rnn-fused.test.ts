/**
 * min-char-rnn's fused fast path (src/backend/minCharRnnFused.ts: the one host class over the fused
 * WebAssembly engine, minCharRnnWasm.ts, and the fused native engine, minCharRnnNative.ts, on every
 * native ISA this CPU runs, each forced in turn) against the Float64 reference (src/model/reference.ts).
 *
 * Needs build/min-char-rnn.wasm and the native addon: `npm run build` and `npm ci` (or
 * `npm run build:native`); `npm test` builds the first. Where the addon is not built, the native
 * engines are left out (test/native.test.ts covers that case).
 *
 * Relative metric used throughout, per parameter array:
 *   relErr(a, b) = max_i |a_i − b_i| / max(max_i |b_i|, 1e-30)
 * i.e. the worst element error measured against the array's scale, so elements that happen to
 * be near zero (where an element-wise relative error is meaningless for f32 against f64) do not
 * dominate, while an error in any element that matters is caught. Both engines compute in f32 with
 * the same algorithm in another order of additions (the native one with fused multiply-adds where the
 * ISA has them, and Adagrad's 1/√ as a Newton-refined estimate, ~1e-7 relative): the same bounds hold.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, createModel } from '../src/backend/index.js';
import { KernelModel } from '../src/backend/kernelModel.js';
import type { MinCharRnnFused } from '../src/backend/minCharRnnFused.js';
import { MinCharRnnNative } from '../src/backend/minCharRnnNative.js';
import { MinCharRnnWasm, wasmModule } from '../src/backend/minCharRnnWasm.js';
import { testVectorMath } from '../src/backend/minCharRnnTesting.js';
import { nativeStatus } from '../src/backend/nativeAddon.js';
import { NativeKernels } from '../src/backend/nativeKernels.js';
import { initParams } from '../src/model/params.js';
import { ReferenceModel } from '../src/model/reference.js';
import { PARAM_NAMES, type CharModel, type Params, type RnnConfig } from '../src/model/types.js';
import { nativeFusedBytes } from '../src/train/memory.js';
import { gaussian, makeRng } from '../src/util/rng.js';
import { NATIVE_ISAS, stateBits } from './helpers/backends.js';
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

/** The fused engines this machine runs: wasm, and native on each usable ISA. */
const ENGINES: { label: string; make: (c: RnnConfig, p?: Params) => MinCharRnnFused }[] = [
  { label: 'wasm', make: (c, p) => new MinCharRnnWasm(c, p) },
  ...NATIVE_ISAS.map((isa) => ({
    label: `native ${isa}`,
    make: (c: RnnConfig, p?: Params) => new MinCharRnnNative(c, p, { isa }),
  })),
];

/** Trains `chunks` chunks of `len` from `from` on; returns the losses. */
function train(m: CharModel, data: Int32Array, chunks: number, len: number, from = 0): number[] {
  return Array.from({ length: chunks }, (_, i) => m.trainChunk(data, from + i * len, len));
}

describe.each(ENGINES)('$label fused engine against the Float64 reference', ({ make }) => {
  // [V, H, unroll, len, weight scale]: odd sizes exercise the padding of H and V (to multiples of 4 on
  // wasm, 16 on native), len < unroll a short final chunk, H=100/V=54 the benchmark shape, H=256 the
  // wide register blocks, len 1 and odd lens the single-step tails of the two-at-a-time products.
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
        const fused = make(c, params);
        const { loss, grads } = fused.lossAndGradients(data, p, len, hPrev);
        expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
        for (const name of PARAM_NAMES) {
          // Observed ~1e-7..1e-6 (f32 rounding); the requirement is 1e-3.
          expect(relErr(grads[name], ref.grads[name]), name).toBeLessThan(1e-5);
        }
        // Gradient-only: the parameters are untouched.
        const after = fused.exportParams();
        for (const name of PARAM_NAMES) expect(relErr(after[name], params[name]), name).toBeLessThan(1e-6);
      }
    });
  }

  it('the first training steps (clip + Adagrad) move every parameter array as the reference does', () => {
    const c = { ...config(17, 30, 12), clip: 0.05 }; // a small clip so clipping is exercised
    const params = randomParams(c, 0.3, 'step');
    const data = new Int32Array(40);
    const rng = makeRng('step-data');
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * c.vocabSize);
    const ref = new ReferenceModel(c, params);
    const fused = make(c, params);
    const model = fused.lossAndGradients(data, 0, 12, new Float64Array(30)); // gradients kept: must not leak into training
    expect(model.loss).toBeGreaterThan(0);
    for (let step = 0; step < 3; step++) {
      const a = ref.trainChunk(data, 3 + 12 * step, 12);
      const b = fused.trainChunk(data, 3 + 12 * step, 12);
      expect(Math.abs(a - b) / a).toBeLessThan(1e-4);
    }
    const pr = ref.exportParams();
    const pf = fused.exportParams();
    for (const name of PARAM_NAMES) {
      const dRef = pr[name].map((v, i) => v - params[name][i]);
      const dFused = pf[name].map((v, i) => v - params[name][i]);
      expect(relErr(dFused, dRef), name).toBeLessThan(1e-3);
    }
    expect(relErr(fused.exportHidden(), ref.exportHidden())).toBeLessThan(1e-4);
  });

  // Samples: from identical parameters and the same generator the two draw the same symbols unless a
  // uniform draw lands within ~1e-6 (the f32 error of p) of a cumulative-probability boundary: for 60
  // draws over V = 23 that is a chance of about 60·23·1e-6 ≈ 1e-3, and the test is deterministic.
  it('from identical parameters: evaluation bpc within 1e-4 and the same sampled symbols', () => {
    const c = config(23, 40, 10);
    const rng = makeRng('eval-data');
    const data = Int32Array.from({ length: 6000 }, (_, i) => (rng() < 0.2 ? Math.floor(rng() * 23) : (i * 7) % 23));
    const ref = new ReferenceModel(c);
    train(ref, data, 60, 10);
    const fused = make(c);
    fused.importState(ref.exportState()); // the reference's parameters, Adagrad memory and state, rounded to f32
    const [r, f] = [ref, fused].map((m) => m.evaluate(data, 601, 5601).bpc); // more than one evaluation block
    expect(Math.abs(f - r)).toBeLessThan(1e-4);
    const [a, b] = [ref, fused].map((m) => Array.from(m.sample([1, 2, 3], 60, 0.8, makeRng('draw'))));
    expect(b).toEqual(a);
  });

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
    expect(firstBadIteration(make(c))).toBe(ref);
  });

  it('exports the parameters it was given (rounded to f32) and a zero hidden state', () => {
    const c = config(9, 14, 4);
    const params = randomParams(c, 1, 'roundtrip');
    const m = make(c, params);
    const out = m.exportParams();
    for (const name of PARAM_NAMES) {
      expect(Array.from(out[name])).toEqual(Array.from(params[name], (v) => Math.fround(v)));
    }
    expect(Array.from(m.exportHidden())).toEqual(new Array(14).fill(0));
  });

  it('a model restored from exportState continues bit for bit; each model has its own memory', () => {
    const c = config(19, 37, 12);
    const rng = makeRng('resume');
    const data = Int32Array.from({ length: 2000 }, () => Math.floor(rng() * 19));
    const a = make(c);
    const untouched = make(c);
    train(a, data, 10, 12);
    expect(bitsEqual(untouched.exportParams().Whh, initParams(c).Whh.map(Math.fround))).toBe(true);
    const b = make({ ...c, seed: 99 }); // other weights, replaced by the import
    b.importState(a.exportState());
    expect(train(b, data, 10, 12, 500)).toEqual(train(a, data, 10, 12, 500));
    expect(stateBits(b.exportState())).toEqual(stateBits(a.exportState()));
    expect(b.evaluate(data, 1500, 1999).bpc).toBe(a.evaluate(data, 1500, 1999).bpc);
    expect(b.sample([4], 50, 1, makeRng('s'))).toEqual(a.sample([4], 50, 1, makeRng('s')));
  });

  it('rejects bad chunks and symbols instead of reading outside its buffers', () => {
    const m = make(config(5, 8, 4));
    const data = Int32Array.from([0, 1, 2, 3, 4, 0, 1]);
    expect(() => m.trainChunk(data, 0, 5)).toThrow(RangeError);
    expect(() => m.trainChunk(data, 4, 3)).toThrow(RangeError);
    expect(() => m.trainChunk(Int32Array.from([0, 1, 9, 2, 3]), 0, 4)).toThrow(/outside the vocabulary/);
    expect(() => m.evaluate(data, 0, 3)).toThrow(RangeError);
    expect(() => m.sample([7], 3, 1, makeRng(1))).toThrow(RangeError);
  });

  it('its memory does not grow while training, scoring or sampling', () => {
    const c = config(20, 64, 16);
    const m = make(c);
    const data = new Int32Array(5000).map((_, i) => (i * 7) % 20);
    const before = m.memoryBytes;
    for (let p = 0; p + 17 < data.length; p += 16) m.trainChunk(data, p, 16);
    m.evaluate(data, 1, 4000);
    m.sample([1], 100, 0.8, makeRng(3));
    expect(m.memoryBytes).toBe(before);
  });
});

describe('the wasm engine', () => {
  it('compiles the module once per thread', () => {
    expect(wasmModule()).toBe(wasmModule());
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
});

describe.skipIf(!nativeStatus().available)('the native engine', () => {
  it('runs the ISA it is given (the default: the best usable here) and refuses one this CPU cannot run', () => {
    const c = config(6, 8, 4);
    expect(new MinCharRnnNative(c).isa).toBe(NATIVE_ISAS[0]);
    for (const isa of NATIVE_ISAS) expect(new MinCharRnnNative(c, undefined, { isa }).isa).toBe(isa);
    expect(() => new MinCharRnnNative(c, undefined, { isa: 'avx1024' })).toThrow(/not usable here \(usable: /);
  });

  // src/train/memory.ts estimates the arena before a run starts (to refuse what will not fit), from
  // the layout of native/minCharRnnAddon.cc: exactly.
  it.each([
    [20, 64, 16],
    [65, 100, 25],
    [84, 512, 32],
  ])('its arena (vocabulary %i, hidden %i, unroll %i) is what memory.ts estimates', (V, H, T) => {
    const arena = new MinCharRnnNative(config(V, H, T)).memoryBytes;
    const estimate = nativeFusedBytes({ hiddenSize: H, vocabSize: V, unroll: T });
    expect(arena).toBe(estimate);
  });

  // The host model (kernelModel.ts, ~15 kernel calls a chunk, the bench's "native-host") on the same
  // configuration: the same algorithm in f32, so the bounds against the reference bound them against
  // each other (Adagrad's first steps move an element whose gradient is at f32's noise level by ±lr
  // either way: the parameters' steps differ by up to the sum of the two bounds).
  it.each(NATIVE_ISAS)('%s: the host model on the same configuration computes what the fused engine does', (isa) => {
    const c = { ...config(17, 30, 12), clip: 0.05 }; // the first training steps' setting above
    const params = randomParams(c, 0.3, 'step');
    const rng = makeRng('host-data');
    const data = Int32Array.from({ length: 400 }, () => Math.floor(rng() * 17));
    const fused = new MinCharRnnNative(c, params, { isa });
    const host = new KernelModel(c, params, new NativeKernels({ isa }));
    const hPrev = Float64Array.from({ length: 30 }, () => Math.tanh(gaussian(rng)));
    const [f, h] = [fused, host].map((m) => m.lossAndGradients(data, 7, 12, hPrev));
    expect(Math.abs(f.loss - h.loss) / h.loss).toBeLessThan(1e-5);
    for (const name of PARAM_NAMES) expect(relErr(f.grads[name], h.grads[name]), name).toBeLessThan(1e-5);
    const [a, b] = [fused, host].map((m) => train(m, data, 3, 12, 3));
    for (let i = 0; i < 3; i++) expect(Math.abs(a[i] - b[i]) / b[i]).toBeLessThan(1e-4);
    const [pf, ph] = [fused, host].map((m) => m.exportParams());
    for (const name of PARAM_NAMES) {
      const dHost = ph[name].map((v, i) => v - params[name][i]);
      const dFused = pf[name].map((v, i) => v - params[name][i]);
      // each within 1e-3 of the reference's steps (the test above): so within 2e-3 of each other
      expect(relErr(dFused, dHost), name).toBeLessThan(2e-3);
    }
  });
});

describe("createModel: min-char-rnn's configuration takes the fused engines, every other the one host model", () => {
  it.each(BACKENDS.filter((b) => b !== 'reference' && (b !== 'native' || nativeStatus().available)))('%s', (b) => {
    const c = config(6, 8, 4);
    const fused = b === 'wasm' ? MinCharRnnWasm : MinCharRnnNative;
    expect(createModel(b, c)).toBeInstanceOf(fused);
    expect(createModel(b, c, undefined, { threads: 2 })).toBeInstanceOf(fused); // one stream: nothing to split
    for (const other of [
      { batch: 2 },
      { layers: 2 },
      { optimizer: 'adam' as const },
      { clipNorm: 1 },
      { cell: 'gru' as const },
      { outputDropout: 0.1 },
    ]) {
      expect(createModel(b, { ...c, ...other })).toBeInstanceOf(KernelModel);
    }
    expect(() => new fused({ ...c, batch: 2 })).toThrow(/min-char-rnn's configuration only/);
    expect(createModel('reference', c)).toBeInstanceOf(ReferenceModel);
  });
});
