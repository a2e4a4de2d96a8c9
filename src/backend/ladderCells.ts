/**
 * The wasm backend's entry for each gated cell: which kernels of assembly/{lstm,gru}.ts run one
 * layer's recurrence over a chunk, forward and backward, and which of the cell's tensors they
 * read. What every cell shares (the input projection and its gradients, the output layer, the
 * optimizer) lives in ladderModel.ts. Adding a cell is a kernel pair and an entry here.
 *
 * A layer's buffers for a chunk of T steps of B streams (Hp = H rounded up to 4, G = nGates·Hp):
 *   Z   T·B × G      in: the input part of the pre-activations (with the input bias); out of
 *                    forward: the gates; out of backward: ∂loss/∂(input part)
 *   GH  T·B × G      GRU only: h_{t−1}·W_hᵀ + b_h, then its gradient
 *   hs, cs  (T+1)·B × H   block 0 the incoming state, block t+1 the state after step t
 *   training only: dH T·B × H (∂loss/∂h_t from above), dh, dc B × H (zero: truncated BPTT),
 *   hT Hp × T·B (h_{t−1} transposed) with its packed copy hTP, ZT G × T·B (∂/∂(hidden part) transposed)
 */
import type { LadderKernels, Mat, Packed } from './ladderKernels.js';

export interface LayerBuffers {
  Z: Mat;
  GH: Mat | null;
  hs: Mat;
  cs: Mat | null;
  train: {
    dH: Mat;
    dh: Mat;
    dc: Mat | null;
    hT: Mat;
    hTP: Packed;
    ZT: Mat;
  } | null;
}

/** W_h packed for the forward product and its transpose packed for the backward one (kernel layout). */
export interface RecurrentWeights {
  WhP: Packed;
  WhTP: Packed;
  /** The hidden-side bias (GRU's b_h), or null. */
  bh: Mat | null;
}

export interface WasmCell {
  readonly nGates: number;
  /** Name of the bias added to the input part (in the cell's tensors). */
  readonly inputBias: string;
  /** Name of the bias of the hidden part, or null (the LSTM folds both into b). */
  readonly hiddenBias: string | null;
  readonly hasCellState: boolean;
  /** The recurrence over len steps from block 0 of hs (cs); keeps the transposes when training. */
  forward(k: LadderKernels, len: number, B: number, buf: LayerBuffers, w: RecurrentWeights): void;
  /** Back through it from buf.train.dH: Z ← ∂/∂(input part); gWh ← ∂loss/∂W_h; gbh (if any) ← ∂loss/∂b_h. */
  backward(k: LadderKernels, len: number, B: number, buf: LayerBuffers, w: RecurrentWeights, gWh: Mat, gbh: Mat | null): void;
}

/** The windows of a layer's buffers that a chunk of len ≤ T steps uses. */
export function chunkViews(k: LadderKernels, len: number, B: number, buf: LayerBuffers) {
  const n = len * B;
  const t = buf.train;
  return {
    Z: k.rowsOf(buf.Z, 0, n),
    GH: buf.GH && k.rowsOf(buf.GH, 0, n),
    hs: k.rowsOf(buf.hs, 0, n + B),
    cs: buf.cs && k.rowsOf(buf.cs, 0, n + B),
    dH: t && k.rowsOf(t.dH, 0, n),
    hT: t && { ...t.hT, cols: n },
    ZT: t && { ...t.ZT, cols: n },
    /** ∂loss/∂W_h = Σ_t ∂(hidden part)_tᵀ·h_{t−1}: the transposes as rows with rows. */
    weightGrad(gWh: Mat): void {
      if (t === null) throw new Error('weightGrad needs training buffers');
      const hTP: Packed = { ...t.hTP, of: { rows: t.hTP.of.rows, cols: n } };
      k.packRows4(hTP, { ...t.hT, rows: t.hTP.of.rows, cols: n });
      k.gemmABtPacked(gWh, { ...t.ZT, cols: n }, hTP);
    },
  };
}

/** PyTorch's LSTM (assembly/lstm.ts): gates i, f, g, o; one bias b (b_ih + b_hh). */
export const lstmWasm: WasmCell = {
  nGates: 4,
  inputBias: 'b',
  hiddenBias: null,
  hasCellState: true,
  forward(k, len, B, buf, w) {
    const v = chunkViews(k, len, B, buf);
    k.lstmForward(len, B, v.Z, w.WhP, v.hs, v.cs!, v.hT ?? undefined);
  },
  backward(k, len, B, buf, w, gWh) {
    const v = chunkViews(k, len, B, buf);
    const t = buf.train!;
    k.view(t.dh).fill(0);
    k.view(t.dc!).fill(0);
    k.lstmBackward(len, B, v.Z, w.WhTP, v.hs, v.cs!, v.dH!, t.dh, t.dc!, v.ZT!);
    v.weightGrad(gWh);
  },
};

/** PyTorch's GRU (assembly/gru.ts): gates r, z, n; b_x with the input part, b_h inside r ⊙ (·). */
export const gruWasm: WasmCell = {
  nGates: 3,
  inputBias: 'bx',
  hiddenBias: 'bh',
  hasCellState: false,
  forward(k, len, B, buf, w) {
    const v = chunkViews(k, len, B, buf);
    k.gruForward(len, B, v.Z, v.GH!, w.WhP, w.bh!, v.hs, v.hT ?? undefined);
  },
  backward(k, len, B, buf, w, gWh, gbh) {
    const v = chunkViews(k, len, B, buf);
    const t = buf.train!;
    k.view(t.dh).fill(0);
    k.gruBackward(len, B, v.Z, v.GH!, w.WhTP, v.hs, v.dH!, t.dh, v.ZT!);
    v.weightGrad(gWh);
    k.sumRows(gbh!, v.GH!); // ∂b_h = Σ ∂gh
  },
};

export const WASM_CELLS: Record<string, WasmCell> = { lstm: lstmWasm, gru: gruWasm };
