/** `charlab sweep`: run an experiment file's grid over a worker pool and record the tables. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/index.js';
import Table from 'cli-table3';
import { planRunsOf, type RunSpec } from '../sweep/grid.js';
import { KNOBS, shownKnobs, type KnobDef, type KnobKey } from '../results/knobs.js';
import { readExperimentFile } from '../results/experimentFile.js';
import { LockedError } from '../sweep/lock.js';
import { parseShard, shardRuns } from '../sweep/shard.js';
import type { Shard } from '../results/manifest.js';
import { refuseSharding } from '../sweep/staged.js';
import { SEARCH_METHODS } from '../sweep/search/index.js';
import { searchPlan, searchPlanLines } from '../sweep/search/planSummary.js';
import { runSweep, type SweepResult } from '../sweep/sweep.js';
import { testFaultsFromEnv } from '../testing/faults.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { withCorpusAccess } from './corpus.js';
import { positiveInt } from './options.js';
import { jsonRow, rankedTable, sweepDisplay, type ClosingFacts, type SweepDisplay } from './sweepDisplay.js';

export const EXIT_RUNS_FAILED = 3;
export const EXIT_LOCKED = 4;
export const EXIT_INTERRUPTED = 130;

interface SweepCliOptions {
  fresh?: boolean;
  workers?: number;
  threads?: number;
  backend?: BackendChoice;
  out?: string;
  json?: boolean;
  shard?: string;
  plan?: boolean;
}

const backendOption = new Option(
  '--backend <name>',
  'overrides the experiment\'s "backend" (auto: native where built, else wasm)',
).choices([...BACKEND_CHOICES]);

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'Run every grid point of an experiment file (RNN beside the Markov baseline) on a pool of worker ' +
        'threads and record manifest.json, summary.csv, curves.csv and samples.csv in results/<name>/. ' +
        'Running it again resumes: recorded runs are skipped, failed ones re-attempted (halving, Hyperband and TPE keep them: later decisions rest on them).',
    )
    .argument('<experiment>', 'experiment file (JSON; see schema/experiment.schema.json)')
    .option(
      '--fresh',
      "discard the results folder's runs and start over: its tables, manifest.json, report (report.md, report.html, plots/) and run checkpoints, each only if charlab wrote it",
    )
    .option(
      '--workers <n>',
      'worker threads (default: the experiment\'s "workers", else the number of cores)',
      positiveInt,
    )
    .addOption(backendOption)
    .option(
      '--threads <n>',
      'threads per run on the native backend (default: the experiment\'s "threads", else cores ÷ workers); results do not depend on it',
      positiveInt,
    )
    .option('--out <dir>', 'results folder (default: results/<name>)')
    .option(
      '--shard <i/n>',
      'run only shard i of n (0-based; round-robin over the grid order) into results/<name>/shards/<i>-of-<n>/; ' +
        '"auto" takes i and n from a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _COUNT), "auto/n" takes i from ' +
        'SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (Kubernetes Indexed Job); then: charlab merge results/<name>',
    )
    .option(
      '--json',
      'print the summary rows as JSON on stdout instead of the table (numbers as numbers, empty cells as null)',
    )
    .option(
      '--plan',
      'print the runs the sweep would make (ids and knobs) and stop: nothing is trained, the corpus is not read; with --json, one object with a "runs" array ' +
        '(and a "halving", "hyperband" or "tpe" object with the rungs, brackets or rounds); a TPE sweep lists the runs of its first round',
    )
    .addHelpText('after', sweepHelp)
    .action(runSweepCommand);
}

async function runSweepCommand(experimentPath: string, opts: SweepCliOptions): Promise<void> {
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, process.env);
  if (opts.plan) return printPlan(experimentPath, opts.json === true, shard);
  const display = sweepDisplay();
  const controller = new AbortController();
  const stopSignals = onInterrupt(controller, display);
  try {
    const result = await withCorpusAccess((corpusAccess) =>
      runSweep(
        {
          experimentPath,
          outDir: opts.out,
          shard,
          fresh: opts.fresh,
          workers: opts.workers,
          threads: opts.threads,
          backend: opts.backend,
          signal: controller.signal,
          faults: testFaultsFromEnv(process.env),
          corpusAccess,
        },
        display,
      ),
    );
    display.stop();
    printResult(result, opts.json === true);
    if (result.interrupted) process.exitCode = EXIT_INTERRUPTED;
    else if (result.problems > 0) process.exitCode = EXIT_RUNS_FAILED;
  } catch (err) {
    display.stop();
    if (!(err instanceof LockedError)) throw err;
    process.stderr.write(`charlab: ${escapeForTerminal(err.message)}\n`);
    process.exitCode = EXIT_LOCKED;
  } finally {
    stopSignals();
  }
}

/** Ctrl-C / SIGTERM: stop launching runs (the bars are taken down first); a second one exits at once. */
function onInterrupt(controller: AbortController, display: SweepDisplay): () => void {
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(EXIT_INTERRUPTED);
    display.interrupt(`${sig}: stopping; recorded runs are kept, the same command resumes`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

function printResult(result: SweepResult, json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ dir: result.dir, interrupted: result.interrupted, runs: result.summary.map(jsonRow) })}\n`,
    );
  } else if (result.summary.length > 0) process.stdout.write(`${rankedTable(result.summary, closingFacts(result))}\n`);
  const missing = result.manifest.totalRuns - result.summary.length;
  const count = (status: string) => result.summary.filter((r) => r.status === status).length;
  const parts = [
    `${result.summary.length}/${result.manifest.totalRuns} runs recorded`,
    missing ? `${missing} not run yet${result.interrupted ? ' (the same command resumes)' : ''}` : '',
    count('diverged') ? `${count('diverged')} diverged` : '',
    count('failed') ? `${count('failed')} failed (run the same command to re-attempt them)` : '',
  ];
  process.stderr.write(`${escapeForTerminal(`${result.dir}: ${parts.filter(Boolean).join(', ')}`)}\n`);
}

/** What the closing table's statement says was compared: the sweep's corpus, split and budget, from its manifest. */
function closingFacts({ manifest: m }: SweepResult): ClosingFacts {
  return {
    corpusPath: m.corpus.path,
    sha256: m.corpus.sha256,
    validation: String(m.experiment.validation),
    validationChars: m.corpus.validationChars,
    budget: m.experiment.budget.chars,
  };
}

/** What `charlab sweep --help` says after the options: exit codes and the search methods. */
const sweepHelp = (): string =>
  `\nExit status: 0 every run done; ${EXIT_RUNS_FAILED} some run diverged or failed (recorded in summary.csv);\n` +
  `2 bad experiment file, corpus or results folder (nothing written); ${EXIT_LOCKED} another sweep holds the\n` +
  `results folder; ${EXIT_INTERRUPTED} interrupted (Ctrl-C / SIGTERM: the same command resumes); 1 other failures.\n` +
  'A closed output (`charlab sweep … | head`) does not stop the sweep: it stops printing and keeps recording.\n\n' +
  'Search methods ("search": {"method": …} in the experiment; grid when absent):\n' +
  Object.entries(SEARCH_METHODS)
    .map(([name, m]) => `  ${name.padEnd(8)} ${m.summary}\n`)
    .join('') +
  '  Random search draws each knob of "space" from {"uniform": [a, b]}, {"logUniform": [a, b]}, {"intRange": [a, b]},\n' +
  '  {"logIntRange": [a, b]} or {"choice": [...]}; real values are rounded to 3 significant digits.\n' +
  HALVING_HELP;

const HALVING_HELP =
  '  Successive halving: {"method": "halving", "eta": 3, "minChars": 100000} trains every configuration of the grid\n' +
  '  to minChars, then the best 1/eta (mean held-out bpc over seeds) continue from their checkpoints to eta times\n' +
  '  more, and so on up to budget.chars; rungs.csv records each rung\'s decisions. Hyperband ("method": "hyperband",\n' +
  '  same keys) runs brackets of it starting at each budget. Both take "sampler": {"method": "random", …} to draw\n' +
  '  from a space instead of the grid (Hyperband also "tpe": BOHB). TPE ("method": "tpe", "samples", "seed",\n' +
  '  "startup", "round", "space") suggests rounds of configurations from the scores before. A failed run ranks\n' +
  '  last like a diverged one and is kept. Not with --shard. --plan shows the rungs, brackets or rounds.';

/** --plan: the planned runs (with --shard, that shard's share), read from the experiment file alone. */
function printPlan(experimentPath: string, json: boolean, shard: Shard | undefined): void {
  const path = resolve(experimentPath);
  const { experiment } = readExperimentFile(path);
  if (shard) refuseSharding(experiment, `--shard ${shard.index}/${shard.count}`);
  const planned = planRunsOf(experiment, path);
  const runs = shard ? shardRuns(planned, shard) : planned;
  const method = experiment.search?.method ?? 'grid';
  const search = searchPlan(experiment, planned);
  const of = shard ? { shard: `${shard.index}/${shard.count}`, plannedRuns: planned.length } : {};
  if (json) {
    const row = (r: RunSpec) => ({
      id: r.id,
      ...Object.fromEntries(KNOBS.map((k) => [k.key, r[k.key]])),
      seed: r.seed,
    });
    process.stdout.write(
      `${JSON.stringify({ experiment: experiment.name, method, ...of, runs: runs.map(row), ...search })}\n`,
    );
    return;
  }
  const knobs: KnobDef[] = shownKnobs(runs);
  const table = new Table({
    head: ['#', 'run', ...knobs.map((k) => k.short), 'seed'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  runs.forEach((r) =>
    table.push([
      String(r.index + 1),
      escapeForTerminal(r.id),
      ...knobs.map((k) => String(r[k.key as KnobKey])),
      String(r.seed),
    ]),
  );
  process.stdout.write(`${table.toString()}\n`);
  const configs = planned.length / experiment.seeds.length;
  const share = shard ? `shard ${shard.index}/${shard.count}: ${runs.length} of ` : '';
  const more =
    'tpe' in search || (experiment.search?.method === 'hyperband' && experiment.search.sampler?.method === 'tpe')
      ? ' so far (the rest are suggested from the scores)'
      : '';
  const what = `${share}${planned.length} runs (${configs} configurations × ${experiment.seeds.length} seeds)${more} by ${method} search`;
  process.stderr.write(`${escapeForTerminal(`${experiment.name}: ${what}; nothing trained`)}\n`);
  const lines = searchPlanLines(search, experiment.seeds.length);
  if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
}
