/** manifest.json: what was run, on what, by which versions, when. */
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../version.js';
import type { Experiment } from './schema.js';
import { writeFileAtomic } from './tables.js';

export interface Manifest {
  experiment: Experiment;
  experimentFile: string;
  corpus: { path: string; sha256: string; chars: number; vocabSize: number; trainChars: number; validationChars: number };
  charlab: string;
  node: string;
  machine: { platform: string; arch: string; cpus: number; cpuModel: string; totalMemGiB: number };
  workers: number;
  startedAt: string;
  /** Every start of the sweep on this folder (the first is startedAt; later ones are resumes). */
  sessions: string[];
  finishedAt: string | null;
  totalRuns: number;
}

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

export function readManifest(dir: string): Manifest | null {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return null;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    // Not a manifest this version can use (hand-edited, another tool's): treated as absent.
    if (!m || typeof m !== 'object' || !m.experiment || typeof m.experiment !== 'object' || typeof m.corpus?.sha256 !== 'string') return null;
    return m;
  } catch {
    return null; // unreadable: treated as absent
  }
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
}

export { VERSION };

/** The experiment as a canonical string, to tell whether a results folder holds the same experiment. */
export function experimentKey(e: Experiment): string {
  // Workers and cadence of progress don't change results; everything else does.
  const { workers: _w, $schema: _s, description: _d, ...rest } = e;
  return canonical(rest);
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
