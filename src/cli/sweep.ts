/** `charlab sweep`: run an experiment file's grid over a worker pool and record the tables. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { LockedError } from '../sweep/lock.js';
import { runSweep } from '../sweep/sweep.js';
import type { Fault } from '../sweep/task.js';
import { positiveInt } from './options.js';
import { rankedTable, sweepDisplay } from './sweepDisplay.js';

export const EXIT_RUNS_FAILED = 3;
export const EXIT_LOCKED = 4;
export const EXIT_INTERRUPTED = 130;

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'Run every grid point of an experiment file (RNN beside the Markov baseline) on a pool of worker ' +
        'threads and record manifest.json, summary.csv, curves.csv and samples.csv in results/<name>/. ' +
        'Running it again resumes: recorded runs are skipped, failed ones re-attempted.',
    )
    .argument('<experiment>', 'experiment file (JSON; see schema/experiment.schema.json)')
    .option('--fresh', 'discard the results folder\'s tables and start over')
    .option('--workers <n>', 'worker threads (default: the experiment\'s "workers", else the number of cores)', positiveInt)
    .option('--out <dir>', 'results folder (default: results/<name>)')
    .option('--json', 'print the summary rows as JSON on stdout instead of the table')
    .addHelpText(
      'after',
      `\nExit status: 0 every run done; ${EXIT_RUNS_FAILED} some run diverged or failed (recorded in summary.csv);\n` +
        `2 bad experiment file, corpus or results folder (nothing written); ${EXIT_LOCKED} another sweep holds the\n` +
        `results folder; ${EXIT_INTERRUPTED} interrupted (Ctrl-C / SIGTERM: the same command resumes); 1 other failures.`,
    )
    .action(async (experimentPath: string, opts: { fresh?: boolean; workers?: number; out?: string; json?: boolean }) => {
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) process.exit(EXIT_INTERRUPTED);
        process.stderr.write(`\n${sig}: stopping; recorded runs are kept, the same command resumes\n`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const display = sweepDisplay();
      try {
        const result = await runSweep(
          { experimentPath, outDir: opts.out, fresh: opts.fresh, workers: opts.workers, signal: controller.signal, faults: testFaults() },
          display,
        );
        display.stop();
        if (opts.json) process.stdout.write(`${JSON.stringify({ dir: result.dir, interrupted: result.interrupted, runs: result.summary })}\n`);
        else if (result.summary.length > 0) process.stdout.write(`${rankedTable(result.summary)}\n`);
        const missing = result.manifest.totalRuns - result.summary.length;
        const count = (status: string) => result.summary.filter((r) => r.status === status).length;
        const parts = [
          `${result.summary.length}/${result.manifest.totalRuns} runs recorded`,
          missing ? `${missing} not run yet${result.interrupted ? ' (the same command resumes)' : ''}` : '',
          count('diverged') ? `${count('diverged')} diverged` : '',
          count('failed') ? `${count('failed')} failed (run the same command to re-attempt them)` : '',
        ];
        process.stderr.write(`${result.dir}: ${parts.filter(Boolean).join(', ')}\n`);
        if (result.interrupted) process.exitCode = EXIT_INTERRUPTED;
        else if (result.problems > 0) process.exitCode = EXIT_RUNS_FAILED;
      } catch (err) {
        display.stop();
        if (err instanceof LockedError) {
          process.stderr.write(`charlab: ${err.message}\n`);
          process.exitCode = EXIT_LOCKED;
          return;
        }
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** CHARLAB_TEST_FAULT='{"<run id>":"throw"|"exit"}': fault injection for the reliability tests. */
function testFaults(): Record<string, Fault> | undefined {
  const raw = process.env.CHARLAB_TEST_FAULT;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Record<string, Fault>;
  } catch {
    throw new UsageError(`CHARLAB_TEST_FAULT: expected JSON like {"h8-u4-c5-lr0.1-s1":"throw"}, got ${raw}`);
  }
}
