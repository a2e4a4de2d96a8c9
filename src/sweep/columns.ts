/** The columns of the sweep's tables: written by src/sweep/tables.ts, read by src/report. */
import { KNOBS } from './knobs.js';

/** run_id, one column per knob (src/sweep/knobs.ts, in its order), then the seed and the measurements. */
export const SUMMARY_COLUMNS = [
  'run_id',
  ...KNOBS.map((k) => k.column),
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
] as const satisfies readonly string[];
export const CURVE_COLUMNS = ['run_id', 'iteration', 'chars', 'smooth_loss_per_char', 'val_bpc', 'elapsed_s'] as const;
export const SAMPLE_COLUMNS = ['run_id', 'model', 'iteration', 'temperature', 'text'] as const;
/**
 * baselines.csv, the ladder of Markov baselines (src/train/markovLadder.ts): one row per order,
 * written once per results folder. count_s is the time to count the highest order's structure that
 * every order is scored from (the same on every row); score_s the time to score this order.
 */
export const BASELINE_COLUMNS = ['order', 'train_chars', 'val_chars', 'val_bpc', 'count_s', 'score_s', 'corpus_sha256'] as const;
