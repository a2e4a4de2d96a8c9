/**
 * What a sweep checks once the experiment file has parsed and before anything is written: that its
 * corpus can be read and is long enough (blaming the setting at fault), that the sampling prime is
 * in the corpus's alphabet, and that the largest run and its Markov model fit in memory. Everything
 * here throws UsageError (exit 2) naming the experiment file and the key; warnings go to onNotice.
 */
import { availableParallelism, totalmem } from 'node:os';
import { checkPrime } from '../corpus/index.js';
import { loadCorpus, type CorpusAccess, type LoadedCorpus } from '../data/corpus.js';
import { CorpusError, UsageError } from '../errors.js';
import {
  formatBytes,
  markovBytes,
  markovSeconds,
  MARKOV_WARN_BYTES,
  memoryProblems,
  referenceBytes,
  rnnBytes,
  wasmLinearBytes,
} from '../train/memory.js';
import { checkServes, resolveBackend, type Backend } from '../backend/index.js';
import { modelConfig, planRuns, runsOf, type RunSpec } from './grid.js';
import { adaptiveSpace, spaceCorners } from './search/spaceCorners.js';
import type { Experiment } from '../results/schema.js';

/** The experiment's corpus, encoded and split; a corpus error names the key it comes from. */
export async function loadExperimentCorpus(
  experiment: Experiment,
  expPath: string,
  baseDir: string,
  access?: CorpusAccess,
): Promise<LoadedCorpus> {
  const maxUnroll = Math.max(...planRuns(experiment).map((r) => r.unroll));
  let loaded: LoadedCorpus;
  try {
    loaded = await loadCorpus(
      experiment.corpus,
      { baseDir, validation: experiment.validation, minTrainChars: maxUnroll + 1 },
      access,
    );
  } catch (err) {
    if (err instanceof CorpusError && err.shortfall === 'train-too-short') {
      throw new UsageError(`${expPath}: grid.unroll: ${maxUnroll} needs a longer corpus: ${err.path}: ${err.detail}`);
    }
    if (err instanceof CorpusError && err.shortfall === 'slice-too-long') {
      throw new UsageError(`${expPath}: corpus.chars: ${err.path}: ${err.detail}`);
    }
    if (err instanceof CorpusError && err.shortfall === 'no-held-out') {
      throw new UsageError(
        `${expPath}: validation: ${experiment.validation} is too large for the corpus: ${err.path}: ${err.detail}`,
      );
    }
    if (err instanceof CorpusError) throw new UsageError(`${expPath}: corpus: ${err.path}: ${err.detail}`);
    if (err instanceof UsageError) throw new UsageError(`${expPath}: corpus: ${err.message}`);
    throw err;
  }
  checkPrime(experiment.samples.prime, loaded.corpus.vocab, `${expPath}: samples.prime`, loaded.file.path);
  return loaded;
}

/**
 * The backend the experiment's runs use here: its "backend" resolved ("auto": native where the
 * addon loads, else wasm); asking for native where it does not load is a UsageError saying why.
 */
export function resolvedBackend(experiment: Experiment, expPath: string): Backend {
  try {
    return resolveBackend(experiment.backend);
  } catch (err) {
    throw new UsageError(
      `${expPath}: backend "${experiment.backend}": ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Every run's model is one the backend trains (every backend serves every configuration the schema accepts). */
function checkRunsServed(experiment: Experiment, runs: RunSpec[], vocabSize: number, expPath: string): void {
  for (const r of runs) {
    try {
      checkServes(experiment.backend, modelConfig(r, vocabSize));
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(`${expPath}: run ${r.id}: ${err.message}`);
      throw err;
    }
  }
}

/**
 * Refuses a grid whose largest run cannot be held (the RNN on its backend: machine memory or the
 * 4 GiB WebAssembly address space; the Markov model: machine memory), warns when the runs in flight
 * together may exceed the machine's memory or the Markov model is large, and when more workers than
 * cores are asked for.
 */
export function checkExperimentResources(
  experiment: Experiment,
  corpus: { vocabSize: number; trainChars: number },
  expPath: string,
  workers: number,
  onNotice: (msg: string) => void = () => {},
  machineBytes = totalmem(),
): void {
  // A TPE search suggests most of its configurations later: its space's largest corners are checked now.
  const runs = [...planRuns(experiment), ...runsOf(spaceCorners(experiment), experiment.seeds.slice(0, 1))];
  checkRunsServed(experiment, runs, corpus.vocabSize, expPath);
  const backend = resolvedBackend(experiment, expPath);
  const shape = largestRun(runs, corpus.vocabSize, backend);
  // The Markov model counts what the RNN read: the budget (plus one target), at most the training text.
  const markovChars = Math.min(experiment.budget.chars + 1, corpus.trainChars);
  const order = experiment.markov.order;
  const problems = memoryProblems({ ...shape, backend, markovOrder: order, markovChars }, machineBytes);
  for (const p of problems) {
    const space = experiment.search?.method === 'random' ? 'search.space' : (adaptiveSpace(experiment)?.key ?? 'grid');
    const key = p.part === 'rnn' ? `${space}.hiddenSize: ${shape.hiddenSize}` : `markov.order: ${order}`;
    const what =
      p.part === 'rnn'
        ? `a ${backend} run ${shape.id} (vocabulary ${corpus.vocabSize})`
        : `the order-${order} Markov model over ${markovChars} characters`;
    throw new UsageError(`${expPath}: ${key}: ${what} needs about ${formatBytes(p.bytes)}, more than ${p.limit}`);
  }
  const mk = markovBytes(order, corpus.vocabSize, markovChars);
  if (mk > MARKOV_WARN_BYTES) {
    onNotice(
      `warning: ${expPath}: markov.order ${order}: each Markov model may need up to ${formatBytes(mk)} and about ${Math.ceil(markovSeconds(order, corpus.vocabSize, markovChars))} s to count`,
    );
  }
  const rnn = rnnBytes(shape, backend);
  if (workers > 1 && workers * (rnn + mk) > machineBytes) {
    onNotice(
      `warning: ${workers} runs in flight may need up to ${formatBytes(workers * (rnn + mk))}, more than the machine's ${formatBytes(machineBytes)}; consider fewer --workers`,
    );
  }
  warnWorkers(workers, onNotice);
}

/** The run whose model needs the most memory on the backend, as a shape for src/train/memory.ts. */
function largestRun(runs: RunSpec[], vocabSize: number, backend: Backend) {
  const shapes = runs.map((r) => ({ ...modelConfig(r, vocabSize), id: r.id }));
  const bytes = (s: (typeof shapes)[number]) => (backend === 'reference' ? referenceBytes(s) : wasmLinearBytes(s));
  return shapes.reduce((a, b) => (bytes(b) > bytes(a) ? b : a));
}

/** Warns when more worker threads than cores are asked for (they only share the cores). */
export function warnWorkers(workers: number, onNotice: (msg: string) => void, cores = availableParallelism()): void {
  if (workers > cores) {
    onNotice(
      `warning: ${workers} workers on ${cores} core(s): the runs will share the cores, each slower, nothing gained`,
    );
  }
}

/** Warns when workers × threads per run (asked for: the default never does) exceed the cores. */
export function warnThreads(
  workers: number,
  threads: number,
  backend: Backend,
  onNotice: (msg: string) => void,
  cores = availableParallelism(),
): void {
  if (backend === 'native' && threads > 1 && workers * threads > cores) {
    onNotice(
      `warning: ${workers} workers × ${threads} threads on ${cores} core(s): the threads will wait for each other; consider --threads ${Math.max(1, Math.floor(cores / workers))}`,
    );
  }
}
