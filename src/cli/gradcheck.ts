/** `charlab gradcheck`: analytic against numerical gradients of the reference RNN. */
import type { Command } from 'commander';
import { GRADCHECK_DEFAULTS, gradcheck } from '../model/gradcheck.js';
import { positiveInt } from './options.js';

export function registerGradcheck(program: Command): void {
  program
    .command('gradcheck')
    .description(
      'Compare the reference RNN\'s analytic gradients with central differences (delta 1e-5) for every ' +
        'element of every parameter array, on a random chunk; print each array\'s maximum relative error ' +
        '|a-n| / max(|a|+|n|, 1e-12). Exits 1 if any exceeds 1e-5.',
    )
    .option('--hidden <n>', 'hidden units of the small model checked', positiveInt, GRADCHECK_DEFAULTS.hiddenSize)
    .option('--vocab <n>', 'vocabulary size', positiveInt, GRADCHECK_DEFAULTS.vocabSize)
    .option('--unroll <n>', 'chunk length', positiveInt, GRADCHECK_DEFAULTS.unroll)
    .option('--seed <n>', 'seed of the weights and the chunk', positiveInt, GRADCHECK_DEFAULTS.seed)
    .option('--json', 'print {"params":[{"name","maxRelError"},...]} on stdout')
    .action((opts: { hidden: number; vocab: number; unroll: number; seed: number; json?: boolean }) => {
      const result = gradcheck({ hiddenSize: opts.hidden, vocabSize: opts.vocab, unroll: opts.unroll, seed: opts.seed });
      const tolerance = 1e-5;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ params: result.params.map(({ name, maxRelError }) => ({ name, maxRelError })) })}\n`);
      } else {
        for (const p of result.params) {
          const ok = p.maxRelError < tolerance ? 'ok' : 'FAIL';
          process.stdout.write(`${p.name.padEnd(4)} ${String(p.size).padStart(6)} elements  max relative error ${p.maxRelError.toExponential(2)}  ${ok}\n`);
        }
      }
      if (result.params.some((p) => !(p.maxRelError < tolerance))) process.exitCode = 1;
    });
}
