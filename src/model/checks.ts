/**
 * Input checks shared by every backend, so the Float64 oracle refuses exactly what the fast path
 * refuses (a RangeError naming the value and the bound), before anything is read or written.
 */
import { isCellName } from './cells/index.js';
import { OPTIMIZER_NAMES } from '../optim/optimizers.js';
import { INIT_NAMES, type FullConfig, type Params, type RnnConfig, type Tensors } from './types.js';

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

/** The knobs of the model ladder (src/model/types.ts), beyond min-char-rnn's. */
export function checkModelConfig(config: RnnConfig): void {
  checkConfig(config);
  const { cell, layers, dropout, forgetBias, optimizer, clipNorm, batch } = config;
  if (cell !== undefined && !isCellName(cell))
    throw new RangeError(`cell must be one of rnn, gru, lstm, got ${String(cell)}`);
  if (layers !== undefined && !(Number.isInteger(layers) && layers >= 1 && layers <= 3))
    throw new RangeError(`layers must be 1, 2 or 3, got ${layers}`);
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1))
    throw new RangeError(`dropout must be in [0, 1), got ${dropout}`);
  if (forgetBias !== undefined && !Number.isFinite(forgetBias))
    throw new RangeError(`forgetBias must be a finite number, got ${forgetBias}`);
  if (optimizer !== undefined && !OPTIMIZER_NAMES.includes(optimizer)) {
    throw new RangeError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(optimizer)}`);
  }
  if (clipNorm !== undefined && !(clipNorm >= 0))
    throw new RangeError(`clipNorm must be >= 0 (0: off), got ${clipNorm}`);
  if (batch !== undefined) positiveInt('batch', batch);
  const { lrDecay, lrDecayAfter, init } = config;
  if (init !== undefined && !INIT_NAMES.includes(init))
    throw new RangeError(`init must be one of ${INIT_NAMES.join(', ')}, got ${String(init)}`);
  if (lrDecay !== undefined && !(lrDecay > 0 && lrDecay <= 1))
    throw new RangeError(`lrDecay must be in (0, 1] (1: constant), got ${lrDecay}`);
  if (lrDecayAfter !== undefined && !(Number.isInteger(lrDecayAfter) && lrDecayAfter >= 0))
    throw new RangeError(`lrDecayAfter must be an integer >= 0, got ${lrDecayAfter}`);
  for (const key of ['inputDropout', 'outputDropout'] as const) {
    const p = config[key];
    if (p !== undefined && !(p >= 0 && p < 1)) throw new RangeError(`${key} must be in [0, 1), got ${p}`);
  }
  const { weightDecay } = config;
  if (weightDecay !== undefined && !(weightDecay >= 0 && Number.isFinite(weightDecay)))
    throw new RangeError(`weightDecay must be a finite number >= 0 (0: off), got ${weightDecay}`);
}

/** `t` holds exactly the named tensors, each of the given size. */
export function checkTensors(what: string, t: Tensors, want: [string, number][]): void {
  for (const [name, size] of want) {
    const a = t[name];
    if (a === undefined) throw new RangeError(`${what} ${name} is missing`);
    if (a.length !== size) throw new RangeError(`${what} ${name} has ${a.length} elements, expected ${size}`);
  }
  const known = new Set(want.map(([n]) => n));
  for (const name of Object.keys(t))
    if (!known.has(name)) throw new RangeError(`${what} ${name} is not one of this model's (${[...known].join(', ')})`);
}

/** Every parameter array has the size of an H-hidden, V-symbol min-char-rnn. */
export function checkParams(p: Params, H: number, V: number): void {
  checkTensors('parameter', p, [
    ['Wxh', H * V],
    ['Whh', H * H],
    ['Why', V * H],
    ['bh', H],
    ['by', V],
  ]);
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

/** One chunk per stream: as many starts as streams, each a valid chunk. */
export function checkStarts(
  data: Int32Array,
  starts: ArrayLike<number>,
  len: number,
  config: FullConfig,
  V: number,
): void {
  if (starts.length !== config.batch)
    throw new RangeError(`expected ${config.batch} stream start(s), got ${starts.length}`);
  for (let b = 0; b < starts.length; b++) checkChunk(data, starts[b], len, config.unroll, V);
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
    if (!(Number.isInteger(x) && x >= 0 && x < V))
      throw new RangeError(`priming symbol ${x} is outside the vocabulary (size ${V})`);
  }
}

/** An incoming hidden state of n values. */
export function checkHidden(h: Float64Array, n: number): void {
  if (h.length !== n) throw new RangeError(`hidden state has ${h.length} values, expected ${n}`);
}
