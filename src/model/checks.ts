/**
 * Input checks shared by every backend, so the Float64 oracle refuses exactly what the fast path
 * refuses (a RangeError naming the value and the bound), before anything is read or written.
 */
import type { Params, RnnConfig } from './types.js';

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

export function checkConfig(config: RnnConfig): void {
  positiveInt('vocabSize', config.vocabSize);
  positiveInt('hiddenSize', config.hiddenSize);
  positiveInt('unroll', config.unroll);
  if (!(config.clip > 0)) throw new RangeError(`clip must be positive, got ${config.clip}`);
  if (!(config.learningRate > 0)) throw new RangeError(`learningRate must be positive, got ${config.learningRate}`);
}

/** Every parameter array has the size of an H-hidden, V-symbol RNN. */
export function checkParams(p: Params, H: number, V: number): void {
  const want: [keyof Params, number][] = [
    ['Wxh', H * V],
    ['Whh', H * H],
    ['Why', V * H],
    ['bh', H],
    ['by', V],
  ];
  for (const [name, size] of want) {
    if (p[name].length !== size) throw new RangeError(`parameter ${name} has ${p[name].length} elements, expected ${size}`);
  }
}

/** data[from .. from+n) are all symbol ids of a V-symbol vocabulary. */
export function checkSymbols(data: ArrayLike<number>, from: number, n: number, V: number): void {
  for (let i = from; i < from + n; i++) {
    const x = data[i];
    if (!(Number.isInteger(x) && x >= 0 && x < V)) {
      throw new RangeError(`symbol id ${x} at position ${i} is outside the vocabulary (size ${V})`);
    }
  }
}

/** A chunk: inputs data[start .. start+len), targets data[start+1 .. start+len], 1 <= len <= unroll, valid ids. */
export function checkChunk(data: Int32Array, start: number, len: number, unroll: number, V: number): void {
  if (!Number.isInteger(len) || len < 1 || len > unroll) {
    throw new RangeError(`chunk length must be an integer in [1, ${unroll}], got ${len}`);
  }
  if (!Number.isInteger(start) || start < 0 || start + len >= data.length) {
    throw new RangeError(`chunk [${start}, ${start + len}] does not fit data of length ${data.length}`);
  }
  checkSymbols(data, start, len + 1, V);
}

/** A held-out range: predicts data[start .. end) from data[start-1 .. end-1). */
export function checkEvalRange(data: Int32Array, start: number, end: number, V: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end > data.length || end <= start) {
    throw new RangeError(`evaluation range [${start}, ${end}) must satisfy 1 <= start < end <= ${data.length}`);
  }
  checkSymbols(data, start - 1, end - start + 1, V);
}

/** A priming sequence of at least one valid symbol and a positive temperature. */
export function checkSample(prime: ArrayLike<number>, temperature: number, V: number): void {
  if (prime.length < 1) throw new RangeError('sample needs at least one priming symbol');
  if (!(temperature > 0)) throw new RangeError(`temperature must be positive, got ${temperature}`);
  for (let i = 0; i < prime.length; i++) {
    const x = prime[i];
    if (!(Number.isInteger(x) && x >= 0 && x < V)) throw new RangeError(`priming symbol ${x} is outside the vocabulary (size ${V})`);
  }
}

/** An incoming hidden state of H values. */
export function checkHidden(h: Float64Array, H: number): void {
  if (h.length !== H) throw new RangeError(`hidden state has ${h.length} values, expected ${H}`);
}
