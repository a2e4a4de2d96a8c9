/**
 * Issue 9 §1 / issue 10: one table reader for `sweep` and `report`. Only a torn LAST record is
 * dropped (and reported with its byte count); anything else malformed is refused with exit 2 naming
 * the file and line, and the file is left byte for byte as it was. A BOM and blank lines are read.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UsageError } from '../src/errors.js';
import { parseCsv as reportParseCsv } from '../src/report/csv.js';
import { parseCurves, parseSummary } from '../src/report/tables.js';
import { SUMMARY_COLUMNS_AFTER_ISSUE21 } from '../src/results/columns.js';
import {
  readTable,
  SUMMARY_COLUMNS,
  TABLES,
  upgradeTable,
  writeTable,
  type Row,
  type TableName,
} from '../src/results/tables.js';
import { runCli, smallCorpus, tempDir, writeExperiment, tinyExperiment } from './helpers/cli.js';

/** Two runs, 30 curve rows each: a 60-row curves.csv. */
const EXP = { ...tinyExperiment('tables'), seeds: [1, 2], curves: { every: 100 } };

let root: string;
let exp: string;
let base: string;
const copies: string[] = [];

beforeAll(async () => {
  root = tempDir('charlab-tables-');
  smallCorpus(root, 30_000);
  exp = writeExperiment(root, EXP);
  base = join(root, 'base');
  const r = await runCli(['sweep', exp, '--out', base]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the finished sweep with one table's lines edited. */
function edited(name: string, file: string, edit: (lines: string[]) => string[] | string): string {
  const out = join(root, name);
  cpSync(base, out, { recursive: true });
  copies.push(out);
  const lines = readFileSync(join(out, file), 'utf8').split('\n');
  const next = edit(lines);
  writeFileSync(join(out, file), typeof next === 'string' ? next : next.join('\n'));
  return out;
}

/** Insert `line` after data row `row` (the header is line 1, row r is line r + 1). */
const insertAfterRow = (row: number, line: string) => (lines: string[]) => [
  ...lines.slice(0, row + 1),
  line,
  ...lines.slice(row + 1),
];
const rowsOf = (dir: string, t: TableName) => readTable(dir, t).rows;

describe('read, not refused: blank lines and a byte-order mark', () => {
  test('the finished sweep has a 60-row curves.csv', () => {
    expect(rowsOf(base, 'curves')).toHaveLength(60);
  });

  test('a blank line after row 10 of a 60-row curves.csv: all 60 rows kept, nothing re-run, nothing dropped', async () => {
    const out = edited('blank-curves', 'curves.csv', insertAfterRow(10, ''));
    expect(rowsOf(out, 'curves')).toEqual(rowsOf(base, 'curves'));
    const r = await runCli(['sweep', exp, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 already recorded, 0 to run: nothing to do/);
    expect(r.stderr).not.toMatch(/dropped/);
    expect(rowsOf(out, 'curves')).toEqual(rowsOf(base, 'curves'));
    expect(readFileSync(join(out, 'curves.csv'), 'utf8')).toBe(readFileSync(join(base, 'curves.csv'), 'utf8'));
  });

  test('a UTF-8 BOM at the start (a spreadsheet\u2019s "CSV UTF-8"): every row read, by the sweep and by the report', async () => {
    const out = edited('bom', 'curves.csv', (lines) => `\uFEFF${lines.join('\n')}`);
    expect(rowsOf(out, 'curves')).toEqual(rowsOf(base, 'curves'));
    expect(parseCurves(readFileSync(join(out, 'curves.csv'), 'utf8'), 'curves.csv').rows).toHaveLength(60);
    const r = await runCli(['sweep', exp, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(out, 'curves')).toEqual(rowsOf(base, 'curves'));
  });

  test('a blank line after row 1 of summary.csv: no run is re-run', async () => {
    const out = edited('blank-summary', 'summary.csv', insertAfterRow(1, ''));
    const r = await runCli(['sweep', exp, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 already recorded, 0 to run: nothing to do/);
    expect(rowsOf(out, 'summary')).toEqual(rowsOf(base, 'summary'));
  });
});

describe('refused with exit 2, naming file and line; the file is left byte for byte', () => {
  const cases: [string, TableName, (lines: string[]) => string[], RegExp][] = [
    [
      'an extra field on row 10',
      'curves',
      (l) => l.map((x, i) => (i === 10 ? `${x},extra` : x)),
      /curves\.csv:11: expected 7 fields, got 8/,
    ],
    [
      'a missing field on row 10',
      'curves',
      (l) => l.map((x, i) => (i === 10 ? x.slice(0, x.lastIndexOf(',')) : x)),
      /curves\.csv:11: expected 7 fields, got 6/,
    ],
    [
      'a stray quote inside a field on line 6',
      'curves',
      (l) => l.map((x, i) => (i === 5 ? x.replace(',', ',1"') : x)),
      /curves\.csv:6: Invalid Opening Quote/,
    ],
    [
      'a stray quote opening a field on line 6',
      'curves',
      (l) => l.map((x, i) => (i === 5 ? x.replace(',', ',"') : x)),
      /curves\.csv:6: a quote opened .* is never closed/,
    ],
    [
      'a changed header',
      'curves',
      (l) => [l[0].replace('val_bpc', 'valid_bpc'), ...l.slice(1)],
      /curves\.csv:1: the header is not the one this tool writes \(missing val_bpc; unknown valid_bpc\)/,
    ],
    [
      'columns in another order',
      'summary',
      (l) => [l[0].replace('run_id,hidden_size', 'hidden_size,run_id'), ...l.slice(1)],
      /summary\.csv:1: the header is not the one this tool writes \(columns in another order\)/,
    ],
    [
      'an extra field on summary row 1',
      'summary',
      (l) => l.map((x, i) => (i === 1 ? `${x},x` : x)),
      new RegExp(`summary\\.csv:2: expected ${SUMMARY_COLUMNS.length} fields, got ${SUMMARY_COLUMNS.length + 1}`),
    ],
  ];

  test.each(cases)('%s', async (label, table, edit, message) => {
    const file = TABLES[table].file;
    const out = edited(`bad-${label.replace(/\W+/g, '-')}`, file, edit);
    const before = Object.fromEntries(Object.values(TABLES).map((t) => [t.file, readFileSync(join(out, t.file))]));
    const manifest = readFileSync(join(out, 'manifest.json'));

    expect(() => readTable(out, table)).toThrow(UsageError);
    expect(() => readTable(out, table)).toThrow(message);
    const sweep = await runCli(['sweep', exp, '--out', out]);
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toMatch(message);
    expect(sweep.stderr).toContain(join(out, file));
    expect(sweep.stderr).not.toMatch(/\n\s+at /);
    // The report reads it with the same code and refuses it with the same message.
    const report = await runCli(['report', out]);
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(message);

    for (const [f, bytes] of Object.entries(before)) expect(readFileSync(join(out, f)), f).toEqual(bytes);
    expect(readFileSync(join(out, 'manifest.json'))).toEqual(manifest);
  });

  test('bytes that are not UTF-8 before the tail are refused (a rewrite would replace them)', () => {
    const out = edited('latin1', 'samples.csv', (l) => l);
    const path = join(out, 'samples.csv');
    const bytes = readFileSync(path);
    const at = bytes.indexOf('\n') + 3;
    bytes[at] = 0xe9;
    writeFileSync(path, bytes);
    expect(() => readTable(out, 'samples')).toThrow(/samples\.csv:2: not UTF-8 text \(byte 0xe9/);
  });
});

describe('a torn last record is the only thing dropped', () => {
  test('no final newline: the last record is dropped with its byte count, by the sweep; the run is done again', async () => {
    const out = edited('torn-summary', 'summary.csv', (l) => l.join('\n').replace(/\n$/, ''));
    const last = readFileSync(join(base, 'summary.csv'), 'utf8').trimEnd().split('\n').pop()!;
    const r = await runCli(['sweep', exp, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`summary.csv: dropped a torn last record (${Buffer.byteLength(last)} bytes)`);
    expect(r.stderr).toMatch(/1 already recorded, 1 to run/);
    expect(rowsOf(out, 'summary').map((s) => s.run_id)).toEqual(rowsOf(base, 'summary').map((s) => s.run_id));
  });

  const SAMPLES: Row[] = [
    { run_id: 'r1', model: 'rnn', iteration: 1, temperature: 1, text: 'plain' },
    { run_id: 'r2', model: 'rnn', iteration: 2, temperature: 1, text: 'two lines,\nwith "quotes"' },
    { run_id: 'r3', model: 'markov', iteration: 3, temperature: 1, text: 'café — naïve' },
  ];

  test('cut at every byte: sweep and report read the same records, and the torn bytes are what follows the last whole record', () => {
    const d = tempDir('charlab-tables-cut-');
    try {
      const ends: number[] = [];
      for (let k = 0; k <= SAMPLES.length; k++) {
        writeTable(d, 'samples', SAMPLES.slice(0, k));
        ends.push(readFileSync(join(d, 'samples.csv')).length);
      }
      const bytes = readFileSync(join(d, 'samples.csv'));
      for (let at = 0; at <= bytes.length; at++) {
        const cut = bytes.subarray(0, at);
        writeFileSync(join(d, 'samples.csv'), cut);
        const whole = ends.filter((e) => e <= at).length - 1;
        const sweep = readTable(d, 'samples');
        const report = reportParseCsv(cut, 'samples.csv', TABLES.samples.columns);
        expect(sweep.rows, `cut at ${at}`).toHaveLength(Math.max(0, whole));
        expect(
          report.records.map((r) => r.values),
          `cut at ${at}`,
        ).toEqual(sweep.rows);
        expect(sweep.tornBytes, `cut at ${at}`).toBe(whole < 0 ? at : at - ends[whole]);
        expect(report.tornBytes, `cut at ${at}`).toBe(sweep.tornBytes);
        expect(report.notes.length, `cut at ${at}`).toBe(at === ends[Math.max(0, whole)] ? 0 : 1);
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('the report reads a blank line after row 3 of summary.csv like the sweep', () => {
    const text = readFileSync(join(base, 'summary.csv'), 'utf8');
    const lines = text.split('\n');
    const blank = [...lines.slice(0, 2), '', ...lines.slice(2)].join('\n');
    expect(parseSummary(blank, 'summary.csv').rows.map((r) => r.runId)).toEqual(
      rowsOf(base, 'summary').map((r) => r.run_id),
    );
  });

  test('a table is never rewritten with fewer rows than it held, less those deliberately dropped', () => {
    const d = tempDir('charlab-tables-rw-');
    try {
      expect(() => writeTable(d, 'samples', SAMPLES.slice(0, 1), { held: 3, dropped: 1 })).toThrow(
        /refusing to rewrite .*samples\.csv with 1 rows; it held 3/,
      );
      expect(() => readTable(d, 'samples')).not.toThrow();
      expect(readTable(d, 'samples').rows).toEqual([]); // nothing was written
      writeTable(d, 'samples', SAMPLES.slice(0, 2), { held: 3, dropped: 1 });
      expect(readTable(d, 'samples').rows).toHaveLength(2);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('an earlier layout of summary.csv, upgraded', () => {
  test("a column added since is filled: a knob's with its default (what the runs used), as a fresh sweep writes it", () => {
    const d = tempDir('charlab-tables-upgrade-');
    const today = readTable(base, 'summary').rows;
    const before = SUMMARY_COLUMNS_AFTER_ISSUE21[0];
    expect(before).not.toContain('forget_bias');
    writeFileSync(
      join(d, 'summary.csv'),
      `${[before.join(','), ...today.map((r) => before.map((c) => r[c]).join(','))].join('\n')}\n`,
    );
    expect(readTable(d, 'summary').rows[0].forget_bias).toBe(''); // read as the default: empty
    expect(upgradeTable(d, 'summary')).toBe(true);
    expect(readFileSync(join(d, 'summary.csv'), 'utf8').split('\n')[0]).toBe(SUMMARY_COLUMNS.join(','));
    expect(readTable(d, 'summary').rows).toEqual(today);
    expect(upgradeTable(d, 'summary')).toBe(false); // today's layout: left alone
  });
});
