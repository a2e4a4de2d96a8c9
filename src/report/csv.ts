/**
 * CSV reading for the sweep's tables (written by csv-stringify with a header row, every record
 * terminated by "\n"). Pure: text in, records out.
 *
 * A sweep killed with -9 can leave the last record half written. Such a torn tail is dropped (and
 * reported in `notes`) instead of failing the report:
 *   - the text does not end with a newline: the last record is incomplete, even if it happens to have
 *     every field (its last field may be cut short), so it is dropped;
 *   - the file ends inside a quoted field (csv-parse's CSV_QUOTE_NOT_CLOSED): the records parsed
 *     before it are kept, the open one is dropped.
 * Anything malformed before the tail (wrong field count, a stray quote, a missing column) is an
 * input error: UsageError naming the file and line.
 */
import { parse, CsvError } from 'csv-parse/sync';
import { UsageError } from '../errors.js';

export interface CsvRecord {
  /** Line on which the record starts (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

export interface CsvTable {
  columns: string[];
  records: CsvRecord[];
  notes: string[];
}

interface InfoRecord {
  record: Record<string, string>;
  info: { lines: number; columns: Array<{ name: string } | false>; error?: { record?: unknown[] } };
}

function parseRecords(text: string, to?: number): InfoRecord[] {
  return parse(text, {
    bom: true,
    columns: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    ...(to === undefined ? {} : { to }),
  }) as unknown as InfoRecord[];
}

function headerOf(text: string): string[] {
  const rows = parse(text, { bom: true, to_line: 1, relax_column_count: true }) as string[][];
  return rows[0] ?? [];
}

/**
 * Parse one CSV file's text. `file` names it in messages; `required` are the columns the caller
 * needs (absent ones are a UsageError).
 */
export function parseCsv(text: string, file: string, required: readonly string[]): CsvTable {
  const notes: string[] = [];
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    notes.push(`${file} is empty (no header yet): read as no rows.`);
    return { columns: [...required], records: [], notes };
  }
  const firstNewline = body.indexOf('\n');
  if (firstNewline < 0) {
    notes.push(`${file} holds only a partial header line (torn write): read as no rows.`);
    return { columns: [...required], records: [], notes };
  }

  let columns: string[];
  try {
    columns = headerOf(body.slice(0, firstNewline + 1));
  } catch (err) {
    throw new UsageError(`${file}:1: cannot parse the header: ${errMessage(err)}`);
  }
  const absent = required.filter((c) => !columns.includes(c));
  if (absent.length > 0) {
    throw new UsageError(`${file}:1: missing column(s) ${absent.join(', ')} (header: ${columns.join(',')})`);
  }

  let parsed: InfoRecord[];
  let tornFromQuote = false;
  try {
    parsed = parseRecords(body);
  } catch (err) {
    if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') {
      // The file ends inside a quoted field: keep the records completed before it.
      const complete = Number((err as unknown as { records?: number }).records ?? 0);
      try {
        parsed = complete > 0 ? parseRecords(body, complete) : [];
      } catch (err2) {
        throw new UsageError(`${file}:${lineOf(err2)}: ${errMessage(err2)}`);
      }
      tornFromQuote = true;
    } else {
      throw new UsageError(`${file}:${lineOf(err)}: ${errMessage(err)}`);
    }
  }

  const endsWithNewline = body.endsWith('\n');
  const records: CsvRecord[] = [];
  let prevEnd = 1;
  parsed.forEach((p, i) => {
    const line = prevEnd + 1;
    prevEnd = p.info.lines;
    const isLast = i === parsed.length - 1;
    const fieldCount = Array.isArray(p.info.error?.record) ? p.info.error.record.length : Object.keys(p.record).length;
    if (isLast && !tornFromQuote && !endsWithNewline) {
      notes.push(
        `${file}:${line}: the last record is not terminated by a newline (a torn write, e.g. kill -9 mid-write): treated as absent.`,
      );
      return;
    }
    if (p.info.error !== undefined || fieldCount !== columns.length) {
      throw new UsageError(`${file}:${line}: expected ${columns.length} fields, got ${fieldCount}`);
    }
    records.push({ line, values: p.record });
  });
  if (tornFromQuote) {
    notes.push(
      `${file}:${prevEnd + 1}: the file ends inside a quoted field (a torn write, e.g. kill -9 mid-write): that last record is treated as absent.`,
    );
  }
  return { columns, records, notes };
}

function lineOf(err: unknown): number | string {
  const lines = (err as { lines?: unknown } | null)?.lines;
  return typeof lines === 'number' ? lines : '?';
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
