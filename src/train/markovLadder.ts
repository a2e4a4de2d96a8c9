/**
 * The ladder of Markov baselines: the held-out bpc of Kneser–Ney models of orders from..to, all
 * trained on the same characters, computed once per corpus and budget (not per run).
 *
 * Which characters: ids[0 .. min(budget + 1, trainEnd)) — the `budget` characters a run reads
 * from the start of the training text plus the target of the last one; with a budget that reaches
 * the end of the training text (budget + 1 ≥ trainEnd) the whole training text, once. This is
 * markovBaseline's rule (min(seenEnd, trainEnd), src/train/baseline.ts) whenever a run does not
 * wrap around the training text; a run whose budget stops less than one unroll before the end of
 * the text wraps and its own baseline counts the whole text, the ladder the budget + 1 characters.
 * Scored on the whole held-out text ids[trainEnd .. length), as every run's baseline is.
 *
 * Cost: one count structure of the highest order scores every order (MarkovModel.evaluate with a
 * lower order, bit for bit the lower-order model), so memory is that of one order-`to` model
 * (order 8 on holmes: ~360 MB) and time one count plus one scoring pass per order.
 */
import type { Corpus } from '../corpus/index.js';
import { MarkovModel } from '../markov/markov.js';

export interface LadderRange {
  from: number;
  to: number;
}

export interface LadderEntry {
  order: number;
  /** Training characters counted: ids[0 .. trainChars). */
  trainChars: number;
  /** Held-out characters scored: ids[trainEnd .. length). */
  valChars: number;
  valBpc: number;
  /** Seconds to count the order-`to` structure that every order is scored from (the same on every entry). */
  countS: number;
  /** Seconds to score this order on the held-out text. */
  scoreS: number;
}

/** The end of the training characters the ladder counts for a budget (see the file's comment). */
export function ladderTrainEnd(trainEnd: number, budget: number): number {
  return Math.min(budget + 1, trainEnd);
}

/** The ladder's entries, lowest order first; [] when nothing is held out (validation 0). */
export function markovLadder(corpus: Corpus, budget: number, range: LadderRange): LadderEntry[] {
  if (!(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 1 && range.from <= range.to)) {
    throw new RangeError(`markov ladder: expected 1 <= from <= to, got ${range.from}..${range.to}`);
  }
  const valChars = corpus.length - corpus.trainEnd;
  if (valChars <= 0) return [];
  const trainChars = ladderTrainEnd(corpus.trainEnd, budget);
  const t0 = performance.now();
  const model = MarkovModel.train(corpus.ids, 0, trainChars, {
    order: range.to,
    vocabSize: corpus.vocab.symbols.length,
  });
  const countS = (performance.now() - t0) / 1000;
  const out: LadderEntry[] = [];
  for (let order = range.from; order <= range.to; order++) {
    const t1 = performance.now();
    const { bpc } = model.evaluate(corpus.ids, corpus.trainEnd, corpus.length, order);
    out.push({ order, trainChars, valChars, valBpc: bpc, countS, scoreS: (performance.now() - t1) / 1000 });
  }
  return out;
}

/** The entry with the lowest held-out bpc (the lower order on a tie), or null. */
export function bestOrder<T extends { order: number; valBpc: number | null }>(entries: T[]): T | null {
  let best: T | null = null;
  for (const e of entries) if (e.valBpc !== null && (best === null || e.valBpc < (best.valBpc as number))) best = e;
  return best;
}
