/**
 * The report's file I/O: read results folders, write report.md, report.html and plots/*.svg into
 * the first folder. Everything between reading and writing is pure (tables.ts -> data.ts ->
 * plots.ts / markdown.ts / html.ts).
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { buildReportData } from './data.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderPlots } from './plots.js';
import { parseBaselines, parseCurves, parseManifest, parseRungs, parseSamples, parseSummary } from './tables.js';
import type { Counts, FolderTables, KnobStats, LeaderboardEntry, ReportData } from './types.js';

export interface ReportResult {
  markdownPath: string;
  htmlPath: string;
  svgPaths: string[];
  leaderboard: LeaderboardEntry[];
  knobs: KnobStats[];
  counts: Counts;
  notes: string[];
  /** The report's data (ReportData). Still named `model` because src/cli/report.ts reads it so. */
  model: ReportData;
  markdown: string;
  html: string;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new UsageError(`${path}: cannot read it (${code === 'EISDIR' ? 'a directory, expected a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(err))})`);
  }
}

/**
 * Read one results folder. Missing folder or summary.csv, or unparsable files: UsageError.
 * `noSummary: 'empty'` reads a folder without summary.csv as one with no run recorded yet (a sweep
 * that has just started, as charlab serve shows it).
 */
export async function readFolder(dir: string, opts: { noSummary?: 'error' | 'empty' } = {}): Promise<FolderTables> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new UsageError(`results folder not found: ${dir}`);
  }
  if (!st.isDirectory()) throw new UsageError(`not a folder: ${dir}`);

  const notes: string[] = [];
  const summaryPath = join(dir, 'summary.csv');
  const summaryText = await readOptional(summaryPath);
  if (summaryText === null && opts.noSummary !== 'empty') throw new UsageError(`no summary.csv in ${dir} (is it a sweep's results folder?)`);
  const summary = summaryText === null ? { rows: [], notes: [`${summaryPath} is absent: no run recorded yet.`] } : parseSummary(summaryText, summaryPath);
  notes.push(...summary.notes);

  const manifestPath = join(dir, 'manifest.json');
  const manifestText = await readOptional(manifestPath);
  const manifest = manifestText === null ? null : parseManifest(manifestText, manifestPath);
  if (manifest === null) notes.push(`${manifestPath} is absent: no corpus, machine or timing facts, and missing runs cannot be listed.`);

  const curvesPath = join(dir, 'curves.csv');
  const curvesText = await readOptional(curvesPath);
  const curves = curvesText === null ? { rows: [], notes: [`${curvesPath} is absent: no curves from this folder.`] } : parseCurves(curvesText, curvesPath);
  notes.push(...curves.notes);

  const samplesPath = join(dir, 'samples.csv');
  const samplesText = await readOptional(samplesPath);
  const samples =
    samplesText === null ? { rows: [], notes: [`${samplesPath} is absent: no samples from this folder.`] } : parseSamples(samplesText, samplesPath);
  notes.push(...samples.notes);

  const baselinesPath = join(dir, 'baselines.csv');
  const baselinesText = await readOptional(baselinesPath);
  const ladder = baselinesText === null ? null : parseBaselines(baselinesText, baselinesPath);
  notes.push(...(ladder?.notes ?? []));

  const rungsPath = join(dir, 'rungs.csv');
  const rungsText = await readOptional(rungsPath);
  const rungs = rungsText === null ? undefined : parseRungs(rungsText, rungsPath);
  if (rungs) notes.push(...rungs.notes);

  const checkpoints = (await readdir(join(dir, 'checkpoints')).catch(() => [] as string[])).flatMap((f) => /^(.*[^.])(?<!\.best|\.resume)\.safetensors$/.exec(f)?.[1] ?? []);
  return { dir, manifest, summary: summary.rows, curves: curves.rows, samples: samples.rows, notes, checkpoints, ladder: ladder?.rows ?? null, ...(rungs ? { rungs: rungs.rows } : {}) };
}

/**
 * Regenerate the comparison report from one or more results folders (merged; the first wins for a
 * run present in several). Writes report.md, report.html and plots/*.svg into the first folder.
 */
export async function buildReport(dirs: string[]): Promise<ReportResult> {
  if (dirs.length === 0) throw new UsageError('report: give at least one results folder');
  const folders: FolderTables[] = [];
  for (const d of dirs) folders.push(await readFolder(d));
  const data = buildReportData(folders);
  const plots = await renderPlots(data);

  const outDir = dirs[0];
  await mkdir(join(outDir, 'plots'), { recursive: true });
  const svgPaths: string[] = [];
  for (const p of plots) {
    const path = join(outDir, ...p.file.split('/'));
    writeFileAtomic(path, `${p.svg}\n`);
    svgPaths.push(path);
  }
  const markdown = renderMarkdown(data, plots);
  const html = renderHtml(data, plots);
  const markdownPath = join(outDir, 'report.md');
  const htmlPath = join(outDir, 'report.html');
  writeFileAtomic(markdownPath, markdown);
  writeFileAtomic(htmlPath, html);

  return {
    markdownPath,
    htmlPath,
    svgPaths,
    leaderboard: data.leaderboard,
    knobs: data.knobs,
    counts: data.counts,
    notes: data.notes,
    model: data,
    markdown,
    html,
  };
}
