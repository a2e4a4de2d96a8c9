/**
 * The report's two tables described once (pure): each column's heading, whether it is numeric
 * (right-aligned) and its cell as plain text. The Markdown and HTML renderers lay them out; a
 * column with a `kind` gets that renderer's treatment (a status badge, a coloured Δ, a run id in
 * monospace, a note cut to fit).
 */
import type {
  ConfigEntry,
  CurveText,
  KnobStats,
  KnobValue,
  KnobValueStats,
  LadderRow,
  LeaderboardEntry,
  ReportData,
} from './types.js';
import { bestHead } from './curveText.js';
import type { KnobDef, KnobKey, KnobValues } from '../results/knobs.js';
import { fmtBpc, fmtDelta, fmtInt, fmtInterval, fmtNum } from './format.js';
import { diffText, verdictText } from './groups.js';
import { shownDefs, statusLabel } from './text.js';
import { shortNames } from './shortIds.js';

export interface Column<T> {
  head: string;
  numeric: boolean;
  text: (row: T) => string;
  kind?: 'run' | 'status' | 'delta' | 'note' | 'verdict' | 'knob' | 'interval';
  /** Where the cell links to (the run's checkpoint), if anywhere. */
  link?: (row: T) => string | undefined;
  /** The full text when the cell shows a shortened one (a run id shortened to what differs). */
  title?: (row: T) => string;
  /** A Δ column's value (its sign colours the cell). */
  delta?: (row: T) => number | null;
  /** The cell of a Markov order's row (the ladder of baselines, src/report/ladder.ts); absent: empty. */
  baseline?: (b: LadderRow, best: boolean) => string;
}

const markovRun = (b: LadderRow) => `Markov order ${b.order}`;
const markovNote = (_b: LadderRow, best: boolean) =>
  best ? 'baseline: the best Markov order (baselines.csv)' : 'baseline (baselines.csv)';

export const fmtKnob = (v: KnobValue): string => (typeof v === 'number' ? fmtNum(v) : v);

/** Training characters, short: 9.5M, 300k. */
function fmtChars(n: number | null): string {
  if (n === null) return '—';
  return n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);
}

/** One column per knob of `knobs` (src/results/knobs.ts). */
function knobCols<T extends KnobValues>(knobs: readonly KnobDef[]): Array<Column<T>> {
  return knobs.map((k) => ({
    head: k.short,
    numeric: k.kind !== 'choice',
    text: (e: T) => fmtKnob(e[k.key as KnobKey]),
    kind: 'knob' as const,
  }));
}

/**
 * What a leaderboard's columns need besides its rows: the knobs that vary in it (the others are
 * the same on every row: the facts list them), the short names of its runs and configurations, and
 * the best Markov order of the ladder (null: no ladder; Δ is then to the run's own Markov order).
 */
export interface TableContext {
  knobs: readonly KnobDef[];
  short: ReadonlyMap<string, string>;
  bestMarkov: { order: number; bpc: number } | null;
  /** What the curve scores read: heads the best-score column (null: unknown). */
  curveText?: CurveText | null;
}

/** The leaderboards' context: the report's knobs that vary, short names of its runs and configurations, the ladder's best order. */
export function tableContext(data: ReportData): TableContext {
  const best = data.ladder?.best;
  return {
    knobs: varyingKnobs(shownDefs(data), data.leaderboard),
    short: shortNames([...data.leaderboard, ...data.grouping.configs]),
    bestMarkov: best && best.valBpc !== null ? { order: best.order, bpc: best.valBpc } : null,
    curveText: data.curveText,
  };
}

/** The knobs of `defs` that take more than one value among `rows`. */
export function varyingKnobs(defs: readonly KnobDef[], rows: readonly KnobValues[]): KnobDef[] {
  return defs.filter((k) => new Set(rows.map((r) => fmtKnob(r[k.key as KnobKey]))).size > 1);
}

/** A run or configuration: its short name shown, its full id on hover (and in the link). */
function nameCol<T>(
  head: string,
  full: (r: T) => string,
  ctx: TableContext,
  link?: (r: T) => string | undefined,
): Column<T> {
  return {
    head,
    numeric: false,
    text: (r) => ctx.short.get(full(r)) ?? full(r),
    title: full,
    kind: 'run',
    link,
    baseline: markovRun,
  };
}

/** Δ to the best Markov order first when there is a ladder, else to the run's own order. */
function deltaCols<T>(
  ctx: TableContext,
  bpc: (r: T) => number | null,
  own: (r: T) => number | null,
): { front: Array<Column<T>>; back: Array<Column<T>> } {
  const best = ctx.bestMarkov;
  const toOwn: Column<T> = {
    head: 'Δ Markov',
    numeric: true,
    text: (r) => fmtDelta(own(r)),
    kind: 'delta',
    delta: own,
  };
  if (!best) return { front: [toOwn], back: [] };
  const d = (r: T) => (bpc(r) === null ? null : (bpc(r) as number) - best.bpc);
  return {
    front: [
      { head: `Δ best Markov (${best.order})`, numeric: true, text: (r) => fmtDelta(d(r)), kind: 'delta', delta: d },
    ],
    back: [toOwn],
  };
}

/** The best-score column's head: what the curve scores read. */
const bestHeadOf = (ctx: TableContext) => (ctx.curveText ? bestHead(ctx.curveText) : 'best bpc');

/** The runs' table: one row per run, scores first, then the knobs that vary, then the rest. */
export function leaderboardColumns(ctx: TableContext): Array<Column<LeaderboardEntry>> {
  const delta = deltaCols<LeaderboardEntry>(
    ctx,
    (e) => e.valBpc,
    (e) => e.delta,
  );
  return [
    { head: '#', numeric: true, text: (e) => (e.rank === null ? '' : String(e.rank)) },
    nameCol<LeaderboardEntry>(
      'run',
      (e) => e.runId,
      ctx,
      (e) => e.checkpoint,
    ),
    { head: 'held-out bpc', numeric: true, text: (e) => fmtBpc(e.valBpc), baseline: (b) => fmtBpc(b.valBpc) },
    ...delta.front,
    { head: 'status', numeric: false, text: (e) => statusLabel(e.status), kind: 'status', baseline: () => 'baseline' },
    ...knobCols<LeaderboardEntry>(ctx.knobs),
    {
      head: bestHeadOf(ctx),
      numeric: true,
      text: (e) => (e.bestValBpc === null ? '—' : `${fmtBpc(e.bestValBpc)} @ ${fmtChars(e.bestValChars)}`),
    },
    { head: 'Markov bpc', numeric: true, text: (e) => fmtBpc(e.markovBpc) },
    ...delta.back,
    { head: 'params', numeric: true, text: (e) => fmtInt(e.params) },
    { head: 'chars/s', numeric: true, text: (e) => fmtInt(e.charsPerS) },
    { head: 'note', numeric: false, text: (e) => e.note ?? '', kind: 'note', baseline: markovNote },
  ];
}

/** The configurations' table: one row per configuration, its statistics across seeds first. */
export function configColumns(ctx: TableContext): Array<Column<ConfigEntry>> {
  const delta = deltaCols<ConfigEntry>(
    ctx,
    (c) => c.mean,
    (c) => c.delta,
  );
  return [
    { head: '#', numeric: true, text: (c) => (c.rank === null ? '' : String(c.rank)) },
    nameCol<ConfigEntry>('configuration', (c) => c.configId, ctx),
    { head: 'mean bpc', numeric: true, text: (c) => fmtBpc(c.mean), baseline: (b) => fmtBpc(b.valBpc) },
    {
      head: '95 % interval',
      numeric: true,
      text: (c) => fmtInterval(c.lo, c.hi),
    },
    ...delta.front,
    { head: 'vs best', numeric: false, text: (c) => verdictText(c), kind: 'verdict' },
    { head: 'Δ best [95 % interval]', numeric: true, text: (c) => diffText(c), kind: 'interval' },
    ...knobCols<ConfigEntry>(ctx.knobs),
    { head: 'n', numeric: true, text: (c) => (c.n === c.runs ? String(c.n) : `${c.n}/${c.runs}`) },
    { head: 'sd', numeric: true, text: (c) => fmtBpc(c.sd) },
    { head: `${bestHeadOf(ctx)} (mean)`, numeric: true, text: (c) => fmtBpc(c.bestMean) },
    { head: 'Markov bpc', numeric: true, text: (c) => fmtBpc(c.markovBpc) },
    ...delta.back,
    { head: 'params', numeric: true, text: (c) => fmtInt(c.params) },
    { head: 'chars/s', numeric: true, text: (c) => fmtInt(c.charsPerS) },
    { head: 'note', numeric: false, text: (c) => c.note ?? '', kind: 'note', baseline: markovNote },
  ];
}

/** Columns of one knob's table: its values, how many runs finished, best and median held-out bpc, the best run. */
export function knobColumns(k: KnobStats, multiSeed = false): Array<Column<KnobValueStats>> {
  return [
    { head: k.label, numeric: typeof k.values[0]?.value !== 'string', text: (v) => fmtKnob(v.value) },
    { head: 'runs', numeric: true, text: (v) => String(v.runs) },
    { head: 'finished', numeric: true, text: (v) => String(v.finished) },
    { head: multiSeed ? 'best mean bpc' : 'best bpc', numeric: true, text: (v) => fmtBpc(v.best) },
    { head: multiSeed ? 'median of means' : 'median bpc', numeric: true, text: (v) => fmtBpc(v.median) },
    {
      head: multiSeed ? 'best configuration' : 'best run',
      numeric: false,
      text: (v) => v.bestRunId ?? '—',
      kind: 'run',
    },
  ];
}
