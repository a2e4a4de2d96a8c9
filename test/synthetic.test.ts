/**
 * Both models on a source whose entropy rate is known exactly: a random order-2 Markov chain over
 * five symbols. Held-out bits per character can't go below the entropy rate (up to sampling noise
 * of the held-out estimate), and a model that has learned the source gets close to it.
 */
import { describe, expect, test } from 'vitest';
import { prepareCorpus } from '../src/corpus/index.js';
import { ReferenceModel } from '../src/model/reference.js';
import { markovBaseline } from '../src/train/baseline.js';
import { trainRun, DEFAULT_CADENCE } from '../src/train/run.js';
import { generate, randomOrder2Source } from './helpers/synthetic.js';

const source = randomOrder2Source(5, 'source-1', 1.5);
const text = generate(source, 200_000, 'text-1');
// 20,000 held-out symbols: the per-symbol log-loss has a standard deviation of about 1 bit, so the
// held-out estimate itself is uncertain by about 1/sqrt(20000) ≈ 0.007 bits (1σ).
const corpus = prepareCorpus(text, 'synthetic', { validation: 0.1, minTrainChars: 17 });

describe('synthetic order-2 source with a known entropy rate', () => {
  test('the source is non-trivial', () => {
    expect(source.entropyRate).toBeGreaterThan(1.0);
    expect(source.entropyRate).toBeLessThan(Math.log2(5) - 0.2);
  });

  test('Kneser–Ney order 2 reaches the entropy rate within 0.03 bits', () => {
    // 180,000 training symbols for 25 contexts × 5 outcomes: estimation error is far below
    // 0.01 bits, so the budget is the held-out noise (≈ 4σ) plus KN's discounting.
    const { valBpc } = markovBaseline(corpus, corpus.trainEnd, 2, { length: 10, seed: 1 });
    expect(Math.abs(valBpc! - source.entropyRate)).toBeLessThan(0.03);
  });

  test('Kneser–Ney order 4 does not overfit much either (more context, nothing more to learn)', () => {
    const { valBpc } = markovBaseline(corpus, corpus.trainEnd, 4, { length: 10, seed: 1 });
    expect(valBpc).toBeGreaterThan(source.entropyRate - 0.03);
    expect(valBpc! - source.entropyRate).toBeLessThan(0.06);
  });

  test('the reference RNN approaches the entropy rate', () => {
    const model = new ReferenceModel({
      vocabSize: 5,
      hiddenSize: 32,
      unroll: 16,
      learningRate: 0.05,
      clip: 5,
      seed: 1,
    });
    const result = trainRun(model, corpus, 360_000, { ...DEFAULT_CADENCE, evalEvery: 0 });
    expect(result.status).toBe('done');
    const gap = result.valBpc! - source.entropyRate;
    // Never meaningfully below the rate (held-out noise only), and within 0.05 bits of it after two
    // passes: an order-2 dependency needs only the last two inputs, which a 32-unit tanh RNN holds.
    expect(gap).toBeGreaterThan(-0.03);
    expect(gap).toBeLessThan(0.05);
  });
});
