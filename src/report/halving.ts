/**
 * Successive halving in the report (pure): from rungs.csv, each rung's budget and how many ran and
 * continued, and where each configuration stopped; described once as columns for the Markdown,
 * HTML and terminal renderers.
 */
import { configId } from '../sweep/knobs.js';
import { fmtBpc, fmtInt } from './format.js';
import type { Column } from './tableColumns.js';
import type { FolderTables, HalvingReport, LeaderboardEntry, RungRow } from './types.js';

type RungLine = HalvingReport['rungs'][number];
type StopLine = HalvingReport['stops'][number];

/** The first folder's rungs.csv (halving runs as one sweep: shards are refused), or null. */
export function halvingOf(folders: FolderTables[], leaderboard: LeaderboardEntry[]): HalvingReport | null {
  const rows = folders.find((f) => f.rungs && f.rungs.length > 0)?.rungs;
  if (!rows) return null;
  const configOf = new Map(leaderboard.map((e) => [e.runId, configId(e)]));
  const config = (r: RungRow) => configOf.get(r.runId) ?? r.runId;
  const rungNumbers = [...new Set(rows.map((r) => r.rung))].sort((a, b) => a - b);
  const rungs: RungLine[] = rungNumbers.map((k) => {
    const at = rows.filter((r) => r.rung === k);
    const configs = (rs: RungRow[]) => new Set(rs.map(config)).size;
    const final = at.every((r) => r.decision === 'final');
    return { rung: k, budgetChars: at[0].budgetChars, configs: configs(at), runs: at.length, continued: final ? null : configs(at.filter((r) => r.decision === 'promoted')) };
  });
  // A configuration's last rung row is where it stopped (or finished).
  const last = new Map<string, RungRow[]>();
  for (const r of rows) {
    const prev = last.get(config(r));
    if (!prev || prev[0].rung < r.rung) last.set(config(r), [r]);
    else if (prev[0].rung === r.rung) prev.push(r);
  }
  const stops: StopLine[] = [...last].map(([id, rs]) => ({
    configId: id,
    runIds: rs.map((r) => r.runId),
    rung: rs[0].rung,
    budgetChars: rs[0].budgetChars,
    valBpc: rs[0].configValBpc,
    rank: rs[0].rank,
    decision: rs[0].decision,
  }));
  stops.sort((a, b) => b.rung - a.rung || a.rank - b.rank);
  const seedsPer = rows.filter((r) => r.rung === rungNumbers[0]).length / Math.max(1, rungs[0].configs);
  const trainChars = rungs.reduce((s, r, i) => s + r.runs * (r.budgetChars - (i > 0 ? rungs[i - 1].budgetChars : 0)), 0);
  const gridChars = rungs[0].configs * seedsPer * rungs[rungs.length - 1].budgetChars;
  return { rungs, stops, trainChars, gridChars };
}

export const HALVING_PROSE =
  'Successive halving: every configuration trained to the first rung\'s budget; at each rung the configurations were ranked on the mean of their seeds\' ' +
  'held-out bpc at that budget (the whole held-out text) and the best 1/eta continued from their checkpoints to the next rung. ' +
  'A configuration\'s row in the leaderboard is its score where it stopped, and the leaderboard ranks and tests it only against the configurations that stopped at the same budget (one table per budget); the rank within each rung, below, compares every configuration that reached that rung.';

export function halvingSpend(h: HalvingReport): string {
  const pct = h.gridChars > 0 ? Math.round((100 * h.trainChars) / h.gridChars) : 0;
  return `${fmtInt(h.trainChars)} training characters in all: ${pct} % of the ${fmtInt(h.gridChars)} the full grid would train at the last rung's budget.`;
}

export const rungColumns: Array<Column<RungLine>> = [
  { head: 'rung', numeric: true, text: (r) => String(r.rung) },
  { head: 'budget (chars)', numeric: true, text: (r) => fmtInt(r.budgetChars) },
  { head: 'configurations', numeric: true, text: (r) => String(r.configs) },
  { head: 'runs', numeric: true, text: (r) => String(r.runs) },
  { head: 'continued', numeric: true, text: (r) => (r.continued === null ? '— (last rung)' : String(r.continued)) },
];

export const stopColumns: Array<Column<StopLine>> = [
  { head: 'configuration', numeric: false, text: (s) => s.configId, kind: 'run' },
  { head: 'stopped at rung', numeric: true, text: (s) => String(s.rung) },
  { head: 'budget (chars)', numeric: true, text: (s) => fmtInt(s.budgetChars) },
  { head: 'mean bpc there', numeric: true, text: (s) => fmtBpc(s.valBpc) },
  { head: 'rank there', numeric: true, text: (s) => String(s.rank) },
  { head: 'outcome', numeric: false, text: (s) => (s.decision === 'final' ? 'trained to the full budget' : s.valBpc === null ? 'stopped (diverged)' : 'stopped') },
];

/** Successive halving on the per-run curves plot: a grey dotted rule at each rung's budget but the last (where runs stopped). */
export function rungRuleLayers(hv: HalvingReport | null | undefined): object[] {
  if (!hv || hv.rungs.length < 2) return [];
  const values = hv.rungs.slice(0, -1).map((r) => ({ chars: r.budgetChars, rung: `rung ${r.rung}` }));
  return [{ data: { values }, mark: { type: 'rule', color: '#888', strokeDash: [1, 3], strokeWidth: 1 }, encoding: { x: { field: 'chars', type: 'quantitative' } } }];
}

export function rungRuleCaption(hv: HalvingReport | null | undefined): string {
  if (!hv || hv.rungs.length < 2) return '';
  return ' Grey dotted rules: the rung budgets of successive halving; a run whose curve ends at one stopped there.';
}
