/**
 * The sweep's CSV tables: written with csv-stringify, read back with csv-parse, by the sweep and by
 * the report through the same reader with the same rule. Each run's rows are appended whole and
 * fsync'ed, curves and samples before the summary row, so a run counts as recorded exactly when its
 * summary row is on disk.
 *
 * The reading rule. A kill -9 in the middle of an append can leave the LAST record half written;
 * only that is dropped (and reported with its byte count):
 *   - the text does not end with a newline: the last record is incomplete (its last field may be
 *     cut short even if every field is there);
 *   - the file ends inside a quoted field of the table's free-text column (the last one of
 *     summary.csv and samples.csv), which is where csv-stringify quotes;
 *   - a file holding part of its header line (or nothing) is an empty table.
 * Anything else that does not parse — a wrong header, a record with too many or too few fields, a
 * stray quote — is refused with a UsageError naming the file, the line and what is wrong; nothing is
 * dropped and nothing is rewritten. A UTF-8 byte-order mark and blank lines are read, not refused.
 *
 * The validity rule (parseTable, so the sweep, merge and the report read a cell alike): every cell
 * holds what its column may (src/results/columns.ts COLUMN_RULES; a knob's cell what the knob's schema
 * accepts): numbers finite and in range (bpc ≥ 0, counts integers ≥ 0), a status one of the known
 * ones; otherwise a UsageError naming file:line and the column.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UsageError } from '../errors.js';
import { firstInvalidUtf8Offset } from '../data/load.js';
import { appendDurably, writeFileAtomic } from '../util/atomic.js';
import { readHead } from '../util/outputs.js';
import {
  BASELINE_COLUMNS, COLUMN_RULES, CURVE_COLUMNS, CURVE_COLUMNS_V1, RUNG_COLUMNS, RUNG_COLUMNS_V1, SAMPLE_COLUMNS, SUMMARY_COLUMNS, SUMMARY_COLUMNS_V1, SUMMARY_COLUMNS_V2, SUMMARY_COLUMNS_V3,
  SUMMARY_COLUMNS_AFTER_ISSUE21,
} from './columns.js';
import { cellProblem, isDecimal } from '../util/cellRule.js';
import { KNOBS, type KnobDef } from './knobs.js';
import type { CurvePoint, SamplePoint } from './records.js';

export { BASELINE_COLUMNS, CURVE_COLUMNS, RUNG_COLUMNS, SAMPLE_COLUMNS, SUMMARY_COLUMNS };

/** Columns that measure time: the only ones allowed to differ between two runs of one sweep. */
export const TIMING_COLUMNS = new Set(['wall_s', 'chars_per_s', 'elapsed_s', 'count_s', 'score_s']);

/** Columns holding free text (an error message, a sample): the only ones csv-stringify quotes. */
const TEXT_COLUMNS = new Set(['error', 'text']);

export type Cell = string | number | null | undefined;
export type Row = Record<string, Cell>;

export const TABLES = {
  summary: { file: 'summary.csv', columns: SUMMARY_COLUMNS },
  curves: { file: 'curves.csv', columns: CURVE_COLUMNS },
  samples: { file: 'samples.csv', columns: SAMPLE_COLUMNS },
} as const;
export type TableName = keyof typeof TABLES;

/**
 * Headers earlier versions wrote, by today's header: read with the columns they lack empty, and
 * rewritten with today's header before anything is appended (appendRows).
 */
const LEGACY_HEADERS = new Map<readonly string[], readonly (readonly string[])[]>([
  [SUMMARY_COLUMNS, [SUMMARY_COLUMNS_V1, SUMMARY_COLUMNS_V2, SUMMARY_COLUMNS_V3, ...SUMMARY_COLUMNS_AFTER_ISSUE21]],
  [CURVE_COLUMNS, [CURVE_COLUMNS_V1]],
  [RUNG_COLUMNS, [RUNG_COLUMNS_V1]],
]);

function isLegacyHeader(header: readonly string[], columns: readonly string[]): boolean {
  return (LEGACY_HEADERS.get(columns) ?? []).some((old) => old.length === header.length && old.every((c, i) => c === header[i]));
}

/** Tables about the results folder as a whole, written once rather than run by run: the Markov ladder. */
export const FOLDER_TABLES = {
  baselines: { file: 'baselines.csv', columns: BASELINE_COLUMNS },
} as const;
export type FolderTableName = keyof typeof FOLDER_TABLES;
/** The rung decisions of successive halving and Hyperband (src/sweep/staged.ts): written by those sweeps alone, so not one of TABLES. */
export const RUNGS_TABLE = { file: 'rungs.csv', columns: RUNG_COLUMNS } as const;
const ANY_TABLE = { ...TABLES, rungs: RUNGS_TABLE, ...FOLDER_TABLES };
/** A table the reader and writer below handle: one of every sweep's TABLES, rungs.csv or a folder table. */
export type AnyTableName = keyof typeof ANY_TABLE;
/** Every file a sweep may write as a table (for --fresh and the checks of a results folder). */
export const TABLE_FILES: readonly string[] = Object.values(ANY_TABLE).map((t) => t.file);
/** Every table by name (file and columns), and the names. */
export const ALL_TABLES: Readonly<Record<AnyTableName, { file: string; columns: readonly string[] }>> = ANY_TABLE;
export const TABLE_NAMES = Object.keys(ANY_TABLE) as AnyTableName[];

/**
 * Whether the file at `path` is that table as charlab writes it: its header line is the table's (or
 * one an earlier version wrote). Empty, or cut inside the header (a torn first write), counts too.
 */
export function isTableFile(path: string, table: AnyTableName): boolean {
  const head = readHead(path, 65536);
  if (head === null) return false;
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const columns = ANY_TABLE[table].columns;
  if (!/[\r\n]/.test(text)) return columns.join(',').startsWith(text);
  const header = text.split(/\r?\n/, 1)[0].split(',');
  return (header.length === columns.length && header.every((c, i) => c === columns[i])) || isLegacyHeader(header, columns);
}

// ---- reading ----

export interface CsvRecord {
  /** Line on which the record starts (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

export interface CsvTable {
  /** The header as read. */
  columns: string[];
  records: CsvRecord[];
  /** What the reader worked around (an empty file, a torn last record), one sentence each. */
  notes: string[];
  /** Bytes at the end that belong to a torn last record (0 if the file ends whole). */
  tornBytes: number;
}

interface Parsed {
  record: string[];
  info: { lines: number; bytes: number };
}

const PARSE = { bom: true, info: true, relax_column_count: true, skip_empty_lines: true } as const;

/**
 * Parse a table (its bytes, or its text). `file` names it in messages; `columns` is the header it
 * must have (an empty list accepts any header: for callers that only want the records).
 */
export function parseCsv(content: string | Buffer, file: string, columns: readonly string[]): CsvTable {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  // In bytes of the file: a cut inside a multi-byte character decodes to U+FFFD, which is longer.
  const total = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;
  const body = text.replace(/^\uFEFF/, '');
  if (!/[\r\n]/.test(body)) return partialHeader(body, file, columns, total);

  let parsed: Parsed[];
  let tornBytes = 0;
  let tornNote = '';
  try {
    parsed = parse(text, PARSE) as unknown as Parsed[];
    if (!/[\r\n]$/.test(body) && parsed.length > 1) {
      // The last record has no newline after it: torn, however many fields it has.
      const last = parsed.pop()!;
      tornBytes = total - parsed[parsed.length - 1].info.bytes;
      tornNote = `${file}:${startLine(last)}: the last record is not terminated by a newline (a torn write, e.g. kill -9 mid-write): dropped (${tornBytes} bytes)`;
    }
  } catch (err) {
    if (!(err instanceof CsvError) || err.code !== 'CSV_QUOTE_NOT_CLOSED') throw new UsageError(`${file}:${errLine(err)}: ${errText(err)}`);
    const complete = Number((err as unknown as { records?: number }).records ?? 0);
    parsed = complete > 0 ? (parse(text, { ...PARSE, to: complete }) as unknown as Parsed[]) : [];
    const kept = parsed.length > 0 ? parsed[parsed.length - 1].info.bytes : 0;
    const tailLine = parsed.length > 0 ? parsed[parsed.length - 1].info.lines + 1 : 1;
    if (!tornTextField(Buffer.from(text, 'utf8').subarray(kept).toString('utf8'), columns)) {
      throw new UsageError(`${file}:${tailLine}: a quote opened in the record starting on (or after) this line is never closed; the file is not a table this tool wrote, or was edited`);
    }
    tornBytes = total - kept;
    tornNote = `${file}:${tailLine}: the file ends inside a quoted field (a torn write, e.g. kill -9 mid-write): that last record is dropped (${tornBytes} bytes)`;
  }
  if (parsed.length === 0) return partialHeader(body, file, columns, total);
  const header = parsed[0].record;
  const legacy = isLegacyHeader(header, columns);
  if (!legacy) checkHeader(header, file, columns);
  const blank = legacy ? Object.fromEntries(columns.map((c) => [c, ''])) : {};
  const records = parsed.slice(1).map((p): CsvRecord => {
    const line = startLine(p);
    if (p.record.length !== header.length) {
      throw new UsageError(`${file}:${line}: expected ${header.length} fields, got ${p.record.length}`);
    }
    return { line, values: { ...blank, ...Object.fromEntries(header.map((c, i) => [c, p.record[i]])) } };
  });
  return { columns: header, records, notes: tornNote ? [tornNote] : [], tornBytes };
}

/** A file without a complete header line: empty, or cut inside its header (a torn first write). */
function partialHeader(body: string, file: string, columns: readonly string[], total: number): CsvTable {
  if (columns.length > 0 && !columns.join(',').startsWith(body)) {
    throw new UsageError(`${file}:1: expected the header "${columns.join(',')}", got ${JSON.stringify(body.slice(0, 80))}`);
  }
  const note = body === '' ? `${file} is empty (no header yet): read as no rows.` : `${file} holds only a partial header line (torn write): read as no rows.`;
  return { columns: [...columns], records: [], notes: [note], tornBytes: total };
}

function checkHeader(header: string[], file: string, columns: readonly string[]): void {
  if (columns.length === 0 || (header.length === columns.length && header.every((c, i) => c === columns[i]))) return;
  const missing = columns.filter((c) => !header.includes(c));
  const extra = header.filter((c) => !columns.includes(c));
  const what = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unknown ${extra.join(', ')}` : ''].filter(Boolean);
  throw new UsageError(
    `${file}:1: the header is not the one this tool writes (${what.length ? what.join('; ') : 'columns in another order'}): ` +
      `expected "${columns.join(',')}"`,
  );
}

/**
 * Whether the text after the last complete record, which ends inside a quoted field, can be a
 * record cut short: closing the quote must give one record whose open field is a free-text column
 * (error, text: the only ones csv-stringify quotes). A stray quote earlier in the file swallows the
 * records after it and fails this test.
 */
function tornTextField(tail: string, columns: readonly string[]): boolean {
  if (![...columns].some((c) => TEXT_COLUMNS.has(c))) return false;
  try {
    const rows: string[][] = parse(`${tail}"\n`, { relax_column_count: true, skip_empty_lines: true });
    const n = rows.length === 1 ? rows[0].length : 0; // the record cut short ends with its open field
    return n > 0 && n <= columns.length && TEXT_COLUMNS.has(columns[n - 1]);
  } catch {
    return false;
  }
}

/** The line a record starts on: csv-parse reports the line it ends on. */
function startLine(p: Parsed): number {
  const breaks = p.record.reduce((n, field) => n + (field.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  return p.info.lines - breaks;
}

function errLine(err: unknown): number | string {
  const lines = (err as { lines?: unknown } | null)?.lines;
  return typeof lines === 'number' ? lines : '?';
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface ReadTable {
  rows: Record<string, string>[];
  /** Bytes cut from the end because the last record was torn (0 if the file was whole). */
  tornBytes: number;
}

/** One of the tables parsed with the reading rule and every cell checked against its column's rule (see above). */
export function parseTable(content: string | Buffer, file: string, table: AnyTableName): CsvTable {
  const parsed = parseCsv(content, file, ANY_TABLE[table].columns);
  const rules = COLUMN_RULES[table];
  for (const rec of parsed.records) {
    for (const [column, raw] of Object.entries(rec.values)) {
      const knob = KNOB_BY_COLUMN.get(column);
      const problem = knob ? knobCellProblem(knob, raw.trim()) : rules[column] ? cellProblem(rules[column], raw.trim()) : null;
      if (problem) throw new UsageError(`${file}:${rec.line}: column ${column}: ${problem}, got ${JSON.stringify(raw.slice(0, 40))}`);
    }
  }
  return parsed;
}

const KNOB_BY_COLUMN = new Map<string, KnobDef>((KNOBS as readonly KnobDef[]).map((k) => [k.column, k]));

/** What is wrong with a knob's cell: the knob's own schema decides (empty: the default of a knob added later). */
function knobCellProblem(def: KnobDef, raw: string): string | null {
  if (raw === '') return def.inId === 'unlessDefault' ? null : 'must not be empty';
  if (def.kind !== 'choice' && !isDecimal(raw)) return 'expected a number';
  const parsed = def.schema.safeParse(def.kind === 'choice' ? raw : Number(raw));
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'not a valid value');
}

/** Read one of a results folder's tables with the rule above (no file: no rows). */
export function readTable(dir: string, table: AnyTableName): ReadTable {
  const { file } = ANY_TABLE[table];
  const path = join(dir, file);
  if (!existsSync(path)) return { rows: [], tornBytes: 0 };
  if (statSync(path).isDirectory()) throw new UsageError(`${path} is a directory, expected a file (or nothing)`);
  const bytes = readFileSync(path);
  const parsed = parseTable(bytes, path, table);
  // What is kept must be the text as written: bytes that are not UTF-8 would be rewritten as U+FFFD.
  const bad = firstInvalidUtf8Offset(bytes.subarray(0, bytes.length - parsed.tornBytes));
  if (bad >= 0) {
    const line = bytes.subarray(0, bad).toString('latin1').split('\n').length;
    throw new UsageError(`${path}:${line}: not UTF-8 text (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at byte offset ${bad})`);
  }
  return { rows: parsed.records.map((r) => r.values), tornBytes: parsed.tornBytes };
}

// ---- writing ----

/**
 * A table an earlier version wrote (a legacy header) rewritten atomically with today's header, its
 * rows kept, so that rows can be appended to it. A knob column it lacked holds the knob's default
 * (what its runs used: a fresh sweep writes the same), any other new column is empty. Returns whether it was.
 */
export function upgradeTable(dir: string, table: AnyTableName): boolean {
  const { file, columns } = ANY_TABLE[table];
  const path = join(dir, file);
  const header = existsSync(path) ? firstLine(path) : [];
  if (!LEGACY_HEADERS.has(columns) || !isLegacyHeader(header, columns)) return false;
  const added = (KNOBS as readonly KnobDef[]).filter((k) => (columns as readonly string[]).includes(k.column) && !header.includes(k.column));
  const defaults = Object.fromEntries(added.map((k) => [k.column, k.default]));
  const rows = readTable(dir, table).rows.map((r) => ({ ...r, ...defaults }));
  writeTable(dir, table, rows, { held: rows.length, dropped: 0 });
  return true;
}

/**
 * curves.csv as written before issue 21 (CURVE_COLUMNS_V1), rewritten in today's layout so that
 * rows can be added without mixing two meanings. If every score read the whole held-out text
 * (`curveWhole`), each is also its whole_val_bpc, as today. Otherwise each run's last row (its final
 * score, which read the whole held-out text) moves that score to whole_val_bpc, and its val_bpc (the
 * final score on the slice, never measured) is left empty. Returns whether the table was rewritten.
 */
export function upgradeCurves(dir: string, curveWhole: boolean): boolean {
  const path = join(dir, TABLES.curves.file);
  if (!existsSync(path) || !isLegacyHeader(firstLine(path), CURVE_COLUMNS)) return false;
  const { rows } = readTable(dir, 'curves');
  const last = new Map(rows.map((r, i) => [r.run_id, i]));
  const out = rows.map((r, i) =>
    curveWhole ? { ...r, whole_val_bpc: r.val_bpc } : last.get(r.run_id) === i ? { ...r, whole_val_bpc: r.val_bpc, val_bpc: '' } : r,
  );
  writeTable(dir, 'curves', out, { held: rows.length, dropped: 0 });
  return true;
}

/** The header's column names (read from the file's first 64 KiB, not the whole table). */
function firstLine(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split(/\r?\n/, 1)[0].replace(/^\uFEFF/, '').split(',');
  } finally {
    closeSync(fd);
  }
}

function toCsv(rows: Row[], columns: readonly string[], header: boolean): string {
  const records = rows.map((r) => columns.map((c) => cellText(r[c])));
  return stringify(header ? [columns, ...records] : records, { record_delimiter: '\n' });
}

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return v;
}

/** A table's text (its header and `rows`), as the files hold it: for a table carried inside another file (src/results/live.ts). */
export function tableText(table: AnyTableName, rows: Row[]): string {
  return toCsv(rows, ANY_TABLE[table].columns, true);
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** A run's curve points as curves.csv rows. */
export function curveRows(runId: string, points: readonly CurvePoint[]): Row[] {
  return points.map((c) => ({ run_id: runId, iteration: c.iteration, chars: c.chars, smooth_loss_per_char: c.smoothLossPerChar, val_bpc: c.valBpc, elapsed_s: round3(c.elapsedS), whole_val_bpc: c.wholeValBpc }));
}

/** A run's RNN samples as samples.csv rows. */
export function sampleRows(runId: string, samples: readonly SamplePoint[]): Row[] {
  return samples.map((s) => ({ run_id: runId, model: 'rnn', iteration: s.iteration, temperature: s.temperature, text: s.text }));
}

/** Append rows in one write and make them durable. Creates the file with its header if needed. */
export function appendRows(dir: string, table: AnyTableName, rows: Row[]): void {
  const { file, columns } = ANY_TABLE[table];
  const path = join(dir, file);
  const created = !existsSync(path);
  if (!created) upgradeTable(dir, table);
  // A file left empty by a crash right after it was created gets its header too.
  const text = toCsv(rows, columns, created || statSync(path).size === 0);
  if (text.length === 0) return;
  appendDurably(path, text, created);
}

/**
 * Replace a table's contents atomically. `held` is how many rows it held when read and `dropped`
 * how many of those the caller deliberately leaves out (each reported to the user): a table is
 * never rewritten with fewer rows than that, whatever goes wrong in between.
 */
export function writeTable(dir: string, table: AnyTableName, rows: Row[], keep: { held: number; dropped: number } = { held: 0, dropped: 0 }): void {
  const { file, columns } = ANY_TABLE[table];
  if (rows.length < keep.held - keep.dropped) {
    throw new Error(`internal error: refusing to rewrite ${join(dir, file)} with ${rows.length} rows; it held ${keep.held} and ${keep.dropped} were to be dropped`);
  }
  writeFileAtomic(join(dir, file), toCsv(rows, columns, true));
}
