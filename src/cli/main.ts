#!/usr/bin/env node
/**
 * charlab command line. Each command lives in its own module under src/cli/ and registers itself
 * on the commander program; this file only wires them up and maps errors to exit codes:
 * usage and input errors exit 2, runtime failures 1.
 */
import { Command, CommanderError } from 'commander';
import { configureNative } from '../backend/nativeAddon.js';
import { OutputError, UsageError } from '../errors.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands.js';

/** The command named on the command line (the first argument that is not an option), if known. */
function namedCommand(args: string[]): string | undefined {
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

// Output piped into a reader that stops early (`charlab sweep … | head`) is not an error and does
// not stop the work: the closed stream is silenced (later writes are dropped) and the command goes
// on (a sweep keeps training and recording its tables).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = () => true;
  });
}

/** Errnos of a failing device or file system met during the work: reported as one line, not a stack trace. */
const DEVICE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG']);

/** The error as an OutputError if it is one, or a Node file-system error of a failing device (ENOSPC, EIO, …). */
function outputFailure(err: unknown): OutputError | null {
  if (err instanceof OutputError) return err;
  const e = err as NodeJS.ErrnoException | null;
  if (e && typeof e === 'object' && typeof e.code === 'string' && DEVICE_ERRORS.has(e.code))
    return new OutputError(e.path ?? '(a file)', e.code);
  return null;
}

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** The native backend's switches: CHARLAB_NATIVE=0 turns it off (auto is then wasm), CHARLAB_NATIVE_ISA forces a code path. */
function configureFromEnv(env: NodeJS.ProcessEnv): void {
  configureNative({ off: env.CHARLAB_NATIVE === '0' ? 'CHARLAB_NATIVE=0' : null, isa: env.CHARLAB_NATIVE_ISA || null });
}

async function main(argv: string[]): Promise<number> {
  configureFromEnv(process.env);
  const program = new Command();
  program
    .name('charlab')
    .description('Character-level language-model experiments: a min-char-rnn beside a Markov baseline')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  try {
    // Anything else (no command, an unknown one, `help`, --version) gets them all, for help and suggestions.
    const named = namedCommand(argv.slice(2));
    for (const name of named ? [named] : Object.keys(COMMANDS)) (await COMMANDS[name]())(program);
    if (!named)
      program.addHelpText('after', `\n${(await import('./doctor.js')).backendLine()} (charlab doctor says more)`);
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version come through here with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`charlab: ${escapeForTerminal(err.message)}\n`);
      return EXIT_USAGE;
    }
    const io = outputFailure(err);
    if (io) {
      process.stderr.write(`charlab: ${escapeForTerminal(io.message)}\n`); // one line: the file and the errno, no stack
      return EXIT_FAILURE;
    }
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`charlab: ${escapeForTerminal(msg)}\n`);
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
