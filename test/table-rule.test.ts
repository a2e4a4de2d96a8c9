/**
 * Issue 19: one validity rule for every reader of the tables (sweep, merge, report): numbers finite
 * and in range, statuses known, else exit 2 naming file:line and the column; and --json outputs take
 * their column types from the knob registry (sweep --json: cell, optimizer, init as text; report
 * --json: seeds as numbers).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { KNOBS } from '../src/results/knobs.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const TINY = tinyExperiment('rule');

/** Replace one cell of a table's data line (1-based line number in the file). */
function setCell(path: string, line: number, column: string, value: string): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines[0].split(',');
  const cells = lines[line - 1].split(',');
  cells[header.indexOf(column)] = value;
  lines[line - 1] = cells.join(',');
  writeFileSync(path, lines.join('\n'));
}

describe('one validity rule for every table reader', () => {
  let dir: string;
  let exp: string;
  let swept: string;
  let sharded: string;
  beforeAll(async () => {
    dir = tempDir('charlab-rule-');
    smallCorpus(dir, 30_000);
    exp = writeExperiment(dir, TINY);
    swept = join(dir, 'swept');
    sharded = join(dir, 'sharded');
    const a = await runCli(['sweep', exp, '--out', swept]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['sweep', exp, '--shard', '0/1', '--out', join(sharded, 'shards', '0-of-1')]);
    expect(b.code, b.stderr).toBe(0);
  });

  const BAD: Array<[string, string, string, RegExp]> = [
    ['summary.csv', 'val_bpc', 'banana', /column val_bpc: expected a finite number ≥ 0, got "banana"/],
    ['summary.csv', 'val_bpc', 'NaN', /column val_bpc: expected a finite number ≥ 0, got "NaN"/],
    ['summary.csv', 'val_bpc', '-5', /column val_bpc: expected a finite number ≥ 0, got "-5"/],
    ['summary.csv', 'chars', '12.5', /column chars: expected an integer ≥ 0, got "12.5"/],
    ['summary.csv', 'status', 'finished', /column status: expected one of done, diverged, failed, got "finished"/],
    ['summary.csv', 'hidden_size', '0', /column hidden_size: expected a positive integer, got "0"/],
    ['curves.csv', 'val_bpc', 'Infinity', /column val_bpc: expected a finite number ≥ 0, got "Infinity"/],
  ];

  /** A copy of `from` with one cell changed; the path of the changed table. */
  function corrupted(
    from: string,
    name: string,
    file: string,
    column: string,
    value: string,
    sub = '',
  ): { copy: string; path: string } {
    const copy = join(dir, name);
    cpSync(from, copy, { recursive: true });
    const path = join(copy, sub, file);
    setCell(path, 2, column, value);
    return { copy, path };
  }

  test.each(BAD)(
    '%s %s = %s: sweep, merge and report each exit 2 naming file:line and the column',
    async (file, column, value, message) => {
      const tag = `${file}-${column}-${value}`.replace(/\W/g, '_');
      const s = corrupted(swept, `s-${tag}`, file, column, value);
      const sweep = await runCli(['sweep', exp, '--out', s.copy]);
      expect(sweep.code, sweep.stderr).toBe(2);
      expect(sweep.stderr).toContain(`${s.path}:2: `);
      expect(sweep.stderr).toMatch(message);

      const report = await runCli(['report', s.copy]);
      expect(report.code, report.stderr).toBe(2);
      expect(report.stderr).toContain(`${s.path}:2: `);
      expect(report.stderr).toMatch(message);

      const m = corrupted(sharded, `m-${tag}`, file, column, value, join('shards', '0-of-1'));
      const merge = await runCli(['merge', m.copy]);
      expect(merge.code, merge.stderr).toBe(2);
      expect(merge.stderr).toContain(`${m.path}:2: `);
      expect(merge.stderr).toMatch(message);
    },
  );
});

describe('--json outputs: column types from the knob registry', () => {
  test('sweep --json gives cell, optimizer and init as text and every numeric knob as a number; report --json gives seeds as numbers', async () => {
    const dir = tempDir('charlab-json-');
    smallCorpus(dir, 30_000);
    const grid = { ...TINY.grid, cell: ['gru'], optimizer: ['adam'], init: ['pytorch'], learningRate: [0.01] };
    const exp = writeExperiment(dir, { ...TINY, grid, seeds: [1, 2] });
    const out = join(dir, 'out');
    const r = await runCli(['sweep', exp, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout).runs as Array<Record<string, unknown>>;
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run).toMatchObject({
        cell: 'gru',
        optimizer: 'adam',
        init: 'pytorch',
        hidden_size: 8,
        learning_rate: 0.01,
        layers: 1,
        batch: 1,
      });
      for (const k of KNOBS) expect(typeof run[k.column], k.column).toBe(k.kind === 'choice' ? 'string' : 'number');
      expect(typeof run.seed).toBe('number');
    }
    const report = await runCli(['report', out, '--json']);
    expect(report.code, report.stderr).toBe(0);
    const json = JSON.parse(report.stdout);
    expect(json.leaderboard.map((e: { seed: unknown }) => e.seed).sort()).toEqual([1, 2]);
    expect([...json.configurations[0].seeds].sort()).toEqual([1, 2]);
    expect(json.facts.seeds).toEqual([1, 2]);
  });
});
