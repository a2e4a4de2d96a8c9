/**
 * The buffers of the one host model (kernelModel.ts) in kernel memory: the parameter-shaped
 * regions, the prepared weights, the carried state, and one workspace per chunk shape (T steps × B
 * streams): training's, and one stream's for scoring and sampling.
 */
import { layerTensorName as layerName } from '../model/spec.js';
import type { CellEntry } from './cells.js';
import type { CellBuffers, Kernels, Mat, Packed } from './kernels.js';
import type { TensorLayout } from './layout.js';

/** Symbols scored per forward call when evaluating (one stream). */
export const EVAL_BLOCK = 256;

export interface Workspace {
  T: number;
  B: number;
  ids: number; // T·B i32, row t·B + b
  targets: number;
  logits: Mat; // T·B × V
  layers: CellBuffers[];
  /** Training with dropout: per boundary ℓ → ℓ+1, the mask (0 or 1/(1 − p)) and the masked h^ℓ, T·B × H. */
  dropout: Masked[] | null;
  /** Training with input dropout: each character's one-hot value (0 or 1/(1 − p)), 1 × T·B. */
  inputMask: Mat | null;
  /** Training with output dropout: the mask on the top layer's h and the masked h, T·B × H. */
  outputDropout: Masked | null;
}

/** A dropout mask (0 or 1/(1 − p) per unit) and the masked activations. */
export interface Masked {
  mask: Mat;
  dropped: Mat;
}

/** One layer's weights as the products want them (refreshed after every optimizer step). */
export interface LayerWeights {
  /** W_h for h·W_hᵀ (forward) and dz·W_h (backward). */
  WhF: Packed;
  WhB: Packed;
  /** Layers above the first: W_x for h_below·W_xᵀ and dz·W_x. */
  WxF: Packed | null;
  WxB: Packed | null;
  /** The GRU's hidden bias, or null. */
  bh: Mat | null;
}

export interface Shape {
  L: number;
  H: number;
  V: number;
  dropout: number;
  inputDropout: number;
  outputDropout: number;
}

/** A workspace for chunks of T steps of B streams (training: with the backward buffers). */
export function allocWorkspace(
  k: Kernels,
  cell: CellEntry,
  s: Shape,
  T: number,
  B: number,
  training: boolean,
): Workspace {
  const Hp = Math.ceil(s.H / k.align) * k.align;
  const G = cell.nGates * Hp;
  const n = T * B;
  const layers = Array.from({ length: s.L }, (): CellBuffers => ({
    Z: k.alloc(n, G),
    GH: cell.hiddenBias ? k.alloc(n, G) : null,
    hs: k.alloc(n + B, s.H),
    cs: cell.hasCellState ? k.alloc(n + B, s.H) : null,
    train: training
      ? {
          dH: k.alloc(n, s.H),
          dh: k.alloc(B, s.H),
          dc: cell.hasCellState ? k.alloc(B, s.H) : null,
          scratch: k.allocCellScratch(cell.kind, T, B, s.H),
        }
      : null,
  }));
  const masked = (): Masked => ({ mask: k.alloc(n, s.H), dropped: k.alloc(n, s.H) });
  const dropout = training && s.dropout > 0 && s.L > 1 ? Array.from({ length: s.L - 1 }, masked) : null;
  const inputMask = training && s.inputDropout > 0 ? k.alloc(1, n) : null;
  const outputDropout = training && s.outputDropout > 0 ? masked() : null;
  return {
    T,
    B,
    ids: k.allocI32(n),
    targets: k.allocI32(n),
    logits: k.alloc(n, s.V),
    layers,
    dropout,
    inputMask,
    outputDropout,
  };
}

/** Layer l's prepared weights (their contents are written by packWeights). */
export function allocLayerWeights(k: Kernels, layout: TensorLayout, P: Mat, cell: CellEntry, l: number): LayerWeights {
  const Wh = layout.mat(P, layerName(cell.recurrentWeight, l));
  const Wx = l > 0 ? layout.mat(P, layerName(cell.inputWeight, l)) : null;
  return {
    WhF: k.allocPacked(Wh, 'ABt'),
    WhB: k.allocPacked(Wh, 'AB'),
    WxF: Wx && k.allocPacked(Wx, 'ABt'),
    WxB: Wx && k.allocPacked(Wx, 'AB'),
    bh: cell.hiddenBias ? layout.mat(P, layerName(cell.hiddenBias, l)) : null,
  };
}

/** Writes the prepared copies of layer l's weights from the parameters at P. */
export function packLayerWeights(
  k: Kernels,
  layout: TensorLayout,
  P: Mat,
  cell: CellEntry,
  l: number,
  w: LayerWeights,
): void {
  const Wh = layout.mat(P, layerName(cell.recurrentWeight, l));
  k.pack(w.WhF, Wh);
  k.pack(w.WhB, Wh);
  if (w.WxF && w.WxB) {
    const Wx = layout.mat(P, layerName(cell.inputWeight, l));
    k.pack(w.WxF, Wx);
    k.pack(w.WxB, Wx);
  }
}
