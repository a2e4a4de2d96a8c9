/**
 * The input product of a cell, W·x: a column lookup for a one-hot symbol (layer 0), a matrix–
 * vector product for a dense input v (the layer below).
 */
import { linearBackward, linearForward, lookupBackward, lookupForward } from '../ops.js';
import type { StepIO } from './types.js';

/** out = W·x  (W [rows × I], out [rows]: overwritten); a symbol's one-hot scaled by xs (input dropout) */
export function inputForward(out: Float64Array, W: Float64Array, rows: number, I: number, { x, xs, v }: StepIO): void {
  if (x >= 0) {
    lookupForward(out, W, rows, I, x, xs);
  } else {
    out.fill(0, 0, rows);
    linearForward(out, W, v, rows, I);
  }
}

/** dW += dout xᵀ ; dv += Wᵀ dout (dense input only) */
export function inputBackward(
  dW: Float64Array,
  W: Float64Array,
  rows: number,
  I: number,
  { x, xs, v, dv }: StepIO,
  dout: Float64Array,
): void {
  if (x >= 0) lookupBackward(dW, dout, rows, I, x, xs);
  else linearBackward(dW, dv, W, v, dout, rows, I);
}
