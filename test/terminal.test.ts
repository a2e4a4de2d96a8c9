/**
 * Terminal output: control characters from a corpus are escaped (the CSV keeps them), the sweep
 * display flushes every "done" line, takes its bars down before an interrupt message, gives a
 * resumed sweep a sensible ETA, and a closed stdout does not stop a sweep.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, test } from 'vitest';
import { escapeForTerminal } from '../src/util/terminalText.js';
import { SweepClock, jsonRow, rankedTable } from '../src/cli/sweepDisplay.js';
import { CLI, runCli, tempDir, writeExperiment } from './helpers/cli.js';

const HOSTILE = 'ab\x1b[2Jcd\u202eef\x9b31m\r\x07 ok\tx\n';

describe('escaping for the terminal', () => {
  test('ESC, C0, C1, carriage return and bidi overrides are escaped; line breaks and tabs kept', () => {
    expect(escapeForTerminal(HOSTILE)).toBe('ab\\x1b[2Jcd\\u202eef\\x9b31m\\x0d\\x07 ok\tx\n');
    expect(escapeForTerminal('plain text, é and 🦊')).toBe('plain text, é and 🦊');
    expect(escapeForTerminal('\u2066x\u2069\u200f')).toBe('\\u2066x\\u2069\\u200f');
  });

  test('the ranked table escapes what a hand-edited summary.csv holds', () => {
    const out = rankedTable([
      { run_id: 'h8\x1b]0;pwned\x07', status: 'done', val_bpc: '2.5', markov_val_bpc: '', chars_per_s: '100' },
    ]);
    expect(out).not.toMatch(/[\x1b\x07]/);
    expect(out).toContain('h8\\x1b]0;pwned\\x07');
    expect(out).toContain('not measured');
  });

  test('--json rows: numbers as numbers, empty cells as null, text as text', () => {
    expect(
      jsonRow({
        run_id: 'h8-u8-c5-lr0.1-s1',
        hidden_size: '8',
        learning_rate: '0.1',
        val_bpc: '',
        status: 'done',
        error: '',
      }),
    ).toEqual({
      run_id: 'h8-u8-c5-lr0.1-s1',
      hidden_size: 8,
      learning_rate: 0.1,
      val_bpc: null,
      status: 'done',
      error: null,
    });
  });
});

describe('the sweep clock', () => {
  test('a resumed sweep at 50 % gets an ETA from this session\'s rate, not "0s"', () => {
    const c = new SweepClock();
    c.start({ tasks: 4, done: 2, work: 2000 }, 0); // 2 of 4 runs recorded by an earlier session; 2 × 1000 chars of cost 1 left
    expect(c.eta(500)).toBe('…'); // too early to tell
    c.runStart('a', 1, 1000, 0);
    c.progress('a', 0);
    c.progress('a', 100);
    // 100 chars in 10 s: 1900 chars left at 10 chars/s
    expect(c.etaSeconds(10_000)).toBeCloseTo(190, 6);
    expect(c.eta(10_000)).toBe('3m 10s');
    expect(c.statusLine()).toMatch(/^sweep: 2\/4 runs; running a 10%; ETA /);
  });

  test('runs of different sizes: work is characters × cost, so a large model left counts for more than its characters', () => {
    const c = new SweepClock();
    c.start({ tasks: 2, done: 0, work: 4 * 1000 + 1 * 1000 }, 0);
    c.runStart('big', 4, 1000, 0);
    c.runStart('small', 1, 1000, 0);
    for (const id of ['big', 'small']) c.progress(id, 0);
    c.progress('big', 100); // 400 units of work
    c.progress('small', 400); // 400 units
    // 800 units in 10 s; left 4 × 900 + 1 × 600 = 4200 units: 52.5 s (by characters alone: 1500 / 50 = 30 s)
    expect(c.etaSeconds(10_000)).toBeCloseTo(52.5, 6);
    c.progress('small', 1000);
    c.runEnd('small');
    expect(c.finished).toBe(1);
    // 400 + 1000 units in 20 s; left 4 × 900 = 3600 units: 51.4 s
    expect(c.etaSeconds(20_000)).toBeCloseTo(3600 / (1400 / 20), 6);
  });

  test("a run resumed from its checkpoint, or continued from a rung: only this session's characters count toward the rate", () => {
    const c = new SweepClock();
    c.start({ tasks: 2, done: 0, work: 1000 + 600 }, 0);
    c.runStart('resumed', 1, 1000, 0); // the sweep does not know the resume point; the worker's first report does
    c.progress('resumed', 500);
    c.progress('resumed', 600);
    expect(c.percent('resumed')).toBe(60);
    // 100 chars in 10 s; left: 400 of this run and the 600 planned for the rung not started
    expect(c.etaSeconds(10_000)).toBeCloseTo(100, 6);
    c.progress('resumed', 1000);
    c.runEnd('resumed');
    c.runStart('rung2', 1, 900, 300); // a halving rung: from 300 to 900 characters
    c.progress('rung2', 300);
    expect(c.percent('rung2')).toBe(33);
    expect(c.etaSeconds(20_000)).toBeCloseTo(600 / (500 / 20), 6);
  });
});

describe('the CLI on a hostile corpus', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('charlab-term-');
    writeFileSync(join(dir, 'hostile.txt'), HOSTILE.repeat(300));
  });

  test('train prints escaped samples', async () => {
    const r = await runCli([
      'train',
      '--corpus',
      join(dir, 'hostile.txt'),
      '--hidden',
      '8',
      '--chars',
      '3000',
      '--backend',
      'reference',
      '--sample-length',
      '400',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x1b\x9b\x07\r\u202e]/);
    expect(r.stdout).toMatch(/\\x1b|\\u202e|\\x9b|\\x07|\\x0d/);
  });

  test('sweep … | head: a closed stdout stops the printing, not the sweep; the CSV keeps the raw text', async () => {
    const exp = writeExperiment(dir, {
      name: 'pipe',
      corpus: 'hostile.txt',
      backend: 'reference',
      budget: { chars: 3000 },
      seeds: [1, 2],
      grid: { hiddenSize: [8], unroll: [8], clip: [5], learningRate: [0.1] },
      evaluation: { every: 0, chars: 100 },
      samples: { length: 300 },
      workers: 1,
    });
    const out = join(dir, 'pipe-out');
    // Both streams into a pipe whose reader goes away at once (as `2>&1 | head -c 0` would).
    const child = spawn(process.execPath, [CLI, 'sweep', exp, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    child.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    const rows = parse<Record<string, string>>(readFileSync(join(out, 'summary.csv')), { columns: true });
    expect(rows.map((r) => r.status)).toEqual(['done', 'done']);
    const samples = readFileSync(join(out, 'samples.csv'), 'utf8');
    expect(samples).toMatch(/\x1b|\u202e/); // files keep the text as it is
  });
});
