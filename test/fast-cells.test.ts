/**
 * The fast backends' one host model (src/backend/kernelModel.ts: rnn, gru, lstm on the f32 kernels
 * of wasm and of native, each ISA this CPU runs forced in turn) against the Float64 reference
 * (src/model/reference.ts), from the same initial parameters (both take the reference's
 * initialisation; the fast model rounds it to f32). min-char-rnn's own configuration takes the fused
 * fast path on both backends, tested in test/min-char-rnn-fused.test.ts (which also checks the host
 * model against it on that configuration); every configuration here runs on the host model.
 *
 * Tolerances, and why:
 * - Gradients: relErr(a, b) = max_i |a_i − b_i| / max_i |b_i| per tensor (the worst element error
 *   against the tensor's scale, as test/wasm.test.ts measures). f32 carries 2^−24 ≈ 6e-8 relative
 *   per operation; a chunk of T steps sums O(T·(H + V)) products of magnitude ≤ the scale and the
 *   kernels' tanh/exp approximations add ~1e-7 absolute each, so a few 1e-5 bounds a correct
 *   kernel with a wide margin, while a wrong index, gate order or missing term gives O(1). We
 *   assert 2e-4 (the weights are rounded to f32 first: 6e-8 relative on each input).
 * - Loss of a chunk: relative 1e-5 (a sum of T·B logs, each within ~1e-6 relative).
 * - Training losses (Adam, 20 iterations): relative 2e-3. Adam divides by √v, which amplifies tiny
 *   gradient differences on elements whose gradient is near 0 (m/√v ≈ ±1 whatever the size), so
 *   the two backends' parameters drift apart by up to ~lr per step on such elements; the losses
 *   still agree to ~1e-6 over these steps (measured), the held-out bpc after them to 1e-2 and the
 *   carried state to 2e-2 of its scale (asserted with that drift in mind).
 * - Evaluation from identical parameters: bpc within 1e-4 absolute on 300 held-out symbols.
 * - Samples: from identical parameters and the same generator the two backends draw the same
 *   symbols unless a uniform draw lands within ~1e-6 (the f32 error of p) of a cumulative-probability
 *   boundary: for 40 draws over V = 12 symbols that is a chance of about 40·12·1e-6 ≈ 5e-4, and the
 *   test is deterministic (fixed seeds), so it asserts equality.
 * - Dropout: the fast model draws the reference's masks (same generator, same order), so the same
 *   tolerances apply to its gradients and losses.
 * - Determinism: two runs of the same configuration give bitwise-identical losses and parameters.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../src/backend/index.js';
import { KernelModel } from '../src/backend/kernelModel.js';
import { ReferenceModel } from '../src/model/reference.js';
import { initTensors } from '../src/model/spec.js';
import type { CharModel, RnnConfig, Tensors } from '../src/model/types.js';
import { StreamCursor } from '../src/train/chunks.js';
import { makeRng } from '../src/util/rng.js';
import { FAST_BACKENDS } from './helpers/backends.js';
import { relErr } from './helpers/relErr.js';

/** Text with some structure (so training lowers the loss): a noisy repeating phrase over V symbols. */
function text(n: number, V: number, seed: string): Int32Array {
  const rng = makeRng(seed);
  const phrase = [0, 3, 1, 4, 1, 5, 9 % V, 2, 6 % V, 5, 3, 5 % V, 8 % V, 9 % V, 7 % V];
  return Int32Array.from({ length: n }, (_, i) =>
    rng() < 0.15 ? Math.floor(rng() * V) : phrase[i % phrase.length] % V,
  );
}

/** Parameters scaled up from the initialisation, so the gates are well inside their non-linear range. */
function livelyParams(c: RnnConfig): Tensors {
  const p = initTensors(c);
  const rng = makeRng('lively');
  for (const t of Object.values(p)) for (let i = 0; i < t.length; i++) t[i] = t[i] * 3 + (rng() - 0.5) * 0.2;
  return p;
}

const base = { vocabSize: 12, hiddenSize: 10, unroll: 7, learningRate: 2e-3, clip: 5, seed: 3 } as const;

const CASES = FAST_BACKENDS.flatMap((b) => (['rnn', 'gru', 'lstm'] as const).map((cell) => ({ ...b, cell })));

describe.each(CASES)('$label $cell against the Float64 reference', ({ backend, opts, cell }) => {
  const fast = (c: RnnConfig, p?: Tensors) => createModel(backend, c, p, opts);
  // [batch, layers, len]: H = 10 and V = 12 exercise the padding of H to 12; len < unroll a short chunk.
  it.each([
    [1, 1, 7],
    [3, 1, 7],
    [3, 1, 4],
    [2, 2, 7],
    [2, 3, 5],
  ])('batch %i, %i layer(s), len %i: the loss and every gradient of one chunk', (batch, layers, len) => {
    const c: RnnConfig = { ...base, cell, batch, layers, optimizer: 'adam' };
    const p = livelyParams(c);
    const ref = new ReferenceModel(c, p);
    const wasm = fast(c, p);
    expect(wasm).toBeInstanceOf(KernelModel);
    const data = text(400, base.vocabSize, 'chunk');
    const starts = Array.from({ length: batch }, (_, b) => 11 + 90 * b);
    const rng = makeRng('h0');
    const h0 = Float64Array.from(ref.exportHidden(), () => rng() - 0.5); // a non-zero incoming state
    const r = ref.lossAndGradients(data, starts, len, h0);
    const w = wasm.lossAndGradients(data, starts, len, h0);
    expect(Math.abs(w.loss - r.loss) / r.loss).toBeLessThan(1e-5);
    expect(Object.keys(w.grads).sort()).toEqual(Object.keys(r.grads).sort());
    for (const name of Object.keys(r.grads)) {
      expect({ name, err: relErr(w.grads[name], r.grads[name]) }).toSatisfy(({ err }: { err: number }) => err < 2e-4);
    }
  });

  it('the first 20 iterations of Adam with clipNorm (3 streams) give the same losses, held-out score and state', () => {
    const c: RnnConfig = { ...base, cell, batch: 3, optimizer: 'adam', clipNorm: 1, learningRate: 1e-2 };
    const data = text(3000, base.vocabSize, 'train');
    const trainEnd = 2600;
    const models = [new ReferenceModel(c), fast(c)];
    const losses = models.map((m) => trainSteps(m, data, trainEnd, c, 20));
    for (let i = 0; i < 20; i++) expect(Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]).toBeLessThan(2e-3);
    expect(losses[0][19]).toBeLessThan(losses[0][0] * 0.95); // it learned something, so the comparison means something
    const [r, w] = models.map((m) => m.evaluate(data, trainEnd, trainEnd + 300).bpc);
    expect(Math.abs(w - r)).toBeLessThan(1e-2);
    const [sr, sw] = models.map((m) => m.exportState());
    expect(Object.keys(sw.optimizer).sort()).toEqual(Object.keys(sr.optimizer).sort());
    expect(sw.optimizer.t).toEqual(sr.optimizer.t);
    for (const name of Object.keys(sr.hidden)) expect(relErr(sw.hidden[name], sr.hidden[name])).toBeLessThan(2e-2);
  });

  it("from identical parameters: evaluation bpc within 1e-4 and the same sampled symbols (last stream's state)", () => {
    const c: RnnConfig = { ...base, cell, batch: 2, layers: 2, optimizer: 'rmsprop' };
    const data = text(3000, base.vocabSize, 'eval');
    const ref = new ReferenceModel(c);
    trainSteps(ref, data, 2600, c, 30);
    const wasm = fast(c);
    wasm.importState(ref.exportState()); // the reference's parameters, optimizer memory and state, rounded to f32
    const [r, w] = [ref, wasm].map((m) => m.evaluate(data, 2600, 2900).bpc);
    expect(Math.abs(w - r)).toBeLessThan(1e-4);
    const [a, b] = [ref, wasm].map((m) => Array.from(m.sample([1, 2, 3], 40, 0.8, makeRng('draw'))));
    expect(b).toEqual(a);
    // The state is the carried one of the last stream: evaluating from the first would score differently.
    expect(wasm.exportHidden()).toEqual(Float64Array.from(new Float32Array(ref.exportHidden())));
  });

  // Adagrad's and RMSprop's first steps move every element by about lr·sign(g) (4.5·lr for RMSprop),
  // whatever |g|: an element whose gradient is at f32's noise level may step the other way, so the
  // parameters are compared against a bound of 1e-3 of each tensor's scale after 5 steps at
  // char-rnn's RMSprop rate 2e-3 (min-char-rnn's Adagrad rate 0.1 would allow ~0.1 steps).
  it('adagrad and rmsprop with value clipping move the parameters as the reference does', () => {
    for (const [optimizer, learningRate] of [
      ['adagrad', 0.01],
      ['rmsprop', 2e-3],
    ] as const) {
      const c: RnnConfig = { ...base, cell, batch: 2, optimizer, learningRate, clip: 0.05 };
      const data = text(2000, base.vocabSize, optimizer);
      const models = [new ReferenceModel(c), fast(c)];
      const losses = models.map((m) => trainSteps(m, data, 1800, c, 5));
      for (let i = 0; i < 5; i++) expect(Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]).toBeLessThan(1e-3);
      const [pr, pw] = models.map((m) => m.exportParams());
      for (const name of Object.keys(pr)) expect(relErr(pw[name], pr[name])).toBeLessThan(1e-3);
    }
  });

  it("dropout between layers: the reference's masks (same generator, same order), so the same gradients and losses", () => {
    const c: RnnConfig = { ...base, cell, batch: 2, layers: 3, dropout: 0.3, optimizer: 'adam' };
    const p = livelyParams(c);
    const ref = new ReferenceModel(c, p);
    const wasm = fast(c, p);
    const data = text(2000, base.vocabSize, 'dropout');
    const h0 = new Float64Array(ref.exportHidden().length);
    const r = ref.lossAndGradients(data, [5, 905], 7, h0); // draws the first chunk's masks in each
    const w = wasm.lossAndGradients(data, [5, 905], 7, h0);
    expect(Math.abs(w.loss - r.loss) / r.loss).toBeLessThan(1e-5);
    for (const name of Object.keys(r.grads))
      expect({ name, err: relErr(w.grads[name], r.grads[name]) }).toSatisfy(({ err }: { err: number }) => err < 2e-4);
    const losses = [ref, wasm].map((m) => trainSteps(m, data, 1800, c, 10)); // the next chunks' masks
    for (let i = 0; i < 10; i++) expect(Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]).toBeLessThan(2e-3);
    // scoring runs without dropout in both
    expect(Math.abs(wasm.evaluate(data, 1800, 1900).bpc - ref.evaluate(data, 1800, 1900).bpc)).toBeLessThan(1e-2);
  });

  // Issue 21's regularisers: the masks are the reference's (same generator, same order: between the
  // layers, then the input's, then the output's), so the tolerances above apply unchanged.
  it.each([
    [1, 2, 0, 0.3, 0.4],
    [1, 1, 0, 0.5, 0],
    [2, 3, 0.2, 0.25, 0.3],
  ])(
    'input and output dropout (%i layer(s), batch %i, dropout %f, input %f, output %f): the same gradients, losses, and an exact resume',
    (layers, batch, dropout, inputDropout, outputDropout) => {
      const c: RnnConfig = { ...base, cell, batch, layers, dropout, inputDropout, outputDropout, optimizer: 'adam' };
      const p = livelyParams(c);
      const ref = new ReferenceModel(c, p);
      const m = fast(c, p);
      expect(m).toBeInstanceOf(KernelModel);
      const data = text(2000, base.vocabSize, 'regularisers');
      const starts = Array.from({ length: batch }, (_, b) => 5 + 600 * b);
      const h0 = new Float64Array(ref.exportHidden().length);
      const r = ref.lossAndGradients(data, starts, 7, h0);
      const w = m.lossAndGradients(data, starts, 7, h0);
      expect(Math.abs(w.loss - r.loss) / r.loss).toBeLessThan(1e-5);
      for (const name of Object.keys(r.grads))
        expect({ name, err: relErr(w.grads[name], r.grads[name]) }).toSatisfy(({ err }: { err: number }) => err < 2e-4);
      const losses = [ref, m].map((x) => trainSteps(x, data, 1800, c, 8));
      for (let i = 0; i < 8; i++) expect(Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]).toBeLessThan(2e-3);
      expect(Math.abs(m.evaluate(data, 1800, 1900).bpc - ref.evaluate(data, 1800, 1900).bpc)).toBeLessThan(1e-2); // no dropout when scoring
      // the generator's state travels with the model: a restored copy draws the same masks
      const copy = fast(c);
      copy.importState(m.exportState());
      expect(m.exportState().rng?.dropout).toBeDefined();
      expect(trainSteps(copy, data, 1800, c, 3)).toEqual(trainSteps(m, data, 1800, c, 3));
    },
  );

  it('decoupled weight decay with each optimizer moves every tensor as the reference does (the weight matrices decayed, the biases not)', () => {
    for (const [optimizer, learningRate] of [
      ['adam', 1e-2],
      ['rmsprop', 2e-3],
      ['adagrad', 0.01],
    ] as const) {
      const c: RnnConfig = { ...base, cell, batch: 2, layers: 2, optimizer, learningRate, clipNorm: 1, weightDecay: 5 };
      const data = text(2000, base.vocabSize, `wd-${optimizer}`);
      const models = [new ReferenceModel(c), fast(c), fast({ ...c, weightDecay: 0 })];
      const losses = models.map((x) => trainSteps(x, data, 1800, c, 5));
      for (let i = 0; i < 5; i++) expect(Math.abs(losses[1][i] - losses[0][i]) / losses[0][i]).toBeLessThan(1e-3);
      const [pr, pw, p0] = models.map((x) => x.exportParams());
      for (const name of Object.keys(pr)) {
        expect({ optimizer, name, err: relErr(pw[name], pr[name]) }).toSatisfy(
          ({ err }: { err: number }) => err < 1e-3,
        );
        // 5 steps of × (1 − 5·lr) shrink a weight matrix by far more than the tolerance; a bias not at all
        const decayed = relErr(p0[name], pr[name]);
        if (pr[name].length > 1 && !/^b/.test(name.split('.')[0]))
          expect({ optimizer, name, decayed }).toSatisfy(({ decayed: d }: { decayed: number }) => d > 1e-2);
      }
    }
  });

  it('is bitwise deterministic: two runs give identical losses, parameters and samples', () => {
    const c: RnnConfig = { ...base, cell, batch: 3, layers: 2, optimizer: 'adam', clipNorm: 5 };
    const data = text(3000, base.vocabSize, 'det');
    const runs = [0, 1].map(() => {
      const m = fast(c);
      const losses = trainSteps(m, data, 2600, c, 15);
      return {
        losses,
        params: m.exportParams(),
        bpc: m.evaluate(data, 2600, 2800).bpc,
        sample: m.sample([0], 30, 1, makeRng('s')),
      };
    });
    expect(runs[1].losses).toEqual(runs[0].losses);
    expect(runs[1].bpc).toBe(runs[0].bpc);
    expect(runs[1].sample).toEqual(runs[0].sample);
    for (const name of Object.keys(runs[0].params))
      expect(Buffer.from(runs[1].params[name].buffer).equals(Buffer.from(runs[0].params[name].buffer))).toBe(true);
  });

  it("starts from the reference's initialisation, exports the reference's tensor names and round-trips its own state", () => {
    const c: RnnConfig = { ...base, cell, batch: 2, layers: 2, optimizer: 'adam', clipNorm: 5 };
    const ref = new ReferenceModel(c).exportState();
    const m = fast(c);
    const init = initTensors(c); // the reference's initialisation, rounded to f32
    expect(m.exportParams()).toEqual(
      Object.fromEntries(Object.entries(init).map(([k, v]) => [k, Float64Array.from(new Float32Array(v))])),
    );
    const data = text(500, base.vocabSize, 'names');
    m.trainChunk(data, [0, 200], 7);
    const s = m.exportState();
    for (const part of ['params', 'optimizer', 'hidden'] as const)
      expect(Object.keys(s[part]).sort()).toEqual(Object.keys(ref[part]).sort());
    const n = fast(c);
    n.importState(s);
    expect(n.trainChunk(data, [7, 207], 7)).toBe(m.trainChunk(data, [7, 207], 7));
    expect(n.exportState()).toEqual(m.exportState());
    const Wh = cell === 'rnn' ? 'Whh' : 'Wh'; // min-char-rnn's name for the recurrent weight
    expect(() => n.importState({ ...s, params: { ...s.params, [Wh]: new Float64Array(3) } })).toThrow(
      new RegExp(`parameter ${Wh} has 3 elements`),
    );
  });
});

describe.each(FAST_BACKENDS)("the host model's input checks ($label)", ({ backend, opts }) => {
  it('bad chunks, as the reference does', () => {
    const m = createModel(backend, { ...base, cell: 'gru', batch: 2 }, undefined, opts);
    const data = text(100, base.vocabSize, 'bad');
    expect(() => m.trainChunk(data, 0, 3)).toThrow(/expected 2 stream start\(s\), got 1/);
    expect(() => m.trainChunk(data, [0, 95], 7)).toThrow(/does not fit data of length 100/);
  });
});

/** Train `steps` chunks with the run's stream cursor; returns the losses. */
function trainSteps(m: CharModel, data: Int32Array, trainEnd: number, c: RnnConfig, steps: number): number[] {
  const cursor = new StreamCursor(trainEnd, c.unroll, c.batch ?? 1);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s = cursor.next();
    if (s.reset) m.resetHidden();
    out.push(m.trainChunk(data, s.starts, s.len));
  }
  return out;
}
