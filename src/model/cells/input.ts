/**
 * The input product of a cell, W·x: a column lookup for a one-hot symbol (layer 0), a matrix–
 * vector product for a dense input (the layer below).
 */
import { linearBackward, linearForward, lookupBackward, lookupForward } from '../ops.js';
import type { StepInput } from './types.js';

/** out = W·x  (W [rows × I]; out is overwritten) */
export function inputForward(out: Float64Array, o: number, W: Float64Array, rows: number, I: number, inp: StepInput): void {
  if (inp.x >= 0) {
    lookupForward(out, o, W, rows, I, inp.x);
  } else {
    out.fill(0, o, o + rows);
    linearForward(out, o, W, inp.v, inp.vo, rows, I);
  }
}

/** dW += dout xᵀ ; dIn += Wᵀ dout (dense input only) */
export function inputBackward(
  dW: Float64Array,
  dIn: Float64Array | null,
  dio: number,
  W: Float64Array,
  rows: number,
  I: number,
  inp: StepInput,
  dout: Float64Array,
): void {
  if (inp.x >= 0) lookupBackward(dW, dout, 0, rows, I, inp.x);
  else linearBackward(dW, dIn, dio, W, inp.v, inp.vo, dout, 0, rows, I);
}
