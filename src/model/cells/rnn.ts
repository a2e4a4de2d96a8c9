/**
 * min-char-rnn's vanilla cell:
 *   h' = tanh(Wxh·x + bh + Whh·h)          Wxh [H × I], Whh [H × H], bh [H]
 * Initialisation: weights N(0,1)·0.01, bias 0 (min-char-rnn's). The order of the operations is
 * min-char-rnn's, so the reference reproduces the original implementation bit for bit.
 */
import { biasBackward, biasForward, linearBackward, linearForward, tanhBackward, tanhForward } from '../ops.js';
import { inputBackward, inputForward } from './input.js';
import type { Cell, LayerStep, LayerTensors, StepInput } from './types.js';

export const rnnCell: Cell = {
  name: 'rnn',
  states: ['h'],
  tensors: (I, H) => [
    { name: 'Wxh', rows: H, cols: I, init: { kind: 'normal', scale: 0.01 } },
    { name: 'Whh', rows: H, cols: H, init: { kind: 'normal', scale: 0.01 } },
    { name: 'bh', rows: H, cols: 1, init: { kind: 'const', scale: 0 } },
  ],
  layer: (I, H) => new RnnLayer(I, H),
};

class RnnLayer implements LayerStep {
  readonly stateSize: number;
  readonly tapeSize = 0;
  private readonly da: Float64Array; // [H] gradient of the pre-activation

  constructor(
    private readonly I: number,
    private readonly H: number,
  ) {
    this.stateSize = H;
    this.da = new Float64Array(H);
  }

  forward(p: LayerTensors, inp: StepInput, sPrev: Float64Array, po: number, sNext: Float64Array, no: number): void {
    const { I, H } = this;
    inputForward(sNext, no, p.Wxh, H, I, inp); // a = Wxh·x
    biasForward(sNext, no, p.bh, H); //           a += bh
    linearForward(sNext, no, p.Whh, sPrev, po, H, H); // a += Whh·h
    tanhForward(sNext, no, sNext, no, H); //      h' = tanh(a)
  }

  backward(
    p: LayerTensors,
    g: LayerTensors,
    inp: StepInput,
    dIn: Float64Array | null,
    dio: number,
    sPrev: Float64Array,
    po: number,
    sNext: Float64Array,
    no: number,
    _tape: Float64Array,
    _to: number,
    dsNext: Float64Array,
    dno: number,
    dsPrev: Float64Array,
    dpo: number,
  ): void {
    const { I, H, da } = this;
    tanhBackward(da, 0, sNext, no, dsNext, dno, H); //        da = (1 − h'²) ⊙ dh'
    biasBackward(g.bh, da, 0, H); //                          dbh += da
    inputBackward(g.Wxh, dIn, dio, p.Wxh, H, I, inp, da); //  dWxh += da xᵀ ; dx += Wxhᵀ da
    linearBackward(g.Whh, dsPrev, dpo, p.Whh, sPrev, po, da, 0, H, H); // dWhh += da hᵀ ; dh += Whhᵀ da
  }
}
