/**
 * The kernel interface of the one host model (src/backend/kernelModel.ts): what a chunk of
 * training, scoring or sampling needs, implemented by the WebAssembly kernels (wasmKernels.ts, over
 * assembly/kernels.ts) and by the native ones (nativeKernels.ts, over native/*.cc). A kernel works
 * on whole matrices or whole chunks (a cell's T steps in one call), so a chunk is a few dozen calls
 * whatever its size.
 *
 * Memory: a Kernels instance owns one linear memory (a WebAssembly memory, or the native arena).
 * Matrices are allocated in it (`alloc`) as Mat handles: row-major f32, the row stride `ld` rounded
 * up to a multiple of `align` floats, every matrix 64-byte aligned and zero-filled, so the padding
 * columns the kernels read are zero. Views of the memory are invalid after the next alloc.
 *
 * Weights that several products read are prepared once per optimizer step (`pack`) in the form the
 * products want: 'ABt' for Y = A·Wᵀ (W is PyTorch's [out × in]), 'AB' for Y = A·W.
 *
 * A cell's buffers for a chunk of T steps of B streams (Hp = H rounded up to `align`, G = nG·Hp,
 * gate blocks Hp apart: i f g o for the LSTM, r z n for the GRU, one for the rnn):
 *   Z   T·B × G     in: the input part of the pre-activations (with the input bias); out of
 *                   forward: what backward needs (the LSTM's and GRU's gates); out of backward:
 *                   ∂loss/∂(input part)
 *   GH  T·B × G     GRU only: h_{t−1}·W_hᵀ + b_h, then its gradient
 *   hs, cs  (T+1)·B × H   block 0 the incoming state, block t+1 the state after step t (cs: LSTM only)
 *   dH  T·B × H     ∂loss/∂h_t from above;  dh, dc  B × H  carried from beyond the chunk to its start
 */
import type { Mat, MemoryView } from './memory.js';

export type { Mat } from './memory.js';

/** A weight prepared for products: W (of.rows × of.cols) in the form Y = A·Wᵀ ('ABt') or Y = A·W ('AB'). */
export interface Packed {
  readonly ptr: number;
  readonly form: 'ABt' | 'AB';
  readonly of: { readonly rows: number; readonly cols: number };
}

export type CellKind = 'rnn' | 'gru' | 'lstm';

/** One layer's buffers for a chunk (see above); `scratch` is the kernels' own (from allocCellScratch). */
export interface CellBuffers {
  Z: Mat;
  GH: Mat | null;
  hs: Mat;
  cs: Mat | null;
  train: { dH: Mat; dh: Mat; dc: Mat | null; scratch: unknown } | null;
}

/**
 * One optimizer step over a whole parameter region, the gradient first clipped to [−clip, clip]
 * (Infinity: off) and then scaled by gradScale (clip_grad_norm_'s factor, 1 when off); w is first
 * multiplied by decay (decoupled weight decay, AdamW's: 1 − lr·λ; absent: 1, exactly no change):
 *   adagrad  m += g²;                 w −= lr·g / √(m + eps)            (min-char-rnn's; slots: m)
 *   rmsprop  m = α·m + (1 − α)·g²;     w −= lr·g / (√m + eps)           (char-rnn's; slots: m)
 *   adam     torch.optim.Adam, step t from 1 (slots: m, v)
 * A knob of the update is a field here and a line in each implementation's kernel (decay was
 * added so: the field, a multiply in each of the three kernels of both implementations).
 */
export interface OptimizerStep {
  kind: 'adagrad' | 'rmsprop' | 'adam';
  lr: number;
  eps: number;
  clip?: number;
  gradScale?: number;
  /** RMSprop's decay. */
  alpha?: number;
  /** Adam's: t (from 1), β1, β2 (torch's defaults 0.9, 0.999). */
  step?: number;
  beta1?: number;
  beta2?: number;
  /** Decoupled weight decay's factor 1 − lr·λ (the host passes it for the weight matrices only). */
  decay?: number;
}

export interface Kernels extends MemoryView {
  /** 'wasm' or 'native'. */
  readonly backend: 'wasm' | 'native';
  /** The code path: 'simd128' or 'relaxed' (wasm); 'avx512', 'avx2', 'sse2', 'neon', 'scalar' (native). */
  readonly isa: string;
  /** Threads a call may use. */
  readonly threads: number;

  allocPacked(W: { rows: number; cols: number }, form: Packed['form']): Packed;
  /**
   * Bp ← W prepared (W's shape must be the one Bp was allocated for). 'ABt' reads only W's logical
   * columns; 'AB' may read W in place at each product, padding columns included, which must then be
   * zero (as in every matrix alloc returns: the host keeps its parameters' padding zero).
   */
  pack(Bp: Packed, W: Mat): void;
  /** Y = A·Wᵀ or A·W (Bp's form) (+ bias, a 1 × Y.cols matrix) (+ Y). */
  gemmPacked(Y: Mat, A: Mat, Bp: Packed, opts?: { bias?: Mat; accumulate?: boolean }): void;
  /** C = A·B (+ C): A M×K, B K×N. */
  gemmAB(C: Mat, A: Mat, B: Mat, accumulate?: boolean): void;
  /** C = Aᵀ·B (+ C): A K×M, B K×N. */
  gemmAtB(C: Mat, A: Mat, B: Mat, accumulate?: boolean): void;

  /**
   * out[r, :] = table[ids[r], :]·scales[r] (+ bias) for r < out.rows; ids at byte address `ids`;
   * scales (input dropout's mask, a 1 × ≥rows matrix) absent: 1.
   */
  gatherRows(out: Mat, ids: number, table: Mat, bias?: Mat, scales?: Mat): void;
  /** table[ids[r], :] += src[r, :]·scales[r] (scales absent: 1) for r < src.rows, in the order r = 0, 1, … */
  scatterAddRows(table: Mat, ids: number, src: Mat, scales?: Mat): void;
  /** out (1×N) (+)= the column sums of A (M×N). */
  sumRows(out: Mat, A: Mat, accumulate?: boolean): void;
  /** Softmax cross-entropy in place (rows of Y become scale·(p − onehot)); returns Σ −ln p[target] in nats. */
  softmaxXent(Y: Mat, targets: number, scale: number): number;
  /** Row r of Y becomes softmax(y·invT) (the reference's exp((y − max)·invT) / Σ). */
  softmaxRow(Y: Mat, r: number, invT: number): void;
  /** Σ x² over all rows × ld floats of m (padding is zero). */
  sumSquares(m: Mat): number;
  /** Every float of m (padding included) clipped to [−c, c]; NaN stays NaN. */
  clipValues(m: Mat, c: number): void;
  /** One optimizer step over all of W (rows × ld floats) with gradient G and the optimizer's slots, each of W's shape. */
  optimize(W: Mat, G: Mat, slots: Mat[], s: OptimizerStep): void;
  /**
   * Dropout's mask: rows × cols values of out (rows ≤ out.rows, cols ≤ out.cols) in row-major order,
   * each 0 with probability p, else 1/(1 − p): 0 when the generator's next double is below p, the
   * reference's draw. The generator is seedrandom's ARC4 (src/util/rng.ts), its state at byte address
   * `rng` as RNG_STATE_INTS int32 (S[0..255], i, j), read and written back: the same draws, bit for bit.
   */
  dropoutMask(out: Mat, rows: number, cols: number, p: number, rng: number): void;

  /** What cellForward and cellBackward of this kind need beyond the common buffers, for T steps of B streams of H units. */
  allocCellScratch(kind: CellKind, T: number, B: number, H: number): unknown;
  /**
   * The cell's recurrence over `len` steps from block 0 of hs (cs): Wf is W_h prepared 'ABt' (nG·Hp × H),
   * bh the GRU's hidden bias (1 × nG·Hp) or null.
   */
  cellForward(kind: CellKind, len: number, B: number, buf: CellBuffers, Wf: Packed, bh: Mat | null): void;
  /**
   * Back through what cellForward saw, from buf.train.dH (dh, dc carry ∂loss/∂(state after the chunk)
   * in and ∂loss/∂(state before it) out): Z (and GH) ← their gradients; gWh ← ∂loss/∂W_h. Wb is W_h
   * prepared 'AB'. The GRU's ∂b_h is Σ GH (the caller's). gWh's rows of padding units may be left as
   * they are (zero, as alloc made them).
   */
  cellBackward(kind: CellKind, len: number, B: number, buf: CellBuffers, Wb: Packed, gWh: Mat): void;
}

export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** The int32 of a dropout generator's state in kernel memory: S[256], i, j. */
export const RNG_STATE_INTS = 258;

/** dropoutMask's arguments fit. */
export function checkDropoutMask(out: Mat, rows: number, cols: number, p: number): void {
  checkShapes(
    'dropoutMask',
    Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0 && rows <= out.rows && cols <= out.cols,
    out,
  );
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropoutMask: p must be in [0, 1), got ${p}`);
}

/** Throws a RangeError naming the operation and the shapes when they do not fit. */
export function checkShapes(op: string, ok: boolean, ...mats: { rows: number; cols: number }[]): void {
  if (!ok) throw new RangeError(`${op}: shapes do not fit: ${mats.map((m) => `${m.rows}×${m.cols}`).join(', ')}`);
}

/** The product Y = A·(W or Wᵀ) fits: K and N from the packed weight's form. */
export function checkGemmPacked(Y: Mat, A: Mat, Bp: Packed, bias?: Mat): { K: number; N: number } {
  const [K, N] = Bp.form === 'ABt' ? [Bp.of.cols, Bp.of.rows] : [Bp.of.rows, Bp.of.cols];
  checkShapes(`gemmPacked (${Bp.form})`, A.cols === K && Y.rows === A.rows && Y.cols === N, Y, A, Bp.of);
  if (bias && bias.cols !== N) throw new RangeError(`gemmPacked: bias has ${bias.cols} columns, expected ${N}`);
  return { K, N };
}

/** The optimizer's buffers all have W's shape. */
export function checkSameShape(op: string, W: Mat, others: Mat[]): void {
  for (const m of others)
    if (m.rows !== W.rows || m.ld !== W.ld)
      throw new RangeError(`${op}: ${m.rows}×${m.ld} against W ${W.rows}×${W.ld}`);
}

/** Adam's per-step factors: the step size lr / (1 − β1^t) and √(1 − β2^t). */
export function adamFactors(s: OptimizerStep): { stepSize: number; b1: number; b2: number; bc2sqrt: number } {
  const [b1, b2, t] = [s.beta1 ?? 0.9, s.beta2 ?? 0.999, s.step ?? 1];
  return { stepSize: s.lr / (1 - b1 ** t), b1, b2, bc2sqrt: Math.sqrt(1 - b2 ** t) };
}

/** The slots an optimizer keeps, by its state names (src/optim/optimizers.ts's). */
export const OPTIMIZER_SLOTS = { adagrad: ['mem'], rmsprop: ['ms'], adam: ['m', 'v'] } as const;

/** The optimizer's slots are as many as it keeps, and W's shape. */
export function checkOptimize(W: Mat, G: Mat, slots: Mat[], s: OptimizerStep): void {
  const want = OPTIMIZER_SLOTS[s.kind].length;
  if (slots.length !== want) throw new RangeError(`optimize (${s.kind}): ${slots.length} slot(s), expected ${want}`);
  checkSameShape(`optimize (${s.kind})`, W, [G, ...slots]);
}

/** A row-scale vector (1 × ≥ n), if given, covers n rows. */
export function checkScales(scales: Mat | undefined, n: number): boolean {
  return scales === undefined || (scales.rows === 1 && scales.cols >= n);
}

/** Gate blocks of each cell kind. */
export const GATES: Record<CellKind, number> = { rnn: 1, gru: 3, lstm: 4 };

/** The cell buffers fit T steps of B streams (Hp = hs.ld). */
export function checkCellBuffers(kind: CellKind, len: number, B: number, buf: CellBuffers): number {
  const Hp = buf.hs.ld;
  const G = GATES[kind] * Hp;
  const n = len * B;
  const ok =
    buf.Z.rows >= n &&
    buf.Z.ld === G &&
    buf.hs.rows >= n + B &&
    (kind !== 'lstm' || (buf.cs !== null && buf.cs.ld === Hp)) &&
    (kind !== 'gru' || (buf.GH !== null && buf.GH.ld === G));
  if (!ok)
    throw new RangeError(
      `${kind} cell: buffers do not fit ${len} steps of ${B} streams (Z ${buf.Z.rows}×${buf.Z.ld}, hs ${buf.hs.rows}×${buf.hs.ld})`,
    );
  return Hp;
}
