import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { buildAcrossReport, buildReport, type ReportResult } from '../report/io.js';
import { jsonSummary, renderTerminal } from '../report/terminal.js';
import { escapeForTerminal } from '../util/terminalText.js';

/** Why the report cannot be written into `dir` (checked before reading anything), or null. */
function unwritable(dir: string): string | null {
  for (const d of [dir, join(dir, 'plots')]) {
    if (!existsSync(d)) continue;
    if (!statSync(d).isDirectory()) return `${d} is a file, expected a folder`;
    try {
      accessSync(d, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return `${d} cannot be written (${code === 'EROFS' ? 'read-only file system' : 'permission denied'})`;
    }
  }
  return null;
}

/** buildReport, with a file-system refusal met while writing turned into a usage error (exit 2). */
async function buildReportOrRefuse(dirs: string[]): Promise<ReportResult> {
  const blocked = existsSync(dirs[0]) ? unwritable(dirs[0]) : null;
  const advice = 'the report is written into the first folder given; make it writable or copy the folder';
  if (blocked) throw new UsageError(`report folder ${resolve(dirs[0])}: ${blocked}; ${advice}`);
  try {
    return await buildReport(dirs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
    const why = code === 'EROFS' ? 'read-only file system' : 'permission denied';
    throw new UsageError(`report folder ${resolve(dirs[0])} cannot be written (${why}: ${(err as Error).message}); ${advice}`);
  }
}

/**
 * `charlab report <dir...>`: regenerate the comparison report from a sweep's tables (nothing is
 * re-run). Several folders (shards of one sweep) are merged; the report goes into the first.
 */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description("regenerate a sweep's comparison report (report.md, report.html, plots/*.svg) from its results tables")
    .argument('<dir...>', 'results folder(s) of one sweep; several are merged and the report is written into the first')
    .option('--json', 'print a machine-readable summary (leaderboard, per-knob stats, paths written) instead of the tables')
    .option('--across', 'the folders are sweeps on different corpora: one table of models × corpora, each corpus with its own baselines (nothing merged)')
    .option('--out <file>', 'with --across: also write the table as Markdown to this file')
    .addHelpText(
      'after',
      `
Each folder holds manifest.json, summary.csv, curves.csv and samples.csv as written by 'charlab sweep'.
Runs named by the manifest's grid but absent from summary.csv are reported as missing; a record torn
by an interrupted write (the last one in a file) is ignored and noted. Exit status 2 for a missing
folder, a missing summary.csv or an unparsable file.

Folders run on different corpus texts are not merged into one leaderboard (exit 2): --across puts
them side by side, each with its best configuration, its best Markov order and the difference.

Examples:
  charlab report results/shakespeare
  charlab report results/shard-a results/shard-b --json
  charlab report --across results/holmes-ladder results/warpeace-ladder results/small-corpus --out results/corpora.md`,
    )
    .action(async (dirs: string[], opts: { json?: boolean; across?: boolean; out?: string }) => {
      if (opts.out !== undefined && !opts.across) throw new UsageError('--out: only with --across (a sweep\'s report goes into its folder)');
      if (opts.across) {
        const { table, markdown } = await buildAcrossReport(dirs, opts.out);
        process.stdout.write(opts.json ? `${JSON.stringify(table, null, 2)}\n` : escapeForTerminal(markdown));
        return;
      }
      const result = await buildReportOrRefuse(dirs);
      const paths = { markdownPath: result.markdownPath, htmlPath: result.htmlPath, svgPaths: result.svgPaths };
      if (opts.json) process.stdout.write(`${JSON.stringify(jsonSummary(result.model, paths), null, 2)}\n`);
      else process.stdout.write(escapeForTerminal(renderTerminal(result.model, paths))); // tables quote run ids and samples
    });
}
