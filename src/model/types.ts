import type { Rng, RngState } from '../util/rng.js';
import type { CellName } from './cells/index.js';
import type { OptimizerName } from '../optim/optimizers.js';

export type { OptimizerName };

/**
 * Hyper-parameters of one character model, as plain data. Defaults are min-char-rnn's; the
 * optional knobs (absent = MODEL_DEFAULTS) describe the rest of the ladder.
 */
export interface RnnConfig {
  vocabSize: number;
  hiddenSize: number; // reference: 100
  unroll: number; // seq_length, reference: 16
  learningRate: number; // reference: 0.1
  clip: number; // gradients clipped element-wise to [-clip, clip], reference: 5 (Infinity: off)
  seed: string | number; // seeds the weight initialisation (and the dropout masks)
  cell?: CellName; // 'rnn' (min-char-rnn's), 'gru', 'lstm'
  layers?: number; // stacked layers, 1..3
  dropout?: number; // dropout probability between stacked layers, in [0, 1)
  forgetBias?: number; // initial LSTM forget-gate bias
  optimizer?: OptimizerName;
  clipNorm?: number; // after value clipping, the gradient rescaled to this global L2 norm if larger (0: off)
  batch?: number; // parallel streams (char-rnn's loader), each with its own state
  lrDecay?: number; // char-rnn's schedule: lr × lrDecay after each epoch past lrDecayAfter (1: constant)
  lrDecayAfter?: number; // epochs at the full learning rate
  init?: InitName; // 'min-char-rnn': the cells' own initialisation (src/model/spec.ts); 'pytorch': every tensor U(±1/√H)
  inputDropout?: number; // dropout on the one-hot input: each character dropped (input 0) with this probability, in [0, 1)
  outputDropout?: number; // dropout on the top layer's h before the output layer (char-rnn's), in [0, 1)
  weightDecay?: number; // decoupled weight decay (AdamW's): every weight matrix × (1 − lr·weightDecay) per update; 0: off
}

export type InitName = 'min-char-rnn' | 'pytorch';
export const INIT_NAMES: readonly InitName[] = ['min-char-rnn', 'pytorch'];

import { MODEL_DEFAULTS, RNN_DEFAULTS } from '../defaults.js';
export { MODEL_DEFAULTS, RNN_DEFAULTS };

// The optional knobs' defaults must cover exactly the optional knobs.
MODEL_DEFAULTS satisfies Required<Omit<RnnConfig, keyof typeof RNN_DEFAULTS | 'vocabSize' | 'seed'>>;

/** A configuration with every knob present. */
export type FullConfig = Required<RnnConfig>;

export function withDefaults(config: RnnConfig): FullConfig {
  return { ...MODEL_DEFAULTS, ...config };
}

/** Named Float64 tensors (parameters, gradients, optimizer memory, state), row-major. */
export type Tensors = Record<string, Float64Array>;

/**
 * min-char-rnn's five parameter arrays, row-major Float64:
 *   Wxh: H×V (element [i][j] at i*V + j), Whh: H×H, Why: V×H, bh: H, by: V.
 */
export type Params = {
  Wxh: Float64Array;
  Whh: Float64Array;
  Why: Float64Array;
  bh: Float64Array;
  by: Float64Array;
};

/** Everything a model is: parameters, optimizer memory and carried state, by name (for export and import). */
export interface ModelState {
  params: Tensors;
  optimizer: Tensors;
  hidden: Tensors;
  /** The state of the model's own generators (the reference's dropout masks, when dropout > 0). */
  rng?: Record<string, RngState>;
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
  loss: number; // nats, summed over the chunk (averaged over the streams when batch > 1)
  grads: Tensors; // a copy owned by the caller, by parameter name
}

/**
 * Where a chunk starts: one index (one stream), or one per stream when batch > 1 (char-rnn's
 * loader: stream b reads its own contiguous part of the text).
 */
export type Starts = number | ArrayLike<number>;

/**
 * What every training backend (the Float64 reference, the WebAssembly SIMD fast path) offers.
 * A chunk is data[start .. start+len) as inputs and data[start+1 .. start+len+1) as targets
 * (1 <= len <= unroll), for each stream. Every backend refuses the same bad input
 * (src/model/checks.ts).
 *
 * Temperature, in every backend: symbols are drawn from softmax(y / T), computed as
 * exp((y - max y)·(1/T)) / Σ. (This equals p^(1/T) renormalised, p = softmax(y); T < 1 sharpens,
 * T > 1 flattens, T = 1 is the model's own distribution, bit for bit.)
 */
export interface CharModel {
  readonly config: RnnConfig;
  /** Forward, backward, clipping and the optimizer's update over one chunk; carries the hidden state. Returns the chunk loss in nats. */
  trainChunk(data: Int32Array, start: Starts, len: number): number;
  /**
   * Loss and raw gradients of one chunk from the hidden state hPrev (laid out as exportHidden's),
   * computed by the same code as trainChunk; changes no parameter and not the carried hidden state
   * (with dropout it draws the chunk's masks, as trainChunk would).
   */
  lossAndGradients(data: Int32Array, start: Starts, len: number, hPrev: Float64Array): LossAndGradients;
  /** Zero the carried hidden state (done when the data pointer wraps to the start). */
  resetHidden(): void;
  /** The learning rate of the next updates (a schedule's; starts at config.learningRate). */
  setLearningRate(lr: number): void;
  /**
   * Held-out score: predicts data[start .. end) with inputs data[start-1 .. end-1), the hidden state
   * carried from character to character, starting from the state in which training ended (of the
   * last stream when batch > 1: the one that read the text just before the held-out tail).
   * Leaves the training state untouched. No dropout.
   */
  evaluate(data: Int32Array, start: number, end: number): EvalResult;
  /**
   * Sample n symbols: feed `prime` (at least one symbol) from the current training hidden state
   * (not modified), then draw each next symbol from softmax(y / temperature) and feed it back.
   * `emit`, if given, receives each symbol as it is drawn (`charlab sample` streams them).
   */
  sample(
    prime: ArrayLike<number>,
    n: number,
    temperature: number,
    rng: Rng,
    emit?: (symbol: number) => void,
  ): Int32Array;
  /** A Float64 copy of the current parameters, by name. */
  exportParams(): Tensors;
  /** A copy of the carried hidden state (every layer's state tensors, every stream, flattened). */
  exportHidden(): Float64Array;
  /** Parameters, optimizer memory and carried state, by name (copies). */
  exportState(): ModelState;
  /** Restores what exportState gave (same configuration); refuses missing or misshapen tensors. */
  importState(state: ModelState): void;
}
