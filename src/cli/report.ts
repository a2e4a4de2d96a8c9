import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeErrno, UsageError } from '../errors.js';
import { buildAcrossReport, buildReport, type ReportResult } from '../report/io.js';
import { jsonSummary, renderTerminal } from '../report/terminal.js';
import { escapeForTerminal } from '../util/terminalText.js';

/** buildReport, with a file-system refusal met while writing (permission, read-only) turned into a usage error (exit 2). */
async function buildReportOrRefuse(dirs: string[]): Promise<ReportResult> {
  try {
    return await buildReport(dirs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
    const advice = 'the report is written into the first folder given; make it writable or copy the folder';
    throw new UsageError(
      `report folder ${resolve(dirs[0])} cannot be written (${describeErrno(code)}: ${(err as Error).message}); ${advice}`,
    );
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
    .option(
      '--json',
      'print a machine-readable summary (leaderboard, per-knob stats, paths written) instead of the tables',
    )
    .option(
      '--across',
      'the folders are sweeps on different corpora: one table of models × corpora, each corpus with its own baselines (nothing merged)',
    )
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
      if (opts.out !== undefined && !opts.across)
        throw new UsageError("--out: only with --across (a sweep's report goes into its folder)");
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
