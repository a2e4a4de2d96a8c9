/**
 * From the folders' tables to the report's data (pure). Merging several folders (shards of one
 * sweep): runs are united by run_id, the first folder holding a run wins (later folders do not
 * duplicate it), curves and samples follow the folder whose summary row was kept, manifests are
 * combined (grid values and seeds united, earliest start, latest finish).
 *
 * Runs named by a manifest's grid but absent from every summary.csv are "missing" (the sweep is
 * still running or was interrupted); the expected runs and their ids come from the sweep's own grid
 * expansion. Every ordering here depends only on the runs' content, never on the order of folders,
 * so shards merged give the same leaderboard as one folder with the union.
 */
import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import { meaningChanges } from '../results/manifest.js';
import type { Experiment } from '../results/schema.js';
import { median } from '../util/stats.js';
import { cmpConfig, cmpKnobValue, configId, shownKnobs, type KnobValues } from '../results/knobs.js';
import { binning } from './bins.js';
import { factsOf } from './facts.js';
import { ladderOf } from './ladder.js';
import { meanOrNull, multiSeed, rankGroups } from './groups.js';
import { expectedRuns, gridAndSeedsOf, num, observedOf, searchLine } from './manifests.js';
import { samplePicks } from './samples.js';
import type {
  ConfigEntry,
  Counts,
  Grouping,
  CurveRow,
  FolderTables,
  HeatCell,
  Knob,
  KnobStats,
  KnobValue,
  LeaderboardEntry,
  MarkovBaseline,
  ReportData,
  RunParams,
  SampleRow,
  SummaryRow,
} from './types.js';
import { KNOBS, KNOB_LABELS } from './types.js';
import { halvingOf } from './halving.js';
import { curveTextOf } from './curveText.js';
import { importanceOf } from './importance.js';

function cmpSeed(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpParams(a: RunParams & { runId: string }, b: RunParams & { runId: string }): number {
  return cmpConfig(a, b) || cmpSeed(a.seed, b.seed) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);
}

const STATUS_ORDER: Record<LeaderboardEntry['status'], number> = { done: 0, diverged: 1, failed: 2, missing: 3 };

// ---- merging ----

export interface Merged {
  summary: SummaryRow[];
  /** Index of the folder each kept summary row came from. */
  summaryFolder: Map<string, number>;
  curves: Map<string, CurveRow[]>;
  samples: Map<string, SampleRow[]>;
  notes: string[];
}

/** Rows of `pick(folder)` grouped by run id, taken from the preferred folder for that run if it has any, else the first that does. */
function groupByRun<T extends { runId: string }>(
  folders: FolderTables[],
  pick: (f: FolderTables) => T[],
  preferred: Map<string, number>,
): Map<string, T[]> {
  const perFolder = folders.map((f) => {
    const m = new Map<string, T[]>();
    for (const row of pick(f)) {
      const list = m.get(row.runId);
      if (list) list.push(row);
      else m.set(row.runId, [row]);
    }
    return m;
  });
  const ids = new Set<string>();
  for (const m of perFolder) for (const id of m.keys()) ids.add(id);
  const out = new Map<string, T[]>();
  for (const id of [...ids].sort()) {
    const pref = preferred.get(id);
    const fromPref = pref === undefined ? undefined : perFolder[pref].get(id);
    const rows = fromPref ?? perFolder.find((m) => m.has(id))?.get(id);
    if (rows) out.set(id, rows);
  }
  return out;
}

export function mergeFolders(folders: FolderTables[]): Merged {
  const notes: string[] = [];
  const summary: SummaryRow[] = [];
  const summaryFolder = new Map<string, number>();
  const firstSource = new Map<string, string>();
  folders.forEach((f, i) => {
    for (const row of f.summary) {
      const seen = firstSource.get(row.runId);
      if (seen !== undefined) {
        notes.push(`Run ${row.runId} appears again at ${row.source}; kept the first row (${seen}).`);
        continue;
      }
      firstSource.set(row.runId, row.source);
      summaryFolder.set(row.runId, i);
      summary.push(row);
    }
  });
  const curves = groupByRun(folders, (f) => f.curves, summaryFolder);
  for (const rows of curves.values()) rows.sort((a, b) => a.chars - b.chars || a.iteration - b.iteration);
  const samples = groupByRun(folders, (f) => f.samples, summaryFolder);
  return { summary, summaryFolder, curves, samples, notes };
}

// ---- the leaderboard ----

function entryFromRow(row: SummaryRow): LeaderboardEntry {
  const delta = row.valBpc !== null && row.markovValBpc !== null ? row.valBpc - row.markovValBpc : null;
  let note: string | null = null;
  if (row.status === 'diverged') {
    note = row.divergedAtIteration !== null ? `diverged at iteration ${row.divergedAtIteration}` : 'diverged';
    if (row.error.trim() !== '') note += `: ${row.error.trim()}`;
  } else if (row.status === 'failed') {
    note = row.error.trim() !== '' ? row.error.trim() : 'failed (no error recorded)';
  } else if (row.valBpc === null) {
    note = 'finished without a held-out score';
  } else if (row.stoppedEarly) {
    note = `stopped early at ${row.chars ?? '?'} characters${row.bestValChars !== null ? ` (best curve score at ${row.bestValChars})` : ''}`;
  }
  return {
    rank: null,
    section: null,
    runId: row.runId,
    ...knobsOf(row),
    seed: row.seed,
    status: row.status,
    valBpc: row.valBpc,
    trainBpc: row.smoothLossPerChar === null ? null : row.smoothLossPerChar / Math.LN2,
    markovOrder: row.markovOrder,
    markovBpc: row.markovValBpc,
    delta,
    params: row.params,
    bestValBpc: row.bestValBpc,
    bestValChars: row.bestValChars,
    stoppedEarly: row.stoppedEarly,
    charsPerS: row.charsPerS,
    wallS: row.wallS,
    iterations: row.iterations,
    chars: row.chars,
    divergedAtIteration: row.divergedAtIteration,
    error: row.error.trim() === '' ? null : row.error,
    note,
  };
}

function missingEntry(p: RunParams, runId: string, curve: CurveRow[] | undefined): LeaderboardEntry {
  const last = curve && curve.length > 0 ? curve[curve.length - 1] : undefined;
  return {
    rank: null,
    section: null,
    runId,
    ...p,
    status: 'missing',
    valBpc: null,
    trainBpc: null,
    markovOrder: null,
    markovBpc: null,
    delta: null,
    params: null,
    bestValBpc: null,
    bestValChars: null,
    stoppedEarly: null,
    charsPerS: null,
    wallS: null,
    iterations: null,
    chars: null,
    divergedAtIteration: null,
    error: null,
    note: last
      ? `not in summary.csv; partial curve to ${last.chars} chars (still running or interrupted)`
      : 'not in summary.csv (not started, still running or interrupted)',
  };
}

/**
 * Sort: finished runs with a held-out score, by section (the characters they trained on, largest
 * first: only runs of one budget are comparable), best first within each and ranked there; then
 * the rest by status, each by parameters.
 */
export function sortLeaderboard(entries: LeaderboardEntry[]): LeaderboardEntry[] {
  const scored = (e: LeaderboardEntry) => e.status === 'done' && e.valBpc !== null;
  const ranked = entries
    .filter(scored)
    .map((e) => Object.assign(e, { section: e.chars }))
    .sort(
      (a, b) => (b.section ?? -1) - (a.section ?? -1) || (a.valBpc as number) - (b.valBpc as number) || cmpParams(a, b),
    );
  const rest = entries
    .filter((e) => !scored(e))
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || cmpParams(a, b));
  ranked.forEach(
    (e, i) => (e.rank = i > 0 && ranked[i - 1].section === e.section ? (ranked[i - 1].rank as number) + 1 : 1),
  );
  for (const e of rest) Object.assign(e, { rank: null, section: null });
  return [...ranked, ...rest];
}

/** One row per configuration: the runs that differ only in their seed, with mean, sd, 95 % interval and the verdict against the best. */
export function groupConfigs(leaderboard: LeaderboardEntry[]): Grouping {
  const score = (e: LeaderboardEntry) => (e.rank !== null ? e.valBpc : null);
  const groups = rankGroups(
    leaderboard,
    (e) => configId(e),
    score,
    cmpParams,
    (e) => e.section,
  );
  const configs = groups.map((g): ConfigEntry => {
    const runs = g.items;
    const first = runs[0];
    const markovBpc = meanOrNull(runs.map((e) => e.markovBpc));
    const unfinished = runs.filter((e) => e.rank === null);
    return {
      ...knobsOf(first),
      rank: g.rank,
      section: g.section,
      configId: g.key,
      runIds: runs.map((e) => e.runId),
      seeds: runs.map((e) => e.seed),
      runs: runs.length,
      n: g.n,
      mean: g.mean,
      sd: g.sd,
      lo: g.lo,
      hi: g.hi,
      halfWidth: g.halfWidth,
      verdict: g.verdict,
      p: g.p,
      diff: g.diff,
      diffLo: g.diffLo,
      diffHi: g.diffHi,
      seedsNeeded: g.seedsNeeded,
      markovBpc,
      delta: g.mean !== null && markovBpc !== null ? g.mean - markovBpc : null,
      params: first.params,
      bestMean: bestMeanOf(runs.filter((e) => e.rank !== null)),
      charsPerS: meanOrNull(runs.map((e) => e.charsPerS)),
      note: unfinished.length === 0 ? null : unfinished.map((e) => `${e.runId}: ${e.status}`).join('; '),
    };
  });
  return { multiSeed: multiSeed(groups), configs };
}

/** The mean of the finished runs' best scores, if each recorded one. */
function bestMeanOf(finished: LeaderboardEntry[]): number | null {
  if (finished.length === 0 || finished.some((e) => e.bestValBpc === null)) return null;
  return meanOrNull(finished.map((e) => e.bestValBpc));
}

/** Just the knobs of a row, entry or configuration. */
function knobsOf(e: KnobValues): KnobValues {
  return Object.fromEntries(KNOBS.map((k) => [k, e[k]])) as KnobValues;
}

/**
 * Per shown knob and value: best and median of the configurations' means (one seed: the runs'
 * scores) — over the configurations that differ from another one in this knob alone (the same
 * other knobs, the same budget), so a value is never credited with what another knob did. In a
 * full grid that is every configuration; in a ladder (a union of grids) or a random search, often
 * none: then the values are listed with their runs and nothing is compared.
 */
function knobStats(entries: LeaderboardEntry[], configs: ConfigEntry[], grid: Record<Knob, KnobValue[]>): KnobStats[] {
  const label = (c: ConfigEntry) => (c.runIds.length === 1 ? c.runIds[0] : c.configId);
  return shownKnobs(entries).map((def) => {
    const knob = def.key as Knob;
    const bins = binning([...grid[knob], ...entries.map((e) => e[knob])]);
    const scored = configs.filter((c) => c.mean !== null);
    const { comparable, groups } = comparableConfigs(scored, knob, bins.of);
    const values = bins.groups.map((value) => {
      const runs = entries.filter((e) => bins.of(e[knob]) === value);
      const ranked = comparable.filter((c) => bins.of(c[knob]) === value);
      const best =
        ranked.length > 0 ? ranked.reduce((a, b) => ((b.mean as number) < (a.mean as number) ? b : a)) : null;
      return {
        value,
        runs: runs.length,
        finished: runs.filter((e) => e.rank !== null).length,
        best: best ? best.mean : null,
        median: ranked.length > 0 ? median(ranked.map((c) => c.mean as number)) : null,
        bestRunId: best ? label(best) : null,
      };
    });
    const values0 = new Set(scored.map((c) => bins.of(c[knob]))).size;
    return {
      knob,
      label: KNOB_LABELS[knob],
      values,
      comparableGroups: groups,
      note: knobNote(KNOB_LABELS[knob], values0, groups, comparable.length, scored.length),
    };
  });
}

/** The configurations in groups (same other knobs, same section) where `knob` takes two values or more; one value in all: every one. */
function comparableConfigs(
  scored: ConfigEntry[],
  knob: Knob,
  bin: (v: KnobValue) => KnobValue,
): { comparable: ConfigEntry[]; groups: number } {
  if (new Set(scored.map((c) => bin(c[knob]))).size < 2) return { comparable: scored, groups: 0 };
  const strata = new Map<string, ConfigEntry[]>();
  for (const c of scored) {
    const key = JSON.stringify([c.section, ...KNOBS.filter((k) => k !== knob).map((k) => c[k])]);
    strata.set(key, [...(strata.get(key) ?? []), c]);
  }
  const kept = [...strata.values()].filter((g) => new Set(g.map((c) => bin(c[knob]))).size >= 2);
  return { comparable: kept.flat(), groups: kept.length };
}

function knobNote(label: string, values: number, groups: number, used: number, scored: number): string {
  if (values < 2) return `One ${label} among the scored configurations: nothing to compare.`;
  if (groups === 0)
    return `Not compared: no two configurations differ in ${label} alone (they differ in other knobs too, or were trained to other budgets).`;
  const all =
    used === scored
      ? 'every scored configuration'
      : `${used} of the ${scored} scored configurations (the others differ in more than ${label})`;
  return `Compared within ${groups} group${groups === 1 ? '' : 's'} of configurations that differ in ${label} alone: ${all}.`;
}

/** Learning rate × hidden size: the best configuration mean in each cell. */
function heatmap(entries: LeaderboardEntry[], configs: ConfigEntry[], grid: Record<Knob, KnobValue[]>): HeatCell[] {
  const binsOf = (k: Knob) => binning([...grid[k], ...entries.map((e) => e[k])]);
  const lr = binsOf('learningRate');
  const h = binsOf('hiddenSize');
  const at = (x: KnobValues, hiddenSize: KnobValue, learningRate: KnobValue) =>
    h.of(x.hiddenSize) === hiddenSize && lr.of(x.learningRate) === learningRate;
  const cells: HeatCell[] = [];
  for (const hiddenSize of h.groups)
    for (const learningRate of lr.groups) {
      const runs = entries.filter((e) => at(e, hiddenSize, learningRate));
      const means = configs
        .filter((c) => at(c, hiddenSize, learningRate) && c.mean !== null)
        .map((c) => c.mean as number);
      cells.push({
        learningRate,
        hiddenSize,
        best: means.length > 0 ? Math.min(...means) : null,
        runs: runs.length,
        finished: runs.filter((e) => e.rank !== null).length,
      });
    }
  return cells;
}

function baselines(summary: SummaryRow[]): MarkovBaseline[] {
  const byOrder = new Map<string, { order: number | null; values: number[] }>();
  for (const r of summary) {
    if (r.markovValBpc === null) continue;
    const key = String(r.markovOrder);
    const g = byOrder.get(key) ?? { order: r.markovOrder, values: [] };
    g.values.push(r.markovValBpc);
    byOrder.set(key, g);
  }
  return [...byOrder.values()]
    .map((g) => ({ order: g.order, bpc: median(g.values) }))
    .sort((a, b) => (a.order ?? -1) - (b.order ?? -1));
}

interface Expected {
  /** Expected runs by id, united over the manifests. */
  runs: Map<string, RunParams>;
  /** Each knob's values, united over the manifests, ascending. */
  grid: Record<Knob, KnobValue[]>;
  seeds: string[];
  /** How the first manifest that says chose its configurations (null: a grid). */
  search: string | null;
}

/** The runs, grid values and seeds the manifests ask for, with notes on manifests that cannot say. */
function expectedFromManifests(folders: FolderTables[], notes: string[]): Expected {
  const runs = new Map<string, RunParams>();
  const grid = Object.fromEntries(KNOBS.map((k) => [k, [] as KnobValue[]])) as Record<Knob, KnobValue[]>;
  const seeds = new Set<string>();
  let search: string | null = null;
  for (const f of folders) {
    if (!f.manifest) continue;
    const specs = expectedRuns(f.manifest, observedOf(f.summary, f.rungs, gridAndSeedsOf(f.manifest)?.budget ?? null));
    for (const r of specs) runs.set(r.id, { ...knobsOf(r), seed: String(r.seed) });
    const g = gridAndSeedsOf(f.manifest);
    // A grid's lists are its values; another method's values are those its runs take.
    const drawn =
      g?.search && g.search.method !== 'grid'
        ? Object.fromEntries(KNOBS.map((k) => [k, specs.map((r) => r[k])]))
        : g?.grid;
    if (drawn) for (const k of KNOBS) for (const v of drawn[k]) if (!grid[k].includes(v)) grid[k].push(v);
    search ??= searchLine(f.manifest);
    for (const s of g?.seeds ?? []) seeds.add(String(s));
    const total = num(f.manifest.totalRuns);
    const adaptive =
      g?.search?.method === 'tpe' || (g?.search?.method === 'hyperband' && g.search.sampler?.method === 'tpe');
    if (total !== null && specs.length > 0 && specs.length < total && adaptive) {
      notes.push(
        `${f.dir}: ${specs.length} of its ${total} runs are planned so far; the rest are suggested from the scores as the sweep goes on (unfinished).`,
      );
    } else if (total !== null && specs.length > 0 && total !== specs.length) {
      notes.push(`${f.dir}: manifest says totalRuns ${total} but its grid and seeds give ${specs.length} runs.`);
    }
    if (specs.length === 0)
      notes.push(`${f.dir}: manifest has no usable grid/seeds: missing runs cannot be listed from it.`);
  }
  for (const k of KNOBS) grid[k].sort(cmpKnobValue);
  return { runs, grid, seeds: [...seeds].sort(cmpSeed), search };
}

/** Every run in a summary or expected by a manifest, ranked; notes on runs outside the grid and on stray curve/sample rows. */
function leaderboardOf(merged: Merged, expected: Map<string, RunParams>, notes: string[]): LeaderboardEntry[] {
  const entries: LeaderboardEntry[] = merged.summary.map(entryFromRow);
  const seen = new Set(merged.summary.map((r) => r.runId));
  const outsideGrid = expected.size > 0 ? merged.summary.filter((r) => !expected.has(r.runId)).map((r) => r.runId) : [];
  if (outsideGrid.length > 0) {
    notes.push(`Runs in summary.csv that no manifest's grid names: ${outsideGrid.sort().join(', ')}.`);
  }
  for (const [id, p] of expected) if (!seen.has(id)) entries.push(missingEntry(p, id, merged.curves.get(id)));
  const known = new Set(entries.map((e) => e.runId));
  const strays = [...new Set([...merged.curves.keys(), ...merged.samples.keys()])]
    .filter((id) => !known.has(id))
    .sort();
  if (strays.length > 0) {
    notes.push(
      `curves.csv/samples.csv have rows for runs in neither summary.csv nor a manifest grid (ignored): ${strays.join(', ')}.`,
    );
  }
  return sortLeaderboard(entries);
}

function countsOf(leaderboard: LeaderboardEntry[]): Counts {
  const n = (s: LeaderboardEntry['status']) => leaderboard.filter((e) => e.status === s).length;
  return {
    expected: leaderboard.length,
    done: n('done'),
    diverged: n('diverged'),
    failed: n('failed'),
    missing: n('missing'),
  };
}

/** A note for each run that finished or diverged without curve rows (when the folders have curves at all). */
function curveNotes(leaderboard: LeaderboardEntry[], merged: Merged, folders: FolderTables[], notes: string[]): void {
  if (!folders.some((f) => f.curves.length > 0)) return;
  for (const e of leaderboard) {
    if (e.status !== 'missing' && e.status !== 'failed' && !merged.curves.has(e.runId))
      notes.push(`No curve rows for run ${e.runId}.`);
  }
}

/** Each run's final checkpoint (the first folder holding one wins), as a path from the report's folder. */
function linkCheckpoints(leaderboard: LeaderboardEntry[], folders: FolderTables[]): void {
  for (const e of leaderboard) {
    const i = folders.findIndex((f) => f.checkpoints?.[e.runId] !== undefined);
    if (i >= 0)
      e.checkpoint = posix.join(posix.relative(folders[0].dir, folders[i].dir), folders[i].checkpoints![e.runId]);
  }
}

/**
 * Folders are reported together only when their runs are comparable: shards (or re-runs) of one
 * experiment — the same corpus text, split, budget and everything else that changes what a run
 * means (src/results/manifest.ts meaningChanges). Anything else is refused: one leaderboard across
 * budgets, scored against one folder's Markov ladder, would compare what is not comparable.
 */
export function checkComparable(folders: FolderTables[]): void {
  if (folders.length < 2) return;
  const [first, ...rest] = folders;
  const advice = `report each folder on its own (charlab report ${folders.map((f) => f.dir).join('; charlab report ')})`;
  for (const f of folders) {
    if (f.manifest?.experiment) continue;
    const why = `${f.dir} has no readable manifest.json, so it cannot be told whether its runs are comparable with the others'`;
    throw new UsageError(`report ${folders.map((x) => x.dir).join(' ')}: ${why}; ${advice}`);
  }
  const experiment = (f: FolderTables) => f.manifest!.experiment as Experiment;
  for (const f of rest) {
    const changes = meaningChanges(experiment(first), experiment(f)).map(
      (c) => `${c.key}: ${c.old} in ${first.dir}, ${c.new} in ${f.dir}`,
    );
    const [a, b] = [first.manifest!.corpus?.sha256, f.manifest!.corpus?.sha256];
    if (a !== b)
      changes.push(`corpus text (sha256): ${a ?? '(unknown)'} in ${first.dir}, ${b ?? '(unknown)'} in ${f.dir}`);
    if (changes.length === 0) continue;
    const list = changes.map((c) => `  ${c}\n`).join('');
    throw new UsageError(
      `report: ${f.dir} is not the same experiment as ${first.dir}, so their runs are not comparable:\n${list}${advice}`,
    );
  }
}

/** A TPE sweep keeps a failed run as an observation (src/sweep/staged.ts): the report says what became of it. */
function tpeFailureNotes(folders: FolderTables[], leaderboard: LeaderboardEntry[]): string[] {
  if (!folders.some((f) => gridAndSeedsOf(f.manifest)?.search?.method === 'tpe')) return [];
  return leaderboard
    .filter((e) => e.status === 'failed')
    .map(
      (e) =>
        `${e.runId} failed with an error: TPE counted its configuration among the bad ones, as a diverged one, and the sweep does not re-attempt it (later suggestions rest on it; --fresh starts over).`,
    );
}

export function buildReportData(folders: FolderTables[]): ReportData {
  checkComparable(folders);
  const merged = mergeFolders(folders);
  const notes: string[] = [...folders.flatMap((f) => f.notes), ...merged.notes];
  const expected = expectedFromManifests(folders, notes);
  const leaderboard = leaderboardOf(merged, expected.runs, notes);
  notes.push(...tpeFailureNotes(folders, leaderboard));
  linkCheckpoints(leaderboard, folders);
  const grouping = groupConfigs(leaderboard);
  const knobs = knobStats(leaderboard, grouping.configs, expected.grid);
  curveNotes(leaderboard, merged, folders, notes);
  const { picks, length } = samplePicks(leaderboard, merged.samples, notes);
  const facts = factsOf(folders, merged.summary, expected, expected.runs.size, notes);
  const { ladder, missing } = ladderOf(folders);
  return {
    dirs: folders.map((f) => f.dir),
    leaderboard,
    grouping,
    knobs,
    heatmap: heatmap(leaderboard, grouping.configs, expected.grid),
    baselines: baselines(merged.summary),
    ladder,
    ladderMissing: missing,
    samples: picks,
    sampleLength: length,
    facts,
    counts: countsOf(leaderboard),
    notes,
    curves: merged.curves,
    vocabSize: num(facts.corpus?.vocabSize),
    halving: halvingOf(folders, leaderboard),
    sections: [...new Set(leaderboard.filter((e) => e.rank !== null).map((e) => e.section))],
    curveText: curveTextOf(folders, merged.summary),
    importance: importanceOf(leaderboard, folders.find((f) => f.rungs && f.rungs.length > 0)?.rungs ?? [], notes),
  };
}
