/**
 * The WebAssembly fast path of min-char-rnn against the Float64 reference on holmes.txt: 2,000
 * iterations of the article's model, whose tolerances were measured on this text (test/min-char-rnn-fused.test.ts
 * holds the tests on made-up data). Needs ../shared/corpora (test/holmes/corpora.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MinCharRnnWasm } from '../../src/backend/minCharRnnWasm.js';
import { buildVocab, encode } from '../../src/corpus/vocab.js';
import { initParams } from '../../src/model/params.js';
import { ReferenceModel } from '../../src/model/reference.js';
import { PARAM_NAMES, type CharModel, type RnnConfig } from '../../src/model/types.js';
import { ChunkCursor } from '../../src/train/chunks.js';
import { makeRng } from '../../src/util/rng.js';
import { HOLMES } from './corpora.js';

function config(vocabSize: number, hiddenSize: number, unroll: number, seed: string | number = 1): RnnConfig {
  return { vocabSize, hiddenSize, unroll, learningRate: 0.1, clip: 5, seed };
}

function bitsEqual(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('MinCharRnnWasm on holmes.txt (H=100, unroll 16, lr 0.1, clip 5, seed 1)', () => {
  const text = readFileSync(HOLMES, 'utf8');
  const vocab = buildVocab(text);
  const data = encode(text, vocab);
  const V = vocab.symbols.length;
  const HELD_OUT = 100_000;
  const trainEnd = data.length - HELD_OUT;
  const cfg = config(V, 100, 16, 1);
  const ITERS = 2000;

  /** min-char-rnn's loop; returns the smooth loss after every 100 iterations. */
  function smoothLossCurve(m: CharModel): number[] {
    const chunks = new ChunkCursor(trainEnd, cfg.unroll);
    let smooth = -Math.log(1 / V) * cfg.unroll;
    const curve: number[] = [];
    for (let n = 0; n < ITERS; n++) {
      const c = chunks.next();
      if (c.reset) m.resetHidden();
      const loss = m.trainChunk(data, c.start, c.len);
      smooth = smooth * 0.999 + loss * 0.001;
      if ((n + 1) % 100 === 0) curve.push(smooth);
    }
    return curve;
  }

  const maxRelDev = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / b[i]));

  // Shared between the tests below (vitest runs a file's tests in order).
  let refModel: ReferenceModel;
  let refCurve: number[];

  it('2,000 iterations: smooth-loss curve tracks the reference as closely as f32 arithmetic allows', () => {
    refModel = new ReferenceModel(cfg);
    refCurve = smoothLossCurve(refModel);
    const wasmCurve = smoothLossCurve(new MinCharRnnWasm(cfg));
    expect(refCurve).toHaveLength(20);
    // The early Adagrad steps (update ≈ lr·g/sqrt(g² + 1e-8)) amplify any rounding difference
    // about tenfold per iteration, so two correct runs separate after ~8 iterations and then wander
    // around each other: the Float64 reference itself, started from its initial weights rounded
    // to f32 (a relative change of 1e-8), ends up to 3 % away from the unrounded run (next test).
    // The brief's "within 0.5 % at every 100 iterations" cannot be met by any f32 implementation;
    // for this seed the fast path stays within 1.3 % at every checkpoint and within 0.3 % at the end.
    const dev = maxRelDev(wasmCurve, refCurve);
    expect(dev).toBeLessThan(0.02);
    expect(Math.abs(wasmCurve[19] - refCurve[19]) / refCurve[19]).toBeLessThan(0.005);
    // Both learn: from ln(54)·16 = 63.8 down to about 47.5.
    expect(refCurve[19]).toBeLessThan(50);
    expect(wasmCurve[19]).toBeLessThan(50);
  });

  it('(why not 0.5 %) the reference itself moves by more than 0.5 % when its initial weights are rounded to f32', () => {
    const rounded = initParams(cfg);
    for (const name of ['Wxh', 'Whh', 'Why'] as const) rounded[name] = rounded[name].map(Math.fround);
    const curve = smoothLossCurve(new ReferenceModel(cfg, rounded));
    expect(maxRelDev(curve, refCurve)).toBeGreaterThan(0.005);
  });

  it('the first iterations, before that amplification, agree chunk by chunk', () => {
    const ref = new ReferenceModel(cfg);
    const wasm = new MinCharRnnWasm(cfg);
    for (let n = 0; n < 5; n++) {
      const a = ref.trainChunk(data, 16 * n, 16);
      const b = wasm.trainChunk(data, 16 * n, 16);
      expect(Math.abs(a - b) / a).toBeLessThan(1e-3);
    }
  });

  it('the same seed gives bitwise-identical parameters run after run', () => {
    const runs = [0, 1].map(() => {
      const m = new MinCharRnnWasm(cfg);
      smoothLossCurve(m);
      return { params: m.exportParams(), hidden: m.exportHidden() };
    });
    for (const name of PARAM_NAMES) expect(bitsEqual(runs[0].params[name], runs[1].params[name]), name).toBe(true);
    expect(bitsEqual(runs[0].hidden, runs[1].hidden)).toBe(true);
  });

  it('evaluate() agrees with the reference on held-out text (same weights) and leaves training state alone', () => {
    const params = refModel.exportParams(); // trained weights
    const ref = new ReferenceModel(cfg, params);
    const wasm = new MinCharRnnWasm(cfg, params);
    // Bring both to the same non-zero hidden state... by feeding the same chunk with lr ~ 0.
    const warm = { ...cfg, learningRate: 1e-30 };
    const refW = new ReferenceModel(warm, params);
    const wasmW = new MinCharRnnWasm(warm, params);
    refW.trainChunk(data, trainEnd - 17, 16);
    wasmW.trainChunk(data, trainEnd - 17, 16);
    for (const [r, w] of [
      [ref, wasm],
      [refW, wasmW],
    ] as const) {
      const hBefore = w.exportHidden();
      const pBefore = w.exportParams();
      const er = r.evaluate(data, trainEnd, trainEnd + 20_000);
      const ew = w.evaluate(data, trainEnd, trainEnd + 20_000);
      expect(ew.chars).toBe(20_000);
      expect(Math.abs(ew.nats - er.nats) / er.nats).toBeLessThan(1e-3);
      expect(Math.abs(ew.bpc - er.bpc) / er.bpc).toBeLessThan(1e-3);
      expect(bitsEqual(w.exportHidden(), hBefore)).toBe(true);
      expect(bitsEqual(w.exportParams().Whh, pBefore.Whh)).toBe(true);
    }
  });

  it('sample() draws what the reference draws from the same weights and generator', () => {
    const params = refModel.exportParams();
    const ref = new ReferenceModel(cfg, params);
    const wasm = new MinCharRnnWasm(cfg, params);
    const prime = data.subarray(1000, 1020);
    for (const temperature of [1, 0.5]) {
      const a = ref.sample(prime, 300, temperature, makeRng(`sample:${temperature}`));
      const b = wasm.sample(prime, 300, temperature, makeRng(`sample:${temperature}`));
      // f32 probabilities differ from f64 ones by ~1e-7, so a draw only differs if it lands that
      // close to a boundary; with these seeds none does.
      expect(Array.from(b)).toEqual(Array.from(a));
    }
    expect(bitsEqual(wasm.exportHidden(), new Float64Array(cfg.hiddenSize))).toBe(true);
  });
});
