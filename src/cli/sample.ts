/** `charlab sample CKPT`: text drawn from a saved model (or, with --markov, from the run's Markov baseline). */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { BACKEND_CHOICES, runnableHere, type BackendChoice } from '../backend/index.js';
import { modelFromCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { openCheckpoint } from './checkpointFile.js';
import { encodeInVocab, markovTrainEnd, trainingCorpus } from '../checkpoint/corpus.js';
import { decode, DEFAULT_PRIME, vocabFromSymbols } from '../corpus/index.js';
import { resolveWith, sliceCorpus, type LoadedCorpus } from '../data/index.js';
import { DEFAULT_SEED } from '../defaults.js';
import { CorpusError, UsageError } from '../errors.js';
import { MarkovModel } from '../markov/markov.js';
import { makeRng } from '../util/rng.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { withCorpusAccess } from './corpus.js';
import { nonNegativeInt, positiveInt, positiveNumber } from './options.js';

interface SampleOptions {
  length: number;
  temperature: number;
  prime?: string;
  primeFile?: string;
  seed: number;
  json?: boolean;
  markov?: boolean;
  corpus?: string;
  backend?: BackendChoice;
}

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description(
      "Draw text from a checkpoint: the RNN from the hidden state it was saved in, or (--markov) the run's Markov baseline.",
    )
    .argument('<checkpoint>', 'a .safetensors checkpoint written by train --save or a sweep')
    .option('--length <n>', 'characters to draw', positiveInt, 500)
    .option('--temperature <t>', 'sampling temperature (applied to a copy of the logits)', positiveNumber, 1)
    .option(
      '--prime <text>',
      `text fed to the model first (default: ${DEFAULT_PRIME.checkpoint}; with --markov: the last characters the run read)`,
    )
    .option('--prime-file <file>', 'read the prime from a UTF-8 file')
    .option('--seed <n>', 'seed of the draws: the same seed gives the same text', nonNegativeInt, DEFAULT_SEED)
    .option(
      '--markov',
      "sample the run's Markov baseline, rebuilt from the characters the run read (needs the training corpus)",
    )
    .option(
      '--corpus <path>',
      'the training corpus for --markov (default: the path recorded in the checkpoint; a slice as the run read it); checked by sha256',
    )
    .addOption(
      new Option(
        '--backend <name>',
        'backend that runs the model (default: the one that wrote the checkpoint, or auto where that one is not built)',
      ).choices([...BACKEND_CHOICES]),
    )
    .option('--json', 'print {"text": …} on stdout (once the whole text is drawn)')
    .addHelpText(
      'after',
      '\nPrints the drawn characters alone (the prime excluded) on stdout, as they are drawn: an interrupt\n' +
        '(Ctrl-C) keeps what was printed. --json prints one object at the end.',
    )
    .action(async (path: string, opts: SampleOptions) => {
      const ck = openCheckpoint(path);
      const primeText = readPrime(opts);
      const out = opts.json ? null : new SampleStream(ck.vocab);
      const emit = out ? (id: number) => out.push(id) : undefined;
      const text = opts.markov ? await sampleMarkov(ck, opts, primeText, emit) : sampleRnn(ck, opts, primeText, emit);
      if (out) out.end();
      else process.stdout.write(`${JSON.stringify({ text })}\n`);
    });
}

/**
 * The drawn symbols written to stdout as they come (escaped for the terminal), in pieces: every
 * 4,096 characters or 50 ms, whichever comes first, so a long sample shows at once and an
 * interrupt loses at most the last piece. Writes to a file or pipe are synchronous on Linux.
 */
class SampleStream {
  private readonly symbols: number[];
  private pending: number[] = [];
  private last = Date.now();

  constructor(vocab: readonly number[]) {
    this.symbols = [...vocab];
  }

  push(id: number): void {
    this.pending.push(this.symbols[id]);
    if (this.pending.length >= 4096 || (this.pending.length % 64 === 0 && Date.now() - this.last >= 50)) this.flush();
  }

  end(): void {
    this.flush();
    process.stdout.write('\n');
  }

  private flush(): void {
    if (this.pending.length > 0) process.stdout.write(escapeForTerminal(String.fromCodePoint(...this.pending)));
    this.pending = [];
    this.last = Date.now();
  }
}

function readPrime(opts: SampleOptions): string | undefined {
  if (opts.prime !== undefined && opts.primeFile !== undefined)
    throw new UsageError('--prime and --prime-file: give one of them, not both');
  if (opts.prime === '') throw new UsageError('--prime: expected at least one character');
  if (opts.primeFile === undefined) return opts.prime;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(opts.primeFile));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--prime-file ${opts.primeFile}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'not UTF-8 text')}`,
    );
  }
  if (text === '') throw new UsageError(`--prime-file ${opts.primeFile}: the file is empty`);
  return text;
}

/** The prime's ids in the model's vocabulary (naming any character outside it); default one newline, else the first symbol. */
function primeIds(ck: Checkpoint, prime: string | undefined, opts: SampleOptions): Int32Array {
  if (prime !== undefined)
    return encodeInVocab(prime, ck.vocab, opts.primeFile !== undefined ? `--prime-file ${opts.primeFile}` : '--prime');
  const nl = ck.vocab.indexOf(10);
  return Int32Array.of(nl >= 0 ? nl : 0);
}

type Emit = ((id: number) => void) | undefined;

function sampleRnn(ck: Checkpoint, opts: SampleOptions, prime: string | undefined, emit: Emit): string {
  const ids = primeIds(ck, prime, opts);
  const model = modelFromCheckpoint(ck, opts.backend ?? runnableHere(ck.backend));
  const out = model.sample(ids, opts.length, opts.temperature, makeRng(`sample:${opts.seed}`), emit);
  return decode(out, vocabFromSymbols(ck.vocab));
}

/**
 * The Markov baseline is not stored: it is rebuilt, deterministically, from the characters the run
 * read (the corpus recognised by its sha256). Default prime: the last `order` of those characters,
 * as the run's own baseline sample; with --seed 1, --temperature 1 and the run's sample length this
 * redraws the sample the run recorded.
 */
async function sampleMarkov(
  ck: Checkpoint,
  opts: SampleOptions,
  prime: string | undefined,
  emit: Emit,
): Promise<string> {
  if (ck.markovOrder === null) throw new UsageError('--markov: the checkpoint records no Markov baseline order');
  const file = await checkpointCorpus(ck, opts.corpus);
  const corpus = trainingCorpus(ck, file.text, file.path, file.sha256);
  const end = markovTrainEnd(ck, corpus);
  const model = MarkovModel.train(corpus.ids, 0, end, { order: ck.markovOrder, vocabSize: ck.vocab.length });
  const ids =
    prime !== undefined ? primeIds(ck, prime, opts) : corpus.ids.subarray(Math.max(0, end - ck.markovOrder), end);
  const out = model.sample(ids, opts.length, makeRng(`markov-sample:${opts.seed}`), opts.temperature, emit);
  return decode(out, corpus.vocab);
}

/** A corpus file (or known corpus name) read as the other commands read it, sliced to its first `chars` characters if given. */
export async function readCorpus(spec: string, chars?: number): Promise<LoadedCorpus['file']> {
  try {
    return sliceCorpus(await withCorpusAccess((access) => resolveWith(spec, process.cwd(), access)), chars);
  } catch (err) {
    if (err instanceof CorpusError && err.shortfall === 'slice-too-long')
      throw new UsageError(`--corpus-chars ${chars}: ${err.message}`);
    throw err;
  }
}

/**
 * The corpus given with --corpus, or else the one the checkpoint records (a refusal then says so and
 * how to name another), sliced as `chars` says (default: the slice the run read, if any).
 */
export async function checkpointCorpus(
  ck: Checkpoint,
  given: string | undefined,
  chars = ck.corpus.slice,
): Promise<LoadedCorpus['file']> {
  if (given !== undefined) return readCorpus(given, chars);
  try {
    return await readCorpus(ck.corpus.source, chars);
  } catch (err) {
    if (err instanceof UsageError)
      throw new UsageError(`${err.message} (the corpus the checkpoint records; name another with --corpus PATH)`);
    throw err;
  }
}
