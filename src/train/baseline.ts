/**
 * The Markov baseline of a run: an order-k Kneser–Ney model trained on exactly the characters the
 * RNN read (the training text once, even when the RNN's budget wrapped around it), scored on the
 * same held-out text, plus an article-style sample.
 */
import { decode, type Corpus } from '../corpus/index.js';
import { MarkovModel } from '../markov/markov.js';
import { makeRng } from '../util/rng.js';
import { readEnd, readRanges } from './chunks.js';

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
  return markovBaselineOn(corpus, [[0, Math.min(seenEnd, corpus.trainEnd)]], order, sample);
}

/** The baseline trained on the stretches of training text `ranges` (each read as a text of its own: B streams' parts). */
export function markovBaselineOn(
  corpus: Corpus,
  ranges: readonly Range[],
  order: number,
  sample: { length: number; seed: string | number },
): BaselineResult {
  const model = MarkovModel.trainRanges(corpus.ids, ranges, { order, vocabSize: corpus.vocab.symbols.length });
  const trainChars = ranges.reduce((n, [a, b]) => n + b - a, 0);
  const bpc = corpus.length > corpus.trainEnd ? model.evaluate(corpus.ids, corpus.trainEnd, corpus.length).bpc : null;
  const rng = makeRng(`markov-sample:${sample.seed}`);
  const last = ranges[ranges.length - 1][1];
  const prime = corpus.ids.subarray(Math.max(0, last - order), last);
  const text = decode(model.sample(prime, sample.length, rng), corpus.vocab);
  return { order, trainChars, valBpc: bpc, sample: text };
}

export type Range = readonly [number, number];

/** Where the RNN's reading ends for a budget: the whole training text if the budget wraps, else budget + 1. */
export function seenEndFor(corpus: Corpus, unroll: number, budget: number): number {
  return readEnd(corpus.trainEnd, unroll, budget);
}

/**
 * The stretches of training text a run reads for a budget: [0, seenEnd) with one stream; with B
 * streams each one's part as far as it reads (src/train/chunks.ts readRanges), touching parts merged.
 */
export function seenRangesFor(corpus: Corpus, unroll: number, budget: number, batch: number): Range[] {
  if (batch === 1) return [[0, Math.min(seenEndFor(corpus, unroll, budget), corpus.trainEnd)]];
  const merged: [number, number][] = [];
  for (const [a, b] of readRanges(corpus.trainEnd, unroll, budget, batch)) {
    const prev = merged[merged.length - 1];
    if (prev && prev[1] >= a) prev[1] = Math.max(prev[1], b);
    else merged.push([a, b]);
  }
  return merged;
}
