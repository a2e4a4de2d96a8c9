/**
 * Exact resume: a run continued from a checkpoint equals the run that never stopped (parameters,
 * curves, samples, scores), on both backends and for every cell; and the commands around
 * checkpoints (train --save / --resume, sample, eval).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createModel, type Backend } from '../src/backend/index.js';
import { checkpointOf, decodeCheckpoint, encodeCheckpoint, modelFromCheckpoint } from '../src/checkpoint/checkpoint.js';
import { prepareCorpus, type Corpus } from '../src/corpus/index.js';
import type { RnnConfig } from '../src/model/types.js';
import type { CurvePoint, SamplePoint } from '../src/results/records.js';
import { trainRun, type Cadence, type RunResult, type RunSnapshot } from '../src/train/run.js';
import { makeRng } from '../src/util/rng.js';
import { runCli, smallCorpus, tempDir } from './helpers/cli.js';

// A text with some structure: words drawn from a small lexicon.
const words = ['the ', 'cat ', 'sat ', 'on ', 'a ', 'mat ', 'and ', 'dog ', 'ran.\n'];
const rng = makeRng('resume-text');
const text = Array.from({ length: 1500 }, () => words[Math.floor(rng() * words.length)]).join('');
const corpus: Corpus = prepareCorpus(text, 'synthetic', { validation: 0.1 });
const cadence: Cadence = {
  curveEvery: 500,
  evalEvery: 1000,
  evalChars: 300,
  sampleEvery: 1500,
  sampleLength: 30,
  temperature: 0.9,
};
const V = corpus.vocab.symbols.length;
const base: RnnConfig = { vocabSize: V, hiddenSize: 12, unroll: 5, learningRate: 0.05, clip: 5, seed: 4 };

const CASES: [string, Backend, RnnConfig][] = [
  ['wasm rnn', 'wasm', base],
  ['reference rnn', 'reference', base],
  ['reference gru, rmsprop', 'reference', { ...base, cell: 'gru', optimizer: 'rmsprop' }],
  [
    'reference lstm, 2 layers, 2 streams, dropout, adam',
    'reference',
    { ...base, cell: 'lstm', layers: 2, batch: 2, dropout: 0.25, optimizer: 'adam', clipNorm: 1 },
  ],
];

interface Recorded {
  result: RunResult;
  curves: CurvePoint[];
  samples: SamplePoint[];
  checkpoints: Buffer[];
  /** Intermediate scores reported with their snapshots (what a sweep's "best" checkpoint follows): [chars, bpc]. */
  scores: [number, number][];
  final: ReturnType<ReturnType<typeof createModel>['exportState']>;
}

const untimed = (c: CurvePoint) => ({ ...c, elapsedS: 0 });
const untimedResult = (r: RunResult) => ({ ...r, trainSeconds: 0, charsPerSec: 0 });

/** A run of `budget` characters (from a checkpoint's bytes, if given), recording everything and a checkpoint every `every`. */
function record(backend: Backend, config: RnnConfig, budget: number, every: number, from?: Buffer): Recorded {
  const ck = from ? decodeCheckpoint(from) : null;
  const model = ck ? modelFromCheckpoint(ck) : createModel(backend, config);
  const curves: CurvePoint[] = [...(ck?.run?.curves ?? [])];
  const samples: SamplePoint[] = [...(ck?.run?.samples ?? [])];
  const checkpoints: Buffer[] = [];
  const scores: [number, number][] = [];
  const ctx = {
    vocab: corpus.vocab.symbols,
    corpus: { source: 's', sha256: '0'.repeat(64), chars: corpus.length, trainEnd: corpus.trainEnd, validation: 0.1 },
    markovOrder: 2,
  };
  const result = trainRun(
    model,
    corpus,
    budget,
    cadence,
    {
      onCurve: (c) => curves.push(c),
      onSample: (s) => samples.push(s),
      onSnapshot: (run: RunSnapshot) =>
        checkpoints.push(encodeCheckpoint(checkpointOf(model, backend, { ...ctx, run }))),
      onScore: (bpc, run) => scores.push([run.chars, bpc]),
    },
    { saveEvery: every, resume: ck?.run ?? undefined },
  );
  return { result, curves, samples, checkpoints, scores, final: model.exportState() };
}

function expectSameRun(a: Recorded, b: Recorded): void {
  expect(b.final).toEqual(a.final);
  expect(b.curves.map(untimed)).toEqual(a.curves.map(untimed));
  expect(b.samples).toEqual(a.samples);
  expect(untimedResult(b.result)).toEqual(untimedResult(a.result));
  const from = b.scores[0]?.[0] ?? Infinity;
  expect(b.scores).toEqual(a.scores.filter(([chars]) => chars >= from));
}

describe('resume is bit-identical to the run that never stopped', () => {
  test.each(CASES)('%s: from a checkpoint taken mid-run (every 1,000 characters, mid-chunk)', (_n, backend, config) => {
    const straight = record(backend, config, 4000, 1000);
    expect(straight.checkpoints).toHaveLength(4); // 1000, 2000, 3000 and the final one
    expect(straight.samples.length).toBeGreaterThan(1);
    expect(straight.curves.some((c) => c.valBpc !== null)).toBe(true);
    expect(straight.scores.map(([chars]) => chars)).toEqual([1000, 2000, 3000, 4000]); // the final curve score too
    for (const k of [0, 1]) {
      const resumed = record(backend, config, 4000, 1000, straight.checkpoints[k]);
      expect(resumed.scores[0][0]).toBe((k + 1) * 1000); // the score due at the resume point is made, and reported
      expectSameRun(straight, resumed);
    }
  });

  test.each(CASES)(
    '%s: from the final checkpoint of a shorter run, continued to a larger budget',
    (_n, backend, config) => {
      const straight = record(backend, config, 4000, 0);
      const half = record(backend, config, 2000, 0);
      expect(half.checkpoints).toHaveLength(1);
      expectSameRun(straight, record(backend, config, 4000, 0, half.checkpoints[0]));
    },
  );

  test('the snapshot holds the data position, epoch, smoothed loss and generator states', () => {
    const r = record('reference', base, 4000, 1000);
    const run = decodeCheckpoint(r.checkpoints[3]).run!;
    expect(run.chars).toBe(4000);
    expect(run.epoch).toBe(Math.floor(4000 / corpus.trainEnd)); // the pointer wrapped around the training text
    expect(run.cursor.pos).toBeGreaterThan(0);
    expect(run.sampleRng.S).toHaveLength(256);
    expect(run.smooth / base.unroll).toBe(r.result.smoothLossPerChar);
  });
});

describe('the commands: train --save / --resume, sample, eval', () => {
  const common = ['--hidden', '24', '--unroll', '10', '--markov-order', '3', '--json'];
  const json = (s: string) => JSON.parse(s) as Record<string, unknown>;
  const untimedJson = (o: Record<string, unknown>) => ({ ...o, trainSeconds: 0, charsPerSec: 0 });

  test('a run saved halfway and resumed equals the straight run; eval and sample read its checkpoint', async () => {
    const dir = tempDir();
    const small = smallCorpus(dir, 120_000);
    const [a, b] = [join(dir, 'a.safetensors'), join(dir, 'b.safetensors')];
    const straight = await runCli(['train', '--corpus', small, '--chars', '30000', '--save', a, ...common]);
    expect(straight.code, straight.stderr).toBe(0);
    const first = await runCli(['train', '--corpus', small, '--chars', '15000', '--save', b, ...common]);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await runCli(['train', '--resume', b, '--chars', '30000', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(untimedJson(json(resumed.stdout))).toEqual(untimedJson(json(straight.stdout)));
    // the resumed run updated b in place: the same model as a
    expect(decodeCheckpoint(readFileSync(b)).state).toEqual(decodeCheckpoint(readFileSync(a)).state);

    const evalOut = await runCli(['eval', a, '--corpus', small, '--json']);
    expect(evalOut.code, evalOut.stderr).toBe(0);
    expect(json(evalOut.stdout).valBpc).toBe(json(straight.stdout).valBpc);

    const s1 = await runCli(['sample', a, '--length', '80', '--seed', '5', '--prime', 'holmes']);
    const s2 = await runCli(['sample', a, '--length', '80', '--seed', '5', '--prime', 'holmes', '--json']);
    expect(s1.code, s1.stderr).toBe(0);
    expect([...(json(s2.stdout).text as string)]).toHaveLength(80);
    expect(s1.stdout).toBe(`${json(s2.stdout).text as string}\n`);
    const markov = await runCli(['sample', a, '--markov', '--length', '200', '--seed', '1', '--json']);
    expect(markov.code, markov.stderr).toBe(0);
    expect(json(markov.stdout).text).toBe(json(straight.stdout).markovSample); // the run's own baseline sample, redrawn
  });

  test('bad input: a prime, a corpus with unknown characters, a torn file, settings beside --resume (exit 2, named)', async () => {
    const dir = tempDir();
    const small = smallCorpus(dir, 60_000);
    const ck = join(dir, 'm.safetensors');
    expect((await runCli(['train', '--corpus', small, '--chars', '3000', '--save', ck, ...common])).code).toBe(0);
    const prime = await runCli(['sample', ck, '--prime', 'a€b']);
    expect(prime.code).toBe(2);
    expect(prime.stderr).toContain("'€' (U+20AC)");
    const primeFile = join(dir, 'prime.txt');
    writeFileSync(primeFile, 'x');
    expect((await runCli(['sample', ck, '--prime', 'a', '--prime-file', primeFile])).code).toBe(2);
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'Émile and Zoë went to the café.\n'.repeat(40));
    const ev = await runCli(['eval', ck, '--corpus', other]);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toMatch(/'É' \(U\+00C9\).*'Z' \(U\+005A\).*'ë' \(U\+00EB\)/);
    const wrongText = await runCli(['train', '--resume', ck, '--corpus', other]);
    expect(wrongText.code).toBe(2);
    expect(wrongText.stderr).toContain('is not the text the model was trained on');
    const torn = join(dir, 'torn.safetensors');
    writeFileSync(torn, readFileSync(ck).subarray(0, 500));
    const t = await runCli(['sample', torn]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`checkpoint ${torn}: truncated`);
    const both = await runCli(['train', '--resume', ck, '--hidden', '50']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--hidden cannot be combined with --resume');
    expect((await runCli(['train', '--corpus', small, '--checkpoint-every', '100'])).stderr).toContain(
      '--checkpoint-every needs --save',
    );
  });
});
