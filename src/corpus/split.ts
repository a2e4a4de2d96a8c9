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
