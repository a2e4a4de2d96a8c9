/**
 * What the one host model (kernelModel.ts) needs to know of each cell beyond its kernels: the
 * names of its tensors (src/model/cells) in their roles, its gate blocks and state. The recurrence
 * itself is the kernels' (Kernels.cellForward / cellBackward); what every cell shares (the input
 * projection and its gradients, the output layer, the optimizer) is the host's. Adding a cell is a
 * kernel pair in each implementation and an entry here.
 */
import type { CellName } from '../model/cells/index.js';
import type { CellKind } from './kernels.js';

export interface CellEntry {
  readonly kind: CellKind;
  readonly nGates: number;
  /** The input weight [nG·H × I] (layer 0's is stored transposed: a row gather). */
  readonly inputWeight: string;
  /** The recurrent weight [nG·H × H]. */
  readonly recurrentWeight: string;
  /** The bias added to the input part. */
  readonly inputBias: string;
  /** The bias of the hidden part, or null (the LSTM folds both into b). */
  readonly hiddenBias: string | null;
  readonly hasCellState: boolean;
}

export const CELL_ENTRIES: Record<CellName, CellEntry> = {
  /** min-char-rnn's: h' = tanh(Wxh·x + bh + Whh·h). */
  rnn: {
    kind: 'rnn',
    nGates: 1,
    inputWeight: 'Wxh',
    recurrentWeight: 'Whh',
    inputBias: 'bh',
    hiddenBias: null,
    hasCellState: false,
  },
  /** PyTorch's GRU: gates r, z, n; bx with the input part, bh inside r ⊙ (·). */
  gru: {
    kind: 'gru',
    nGates: 3,
    inputWeight: 'Wx',
    recurrentWeight: 'Wh',
    inputBias: 'bx',
    hiddenBias: 'bh',
    hasCellState: false,
  },
  /** PyTorch's LSTM: gates i, f, g, o; one bias b (b_ih + b_hh). */
  lstm: {
    kind: 'lstm',
    nGates: 4,
    inputWeight: 'Wx',
    recurrentWeight: 'Wh',
    inputBias: 'b',
    hiddenBias: null,
    hasCellState: true,
  },
};
