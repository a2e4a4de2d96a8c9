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
 * Successive halving's decisions (rungs.csv), one row per run per rung: the run's final held-out
 * bpc at the rung's budget, its configuration's mean over seeds and rank, and what became of it.
 */
export const RUNG_COLUMNS = ['rung', 'budget_chars', 'run_id', 'status', 'val_bpc', 'config_val_bpc', 'rank', 'decision'] as const;
