/**
 * The report's two tables described once (pure): each column's heading, whether it is numeric
 * (right-aligned) and its cell as plain text. The Markdown and HTML renderers lay them out; a
 * column with a `kind` gets that renderer's treatment (a status badge, a coloured Δ, a run id in
 * monospace, a note cut to fit).
 */
import type { ConfigEntry, CurveText, KnobStats, KnobValue, KnobValueStats, LadderRow, LeaderboardEntry } from './types.js';
import { bestHead } from './curveText.js';
import type { KnobDef, KnobKey, KnobValues } from '../sweep/knobs.js';
import { fmtBpc, fmtDelta, fmtInt, fmtNum } from './format.js';
import { diffText, verdictText } from './groups.js';
import { statusLabel } from './text.js';

export interface Column<T> {
  head: string;
  numeric: boolean;
  text: (row: T) => string;
  kind?: 'run' | 'status' | 'delta' | 'note' | 'verdict';
  /** Where the cell links to (the run's checkpoint), if anywhere. */
  link?: (row: T) => string | undefined;
  /** The cell of a Markov order's row (the ladder of baselines, src/report/ladder.ts); absent: empty. */
  baseline?: (b: LadderRow, best: boolean) => string;
}

const markovRun = (b: LadderRow) => `Markov order ${b.order}`;
const markovNote = (_b: LadderRow, best: boolean) => (best ? 'baseline: the best Markov order (baselines.csv)' : 'baseline (baselines.csv)');

export const fmtKnob = (v: KnobValue): string => (typeof v === 'number' ? fmtNum(v) : v);

/** Training characters, short: 9.5M, 300k. */
function fmtChars(n: number | null): string {
  if (n === null) return '—';
  return n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);
}

/** One column per shown knob (src/sweep/knobs.ts). */
function knobCols<T extends KnobValues>(knobs: readonly KnobDef[]): Array<Column<T>> {
  return knobs.map((k) => ({ head: k.short, numeric: k.kind !== 'choice', text: (e: T) => fmtKnob(e[k.key as KnobKey]) }));
}

/** The runs' table: one row per run (the best column headed for what the curve scores read). */
export function leaderboardColumns(knobs: readonly KnobDef[], curveText?: CurveText): Array<Column<LeaderboardEntry>> {
  return [
  { head: '#', numeric: true, text: (e) => (e.rank === null ? '' : String(e.rank)) },
  { head: 'run', numeric: false, text: (e) => e.runId, kind: 'run', link: (e) => e.checkpoint, baseline: markovRun },
  ...knobCols<LeaderboardEntry>(knobs),
  { head: 'params', numeric: true, text: (e) => fmtInt(e.params) },
  { head: 'seed', numeric: true, text: (e) => e.seed },
  { head: 'status', numeric: false, text: (e) => statusLabel(e.status), kind: 'status', baseline: () => 'baseline' },
  { head: 'held-out bpc', numeric: true, text: (e) => fmtBpc(e.valBpc), baseline: (b) => fmtBpc(b.valBpc) },
  { head: curveText ? bestHead(curveText) : 'best bpc', numeric: true, text: (e) => (e.bestValBpc === null ? '—' : `${fmtBpc(e.bestValBpc)} @ ${fmtChars(e.bestValChars)}`) },
  { head: 'Markov bpc', numeric: true, text: (e) => fmtBpc(e.markovBpc) },
  { head: 'Δ bpc', numeric: true, text: (e) => fmtDelta(e.delta), kind: 'delta' },
  { head: 'chars/s', numeric: true, text: (e) => fmtInt(e.charsPerS) },
  { head: 'note', numeric: false, text: (e) => e.note ?? '', kind: 'note', baseline: markovNote },
  ];
}

/** The configurations' table: one row per configuration, statistics across its seeds. */
export function configColumns(knobs: readonly KnobDef[], curveText?: CurveText): Array<Column<ConfigEntry>> {
  return [
    { head: '#', numeric: true, text: (c) => (c.rank === null ? '' : String(c.rank)) },
    { head: 'configuration', numeric: false, text: (c) => c.configId, kind: 'run', baseline: markovRun },
    ...knobCols<ConfigEntry>(knobs),
    { head: 'params', numeric: true, text: (c) => fmtInt(c.params) },
    { head: 'n', numeric: true, text: (c) => (c.n === c.runs ? String(c.n) : `${c.n}/${c.runs}`) },
    { head: 'mean bpc', numeric: true, text: (c) => fmtBpc(c.mean), baseline: (b) => fmtBpc(b.valBpc) },
    { head: 'sd', numeric: true, text: (c) => fmtBpc(c.sd) },
    { head: '95 % interval', numeric: true, text: (c) => (c.lo === null || c.hi === null ? '—' : `${fmtBpc(c.lo)}–${fmtBpc(c.hi)}`) },
    { head: 'vs best', numeric: false, text: (c) => verdictText(c), kind: 'verdict' },
    { head: 'Δ best [95 % interval]', numeric: true, text: (c) => diffText(c) },
    { head: `${curveText ? bestHead(curveText) : 'best bpc'} (mean)`, numeric: true, text: (c) => fmtBpc(c.bestMean) },
    { head: 'Markov bpc', numeric: true, text: (c) => fmtBpc(c.markovBpc) },
    { head: 'Δ bpc', numeric: true, text: (c) => fmtDelta(c.delta), kind: 'delta' },
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
    { head: multiSeed ? 'best configuration' : 'best run', numeric: false, text: (v) => v.bestRunId ?? '—', kind: 'run' },
  ];
}
