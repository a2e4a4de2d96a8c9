/**
 * The fast backends' error metric against a reference: relErr(a, b) = max_i |a_i − b_i| / max_i |b_i|,
 * the worst element error against the tensor's scale (the tests that use it say which bound and why).
 */
import { expect } from 'vitest';

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}
