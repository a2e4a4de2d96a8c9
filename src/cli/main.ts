#!/usr/bin/env node
/**
 * charlab command line. Each command lives in its own module under src/cli/ and registers itself
 * on the commander program; this file only wires them up and maps errors to exit codes:
 * usage and input errors exit 2, runtime failures 1.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerTrain } from './train.js';
import { registerGradcheck } from './gradcheck.js';
import { registerSweep } from './sweep.js';
import { registerReport } from './report.js';
import { registerBench } from './bench.js';

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('charlab')
    .description('Character-level language-model experiments: a min-char-rnn beside a Markov baseline')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerTrain(program);
  registerGradcheck(program);
  registerSweep(program);
  registerReport(program);
  registerBench(program);
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version come through here with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`charlab: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`charlab: ${msg}\n`);
    return EXIT_FAILURE;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`charlab: ${String(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
