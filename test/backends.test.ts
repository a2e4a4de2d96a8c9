/**
 * The backends behind one interface (CharModel): the same shape of answers, the same refusals.
 * Nothing here names a concrete class: every model comes from createModel.
 */
import { describe, expect, test } from 'vitest';
import { BACKENDS, createModel } from '../src/backend/index.js';
import { initParams } from '../src/model/params.js';
import { PARAM_NAMES, type RnnConfig } from '../src/model/types.js';
import { makeRng } from '../src/util/rng.js';

const cfg: RnnConfig = { vocabSize: 5, hiddenSize: 8, unroll: 4, learningRate: 0.1, clip: 5, seed: 3 };
const data = Int32Array.from([0, 1, 2, 3, 4, 0, 1]);

/** The message a call throws (or '' if it does not). */
function refusal(f: () => unknown): string {
  try {
    f();
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(RangeError);
    return (err as Error).message;
  }
}

describe.each(BACKENDS)('%s backend', (backend) => {
  test('lossAndGradients: {loss, grads} with every parameter array, and no state change', () => {
    const m = createModel(backend, cfg);
    const before = m.exportParams();
    const hPrev = new Float64Array(cfg.hiddenSize).fill(0.1);
    const { loss, grads } = m.lossAndGradients(data, 1, 4, hPrev);
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeCloseTo(4 * Math.log(5), 1); // an untrained model: ln V per character
    for (const name of PARAM_NAMES) expect(grads[name]).toHaveLength(before[name].length);
    expect(m.exportParams()).toEqual(before);
    expect(Array.from(m.exportHidden())).toEqual(new Array(cfg.hiddenSize).fill(0));
  });
});

describe('the reference (the oracle) refuses exactly what the fast path refuses', () => {
  const cases: [string, (backend: (typeof BACKENDS)[number]) => unknown][] = [
    ['hidden size 0', (b) => createModel(b, { ...cfg, hiddenSize: 0 })],
    ['vocabulary 2.5', (b) => createModel(b, { ...cfg, vocabSize: 2.5 })],
    ['clip 0', (b) => createModel(b, { ...cfg, clip: 0 })],
    ['learning rate NaN', (b) => createModel(b, { ...cfg, learningRate: NaN })],
    ['parameters of the wrong shape', (b) => createModel(b, cfg, initParams({ ...cfg, hiddenSize: 9 }))],
    ['a chunk longer than unroll', (b) => createModel(b, cfg).trainChunk(data, 0, 5)],
    ['a chunk whose last target is past the data', (b) => createModel(b, cfg).trainChunk(data, 4, 3)],
    ['a negative start', (b) => createModel(b, cfg).trainChunk(data, -1, 2)],
    ['a symbol outside the vocabulary', (b) => createModel(b, cfg).trainChunk(Int32Array.from([0, 1, 9, 2, 3]), 0, 4)],
    ['a hidden state of the wrong size', (b) => createModel(b, cfg).lossAndGradients(data, 0, 4, new Float64Array(3))],
    ['an evaluation range starting at 0', (b) => createModel(b, cfg).evaluate(data, 0, 3)],
    ['an evaluation range past the data', (b) => createModel(b, cfg).evaluate(data, 1, 8)],
    ['a symbol outside the vocabulary in held-out text', (b) => createModel(b, cfg).evaluate(Int32Array.from([0, 7, 1]), 1, 3)],
    ['an empty prime', (b) => createModel(b, cfg).sample([], 3, 1, makeRng(1))],
    ['a priming symbol outside the vocabulary', (b) => createModel(b, cfg).sample([7], 3, 1, makeRng(1))],
    ['temperature 0', (b) => createModel(b, cfg).sample([1], 3, 0, makeRng(1))],
  ];
  test.each(cases)('%s', (_what, call) => {
    const [fast, oracle] = [refusal(() => call('wasm')), refusal(() => call('reference'))];
    expect(fast).not.toBe('');
    expect(oracle).toBe(fast);
  });
});
