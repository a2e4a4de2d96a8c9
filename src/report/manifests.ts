/**
 * What the report reads from manifest.json files (pure). A manifest is someone else's JSON (old,
 * partial or hand-edited), so every field is read defensively; the runs a manifest asks for come
 * from the sweep's own grid expansion (src/sweep/grid.ts), so their ids are the sweep's run ids.
 */
import { planRuns, type RunSpec } from '../sweep/grid.js';
import { ExperimentSchema, type Experiment } from '../results/schema.js';
import { gridValues } from '../sweep/search/grid.js';
import { NOTHING_OBSERVED, type Observed } from '../sweep/search/staged.js';
import { stagedSearch } from '../sweep/search/index.js';
import type { Knob, KnobValue, Manifest, RunStatus, RungRow, SummaryRow } from './types.js';

export function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
export function str(x: unknown): string | null {
  return typeof x === 'string' && x !== '' ? x : null;
}
/** Milliseconds since the epoch of an ISO time string, or null. */
export function time(x: unknown): number | null {
  if (typeof x !== 'string') return null;
  const t = Date.parse(x);
  return Number.isFinite(t) ? t : null;
}
function numList(x: unknown): number[] {
  return Array.isArray(x) ? x.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)) : [];
}

export interface GridAndSeeds {
  grid: Record<Knob, KnobValue[]>;
  seeds: number[];
  search: Experiment['search'];
  /** Training characters per run (null: not readable; a staged search cannot be planned without it). */
  budget: number | null;
}

/**
 * The experiment's grid, search and seeds as the sweep's schema reads them (a knob left out of the
 * grid takes its default), or null when the manifest's are not usable (absent, malformed, old).
 */
export function gridAndSeedsOf(m: Manifest | null): GridAndSeeds | null {
  const exp = m?.experiment;
  const grid = exp?.grid;
  if (grid === undefined || grid === null || typeof grid !== 'object') return null;
  const seeds = numList(exp?.seeds).filter((s) => Number.isInteger(s) && s >= 0);
  const parsed = ExperimentSchema.shape.grid.safeParse(grid);
  const search = ExperimentSchema.shape.search.safeParse((exp as { search?: unknown }).search);
  if (!parsed.success || !search.success || seeds.length === 0) return null;
  const budget = num((exp as { budget?: { chars?: unknown } }).budget?.chars);
  return { grid: gridValues(parsed.data), seeds, search: search.data, budget };
}

/**
 * The runs a manifest's experiment asks for, in the sweep's order and with the sweep's ids; [] without a usable grid.
 * A staged search (halving, Hyperband, TPE) is planned from the recorded scores `observed`, as the sweep plans it.
 */
export function expectedRuns(m: Manifest | null, observed: Observed = NOTHING_OBSERVED): RunSpec[] {
  const g = gridAndSeedsOf(m);
  if (
    g === null ||
    (g.budget === null && stagedSearch({ ...g, grid: g.grid as Experiment['grid'], budget: { chars: 1 } }) !== null)
  )
    return [];
  try {
    return planRuns(
      { grid: g.grid as Experiment['grid'], seeds: g.seeds, search: g.search, budget: { chars: g.budget ?? 0 } },
      observed,
    );
  } catch {
    return []; // a random space too small to draw from: the sweep refused it too
  }
}

/**
 * What a folder's tables record, as a staged search reads it: summary.csv's rows at the full
 * budget `budget`, rungs.csv's at the rung budgets (the sweep itself reads its outcome files).
 */
export function observedOf(
  summary: readonly SummaryRow[],
  rungs: readonly RungRow[] | undefined,
  budget: number | null,
): Observed {
  // A run stopped at a rung has a summary row below the full budget: not a score at it (diverged or failed is, anywhere).
  const atFull = summary.filter((r) => r.status !== 'done' || r.chars === budget);
  const full = new Map(
    atFull.map((r) => [r.runId, { status: r.status, valBpc: r.status === 'done' ? r.valBpc : null }]),
  );
  const atRung = new Map(
    (rungs ?? []).map((r) => [`${r.runId}@${r.budgetChars}`, { status: statusOf(r.status), valBpc: r.valBpc }]),
  );
  return (runId, b) => (b === budget ? full.get(runId) : atRung.get(`${runId}@${b}`));
}

const statusOf = (s: string): RunStatus => (s === 'diverged' || s === 'failed' ? s : 'done');

/** How the configurations were chosen, one line; null for a grid. */
export function searchLine(m: Manifest | null): string | null {
  const s = gridAndSeedsOf(m)?.search;
  if (s === undefined) return null;
  const space = (sp: Record<string, unknown>) =>
    Object.entries(sp)
      .filter(([, d]) => d !== undefined)
      .map(([k, d]) => `${k} ${JSON.stringify(d)}`)
      .join('; ') || '(empty)';
  const sampler = (x: typeof s & { sampler?: unknown }) => {
    const sm = (x as { sampler?: { method: string; seed: number; space: Record<string, unknown>; startup?: number } })
      .sampler;
    if (!sm) return 'from the grid';
    return `${sm.method === 'tpe' ? `TPE (startup ${sm.startup})` : 'random'} sampler, seed ${sm.seed}; space: ${space(sm.space)}`;
  };
  switch (s.method) {
    case 'random':
      return `random: ${s.samples} samples, sampler seed ${s.seed}; space: ${space(s.space)}`;
    case 'tpe':
      return `tpe: ${s.samples} samples (${s.startup} at random, then rounds of ${s.round}), sampler seed ${s.seed}, ${s.candidates} candidates; space: ${space(s.space)}`;
    case 'halving':
    case 'hyperband':
      return `${s.method}: eta ${s.eta}, from ${s.minChars} characters${s.method === 'hyperband' && !s.sampler ? `, seed ${s.seed ?? 1}` : ''}; ${sampler(s)}`;
    default:
      return null;
  }
}

/** "linux/x64, 2 × AMD EPYC, 23.5 GiB" from a manifest's machine block. */
export function machineOf(m: Manifest | null): string | null {
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

/** The experiment's validation setting as text (whatever JSON it is). */
export function validationOf(x: unknown): string | null {
  if (x === undefined || x === null) return null;
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return String(x);
  try {
    return JSON.stringify(x);
  } catch {
    return null;
  }
}
