/**
 * The Markov baseline of a run: an order-k Kneser–Ney model trained on exactly the characters the
 * RNN read (the training text once, even when the RNN's budget wrapped around it), scored on the
 * same held-out text, plus an article-style sample.
 */
import { decode, type Corpus } from '../corpus/index.js';
import { MarkovModel } from '../markov/markov.js';
import { makeRng } from '../util/rng.js';
import { readEnd } from './chunks.js';

export interface BaselineResult {
  order: number;
  /** Training characters the model counted: ids[0 .. trainChars). */
  trainChars: number;
  /** null when nothing is held out (validation 0). */
  valBpc: number | null;
  sample: string;
}

export function markovBaseline(
  corpus: Corpus,
  seenEnd: number,
  order: number,
  sample: { length: number; seed: string | number },
): BaselineResult {
  const trainChars = Math.min(seenEnd, corpus.trainEnd);
  const model = MarkovModel.train(corpus.ids, 0, trainChars, { order, vocabSize: corpus.vocab.symbols.length });
  const bpc = corpus.length > corpus.trainEnd ? model.evaluate(corpus.ids, corpus.trainEnd, corpus.length).bpc : null;
  const rng = makeRng(`markov-sample:${sample.seed}`);
  const prime = corpus.ids.subarray(Math.max(0, trainChars - order), trainChars);
  const text = decode(model.sample(prime, sample.length, rng), corpus.vocab);
  return { order, trainChars, valBpc: bpc, sample: text };
}

/** Where the RNN's reading ends for a budget: the whole training text if the budget wraps, else budget + 1. */
export function seenEndFor(corpus: Corpus, unroll: number, budget: number): number {
  return readEnd(corpus.trainEnd, unroll, budget);
}
