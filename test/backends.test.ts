/**
 * The backends behind one interface (CharModel): the same shape of answers, the same refusals.
 * Nothing here names a concrete class: every model comes from createModel.
 */
import { describe, expect, test } from 'vitest';
import { BACKENDS, createModel, type Backend } from '../src/backend/index.js';
import { nativeStatus } from '../src/backend/nativeAddon.js';
import { initParams } from '../src/model/params.js';
import { PARAM_NAMES, type RnnConfig } from '../src/model/types.js';
import { makeRng } from '../src/util/rng.js';

const cfg: RnnConfig = { vocabSize: 5, hiddenSize: 8, unroll: 4, learningRate: 0.1, clip: 5, seed: 3 };
/** The backends that run here (native where its addon is built: test/native.test.ts covers the other case). */
const AVAILABLE: Backend[] = BACKENDS.filter((b) => b !== 'native' || nativeStatus().available);
const FAST = AVAILABLE.filter((b) => b !== 'reference');
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

describe.each(AVAILABLE)('%s backend', (backend) => {
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

describe.each(FAST)('the reference (the oracle) refuses exactly what %s refuses', (fastBackend) => {
  const cases: [string, (backend: Backend) => unknown][] = [
    ['hidden size 0', (b) => createModel(b, { ...cfg, hiddenSize: 0 })],
    ['hidden size -1', (b) => createModel(b, { ...cfg, hiddenSize: -1 })],
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
    [
      'a symbol outside the vocabulary in held-out text',
      (b) => createModel(b, cfg).evaluate(Int32Array.from([0, 7, 1]), 1, 3),
    ],
    ['an empty prime', (b) => createModel(b, cfg).sample([], 3, 1, makeRng(1))],
    ['a priming symbol outside the vocabulary', (b) => createModel(b, cfg).sample([7], 3, 1, makeRng(1))],
    ['temperature 0', (b) => createModel(b, cfg).sample([1], 3, 0, makeRng(1))],
  ];
  test.each(cases)('%s', (_what, call) => {
    const [fast, oracle] = [refusal(() => call(fastBackend)), refusal(() => call('reference'))];
    expect(fast).not.toBe('');
    expect(oracle).toBe(fast);
  });
});

describe('named state: export and import', () => {
  const text = Int32Array.from({ length: 400 }, (_, i) => (i * 7 + (i >> 3)) % 5);

  test.each(AVAILABLE)('%s: a model restored from exportState continues exactly as the original', (backend) => {
    const a = createModel(backend, cfg);
    for (let p = 0; p < 100; p += 4) a.trainChunk(text, p, 4);
    const state = a.exportState();
    expect(Object.keys(state.params)).toEqual([...PARAM_NAMES]);
    expect(Object.keys(state.optimizer)).toEqual(PARAM_NAMES.map((n) => `mem.${n}`));
    expect(Object.keys(state.hidden)).toEqual(['h']);
    const b = createModel(backend, { ...cfg, seed: 99 }); // other weights, replaced by the import
    b.importState(state);
    for (let p = 100; p < 200; p += 4) expect(b.trainChunk(text, p, 4)).toBe(a.trainChunk(text, p, 4));
    expect(b.exportState()).toEqual(a.exportState());
  });

  test.each(AVAILABLE)('%s: refuses a state with a missing or misshapen tensor, naming it', (backend) => {
    const m = createModel(backend, cfg);
    const s = m.exportState();
    const { Whh: _dropped, ...rest } = s.params;
    expect(() => m.importState({ ...s, params: rest })).toThrow(/parameter Whh is missing/);
    expect(() => m.importState({ ...s, hidden: { h: new Float64Array(3) } })).toThrow(
      /hidden h has 3 elements, expected 8/,
    );
  });

  test("the reference names every cell's state: LSTM h and c per layer, adam m, v and t", () => {
    const c: RnnConfig = { ...cfg, cell: 'lstm', layers: 2, batch: 3, optimizer: 'adam' };
    const m = createModel('reference', c);
    const s = m.exportState();
    expect(Object.keys(s.hidden)).toEqual(['h', 'h.1', 'c', 'c.1']);
    for (const t of Object.values(s.hidden)) expect(t).toHaveLength(3 * 8);
    expect(Object.keys(s.optimizer)).toContain('v.Wh.1');
    expect(s.optimizer.t).toEqual(new Float64Array(1));
    const data = Int32Array.from({ length: 60 }, (_, i) => i % 5);
    m.trainChunk(data, [0, 20, 40], 4);
    const n = createModel('reference', c);
    n.importState(m.exportState());
    expect(n.trainChunk(data, [4, 24, 44], 4)).toBe(m.trainChunk(data, [4, 24, 44], 4));
    expect(n.exportState()).toEqual(m.exportState());
  });
});

describe('which configurations each backend trains', () => {
  test.each([
    ['layers', { layers: 2 }],
    ['batch', { batch: 4 }],
    ['optimizer', { optimizer: 'adam' }],
    ['clipNorm', { clipNorm: 5 }],
  ] as const)("every backend trains cell rnn with %s beyond min-char-rnn's", (_knob, over) => {
    const text = Int32Array.from({ length: 80 }, (_, i) => (i * 3) % 5);
    const starts = Array.from({ length: 'batch' in over ? over.batch : 1 }, (_, b) => 10 * b);
    for (const b of AVAILABLE) {
      const m = createModel(b, { ...cfg, ...over });
      expect(m.config).toMatchObject(over);
      expect(m.trainChunk(text, starts, 4)).toBeGreaterThan(0);
    }
  });

  test('the reference refuses bad knobs', () => {
    expect(() => createModel('reference', { ...cfg, cell: 'transformer' as never })).toThrow(
      /cell must be one of rnn, gru, lstm/,
    );
    expect(() => createModel('reference', { ...cfg, layers: 4 })).toThrow(/layers must be 1, 2 or 3/);
    expect(() => createModel('reference', { ...cfg, dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => createModel('reference', { ...cfg, batch: 0 })).toThrow(/batch must be a positive integer/);
    expect(() => createModel('reference', { ...cfg, optimizer: 'sgd' as never })).toThrow(
      /optimizer must be one of adagrad, rmsprop, adam/,
    );
    expect(() => createModel('reference', { ...cfg, batch: 2 }).trainChunk(data, 0, 2)).toThrow(
      /expected 2 stream start\(s\), got 1/,
    );
  });
});
