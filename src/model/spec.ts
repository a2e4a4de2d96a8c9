/**
 * A model's tensors, named once for every backend: each layer's cell tensors (layer 0's under the
 * cell's own names, layer ℓ > 0's as `name.ℓ`) and the output layer
 *   y = Why·h_top + by        Why [V × H] N(0,1)·0.01, by [V] 0   (min-char-rnn's)
 * and their initialisation, drawn from one generator seeded with the run's seed in a fixed order:
 * the matrices (layer by layer, then Why), then the vectors.
 * For min-char-rnn's configuration this is Wxh, Whh, bh, Why, by, initialised exactly as
 * min-char-rnn's initParams did.
 */
import { gaussian, makeRng } from '../util/rng.js';
import { CELLS } from './cells/index.js';
import type { TensorSpec } from './cells/types.js';
import { withDefaults, type RnnConfig, type Tensors } from './types.js';

export interface ModelTensor extends TensorSpec {
  /** The model-wide name (layer suffix added). */
  fullName: string;
  /** The cell layer it belongs to, or −1 for the output layer. */
  layer: number;
}

export function layerTensorName(name: string, layer: number): string {
  return layer === 0 ? name : `${name}.${layer}`;
}

/** Every parameter tensor of the model, in initialisation order: matrices, then vectors. */
export function modelTensors(config: RnnConfig): ModelTensor[] {
  const c = withDefaults(config);
  const cell = CELLS[c.cell];
  const H = c.hiddenSize;
  const V = c.vocabSize;
  const all: ModelTensor[] = [];
  for (let layer = 0; layer < c.layers; layer++) {
    const I = layer === 0 ? V : H;
    for (const t of cell.tensors(I, H, { forgetBias: c.forgetBias }))
      all.push({ ...t, fullName: layerTensorName(t.name, layer), layer });
  }
  all.push({ name: 'Why', fullName: 'Why', layer: -1, rows: V, cols: H, init: { kind: 'normal', scale: 0.01 } });
  all.push({ name: 'by', fullName: 'by', layer: -1, rows: V, cols: 1, init: { kind: 'const', scale: 0 } });
  // PyTorch's (torch.nn.RNN/GRU/LSTM and nn.Linear): every weight and bias U(−1/√H, 1/√H), no forget-gate bias.
  const drawn =
    c.init === 'pytorch'
      ? all.map((t): ModelTensor => ({ ...t, init: { kind: 'uniform', scale: 1 / Math.sqrt(H) }, rowsInit: undefined }))
      : all;
  // Matrices first, then vectors (each in layer order): min-char-rnn's Wxh, Whh, Why, bh, by.
  return [...drawn.filter((t) => t.cols > 1), ...drawn.filter((t) => t.cols === 1)];
}

/** Zero tensors shaped like the model's parameters. */
export function zeroTensors(config: RnnConfig): Tensors {
  return Object.fromEntries(modelTensors(config).map((t) => [t.fullName, new Float64Array(t.rows * t.cols)]));
}

/** The initial parameters: every tensor drawn in order from the generator `init:${seed}`. */
export function initTensors(config: RnnConfig): Tensors {
  const rng = makeRng(`init:${config.seed}`);
  const out: Tensors = {};
  for (const t of modelTensors(config)) {
    const w = new Float64Array(t.rows * t.cols);
    const { kind, scale } = t.init;
    if (kind === 'normal') for (let i = 0; i < w.length; i++) w[i] = gaussian(rng) * scale;
    else if (kind === 'uniform') for (let i = 0; i < w.length; i++) w[i] = (2 * rng() - 1) * scale;
    else w.fill(scale);
    if (t.rowsInit) w.fill(t.rowsInit.value, t.rowsInit.from * t.cols, t.rowsInit.to * t.cols);
    out[t.fullName] = w;
  }
  return out;
}

/** Number of parameters. */
export function parameterCount(config: RnnConfig): number {
  return modelTensors(config).reduce((s, t) => s + t.rows * t.cols, 0);
}
