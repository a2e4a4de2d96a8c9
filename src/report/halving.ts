/**
 * Successive halving and Hyperband in the report (pure): from rungs.csv, each bracket's rungs with
 * their budget and how many ran and continued, and where each configuration got to; described
 * once as columns for the Markdown, HTML and terminal renderers.
 */
import { configId } from '../results/knobs.js';
import { fmtBpc, fmtInt } from './format.js';
import type { Column } from './tableColumns.js';
import type { FolderTables, HalvingReport, LeaderboardEntry, RungRow } from './types.js';

type RungLine = HalvingReport['rungs'][number];
type StopLine = HalvingReport['stops'][number];

/** The first folder's rungs.csv (rung methods run as one sweep: shards are refused), or null. */
export function halvingOf(folders: FolderTables[], leaderboard: LeaderboardEntry[]): HalvingReport | null {
  const folder = folders.find((f) => f.rungs && f.rungs.length > 0);
  const rows = folder?.rungs;
  if (!rows) return null;
  const configOf = new Map(leaderboard.map((e) => [e.runId, configId(e)]));
  const config = (r: RungRow) => configOf.get(r.runId) ?? r.runId;
  const keys = [...new Set(rows.map((r) => `${r.bracket}:${r.rung}`))];
  const rungs: RungLine[] = keys.map((key) => {
    const at = rows.filter((r) => `${r.bracket}:${r.rung}` === key);
    const configs = (rs: RungRow[]) => new Set(rs.map(config)).size;
    const final = at.every((r) => r.decision === 'final');
    return {
      bracket: at[0].bracket,
      rung: at[0].rung,
      budgetChars: at[0].budgetChars,
      configs: configs(at),
      runs: at.length,
      continued: final ? null : configs(at.filter((r) => r.decision === 'promoted')),
    };
  });
  rungs.sort((a, b) => a.bracket - b.bracket || a.rung - b.rung);
  const stops = stopLines(rows, config);
  // A run is one trajectory whatever bracket trains it: it trained to the largest budget of its rows.
  const reached = new Map<string, number>();
  for (const r of rows) reached.set(r.runId, Math.max(reached.get(r.runId) ?? 0, r.budgetChars));
  const trainChars = [...reached.values()].reduce((s, b) => s + b, 0);
  const lastBudget = Math.max(...rows.map((r) => r.budgetChars));
  const method =
    (folder?.manifest?.experiment as { search?: { method?: unknown } } | undefined)?.search?.method === 'hyperband' ||
    rungs.some((r) => r.bracket > 1)
      ? 'hyperband'
      : 'halving';
  const failed = [...new Set(rows.filter((r) => r.status === 'failed').map((r) => r.runId))].sort();
  return { method, rungs, stops, trainChars, gridChars: reached.size * lastBudget, failed };
}

/** Where each configuration got to: its rows at the largest budget any bracket trained it to (a final decision first). */
function stopLines(rows: RungRow[], config: (r: RungRow) => string): StopLine[] {
  const furthest = new Map<string, RungRow[]>();
  for (const r of rows) {
    const prev = furthest.get(config(r));
    const better =
      !prev ||
      prev[0].budgetChars < r.budgetChars ||
      (prev[0].budgetChars === r.budgetChars && prev[0].decision !== 'final' && r.decision === 'final');
    if (better) furthest.set(config(r), [r]);
    else if (prev[0].budgetChars === r.budgetChars && prev[0].bracket === r.bracket) prev.push(r);
  }
  const stops: StopLine[] = [...furthest].map(([id, rs]) => ({
    configId: id,
    runIds: rs.map((r) => r.runId),
    bracket: rs[0].bracket,
    rung: rs[0].rung,
    budgetChars: rs[0].budgetChars,
    valBpc: rs[0].configValBpc,
    rank: rs[0].rank,
    decision: rs[0].decision,
    failed: rs.some((r) => r.status === 'failed'),
  }));
  stops.sort((a, b) => b.budgetChars - a.budgetChars || a.bracket - b.bracket || a.rank - b.rank);
  return stops;
}

export const HYPERBAND_PROSE =
  'Hyperband: brackets of successive halving, each starting its configurations at a different budget (the first at the smallest, with the most of them); ' +
  "within each, every rung ranked its configurations on the mean of their seeds' held-out bpc at that budget and the best 1/eta continued. " +
  'A configuration drawn by two brackets trained once to each budget, both ranking it on the same score.';

/** The section's heading and prose. */
export function rungSearchTitle(hv: HalvingReport): { title: string; prose: string } {
  return hv.method === 'hyperband'
    ? { title: 'Hyperband', prose: HYPERBAND_PROSE }
    : { title: 'Successive halving', prose: HALVING_PROSE };
}

/** What became of runs that failed with an error (none: empty). */
export function failedNote(hv: HalvingReport): string {
  if (hv.failed.length === 0) return '';
  return (
    `${hv.failed.length} run(s) failed with an error (${hv.failed.join(', ')}): each ranked last in its rung, as a diverged run does, and was not re-attempted, ` +
    'since later decisions rest on it (run the sweep with --fresh to start over).'
  );
}

export const HALVING_PROSE =
  "Successive halving: every configuration trained to the first rung's budget; at each rung the configurations were ranked on the mean of their seeds' " +
  'held-out bpc at that budget (the whole held-out text) and the best 1/eta continued from their checkpoints to the next rung. ' +
  "A configuration's row in the leaderboard is its score where it stopped, and the leaderboard ranks and tests it only against the configurations that stopped at the same budget (one table per budget); the rank within each rung, below, compares every configuration that reached that rung.";

export function halvingSpend(h: HalvingReport): string {
  const pct = h.gridChars > 0 ? Math.round((100 * h.trainChars) / h.gridChars) : 0;
  const all =
    h.method === 'hyperband'
      ? 'every configuration it ran would train at the last budget'
      : "the full grid would train at the last rung's budget";
  return `${fmtInt(h.trainChars)} training characters in all: ${pct} % of the ${fmtInt(h.gridChars)} ${all}.`;
}

/** The rungs' columns: with a bracket column when there are several. */
export function rungColumnsOf(h: HalvingReport): Array<Column<RungLine>> {
  return h.rungs.some((r) => r.bracket > 1)
    ? [{ head: 'bracket', numeric: true, text: (r) => String(r.bracket) }, ...rungColumns]
    : rungColumns;
}

const rungColumns: Array<Column<RungLine>> = [
  { head: 'rung', numeric: true, text: (r) => String(r.rung) },
  { head: 'budget (chars)', numeric: true, text: (r) => fmtInt(r.budgetChars) },
  { head: 'configurations', numeric: true, text: (r) => String(r.configs) },
  { head: 'runs', numeric: true, text: (r) => String(r.runs) },
  { head: 'continued', numeric: true, text: (r) => (r.continued === null ? '— (last rung)' : String(r.continued)) },
];

export const stopColumns: Array<Column<StopLine>> = [
  { head: 'configuration', numeric: false, text: (s) => s.configId, kind: 'run' },
  {
    head: 'stopped at rung',
    numeric: true,
    text: (s) => (s.bracket > 1 ? `${s.rung} (bracket ${s.bracket})` : String(s.rung)),
  },
  { head: 'budget (chars)', numeric: true, text: (s) => fmtInt(s.budgetChars) },
  { head: 'mean bpc there', numeric: true, text: (s) => fmtBpc(s.valBpc) },
  { head: 'rank there', numeric: true, text: (s) => String(s.rank) },
  {
    head: 'outcome',
    numeric: false,
    text: (s) =>
      s.decision === 'final'
        ? 'trained to the full budget'
        : s.failed
          ? 'stopped (failed: ranked last)'
          : s.valBpc === null
            ? 'stopped (diverged)'
            : 'stopped',
  },
];

/** Successive halving on the per-run curves plot: a grey dotted rule at each rung's budget but the last (where runs stopped). */
export function rungRuleLayers(hv: HalvingReport | null | undefined): object[] {
  if (!hv || hv.rungs.length < 2) return [];
  const last = Math.max(...hv.rungs.map((r) => r.budgetChars));
  const values = [...new Set(hv.rungs.map((r) => r.budgetChars))].filter((b) => b < last).map((chars) => ({ chars }));
  return [
    {
      data: { values },
      mark: { type: 'rule', color: '#888', strokeDash: [1, 3], strokeWidth: 1 },
      encoding: { x: { field: 'chars', type: 'quantitative' } },
    },
  ];
}

export function rungRuleCaption(hv: HalvingReport | null | undefined): string {
  if (!hv || hv.rungs.length < 2) return '';
  return ` Grey dotted rules: the rung budgets of ${hv.method === 'hyperband' ? 'Hyperband' : 'successive halving'}; a run whose curve ends at one stopped there.`;
}
