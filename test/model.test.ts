import { describe, expect, test } from 'vitest';
import { gradcheck } from '../src/model/gradcheck.js';
import { initParams } from '../src/model/params.js';
import { ReferenceModel } from '../src/model/reference.js';
import { PARAM_NAMES, type RnnConfig } from '../src/model/types.js';
import { makeRng } from '../src/util/rng.js';
import { MinCharRnn } from './helpers/minCharRnn.js';

const cfg = (over: Partial<RnnConfig> = {}): RnnConfig => ({
  vocabSize: 6,
  hiddenSize: 16,
  unroll: 8,
  learningRate: 0.1,
  clip: 5,
  seed: 7,
  ...over,
});

function randomData(n: number, V: number, seed: string): Int32Array {
  const rng = makeRng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rng() * V));
}

const bitsEqual = (a: Float64Array, b: Float64Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe("reference model in min-char-rnn's configuration", () => {
  test('reproduces the frozen min-char-rnn transcription bit for bit: losses, weights, state, scores, samples', () => {
    const c = cfg({ vocabSize: 11, hiddenSize: 24, unroll: 12 });
    const data = randomData(3000, 11, 'exact');
    const a = new ReferenceModel(c);
    const b = new MinCharRnn(c);
    for (let p = 0; p + 13 < 2500; p += 12) {
      const len = p % 5 === 0 ? 7 : 12; // some short chunks
      expect(a.trainChunk(data, p, len)).toBe(b.trainChunk(data, p, len));
    }
    const pa = a.exportParams();
    const pb = b.exportParams();
    for (const name of PARAM_NAMES) expect(bitsEqual(pa[name], pb[name]), name).toBe(true);
    expect(bitsEqual(a.exportHidden(), b.exportHidden())).toBe(true);
    expect(a.evaluate(data, 2500, 3000)).toEqual(b.evaluate(data, 2500, 3000));
    for (const T of [1, 0.7])
      expect(a.sample([3, 4], 200, T, makeRng(`s${T}`))).toEqual(b.sample([3, 4], 200, T, makeRng(`s${T}`)));
  });
});

describe('reference RNN', () => {
  test('gradient check: every parameter array within 1e-5 relative error', () => {
    for (const seed of [1, 2, 3]) {
      const { params } = gradcheck({ seed });
      expect(params.map((p) => p.name)).toEqual([...PARAM_NAMES]);
      for (const p of params) expect(p.maxRelError, `${p.name} seed ${seed}`).toBeLessThan(1e-5);
    }
  });

  test('initialisation: N(0,1)·0.01 weights, zero biases, seeded', () => {
    const p = initParams(cfg({ hiddenSize: 100, vocabSize: 60 }));
    const w = p.Whh;
    const mean = w.reduce((s, x) => s + x, 0) / w.length;
    const sd = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(sd).toBeGreaterThan(0.0095);
    expect(sd).toBeLessThan(0.0105);
    expect(p.bh.every((x) => x === 0) && p.by.every((x) => x === 0)).toBe(true);
    expect(initParams(cfg({ seed: 7 })).Wxh).toEqual(initParams(cfg({ seed: 7 })).Wxh);
    expect(initParams(cfg({ seed: 8 })).Wxh).not.toEqual(initParams(cfg({ seed: 7 })).Wxh);
  });

  test('determinism: the same seed gives bitwise-identical weights after N steps', () => {
    const data = randomData(2000, 6, 'd');
    const train = () => {
      const m = new ReferenceModel(cfg());
      for (let p = 0; p + 9 < data.length; p += 8) m.trainChunk(data, p, 8);
      return m.exportParams();
    };
    const a = train();
    const b = train();
    for (const name of PARAM_NAMES) {
      expect(Buffer.from(a[name].buffer).equals(Buffer.from(b[name].buffer)), name).toBe(true);
    }
  });

  test('the loss falls on a learnable sequence', () => {
    // A repeating pattern: the model should go from ln(V) per char to near zero.
    const pattern = [0, 1, 2, 3, 4, 5, 2, 4, 1];
    const data = Int32Array.from({ length: 4000 }, (_, i) => pattern[i % pattern.length]);
    const m = new ReferenceModel(cfg());
    const losses: number[] = [];
    for (let p = 0; p + 9 < data.length; p += 8) losses.push(m.trainChunk(data, p, 8) / 8);
    const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(losses[0]).toBeCloseTo(Math.log(6), 1); // untrained: ln V per char
    expect(last).toBeLessThan(0.1);
  });

  test('clipping bounds every gradient element before the update', () => {
    const m = new ReferenceModel(cfg({ clip: 0.01, learningRate: 1e-30 }));
    const data = randomData(9, 6, 'c');
    m.trainChunk(data, 0, 8);
    for (const name of PARAM_NAMES) {
      const g = m.grads[name];
      expect(
        g.every((x) => Math.abs(x) <= 0.01),
        name,
      ).toBe(true);
    }
  });

  test('evaluate reads held-out text from the carried state and leaves training state alone', () => {
    const data = randomData(500, 6, 'e');
    const m = new ReferenceModel(cfg());
    for (let p = 0; p + 9 < 400; p += 8) m.trainChunk(data, p, 8);
    const h = m.exportHidden();
    const r1 = m.evaluate(data, 400, 500);
    const r2 = m.evaluate(data, 400, 500);
    expect(r1).toEqual(r2);
    expect(m.exportHidden()).toEqual(h);
    expect(r1.chars).toBe(100);
    expect(r1.bpc).toBeCloseTo(r1.nats / 100 / Math.LN2, 12);
    // The score depends on the starting state and on nothing else: a fresh model with the same
    // weights (zero state) scores exactly what this model scores once its state is zeroed, and
    // that differs from the carried-state score by far more than round-off.
    const fresh = new ReferenceModel(cfg(), m.exportParams()).evaluate(data, 400, 500);
    m.resetHidden();
    expect(m.evaluate(data, 400, 500)).toEqual(fresh);
    expect(Math.abs(fresh.nats - r1.nats)).toBeGreaterThan(1e-6 * r1.nats);
  });

  test('sampling is seeded and in range; a trained model continues its cycle when cold', () => {
    const pattern = [0, 1, 2, 3, 4, 5];
    const data = Int32Array.from({ length: 3000 }, (_, i) => pattern[i % 6]);
    const m = new ReferenceModel(cfg());
    for (let p = 0; p + 9 < data.length; p += 8) m.trainChunk(data, p, 8);
    const s1 = m.sample([0], 50, 1, makeRng('s'));
    const s2 = m.sample([0], 50, 1, makeRng('s'));
    expect(s1).toEqual(s2);
    expect(s1.every((x) => x >= 0 && x < 6)).toBe(true);
    const cold = m.sample([0], 30, 0.1, makeRng('t'));
    // A trained model at low temperature continues the cycle: each symbol is the previous plus one
    // (the phase it starts from is the carried hidden state's, not necessarily the prime's).
    for (let i = 1; i < cold.length; i++) expect(cold[i]).toBe((cold[i - 1] + 1) % 6);
  });

  test('temperature sharpens: lower temperature, lower entropy of the sampled symbols', () => {
    // A half-trained model on a noisy source, so its next-symbol distribution is neither uniform
    // nor one-hot; the entropy of the symbols drawn over many samples falls with the temperature.
    const rng = makeRng('noisy');
    const data = Int32Array.from({ length: 3000 }, (_, i) => (rng() < 0.7 ? i % 6 : Math.floor(rng() * 6)));
    const m = new ReferenceModel(cfg());
    for (let p = 0; p + 9 < 800; p += 8) m.trainChunk(data, p, 8);
    const entropy = (temperature: number): number => {
      const counts = new Array(6).fill(0);
      const draws = 4000;
      const r = makeRng(`draws:${temperature}`);
      for (let i = 0; i < draws; i++) counts[m.sample([i % 6], 1, temperature, r)[0]]++;
      return -counts.reduce((s, c) => (c > 0 ? s + (c / draws) * Math.log2(c / draws) : s), 0);
    };
    const [cold, warm, hot] = [0.3, 1, 3].map(entropy);
    expect(cold).toBeLessThan(warm - 0.1);
    expect(warm).toBeLessThan(hot - 0.1);
    expect(hot).toBeLessThanOrEqual(Math.log2(6));
  });

  test('temperature is softmax(y / T), which equals p^(1/T) renormalised', () => {
    // The softmax of the model at temperature T, read off by sampling with a generator that returns
    // fixed quantiles, matches p^(1/T) computed from the model's own distribution at T = 1.
    const m = new ReferenceModel(cfg());
    const data = randomData(200, 6, 'tt');
    for (let p = 0; p + 9 < 200; p += 8) m.trainChunk(data, p, 8);
    const cdfAt = (temperature: number): number[] => {
      // P(symbol <= k) by bisection on the quantile a constant generator returns.
      return [0, 1, 2, 3, 4].map((k) => {
        let lo = 0;
        let hi = 1;
        for (let it = 0; it < 50; it++) {
          const mid = (lo + hi) / 2;
          if (m.sample([2], 1, temperature, () => mid)[0] <= k) lo = mid;
          else hi = mid;
        }
        return lo;
      });
    };
    const p1 = cdfAt(1).map((c, k, a) => c - (k > 0 ? a[k - 1] : 0));
    p1.push(1 - cdfAt(1)[4]);
    const T = 0.5;
    const powered = p1.map((q) => q ** (1 / T));
    const z = powered.reduce((a, b) => a + b);
    const expected = powered.map((q) => q / z);
    const cT = cdfAt(T);
    const pT = cT.map((c, k, a) => c - (k > 0 ? a[k - 1] : 0));
    pT.push(1 - cT[4]);
    for (let k = 0; k < 6; k++) expect(pT[k]).toBeCloseTo(expected[k], 10);
  });
});

describe('optimizers and clipping (reference)', () => {
  const c = cfg({ vocabSize: 5, hiddenSize: 6, unroll: 4, clip: 1e9, learningRate: 0.01 });
  const data = randomData(50, 5, 'opt');

  /** The raw gradient and the parameter change of one first training step with `over`. */
  function firstStep(over: Partial<RnnConfig>) {
    const m = new ReferenceModel({ ...c, ...over });
    const before = m.exportParams();
    const { grads } = m.lossAndGradients(data, 3, 4, m.exportHidden());
    m.trainChunk(data, 3, 4);
    const after = m.exportParams();
    return { m, grads, delta: (name: string) => after[name].map((v, i) => v - before[name][i]) };
  }

  test("rmsprop (char-rnn's): m = 0.05·g² after one step, θ −= lr·g / (√m + 1e-8)", () => {
    const { grads, delta } = firstStep({ optimizer: 'rmsprop' });
    for (const name of PARAM_NAMES) {
      const d = delta(name);
      grads[name].forEach((g, i) => expect(d[i]).toBeCloseTo((-0.01 * g) / (Math.sqrt(0.05 * g * g) + 1e-8), 12));
    }
  });

  test('adam: the first step moves every parameter by lr·g/(|g| + 1e-8), about lr against its gradient', () => {
    const { m, grads, delta } = firstStep({ optimizer: 'adam' });
    for (const name of PARAM_NAMES) {
      const d = delta(name);
      grads[name].forEach((g, i) => expect(d[i]).toBeCloseTo((-0.01 * g) / (Math.abs(g) + 1e-8), 10));
    }
    expect(m.exportState().optimizer.t[0]).toBe(1);
  });

  test('clipNorm rescales the whole gradient to that global norm; clip bounds each element', () => {
    const { m, grads } = firstStep({ clipNorm: 0.01 });
    const norm = Math.sqrt(PARAM_NAMES.reduce((s, n) => s + grads[n].reduce((a, g) => a + g * g, 0), 0));
    expect(norm).toBeGreaterThan(0.01);
    const clipped = Math.sqrt(PARAM_NAMES.reduce((s, n) => s + m.grads[n].reduce((a, g) => a + g * g, 0), 0));
    expect(clipped).toBeCloseTo(0.01, 12);
    for (const n of PARAM_NAMES) grads[n].forEach((g, i) => expect(m.grads[n][i]).toBeCloseTo((g * 0.01) / norm, 14));
  });

  test('every cell and optimizer learns a repeating pattern (loss per character far below ln V)', () => {
    const pattern = [0, 1, 2, 3, 4, 2, 4, 1];
    const seq = Int32Array.from({ length: 2000 }, (_, i) => pattern[i % pattern.length]);
    for (const cell of ['rnn', 'gru', 'lstm'] as const) {
      for (const [optimizer, learningRate] of [
        ['adagrad', 0.1],
        ['rmsprop', 0.01],
        ['adam', 0.01],
      ] as const) {
        const m = new ReferenceModel({
          ...c,
          cell,
          optimizer,
          learningRate,
          layers: 2,
          hiddenSize: 12,
          unroll: 8,
          clip: 5,
        });
        let last = 0;
        for (let p = 0; p + 9 < seq.length; p += 8) last = m.trainChunk(seq, p, 8) / 8;
        expect(last, `${cell} ${optimizer}`).toBeLessThan(0.3 * Math.log(5));
      }
    }
  });

  test('batch: B streams average their losses; B identical streams give the one-stream loss and gradients', () => {
    const one = new ReferenceModel({ ...c, cell: 'gru' });
    const three = new ReferenceModel({ ...c, cell: 'gru', batch: 3 });
    const h1 = new Float64Array(6).fill(0.2);
    const a = one.lossAndGradients(data, 5, 4, h1);
    const b = three.lossAndGradients(data, [5, 5, 5], 4, new Float64Array(18).fill(0.2));
    expect(b.loss).toBeCloseTo(a.loss, 12);
    for (const n of Object.keys(a.grads)) a.grads[n].forEach((g, i) => expect(b.grads[n][i]).toBeCloseTo(g, 12));
  });

  test('dropout is deterministic from the seed and off for evaluation', () => {
    const run = (seed: number) => {
      const m = new ReferenceModel({ ...c, layers: 2, dropout: 0.5, seed });
      const losses = [0, 4, 8].map((p) => m.trainChunk(data, p, 4));
      return { losses, m };
    };
    const a = run(1);
    expect(run(1).losses).toEqual(a.losses);
    // Evaluation is deterministic (no masks drawn): twice the same score.
    expect(a.m.evaluate(data, 20, 40)).toEqual(a.m.evaluate(data, 20, 40));
  });
});
