/**
 * min-char-rnn's vanilla cell:
 *   h' = tanh(Wxh·x + bh + Whh·h)          Wxh [H × I], Whh [H × H], bh [H]
 * Initialisation: weights N(0,1)·0.01, bias 0 (min-char-rnn's). The order of the operations is
 * min-char-rnn's, so the reference reproduces the original implementation bit for bit.
 */
import { biasBackward, biasForward, linearBackward, linearForward, tanhBackward, tanhForward } from '../ops.js';
import { inputBackward, inputForward } from './input.js';
import type { Cell, LayerStep, LayerTensors, StepIO } from './types.js';

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

  forward(p: LayerTensors, io: StepIO): void {
    const { I, H } = this;
    const { prev: h, next: a } = io; // a [H] becomes h' in place
    inputForward(a, p.Wxh, H, I, io); // a = Wxh·x
    biasForward(a, p.bh, H); //          a += bh
    linearForward(a, p.Whh, h, H, H); // a += Whh·h
    tanhForward(a, 0, a, 0, H); //       h' = tanh(a)
  }

  backward(p: LayerTensors, g: LayerTensors, io: StepIO): void {
    const { I, H, da } = this;
    const { prev: h, next: hNext, dNext: dhNext, dPrev: dh } = io;
    tanhBackward(da, 0, hNext, 0, dhNext, 0, H); // da = (1 − h'²) ⊙ dh'
    biasBackward(g.bh, da, H); //                   dbh += da
    inputBackward(g.Wxh, p.Wxh, H, I, io, da); //   dWxh += da xᵀ ; dx += Wxhᵀ da
    linearBackward(g.Whh, dh, p.Whh, h, da, H, H); // dWhh += da hᵀ ; dh += Whhᵀ da
  }
}
