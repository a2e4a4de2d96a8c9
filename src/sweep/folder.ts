/**
 * The files of a results folder that charlab writes, and how it tells each from a file it did not
 * write (a table by its header, the manifest by its fields, the report's files by their own
 * signatures, a checkpoint by its metadata), so that nothing replaces or removes what charlab did
 * not write. `--fresh` removes exactly these (freshTargets), after checking every one is charlab's.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointMetadata, isCheckpointFile } from '../checkpoint/checkpoint.js';
import { checkpointsDir } from '../checkpoint/runFiles.js';
import { UsageError } from '../errors.js';
import { checkReplaceable, readHead } from '../util/outputs.js';
import type { RunSpec } from './grid.js';
import { KNOBS, type KnobDef, type KnobKey } from './knobs.js';
import { ALL_TABLES, isTableFile, TABLE_NAMES } from './tables.js';
import { LIVE_FILE } from './live.js';

/** The report's files (src/report/io.ts writes them): their names, and the plots' names. */
export const REPORT_FILES = { markdown: 'report.md', html: 'report.html', plots: 'plots' } as const;
export const PLOT_FILE = /^(curves-by-[a-z]+|curves-runs|heatmap-lr-hidden|parallel-coordinates|importance)\.svg$/;

const headText = (path: string, n = 4096) => readHead(path, n)?.toString('utf8') ?? '';

export const isReportMarkdown = (path: string): boolean => headText(path, 64).startsWith('# charlab sweep report');
export const isAcrossMarkdown = (path: string): boolean => headText(path, 64).startsWith('# charlab report across corpora');
export const isReportHtml = (path: string): boolean => /^<!DOCTYPE html>[\s\S]*<title>charlab sweep report/.test(headText(path));
/** A plot as vega renders it to SVG (the report's plots). */
export const isReportPlot = (path: string): boolean => /^<svg [^>]*class="marks"/.test(headText(path, 512));

/** A sweep's manifest.json: a JSON object with the experiment and the corpus's sha256. */
export function isManifestFile(path: string): boolean {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { experiment?: unknown; corpus?: { sha256?: unknown } };
    return m !== null && typeof m === 'object' && typeof m.experiment === 'object' && m.experiment !== null && typeof m.corpus?.sha256 === 'string';
  } catch {
    return false;
  }
}

/** One file --fresh (or a rewrite) would touch: where it is, what charlab writes there, and whether this one is charlab's. */
export interface FolderFile {
  path: string;
  kind: string;
  ours: (path: string) => boolean;
}

/** The report's files present in `dir`. */
export function reportFilesIn(dir: string): FolderFile[] {
  const out: FolderFile[] = [
    { path: join(dir, REPORT_FILES.markdown), kind: 'a charlab report (report.md)', ours: isReportMarkdown },
    { path: join(dir, REPORT_FILES.html), kind: 'a charlab report (report.html)', ours: isReportHtml },
  ];
  const plots = join(dir, REPORT_FILES.plots);
  for (const name of listDir(plots).filter((n) => PLOT_FILE.test(n))) out.push({ path: join(plots, name), kind: 'a charlab report plot', ours: isReportPlot });
  return out.filter((f) => existsSync(f.path));
}

/**
 * What --fresh removes from a results folder, when present: the tables (summary, curves, samples,
 * baselines, rungs), manifest.json, live.json, the report (report.md, report.html, the plots in plots/), and
 * the run checkpoints (checkpoints/*.safetensors, halving's *.outcome.json, interrupted writes'
 * *.tmp). Nothing else in the folder is touched.
 */
export function freshTargets(dir: string): FolderFile[] {
  const manifest: FolderFile = { path: join(dir, 'manifest.json'), kind: 'a charlab sweep manifest', ours: isManifestFile };
  const ckDir = checkpointsDir(dir);
  const checkpoints = listDir(ckDir).flatMap((name): FolderFile[] => {
    const path = join(ckDir, name);
    if (name.endsWith('.safetensors')) return [{ path, kind: 'a charlab checkpoint', ours: isCheckpointFile }];
    if (/\.rung\d+\.outcome\.json$/.test(name) || /\.\d+\.tmp$/.test(name)) return [{ path, kind: 'a sweep\'s working file', ours: () => true }];
    return [];
  });
  return [...tableFilesIn(dir), manifest, ...liveFileIn(dir), ...reportFilesIn(dir), ...checkpoints].filter((f) => existsSync(f.path));
}

/** The tables present in `dir` (summary, curves, samples, baselines, rungs), each recognised by its header. */
export function tableFilesIn(dir: string): FolderFile[] {
  const tables = TABLE_NAMES.map((t) => ({ path: join(dir, ALL_TABLES[t].file), kind: `a charlab table (${ALL_TABLES[t].file})`, ours: (p: string) => isTableFile(p, t) }));
  return tables.filter((f) => existsSync(f.path));
}

/** live.json as the sweep writes it (src/sweep/live.ts): JSON that opens with its format and the writer's pid. */
export const isLiveFile = (path: string): boolean => /^\{"format":\d+,"pid":\d+,/.test(headText(path, 64));

/** The sweep's live view (live.json), if present: rewritten by every sweep, so it must be charlab's. */
export function liveFileIn(dir: string): FolderFile[] {
  const live = { path: join(dir, LIVE_FILE), kind: 'a charlab live view (live.json)', ours: isLiveFile };
  return existsSync(live.path) ? [live] : [];
}

/** Every file in `files` is charlab's, or a UsageError listing the ones that are not (nothing touched). */
export function checkOurs(files: FolderFile[], doing: string, advice: string): void {
  const foreign = files.filter((f) => !f.ours(f.path));
  if (foreign.length === 0) return;
  throw new UsageError(`${doing}: refusing, charlab did not write ${foreign.map((f) => `${f.path} (not ${f.kind})`).join(', ')}; ${advice}`);
}

/** Remove the files (checked to be charlab's), then plots/ and checkpoints/ if that left them empty. */
export function removeFiles(dir: string, files: FolderFile[]): void {
  for (const f of files) rmSync(f.path, { force: true });
  for (const sub of [join(dir, REPORT_FILES.plots), checkpointsDir(dir)]) {
    if (existsSync(sub) && listDir(sub).length === 0) rmdirSync(sub);
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The checkpoint files the runs about to train will write (final, best, resume, halving's rung
 * files) hold nothing, or that same run's earlier checkpoint (a sweep killed after writing it):
 * a file that is not a charlab checkpoint, or one of another configuration or seed, is refused.
 */
export function checkRunCheckpoints(dir: string, runs: RunSpec[]): void {
  const ckDir = checkpointsDir(dir);
  const names = listDir(ckDir).filter((n) => n.endsWith('.safetensors'));
  if (names.length === 0) return;
  const advice = 'Move it away, or run with --fresh to discard the folder\'s runs and checkpoints';
  for (const run of runs) {
    for (const name of names.filter((n) => n.startsWith(`${run.id}.`))) {
      const path = join(ckDir, name);
      checkReplaceable(path, isCheckpointFile, 'a charlab checkpoint', advice);
      const other = otherRun(checkpointMetadata(path)!, run);
      if (other) throw new UsageError(`refusing to replace ${path}: it holds the checkpoint of another run (${other}), not of ${run.id}. ${advice}`);
    }
  }
}

/** How a checkpoint's configuration differs from the run's knobs and seed (null: it is that run's). */
function otherRun(meta: Record<string, string>, run: RunSpec): string | null {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(meta.config) as Record<string, unknown>;
  } catch {
    return 'an unreadable configuration';
  }
  const knobs = (KNOBS as readonly KnobDef[]).filter((k) => (config[k.key] ?? k.default) !== run[k.key as KnobKey]).map((k) => `${k.key} ${String(config[k.key])}`);
  if (String(config.seed) !== String(run.seed)) knobs.push(`seed ${String(config.seed)}`);
  return knobs.length > 0 ? knobs.join(', ') : null;
}
