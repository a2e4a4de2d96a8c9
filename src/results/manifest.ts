/** manifest.json: what was run, on what, by which versions, when; and what a change of experiment means. */
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import type { Backend } from '../backend/index.js';
import type { Experiment } from './schema.js';

/** One version of the experiment a results folder was swept with, from the session that started it. */
export interface ExperimentVersion {
  since: string;
  experiment: Experiment;
}

export interface Manifest {
  experiment: Experiment;
  experimentFile: string;
  /**
   * The text the runs read: its file, sha256 (of the text as read, src/corpus/text.ts; of the slice,
   * for a corpus slice), and split. `fileSha256`: of the file's bytes; `slice`: the first `chars` of
   * the file's `fileChars` characters (absent: the whole file). Manifests before issue 21 lack both,
   * and their sha256 is the file's bytes' (the same thing for a file without BOM or '\r').
   */
  corpus: {
    path: string;
    sha256: string;
    chars: number;
    vocabSize: number;
    trainChars: number;
    validationChars: number;
    fileSha256?: string;
    slice?: { chars: number; fileChars: number };
  };
  charlab: string;
  node: string;
  machine: { platform: string; arch: string; cpus: number; cpuModel: string; totalMemGiB: number };
  workers: number;
  /**
   * The backend the runs use, as resolved when the sweep started ("auto": native or wasm), its code
   * path (native ISA, 'simd128', 'f64') and threads per run. Manifests written before it existed
   * have none: their experiment's backend (always "wasm" or "reference" then) is the resolved one.
   */
  backend?: Backend;
  isa?: string;
  threads?: number;
  startedAt: string;
  /** Every start of the sweep on this folder (the first is startedAt; later ones are resumes). */
  sessions: string[];
  /** Every version of the experiment (grid values or seeds added, reordered or removed), oldest first. */
  versions: ExperimentVersion[];
  finishedAt: string | null;
  totalRuns: number;
  /** In a shard's folder (charlab sweep --shard i/n): which share of the grid it holds; totalRuns counts the shard's runs. */
  shard?: Shard;
  /** In a folder written by charlab merge: the shard folders it was merged from. */
  merged?: MergedFrom;
}

type PartialDeep<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: PartialDeep<T[K]> } : T;

/**
 * manifest.json as a reader finds it: older versions and partial or hand-edited files may lack any
 * field, so a reader (the report) reads each one defensively.
 */
export type ManifestAsRead = PartialDeep<Omit<Manifest, 'experiment'>> & {
  experiment?: PartialDeep<Omit<Experiment, 'seeds' | 'validation'>> & {
    /** A list; very old manifests held a count n meaning seeds 1..n. */
    seeds?: Array<number | string> | number;
    validation?: unknown;
    [key: string]: unknown;
  };
};

export function machineInfo(): Manifest['machine'] {
  const c = cpus();
  return {
    platform: platform(),
    arch: arch(),
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/**
 * The folder's manifest, or null if it has none. One that cannot be read or is not a manifest this
 * version can use (hand-edited, another tool's) is refused rather than overwritten: UsageError.
 */
export function readManifest(dir: string): Manifest | null {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return null;
  const refuse = (why: string) =>
    new UsageError(`${path}: ${why}; refusing to overwrite it. Move it away, or run with --fresh to start over in ${dir}, or use another --out.`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw refuse(err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!m || typeof m !== 'object' || !m.experiment || typeof m.experiment !== 'object' || typeof m.corpus?.sha256 !== 'string') {
    throw refuse('not a charlab sweep manifest (no experiment or corpus sha256)');
  }
  // Manifests written before versions were recorded: their experiment is the first version.
  if (!Array.isArray(m.versions)) m.versions = [{ since: m.startedAt, experiment: m.experiment }];
  if (!Array.isArray(m.sessions)) m.sessions = [m.startedAt];
  return m;
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
}

export { VERSION };

/** The experiment as a canonical string, to tell whether two versions differ in anything that is recorded. */
export function experimentKey(e: Experiment): string {
  // Workers don't change results; $schema and description are for people and editors.
  const { workers: _w, $schema: _s, description: _d, ...rest } = e;
  return canonical(rest);
}

/**
 * Keys that do not change what a finished run means: the grid, the search and the seeds (adding, reordering or
 * removing values adds or leaves runs, it does not change those recorded), the name, the worker
 * and thread counts, which checkpoints are kept, and what is only for people. The backend is compared
 * as resolved (resolvedBackendChange: "auto" means native here, wasm there), not as written. The corpus is compared by the sha256 of its text, not by how
 * it is named.
 */
const NOT_MEANING = new Set(['grid', 'search', 'seeds', 'name', 'workers', 'threads', '$schema', 'description', 'corpus', 'checkpoints', 'backend']);
/** Deeper keys that do not change what a run means: the ladder of baselines is the folder's, recomputed when it changes. */
const NOT_MEANING_PATHS = ['markov.ladder'];
const notMeaning = (k: string) => NOT_MEANING.has(k.split('.')[0]) || NOT_MEANING_PATHS.some((p) => k === p || k.startsWith(`${p}.`));

export interface Change {
  key: string;
  old: string;
  new: string;
}

/** Every setting whose change alters what a run recorded under `before` means, with its old and new value. */
export function meaningChanges(before: Experiment, after: Experiment): Change[] {
  const a = flatten(before);
  const b = flatten(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => !notMeaning(k));
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => ({ key: k, old: a.get(k) ?? '(not set)', new: b.get(k) ?? '(not set)' }));
}

/**
 * The change of backend, if any, between the runs a folder recorded and this session's: each as
 * resolved ("auto" is native where the addon loads, else wasm). A manifest from before the field
 * existed recorded a concrete backend in its experiment ("wasm" or "reference"): that one.
 */
export function resolvedBackendChange(previous: Manifest, now: Backend): Change | null {
  const before = previous.backend ?? previous.experiment.backend;
  return before === now ? null : { key: 'backend (as resolved)', old: String(before), new: now };
}

/** Leaf key paths ("samples.every") with canonical JSON values; lists are leaves. */
function flatten(v: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (v !== undefined) out.set(prefix, canonical(v));
  return out;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** One shard of a sweep split over a cluster job's tasks (src/sweep/shard.ts): shard `index` of `count`. */
export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** What a merged manifest records about its shards. */
export interface MergedFrom {
  mergedAt: string;
  /** The shard count n. */
  count: number;
  shards: Array<{
    shard: string;
    runs: number;
    recorded: number;
    node: string;
    machine: Manifest['machine'];
    workers: number;
    startedAt: string;
    finishedAt: string | null;
  }>;
  /** Shards without a folder (or without a manifest yet), by index. */
  missing: number[];
}
