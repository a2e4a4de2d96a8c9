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
    const out = rankedTable([{ run_id: 'h8\x1b]0;pwned\x07', status: 'done', val_bpc: '2.5', markov_val_bpc: '', chars_per_s: '100' }]);
    expect(out).not.toMatch(/[\x1b\x07]/);
    expect(out).toContain('h8\\x1b]0;pwned\\x07');
    expect(out).toContain('not measured');
  });

  test('--json rows: numbers as numbers, empty cells as null, text as text', () => {
    expect(jsonRow({ run_id: 'h8-u8-c5-lr0.1-s1', hidden_size: '8', learning_rate: '0.1', val_bpc: '', status: 'done', error: '' })).toEqual({
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
    c.start(4, 2, 1000, 0); // 2 of 4 runs recorded by an earlier session
    expect(c.eta(500)).toBe('…'); // too early to tell
    c.running.set('a', 100);
    // 100 chars in 10 s: 1900 chars left at 10 chars/s
    expect(c.etaSeconds(10_000)).toBeCloseTo(190, 6);
    expect(c.eta(10_000)).toBe('3m 10s');
  });
});

describe('the CLI on a hostile corpus', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('charlab-term-');
    writeFileSync(join(dir, 'hostile.txt'), HOSTILE.repeat(300));
  });

  test('train prints escaped samples', async () => {
    const r = await runCli(['train', '--corpus', join(dir, 'hostile.txt'), '--hidden', '8', '--chars', '3000', '--backend', 'reference', '--sample-length', '400']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x1b\x9b\x07\r\u202e]/);
    expect(r.stdout).toMatch(/\\x1b|\\u202e|\\x9b|\\x07|\\x0d/);
  });

  test('sweep … | head: a closed stdout stops the printing, not the sweep; the CSV keeps the raw text', async () => {
    const exp = writeExperiment(dir, {
      name: 'pipe', corpus: 'hostile.txt', backend: 'reference', budget: { chars: 3000 }, seeds: [1, 2],
      grid: { hiddenSize: [8], unroll: [8], clip: [5], learningRate: [0.1] }, evaluation: { every: 0, chars: 100 }, samples: { length: 300 }, workers: 1,
    });
    const out = join(dir, 'pipe-out');
    // Both streams into a pipe whose reader goes away at once (as `2>&1 | head -c 0` would).
    const child = spawn(process.execPath, [CLI, 'sweep', exp, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    child.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    const rows = parse(readFileSync(join(out, 'summary.csv')), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.status)).toEqual(['done', 'done']);
    const samples = readFileSync(join(out, 'samples.csv'), 'utf8');
    expect(samples).toMatch(/\x1b|\u202e/); // files keep the text as it is
  });
});
