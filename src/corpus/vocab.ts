import { UsageError } from '../errors.js';

/**
 * A character vocabulary. Symbols are Unicode code points (not UTF-16 code units), so a
 * character outside the Basic Multilingual Plane (an emoji such as '🦊') is one symbol, while
 * a base letter followed by a combining mark ('e' + U+0301) is two.
 */
export interface Vocab {
  /** Distinct code points in ascending numeric order; the id of a symbol is its position here. */
  symbols: number[];
  /** Code point -> id (the inverse of `symbols`). */
  index: Map<number, number>;
}

/** Visits every code point of `text` in order (surrogate pairs are one code point; a lone surrogate is its own). */
function forEachCodePoint(text: string, visit: (cp: number) => void): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++; // a surrogate pair occupies two UTF-16 units
    visit(cp);
  }
}

/** Number of code points in `text`. */
export function codePointLength(text: string): number {
  let count = 0;
  forEachCodePoint(text, () => count++);
  return count;
}

/** The vocabulary of `text`: its distinct code points, sorted ascending. */
export function buildVocab(text: string): Vocab {
  const seen = new Set<number>();
  forEachCodePoint(text, (cp) => seen.add(cp));
  const symbols = [...seen].sort((a, b) => a - b);
  return vocabFromSymbols(symbols);
}

/**
 * Rebuilds a vocabulary from its symbol list (e.g. one stored with a checkpoint).
 * The list must hold distinct, valid code points in ascending order.
 */
export function vocabFromSymbols(symbols: readonly number[]): Vocab {
  const index = new Map<number, number>();
  for (let i = 0; i < symbols.length; i++) {
    const cp = symbols[i];
    if (!Number.isInteger(cp) || cp < 0 || cp > 0x10ffff) {
      throw new RangeError(`vocabulary symbol ${i} is not a code point: ${cp}`);
    }
    if (i > 0 && cp <= symbols[i - 1]) {
      throw new RangeError('vocabulary symbols must be distinct and in ascending order');
    }
    index.set(cp, i);
  }
  return { symbols: [...symbols], index };
}

function describeCodePoint(cp: number): string {
  const hex = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  return cp >= 32 && cp !== 127 && !(cp >= 0xd800 && cp <= 0xdfff) ? `'${String.fromCodePoint(cp)}' (${hex})` : hex;
}

/**
 * One id per code point of `text`. Throws a UsageError naming the character if `text` holds a
 * symbol the vocabulary does not know (e.g. a priming string with a character the corpus lacks).
 */
export function encode(text: string, vocab: Vocab): Int32Array {
  const out = new Int32Array(codePointLength(text));
  let k = 0;
  forEachCodePoint(text, (cp) => {
    const id = vocab.index.get(cp);
    if (id === undefined) {
      throw new UsageError(`character ${describeCodePoint(cp)} is not in the vocabulary`);
    }
    out[k++] = id;
  });
  return out;
}

/** The text of a sequence of ids. Throws a RangeError for an id outside the vocabulary. */
export function decode(ids: ArrayLike<number>, vocab: Vocab): string {
  const { symbols } = vocab;
  const parts: string[] = [];
  const CHUNK = 8192; // String.fromCodePoint(...args) is limited by the maximum argument count
  const buf: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const cp = symbols[id];
    if (cp === undefined || !Number.isInteger(id)) {
      throw new RangeError(`id ${id} at position ${i} is outside the vocabulary (size ${symbols.length})`);
    }
    buf.push(cp);
    if (buf.length === CHUNK) {
      parts.push(String.fromCodePoint(...buf));
      buf.length = 0;
    }
  }
  if (buf.length > 0) parts.push(String.fromCodePoint(...buf));
  return parts.join('');
}
