/**
 * The learning-rate schedule: char-rnn's. The rate stays at `learningRate` for `lrDecayAfter`
 * epochs, then is multiplied by `lrDecay` at the end of each further epoch:
 *
 *   lr(e) = learningRate · lrDecay^max(0, e − lrDecayAfter),   e = epochs completed
 *
 * A function of the epoch alone (not of the budget), so a run continued to a larger budget from a
 * checkpoint follows exactly the schedule of a run trained straight to it. lrDecay 1 (the default)
 * is a constant rate.
 */
import { withDefaults, type RnnConfig } from '../model/types.js';

export function learningRateAt(config: RnnConfig, epoch: number): number {
  const { learningRate, lrDecay, lrDecayAfter } = withDefaults(config);
  return learningRate * lrDecay ** Math.max(0, epoch - lrDecayAfter);
}

/** Whether the rate changes at all (a constant rate is never re-set, so nothing else changes). */
export function decays(config: RnnConfig): boolean {
  return withDefaults(config).lrDecay < 1;
}
