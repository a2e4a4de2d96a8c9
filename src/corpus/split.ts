import { DEFAULT_VALIDATION } from '../defaults.js';
import { UsageError } from '../errors.js';

/** Fraction of a corpus held out for validation unless told otherwise (from src/defaults.ts). */
export { DEFAULT_VALIDATION };

/**
 * Where the training part of a sequence of `n` symbols ends: train = [0, trainEnd),
 * validation = [trainEnd, n). The held-out part is the LAST `validation` fraction,
 * rounded down: heldOut = Math.floor(n * validation), trainEnd = n - heldOut.
 * Deterministic (no randomness); `validation` must be in [0, 1).
 */
export function splitPoint(n: number, validation: number = DEFAULT_VALIDATION): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`splitPoint: length must be a non-negative integer, got ${n}`);
  }
  if (typeof validation !== 'number' || !Number.isFinite(validation) || validation < 0 || validation >= 1) {
    throw new UsageError(`validation fraction must be in [0, 1), got ${validation}`);
  }
  const heldOut = Math.floor(n * validation);
  return n - heldOut;
}

/**
 * Fewer held-out characters than this get a warning wherever a score is made (train, sweep, eval):
 * per-character surprisal varies by about 2–3 bits, so the standard error of a mean over n
 * characters is roughly 2.5/√n bpc — 0.08 at 1,000, a whole bit at a handful.
 */
export const MIN_HELD_OUT_CHARS = 1000;

/** The warning for a score on `n` held-out characters (null when there are enough, or none at all: nothing is scored). */
export function heldOutWarning(n: number, where: string): string | null {
  if (n <= 0 || n >= MIN_HELD_OUT_CHARS) return null;
  const se = 2.5 / Math.sqrt(n);
  return (
    `warning: ${where}: only ${n} held-out character${n === 1 ? '' : 's'} to score; a score on fewer than ${MIN_HELD_OUT_CHARS} ` +
    `is mostly chance (standard error roughly 2.5/√n ≈ ${se.toFixed(2)} bpc): use a longer corpus or a larger validation fraction`
  );
}
