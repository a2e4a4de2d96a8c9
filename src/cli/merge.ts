/** `charlab merge`: the shards of a sweep (results/<name>/shards/<i>-of-<n>/) into results/<name>/. */
import type { Command } from 'commander';
import { LockedError } from '../sweep/lock.js';
import { mergeShards, type MergeResult, type ShardGap } from '../sweep/merge.js';
import { shardDirName } from '../sweep/shard.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { EXIT_LOCKED, EXIT_RUNS_FAILED } from './sweep.js';

/** Exit status when some shard or run is still missing (the tables hold what is there). */
export const EXIT_INCOMPLETE = 5;

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description(
      "merge the shards of a sweep ('charlab sweep EXP --shard i/n' writes results/<name>/shards/<i>-of-<n>/) into " +
        'results/<name>/: summary.csv, curves.csv and samples.csv in grid order, as one machine would have written them, and a manifest.json naming the shards',
    )
    .argument('<dir>', "the sweep's results folder, e.g. results/holmes (the one holding shards/)")
    .option('--json', 'print the outcome as JSON (missing shards and runs, counts) instead of text')
    .addHelpText(
      'after',
      `\nEvery shard must have run the same experiment on the same corpus text (sha256) with the same charlab\n` +
        `version; a mix is refused (exit 2, naming the shard). Missing shards are listed with the runs they hold;\n` +
        `merging again once they have run completes the tables. Then: charlab report <dir>.\n` +
        `Exit status: 0 every run merged; ${EXIT_RUNS_FAILED} every run merged, some diverged or failed; ${EXIT_INCOMPLETE} some shard or run\n` +
        `is missing (the tables hold the rest); 2 bad folder or a mix of shards (nothing written); 4 the folder is locked.`,
    )
    .action((dir: string, opts: { json?: boolean }) => {
      let result: MergeResult;
      try {
        result = mergeShards(dir);
      } catch (err) {
        if (!(err instanceof LockedError)) throw err;
        process.stderr.write(`charlab: ${escapeForTerminal(err.message)}\n`);
        process.exitCode = EXIT_LOCKED;
        return;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(jsonResult(result))}\n`);
      else process.stderr.write(escapeForTerminal(describe(result)));
      if (result.merged < result.total) process.exitCode = EXIT_INCOMPLETE;
      else if (result.problems > 0) process.exitCode = EXIT_RUNS_FAILED;
    });
}

const SHOWN = 12;

function gapLine(g: ShardGap, what: string): string {
  const more = g.runs.length > SHOWN ? `, … and ${g.runs.length - SHOWN} more` : '';
  return `  shard ${shardDirName(g.shard)} ${what} (${g.runs.length} run(s)): ${g.runs.slice(0, SHOWN).join(', ')}${more}\n`;
}

function describe(r: MergeResult): string {
  const lines = r.notes.map((n) => `note: ${n}\n`);
  const present = r.count - r.missing.length;
  lines.push(
    `${r.dir}: merged ${present} of ${r.count} shard(s): ${r.merged}/${r.total} runs recorded${r.problems ? `, ${r.problems} diverged or failed` : ''}\n`,
  );
  if (r.missing.length > 0) {
    lines.push(
      `missing shard(s), not run yet (run them with 'charlab sweep EXP --shard i/${r.count}', then merge again):\n`,
    );
    lines.push(...r.missing.map((g) => gapLine(g, 'has no folder')));
  }
  if (r.unfinished.length > 0) {
    lines.push(
      `shard(s) that have not recorded all their runs (interrupted or still running: the same command resumes them):\n`,
    );
    lines.push(...r.unfinished.map((g) => gapLine(g, 'has not recorded')));
  }
  lines.push(`report: charlab report ${r.dir}\n`);
  return lines.join('');
}

function jsonResult(r: MergeResult) {
  const gap = (g: ShardGap) => ({ shard: shardDirName(g.shard), runs: g.runs });
  return {
    dir: r.dir,
    shards: r.count,
    total: r.total,
    merged: r.merged,
    problems: r.problems,
    missing: r.missing.map(gap),
    unfinished: r.unfinished.map(gap),
    notes: r.notes,
  };
}
