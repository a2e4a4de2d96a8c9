/**
 * Early stopping on the held-out curve (Keras's and PyTorch Lightning's rule). The run's curve
 * scores all read the same held-out text (src/train/run.ts), so they can be compared; after each
 * intermediate score:
 *
 *   improved  ⇔  score < ref − minDelta          (ref: the score at the last improvement; +∞ at first)
 *   improved: ref = score, wait = 0;   else: wait += 1;   stop when wait ≥ patience
 *
 * Several small improvements that each fall short of minDelta add up: ref only moves on an
 * improvement, so they are measured against it together. The best model is tracked apart (the
 * lowest score, see RunResult.best): with minDelta 0 the two coincide. A score that is not a finite
 * number never improves. Plain JSON, so it travels in a run's snapshot and a resumed run goes on
 * exactly where it stood.
 */

/** The rule: stop after `patience` scores in a row without an improvement of more than `minDelta` bits per character. */
export interface EarlyStoppingRule {
  patience: number;
  minDelta: number;
}

export interface EarlyStoppingState {
  /** The score at the last improvement (null: no score yet). */
  ref: number | null;
  /** Scores since then that did not improve on it. */
  wait: number;
  /** The run stops (set when wait reaches patience). */
  stopped: boolean;
}

export const EARLY_STOPPING_START: EarlyStoppingState = { ref: null, wait: 0, stopped: false };

/** The state after one more score. */
export function observeScore(rule: EarlyStoppingRule, state: EarlyStoppingState, score: number): EarlyStoppingState {
  if (state.stopped) return state;
  const improved = Number.isFinite(score) && (state.ref === null || score < state.ref - rule.minDelta);
  const wait = improved ? 0 : state.wait + 1;
  return { ref: improved ? score : state.ref, wait, stopped: wait >= rule.patience };
}
