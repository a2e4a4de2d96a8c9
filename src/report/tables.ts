/**
 * Typed reading of the sweep's files (pure: text in, rows out), through the sweep's own reader and
 * its one validity rule (src/results/tables.ts parseTable: finite numbers in range, known statuses,
 * else a UsageError naming file:line and the column); here the checked cells only become values.
 */
import { UsageError } from '../errors.js';
import { parseTable, type CsvRecord } from './csv.js';
import type { CurveRow, LadderRow, Manifest, RungRow, RunStatus, SampleRow, SummaryRow } from './types.js';

import { CURVE_COLUMNS, SAMPLE_COLUMNS, SUMMARY_COLUMNS } from '../results/columns.js';
import { knobFromCell, KNOBS, type KnobDef, type KnobValues } from '../results/knobs.js';

export { CURVE_COLUMNS, SAMPLE_COLUMNS, SUMMARY_COLUMNS };

export interface Parsed<T> {
  rows: T[];
  notes: string[];
  /** The header is one an earlier version wrote (src/results/columns.ts). */
  legacy?: boolean;
}

class Cells {
  constructor(
    private readonly file: string,
    private readonly rec: CsvRecord,
  ) {}
  where(column: string): string {
    return `${this.file}:${this.rec.line}: column ${column}`;
  }
  str(column: string): string {
    return this.rec.values[column] ?? '';
  }
  /** Empty -> null (not measured); the cell was checked by parseTable. */
  num(column: string): number | null {
    const raw = this.str(column).trim();
    return raw === '' ? null : Number(raw);
  }
  reqNum(column: string): number {
    const n = this.num(column);
    if (n === null) throw new UsageError(`${this.where(column)}: a number is required here`);
    return n;
  }
  /** A knob's cell (src/results/knobs.ts knobFromCell): required, except that a ladder knob's empty cell is its default. */
  knob(def: KnobDef): number | string {
    const v = knobFromCell(def, this.str(def.column));
    if (v === null) return this.reqNum(def.column); // names the column and what is wrong
    return v;
  }
  knobs(): KnobValues {
    return Object.fromEntries((KNOBS as readonly KnobDef[]).map((k) => [k.key, this.knob(k)])) as KnobValues;
  }
  /** "true" / "false" -> a boolean; empty -> null; anything else -> UsageError. */
  flag(column: string): boolean | null {
    const raw = this.str(column).trim();
    if (raw === '') return null;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new UsageError(
      `${this.where(column)}: expected true, false or nothing, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  }
  reqStr(column: string): string {
    const s = this.str(column);
    if (s.trim() === '') throw new UsageError(`${this.where(column)}: must not be empty`);
    return s;
  }
}

export function parseSummary(text: string, file: string): Parsed<SummaryRow> {
  const table = parseTable(text, file, 'summary');
  const rows = table.records.map((rec): SummaryRow => {
    const c = new Cells(file, rec);
    const status = c.str('status').trim();
    return {
      runId: c.reqStr('run_id'),
      ...c.knobs(),
      seed: c.str('seed'),
      backend: c.str('backend'),
      status: status as RunStatus,
      iterations: c.num('iterations'),
      chars: c.num('chars'),
      smoothLossPerChar: c.num('smooth_loss_per_char'),
      valBpc: c.num('val_bpc'),
      markovOrder: c.num('markov_order'),
      markovValBpc: c.num('markov_val_bpc'),
      wallS: c.num('wall_s'),
      charsPerS: c.num('chars_per_s'),
      divergedAtIteration: c.num('diverged_at_iteration'),
      error: c.str('error'),
      params: c.num('params'),
      bestValBpc: c.num('best_val_bpc'),
      bestValChars: c.num('best_val_chars'),
      curveValChars: c.num('curve_val_chars'),
      stoppedEarly: c.flag('stopped_early'),
      source: `${file}:${rec.line}`,
    };
  });
  return { rows, notes: table.notes };
}

export function parseCurves(text: string, file: string): Parsed<CurveRow> {
  const table = parseTable(text, file, 'curves');
  const rows = table.records.map((rec): CurveRow => {
    const c = new Cells(file, rec);
    return {
      runId: c.reqStr('run_id'),
      iteration: c.reqNum('iteration'),
      chars: c.reqNum('chars'),
      smoothLossPerChar: c.num('smooth_loss_per_char'),
      valBpc: c.num('val_bpc'),
      elapsedS: c.num('elapsed_s'),
      wholeValBpc: c.num('whole_val_bpc'),
    };
  });
  return { rows, notes: table.notes, legacy: !table.columns.includes('whole_val_bpc') };
}

export function parseRungs(text: string, file: string): Parsed<RungRow> {
  const table = parseTable(text, file, 'rungs');
  const rows = table.records.map((rec): RungRow => {
    const c = new Cells(file, rec);
    const decision = c.str('decision').trim() as RungRow['decision'];
    return {
      bracket: c.num('bracket') ?? 1, // rungs.csv before Hyperband: successive halving's one bracket
      rung: c.reqNum('rung'),
      budgetChars: c.reqNum('budget_chars'),
      runId: c.reqStr('run_id'),
      status: c.str('status'),
      valBpc: c.num('val_bpc'),
      configValBpc: c.num('config_val_bpc'),
      rank: c.reqNum('rank'),
      decision,
    };
  });
  return { rows, notes: table.notes };
}

export function parseSamples(text: string, file: string): Parsed<SampleRow> {
  const table = parseTable(text, file, 'samples');
  const rows = table.records.map((rec): SampleRow => {
    const c = new Cells(file, rec);
    return {
      runId: c.reqStr('run_id'),
      model: c.str('model').trim() as SampleRow['model'],
      iteration: c.num('iteration'),
      temperature: c.num('temperature'),
      text: c.str('text'),
    };
  });
  return { rows, notes: table.notes };
}

/** baselines.csv: the ladder of Markov baselines, one row per order. */
export function parseBaselines(text: string, file: string): Parsed<LadderRow> {
  const table = parseTable(text, file, 'baselines');
  const rows = table.records.map((rec): LadderRow => {
    const c = new Cells(file, rec);
    return {
      order: c.reqNum('order'),
      trainChars: c.num('train_chars'),
      valChars: c.num('val_chars'),
      valBpc: c.num('val_bpc'),
      countS: c.num('count_s'),
      scoreS: c.num('score_s'),
    };
  });
  return { rows, notes: table.notes };
}

/** manifest.json: must be a JSON object; fields are read defensively later. */
export function parseManifest(text: string, file: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${file}: expected a JSON object`);
  }
  return value;
}
