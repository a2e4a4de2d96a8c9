/**
 * The gated recurrent unit, PyTorch's equations (torch.nn.GRU), gates stacked r, z, n:
 *   r  = σ(Wx_r·x + bx_r + Wh_r·h + bh_r)            reset gate
 *   z  = σ(Wx_z·x + bx_z + Wh_z·h + bh_z)            update gate
 *   n  = tanh(Wx_n·x + bx_n + r ⊙ (Wh_n·h + bh_n))   candidate
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * Wx [3H × I], Wh [3H × H], bx [3H], bh [3H] (both biases, as in PyTorch: bh_n sits inside r ⊙ ·).
 * Initialisation: weights U(−1/√H, 1/√H) (PyTorch's), biases 0.
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

export const gruCell: Cell = {
  name: 'gru',
  states: ['h'],
  tensors: (I, H) => {
    const k = 1 / Math.sqrt(H);
    return [
      { name: 'Wx', rows: 3 * H, cols: I, init: { kind: 'uniform', scale: k } },
      { name: 'Wh', rows: 3 * H, cols: H, init: { kind: 'uniform', scale: k } },
      { name: 'bx', rows: 3 * H, cols: 1, init: { kind: 'const', scale: 0 } },
      { name: 'bh', rows: 3 * H, cols: 1, init: { kind: 'const', scale: 0 } },
    ];
  },
  layer: (I, H) => new GruLayer(I, H),
};

// Tape per step: r [H], z [H], n [H], hn = Wh_n·h + bh_n [H].
class GruLayer implements LayerStep {
  readonly stateSize: number;
  readonly tapeSize: number;
  private readonly gx: Float64Array; // [3H] Wx·x + bx, then its gradient
  private readonly gh: Float64Array; // [3H] Wh·h + bh, then its gradient
  private readonly tmp: Float64Array; // [H]

  constructor(
    private readonly I: number,
    private readonly H: number,
  ) {
    this.stateSize = H;
    this.tapeSize = 4 * H;
    this.gx = new Float64Array(3 * H);
    this.gh = new Float64Array(3 * H);
    this.tmp = new Float64Array(H);
  }

  forward(p: LayerTensors, io: StepIO): void {
    const { I, H, gx, gh } = this;
    const { prev: h, next: hNext, tape } = io;
    const r = 0,
      z = H,
      n = 2 * H,
      hn = 3 * H; //    offsets in the tape
    inputForward(gx, p.Wx, 3 * H, I, io); //         gx = Wx·x + bx
    biasForward(gx, p.bx, 3 * H);
    gh.fill(0); //                                    gh = Wh·h + bh
    linearForward(gh, p.Wh, h, 3 * H, H);
    biasForward(gh, p.bh, 3 * H);
    for (let i = 0; i < 2 * H; i++) gx[i] += gh[i]; // r, z pre-activations
    sigmoidForward(tape, r, gx, 0, 2 * H); //         r = σ(·), z = σ(·)  (adjacent in the tape)
    for (let i = 0; i < H; i++) tape[hn + i] = gh[2 * H + i]; // hn = Wh_n·h + bh_n
    mulForward(gx, 2 * H, tape, r, tape, hn, H); //   gx_n += r ⊙ hn
    tanhForward(tape, n, gx, 2 * H, H); //            n = tanh(gx_n)
    for (let i = 0; i < H; i++) {
      const zi = tape[z + i]; //                      h' = (1 − z) ⊙ n + z ⊙ h
      hNext[i] = (1 - zi) * tape[n + i] + zi * h[i];
    }
  }

  backward(p: LayerTensors, g: LayerTensors, io: StepIO): void {
    const { I, H, gx: dgx, gh: dgh, tmp } = this;
    const { prev: h, tape, dNext: dhNext, dPrev: dh } = io;
    const r = 0,
      z = H,
      n = 2 * H,
      hn = 3 * H;
    for (let i = 0; i < H; i++) {
      const dhi = dhNext[i];
      const zi = tape[z + i];
      tmp[i] = dhi * (1 - zi); //                           dn = dh' ⊙ (1 − z)
      dgx[H + i] = dhi * (h[i] - tape[n + i]); //           dz = dh' ⊙ (h − n)
      dh[i] += dhi * zi; //                                 dh += dh' ⊙ z
    }
    sigmoidBackward(dgx, H, tape, z, dgx, H, H); //          da_z = z(1 − z) ⊙ dz
    tanhBackward(dgx, 2 * H, tape, n, tmp, 0, H); //         da_n = (1 − n²) ⊙ dn  (= dgx_n)
    dgx.fill(0, 0, H);
    dgh.fill(0, 2 * H, 3 * H);
    mulBackward(dgx, 0, dgh, 2 * H, tape, r, tape, hn, dgx, 2 * H, H); // dr = da_n ⊙ hn ; dhn = da_n ⊙ r
    sigmoidBackward(dgx, 0, tape, r, dgx, 0, H); //          da_r = r(1 − r) ⊙ dr
    for (let i = 0; i < 2 * H; i++) dgh[i] = dgx[i]; //      r and z: the same gradient for gx and gh
    biasBackward(g.bx, dgx, 3 * H);
    biasBackward(g.bh, dgh, 3 * H);
    inputBackward(g.Wx, p.Wx, 3 * H, I, io, dgx); //         dWx += dgx xᵀ ; dx += Wxᵀ dgx
    linearBackward(g.Wh, dh, p.Wh, h, dgh, 3 * H, H); //     dWh += dgh hᵀ ; dh += Whᵀ dgh
  }
}
