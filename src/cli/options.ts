/**
 * Option parsers shared by the commands: bad values are usage errors (exit 2) naming the option.
 * Integers are written in decimal digits only: '1e3', '0x10', '12.0' and '1_000' are refused
 * (Number() would accept them), as are values beyond 2^53.
 */
import { InvalidArgumentError } from 'commander';

/** A decimal integer ≥ `min`, or an error naming what was expected. */
function decimalInt(value: string, min: number, what: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`expected ${what} (decimal digits), got '${value}'`);
  }
  return n;
}

export function positiveInt(value: string): number {
  return decimalInt(value, 1, 'a positive integer');
}

export function nonNegativeInt(value: string): number {
  return decimalInt(value, 0, 'a non-negative integer');
}

/** An integer in [min, max], e.g. the Markov order. */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = decimalInt(value, min, `an integer in ${min}..${max}`);
    if (n > max)
      throw new InvalidArgumentError(`expected an integer in ${min}..${max} (decimal digits), got '${value}'`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive finite number, got '${value}'`);
  return n;
}

/** The held-out fraction: [0, 1); 0 means no held-out text (nothing is scored). */
export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1)
    throw new InvalidArgumentError(`expected a fraction in [0, 1), got '${value}'`);
  return n;
}

/** A comma-separated list of positive integers ('100,256,512'). */
export function positiveIntList(value: string): number[] {
  const parts = value.split(',');
  if (parts.some((s) => s.trim() === ''))
    throw new InvalidArgumentError(`expected comma-separated positive integers, got '${value}'`);
  return parts.map(positiveInt);
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a finite number ≥ 0, got '${value}'`);
  return n;
}

export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a finite number, got '${value}'`);
  return n;
}

/** A factor in (0, 1], e.g. a learning-rate decay (1: none). */
export function unitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1)
    throw new InvalidArgumentError(`expected a number in (0, 1], got '${value}'`);
  return n;
}
