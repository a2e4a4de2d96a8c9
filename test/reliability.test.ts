/**
 * Issue 6: bad input gets a clear error, faults lose nothing, an interrupted sweep resumes exactly.
 * Every case runs the real CLI (dist/, built by `npm run build`) in a child process.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  appendRows,
  readTable,
  TABLES,
  TIMING_COLUMNS,
  writeTable,
  type Row,
  type TableName,
} from '../src/results/tables.js';
import {
  runCli,
  smallCorpus,
  startCli,
  tempDir,
  writeExperiment,
  type CliResult,
  tinyExperiment,
} from './helpers/cli.js';

/** "wasm" is the default; the reference backend keeps these tests independent of the WebAssembly build. */
const BACKEND = 'reference';
const CORPUS_CHARS = 30_000;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** One run of a few thousand characters: a sweep of it takes well under a second. */
const TINY = { ...tinyExperiment('rel'), backend: BACKEND };

/** Eight runs of half a second or so each on two workers: long enough to interrupt after the first is recorded. */
const LONG = {
  ...TINY,
  name: 'long',
  budget: { chars: 30_000 },
  seeds: [1, 2, 3, 4, 5, 6, 7, 8],
  curves: { every: 2000 },
  evaluation: { every: 10_000, chars: 500 },
  samples: { every: 10_000, length: 30 }, // samples hold line breaks: quoted multi-line CSV fields
  workers: 2,
};
const LONG_IDS = LONG.seeds.map((s) => `h8-u8-c5-lr0.1-s${s}`);

const readCsv = (path: string) =>
  parse<Record<string, string>>(readFileSync(path, 'utf8'), { columns: true, relax_column_count: false });
const withoutTiming = (rows: Record<string, string>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.has(k))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Summary rows on disk right now (tolerating a record being written). */
const recordedRuns = (out: string) => (existsSync(out) ? readTable(out, 'summary').rows.length : 0);

/** Every file under `dir` with its bytes (folders as markers): to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

function expectSameTables(out: string, reference: string): void {
  for (const t of TABLE_NAMES) {
    const file = TABLES[t].file;
    expect(withoutTiming(readCsv(join(out, file))), file).toEqual(withoutTiming(readCsv(join(reference, file))));
  }
}

/** Tables that csv-parse reads as they are, with one summary row per run at most. */
function expectParsableTables(out: string): Record<string, string>[] {
  for (const t of TABLE_NAMES) {
    const path = join(out, TABLES[t].file);
    if (existsSync(path)) expect(() => readCsv(path), TABLES[t].file).not.toThrow();
  }
  const summary = existsSync(join(out, 'summary.csv')) ? readCsv(join(out, 'summary.csv')) : [];
  const ids = summary.map((r) => r.run_id);
  expect(new Set(ids).size).toBe(ids.length);
  return summary;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('bad input: exit 2, a message naming the key or file, nothing written', () => {
  let dir: string;
  let existing: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    dir = tempDir('charlab-bad-');
    smallCorpus(dir, CORPUS_CHARS);
    writeFileSync(join(dir, 'empty.txt'), '');
    writeFileSync(join(dir, 'binary.txt'), Buffer.from('hello\0world\n'.repeat(100)));
    writeFileSync(
      join(dir, 'latin1.txt'),
      Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n'.repeat(200))]),
    );
    mkdirSync(join(dir, 'a-folder'));
    // A completed sweep whose tables must come through every bad invocation byte for byte.
    existing = join(dir, 'existing');
    const ok = await runCli(['sweep', writeExperiment(dir, TINY, 'ok.json'), '--out', existing]);
    expect(ok.code).toBe(0);
    before = snapshot(existing);
  });

  const INF = 987654321; // written as 1e400, which JSON.parse reads as Infinity
  type Case = { exp?: Record<string, unknown>; text?: string; path?: (dir: string) => string; message: RegExp };
  const grid = (g: Record<string, unknown>) => ({ ...TINY, grid: { ...TINY.grid, ...g } });
  const cases: [string, Case][] = [
    [
      'unknown key, suggesting its place',
      {
        exp: { ...TINY, hidenSize: [8] },
        message: /hidenSize: unknown key \(did you mean "grid\.hiddenSize"\?\); expected one of name, /,
      },
    ],
    [
      'unknown key in grid',
      {
        exp: grid({ learningrate: [0.1] }),
        message:
          /grid\.learningrate: unknown key \(did you mean "learningRate"\?\); expected one of hiddenSize, unroll, clip, learningRate/,
      },
    ],
    [
      'unknown key in budget',
      {
        exp: { ...TINY, budget: { chars: 3000, chras: 1 } },
        message: /budget\.chras: unknown key \(did you mean "chars"\?\)/,
      },
    ],
    ['wrong type: object', { exp: { ...TINY, budget: '3000' }, message: /budget: expected an object .*, got "3000"/ }],
    [
      'wrong type: list',
      {
        exp: grid({ hiddenSize: 8 }),
        message: /grid\.hiddenSize: expected a non-empty list of positive integers, got 8/,
      },
    ],
    [
      'wrong type: list item',
      { exp: grid({ unroll: ['8'] }), message: /grid\.unroll\[0\]: expected a positive integer, got "8"/ },
    ],
    [
      'wrong type: number',
      { exp: { ...TINY, workers: '2' }, message: /workers: expected a positive integer, got "2"/ },
    ],
    ['wrong type: string', { exp: { ...TINY, description: 5 }, message: /description: expected a string, got 5/ }],
    [
      'wrong value: backend',
      {
        exp: { ...TINY, backend: 'gpu' },
        message: /backend: expected one of "auto", "native", "wasm", "reference", got "gpu"/,
      },
    ],
    [
      'prime outside the vocabulary',
      {
        exp: { ...TINY, samples: { prime: 'Zebra' } },
        message: /samples\.prime: character 'Z' \(U\+005A\) is not in the vocabulary of .*small\.txt/,
      },
    ],
    [
      'missing key',
      {
        exp: { ...TINY, corpus: undefined },
        message: /corpus: expected a file path .*, got nothing \(the key is missing\)/,
      },
    ],
    ...(['hiddenSize', 'unroll', 'clip', 'learningRate'] as const).map((k): [string, Case] => [
      `empty grid list: ${k}`,
      {
        exp: grid({ [k]: [] }),
        message: new RegExp(`grid\\.${k}: expected a non-empty list of positive \\w+, got \\[\\]`),
      },
    ]),
    [
      'empty seeds',
      {
        exp: { ...TINY, seeds: [] },
        message: /seeds: expected a non-empty list of non-negative integer seeds, got \[\]/,
      },
    ],
    [
      'duplicate grid values',
      {
        exp: grid({ learningRate: [0.1, 0.05, 0.1] }),
        message: /grid\.learningRate: expected distinct values, 0\.1 appears more than once/,
      },
    ],
    [
      'duplicate seeds',
      { exp: { ...TINY, seeds: [1, 2, 1] }, message: /seeds: expected distinct values, 1 appears more than once/ },
    ],
    [
      'hidden size 0',
      { exp: grid({ hiddenSize: [8, 0] }), message: /grid\.hiddenSize\[1\]: expected a positive integer, got 0/ },
    ],
    [
      'hidden size negative',
      { exp: grid({ hiddenSize: [-8] }), message: /grid\.hiddenSize\[0\]: expected a positive integer, got -8/ },
    ],
    [
      'hidden size fractional',
      { exp: grid({ hiddenSize: [8.5] }), message: /grid\.hiddenSize\[0\]: expected a positive integer, got 8\.5/ },
    ],
    [
      'hidden size infinite',
      { exp: grid({ hiddenSize: [INF] }), message: /grid\.hiddenSize\[0\]: expected a positive integer, got Infinity/ },
    ],
    ['unroll 0', { exp: grid({ unroll: [0] }), message: /grid\.unroll\[0\]: expected a positive integer, got 0/ }],
    [
      'budget 0',
      { exp: { ...TINY, budget: { chars: 0 } }, message: /budget\.chars: expected a positive integer, got 0/ },
    ],
    [
      'learning rate 0',
      {
        exp: grid({ learningRate: [0] }),
        message: /grid\.learningRate\[0\]: expected a positive finite number, got 0/,
      },
    ],
    [
      'learning rate negative',
      {
        exp: grid({ learningRate: [-0.1] }),
        message: /grid\.learningRate\[0\]: expected a positive finite number, got -0\.1/,
      },
    ],
    [
      'learning rate infinite',
      {
        exp: grid({ learningRate: [INF] }),
        message: /grid\.learningRate\[0\]: expected a positive finite number, got Infinity/,
      },
    ],
    ['clip 0', { exp: grid({ clip: [0] }), message: /grid\.clip\[0\]: expected a positive finite number, got 0/ }],
    [
      'clip negative',
      { exp: grid({ clip: [-5] }), message: /grid\.clip\[0\]: expected a positive finite number, got -5/ },
    ],
    [
      'clip infinite',
      { exp: grid({ clip: [INF] }), message: /grid\.clip\[0\]: expected a positive finite number, got Infinity/ },
    ],
    [
      'temperature 0',
      {
        exp: { ...TINY, samples: { length: 20, temperature: 0 } },
        message: /samples\.temperature: expected a positive finite number, got 0/,
      },
    ],
    [
      'an unroll as long as the corpus',
      {
        exp: grid({ unroll: [8, CORPUS_CHARS] }),
        message: new RegExp(`grid\\.unroll: ${CORPUS_CHARS} needs a longer corpus: .*small\\.txt: too short`),
      },
    ],
    [
      'a missing corpus',
      { exp: { ...TINY, corpus: 'nope.txt' }, message: /corpus: .*nope\.txt: not found \(no such file\)/ },
    ],
    [
      'an empty corpus',
      { exp: { ...TINY, corpus: 'empty.txt' }, message: /corpus: .*empty\.txt: is empty \(0 bytes\)/ },
    ],
    [
      'a binary corpus',
      {
        exp: { ...TINY, corpus: 'binary.txt' },
        message: /corpus: .*binary\.txt: looks binary \(NUL byte at offset 5\)/,
      },
    ],
    [
      'a corpus that is not UTF-8',
      {
        exp: { ...TINY, corpus: 'latin1.txt' },
        message: /corpus: .*latin1\.txt: is not valid UTF-8 at byte offset 3 \(line 1, byte 0xe9\)/,
      },
    ],
    [
      'a corpus path that is a directory',
      { exp: { ...TINY, corpus: 'a-folder' }, message: /corpus: .*a-folder: is a directory, not a text file/ },
    ],
    [
      'an experiment path that is a directory',
      { path: (d) => join(d, 'a-folder'), message: /a-folder: is a directory, expected an experiment file \(JSON\)/ },
    ],
    [
      'a missing experiment file',
      {
        path: (d) => join(d, 'no-such.json'),
        message: /no-such\.json: cannot read the experiment file \(no such file\)/,
      },
    ],
    [
      'not JSON: a missing comma',
      {
        text: '{\n  "name": "rel",\n  "corpus": "small.txt"\n  "budget": {}\n}\n',
        message: /not valid JSON: line 4, column 3: expected ',' between two values, found '"budget"'/,
      },
    ],
    [
      'not JSON: a trailing comma',
      {
        text: '{\n  "name": "rel",\n}\n',
        message:
          /not valid JSON: line 3, column 1: expected another property after ',' \(JSON allows no trailing comma\)/,
      },
    ],
    [
      'not JSON: a comment',
      {
        text: '// my sweep\n{}\n',
        message: /not valid JSON: line 1, column 1: expected a JSON value .*, found '\/\/'/,
      },
    ],
    [
      'not JSON: cut short',
      {
        text: '{\n  "name": "rel",\n  "grid": {',
        message:
          /not valid JSON: line 3, column 12: expected ',' or '\}' after a property value, found the end of the file/,
      },
    ],
    ['not JSON: empty file', { text: '', message: /not valid JSON: line 1, column 1: expected a JSON value/ }],
  ];

  test.concurrent.each(cases)('%s', async (label, c) => {
    const file = `bad-${label.replace(/\W+/g, '-')}.json`;
    let path: string;
    if (c.path) path = c.path(dir);
    else if (c.text !== undefined) writeFileSync((path = join(dir, file)), c.text);
    else writeFileSync((path = join(dir, file)), JSON.stringify(c.exp, null, 2).replaceAll(String(INF), '1e400'));

    // The default results folder (results/<name> under the working folder) does not appear...
    const cwd = tempDir('charlab-cwd-');
    const fresh = await runCli(['sweep', path], { cwd });
    expect(fresh.code, fresh.stderr).toBe(2);
    expect(fresh.stderr).toMatch(c.message);
    expect(fresh.stderr).toContain(c.path ? path : file); // the file at fault is named
    expect(fresh.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(readdirSync(cwd)).toEqual([]);

    // ...and an existing one is left byte for byte as it was.
    const over = await runCli(['sweep', path, '--out', existing]);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(c.message);
    expect(snapshot(existing)).toEqual(before);
  });

  test('a results folder under a regular file', async () => {
    const out = join(dir, 'small.txt', 'results');
    const corpus = readFileSync(join(dir, 'small.txt'));
    const r = await runCli(['sweep', join(dir, 'ok.json'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /results folder .*small\.txt\/results cannot be created: .*small\.txt is a file, expected a folder/,
    );
    expect(readFileSync(join(dir, 'small.txt'))).toEqual(corpus);
  });

  test('a results folder that is a regular file', async () => {
    const out = join(dir, 'results-file');
    writeFileSync(out, 'not a folder\n');
    const r = await runCli(['sweep', join(dir, 'ok.json'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/results folder .*results-file is a file, expected a folder/);
    expect(readFileSync(out, 'utf8')).toBe('not a folder\n');
  });

  test('a folder where a table belongs', async () => {
    const out = join(dir, 'table-is-folder');
    mkdirSync(join(out, 'summary.csv'), { recursive: true });
    const was = snapshot(out);
    const r = await runCli(['sweep', join(dir, 'ok.json'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/results folder .*table-is-folder: summary\.csv is a directory, expected a file/);
    expect(snapshot(out)).toEqual(was);
  });

  test('tables without a manifest are not added to', async () => {
    const out = join(dir, 'no-manifest');
    mkdirSync(out);
    for (const t of TABLE_NAMES) writeFileSync(join(out, TABLES[t].file), readFileSync(join(existing, TABLES[t].file)));
    const was = snapshot(out);
    const r = await runCli(['sweep', join(dir, 'ok.json'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /no-manifest holds summary\.csv, curves\.csv, samples\.csv but no readable manifest\.json.*--fresh/,
    );
    expect(snapshot(out)).toEqual(was);
  });
});

describe('faults: recorded, and the sweep goes on', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('charlab-faults-');
    smallCorpus(dir, CORPUS_CHARS);
  });

  test('--help names the exit statuses', async () => {
    const r = await runCli(['sweep', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit status: 0 every run done; 3 some run diverged or failed/);
    expect(r.stdout).toMatch(/4 another sweep holds the\s+results folder; 130 interrupted/);
  });

  test('every run done: exit 0', async () => {
    const out = join(dir, 'ok');
    const r = await runCli(['sweep', writeExperiment(dir, { ...TINY, seeds: [1, 2] }, 'ok.json'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2\/2 runs recorded\n/);
    expect(readCsv(join(out, 'summary.csv')).map((s) => s.status)).toEqual(['done', 'done']);
  });

  test.each(['wasm', 'reference'])(
    'divergence (%s): a NaN/infinite loss stops the run at once, recorded as diverged with its iteration; exit 3',
    async (backend) => {
      const out = join(dir, `diverge-${backend}`);
      const exp = writeExperiment(
        dir,
        { ...TINY, backend, grid: { ...TINY.grid, learningRate: [1000, 0.1] } },
        `diverge-${backend}.json`,
      );
      const r = await runCli(['sweep', exp, '--out', out]);
      expect(r.code).toBe(3);
      const [bad, good] = readCsv(join(out, 'summary.csv'));
      expect(bad.run_id).toBe('h8-u8-c5-lr1000-s1');
      expect(bad.status).toBe('diverged');
      const at = Number(bad.diverged_at_iteration);
      expect(Number.isInteger(at) && at >= 1).toBe(true);
      expect(Number(bad.iterations)).toBe(at); // it stopped where the loss went bad...
      expect(Number(bad.chars)).toBe((at - 1) * 8); // ...without training on the rest of the budget
      expect(bad.val_bpc).toBe('');
      expect(good.run_id).toBe('h8-u8-c5-lr0.1-s1');
      expect(good.status).toBe('done'); // the sweep went on
      expect(r.stderr).toContain(`h8-u8-c5-lr1000-s1: diverged at iteration ${at}`);
      expect(r.stderr).toMatch(/2\/2 runs recorded, 1 diverged\n/);
      expect(r.stdout).toContain(`diverged@${at}`);
    },
  );

  test('a run that throws and worker threads that die are recorded as failed; the pool recovers; exit 3; a rerun re-attempts them', async () => {
    const out = join(dir, 'faults');
    const exp = writeExperiment(dir, { ...TINY, seeds: [1, 2, 3, 4, 5], workers: 2 }, 'faults.json');
    const fault = { 'h8-u8-c5-lr0.1-s1': 'exit', 'h8-u8-c5-lr0.1-s2': 'throw', 'h8-u8-c5-lr0.1-s4': 'exit' };
    const r = await runCli(['sweep', exp, '--out', out], { env: { CHARLAB_TEST_FAULT: JSON.stringify(fault) } });
    expect({ code: r.code, signal: r.signal, stderr: r.code === 3 ? '' : r.stderr }).toEqual({
      code: 3,
      signal: null,
      stderr: '',
    });
    const rows = readCsv(join(out, 'summary.csv'));
    expect(rows.map((s) => [s.run_id, s.status])).toEqual([
      ['h8-u8-c5-lr0.1-s1', 'failed'],
      ['h8-u8-c5-lr0.1-s2', 'failed'],
      ['h8-u8-c5-lr0.1-s3', 'done'],
      ['h8-u8-c5-lr0.1-s4', 'failed'],
      ['h8-u8-c5-lr0.1-s5', 'done'],
    ]);
    expect(rows[0].error).toMatch(/worker died: .*exited with code: 7/);
    expect(rows[1].error).toBe('Error: injected fault in run h8-u8-c5-lr0.1-s2');
    expect(rows[3].error).toMatch(/worker died/);
    expect(r.stderr).toMatch(/h8-u8-c5-lr0\.1-s2: failed: Error: injected fault/);
    expect(r.stderr).toMatch(/5\/5 runs recorded, 3 failed/);
    // Failed runs left no curves or samples behind.
    expect(new Set(readCsv(join(out, 'curves.csv')).map((c) => c.run_id))).toEqual(
      new Set(['h8-u8-c5-lr0.1-s3', 'h8-u8-c5-lr0.1-s5']),
    );

    const again = await runCli(['sweep', exp, '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/re-attempting 3 run\(s\) recorded as failed/);
    expect(again.stderr).toMatch(/2 already recorded, 3 to run/);
    expect(readCsv(join(out, 'summary.csv')).map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
  });

  test('a single worker thread that dies twice is replaced each time', async () => {
    const out = join(dir, 'one-worker');
    const exp = writeExperiment(dir, { ...TINY, seeds: [1, 2, 3] }, 'one-worker.json');
    const fault = { 'h8-u8-c5-lr0.1-s1': 'exit', 'h8-u8-c5-lr0.1-s2': 'exit' };
    const r = await runCli(['sweep', exp, '--out', out, '--workers', '1'], {
      env: { CHARLAB_TEST_FAULT: JSON.stringify(fault) },
    });
    expect(r.code).toBe(3);
    expect(readCsv(join(out, 'summary.csv')).map((s) => s.status)).toEqual(['failed', 'failed', 'done']);
  });
});

describe('interruptions: nothing lost, the same command resumes exactly', () => {
  let dir: string;
  let exp: string;
  let reference: string;
  beforeAll(async () => {
    dir = tempDir('charlab-resume-');
    smallCorpus(dir, CORPUS_CHARS);
    exp = writeExperiment(dir, LONG, 'long.json');
    reference = join(dir, 'uninterrupted');
    const r = await runCli(['sweep', exp, '--out', reference]);
    expect(r.code).toBe(0);
    expect(readCsv(join(reference, 'summary.csv')).map((s) => s.run_id)).toEqual(LONG_IDS);
  });

  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: stop launching, abandon runs in flight, flush the tables, exit 130; then resume',
    async (sig) => {
      const out = join(dir, sig);
      const { child, done } = startCli(['sweep', exp, '--out', out]);
      await waitFor('the first recorded run', () => recordedRuns(out) >= 1);
      child.kill(sig);
      const r = await done;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain(`${sig}: stopping; recorded runs are kept, the same command resumes`);
      const summary = expectParsableTables(out);
      expect(summary.length).toBeGreaterThanOrEqual(1);
      expect(summary.length).toBeLessThan(LONG_IDS.length); // it was still running
      const n = LONG_IDS.length;
      expect(r.stderr).toMatch(
        new RegExp(
          `${summary.length}/${n} runs recorded, ${n - summary.length} not run yet \\(the same command resumes\\)`,
        ),
      );
      // Runs in flight were abandoned whole: only recorded runs have curves and samples.
      const recorded = new Set(summary.map((s) => s.run_id));
      for (const t of ['curves', 'samples'] as const) {
        for (const row of readCsv(join(out, TABLES[t].file))) expect(recorded.has(row.run_id)).toBe(true);
      }
      expect(existsSync(join(out, '.lock'))).toBe(false);
      expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).finishedAt).toBeNull();

      const resumed = await runCli(['sweep', exp, '--out', out]);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toContain(`${summary.length} already recorded, ${n - summary.length} to run`);
      expectSameTables(out, reference);
    },
  );

  test('kill -9 at any moment: the tables parse, and resuming gives the tables of an uninterrupted sweep', async () => {
    const out = join(dir, 'kill-9');
    let kills = 0;
    let lockLeft = false;
    // Killed after a run is recorded, at a random moment from the start (validation, lock, recovery),
    // and after another run is recorded; each time somewhere in the runs that follow.
    for (const waitForRun of [true, false, true]) {
      const had = recordedRuns(out);
      const { child, done } = startCli(['sweep', exp, '--out', out]);
      let exited = false;
      void done.then(() => (exited = true));
      if (waitForRun) await waitFor('another recorded run', () => exited || recordedRuns(out) > had);
      await sleep(waitForRun ? Math.random() * 150 : 100 + Math.random() * 300);
      child.kill('SIGKILL');
      const r: CliResult = await done;
      // A process that got as far as recording a run took over the lock the killed one left.
      if (lockLeft && waitForRun) expect(r.stderr).toMatch(/taking over the lock of pid \d+/);
      if (r.signal === 'SIGKILL') kills++;
      lockLeft = existsSync(join(out, '.lock'));
      expectParsableTables(out);
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    const summary = readCsv(join(out, 'summary.csv'));
    expect(summary.length).toBeGreaterThanOrEqual(1);
    expect(summary.length).toBeLessThan(LONG_IDS.length);

    // A kill in the middle of a write leaves a torn last record; make one in every table.
    const missing = LONG_IDS.find((id) => !summary.some((s) => s.run_id === id))!;
    const refText = (t: TableName) => readFileSync(join(reference, TABLES[t].file), 'utf8');
    const refSummaryRow = refText('summary')
      .split('\n')
      .find((l) => l.startsWith(`${missing},`))!;
    appendFileSync(join(out, 'summary.csv'), refSummaryRow.slice(0, 40));
    appendFileSync(join(out, 'curves.csv'), `${missing},125,1000,3.9`);
    appendFileSync(join(out, 'samples.csv'), `${missing},rnn,1250,1,"a sample cut right after a line break\n`);

    const resumed = await runCli(['sweep', exp, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/summary\.csv: dropped a torn last record/);
    expect(resumed.stderr).toMatch(/samples\.csv: dropped a torn last record/);
    expectSameTables(out, reference);
    expect(readdirSync(out).sort()).toEqual([
      'baselines.csv',
      'checkpoints',
      'curves.csv',
      'live.json',
      'manifest.json',
      'samples.csv',
      'summary.csv',
    ]);
  });
});

describe('one sweep per results folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('charlab-lock-');
    smallCorpus(dir, CORPUS_CHARS);
  });

  test('a second sweep on a busy folder is refused with exit 4', async () => {
    const out = join(dir, 'busy');
    // Far longer than the second sweep takes to start (minutes, not seconds), so that the first is
    // still running when it is stopped below, however loaded the machine; stopping it costs nothing.
    const busy = { ...LONG, name: 'busy', seeds: Array.from({ length: 200 }, (_, i) => i + 1) };
    const exp = writeExperiment(dir, busy, 'busy.json');
    const first = startCli(['sweep', exp, '--out', out]);
    const lockHolder = () => {
      try {
        return JSON.parse(readFileSync(join(out, '.lock'), 'utf8')).pid as number;
      } catch {
        return undefined;
      }
    };
    await waitFor('the lock', () => lockHolder() !== undefined);
    const second = await runCli(['sweep', exp, '--out', out]);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(
      new RegExp(
        `busy is in use by another sweep \\(pid ${first.child.pid} on ${hostname()}, since .*\\); wait for it to finish`,
      ),
    );
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(130);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  test('a lock left by a process that no longer runs does not block', async () => {
    const out = join(dir, 'stale');
    mkdirSync(out);
    const pid = await deadPid();
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z' }));
    // What a process killed half-way through taking over a stale lock leaves beside it.
    writeFileSync(join(out, `.lock.${pid}.stale`), '{}');
    const r = await runCli(['sweep', writeExperiment(dir, TINY, 'tiny.json'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`taking over the lock of pid ${pid}`);
    expect(readdirSync(out).sort()).toEqual([
      'baselines.csv',
      'checkpoints',
      'curves.csv',
      'live.json',
      'manifest.json',
      'samples.csv',
      'summary.csv',
    ]);
  });

  test('an empty lock file left by a crash while taking the lock does not block once it is old', async () => {
    const out = join(dir, 'torn-lock');
    mkdirSync(out);
    writeFileSync(join(out, '.lock'), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(out, '.lock'), old, old);
    const r = await runCli(['sweep', writeExperiment(dir, TINY, 'tiny.json'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('taking over an unfinished lock file');
  });
});

describe('torn-tail recovery in readTable', () => {
  const text = (s: string) => ({ run_id: 'r', model: 'rnn', iteration: 1, temperature: 1, text: s });
  const SAMPLES: Row[] = [
    text('plain'),
    { ...text('first line\nsecond, with "quotes"\n\nlast'), run_id: 'r2' },
    { ...text('café — naïve\n'), run_id: 'r3' },
    { ...text('\nstarts with a line break'), run_id: 'r4' },
  ];
  const asRead = (rows: Row[], columns: readonly string[]) =>
    rows.map((r) => Object.fromEntries(columns.map((c) => [c, String(r[c])])));

  /** The file's bytes and the byte offset where the header and each record end. */
  function layout(table: TableName, rows: Row[]): { bytes: Buffer; ends: number[] } {
    const d = tempDir('charlab-torn-');
    const ends: number[] = [];
    for (let k = 0; k <= rows.length; k++) {
      writeTable(d, table, rows.slice(0, k));
      ends.push(statSync(join(d, TABLES[table].file)).size);
    }
    return { bytes: readFileSync(join(d, TABLES[table].file)), ends };
  }

  const cutDir = tempDir('charlab-torn-');
  function cutAt(table: TableName, bytes: Buffer, at: number) {
    const d = cutDir;
    writeFileSync(join(d, TABLES[table].file), bytes.subarray(0, at));
    return readTable(d, table);
  }

  test('a cut mid-record, inside a quoted multi-line sample, and right after a newline inside quotes', () => {
    const { bytes, ends } = layout('samples', SAMPLES);
    const s = bytes.toString('latin1');
    const cuts: [string, number, number][] = [
      ['mid-record, before the quoted field', s.indexOf('r2,rnn,') + 4, 1],
      ['inside a quoted multi-line sample', s.indexOf('second, with') + 6, 1],
      ['right after a newline inside quotes', s.indexOf('first line\n') + 'first line\n'.length, 1],
      ['right after an escaped quote', s.indexOf('""quotes""') + 2, 1],
      ['inside a multi-byte character', s.indexOf('caf') + 4, 2],
      ['right after the closing quote, before the record ends', ends[2] - 1, 1],
      ['right after a newline that opens a quoted field', s.indexOf('"\nstarts') + 2, 3],
    ];
    for (const [what, at, whole] of cuts) {
      const t = cutAt('samples', bytes, at);
      expect(t.rows, what).toEqual(asRead(SAMPLES.slice(0, whole), TABLES.samples.columns));
      expect(t.tornBytes, what).toBe(at - ends[whole]);
    }
  });

  test.each(['samples', 'summary', 'curves'] as const)(
    '%s.csv cut at every byte: the records before the cut, nothing else',
    (table) => {
      const rows: Row[] =
        table === 'samples'
          ? SAMPLES
          : table === 'summary'
            ? [1, 2, 3].map((i) => ({
                run_id: `h8-s${i}`,
                hidden_size: 8,
                unroll: 8,
                clip: 5,
                learning_rate: 0.1,
                seed: i,
                status: i === 2 ? 'failed' : 'done',
                error: i === 2 ? 'Error: "boom", twice\nat line 2' : null,
              }))
            : [1, 2, 3].map((i) => ({
                run_id: 'h8',
                iteration: i * 125,
                chars: i * 1000,
                smooth_loss_per_char: 3.5 / i,
                val_bpc: null,
                elapsed_s: 0.01 * i,
              }));
      const { bytes, ends } = layout(table, rows);
      const expected = asRead(rows, TABLES[table].columns).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === 'null' || v === 'undefined' ? '' : v])),
      );
      for (let at = 0; at <= bytes.length; at++) {
        const whole = ends.filter((e) => e <= at).length - 1; // records complete before the cut (-1: not even the header)
        const t = cutAt(table, bytes, at);
        expect(t.rows, `cut at byte ${at}`).toEqual(expected.slice(0, Math.max(0, whole)));
        expect(t.tornBytes, `cut at byte ${at}`).toBe(whole < 0 ? at : at - ends[whole]);
      }
    },
  );

  test('appended records after a recovered table read back whole', () => {
    const d = tempDir('charlab-torn-');
    appendRows(d, 'samples', SAMPLES.slice(0, 2));
    appendFileSync(join(d, 'samples.csv'), 'r3,rnn,1,1,"torn\n');
    const t = readTable(d, 'samples');
    writeTable(d, 'samples', t.rows);
    appendRows(d, 'samples', SAMPLES.slice(2));
    expect(readTable(d, 'samples')).toEqual({ rows: asRead(SAMPLES, TABLES.samples.columns), tornBytes: 0 });
  });
});
