/**
 * The files of a results folder that charlab writes, and how it tells each from a file it did not
 * write (a table by its header, the manifest by its fields, the report's files by their own
 * signatures; a checkpoint by its metadata: src/sweep/folderFiles.ts), so that nothing replaces or
 * removes what charlab did not write.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readHead } from '../util/outputs.js';
import { ALL_TABLES, isTableFile, TABLE_NAMES } from './tables.js';
import { LIVE_FILE } from './live.js';

/** Where a results folder keeps its runs' checkpoints (src/checkpoint/runFiles.ts writes them). */
export function checkpointsDir(resultsDir: string): string {
  return join(resultsDir, 'checkpoints');
}

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

/** The tables present in `dir` (summary, curves, samples, baselines, rungs), each recognised by its header. */
export function tableFilesIn(dir: string): FolderFile[] {
  const tables = TABLE_NAMES.map((t) => ({ path: join(dir, ALL_TABLES[t].file), kind: `a charlab table (${ALL_TABLES[t].file})`, ours: (p: string) => isTableFile(p, t) }));
  return tables.filter((f) => existsSync(f.path));
}

/** live.json as the sweep writes it (src/results/live.ts): JSON that opens with its format and the writer's pid. */
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

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
