/** `charlab train`: one RNN run beside the Markov baseline on the same characters. */
import { existsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  checkpointOf,
  isCheckpointFile,
  modelFromCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from '../checkpoint/checkpoint.js';
import { checkReplaceable, checkWritableFile } from '../util/outputs.js';
import { openCheckpoint } from './checkpointFile.js';
import { checkTrainingCorpus, checkTrainingText, corpusRecordOf } from '../checkpoint/corpus.js';
import { bestKeeper } from '../checkpoint/runFiles.js';
import { parameterCount } from '../model/spec.js';
import type { RnnConfig } from '../model/types.js';
import { configOfKnobs, knobsOfConfig, type KnobValues } from '../results/knobs.js';
import {
  BACKEND_CHOICES,
  backendIsa,
  checkServes,
  createModel,
  resolveBackend,
  type Backend,
  type BackendChoice,
} from '../backend/index.js';
import { markovBaseline, type BaselineResult } from '../train/baseline.js';
import { trainWithBaseline } from '../train/oneRun.js';
import { DEFAULT_CADENCE, type Cadence, type RunResult, type RunSnapshot } from '../train/run.js';
import { formatBytes, markovBytes, markovSeconds, MARKOV_WARN_BYTES, memoryProblems } from '../train/memory.js';
import { checkPrime, DEFAULT_PRIME, heldOutWarning } from '../corpus/index.js';
import type { LoadedCorpus } from '../data/index.js';
import {
  DEFAULT_BACKEND,
  DEFAULT_BUDGET_CHARS,
  DEFAULT_MARKOV_ORDER,
  DEFAULT_SEED,
  DEFAULT_VALIDATION,
  MARKOV_ORDER_RANGE,
  CADENCE_DEFAULTS,
} from '../defaults.js';
import { CorpusError, UsageError } from '../errors.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { loadCorpus } from './corpus.js';
import { addKnobFlags, knobFlagsGiven, knobsFromOptions } from './knobFlags.js';
import { fraction, intInRange, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from './options.js';
import { trainBar } from './progress.js';

/**
 * train's options: the knobs (one flag each, from the knob registry: src/cli/knobFlags.ts), read
 * into a configuration, and the run's other settings.
 */
interface TrainOptions {
  knobs: KnobValues;
  corpus?: string; // required unless --resume
  corpusChars?: number; // a corpus slice: its first n characters
  chars: number;
  seed: number;
  validation: number;
  markovOrder: number;
  backend: BackendChoice;
  threads: number;
  sampleLength: number;
  temperature: number;
  prime?: string;
  evalEvery: number;
  evalChars: number;
  patience?: number;
  minDelta: number;
  json?: boolean;
  save?: string;
  saveBest?: string;
  checkpointEvery?: number;
  resume?: string;
  overwrite?: boolean;
}

/** The settings --resume takes from the checkpoint instead besides the knobs (all of which it takes), by flag. */
const RESUMED = [
  '--eval-every',
  '--eval-chars',
  '--patience',
  '--min-delta',
  '--seed',
  '--validation',
  '--corpus-chars',
  '--markov-order',
  '--backend',
  '--sample-length',
  '--temperature',
  '--prime',
];

const log = (s: string) => process.stderr.write(`${escapeForTerminal(s)}\n`);

/** What `charlab train --help` says after the options: how the score is measured. */
const TRAIN_HELP_AFTER =
  '\nScore: held-out bits per character on the last --validation fraction of the corpus, the RNN run\n' +
  'forward with its hidden state carried from character to character, starting from the state in\n' +
  'which training ended. charsPerSec counts training characters per second of training time only.\n' +
  'With --validation 0 nothing is held out and nothing is scored (valBpc and markovValBpc are null).';

export function registerTrain(program: Command): void {
  const { min, max } = MARKOV_ORDER_RANGE;
  const train = program
    .command('train')
    .description(
      'Train one character RNN and the order-k Markov baseline on the same characters; print progress, ' +
        'a sample from each and the held-out bits per character of both.',
    )
    .option(
      '--corpus <path>',
      'UTF-8 text file, or a known corpus name (holmes, warpeace); with --resume, default: the recorded one',
    )
    .option(
      '--corpus-chars <n>',
      "read only the corpus's first n characters (a corpus slice; the held-out tail is the last --validation of them)",
      positiveInt,
    );
  const withRun = curveFlags(addKnobFlags(train))
    .option(
      '--chars <n>',
      'training characters (wraps around the training text if larger)',
      positiveInt,
      DEFAULT_BUDGET_CHARS,
    )
    .option('--seed <n>', 'seed of the weights and of the samples', nonNegativeInt, DEFAULT_SEED)
    .option(
      '--validation <f>',
      'held-out fraction at the end of the corpus (0: none, nothing is scored)',
      fraction,
      DEFAULT_VALIDATION,
    )
    .option(
      '--markov-order <k>',
      `order of the Markov baseline (${min}..${max})`,
      intInRange(min, max),
      DEFAULT_MARKOV_ORDER,
    )
    .addOption(
      new Option('--backend <name>', 'training implementation (auto: native where its addon was built, else wasm)')
        .choices([...BACKEND_CHOICES])
        .default(DEFAULT_BACKEND),
    )
    .option(
      '--threads <n>',
      'threads of the native backend (results do not depend on it)',
      positiveInt,
      availableParallelism(),
    )
    .option('--sample-length <n>', 'characters per sample', positiveInt, CADENCE_DEFAULTS.sampleLength)
    .option('--temperature <t>', 'sampling temperature', positiveNumber, CADENCE_DEFAULTS.temperature)
    .option('--prime <text>', `text fed to the RNN before it samples (default: ${DEFAULT_PRIME.run})`)
    .option('--json', 'print the result as one JSON object on stdout (progress stays on stderr)');
  checkpointFlags(withRun).addHelpText('after', TRAIN_HELP_AFTER).action(runTrainCommand);
}

async function runTrainCommand(flags: Omit<TrainOptions, 'knobs'>, cmd: Command): Promise<void> {
  const given: TrainOptions = { ...flags, knobs: knobsFromOptions(flags) };
  const resumed = given.resume === undefined ? null : resumeOptions(given, cmd);
  const opts = resumed ? resumed.opts : given;
  checkSaveOptions(opts);
  const loaded = await checkTrainInputs(opts);
  if (resumed) {
    checkTrainingText(resumed.ck, loaded.file.path, loaded.file.sha256); // the same text, by sha256
    checkTrainingCorpus(resumed.ck, loaded.corpus);
  }
  const result = runTraining(opts, loaded, resumed?.ck);
  printResult(opts, loaded, result);
  if (result.rnn.status !== 'done') process.exitCode = 1;
}

/** train's flags for checkpoints: where to save, how often, the best model, resuming. */
function checkpointFlags(cmd: Command): Command {
  return cmd
    .option('--save <path>', 'write the final checkpoint here (.safetensors; with --resume, default: the resumed file)')
    .option(
      '--save-best <path>',
      'write the model at its best curve score here (.safetensors), as a sweep\'s checkpoints.keep "best"',
    )
    .option('--checkpoint-every <chars>', 'also write the checkpoint every this many training characters', positiveInt)
    .option(
      '--resume <checkpoint>',
      'continue the run saved in this checkpoint, to --chars characters in all (default: its budget)',
    )
    .option(
      '--overwrite',
      "let --save replace another run's checkpoint (a file that is not a charlab checkpoint is never replaced)",
    );
}

/** train's flags for the curve's scores and early stopping. */
function curveFlags(cmd: Command): Command {
  return cmd
    .option(
      '--eval-every <chars>',
      'score the curve text every this many training characters (0: only at the end)',
      nonNegativeInt,
      CADENCE_DEFAULTS.evalEvery,
    )
    .option(
      '--eval-chars <n>',
      'the curve text: the whole held-out text if it has at most n characters, else its first n',
      positiveInt,
      CADENCE_DEFAULTS.evalChars,
    )
    .option('--patience <n>', 'early stopping: stop after n curve scores in a row without an improvement', positiveInt)
    .option(
      '--min-delta <bpc>',
      'early stopping: an improvement must lower the score by more than this (bits per character)',
      nonNegativeNumber,
      0,
    );
}

/**
 * --resume: the run's settings come from the checkpoint (given on the command line too, they are
 * refused); --chars is the budget in all (default: the run's); --save defaults to the checkpoint.
 */
function resumeOptions(
  given: TrainOptions,
  cmd: Command,
): { opts: TrainOptions; ck: Checkpoint & { run: RunSnapshot } } {
  const path = given.resume!;
  const settings = RESUMED.filter(
    (flag) => cmd.getOptionValueSource(cmd.options.find((o) => o.long === flag)!.attributeName()) === 'cli',
  );
  for (const flag of [...knobFlagsGiven(cmd), ...settings]) {
    throw new UsageError(`${flag} cannot be combined with --resume: the run keeps the settings saved in ${path}`);
  }
  const ck = openCheckpoint(path);
  const run = ck.run;
  if (run === null) throw new UsageError(`--resume ${path}: the checkpoint holds a model but no run to continue`);
  if (ck.markovOrder === null) throw new UsageError(`--resume ${path}: the checkpoint records no Markov order`);
  const chars = cmd.getOptionValueSource('chars') === 'cli' ? given.chars : run.budget;
  if (chars < run.chars)
    throw new UsageError(`--chars ${chars}: the run in ${path} has trained on ${run.chars} characters already`);
  const c = ck.config;
  const opts: TrainOptions = {
    ...given,
    corpus: given.corpus ?? ck.corpus.source,
    knobs: knobsOfConfig(c),
    seed: Number(c.seed),
    validation: ck.corpus.validation,
    corpusChars: ck.corpus.slice,
    markovOrder: ck.markovOrder,
    backend: ck.backend,
    chars,
    sampleLength: run.cadence.sampleLength,
    temperature: run.cadence.temperature,
    prime: run.cadence.prime,
    evalEvery: run.cadence.evalEvery,
    evalChars: run.cadence.evalChars,
    patience: run.cadence.earlyStopping?.patience,
    minDelta: run.cadence.earlyStopping?.minDelta ?? 0,
    save: given.save ?? path,
  };
  return { opts, ck: { ...ck, run } };
}

/** The model train's options describe. */
function trainConfig(opts: TrainOptions, vocabSize: number): RnnConfig {
  return configOfKnobs(opts.knobs, vocabSize, opts.seed);
}

/**
 * --save names a file that can be written, and replaces nothing charlab did not write: an existing
 * file must be a charlab checkpoint, and one of another run (anything but the --resume'd file,
 * updated in place) needs --overwrite. --checkpoint-every needs --save. Checked before training.
 */
function checkSaveOptions(opts: TrainOptions): void {
  if (opts.corpus === undefined) throw new UsageError("required option '--corpus <path>' not specified");
  if (opts.checkpointEvery !== undefined && opts.save === undefined)
    throw new UsageError('--checkpoint-every needs --save PATH (where to write the checkpoints)');
  if (opts.patience !== undefined && opts.evalEvery === 0)
    throw new UsageError('--patience: early stopping needs intermediate held-out scores: set --eval-every > 0');
  if (opts.patience !== undefined && opts.validation === 0)
    throw new UsageError('--patience: early stopping needs held-out text: --validation > 0');
  if (opts.save !== undefined && opts.saveBest !== undefined && resolve(opts.save) === resolve(opts.saveBest))
    throw new UsageError(`--save-best ${opts.saveBest}: the same file as --save`);
  for (const [flag, file] of [
    ['--save', opts.save],
    ['--save-best', opts.saveBest],
  ] as const) {
    if (file !== undefined) checkCheckpointOutput(flag, file, opts);
  }
}

/** A checkpoint output path: writable, and replacing only a charlab checkpoint (another run's only with --overwrite). */
function checkCheckpointOutput(flag: string, file: string, opts: TrainOptions): void {
  checkWritableFile(file, flag);
  const inPlace = opts.resume !== undefined && resolve(opts.resume) === resolve(file);
  if (inPlace || !existsSync(file)) return;
  checkReplaceable(file, isCheckpointFile, 'a charlab checkpoint', `Choose another ${flag} path`);
  if (!opts.overwrite) {
    throw new UsageError(
      `${flag} ${file}: the file holds another run's checkpoint; refusing to replace it without --overwrite ` +
        `(or continue that run with --resume ${file}, or choose another ${flag} path)`,
    );
  }
}

/** Everything that can be wrong, found before training: the corpus (blaming the option at fault), the prime, memory. */
async function checkTrainInputs(opts: TrainOptions): Promise<LoadedCorpus> {
  if (opts.prime === '') throw new UsageError('--prime: expected at least one character');
  let loaded: LoadedCorpus;
  try {
    loaded = await loadCorpus(
      { name: opts.corpus!, chars: opts.corpusChars },
      { baseDir: process.cwd(), validation: opts.validation, minTrainChars: opts.knobs.unroll + 1 },
    );
  } catch (err) {
    if (err instanceof CorpusError && err.shortfall === 'slice-too-long')
      throw new UsageError(`--corpus-chars ${opts.corpusChars}: ${err.message}`);
    if (err instanceof CorpusError && err.shortfall === 'train-too-short')
      throw new UsageError(`--unroll ${opts.knobs.unroll} needs a longer corpus: ${err.message}`);
    if (err instanceof CorpusError && err.shortfall === 'no-held-out')
      throw new UsageError(`--validation ${opts.validation} is too large for the corpus: ${err.message}`);
    throw err;
  }
  const { corpus, file } = loaded;
  checkPrime(opts.prime, corpus.vocab, '--prime', file.path);
  try {
    checkServes(opts.backend, trainConfig(opts, corpus.vocab.symbols.length));
    resolveBackend(opts.backend);
  } catch (err) {
    if (err instanceof Error) throw new UsageError(`--backend ${opts.backend}: ${err.message}`);
    throw err;
  }
  log(
    `corpus ${file.path}${file.slice ? ` (its first ${file.slice.chars} of ${file.slice.fileChars} characters)` : ''}: ${corpus.length} chars, ${corpus.vocab.symbols.length} symbols, ` +
      `${corpus.trainEnd} for training, ${corpus.length - corpus.trainEnd} held out`,
  );
  const tiny = heldOutWarning(corpus.length - corpus.trainEnd, `corpus ${file.path}`);
  if (tiny) log(tiny);
  checkTrainMemory(opts, corpus.vocab.symbols.length, corpus.trainEnd);
  return loaded;
}

/** Refuses a model or Markov baseline that cannot be held; warns about a large Markov model. */
function checkTrainMemory(opts: TrainOptions, vocabSize: number, trainChars: number): void {
  // The whole-training-text baseline is the larger of the two Markov models train builds.
  const run = {
    ...trainConfig(opts, vocabSize),
    backend: resolveBackend(opts.backend),
    markovOrder: opts.markovOrder,
    markovChars: trainChars,
  };
  const machine = totalmem();
  for (const p of memoryProblems(run, machine)) {
    const key = p.part === 'rnn' ? `--hidden ${opts.knobs.hiddenSize}` : `--markov-order ${opts.markovOrder}`;
    const what =
      p.part === 'rnn'
        ? `the ${run.backend} model (vocabulary ${vocabSize}, unroll ${opts.knobs.unroll})`
        : `the Markov model over ${trainChars} characters`;
    throw new UsageError(`${key}: ${what} needs about ${formatBytes(p.bytes)}, more than ${p.limit}`);
  }
  const mk = markovBytes(opts.markovOrder, vocabSize, trainChars);
  if (mk > MARKOV_WARN_BYTES) {
    log(
      `warning: --markov-order ${opts.markovOrder}: the Markov model may need up to ${formatBytes(mk)} and about ${Math.ceil(markovSeconds(opts.markovOrder, vocabSize, trainChars))} s to count`,
    );
  }
}

function runTraining(
  opts: TrainOptions,
  { corpus, file }: LoadedCorpus,
  resume?: Checkpoint & { run: RunSnapshot },
): { rnn: RunResult; baseline: BaselineResult; fullText: number | null; params: number; backend: Backend } {
  const config = trainConfig(opts, corpus.vocab.symbols.length);
  const backend = resolveBackend(opts.backend);
  const model = resume
    ? modelFromCheckpoint(resume, backend, { threads: opts.threads })
    : createModel(backend, config, undefined, { threads: opts.threads });
  const bar = trainBar(`${opts.knobs.cell} h${opts.knobs.hiddenSize} u${opts.knobs.unroll}`);
  const cadence: Cadence = resume?.run.cadence ?? trainCadence(opts);
  const ctx = {
    vocab: corpus.vocab.symbols,
    corpus: corpusRecordOf({ corpus, file }, opts.validation),
    markovOrder: opts.markovOrder,
  };
  const { save, saveBest } = opts;
  const saveTo = (path: string) => (run: RunSnapshot) =>
    saveCheckpoint(path, checkpointOf(model, backend, { ...ctx, run }));
  const onSnapshot = save === undefined ? undefined : saveTo(save);
  const onScore = saveBest === undefined ? undefined : bestKeeper(saveTo(saveBest), resume?.run);
  const run = {
    budget: opts.chars,
    cadence,
    markovOrder: opts.markovOrder,
    markovSample: { length: opts.sampleLength, seed: opts.seed },
  };
  const callbacks = { onProgress: bar.update, onSnapshot, onScore };
  const { rnn, markov: baseline } = trainWithBaseline(model, corpus, run, callbacks, {
    saveEvery: opts.checkpointEvery ?? 0,
    resume: resume?.run,
  });
  bar.stop();
  if (save !== undefined)
    log(
      rnn.status === 'done' ? `checkpoint saved: ${save}` : `the run diverged: no final checkpoint written to ${save}`,
    );
  if (saveBest !== undefined && rnn.best)
    log(`best checkpoint (curve score ${rnn.best.valBpc.toFixed(4)} at ${rnn.best.chars} characters): ${saveBest}`);
  if (rnn.stoppedEarly)
    log(
      `stopped early at ${rnn.chars} characters: ${cadence.earlyStopping!.patience} curve score(s) in a row without an improvement`,
    );
  // The same-characters baseline is the fair comparison; the whole-training-text one is the
  // reference figure the corpus README quotes (about 2.07 at order 4 on holmes).
  const fullText =
    baseline.trainChars < corpus.trainEnd
      ? markovBaseline(corpus, corpus.trainEnd, opts.markovOrder, { length: 1, seed: opts.seed }).valBpc
      : baseline.valBpc;
  return { rnn, baseline, fullText, params: parameterCount(config), backend };
}

/** The run's cadence from train's options (curve text, early stopping, samples). */
function trainCadence(opts: TrainOptions): Cadence {
  const { evalEvery, evalChars, sampleLength, temperature, prime, patience, minDelta } = opts;
  return {
    ...DEFAULT_CADENCE,
    evalEvery,
    evalChars,
    sampleLength,
    temperature,
    prime,
    ...(patience === undefined ? {} : { earlyStopping: { patience, minDelta } }),
  };
}

function printResult(opts: TrainOptions, { file }: LoadedCorpus, done: ReturnType<typeof runTraining>): void {
  const { rnn: result, baseline, fullText } = done;
  const out = {
    corpus: file.path,
    corpusChars: file.slice?.chars ?? null,
    backend: done.backend,
    isa: backendIsa(done.backend),
    threads: done.backend === 'native' ? opts.threads : 1,
    ...opts.knobs,
    seed: opts.seed,
    params: done.params,
    bestValBpc: result.best?.valBpc ?? null,
    bestValChars: result.best?.chars ?? null,
    curveValChars: result.curveChars,
    stoppedEarly: result.stoppedEarly,
    status: result.status,
    valBpc: result.valBpc,
    markovValBpc: baseline.valBpc,
    markovOrder: baseline.order,
    markovTrainChars: baseline.trainChars,
    markovFullTextValBpc: fullText,
    chars: result.chars,
    iterations: result.iterations,
    charsPerSec: result.charsPerSec,
    trainSeconds: result.trainSeconds,
    smoothLossPerChar: result.smoothLossPerChar,
    divergedAt: result.divergedAt,
    wrapped: result.wrapped,
    rnnSample: result.finalSample,
    markovSample: baseline.sample,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`); // JSON escapes control characters itself
    return;
  }
  const f = (x: number | null) => (x === null ? 'not measured' : x.toFixed(3));
  const primed = opts.prime === undefined ? '' : `, after the prime ${JSON.stringify(opts.prime)}`;
  const lines = [
    '',
    `--- RNN sample (temperature ${opts.temperature}${primed}) ---`,
    result.finalSample,
    '',
    `--- Markov order-${baseline.order} sample ---`,
    baseline.sample,
    '',
    `status               ${result.status}${result.divergedAt ? ` at iteration ${result.divergedAt}` : ''}`,
    `held-out bits/char   rnn ${f(result.valBpc)}   markov ${f(baseline.valBpc)} (same ${baseline.trainChars} chars)   markov on the whole training text ${f(fullText)}`,
    `smooth loss/char     ${f(result.smoothLossPerChar)} nats (${f(result.smoothLossPerChar / Math.LN2)} bits)`,
    `training             ${result.chars} chars, ${result.iterations} iterations, ${Math.round(result.charsPerSec)} chars/s on ${out.backend} (${out.isa}${out.backend === 'native' ? `, ${out.threads} thread(s)` : ''})`,
  ];
  if (result.valBpc === null && baseline.valBpc === null)
    lines.push('(--validation 0: nothing held out, nothing scored)');
  process.stdout.write(`${escapeForTerminal(lines.join('\n'))}\n`);
}
