/** The sweep harness: schema, grid, and real sweeps through the CLI with their tables read back. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, test } from 'vitest';
import { expandGrid } from '../src/sweep/grid.js';
import { nearest, parseExperiment } from '../src/results/experimentFile.js';
import { experimentJsonSchema } from '../src/results/schema.js';
import { CURVE_COLUMNS, SAMPLE_COLUMNS, SUMMARY_COLUMNS, TIMING_COLUMNS } from '../src/results/tables.js';
import { REPO, runCli, smallCorpus, tempDir, writeExperiment } from './helpers/cli.js';

const base = {
  name: 'tiny',
  corpus: 'small.txt',
  budget: { chars: 6000 },
  seeds: [1],
  grid: { hiddenSize: [8, 12], unroll: [8], clip: [5], learningRate: [0.05, 0.1] },
  curves: { every: 2000 },
  evaluation: { every: 3000, chars: 500 },
  samples: { length: 40 },
};

const readCsv = (path: string) => parse<Record<string, string>>(readFileSync(path, 'utf8'), { columns: true });

describe('experiment schema and grid', () => {
  test('defaults are filled in', () => {
    const e = parseExperiment(base, 'x.json');
    expect(e.validation).toBe(0.05);
    expect(e.markov.order).toBe(4);
    expect(e.backend).toBe('auto');
    expect(e.samples.temperature).toBe(1);
  });

  test('the grid is the cartesian product times seeds, in a fixed order with stable ids', () => {
    const e = parseExperiment(
      {
        ...base,
        seeds: [1, 2],
        grid: { hiddenSize: [50, 100], unroll: [8, 16], clip: [1, 5], learningRate: [0.05, 0.1] },
      },
      'x',
    );
    const runs = expandGrid(e);
    expect(runs).toHaveLength(32);
    expect(new Set(runs.map((r) => r.id)).size).toBe(32);
    expect(runs[0].id).toBe('h50-u8-c1-lr0.05-s1');
    expect(runs[1].id).toBe('h50-u8-c1-lr0.05-s2');
    expect(runs[31].id).toBe('h100-u16-c5-lr0.1-s2');
    expect(runs.map((r) => r.index)).toEqual([...Array(32).keys()]);
  });

  test('the article grid expands to 36 runs', () => {
    const e = parseExperiment(JSON.parse(readFileSync(join(REPO, 'experiments/holmes.json'), 'utf8')), 'holmes.json');
    const runs = expandGrid(e);
    expect(runs).toHaveLength(36);
    expect(runs.map((r) => r.id)).toContain('h100-u16-c5-lr0.1-s1');
    expect(e.budget.chars).toBe(1_000_000);
  });

  test.each([
    [{ ...base, hidenSize: 3 }, /hidenSize: unknown key/],
    [{ ...base, grid: { ...base.grid, hiden: [3] } }, /grid\.hiden: unknown key \(did you mean "hiddenSize"\?\)/],
    [{ ...base, grid: { ...base.grid, hiddenSize: [] } }, /grid\.hiddenSize: expected a non-empty list/],
    [
      { ...base, grid: { ...base.grid, hiddenSize: [8, -1] } },
      /grid\.hiddenSize\[1\]: expected a positive integer, got -1/,
    ],
    [
      { ...base, grid: { ...base.grid, learningRate: [0] } },
      /grid\.learningRate\[0\]: expected a positive finite number, got 0/,
    ],
    [{ ...base, grid: { ...base.grid, unroll: ['8'] } }, /grid\.unroll\[0\]: expected a positive integer, got "8"/],
    [
      { ...base, grid: { ...base.grid, clip: [5, 5] } },
      /grid\.clip: expected distinct values, 5 appears more than once/,
    ],
    [{ ...base, budget: { chars: 0 } }, /budget\.chars: expected a positive integer, got 0/],
    [{ ...base, corpus: undefined }, /corpus: expected a file path .* got nothing/],
  ])('a bad experiment is rejected with its key path: %#', (exp, message) => {
    expect(() => parseExperiment(exp, 'bad.json')).toThrow(message);
  });

  test('nearest-key suggestions', () => {
    expect(nearest('learningrate', ['hiddenSize', 'learningRate'])).toBe('learningRate');
    expect(nearest('zzz', ['hiddenSize', 'learningRate'])).toBeUndefined();
  });

  test('the published JSON Schema is the one the code defines', () => {
    const published = JSON.parse(readFileSync(join(REPO, 'schema/experiment.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(experimentJsonSchema())));
    for (const file of ['holmes.json', 'quick.json']) {
      const exp = JSON.parse(readFileSync(join(REPO, 'experiments', file), 'utf8'));
      expect(exp.$schema).toBe('../schema/experiment.schema.json');
      expect(() => parseExperiment(exp, file)).not.toThrow();
    }
  });
});

describe('a real sweep through the CLI', () => {
  let dir: string;
  let exp: string;
  beforeAll(() => {
    dir = tempDir();
    smallCorpus(dir, 100_000);
    exp = writeExperiment(dir, base);
  });

  const metricColumns = (rows: Record<string, string>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.has(k))));

  test('two workers: one summary row per grid point, tables that parse, a ranked table with the Markov baseline', async () => {
    const out = join(dir, 'w2');
    const r = await runCli(['sweep', exp, '--workers', '2', '--out', out]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const summary = readCsv(join(out, 'summary.csv'));
    expect(summary.map((s) => s.run_id)).toEqual([
      'h8-u8-c5-lr0.05-s1',
      'h8-u8-c5-lr0.1-s1',
      'h12-u8-c5-lr0.05-s1',
      'h12-u8-c5-lr0.1-s1',
    ]);
    expect(Object.keys(summary[0])).toEqual([...SUMMARY_COLUMNS]);
    for (const s of summary) {
      expect(s.status).toBe('done');
      expect(Number(s.chars)).toBe(6000);
      expect(Number.isFinite(Number(s.val_bpc))).toBe(true);
      expect(Number(s.markov_val_bpc)).toBeGreaterThan(1);
    }
    const curves = readCsv(join(out, 'curves.csv'));
    expect(Object.keys(curves[0])).toEqual([...CURVE_COLUMNS]);
    expect(new Set(curves.map((c) => c.run_id)).size).toBe(4);
    expect(curves.some((c) => c.val_bpc !== '')).toBe(true);
    const samples = readCsv(join(out, 'samples.csv'));
    expect(Object.keys(samples[0])).toEqual([...SAMPLE_COLUMNS]);
    expect(samples.filter((s) => s.model === 'rnn')).toHaveLength(4);
    expect(samples.filter((s) => s.model === 'markov')).toHaveLength(4);
    for (const s of samples) expect([...s.text].length).toBe(40);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.corpus.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.finishedAt).not.toBeNull();
    expect(manifest.totalRuns).toBe(4);
    expect(r.stdout).toMatch(/markov bpc/);
    expect(r.stdout).toMatch(/h12-u8-c5-lr0\.1-s1/);
    expect(existsSync(join(out, '.lock'))).toBe(false);

    // Resume after a completed sweep adds nothing.
    const before = ['summary.csv', 'curves.csv', 'samples.csv'].map((f) => readFileSync(join(out, f), 'utf8'));
    const manifestText = readFileSync(join(out, 'manifest.json'), 'utf8');
    const again = await runCli(['sweep', exp, '--workers', '2', '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/4 already recorded, 0 to run: nothing to do/);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(manifestText); // how it was made, untouched
    expect(['summary.csv', 'curves.csv', 'samples.csv'].map((f) => readFileSync(join(out, f), 'utf8'))).toEqual(before);

    // One worker gives the same metric columns.
    const out1 = join(dir, 'w1');
    const one = await runCli(['sweep', exp, '--workers', '1', '--out', out1]);
    expect(one.code).toBe(0);
    expect(metricColumns(readCsv(join(out1, 'summary.csv')))).toEqual(metricColumns(summary));
    expect(metricColumns(readCsv(join(out1, 'curves.csv')))).toEqual(metricColumns(curves));
    expect(readFileSync(join(out1, 'samples.csv'), 'utf8')).toEqual(readFileSync(join(out, 'samples.csv'), 'utf8'));
  });

  test('a changed experiment over an existing results folder is refused unless --fresh', async () => {
    const out = join(dir, 'changed');
    const small = writeExperiment(
      dir,
      { ...base, grid: { ...base.grid, hiddenSize: [8], learningRate: [0.1] } },
      'one.json',
    );
    expect((await runCli(['sweep', small, '--out', out])).code).toBe(0);
    const changed = writeExperiment(
      dir,
      { ...base, budget: { chars: 4000 }, grid: { ...base.grid, hiddenSize: [8], learningRate: [0.1] } },
      'changed.json',
    );
    const refused = await runCli(['sweep', changed, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /changed in ways that alter what the 1 run\(s\) recorded in .* mean:\n {2}budget\.chars: 6000 -> 4000\n.*--fresh/s,
    );
    expect(readCsv(join(out, 'summary.csv'))[0].chars).toBe('6000');
    const fresh = await runCli(['sweep', changed, '--out', out, '--fresh']);
    expect(fresh.code).toBe(0);
    expect(readCsv(join(out, 'summary.csv'))[0].chars).toBe('4000');
  });
});
