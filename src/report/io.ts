/**
 * The report's file I/O: read results folders, write report.md, report.html and plots/*.svg into
 * the first folder. Everything between reading and writing is pure (tables.ts -> data.ts ->
 * plots.ts / markdown.ts / html.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkReplaceable, checkWritableFile, ensureWritableDir } from '../util/outputs.js';
import {
  checkOurs,
  isAcrossMarkdown,
  isReportPlot,
  removeFiles,
  REPORT_FILES,
  reportFilesIn,
} from '../results/folder.js';
import { acrossTable, renderAcrossMarkdown, type AcrossTable } from './across.js';
import { buildReportData } from './data.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderPlots } from './plots.js';
import { parseBaselines, parseCurves, parseManifest, parseRungs, parseSamples, parseSummary } from './tables.js';
import { num } from './manifests.js';
import type { Counts, CurveRow, FolderTables, KnobStats, LeaderboardEntry, Manifest, ReportData } from './types.js';

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
    throw new UsageError(
      `${path}: cannot read it (${code === 'EISDIR' ? 'a directory, expected a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(err))})`,
    );
  }
}

/** `dir` exists and is a folder, else a UsageError saying which. */
async function checkFolder(dir: string): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new UsageError(`results folder not found: ${dir}`);
  }
  if (!st.isDirectory()) throw new UsageError(`not a folder: ${dir}`);
}

/**
 * Read one results folder. Missing folder or summary.csv, or unparsable files: UsageError.
 * `noSummary: 'empty'` reads a folder without summary.csv as one with no run recorded yet (a sweep
 * that has just started, as charlab serve shows it).
 */
export async function readFolder(dir: string, opts: { noSummary?: 'error' | 'empty' } = {}): Promise<FolderTables> {
  await checkFolder(dir);
  const notes: string[] = [];
  const summaryPath = join(dir, 'summary.csv');
  const summaryText = await readOptional(summaryPath);
  if (summaryText === null && opts.noSummary !== 'empty')
    throw new UsageError(`no summary.csv in ${dir} (is it a sweep's results folder?)`);
  const summary =
    summaryText === null
      ? { rows: [], notes: [`${summaryPath} is absent: no run recorded yet.`] }
      : parseSummary(summaryText, summaryPath);
  notes.push(...summary.notes);

  const manifestPath = join(dir, 'manifest.json');
  const manifestText = await readOptional(manifestPath);
  const manifest = manifestText === null ? null : parseManifest(manifestText, manifestPath);
  if (manifest === null)
    notes.push(`${manifestPath} is absent: no corpus, machine or timing facts, and missing runs cannot be listed.`);

  const curvesPath = join(dir, 'curves.csv');
  const curvesText = await readOptional(curvesPath);
  const curves =
    curvesText === null
      ? { rows: [], notes: [`${curvesPath} is absent: no curves from this folder.`] }
      : parseCurves(curvesText, curvesPath);
  notes.push(...curves.notes);
  if (curves.legacy) notes.push(...oldCurves(curves.rows, manifest, curvesPath));

  const samplesPath = join(dir, 'samples.csv');
  const samplesText = await readOptional(samplesPath);
  const samples =
    samplesText === null
      ? { rows: [], notes: [`${samplesPath} is absent: no samples from this folder.`] }
      : parseSamples(samplesText, samplesPath);
  notes.push(...samples.notes);

  const baselinesPath = join(dir, 'baselines.csv');
  const baselinesText = await readOptional(baselinesPath);
  const ladder = baselinesText === null ? null : parseBaselines(baselinesText, baselinesPath);
  notes.push(...(ladder?.notes ?? []));

  const rungsPath = join(dir, 'rungs.csv');
  const rungsText = await readOptional(rungsPath);
  const rungs = rungsText === null ? undefined : parseRungs(rungsText, rungsPath);
  if (rungs) notes.push(...rungs.notes);

  const checkpoints = await checkpointsOf(dir, manifest);
  return {
    dir,
    manifest,
    summary: summary.rows,
    curves: curves.rows,
    samples: samples.rows,
    notes,
    checkpoints,
    ladder: ladder?.rows ?? null,
    ...(rungs ? { rungs: rungs.rows } : {}),
    ...(curves.legacy ? { curvesLegacy: true } : {}),
  };
}

/**
 * curves.csv from before issue 21, read in its own meaning: each run's last row scored the whole
 * held-out text, the others its first evaluation.chars characters. With a slice curve the last
 * score is moved off the curve (into wholeValBpc), so that the plotted curve compares like with
 * like; with a whole-text curve it stays. Returns the note that says so (changes rows in place).
 */
function oldCurves(rows: CurveRow[], manifest: Manifest | null, file: string): string[] {
  const heldOut = num(manifest?.corpus?.validationChars);
  const evalChars = num(manifest?.experiment?.evaluation?.chars);
  if (heldOut === null || evalChars === null)
    return [
      `${file}: written before issue 21 and no manifest says what its scores read: its last score per run read the whole held-out text, the others may have read a slice.`,
    ];
  const last = new Map(rows.map((r, i) => [r.runId, i]));
  const whole = evalChars >= heldOut;
  rows.forEach((r, i) => {
    if (last.get(r.runId) !== i) return;
    r.wholeValBpc = r.valBpc;
    if (!whole) r.valBpc = null;
  });
  return whole
    ? []
    : [
        `${file}: written before issue 21, when each run's last held-out score read the whole held-out text (${heldOut} characters) and the others its first ${evalChars}: ` +
          'the curves show the slice scores only; the whole-text score is the run’s held-out bpc, and best_val_bpc is that final score.',
      ];
}

/** The report across corpora (src/report/across.ts): each folder read and reported on its own, then one table; Markdown written to `out` if given. */
export async function buildAcrossReport(
  dirs: string[],
  out?: string,
): Promise<{ table: AcrossTable; markdown: string }> {
  if (dirs.length === 0) throw new UsageError('report --across: give at least one results folder');
  const reports: ReportData[] = [];
  for (const d of dirs) reports.push(buildReportData([await readFolder(d)]));
  const table = acrossTable(reports);
  const markdown = renderAcrossMarkdown(table);
  if (out !== undefined) {
    checkWritableFile(out, '--out');
    checkReplaceable(out, isAcrossMarkdown, 'a charlab report across corpora', 'Choose another --out path');
    writeFileAtomic(out, markdown);
  }
  return { table, markdown };
}

/** One leaderboard is for one corpus text: folders run on different texts are compared with `report --across`. */
function refuseMixedCorpora(folders: FolderTables[]): void {
  const texts = new Map<string, string>();
  for (const f of folders) {
    const sha = f.manifest?.corpus?.sha256;
    if (typeof sha === 'string' && !texts.has(sha)) texts.set(sha, f.dir);
  }
  if (texts.size <= 1) return;
  throw new UsageError(
    `report: the folders were run on different corpus texts (${[...texts].map(([sha, dir]) => `${dir}: sha256 ${sha.slice(0, 12)}…`).join('; ')}); ` +
      'one leaderboard would rank scores on different texts. For a table of models × corpora, each with its own baselines: charlab report --across DIR DIR…',
  );
}

const ADVICE = 'the report is written into the first folder given; move them away, or report into a copy of the folder';

/**
 * Before anything is written: the folder (and plots/) can be written — procfs, a read-only file
 * system, a file where plots/ should be are refused — and every report file there, and every plot
 * about to be written, is one charlab wrote (src/results/folder.ts): never replaced otherwise.
 */
function checkReportFolder(dir: string, plotPaths: string[]): void {
  ensureWritableDir(dir, 'report folder', true);
  ensureWritableDir(join(dir, REPORT_FILES.plots), 'report folder', true);
  const plot = (path: string) => ({ path, kind: 'a charlab report plot', ours: isReportPlot });
  const files = [...reportFilesIn(dir), ...plotPaths.filter((p) => existsSync(p)).map(plot)];
  checkOurs(files, `report into ${dir}`, ADVICE);
}

/** The final checkpoints of a folder's runs (src/checkpoint/runFiles.ts): its own, and, merged from shards, the shards'. */
async function checkpointsOf(dir: string, manifest: FolderTables['manifest']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const add = async (sub: string) => {
    for (const f of await readdir(join(dir, sub)).catch(() => [] as string[])) {
      const id = /^(.*[^.])(?<!\.best|\.resume|\.rung\d+)\.safetensors$/.exec(f)?.[1];
      if (id !== undefined && out[id] === undefined) out[id] = posix.join(sub, f);
    }
  };
  await add('checkpoints');
  if (manifest?.merged) {
    const shards = (await readdir(join(dir, 'shards')).catch(() => [] as string[]))
      .filter((s) => /^\d+-of-\d+$/.test(s))
      .sort();
    for (const s of shards) await add(posix.join('shards', s, 'checkpoints'));
  }
  return out;
}

/**
 * Regenerate the comparison report from one or more results folders (merged; the first wins for a
 * run present in several). Writes report.md, report.html and plots/*.svg into the first folder.
 */
export async function buildReport(dirs: string[]): Promise<ReportResult> {
  if (dirs.length === 0) throw new UsageError('report: give at least one results folder');
  const folders: FolderTables[] = [];
  for (const d of dirs) folders.push(await readFolder(d));
  refuseMixedCorpora(folders);
  const outDir = dirs[0];
  checkReportFolder(outDir, []);
  const data = buildReportData(folders);
  const plots = await renderPlots(data);

  const plotPaths = plots.map((p) => join(outDir, ...p.file.split('/')));
  checkReportFolder(outDir, plotPaths);
  ensureWritableDir(join(outDir, REPORT_FILES.plots), 'report folder');
  const svgPaths: string[] = [];
  plots.forEach((p, i) => {
    writeFileAtomic(plotPaths[i], `${p.svg}\n`);
    svgPaths.push(plotPaths[i]);
  });
  // A plot an earlier report wrote and this one does not (checked ours above) would describe what is no longer there.
  const written = new Set(plotPaths);
  removeFiles(
    outDir,
    reportFilesIn(outDir).filter((f) => f.ours === isReportPlot && !written.has(f.path)),
  );
  const markdown = renderMarkdown(data, plots);
  const html = renderHtml(data, plots);
  const markdownPath = join(outDir, REPORT_FILES.markdown);
  const htmlPath = join(outDir, REPORT_FILES.html);
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
