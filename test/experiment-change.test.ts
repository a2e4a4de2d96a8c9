/**
 * Issue 9 §4 and §5: changing the experiment of a results folder. Adding or reordering grid values
 * and seeds keeps the recorded runs and runs the new ones; removing them deletes nothing; a change
 * of what a recorded run means is refused with exit 2, naming each changed key with its old and new
 * value. And a sweep with nothing left to run does not need its corpus.
 */
import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readTable, TABLES, TIMING_COLUMNS, type TableName } from '../src/results/tables.js';
import { REPO, runCli, smallCorpus, tempDir, writeExperiment, tinyExperiment } from './helpers/cli.js';

const BASE = tinyExperiment('change');
type Exp = typeof BASE & Record<string, unknown>;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

let root: string;
/** A finished sweep of BASE with hidden sizes 8 and 12 (two runs). */
let two: string;

beforeAll(async () => {
  root = tempDir('charlab-change-');
  smallCorpus(root, 30_000);
  two = join(root, 'two');
  const r = await runCli([
    'sweep',
    writeExperiment(root, { ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12] } }, 'two.json'),
    '--out',
    two,
  ]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function copyOfTwo(): string {
  const out = join(root, `copy-${n++}`);
  cpSync(two, out, { recursive: true });
  return out;
}
const sweep = (exp: Exp, out: string, env: Record<string, string> = {}) =>
  runCli(['sweep', writeExperiment(root, exp, `exp-${n++}.json`), '--out', out], { env });
const withoutTiming = (rows: Record<string, string>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.has(k))));
const tables = (dir: string) => Object.fromEntries(TABLE_NAMES.map((t) => [t, withoutTiming(readTable(dir, t).rows)]));
const files = (dir: string) =>
  Object.fromEntries(
    [...TABLE_NAMES.map((t) => TABLES[t].file), 'manifest.json'].map((f) => [f, readFileSync(join(dir, f))]),
  );
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

describe('adding and reordering grid values and seeds', () => {
  test('new grid values and seeds: recorded runs are kept, only the new ones run, the tables equal a sweep of the new grid', async () => {
    const out = copyOfTwo();
    const grown: Exp = { ...BASE, seeds: [2, 1], grid: { ...BASE.grid, hiddenSize: [12, 8, 16] } };
    const r = await sweep(grown, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/6 runs in .*; 2 already recorded, 4 to run/);
    const reference = join(root, 'grown-reference');
    expect((await sweep(grown, reference)).code).toBe(0);
    expect(tables(out)).toEqual(tables(reference));
    // The runs recorded before were not run again: their rows are the very same, timing included.
    const before = readTable(two, 'summary').rows;
    for (const row of before) expect(readTable(out, 'summary').rows).toContainEqual(row);
    const m = manifest(out);
    expect(m.versions.map((v: { experiment: Exp }) => v.experiment.grid.hiddenSize)).toEqual([
      [8, 12],
      [12, 8, 16],
    ]);
    expect(m.versions[1].experiment.seeds).toEqual([2, 1]);
    expect(m.totalRuns).toBe(6);
  });

  test('only a reordering: nothing to do, the tables follow the new order, the manifest records the version', async () => {
    const out = copyOfTwo();
    const r = await sweep({ ...BASE, grid: { ...BASE.grid, hiddenSize: [12, 8] } }, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 already recorded, 0 to run: nothing to do/);
    expect(readTable(out, 'summary').rows.map((s) => s.run_id)).toEqual(['h12-u8-c5-lr0.1-s1', 'h8-u8-c5-lr0.1-s1']);
    expect([...readTable(out, 'summary').rows].reverse()).toEqual(readTable(two, 'summary').rows);
    expect(manifest(out).versions).toHaveLength(2);
  });
});

describe('removing grid values deletes nothing', () => {
  test('the runs of a removed value stay in the tables (after the grid\u2019s), are not counted, and count again when it comes back', async () => {
    const out = copyOfTwo();
    const r = await sweep({ ...BASE, grid: { ...BASE.grid, hiddenSize: [12] } }, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/kept 1 recorded run\(s\) that are no longer in the grid/);
    expect(r.stderr).toMatch(/1\/1 runs recorded/);
    expect(readTable(out, 'summary').rows.map((s) => s.run_id)).toEqual(['h12-u8-c5-lr0.1-s1', 'h8-u8-c5-lr0.1-s1']);
    for (const t of TABLE_NAMES) expect(readTable(out, t).rows.length, t).toBe(readTable(two, t).rows.length);
    const report = await runCli(['report', out, '--json']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('h8-u8-c5-lr0.1-s1');

    const back = await sweep({ ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12] } }, out);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toMatch(/2 already recorded, 0 to run: nothing to do/);
    expect(tables(out)).toEqual(tables(two));
  });
});

describe('a change of what a recorded run means is refused', () => {
  const changes: [string, Record<string, unknown>, string[]][] = [
    ['budget', { budget: { chars: 4000 } }, ['budget.chars: 3000 -> 4000']],
    ['validation', { validation: 0.1 }, ['validation: 0.05 -> 0.1']],
    ['Markov order', { markov: { order: 3 } }, ['markov.order: 4 -> 3']],
    ['backend', { backend: 'wasm' }, ['backend (as resolved): reference -> wasm']],
    ['evaluation cadence', { evaluation: { every: 1000, chars: 500 } }, ['evaluation.every: 0 -> 1000']],
    ['curve cadence', { curves: { every: 500 } }, ['curves.every: 1000 -> 500']],
    [
      'sample cadence and length, at once',
      { samples: { every: 1000, length: 30 } },
      ['samples.every: 0 -> 1000', 'samples.length: 20 -> 30'],
    ],
    ['a prime', { samples: { length: 20, prime: 'the' } }, ['samples.prime: (not set) -> "the"']],
  ];

  test.each(changes)('%s', async (_label, change, expected) => {
    const out = copyOfTwo();
    const before = files(out);
    const exp = { ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12, 16] }, ...change } as Exp;
    const path = writeExperiment(root, exp, `refused-${n++}.json`);
    const r = await runCli(['sweep', path, '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${path}: changed in ways that alter what the 2 run(s) recorded in ${out} mean:`);
    const listed = r.stderr
      .split('\n')
      .filter((l) => / -> /.test(l))
      .map((l) => l.trim());
    expect(listed).toEqual(expected);
    expect(r.stderr.split(path).length - 1).toBe(1); // the file is named once
    expect(files(out)).toEqual(before);
  });

  test('another corpus text under the same name: the sha256 of both is named', async () => {
    const out = copyOfTwo();
    const before = files(out);
    const dir = tempDir('charlab-change-corpus-');
    try {
      smallCorpus(dir, 20_000);
      const path = writeExperiment(dir, { ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12, 16] } });
      const r = await runCli(['sweep', path, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`corpus \\(sha256 of its text\\): ${manifest(two).corpus.sha256} -> [0-9a-f]{64}\\n`),
      );
      expect(files(out)).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same text under another name is the same corpus', async () => {
    const out = copyOfTwo();
    cpSync(join(root, 'small.txt'), join(root, 'renamed.txt'));
    const r = await sweep({ ...BASE, corpus: 'renamed.txt', grid: { ...BASE.grid, hiddenSize: [8, 12] } }, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nothing to do/);
  });
});

describe('nothing left to run: the corpus is not needed', () => {
  test('with its corpus gone, a finished sweep resumes with exit 0 and says the corpus was not read', async () => {
    const dir = tempDir('charlab-change-gone-');
    try {
      smallCorpus(dir, 30_000);
      const path = writeExperiment(dir, { ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12] } });
      const out = join(dir, 'out');
      expect((await runCli(['sweep', path, '--out', out])).code).toBe(0);
      const before = files(out);
      renameSync(join(dir, 'small.txt'), join(dir, 'elsewhere.txt'));
      const r = await runCli(['sweep', path, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/nothing to do: all 2 runs are recorded; corpus not read/);
      expect(files(out)).toEqual(before);
      // With a run left to do the corpus is needed, and its absence is an input error.
      const grown = writeExperiment(dir, { ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12, 16] } }, 'grown.json');
      const more = await runCli(['sweep', grown, '--out', out]);
      expect(more.code).toBe(2);
      expect(more.stderr).toMatch(/corpus: .*small\.txt: not found/);
      expect(files(out)).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a fresh clone: the committed holmes sweep with no holmes.txt anywhere and no network prints its table (exit 0)', async () => {
    const dir = tempDir('charlab-change-clone-');
    try {
      const out = join(dir, 'holmes');
      cpSync(join(REPO, 'results/holmes'), out, { recursive: true });
      const before = files(out);
      writeFileSync(join(dir, 'README'), 'an empty data folder\n');
      const r = await runCli(['sweep', join(REPO, 'experiments/holmes.json'), '--out', out], {
        env: { CHARLAB_DATA_DIR: join(dir, 'no-data'), CHARLAB_HOLMES_URL: 'http://127.0.0.1:9/holmes.txt' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/36 already recorded, 0 to run: nothing to do/);
      expect(r.stderr).toMatch(/corpus not read/);
      expect(r.stderr).not.toMatch(/download/);
      expect(r.stdout).toMatch(/h100-u8-c5-lr0\.05-s1/);
      expect(files(out)).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a manifest this version cannot use is refused, not overwritten', () => {
  test.each([
    ['not JSON', '{"experiment": ', /manifest\.json: not valid JSON .*refusing to overwrite it/],
    [
      'not a sweep manifest',
      '{"tool": "other"}\n',
      /manifest\.json: not a charlab sweep manifest .*refusing to overwrite it/,
    ],
  ])('%s', async (_label, text, message) => {
    const out = copyOfTwo();
    writeFileSync(join(out, 'manifest.json'), text);
    const before = files(out);
    const r = await sweep({ ...BASE, grid: { ...BASE.grid, hiddenSize: [8, 12] } }, out);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(files(out)).toEqual(before);
  });
});
