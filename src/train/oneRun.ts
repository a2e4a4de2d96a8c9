/**
 * One run as charlab trains it, the one home of "train, then the Markov baseline on what was read":
 * the RNN for its budget (src/train/run.ts), then the order-k Markov baseline on exactly the
 * characters it read — every stream's part, up to where early stopping stopped it (src/train/baseline.ts).
 * `charlab train` and the sweep's worker both call it, each with the model it made (fresh, or
 * continued from a checkpoint) and its own callbacks.
 */
import type { Corpus } from '../corpus/index.js';
import type { CharModel } from '../model/types.js';
import { markovBaselineOn, seenRangesFor, type BaselineResult, type Range } from './baseline.js';
import { trainRun, type Cadence, type RunCallbacks, type RunOptions, type RunResult } from './run.js';

export interface OneRun {
  /** Training characters in all (a resumed run counts what it read before). */
  budget: number;
  cadence: Cadence;
  markovOrder: number;
  /** The baseline's sample: its length and the seed it is drawn with. */
  markovSample: { length: number; seed: string | number };
}

/** Baselines already computed, by the stretches of text and the order (a worker's runs share them). */
export type BaselineCache = Map<string, BaselineResult>;

export function trainWithBaseline(
  model: CharModel,
  corpus: Corpus,
  run: OneRun,
  callbacks: RunCallbacks = {},
  options: RunOptions = {},
  cache?: BaselineCache,
): { rnn: RunResult; markov: BaselineResult } {
  const rnn = trainRun(model, corpus, run.budget, run.cadence, callbacks, options);
  const read = rnn.stoppedEarly ? rnn.chars : run.budget;
  const ranges = seenRangesFor(corpus, model.config.unroll, read, model.config.batch ?? 1);
  return { rnn, markov: baselineOf(corpus, ranges, run, cache) };
}

function baselineOf(corpus: Corpus, ranges: Range[], run: OneRun, cache?: BaselineCache): BaselineResult {
  const key = `${JSON.stringify(ranges)}:${run.markovOrder}`;
  const known = cache?.get(key);
  if (known) return known;
  const markov = markovBaselineOn(corpus, ranges, run.markovOrder, run.markovSample);
  cache?.set(key, markov);
  return markov;
}
