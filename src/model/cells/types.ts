/**
 * What a recurrent cell is, described once: its named tensors (shapes from the input size I and
 * hidden size H), their initialisation, its state tensors, and one step forward and backward
 * built from the ops of src/model/ops.ts. The reference model (src/model/reference.ts) stacks
 * cells into layers; the registry (./index.ts) lists them.
 */

/** How a tensor starts. 'normal': N(0,1)·scale; 'uniform': U(−scale, scale); 'const': every element = scale. */
export interface TensorInit {
  kind: 'normal' | 'uniform' | 'const';
  scale: number;
}

/** A named parameter tensor of one layer: [rows × cols] row-major (a vector has cols = 1). */
export interface TensorSpec {
  name: string;
  rows: number;
  cols: number;
  init: TensorInit;
  /** Rows [from, to) start at a different constant (the LSTM's forget-gate bias). */
  rowsInit?: { from: number; to: number; value: number };
}

/** Knobs a cell may read. */
export interface CellKnobs {
  /** Initial bias of the LSTM's forget gate. */
  forgetBias: number;
}

/** One layer's tensors (parameters, or their gradients), by the names of its TensorSpecs. */
export type LayerTensors = Record<string, Float64Array>;

/**
 * Where one step of one layer, for one stream, reads and writes: subarray views the caller makes
 * once per step slot (so stepping allocates nothing) and points this object at. Cells destructure
 * what they use. S = stateSize: the cell's state tensors one after another, h first.
 */
export interface StepIO {
  x: number; //                 the input symbol (layer 0: input = xs·onehot(x)), or −1: input = v
  xs: number; //                the one-hot's value: 1, or an input-dropout mask value (0 or 1/(1 − p))
  v: Float64Array; //           [I] dense input (the layer below's h, maybe dropped out)
  prev: Float64Array; //        [S] s_{t−1}
  next: Float64Array; //        [S] s_t: forward writes it
  tape: Float64Array; //        [tapeSize] what forward keeps for backward
  dNext: Float64Array; //       [S] dL/ds_t: backward reads it
  dPrev: Float64Array; //       [S] dL/ds_{t−1}: backward adds into it
  dv: Float64Array | null; //   [I] dL/dv: backward adds into it (null: a symbol input, or not wanted)
}

/** One layer of a cell: its sizes, and one step forward and backward through a StepIO. */
export interface LayerStep {
  readonly stateSize: number; // floats of state per stream: H × number of state tensors
  readonly tapeSize: number; // floats kept per step and stream
  /** next = cell(input, prev), keeping what backward needs in tape. */
  forward(p: LayerTensors, io: StepIO): void;
  /** From dNext: accumulate the tensors' gradients into g, add dL/dprev into dPrev and dL/dv into dv. */
  backward(p: LayerTensors, g: LayerTensors, io: StepIO): void;
}

export interface Cell {
  readonly name: string;
  /** Names of the state tensors, h first. */
  readonly states: readonly string[];
  /** The tensors of one layer with input size I (the vocabulary for layer 0) and hidden size H. */
  tensors(I: number, H: number, knobs: CellKnobs): TensorSpec[];
  /** A layer's step, with its scratch buffers. */
  layer(I: number, H: number): LayerStep;
}
