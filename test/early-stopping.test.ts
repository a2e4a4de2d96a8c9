/**
 * Held-out curves that compare like with like, and early stopping on them (issue 21): every curve
 * score — intermediate and final — reads the same held-out text; the run's own score reads all of
 * it; early stopping stops at the right score of a planted sequence, records where and why, and a
 * stopped run continues (successive halving) and resumes exactly.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkpointOf, decodeCheckpoint, encodeCheckpoint, modelFromCheckpoint } from '../src/checkpoint/checkpoint.js';
import { prepareCorpus, type Corpus } from '../src/corpus/index.js';
import { ReferenceModel } from '../src/model/reference.js';
import type { EvalResult, RnnConfig } from '../src/model/types.js';
import { EARLY_STOPPING_START, observeScore, type EarlyStoppingRule } from '../src/train/earlyStopping.js';
import type { CurvePoint } from '../src/results/records.js';
import { trainRun, type Cadence, type RunSnapshot } from '../src/train/run.js';
import { ExperimentSchema } from '../src/results/schema.js';
import { makeRng } from '../src/util/rng.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const words = ['the ', 'cat ', 'sat ', 'on ', 'a ', 'mat ', 'and ', 'dog ', 'ran.\n'];
const rng = makeRng('curve-text');
const text = Array.from({ length: 400 }, () => words[Math.floor(rng() * words.length)]).join('');
const corpus: Corpus = prepareCorpus(text, 'synthetic', { validation: 0.1 });
const heldOut = corpus.length - corpus.trainEnd;
const config: RnnConfig = {
  vocabSize: corpus.vocab.symbols.length,
  hiddenSize: 8,
  unroll: 8,
  learningRate: 0.1,
  clip: 5,
  seed: 1,
};
const cadence: Cadence = {
  curveEvery: 200,
  evalEvery: 200,
  evalChars: 60,
  sampleEvery: 0,
  sampleLength: 10,
  temperature: 1,
};

/** A reference model that records the held-out ranges it scores (and can answer planted scores for the curve text). */
class Recording extends ReferenceModel {
  readonly ranges: Array<[number, number]> = [];
  planted: number[] | null = null;
  override evaluate(data: Int32Array, start: number, end: number): EvalResult {
    this.ranges.push([start, end]);
    const real = super.evaluate(data, start, end);
    if (this.planted === null || end === corpus.length) return real;
    const bpc = this.planted.shift() ?? 9;
    return { ...real, bpc };
  }
}

function run(model: ReferenceModel, budget: number, c: Cadence, resume?: RunSnapshot) {
  const curves: CurvePoint[] = [];
  const snapshots: Array<{ snap: RunSnapshot; final: boolean }> = [];
  const result = trainRun(
    model,
    corpus,
    budget,
    c,
    { onCurve: (p) => curves.push(p), onSnapshot: (snap, final) => snapshots.push({ snap, final }) },
    { resume },
  );
  return { result, curves, snapshots };
}

describe('curves compare like with like', () => {
  test("a slice curve: every score, the final point included, reads the same first evalChars held-out characters; the run's score reads them all", () => {
    expect(heldOut).toBeGreaterThan(cadence.evalChars);
    const model = new Recording(config);
    const { result, curves } = run(model, 1600, cadence);
    const curveText: [number, number] = [corpus.trainEnd, corpus.trainEnd + cadence.evalChars];
    const whole: [number, number] = [corpus.trainEnd, corpus.length];
    // Seven intermediate scores, then the whole text (the run's score) and the curve text (the final point).
    expect(model.ranges).toEqual([...Array(7).fill(curveText), whole, curveText]);
    const scored = curves.filter((c) => c.valBpc !== null);
    expect(scored.map((c) => c.chars)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600]);
    const last = curves.at(-1)!;
    expect(last.valBpc).toBe(model.evaluate(corpus.ids, ...curveText).bpc); // the final model on the curve text
    expect(last.wholeValBpc).toBe(result.valBpc);
    expect(result.valBpc).toBe(model.evaluate(corpus.ids, ...whole).bpc);
    expect(curves.slice(0, -1).every((c) => c.wholeValBpc === null)).toBe(true);
    expect(result.curveChars).toBe(cadence.evalChars);
    const best = scored.reduce((m, c) => (c.valBpc! < m.valBpc! ? c : m));
    expect(result.best).toEqual({ valBpc: best.valBpc, chars: best.chars });
  });

  test('a held-out text of at most evalChars characters: every score reads all of it, and is also its whole-text score', () => {
    const model = new Recording(config);
    const { result, curves } = run(model, 800, { ...cadence, evalChars: heldOut });
    expect(new Set(model.ranges.map((r) => r.join()))).toEqual(new Set([`${corpus.trainEnd},${corpus.length}`]));
    expect(model.ranges).toHaveLength(4); // three intermediate scores and the final one, nothing scored twice
    for (const c of curves.filter((p) => p.valBpc !== null)) expect(c.wholeValBpc).toBe(c.valBpc);
    expect(result.curveChars).toBe(heldOut);
    expect(curves.at(-1)!.valBpc).toBe(result.valBpc);
  });
});

describe('early stopping', () => {
  const rule: EarlyStoppingRule = { patience: 3, minDelta: 0.02 };
  const planted = [3.0, 2.5, 2.4, 2.45, 2.39, 2.41, 2.42, 2.43, 2.2, 2.1];

  test('the rule on a planted score sequence: small improvements add up against the last improvement; the stop comes after `patience` scores without one', () => {
    const trace = (r: EarlyStoppingRule) => {
      let s = EARLY_STOPPING_START;
      return planted.map((x) => (s = observeScore(r, s, x)));
    };
    // 3.0 ref; 2.5 and 2.4 improve; 2.45 and 2.39 (better, but by less than 0.02) and 2.41 do not: stop at the 6th score.
    expect(trace(rule).map((s) => s.wait)).toEqual([0, 0, 0, 1, 2, 3, 3, 3, 3, 3]);
    expect(trace(rule).findIndex((s) => s.stopped)).toBe(5);
    // minDelta 0: 2.39 improves; 2.41, 2.42, 2.43 do not: stop at the 8th.
    expect(trace({ patience: 3, minDelta: 0 }).findIndex((s) => s.stopped)).toBe(7);
    expect(observeScore(rule, EARLY_STOPPING_START, NaN)).toEqual({ ref: null, wait: 1, stopped: false });
  });

  test('a run stops there: status done, stoppedEarly, no training after the stop, the best score and where, the final snapshot at the stop', () => {
    const model = new Recording(config);
    model.planted = [...planted];
    const { result, curves, snapshots } = run(model, 4000, { ...cadence, earlyStopping: rule });
    expect(result).toMatchObject({ status: 'done', stoppedEarly: true, chars: 1200 }); // the 6th score is at 6 × 200
    expect(curves.filter((c) => c.valBpc !== null && c.chars < 1200).map((c) => c.valBpc)).toEqual(planted.slice(0, 5));
    expect(result.best).toEqual({
      valBpc: Math.min(2.39, curves.at(-1)!.valBpc!),
      chars: curves.at(-1)!.valBpc! < 2.39 ? 1200 : 1000,
    });
    const finals = snapshots.filter((s) => s.final);
    expect(finals).toHaveLength(1);
    expect(finals[0].snap).toMatchObject({ chars: 1200, earlyStopping: { stopped: true, wait: 3, ref: 2.4 } });
    // Off, the same scores train the whole budget.
    const off = new Recording(config);
    off.planted = [...planted];
    expect(run(off, 2000, cadence).result).toMatchObject({ stoppedEarly: null, chars: 2000 });
    expect(() =>
      ExperimentSchema.parse({
        name: 'x',
        corpus: 'a',
        budget: { chars: 10 },
        seeds: [1],
        earlyStopping: { patience: 0 },
      }),
    ).toThrow(/patience/);
    expect(() =>
      ExperimentSchema.parse({
        name: 'x',
        corpus: 'a',
        budget: { chars: 10 },
        seeds: [1],
        evaluation: { every: 0 },
        earlyStopping: { patience: 2 },
      }),
    ).toThrow(/evaluation\.every > 0/);
  });

  test('continued from a checkpoint to a larger budget (successive halving), a run is the run trained straight: before the stop, and after it (it trains no more)', () => {
    const es: Cadence = { ...cadence, earlyStopping: { patience: 2, minDelta: 0.15 } };
    const straight = run(new ReferenceModel(config), 6000, es);
    expect(straight.result.stoppedEarly).toBe(true);
    const stop = straight.result.chars;
    for (const first of [stop - 400, stop + 800]) {
      // Train to `first`, save the final checkpoint through the file format, continue to 6000 from it.
      const model = new ReferenceModel(config);
      const a = run(model, first, es);
      const end = a.snapshots.find((s) => s.final)!.snap;
      const ctx = {
        vocab: corpus.vocab.symbols,
        corpus: {
          source: 's',
          sha256: 'ab'.repeat(32),
          chars: corpus.length,
          trainEnd: corpus.trainEnd,
          validation: 0.1,
        },
        markovOrder: 4,
      };
      const ck = decodeCheckpoint(encodeCheckpoint(checkpointOf(model, 'reference', { ...ctx, run: end })));
      const b = run(modelFromCheckpoint(ck) as ReferenceModel, 6000, es, ck.run!);
      const timeless = (r: typeof straight.result) => ({ ...r, trainSeconds: 0, charsPerSec: 0 });
      expect(timeless(b.result)).toEqual(timeless(straight.result));
      const curves = [...(ck.run?.curves ?? []), ...b.curves].map((c) => ({ ...c, elapsedS: 0 }));
      expect(curves).toEqual(straight.curves.map((c) => ({ ...c, elapsedS: 0 })));
    }
  });
});

describe('early stopping: bad values are refused with exit 2 naming the key, nothing written', () => {
  test('experiment keys and train flags', async () => {
    const dir = tempDir('charlab-es-bad-');
    const corpus = smallCorpus(dir, 20_000);
    const exp = tinyExperiment('es-bad');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ earlyStopping: { patience: 0 } }, /earlyStopping\.patience: expected a positive integer/],
      [{ earlyStopping: { patience: 2, minDelta: -0.1 } }, /earlyStopping\.minDelta: expected a finite number ≥ 0/],
      [{ earlyStopping: { patience: 2, every: 3 } }, /earlyStopping\.every: unknown key/],
      [
        { earlyStopping: { patience: 2 }, evaluation: { every: 0, chars: 500 } },
        /earlyStopping: expected intermediate held-out scores to watch: evaluation\.every > 0/,
      ],
    ];
    for (const [change, message] of cases) {
      const r = await runCli(['sweep', writeExperiment(dir, { ...exp, ...change }), '--out', `${dir}/out`]);
      expect(r.code, JSON.stringify(change)).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const flags = ['train', '--corpus', corpus, '--hidden', '8', '--chars', '1000'];
    for (const [extra, message] of [
      [['--patience', '0'], /--patience.*expected a positive integer/],
      [['--patience', '2', '--eval-every', '0'], /--patience: early stopping needs intermediate held-out scores/],
      [['--min-delta', '-1'], /--min-delta.*expected a finite number ≥ 0/],
      [['--save-best', `${dir}/no/such/folder/best.safetensors`], /--save-best .*: the folder .* does not exist/],
    ] as const) {
      const r = await runCli([...flags, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(dir).sort()).toEqual(['exp.json', 'small.txt']);
  });
});
