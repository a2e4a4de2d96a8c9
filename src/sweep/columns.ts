/** The columns of the sweep's tables: written by src/sweep/tables.ts, read by src/report. */
import { KNOBS } from './knobs.js';

const KNOB_COLUMNS = KNOBS.map((k) => k.column);
const AFTER_DROPOUT = KNOB_COLUMNS.indexOf('dropout') + 1;

/**
 * run_id, one column per knob (src/sweep/knobs.ts, in its order) with the model's parameter count
 * after the ladder's knobs (cell … dropout, params, then later knobs), then the seed and the
 * measurements; the best intermediate held-out score and where it was reached come last.
 */
export const SUMMARY_COLUMNS = [
  'run_id',
  ...KNOB_COLUMNS.slice(0, AFTER_DROPOUT),
  'params',
  ...KNOB_COLUMNS.slice(AFTER_DROPOUT),
  'seed',
  'backend',
  'status',
  'iterations',
  'chars',
  'smooth_loss_per_char',
  'val_bpc',
  'markov_order',
  'markov_val_bpc',
  'wall_s',
  'chars_per_s',
  'diverged_at_iteration',
  'error',
  'best_val_bpc',
  'best_val_chars',
] as const satisfies readonly string[];

/**
 * summary.csv as versions before the model ladder wrote it (min-char-rnn's four knobs, no params,
 * no best score). Read with the missing columns empty (knobs at their defaults); the sweep rewrites
 * such a table with today's header before it appends to it (src/sweep/tables.ts).
 */
export const SUMMARY_COLUMNS_V1 = [
  'run_id', 'hidden_size', 'unroll', 'clip', 'learning_rate', 'seed', 'backend', 'status', 'iterations', 'chars',
  'smooth_loss_per_char', 'val_bpc', 'markov_order', 'markov_val_bpc', 'wall_s', 'chars_per_s', 'diverged_at_iteration', 'error',
] as const;
/** summary.csv as the ladder's first version wrote it: today's columns but `init` (the initialisation knob came later). */
export const SUMMARY_COLUMNS_V2: readonly string[] = SUMMARY_COLUMNS.filter((c) => c !== 'init');

export const CURVE_COLUMNS = ['run_id', 'iteration', 'chars', 'smooth_loss_per_char', 'val_bpc', 'elapsed_s'] as const;
export const SAMPLE_COLUMNS = ['run_id', 'model', 'iteration', 'temperature', 'text'] as const;
/**
 * baselines.csv, the ladder of Markov baselines (src/train/markovLadder.ts): one row per order,
 * written once per results folder. count_s is the time to count the highest order's structure that
 * every order is scored from (the same on every row); score_s the time to score this order.
 */
export const BASELINE_COLUMNS = ['order', 'train_chars', 'val_chars', 'val_bpc', 'count_s', 'score_s', 'corpus_sha256'] as const;

/**
 * The rung decisions of successive halving and Hyperband (rungs.csv), one row per run per rung of
 * each bracket (halving has bracket 1): the run's final held-out bpc at the rung's budget, its
 * configuration's mean over seeds and rank in the bracket's rung, and what became of it there.
 */
export const RUNG_COLUMNS = ['bracket', 'rung', 'budget_chars', 'run_id', 'status', 'val_bpc', 'config_val_bpc', 'rank', 'decision'] as const;
/** rungs.csv before Hyperband (no bracket column: read as bracket 1). */
export const RUNG_COLUMNS_V1: readonly string[] = RUNG_COLUMNS.filter((c) => c !== 'bracket');
