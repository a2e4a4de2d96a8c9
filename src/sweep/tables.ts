/**
 * The sweep's CSV tables (written with csv-stringify, read back with csv-parse) and how they stay
 * trustworthy: each run's rows are appended whole and fsync'ed, curves and samples before the
 * summary row, so a run counts as recorded exactly when its summary row is on disk. On resume a
 * torn tail is cut off and rows of runs without a summary row are dropped.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

import { CURVE_COLUMNS, SAMPLE_COLUMNS, SUMMARY_COLUMNS } from './columns.js';

export { CURVE_COLUMNS, SAMPLE_COLUMNS, SUMMARY_COLUMNS };

/** Columns that measure time: the only ones allowed to differ between two runs of one sweep. */
export const TIMING_COLUMNS = new Set(['wall_s', 'chars_per_s', 'elapsed_s']);

export type Cell = string | number | null | undefined;
export type Row = Record<string, Cell>;

export const TABLES = {
  summary: { file: 'summary.csv', columns: SUMMARY_COLUMNS },
  curves: { file: 'curves.csv', columns: CURVE_COLUMNS },
  samples: { file: 'samples.csv', columns: SAMPLE_COLUMNS },
} as const;
export type TableName = keyof typeof TABLES;

function toCsv(rows: Row[], columns: readonly string[], header: boolean): string {
  const records = rows.map((r) => columns.map((c) => cellText(r[c])));
  return stringify(header ? [columns as string[], ...records] : records, { record_delimiter: '\n' });
}

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return v;
}

/** Append rows in one write and make them durable. Creates the file with its header if needed. */
export function appendRows(dir: string, table: TableName, rows: Row[]): void {
  const { file, columns } = TABLES[table];
  const path = join(dir, file);
  const fresh = !existsSync(path);
  const text = toCsv(rows, columns, fresh);
  if (text.length === 0) return;
  writeDurably(path, text, 'a');
  if (fresh) fsyncDir(dir);
}

/** Replace a table's contents atomically: temp file, fsync, rename, fsync the folder. */
export function writeTable(dir: string, table: TableName, rows: Row[]): void {
  const { file, columns } = TABLES[table];
  writeFileAtomic(join(dir, file), toCsv(rows, columns, true));
}

export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeDurably(tmp, text, 'w');
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** One write of the whole text ('a': appended, 'w': replacing the file), then fsync. */
function writeDurably(path: string, text: string, flag: 'a' | 'w'): void {
  const fd = openSync(path, flag);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic.
  }
}

export interface ReadTable {
  rows: Record<string, string>[];
  /** Bytes cut from the end because the last record was torn (0 if the file was whole). */
  tornBytes: number;
}

/**
 * Read a table, tolerating a torn tail: the file must end with a complete record, so the text is
 * cut back one line at a time (a sample may hold newlines inside quotes) until it parses with every
 * column present.
 */
export function readTable(dir: string, table: TableName): ReadTable {
  const { file, columns } = TABLES[table];
  const path = join(dir, file);
  if (!existsSync(path)) return { rows: [], tornBytes: 0 };
  const bytes = readFileSync(path);
  const text = bytes.toString('utf8');
  const torn = (end: number) => bytes.length - Buffer.byteLength(text.slice(0, end), 'utf8');
  // Every record ends with a newline, so text after the last one is torn for sure.
  let end = text.lastIndexOf('\n') + 1;
  while (end > 0) {
    const rows = tryParse(text.slice(0, end), columns);
    if (rows) return { rows, tornBytes: torn(end) };
    end = end >= 2 ? text.lastIndexOf('\n', end - 2) + 1 : 0;
  }
  return { rows: [], tornBytes: bytes.length };
}

function tryParse(text: string, columns: readonly string[]): Record<string, string>[] | null {
  try {
    const records = parse(text, { columns: true, skip_empty_lines: false, relax_column_count: false }) as Record<string, string>[];
    for (const r of records) for (const c of columns) if (!(c in r)) return null;
    return records;
  } catch {
    return null;
  }
}
