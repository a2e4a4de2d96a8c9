/**
 * Long short-term memory, PyTorch's equations (torch.nn.LSTM), gates stacked i, f, g, o:
 *   i  = σ(W_i·[x, h] + b_i)      input gate
 *   f  = σ(W_f·[x, h] + b_f)      forget gate
 *   g  = tanh(W_g·[x, h] + b_g)   candidate
 *   o  = σ(W_o·[x, h] + b_o)      output gate
 *   c' = f ⊙ c + i ⊙ g
 *   h' = o ⊙ tanh(c')
 * as Wx [4H × I], Wh [4H × H], b [4H] (PyTorch's two biases b_ih + b_hh are one here: only their
 * sum matters). Initialisation: weights U(−1/√H, 1/√H) (PyTorch's), biases 0 except the forget
 * gate's, which start at the `forgetBias` knob (1 by default: remember until taught otherwise).
 * State: h then c.
 */
import {
  biasBackward,
  biasForward,
  linearBackward,
  linearForward,
  mulBackward,
  mulForward,
  sigmoidBackward,
  sigmoidForward,
  tanhBackward,
  tanhForward,
} from '../ops.js';
import { inputBackward, inputForward } from './input.js';
import type { Cell, LayerStep, LayerTensors, StepIO } from './types.js';

export const lstmCell: Cell = {
  name: 'lstm',
  states: ['h', 'c'],
  tensors: (I, H, knobs) => {
    const k = 1 / Math.sqrt(H);
    return [
      { name: 'Wx', rows: 4 * H, cols: I, init: { kind: 'uniform', scale: k } },
      { name: 'Wh', rows: 4 * H, cols: H, init: { kind: 'uniform', scale: k } },
      {
        name: 'b',
        rows: 4 * H,
        cols: 1,
        init: { kind: 'const', scale: 0 },
        rowsInit: { from: H, to: 2 * H, value: knobs.forgetBias },
      },
    ];
  },
  layer: (I, H) => new LstmLayer(I, H),
};

// Tape per step: i, f, g, o [H each], then tanh(c') [H].
class LstmLayer implements LayerStep {
  readonly stateSize: number;
  readonly tapeSize: number;
  private readonly a: Float64Array; // [4H] pre-activations, then their gradients
  private readonly dc: Float64Array; // [H]

  constructor(
    private readonly I: number,
    private readonly H: number,
  ) {
    this.stateSize = 2 * H;
    this.tapeSize = 5 * H;
    this.a = new Float64Array(4 * H);
    this.dc = new Float64Array(H);
  }

  forward(p: LayerTensors, io: StepIO): void {
    const { I, H, a } = this;
    const { prev, next, tape } = io; //                  state [h, c]: h at 0, c at H
    const i = 0,
      f = H,
      g = 2 * H,
      o = 3 * H,
      tc = 4 * H; // offsets in the tape
    inputForward(a, p.Wx, 4 * H, I, io); //               a = Wx·x + b + Wh·h
    biasForward(a, p.b, 4 * H);
    linearForward(a, p.Wh, prev, 4 * H, H);
    sigmoidForward(tape, i, a, 0, 2 * H); //              i, f = σ(a_i), σ(a_f)
    tanhForward(tape, g, a, 2 * H, H); //                 g = tanh(a_g)
    sigmoidForward(tape, o, a, 3 * H, H); //              o = σ(a_o)
    next.fill(0, H, 2 * H); //                            c' = f ⊙ c + i ⊙ g
    mulForward(next, H, tape, f, prev, H, H);
    mulForward(next, H, tape, i, tape, g, H);
    tanhForward(tape, tc, next, H, H); //                 h' = o ⊙ tanh(c')
    next.fill(0, 0, H);
    mulForward(next, 0, tape, o, tape, tc, H);
  }

  backward(p: LayerTensors, gr: LayerTensors, io: StepIO): void {
    const { I, H, a: da, dc } = this;
    const { prev, tape, dNext, dPrev } = io; //                   [h, c] each: h at 0, c at H
    const i = 0,
      f = H,
      g = 2 * H,
      o = 3 * H,
      tc = 4 * H;
    da.fill(0);
    dc.fill(0);
    // h' = o ⊙ tanh(c'): do = dh' ⊙ tanh(c') ; dtanh = dh' ⊙ o  (into dc)
    mulBackward(da, 3 * H, dc, 0, tape, o, tape, tc, dNext, 0, H);
    tanhBackward(dc, 0, tape, tc, dc, 0, H); //                  dc = (1 − tanh²(c')) ⊙ dtanh
    for (let k = 0; k < H; k++) dc[k] += dNext[H + k]; //         ... + dc' from the next step
    // c' = f ⊙ c + i ⊙ g
    mulBackward(da, H, dPrev, H, tape, f, prev, H, dc, 0, H); //  df = dc ⊙ c ; dc_prev += dc ⊙ f
    mulBackward(da, 0, da, 2 * H, tape, i, tape, g, dc, 0, H); // di = dc ⊙ g ; dg = dc ⊙ i
    sigmoidBackward(da, 0, tape, i, da, 0, 2 * H); //             da_i, da_f
    tanhBackward(da, 2 * H, tape, g, da, 2 * H, H); //            da_g
    sigmoidBackward(da, 3 * H, tape, o, da, 3 * H, H); //         da_o
    biasBackward(gr.b, da, 4 * H);
    inputBackward(gr.Wx, p.Wx, 4 * H, I, io, da); //              dWx += da xᵀ ; dx += Wxᵀ da
    linearBackward(gr.Wh, dPrev, p.Wh, prev, da, 4 * H, H); //    dWh += da hᵀ ; dh += Whᵀ da
  }
}
