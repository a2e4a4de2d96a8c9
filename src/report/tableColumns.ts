/**
 * The report's two tables described once (pure): each column's heading, whether it is numeric
 * (right-aligned) and its cell as plain text. The Markdown and HTML renderers lay them out; a
 * column with a `kind` gets that renderer's treatment (a status badge, a coloured Δ, a run id in
 * monospace, a note cut to fit).
 */
import type { KnobStats, KnobValueStats, LeaderboardEntry } from './types.js';
import { fmtBpc, fmtDelta, fmtInt, fmtNum } from './format.js';
import { statusLabel } from './text.js';

export interface Column<T> {
  head: string;
  numeric: boolean;
  text: (row: T) => string;
  kind?: 'run' | 'status' | 'delta' | 'note';
  /** Where the cell links to (the run's checkpoint), if anywhere. */
  link?: (row: T) => string | undefined;
}

export const LEADERBOARD_COLUMNS: Array<Column<LeaderboardEntry>> = [
  { head: '#', numeric: true, text: (e) => (e.rank === null ? '' : String(e.rank)) },
  { head: 'run', numeric: false, text: (e) => e.runId, kind: 'run', link: (e) => e.checkpoint },
  { head: 'hidden', numeric: true, text: (e) => fmtNum(e.hiddenSize) },
  { head: 'unroll', numeric: true, text: (e) => fmtNum(e.unroll) },
  { head: 'clip', numeric: true, text: (e) => fmtNum(e.clip) },
  { head: 'lr', numeric: true, text: (e) => fmtNum(e.learningRate) },
  { head: 'seed', numeric: true, text: (e) => e.seed },
  { head: 'status', numeric: false, text: (e) => statusLabel(e.status), kind: 'status' },
  { head: 'held-out bpc', numeric: true, text: (e) => fmtBpc(e.valBpc) },
  { head: 'Markov bpc', numeric: true, text: (e) => fmtBpc(e.markovBpc) },
  { head: 'Δ bpc', numeric: true, text: (e) => fmtDelta(e.delta), kind: 'delta' },
  { head: 'chars/s', numeric: true, text: (e) => fmtInt(e.charsPerS) },
  { head: 'note', numeric: false, text: (e) => e.note ?? '', kind: 'note' },
];

/** Columns of one knob's table: its values, how many runs finished, best and median held-out bpc, the best run. */
export function knobColumns(k: KnobStats): Array<Column<KnobValueStats>> {
  return [
    { head: k.label, numeric: true, text: (v) => fmtNum(v.value) },
    { head: 'runs', numeric: true, text: (v) => String(v.runs) },
    { head: 'finished', numeric: true, text: (v) => String(v.finished) },
    { head: 'best bpc', numeric: true, text: (v) => fmtBpc(v.best) },
    { head: 'median bpc', numeric: true, text: (v) => fmtBpc(v.median) },
    { head: 'best run', numeric: false, text: (v) => v.bestRunId ?? '—', kind: 'run' },
  ];
}
