/**
 * What the report reads from manifest.json files (pure). A manifest is someone else's JSON (old,
 * partial or hand-edited), so every field is read defensively; the runs a manifest asks for come
 * from the sweep's own grid expansion (src/sweep/grid.ts), so their ids are the sweep's run ids.
 */
import { planRuns, type RunSpec } from '../sweep/grid.js';
import { ExperimentSchema, type Experiment } from '../sweep/schema.js';
import { gridValues } from '../sweep/search/grid.js';
import { NOTHING_OBSERVED, type Observed } from '../sweep/search/staged.js';
import type { Knob, KnobValue, Manifest } from './types.js';

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
  return { grid: gridValues(parsed.data) as Record<Knob, KnobValue[]>, seeds, search: search.data, budget };
}

/**
 * The runs a manifest's experiment asks for, in the sweep's order and with the sweep's ids; [] without a usable grid.
 * A staged search (halving, Hyperband, TPE) is planned from the recorded scores `observed`, as the sweep plans it.
 */
export function expectedRuns(m: Manifest | null, observed: Observed = NOTHING_OBSERVED): RunSpec[] {
  const g = gridAndSeedsOf(m);
  if (g === null) return [];
  try {
    return planRuns({ grid: g.grid as Experiment['grid'], seeds: g.seeds, search: g.search, budget: { chars: g.budget ?? 0 } }, observed);
  } catch {
    return []; // a random space too small to draw from: the sweep refused it too
  }
}

/** How the configurations were chosen, one line; null for a grid. */
export function searchLine(m: Manifest | null): string | null {
  const s = gridAndSeedsOf(m)?.search;
  if (s === undefined || s.method !== 'random') return null;
  const space = Object.entries(s.space)
    .filter(([, d]) => d !== undefined)
    .map(([k, d]) => `${k} ${JSON.stringify(d)}`)
    .join('; ');
  return `random: ${s.samples} samples, sampler seed ${s.seed}; space: ${space || '(empty)'}`;
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
