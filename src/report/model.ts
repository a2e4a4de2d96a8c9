/**
 * From the folders' tables to the report model (pure). Merging several folders (shards of one
 * sweep): runs are united by run_id, the first folder holding a run wins (later folders do not
 * duplicate it), curves and samples follow the folder whose summary row was kept, manifests are
 * combined (grid values and seeds united, earliest start, latest finish).
 *
 * Runs named by a manifest's grid but absent from every summary.csv are "missing" (the sweep is
 * still running or was interrupted). Every ordering here depends only on the runs' content, never
 * on the order of folders, so shards merged give the same leaderboard as one folder with the union.
 */
import type {
  Counts,
  CurveRow,
  Facts,
  FolderFacts,
  FolderTables,
  HeatCell,
  Knob,
  KnobStats,
  LeaderboardEntry,
  Manifest,
  MarkovBaseline,
  ReportModel,
  RunParams,
  SamplePick,
  SampleRow,
  SummaryRow,
} from './types.js';
import { KNOBS, KNOB_LABELS } from './types.js';
import { RNN_DEFAULTS } from '../defaults.js';

/** min-char-rnn's reference values, used for a knob a manifest's grid leaves out. */
const KNOB_DEFAULTS: Record<Knob, number> = { ...RNN_DEFAULTS };

/** The sweep's run id: h${hidden}-u${unroll}-c${clip}-lr${lr}-s${seed}, numbers printed with String(n). */
export function runIdOf(p: RunParams): string {
  return `h${String(p.hiddenSize)}-u${String(p.unroll)}-c${String(p.clip)}-lr${String(p.learningRate)}-s${p.seed}`;
}

// ---- defensive readers for manifest fields (the manifest is someone else's JSON) ----

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
function str(x: unknown): string | null {
  return typeof x === 'string' && x !== '' ? x : null;
}
function numList(x: unknown): number[] {
  return Array.isArray(x) ? x.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)) : [];
}
function time(x: unknown): number | null {
  if (typeof x !== 'string') return null;
  const t = Date.parse(x);
  return Number.isFinite(t) ? t : null;
}

/** Seeds of an experiment: a list, or a count n meaning seeds 1..n. */
export function seedsOf(m: Manifest | null): string[] {
  const seeds = m?.experiment?.seeds;
  if (Array.isArray(seeds)) return seeds.filter((s) => typeof s === 'number' || typeof s === 'string').map((s) => String(s));
  if (typeof seeds === 'number' && Number.isInteger(seeds) && seeds > 0 && seeds <= 10_000) {
    return Array.from({ length: seeds }, (_, i) => String(i + 1));
  }
  return [];
}

function gridOf(m: Manifest | null): Record<Knob, number[]> | null {
  const grid = m?.experiment?.grid;
  if (grid === undefined || grid === null || typeof grid !== 'object') return null;
  const out = {} as Record<Knob, number[]>;
  for (const k of KNOBS) {
    const values = numList((grid as Record<string, unknown>)[k]);
    out[k] = values.length > 0 ? values : [KNOB_DEFAULTS[k]];
  }
  return out;
}

/** The runs a manifest's grid asks for, in grid order (hidden, unroll, clip, lr, seed). */
export function expectedRuns(m: Manifest | null): RunParams[] {
  const grid = gridOf(m);
  const seeds = seedsOf(m);
  if (grid === null || seeds.length === 0) return [];
  const out: RunParams[] = [];
  for (const hiddenSize of grid.hiddenSize)
    for (const unroll of grid.unroll)
      for (const clip of grid.clip)
        for (const learningRate of grid.learningRate)
          for (const seed of seeds) out.push({ hiddenSize, unroll, clip, learningRate, seed });
  return out;
}

// ---- small statistics ----

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function cmpSeed(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpParams(a: RunParams & { runId: string }, b: RunParams & { runId: string }): number {
  return (
    a.hiddenSize - b.hiddenSize ||
    a.unroll - b.unroll ||
    a.clip - b.clip ||
    a.learningRate - b.learningRate ||
    cmpSeed(a.seed, b.seed) ||
    (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0)
  );
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

// ---- the model ----

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
  }
  return {
    rank: null,
    runId: row.runId,
    hiddenSize: row.hiddenSize,
    unroll: row.unroll,
    clip: row.clip,
    learningRate: row.learningRate,
    seed: row.seed,
    status: row.status,
    valBpc: row.valBpc,
    trainBpc: row.smoothLossPerChar === null ? null : row.smoothLossPerChar / Math.LN2,
    markovOrder: row.markovOrder,
    markovBpc: row.markovValBpc,
    delta,
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
    runId,
    ...p,
    status: 'missing',
    valBpc: null,
    trainBpc: null,
    markovOrder: null,
    markovBpc: null,
    delta: null,
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

/** Sort: finished runs with a held-out score, best first; then the rest by status, each by parameters. */
export function sortLeaderboard(entries: LeaderboardEntry[]): LeaderboardEntry[] {
  const ranked = entries
    .filter((e) => e.status === 'done' && e.valBpc !== null)
    .sort((a, b) => (a.valBpc as number) - (b.valBpc as number) || cmpParams(a, b));
  const rest = entries
    .filter((e) => !(e.status === 'done' && e.valBpc !== null))
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || cmpParams(a, b));
  ranked.forEach((e, i) => (e.rank = i + 1));
  for (const e of rest) e.rank = null;
  return [...ranked, ...rest];
}

function knobStats(entries: LeaderboardEntry[], grid: Record<Knob, number[]>): KnobStats[] {
  return KNOBS.map((knob) => {
    const values = new Set<number>(grid[knob]);
    for (const e of entries) values.add(e[knob]);
    return {
      knob,
      label: KNOB_LABELS[knob],
      values: [...values]
        .sort((a, b) => a - b)
        .map((value) => {
          const runs = entries.filter((e) => e[knob] === value);
          const ranked = runs.filter((e) => e.rank !== null);
          const best = ranked.length > 0 ? ranked.reduce((a, b) => ((b.valBpc as number) < (a.valBpc as number) ? b : a)) : null;
          return {
            value,
            runs: runs.length,
            finished: ranked.length,
            best: best ? best.valBpc : null,
            median: median(ranked.map((e) => e.valBpc as number)),
            bestRunId: best ? best.runId : null,
          };
        }),
    };
  });
}

function heatmap(entries: LeaderboardEntry[], knobs: KnobStats[]): HeatCell[] {
  const lrs = knobs.find((k) => k.knob === 'learningRate')?.values.map((v) => v.value) ?? [];
  const hs = knobs.find((k) => k.knob === 'hiddenSize')?.values.map((v) => v.value) ?? [];
  const cells: HeatCell[] = [];
  for (const hiddenSize of hs)
    for (const learningRate of lrs) {
      const runs = entries.filter((e) => e.hiddenSize === hiddenSize && e.learningRate === learningRate);
      const ranked = runs.filter((e) => e.rank !== null).map((e) => e.valBpc as number);
      cells.push({
        learningRate,
        hiddenSize,
        best: ranked.length > 0 ? Math.min(...ranked) : null,
        runs: runs.length,
        finished: ranked.length,
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
    .map((g) => ({ order: g.order, bpc: median(g.values) as number }))
    .sort((a, b) => (a.order ?? -1) - (b.order ?? -1));
}

/** Among samples, the one at the temperature closest to `target` (ties: lower temperature), latest iteration. */
function pickSample(samples: SampleRow[], target: number): SampleRow | null {
  if (samples.length === 0) return null;
  const dist = (s: SampleRow) => (s.temperature === null ? Number.POSITIVE_INFINITY : Math.abs(s.temperature - target));
  return [...samples].sort(
    (a, b) =>
      dist(a) - dist(b) ||
      (a.temperature ?? 0) - (b.temperature ?? 0) ||
      (b.iteration ?? -1) - (a.iteration ?? -1) ||
      (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
  )[0];
}

function cutTo(text: string, n: number): string {
  const chars = Array.from(text);
  return chars.length <= n ? text : chars.slice(0, n).join('');
}

function samplePicks(
  leaderboard: LeaderboardEntry[],
  samples: Map<string, SampleRow[]>,
  notes: string[],
): { picks: SamplePick[]; length: number } {
  const ranked = leaderboard.filter((e) => e.rank !== null);
  const best = ranked[0];
  const worst = ranked.length > 1 ? ranked[ranked.length - 1] : undefined;
  const rnnOf = (id: string) => (samples.get(id) ?? []).filter((s) => s.model === 'rnn');
  const raw: Array<Omit<SamplePick, 'text'> & { full: string }> = [];

  let target = 1;
  if (best) {
    const s = pickSample(rnnOf(best.runId), 1);
    if (s) {
      if (s.temperature !== null) target = s.temperature;
      raw.push({
        role: 'best',
        title: `Best RNN run: ${best.runId}`,
        runId: best.runId,
        model: 'rnn',
        iteration: s.iteration,
        temperature: s.temperature,
        valBpc: best.valBpc,
        full: s.text,
      });
    } else notes.push(`No RNN sample for the best run ${best.runId} in samples.csv.`);
  }

  // The Markov sample: the best run's own if it has one, else the first run (in leaderboard order) that has one.
  const markovFrom = [best, ...leaderboard].filter((e): e is LeaderboardEntry => e !== undefined);
  let markov: { entry: LeaderboardEntry; sample: SampleRow } | null = null;
  for (const e of markovFrom) {
    const s = pickSample((samples.get(e.runId) ?? []).filter((x) => x.model === 'markov'), target);
    if (s) {
      markov = { entry: e, sample: s };
      break;
    }
  }
  if (markov) {
    raw.push({
      role: 'markov',
      title: `Markov baseline${markov.entry.markovOrder !== null ? ` (order ${markov.entry.markovOrder})` : ''}`,
      runId: markov.entry.runId,
      model: 'markov',
      iteration: markov.sample.iteration,
      temperature: markov.sample.temperature,
      valBpc: markov.entry.markovBpc,
      full: markov.sample.text,
    });
  } else if (samples.size > 0) notes.push('No Markov sample in samples.csv.');

  if (worst) {
    const s = pickSample(rnnOf(worst.runId), target);
    if (s) {
      raw.push({
        role: 'worst',
        title: `Worst finished run: ${worst.runId}`,
        runId: worst.runId,
        model: 'rnn',
        iteration: s.iteration,
        temperature: s.temperature,
        valBpc: worst.valBpc,
        full: s.text,
      });
    } else notes.push(`No RNN sample for the worst finished run ${worst.runId} in samples.csv.`);
  }

  const length = raw.length > 0 ? Math.min(...raw.map((r) => Array.from(r.full).length)) : 0;
  const picks = raw.map(({ full, ...rest }) => ({ ...rest, text: cutTo(full, length) }));
  return { picks, length };
}

function machineOf(m: Manifest | null): string | null {
  const mc = m?.machine;
  if (!mc || typeof mc !== 'object') return null;
  const parts: string[] = [];
  const platform = [str(mc.platform), str(mc.arch)].filter((x) => x !== null).join('/');
  if (platform) parts.push(platform);
  const cpus = num(mc.cpus);
  const model = str(mc.cpuModel);
  if (cpus !== null || model !== null) parts.push(`${cpus !== null ? `${cpus} × ` : ''}${model ?? 'CPU'}`);
  const mem = num(mc.totalMemGiB);
  if (mem !== null) parts.push(`${Number(mem.toFixed(1))} GiB`);
  return parts.length > 0 ? parts.join(', ') : null;
}

function validationOf(x: unknown): string | null {
  if (x === undefined || x === null) return null;
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return String(x);
  try {
    return JSON.stringify(x);
  } catch {
    return null;
  }
}

function factsOf(
  folders: FolderTables[],
  summary: SummaryRow[],
  grid: Record<Knob, number[]>,
  seeds: string[],
  expectedCount: number,
  notes: string[],
): Facts {
  const manifests = folders.map((f) => f.manifest);
  const first = manifests.find((m): m is Manifest => m !== null && m !== undefined) ?? null;
  const exp = first?.experiment;

  const folderFacts: FolderFacts[] = folders.map((f) => {
    const m = f.manifest;
    const start = time(m?.startedAt);
    const end = time(m?.finishedAt);
    if (m && (m.finishedAt === null || m.finishedAt === undefined)) {
      notes.push(`${f.dir}: manifest has no finishedAt: that sweep is still running or was interrupted.`);
    }
    return {
      dir: f.dir,
      startedAt: str(m?.startedAt),
      finishedAt: str(m?.finishedAt),
      wallS: start !== null && end !== null ? (end - start) / 1000 : null,
      machine: machineOf(m),
      node: str(m?.node),
      charlab: str(m?.charlab),
    };
  });

  const corpora = new Set(manifests.map((m) => str(m?.corpus?.sha256)).filter((s) => s !== null));
  if (corpora.size > 1) notes.push(`The folders were run on different corpora (sha256 ${[...corpora].join(', ')}): comparisons across them are suspect.`);
  const names = new Set(manifests.map((m) => str(m?.experiment?.name)).filter((s) => s !== null));
  if (names.size > 1) notes.push(`The folders come from differently named experiments: ${[...names].join(', ')}.`);

  const starts = manifests.map((m) => time(m?.startedAt));
  const ends = manifests.map((m) => time(m?.finishedAt));
  const allTimed = manifests.length > 0 && starts.every((t) => t !== null) && ends.every((t) => t !== null);
  const spanS = allTimed
    ? (Math.max(...(ends as number[])) - Math.min(...(starts as number[]))) / 1000
    : null;
  const sumFolderWallS = folderFacts.every((f) => f.wallS !== null)
    ? folderFacts.reduce((a, f) => a + (f.wallS as number), 0)
    : null;

  const corpus = first?.corpus && typeof first.corpus === 'object' ? first.corpus : null;
  return {
    experimentName: str(exp?.name),
    backend: str(exp?.backend),
    workers: num(exp?.workers),
    budgetChars: num(exp?.budget?.chars),
    seeds,
    grid,
    markovOrder: num(exp?.markov?.order),
    validation: validationOf(exp?.validation),
    corpus,
    folders: folderFacts,
    spanS,
    sumFolderWallS,
    sumRunWallS: summary.reduce((a, r) => a + (r.wallS ?? 0), 0),
    totalChars: summary.reduce((a, r) => a + (r.chars ?? 0), 0),
    expectedRuns: expectedCount,
    seenRuns: summary.length,
  };
}

export function buildModel(folders: FolderTables[]): ReportModel {
  const merged = mergeFolders(folders);
  const notes: string[] = [];
  for (const f of folders) notes.push(...f.notes);
  notes.push(...merged.notes);

  // Expected runs: union over manifests, by id.
  const expected = new Map<string, RunParams>();
  const grid = {} as Record<Knob, number[]>;
  for (const k of KNOBS) grid[k] = [];
  const seedSet = new Set<string>();
  for (const f of folders) {
    const runs = expectedRuns(f.manifest);
    for (const p of runs) expected.set(runIdOf(p), p);
    const g = gridOf(f.manifest);
    if (g) for (const k of KNOBS) for (const v of g[k]) if (!grid[k].includes(v)) grid[k].push(v);
    for (const s of seedsOf(f.manifest)) seedSet.add(s);
    const total = num(f.manifest?.totalRuns);
    if (f.manifest && total !== null && runs.length > 0 && total !== runs.length) {
      notes.push(`${f.dir}: manifest says totalRuns ${total} but its grid and seeds give ${runs.length} runs.`);
    }
    if (f.manifest && runs.length === 0) {
      notes.push(`${f.dir}: manifest has no usable grid/seeds: missing runs cannot be listed from it.`);
    }
  }
  for (const k of KNOBS) grid[k].sort((a, b) => a - b);
  const seeds = [...seedSet].sort(cmpSeed);

  const entries: LeaderboardEntry[] = merged.summary.map(entryFromRow);
  const seen = new Set(merged.summary.map((r) => r.runId));
  const outsideGrid = expected.size > 0 ? merged.summary.filter((r) => !expected.has(r.runId)).map((r) => r.runId) : [];
  if (outsideGrid.length > 0) {
    notes.push(`Runs in summary.csv that no manifest's grid names: ${outsideGrid.sort().join(', ')}.`);
  }
  for (const [id, p] of expected) if (!seen.has(id)) entries.push(missingEntry(p, id, merged.curves.get(id)));
  const known = new Set(entries.map((e) => e.runId));
  const strays = [...new Set([...merged.curves.keys(), ...merged.samples.keys()])].filter((id) => !known.has(id)).sort();
  if (strays.length > 0) {
    notes.push(`curves.csv/samples.csv have rows for runs in neither summary.csv nor a manifest grid (ignored): ${strays.join(', ')}.`);
  }
  const leaderboard = sortLeaderboard(entries);

  const knobs = knobStats(leaderboard, grid);
  const counts: Counts = {
    expected: leaderboard.length,
    done: leaderboard.filter((e) => e.status === 'done').length,
    diverged: leaderboard.filter((e) => e.status === 'diverged').length,
    failed: leaderboard.filter((e) => e.status === 'failed').length,
    missing: leaderboard.filter((e) => e.status === 'missing').length,
  };
  for (const e of leaderboard) {
    if (e.status !== 'missing' && e.status !== 'failed' && !merged.curves.has(e.runId) && folders.some((f) => f.curves.length > 0)) {
      notes.push(`No curve rows for run ${e.runId}.`);
    }
  }
  const { picks, length } = samplePicks(leaderboard, merged.samples, notes);
  const facts = factsOf(folders, merged.summary, grid, seeds, expected.size, notes);
  const vocab = num(facts.corpus?.vocabSize);

  return {
    dirs: folders.map((f) => f.dir),
    leaderboard,
    knobs,
    heatmap: heatmap(leaderboard, knobs),
    baselines: baselines(merged.summary),
    samples: picks,
    sampleLength: length,
    facts,
    counts,
    notes,
    curves: merged.curves,
    vocabSize: vocab,
  };
}
