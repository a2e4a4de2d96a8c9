/** The columns of the sweep's tables: written by src/results/tables.ts, read by src/report. */
import { KNOBS } from './knobs.js';
import { RUN_STATUSES } from './status.js';
import { choice, count, ID, intIn, MEASURES, nonNegative, positiveCount, TEXT, type CellRule } from '../util/cellRule.js';

const KNOB_COLUMNS = KNOBS.map((k) => k.column);
const AFTER_DROPOUT = KNOB_COLUMNS.indexOf('dropout') + 1;

/**
 * run_id, one column per knob (src/results/knobs.ts, in its order) with the model's parameter count
 * after the ladder's knobs (cell … dropout, params, then later knobs), then the seed and the
 * measurements; then the best score on the curve text and where it was reached, how many held-out
 * characters the curve text has (curve_val_chars: all of them, or the slice's), and whether early
 * stopping ended the run (stopped_early: true/false; empty when it was off).
 */
export const SUMMARY_COLUMNS = [
  'run_id',
  ...KNOB_COLUMNS.slice(0, AFTER_DROPOUT),
  'params',
  ...KNOB_COLUMNS.slice(AFTER_DROPOUT),
  'seed',
  'backend',
  'isa',
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
  'curve_val_chars',
  'stopped_early',
] as const satisfies readonly string[];

/**
 * summary.csv as versions before the model ladder wrote it (min-char-rnn's four knobs, no params,
 * no best score). Read with the missing columns empty (knobs at their defaults); the sweep rewrites
 * such a table with today's header before it appends to it (src/results/tables.ts).
 */
export const SUMMARY_COLUMNS_V1 = [
  'run_id', 'hidden_size', 'unroll', 'clip', 'learning_rate', 'seed', 'backend', 'status', 'iterations', 'chars',
  'smooth_loss_per_char', 'val_bpc', 'markov_order', 'markov_val_bpc', 'wall_s', 'chars_per_s', 'diverged_at_iteration', 'error',
] as const;
/** Columns issue 21 added to summary.csv: the regularisation knobs, the curve text's size and early stopping. */
const ISSUE21_SUMMARY = new Set(['input_dropout', 'output_dropout', 'weight_decay', 'curve_val_chars', 'stopped_early']);
/**
 * Columns summary.csv gained after issue 21: forget_bias (forgetBias became a knob) and isa (the code
 * path a run used: the native backend's ISA, 'simd128', 'f64'). They came on two branches, so a table
 * written before either may lack any of them: its cells are read empty (a knob's: its default), and
 * the sweep rewrites the table with today's header before it appends to it.
 */
const ADDED_AFTER_ISSUE21: readonly string[] = ['forget_bias', 'isa'];
/** The non-empty subsets of `xs`, the single ones first. */
function nonEmptySubsets(xs: readonly string[]): string[][] {
  const all = xs.reduce<string[][]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]]).slice(1);
  return all.sort((p, q) => p.length - q.length);
}
/** The headers summary.csv had after issue 21 before today's: today's without one or more of those columns. */
export const SUMMARY_COLUMNS_AFTER_ISSUE21: readonly (readonly string[])[] = nonEmptySubsets(ADDED_AFTER_ISSUE21).map((left) =>
  SUMMARY_COLUMNS.filter((c) => !left.includes(c)),
);
/**
 * summary.csv before issue 21: its best_val_bpc is the best score on the whole held-out text (with a
 * slice curve, the final score), and curve_val_chars, stopped_early and the new knobs are read empty.
 */
export const SUMMARY_COLUMNS_V3: readonly string[] = SUMMARY_COLUMNS.filter((c) => !ISSUE21_SUMMARY.has(c) && !ADDED_AFTER_ISSUE21.includes(c));
/** summary.csv as the ladder's first version wrote it: the columns before issue 21 but `init` (the initialisation knob came later). */
export const SUMMARY_COLUMNS_V2: readonly string[] = SUMMARY_COLUMNS_V3.filter((c) => c !== 'init');

/**
 * val_bpc: the score on the curve text (the same held-out characters on every row of a run, the
 * final row included); whole_val_bpc: on the whole held-out text, where it was scored.
 */
export const CURVE_COLUMNS = ['run_id', 'iteration', 'chars', 'smooth_loss_per_char', 'val_bpc', 'elapsed_s', 'whole_val_bpc'] as const;
/**
 * curves.csv before issue 21 (the old meaning): the intermediate rows' val_bpc read the first
 * evaluation.chars held-out characters and each run's final row the whole held-out text.
 */
export const CURVE_COLUMNS_V1 = ['run_id', 'iteration', 'chars', 'smooth_loss_per_char', 'val_bpc', 'elapsed_s'] as const;
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

// ---- what a cell may hold: the one rule every reader of these tables applies (src/results/tables.ts) ----

/** Rules of summary.csv's columns that are not knobs (knob cells follow the knob's own schema: src/results/knobs.ts). */
const SUMMARY_RULES: Record<string, CellRule> = {
  run_id: ID,
  params: count(),
  seed: count(false),
  backend: TEXT,
  isa: TEXT,
  status: choice(RUN_STATUSES),
  iterations: count(),
  chars: count(),
  smooth_loss_per_char: MEASURES.smooth_loss_per_char,
  val_bpc: MEASURES.val_bpc,
  markov_order: intIn(1, 64),
  markov_val_bpc: MEASURES.val_bpc,
  wall_s: nonNegative(),
  chars_per_s: nonNegative(),
  diverged_at_iteration: count(),
  error: TEXT,
  best_val_bpc: MEASURES.val_bpc,
  best_val_chars: count(),
  curve_val_chars: count(),
  stopped_early: choice(['true', 'false'], true),
};

/** Every table's rule per column (knob columns excepted: they are checked against the knob registry). */
export const COLUMN_RULES: Record<'summary' | 'curves' | 'samples' | 'baselines' | 'rungs', Record<string, CellRule>> = {
  summary: SUMMARY_RULES,
  curves: { run_id: ID, ...MEASURES, whole_val_bpc: MEASURES.val_bpc },
  samples: { run_id: ID, model: choice(['rnn', 'markov']), iteration: count(), temperature: MEASURES.temperature, text: TEXT },
  baselines: {
    order: intIn(1, 64, false),
    train_chars: count(false),
    val_chars: count(false),
    val_bpc: MEASURES.val_bpc,
    count_s: nonNegative(),
    score_s: nonNegative(),
    corpus_sha256: TEXT,
  },
  rungs: {
    bracket: positiveCount(true), // empty in rungs.csv before Hyperband: bracket 1
    rung: positiveCount(),
    budget_chars: positiveCount(),
    run_id: ID,
    status: choice(RUN_STATUSES),
    val_bpc: MEASURES.val_bpc,
    config_val_bpc: MEASURES.val_bpc,
    rank: positiveCount(),
    decision: choice(['promoted', 'stopped', 'final']),
  },
};

/** summary.csv's columns that hold text (everything else is a number): for --json outputs. */
export const SUMMARY_TEXT_COLUMNS: ReadonlySet<string> = new Set([
  ...KNOBS.filter((k) => k.kind === 'choice').map((k) => k.column),
  ...Object.entries(SUMMARY_RULES).filter(([, r]) => r.type !== 'number').map(([c]) => c),
]);
