import type { Rng } from '../util/rng.js';

/** Hyper-parameters of one character RNN, as plain data. Defaults are min-char-rnn's. */
export interface RnnConfig {
  vocabSize: number;
  hiddenSize: number; // reference: 100
  unroll: number; // seq_length, reference: 16
  learningRate: number; // reference: 0.1
  clip: number; // gradients clipped element-wise to [-clip, clip], reference: 5
  seed: string | number; // seeds the weight initialisation
}

export { RNN_DEFAULTS } from '../defaults.js';

/**
 * The five parameter arrays, row-major Float64:
 *   Wxh: H×V (element [i][j] at i*V + j), Whh: H×H, Why: V×H, bh: H, by: V.
 */
export interface Params {
  Wxh: Float64Array;
  Whh: Float64Array;
  Why: Float64Array;
  bh: Float64Array;
  by: Float64Array;
}

export const PARAM_NAMES = ['Wxh', 'Whh', 'Why', 'bh', 'by'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/** Score of a model on held-out text. */
export interface EvalResult {
  chars: number;
  nats: number; // total negative log-likelihood in nats
  bpc: number; // nats / chars / ln 2
}

/**
 * What every training backend (the Float64 reference, the WebAssembly SIMD fast path) offers.
 * A chunk is data[p .. p+len) as inputs and data[p+1 .. p+len+1) as targets (len <= unroll).
 */
export interface CharModel {
  readonly config: RnnConfig;
  /** Forward, backward, clip and Adagrad update over one chunk; carries the hidden state. Returns the chunk loss in nats. */
  trainChunk(data: Int32Array, p: number, len: number): number;
  /** Zero the carried hidden state (done when the data pointer wraps to the start). */
  resetHidden(): void;
  /**
   * Held-out score: predicts data[start .. end) with inputs data[start-1 .. end-1), the hidden state
   * carried from character to character, starting from the state in which training ended.
   * Leaves the training state untouched.
   */
  evaluate(data: Int32Array, start: number, end: number): EvalResult;
  /**
   * Sample n symbols: feed `prime` (at least one symbol) from the current training hidden state
   * (not modified), then draw each next symbol from softmax(y / temperature) and feed it back.
   */
  sample(prime: ArrayLike<number>, n: number, temperature: number, rng: Rng): Int32Array;
  /** A Float64 copy of the current parameters. */
  exportParams(): Params;
  /** A copy of the carried hidden state. */
  exportHidden(): Float64Array;
}
