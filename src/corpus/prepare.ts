import { CorpusError } from '../errors.js';
import { DEFAULT_VALIDATION, splitPoint } from './split.js';
import { buildVocab, encode, type Vocab } from './vocab.js';

/** A corpus ready for training: the whole text encoded, with the held-out tail marked. */
export interface Corpus {
  /** Where the text came from (a path or a corpus name); used in error messages and records. */
  source: string;
  /** Vocabulary over the WHOLE text, training and held-out parts alike. */
  vocab: Vocab;
  /** One id per code point of the text. */
  ids: Int32Array;
  /** ids[0, trainEnd) is for training, ids[trainEnd, length) is held out for validation. */
  trainEnd: number;
  /** ids.length (number of code points). */
  length: number;
}

export interface PrepareOptions {
  /** Fraction held out at the end of the text, in [0, 1); 0 holds nothing out. Default 0.05. */
  validation?: number;
  /** Fewest characters the training part may have; callers pass unroll + 1. Default 2. */
  minTrainChars?: number;
}

/**
 * Encodes `text` and splits it (see splitPoint). Throws CorpusError(source, ...) if the text is
 * empty, if the training part is shorter than `minTrainChars`, or if `validation` > 0 but the
 * held-out part gets no characters.
 */
export function prepareCorpus(text: string, source: string, opts: PrepareOptions = {}): Corpus {
  const validation = opts.validation ?? DEFAULT_VALIDATION;
  const minTrainChars = opts.minTrainChars ?? 2;
  if (text.length === 0) throw new CorpusError(source, 'is empty (no characters)');
  const vocab = buildVocab(text);
  const ids = encode(text, vocab);
  const length = ids.length;
  const trainEnd = splitPoint(length, validation);
  const heldOut = length - trainEnd;
  if (trainEnd < minTrainChars) {
    const held = heldOut > 0 ? ` (${length} in all, the last ${heldOut} held out for validation)` : '';
    throw new CorpusError(
      source,
      `too short: the training part has ${trainEnd} characters${held}, ` +
        `fewer than the ${minTrainChars} needed (one unroll plus one character)`,
      'train-too-short',
    );
  }
  if (validation > 0 && heldOut === 0) {
    throw new CorpusError(
      source,
      `holding out ${validation} of its ${length} characters for validation leaves none ` +
        `(it needs at least ${minLengthForValidation(validation)} characters; or set validation to 0: no held-out score)`,
      'no-held-out',
    );
  }
  return { source, vocab, ids, trainEnd, length };
}

/** Smallest n with Math.floor(n * validation) >= 1 (validation in (0, 1)). */
function minLengthForValidation(validation: number): number {
  let n = Math.max(1, Math.ceil(1 / validation));
  while (Math.floor(n * validation) < 1) n++;
  while (n > 1 && Math.floor((n - 1) * validation) >= 1) n--;
  return n;
}
