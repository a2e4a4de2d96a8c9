/** `charlab gradcheck`: analytic against numerical gradients of the reference model, any cell. */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { CELL_NAMES, type CellName } from '../model/cells/index.js';
import { GRADCHECK_DEFAULTS, gradcheck, type GradcheckResult } from '../model/gradcheck.js';
import { fraction, nonNegativeInt, positiveInt } from './options.js';

interface GradcheckCliOptions {
  cell: CellName;
  layers: number;
  batch: number;
  dropout: number;
  inputDropout: number;
  outputDropout: number;
  hidden: number;
  vocab: number;
  unroll: number;
  seed: number;
  steps: number;
  samples: number;
  json?: boolean;
}

function layerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3) throw new InvalidArgumentError(`expected 1, 2 or 3, got '${value}'`);
  return n;
}

function printTable(result: GradcheckResult): void {
  const width = Math.max(4, ...result.params.map((p) => p.name.length));
  for (const p of result.params) {
    const ok = p.maxRelError < result.tolerance ? 'ok' : 'FAIL';
    const at = p.worst
      ? `  (worst: element ${p.worst.index}, analytic ${p.worst.analytic.toExponential(4)}, numerical ${p.worst.numerical.toExponential(4)}, delta ${p.worst.delta})`
      : '';
    process.stdout.write(
      `${p.name.padEnd(width)} ${String(p.checked).padStart(5)} of ${String(p.size).padEnd(7)} max relative error ${p.maxRelError.toExponential(2)}  ${ok}${at}\n`,
    );
  }
}

export function registerGradcheck(program: Command): void {
  program
    .command('gradcheck')
    .description(
      "Compare the reference model's analytic gradients with numerical ones (five-point central differences at " +
        "delta 1e-3 .. 1e-7, the best delta per element) on a random chunk, at the model's real initialisation " +
        '(or after --steps Adagrad steps). Tensors larger than --samples are checked at --samples elements ' +
        '(the largest gradients, random non-zero ones, random ones). Relative error |a-n| / max(|a|+|n|, r/1e-5), ' +
        'r the round-off of the numerical estimate. Exits 1 if any tensor exceeds 1e-5.',
    )
    .addOption(new Option('--cell <name>', 'recurrent cell').choices(CELL_NAMES).default(GRADCHECK_DEFAULTS.cell))
    .option('--layers <n>', 'stacked layers (1-3)', layerCount, GRADCHECK_DEFAULTS.layers)
    .option('--batch <n>', 'parallel streams', positiveInt, GRADCHECK_DEFAULTS.batch)
    .option(
      '--dropout <p>',
      'dropout between layers (masks held fixed for the check)',
      fraction,
      GRADCHECK_DEFAULTS.dropout,
    )
    .option(
      '--input-dropout <p>',
      'dropout on the one-hot input (masks held fixed)',
      fraction,
      GRADCHECK_DEFAULTS.inputDropout,
    )
    .option(
      '--output-dropout <p>',
      'dropout before the output layer (masks held fixed)',
      fraction,
      GRADCHECK_DEFAULTS.outputDropout,
    )
    .option('--hidden <n>', 'hidden units', positiveInt, GRADCHECK_DEFAULTS.hiddenSize)
    .option('--vocab <n>', 'vocabulary size', positiveInt, GRADCHECK_DEFAULTS.vocabSize)
    .option('--unroll <n>', 'chunk length', positiveInt, GRADCHECK_DEFAULTS.unroll)
    .option(
      '--seed <n>',
      'seed of the weights, the chunk and the sampled elements',
      positiveInt,
      GRADCHECK_DEFAULTS.seed,
    )
    .option(
      '--steps <n>',
      'Adagrad steps on random text before the check',
      nonNegativeInt,
      GRADCHECK_DEFAULTS.trainSteps,
    )
    .option('--samples <n>', 'elements checked per tensor', positiveInt, GRADCHECK_DEFAULTS.samples)
    .option('--json', 'print {"tolerance", "params":[{"name","size","checked","maxRelError","worst"},...]} on stdout')
    .action(runGradcheck);
}

function runGradcheck(opts: GradcheckCliOptions): void {
  const result = gradcheck({
    cell: opts.cell,
    layers: opts.layers,
    batch: opts.batch,
    dropout: opts.dropout,
    inputDropout: opts.inputDropout,
    outputDropout: opts.outputDropout,
    hiddenSize: opts.hidden,
    vocabSize: opts.vocab,
    unroll: opts.unroll,
    seed: opts.seed,
    trainSteps: opts.steps,
    samples: opts.samples,
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else printTable(result);
  if (result.params.some((p) => !(p.maxRelError < result.tolerance))) process.exitCode = 1;
}
