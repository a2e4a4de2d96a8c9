/**
 * The one source of charlab's defaults and valid ranges. The CLI's options, the experiment schema,
 * the training loop, the corpus split and the report all read them from here, so a default changes
 * in one place.
 */

/** min-char-rnn's own hyper-parameters. */
export const RNN_DEFAULTS = { hiddenSize: 100, unroll: 16, learningRate: 0.1, clip: 5 } as const;

/** The values of the model ladder's optional knobs when absent: min-char-rnn's (see src/model/types.ts). */
export const MODEL_DEFAULTS = {
  cell: 'rnn',
  layers: 1,
  dropout: 0,
  forgetBias: 1,
  optimizer: 'adagrad',
  clipNorm: 0,
  batch: 1,
  lrDecay: 1,
  lrDecayAfter: 10,
  init: 'min-char-rnn',
  inputDropout: 0,
  outputDropout: 0,
  weightDecay: 0,
} as const;

/**
 * Fraction of a corpus held out at its end for scoring. 0 is allowed and means "no held-out text":
 * nothing is scored, `val_bpc` and `markov_val_bpc` stay empty and reports say "not measured".
 */
export const DEFAULT_VALIDATION = 0.05;

/** The Markov baseline's order k (contexts of up to k characters) and the range charlab accepts. */
export const DEFAULT_MARKOV_ORDER = 4;
export const MARKOV_ORDER_RANGE = { min: 1, max: 64 } as const;

/**
 * The ladder of Markov baselines a sweep computes once per corpus and budget (baselines.csv): orders
 * from..to, all within MARKOV_ORDER_RANGE. The memory is that of one model of order `to`.
 */
export const DEFAULT_MARKOV_LADDER = { from: 1, to: 8 } as const;

/** One run's budget and seed when none is given. */
export const DEFAULT_BUDGET_CHARS = 1_000_000;
export const DEFAULT_SEED = 1;
/** native where its addon was built and loads, else wasm (src/backend/index.ts). */
export const DEFAULT_BACKEND = 'auto' as const;

/** How often a run records a curve row, scores held-out text and samples; what the samples look like. */
export const CADENCE_DEFAULTS = {
  /** A loss-curve row every this many training characters. */
  curveEvery: 10_000,
  /** A held-out score every this many training characters (0: only at the end). */
  evalEvery: 100_000,
  /**
   * The curve text: every curve score reads the whole held-out text when it has at most this many
   * characters ("small enough to be cheap": a fifth of evalEvery, 7–12 % of the training time on the
   * wasm backend; docs/reports.md, "How the score is measured"), else its first evalChars characters.
   */
  evalChars: 20_000,
  /** An RNN sample every this many training characters (0: only at the end). */
  sampleEvery: 0,
  sampleLength: 200,
  temperature: 1,
} as const;
