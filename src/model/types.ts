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

/** Loss and raw (unclipped) gradients of one chunk: min-char-rnn's lossFun. */
export interface LossAndGradients {
  loss: number; // nats, summed over the chunk
  grads: Params; // a copy owned by the caller
}

/**
 * What every training backend (the Float64 reference, the WebAssembly SIMD fast path) offers.
 * A chunk is data[start .. start+len) as inputs and data[start+1 .. start+len+1) as targets
 * (1 <= len <= unroll). Every backend refuses the same bad input (src/model/checks.ts).
 *
 * Temperature, in every backend: symbols are drawn from softmax(y / T), computed as
 * exp((y - max y)·(1/T)) / Σ. (This equals p^(1/T) renormalised, p = softmax(y); T < 1 sharpens,
 * T > 1 flattens, T = 1 is the model's own distribution, bit for bit.)
 */
export interface CharModel {
  readonly config: RnnConfig;
  /** Forward, backward, clip and Adagrad update over one chunk; carries the hidden state. Returns the chunk loss in nats. */
  trainChunk(data: Int32Array, start: number, len: number): number;
  /**
   * Loss and raw gradients of one chunk from the hidden state hPrev, computed by the same code as
   * trainChunk; changes no parameter and not the carried hidden state.
   */
  lossAndGradients(data: Int32Array, start: number, len: number, hPrev: Float64Array): LossAndGradients;
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
