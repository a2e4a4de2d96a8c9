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

/** The input of a step: a symbol (layer 0, one-hot) or a dense vector (the layer below). */
export interface StepInput {
  /** Symbol id, or −1 for a dense input. */
  x: number;
  v: Float64Array;
  vo: number;
}

/** One layer's tensors (parameters, or their gradients), by the names of its TensorSpecs. */
export type LayerTensors = Record<string, Float64Array>;

/**
 * One layer of a cell, for one stream at one time step. State vectors hold the cell's state
 * tensors one after another (h first: the layer's output is state[0 .. H)). `tape` is the
 * per-step slot where forward keeps what backward needs.
 */
export interface LayerStep {
  readonly stateSize: number; // floats of state per stream: H × number of state tensors
  readonly tapeSize: number; // floats kept per step and stream
  /** sNext = cell(input, sPrev). */
  forward(p: LayerTensors, inp: StepInput, sPrev: Float64Array, po: number, sNext: Float64Array, no: number, tape: Float64Array, to: number): void;
  /**
   * Given dsNext (the loss's gradient with respect to sNext), accumulate the tensors' gradients
   * into g, add the gradient with respect to sPrev into dsPrev, and (dense input) with respect to
   * the input into dIn.
   */
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
    tape: Float64Array,
    to: number,
    dsNext: Float64Array,
    dno: number,
    dsPrev: Float64Array,
    dpo: number,
  ): void;
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
