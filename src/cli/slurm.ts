/** `charlab slurm`: the sbatch script that runs an experiment's shards as a Slurm job array, then merges and reports. */
import { chmodSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { planRunsOf } from '../sweep/grid.js';
import { refuseSharding } from '../sweep/staged.js';
import { readExperimentFile } from '../results/experimentFile.js';
import { isSlurmScript, shellQuote, slurmScript } from '../sweep/slurm.js';
import { checkReplaceable, checkWritableFile } from '../util/outputs.js';
import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { positiveInt } from './options.js';

interface SlurmCliOptions {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  shards?: number;
  out?: string;
}

export function registerSlurm(program: Command): void {
  program
    .command('slurm')
    .description(
      'print (or write with --out) a Slurm batch script for an experiment: a job array whose task i runs shard i ' +
        '(charlab sweep EXP --shard auto/N), and a job that merges the shards and writes the report once the array has ended',
    )
    .argument(
      '<experiment>',
      'experiment file (JSON), as the jobs will name it (relative to the folder you submit from)',
    )
    .option('--shards <n>', 'array tasks, one shard each (default: 4, at most the number of runs)', positiveInt)
    .option(
      '--cpus-per-task <c>',
      'cores per task, used as its worker threads (default: the experiment\'s "workers", else 2)',
      positiveInt,
    )
    .option('--partition <p>', "Slurm partition (default: the cluster's default)")
    .option('--time <t>', "time limit per task, e.g. 02:00:00 (default: the partition's)")
    .option('--out <file>', 'write the script to this file (executable) instead of printing it')
    .addHelpText(
      'after',
      '\nThen, from the project folder: bash FILE (submits both jobs; extra arguments go to sbatch).\n' +
        'Re-run failed indices: sbatch --array=I,J FILE, then bash FILE merge. See docs/cluster.md.',
    )
    .action((experimentPath: string, opts: SlurmCliOptions) => {
      if (opts.out !== undefined) {
        checkWritableFile(opts.out, '--out');
        checkReplaceable(opts.out, isSlurmScript, 'a script charlab slurm wrote', 'Choose another --out');
      }
      const { experiment } = readExperimentFile(resolve(experimentPath));
      refuseSharding(experiment, 'charlab slurm');
      const runs = planRunsOf(experiment, resolve(experimentPath)).length;
      const shards = opts.shards ?? Math.min(4, runs);
      const cpusPerTask = opts.cpusPerTask ?? experiment.workers ?? 2;
      const fileName = opts.out === undefined ? `${experiment.name}.sbatch` : basename(opts.out);
      const commandLine = ['npx charlab slurm', experimentPath, ...flags(opts)]
        .map((a, i) => (i === 0 ? a : shellQuote(a)))
        .join(' ');
      const script = slurmScript({
        experimentPath,
        name: experiment.name,
        runs,
        shards,
        cpusPerTask,
        partition: opts.partition,
        time: opts.time,
        fileName,
        commandLine,
        version: VERSION,
      });
      if (opts.out === undefined) {
        process.stdout.write(script);
        return;
      }
      writeFileAtomic(opts.out, script);
      chmodSync(opts.out, 0o755);
      process.stderr.write(`wrote ${opts.out}: submit it with 'bash ${opts.out}' from this folder\n`);
    });
}

/** The options as given, for the script's header. */
function flags(o: SlurmCliOptions): string[] {
  const out: string[] = [];
  if (o.shards !== undefined) out.push('--shards', String(o.shards));
  if (o.cpusPerTask !== undefined) out.push('--cpus-per-task', String(o.cpusPerTask));
  if (o.partition !== undefined) out.push('--partition', o.partition);
  if (o.time !== undefined) out.push('--time', o.time);
  if (o.out !== undefined) out.push('--out', o.out);
  return out;
}
