/** `charlab sample CKPT`: text drawn from a saved model (or, with --markov, from the run's Markov baseline). */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { BACKENDS, type Backend } from '../backend/index.js';
import { loadCheckpoint, modelFromCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { encodeInVocab, markovTrainEnd, trainingCorpus } from '../checkpoint/corpus.js';
import { decode, vocabFromSymbols } from '../corpus/index.js';
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
  backend?: Backend;
}

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description('Draw text from a checkpoint: the RNN from the hidden state it was saved in, or (--markov) the run\'s Markov baseline.')
    .argument('<checkpoint>', 'a .safetensors checkpoint written by train --save or a sweep')
    .option('--length <n>', 'characters to draw', positiveInt, 500)
    .option('--temperature <t>', 'sampling temperature (applied to a copy of the logits)', positiveNumber, 1)
    .option('--prime <text>', 'text fed to the model first (default: a newline, or the first symbol of the vocabulary)')
    .option('--prime-file <file>', 'read the prime from a UTF-8 file')
    .option('--seed <n>', 'seed of the draws: the same seed gives the same text', nonNegativeInt, DEFAULT_SEED)
    .option('--markov', "sample the run's Markov baseline, rebuilt from the characters the run read (needs the training corpus)")
    .option('--corpus <path>', 'the training corpus for --markov (default: the path recorded in the checkpoint; a slice as the run read it); checked by sha256')
    .addOption(new Option('--backend <name>', 'backend that runs the model (default: the one that wrote the checkpoint)').choices([...BACKENDS]))
    .option('--json', 'print {"text": …} on stdout')
    .addHelpText('after', '\nPrints the drawn characters alone (the prime excluded) on stdout.')
    .action(async (path: string, opts: SampleOptions) => {
      const ck = loadCheckpoint(path);
      const primeText = readPrime(opts);
      const text = opts.markov ? await sampleMarkov(ck, opts, primeText) : sampleRnn(ck, opts, primeText);
      process.stdout.write(opts.json ? `${JSON.stringify({ text })}\n` : `${escapeForTerminal(text)}\n`);
    });
}

function readPrime(opts: SampleOptions): string | undefined {
  if (opts.prime !== undefined && opts.primeFile !== undefined) throw new UsageError('--prime and --prime-file: give one of them, not both');
  if (opts.prime === '') throw new UsageError('--prime: expected at least one character');
  if (opts.primeFile === undefined) return opts.prime;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(opts.primeFile));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--prime-file ${opts.primeFile}: ${code === 'ENOENT' ? 'no such file' : code ?? 'not UTF-8 text'}`);
  }
  if (text === '') throw new UsageError(`--prime-file ${opts.primeFile}: the file is empty`);
  return text;
}

/** The prime's ids in the model's vocabulary (naming any character outside it); default one newline, else the first symbol. */
function primeIds(ck: Checkpoint, prime: string | undefined, opts: SampleOptions): Int32Array {
  if (prime !== undefined) return encodeInVocab(prime, ck.vocab, opts.primeFile !== undefined ? `--prime-file ${opts.primeFile}` : '--prime');
  const nl = ck.vocab.indexOf(10);
  return Int32Array.of(nl >= 0 ? nl : 0);
}

function sampleRnn(ck: Checkpoint, opts: SampleOptions, prime: string | undefined): string {
  const ids = primeIds(ck, prime, opts);
  const model = modelFromCheckpoint(ck, opts.backend);
  const out = model.sample(ids, opts.length, opts.temperature, makeRng(`sample:${opts.seed}`));
  return decode(out, vocabFromSymbols(ck.vocab));
}

/**
 * The Markov baseline is not stored: it is rebuilt, deterministically, from the characters the run
 * read (the corpus recognised by its sha256). Default prime: the last `order` of those characters,
 * as the run's own baseline sample; with --seed 1, --temperature 1 and the run's sample length this
 * redraws the sample the run recorded.
 */
async function sampleMarkov(ck: Checkpoint, opts: SampleOptions, prime: string | undefined): Promise<string> {
  if (ck.markovOrder === null) throw new UsageError('--markov: the checkpoint records no Markov baseline order');
  const file = await readCorpus(opts.corpus ?? ck.corpus.source, ck.corpus.slice);
  const corpus = trainingCorpus(ck, file.text, file.path, file.sha256);
  const end = markovTrainEnd(ck, corpus);
  const model = MarkovModel.train(corpus.ids, 0, end, { order: ck.markovOrder, vocabSize: ck.vocab.length });
  const ids = prime !== undefined ? primeIds(ck, prime, opts) : corpus.ids.subarray(Math.max(0, end - ck.markovOrder), end);
  const out = model.sample(ids, opts.length, makeRng(`markov-sample:${opts.seed}`), opts.temperature);
  return decode(out, corpus.vocab);
}

/** A corpus file (or known corpus name) read as the other commands read it, sliced to its first `chars` characters if given. */
export async function readCorpus(spec: string, chars?: number): Promise<LoadedCorpus['file']> {
  try {
    return sliceCorpus(await withCorpusAccess((access) => resolveWith(spec, process.cwd(), access)), chars);
  } catch (err) {
    if (err instanceof CorpusError && err.shortfall === 'slice-too-long') throw new UsageError(`--corpus-chars ${chars}: ${err.message}`);
    throw err;
  }
}
