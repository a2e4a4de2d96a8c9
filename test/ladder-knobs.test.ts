/**
 * The model ladder's knobs end to end: the learning-rate schedule, the best held-out score, the
 * Markov baseline on every stream's part, the union-of-grids search, summary.csv's new columns
 * (and tables written before them), and the flags and refusals of `train` and `sweep`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createModel } from '../src/backend/index.js';
import { checkpointOf, decodeCheckpoint, encodeCheckpoint, modelFromCheckpoint } from '../src/checkpoint/checkpoint.js';
import { prepareCorpus, type Corpus } from '../src/corpus/index.js';
import { MarkovModel } from '../src/markov/markov.js';
import { initTensors, parameterCount } from '../src/model/spec.js';
import type { RnnConfig } from '../src/model/types.js';
import { parseSummary } from '../src/report/tables.js';
import { planRuns } from '../src/sweep/grid.js';
import { configId, knobDefaults } from '../src/results/knobs.js';
import { ExperimentSchema } from '../src/results/schema.js';
import { readTable, SUMMARY_COLUMNS } from '../src/results/tables.js';
import { SUMMARY_COLUMNS_V1 } from '../src/results/columns.js';
import { markovBaseline, markovBaselineOn, seenRangesFor } from '../src/train/baseline.js';
import { readRanges } from '../src/train/chunks.js';
import type { CurvePoint } from '../src/results/records.js';
import { trainRun, type Cadence, type RunSnapshot } from '../src/train/run.js';
import { learningRateAt } from '../src/train/schedule.js';
import { referenceBytes, wasmLinearBytes } from '../src/train/memory.js';
import { makeRng } from '../src/util/rng.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const words = ['the ', 'cat ', 'sat ', 'on ', 'a ', 'mat ', 'and ', 'dog ', 'ran.\n'];
const rng = makeRng('ladder-text');
const text = Array.from({ length: 300 }, () => words[Math.floor(rng() * words.length)]).join('');
const corpus: Corpus = prepareCorpus(text, 'synthetic', { validation: 0.1 });
const V = corpus.vocab.symbols.length;
const lstm: RnnConfig = {
  vocabSize: V,
  hiddenSize: 10,
  unroll: 6,
  learningRate: 0.01,
  clip: 5,
  seed: 3,
  cell: 'lstm',
  batch: 2,
  optimizer: 'adam',
};
// Held-out text read whole by every intermediate score (evalChars ≥ its length).
const cadence: Cadence = {
  curveEvery: 400,
  evalEvery: 400,
  evalChars: 10_000,
  sampleEvery: 0,
  sampleLength: 10,
  temperature: 1,
};

describe("char-rnn's learning-rate schedule", () => {
  test('lr(e) = lr · decay^max(0, e − after), e = epochs completed', () => {
    const c = { ...lstm, learningRate: 0.01, lrDecay: 0.5, lrDecayAfter: 2 };
    expect([0, 1, 2, 3, 4].map((e) => learningRateAt(c, e))).toEqual([0.01, 0.01, 0.01, 0.005, 0.0025]);
    expect(learningRateAt({ ...lstm, learningRate: 0.01 }, 50)).toBe(0.01); // lrDecay 1: constant
  });

  test('a decayed run equals the constant one until the decay starts, and differs after', () => {
    const epoch = corpus.trainEnd; // characters per epoch, roughly (the streams wrap together)
    const budget = 4 * epoch;
    const run = (config: RnnConfig) => {
      const curves: CurvePoint[] = [];
      trainRun(createModel('wasm', config), corpus, budget, cadence, { onCurve: (p) => curves.push(p) });
      return curves;
    };
    const constant = run(lstm);
    const decayed = run({ ...lstm, lrDecay: 0.5, lrDecayAfter: 1 });
    const before = (c: CurvePoint) => c.chars < 2 * epoch - 2 * 12; // inside the first two epochs
    expect(decayed.filter(before)).toEqual(
      constant.filter(before).map((c, i) => ({ ...c, elapsedS: decayed[i].elapsedS })),
    );
    expect(decayed.at(-1)!.smoothLossPerChar).not.toBe(constant.at(-1)!.smoothLossPerChar);
  });

  test('resumed from a checkpoint taken after the decay started, the run is the one that never stopped', () => {
    const config = { ...lstm, lrDecay: 0.5, lrDecayAfter: 0 };
    const budget = 3 * corpus.trainEnd;
    const checkpoints: Buffer[] = [];
    const ctx = {
      vocab: corpus.vocab.symbols,
      corpus: { source: 's', sha256: '0'.repeat(64), chars: corpus.length, trainEnd: corpus.trainEnd, validation: 0.1 },
      markovOrder: 2,
    };
    const straight = createModel('wasm', config);
    const a = trainRun(
      straight,
      corpus,
      budget,
      cadence,
      {
        onSnapshot: (run: RunSnapshot) =>
          checkpoints.push(encodeCheckpoint(checkpointOf(straight, 'wasm', { ...ctx, run }))),
      },
      { saveEvery: Math.round(1.5 * corpus.trainEnd) },
    );
    const ck = decodeCheckpoint(checkpoints[0]);
    expect(ck.run!.epoch).toBe(1); // the rate was halved once already
    const resumed = modelFromCheckpoint(ck);
    const b = trainRun(resumed, corpus, budget, cadence, {}, { resume: ck.run! });
    expect(resumed.exportState()).toEqual(straight.exportState());
    expect(b.valBpc).toBe(a.valBpc);
  });
});

describe('the best held-out score', () => {
  test('the best of the curve scores (each on the same held-out text, the final one included) and where', () => {
    for (const evalChars of [cadence.evalChars, 50]) {
      const curves: CurvePoint[] = [];
      const r = trainRun(
        createModel('wasm', lstm),
        corpus,
        3000,
        { ...cadence, evalChars },
        { onCurve: (p) => curves.push(p) },
      );
      const scored = curves.filter((c) => c.valBpc !== null);
      const best = scored.reduce((m, c) => (c.valBpc! < m.valBpc! ? c : m));
      expect(scored.length).toBeGreaterThan(3);
      expect(r.best).toEqual({ valBpc: best.valBpc, chars: best.chars });
      expect(r.curveChars).toBe(Math.min(evalChars, corpus.length - corpus.trainEnd));
    }
  });
});

describe('the Markov baseline reads what the streams read', () => {
  test('one range is train(); several ranges add their counts without n-grams across them', () => {
    const opts = { order: 3, vocabSize: V };
    const one = MarkovModel.train(corpus.ids, 0, corpus.trainEnd, opts);
    const ranges = MarkovModel.trainRanges(corpus.ids, [[0, corpus.trainEnd]], opts);
    const score = (m: MarkovModel) => m.evaluate(corpus.ids, corpus.trainEnd, corpus.length).bpc;
    expect(score(ranges)).toBe(score(one));
    // "ab" then "ba" as two texts: the bigram "bb" across the cut is never seen.
    const ids = Int32Array.from([0, 1, 1, 0]);
    const cut = MarkovModel.trainRanges(
      ids,
      [
        [0, 2],
        [2, 4],
      ],
      { order: 1, vocabSize: 2 },
    );
    const whole = MarkovModel.train(ids, 0, 4, { order: 1, vocabSize: 2 });
    expect(cut.distribution([1])[1]).toBeLessThan(whole.distribution([1])[1]);
  });

  test('batch 3: the baseline counts the three parts as far as each stream read them', () => {
    const budget = 900;
    const ranges = seenRangesFor(corpus, 6, budget, 3);
    expect(ranges).toEqual(readRanges(corpus.trainEnd, 6, budget, 3));
    const b = markovBaselineOn(corpus, ranges, 3, { length: 5, seed: 1 });
    expect(b.trainChars).toBe(ranges.reduce((n, [x, y]) => n + y - x, 0));
    expect(b.valBpc).not.toBe(markovBaseline(corpus, b.trainChars, 3, { length: 5, seed: 1 }).valBpc);
    // a budget that wraps: every part read whole, one range
    expect(seenRangesFor(corpus, 6, 10 * corpus.trainEnd, 3)).toEqual([[0, 3 * Math.floor(corpus.trainEnd / 3)]]);
  });
});

describe('the initialisation knob', () => {
  test('"pytorch": every tensor U(±1/√H), biases included, no forget-gate constant; the default is unchanged', () => {
    const c = { ...lstm, hiddenSize: 16 };
    const bound = 1 / Math.sqrt(16);
    const torchLike = initTensors({ ...c, init: 'pytorch' });
    for (const [name, w] of Object.entries(torchLike)) {
      expect(Math.max(...w.map(Math.abs)), name).toBeLessThanOrEqual(bound);
      expect(Math.max(...w.map(Math.abs)), name).toBeGreaterThan(bound / 2); // drawn, not zero
    }
    const own = initTensors(c);
    expect(own).toEqual(initTensors({ ...c, init: 'min-char-rnn' }));
    expect(Array.from(own.b.subarray(16, 32))).toEqual(Array(16).fill(1)); // the forget gate's bias
    expect(Math.max(...own.Why.map(Math.abs))).toBeLessThan(0.06); // N(0, 0.01²)
    expect(configId({ ...knobDefaults(), init: 'pytorch' })).toBe('h100-u16-c5-lr0.1-init-pytorch');
  });
});

describe('memory estimates follow the cell', () => {
  test('at one hidden size: lstm > gru > rnn, and more streams or Adam need more', () => {
    const s = { hiddenSize: 256, vocabSize: 60, unroll: 64 };
    const w = (x: object) => wasmLinearBytes({ ...s, ...x });
    expect(w({ cell: 'lstm', batch: 32 })).toBeGreaterThan(w({ cell: 'gru', batch: 32 }));
    expect(w({ cell: 'gru', batch: 32 })).toBeGreaterThan(w({ cell: 'rnn', batch: 32 }));
    expect(w({ cell: 'lstm', batch: 32 })).toBeGreaterThan(w({ cell: 'lstm', batch: 1 }));
    expect(referenceBytes({ ...s, cell: 'lstm', optimizer: 'adam' })).toBeGreaterThan(
      referenceBytes({ ...s, cell: 'lstm' }),
    );
    expect(wasmLinearBytes(s)).toBe(wasmLinearBytes({ ...s, cell: 'rnn', layers: 1, batch: 1, optimizer: 'adagrad' })); // min-char-rnn's exact layout
  });
});

describe('a union of grids', () => {
  const exp = (grids: unknown[]) =>
    ExperimentSchema.parse({
      name: 'x',
      corpus: 'c.txt',
      budget: { chars: 10 },
      seeds: [1, 2],
      grid: { unroll: [8] },
      search: { method: 'grids', grids },
    });

  test("each grid over the experiment's grid, in order, a repeated configuration once", () => {
    const runs = planRuns(
      exp([
        { cell: ['lstm'], hiddenSize: [16, 32], batch: [4] },
        { hiddenSize: [16] },
        { cell: ['lstm'], hiddenSize: [16], batch: [4] },
      ]),
    );
    expect(runs.map((r) => r.id)).toEqual([
      'h16-u8-c5-lr0.1-lstm-B4-s1',
      'h16-u8-c5-lr0.1-lstm-B4-s2',
      'h32-u8-c5-lr0.1-lstm-B4-s1',
      'h32-u8-c5-lr0.1-lstm-B4-s2',
      'h16-u8-c5-lr0.1-s1',
      'h16-u8-c5-lr0.1-s2',
    ]);
    expect(runs[4]).toMatchObject({ ...knobDefaults(), hiddenSize: 16, unroll: 8 });
  });

  test('a bad key or value inside a grid is refused with its path', () => {
    expect(() => exp([{ cell: ['lstm'] }, { cell: ['transformer'] }])).toThrow(/grids/);
    expect(() => exp([])).toThrow(/non-empty list of grids/);
  });
});

describe('summary.csv with the ladder', () => {
  test('new columns: params and the best score; a v1 table is read, then upgraded in place when the sweep appends', async () => {
    const dir = tempDir('charlab-ladder-');
    smallCorpus(dir, 20_000);
    const base = { ...tinyExperiment('t'), evaluation: { every: 1000, chars: 100_000 } };
    const first = await runCli(['sweep', writeExperiment(dir, base), '--out', join(dir, 'out')]);
    expect(first.code).toBe(0);
    const [row] = readTable(join(dir, 'out'), 'summary').rows;
    expect(Number(row.params)).toBe(
      parameterCount({ vocabSize: vocabOf(dir), hiddenSize: 8, unroll: 8, learningRate: 0.1, clip: 5, seed: 1 }),
    );
    expect(Number(row.best_val_bpc)).toBeLessThanOrEqual(Number(row.val_bpc));
    // Rewrite the table as version 1 wrote it: min-char-rnn's columns only.
    const path = join(dir, 'out', 'summary.csv');
    const v1 = [SUMMARY_COLUMNS_V1.join(','), SUMMARY_COLUMNS_V1.map((c) => row[c]).join(',')].join('\n') + '\n';
    writeFileSync(path, v1);
    const read = readTable(join(dir, 'out'), 'summary').rows[0];
    expect(read).toMatchObject({ run_id: row.run_id, val_bpc: row.val_bpc, cell: '', params: '', best_val_bpc: '' });
    expect(parseSummary(v1, path).rows[0]).toMatchObject({
      cell: 'rnn',
      layers: 1,
      batch: 1,
      params: null,
      bestValBpc: null,
    });
    const second = await runCli(['sweep', writeExperiment(dir, { ...base, seeds: [1, 2] }), '--out', join(dir, 'out')]);
    expect(second.code).toBe(0);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(SUMMARY_COLUMNS.join(','));
    const rows = readTable(join(dir, 'out'), 'summary').rows;
    expect(rows.map((r) => r.run_id)).toEqual([row.run_id, row.run_id.replace(/-s1$/, '-s2')]);
    expect(rows[0].val_bpc).toBe(row.val_bpc); // the old run kept, not re-run
    expect(rows[1].params).toBe(row.params);
  });

  test("train takes the ladder's flags and reports params and the best score; wasm trains cell rnn beyond min-char-rnn's configuration", async () => {
    const dir = tempDir('charlab-ladder-');
    const corpusPath = smallCorpus(dir, 20_000);
    const args = [
      'train',
      '--corpus',
      corpusPath,
      '--cell',
      'gru',
      '--layers',
      '2',
      '--batch',
      '3',
      '--optimizer',
      'rmsprop',
      '--hidden',
      '8',
      '--unroll',
      '8',
      '--chars',
      '3000',
      '--lr-decay',
      '0.5',
      '--json',
    ];
    const r = await runCli(args);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      cell: 'gru',
      layers: 2,
      batch: 3,
      optimizer: 'rmsprop',
      lrDecay: 0.5,
      bestValBpc: out.valBpc,
      bestValChars: out.chars,
    });
    expect(out.params).toBe(
      parameterCount({
        vocabSize: vocabOf(dir),
        hiddenSize: 8,
        unroll: 8,
        learningRate: 0.1,
        clip: 5,
        seed: 1,
        cell: 'gru',
        layers: 2,
      }),
    );
    const rnn = await runCli([
      'train',
      '--corpus',
      corpusPath,
      '--batch',
      '4',
      '--hidden',
      '8',
      '--chars',
      '200',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(rnn.code, rnn.stderr).toBe(0);
    expect(JSON.parse(rnn.stdout)).toMatchObject({
      cell: 'rnn',
      batch: 4,
      backend: 'wasm',
      isa: 'simd128',
      status: 'done',
    });
    // memory is estimated for the cell: an LSTM too large for the 4 GiB wasm address space is refused before work
    const huge = writeExperiment(
      dir,
      {
        ...tinyExperiment('t'),
        backend: 'wasm',
        grid: { ...tinyExperiment('t').grid, hiddenSize: [8, 12000], cell: ['lstm'], batch: [8] },
      },
      'huge.json',
    );
    const refused = await runCli(['sweep', huge, '--out', join(dir, 'never')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /huge\.json: grid\.hiddenSize: 12000: a wasm run h12000-u8-c5-lr0\.1-lstm-B8-s1 .* needs about .* GB, more than the 4\.3 GB \(4 GiB\) WebAssembly address space/,
    );
  });
});

/** The symbols of smallCorpus's text (its vocabulary size). */
function vocabOf(dir: string): number {
  return new Set(readFileSync(join(dir, 'small.txt'), 'utf8')).size;
}
