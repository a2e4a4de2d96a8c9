/**
 * The native implementation of the kernel interface (src/backend/kernels.ts): C++ kernels through
 * Node-API (native/addon.cc), one code path per instruction set chosen at run time, and `threads`
 * threads per call. Its memory is an arena the addon allocates (64-byte aligned) and hands to
 * JavaScript as an ArrayBuffer; matrices are byte offsets into it, which the addon checks against
 * its size. Row strides are multiples of 16 floats (64 bytes), the widest vector the kernels use.
 *
 * Results are exact per ISA and independent of the thread count: every output element is computed
 * by one fixed sequence of operations whichever thread runs it (native/kernels.h).
 */
import {
  adamFactors,
  checkCellBuffers,
  checkDropoutMask,
  checkGemmPacked,
  checkOptimize,
  checkScales,
  checkShapes,
  GATES,
  type CellBuffers,
  type CellKind,
  type Kernels,
  type Mat,
  type OptimizerStep,
  type Packed,
} from './kernels.js';
import { KernelMemory } from './memory.js';
import { defaultIsa, nativeAddon, type NativeContext } from './nativeAddon.js';

const KIND: Record<CellKind, number> = { rnn: 0, gru: 1, lstm: 2 };
/** An 'AB' weight of at most this many floats is read in place: its copy would cost more than its reads (min-char-rnn's). */
const IN_PLACE_FLOATS = 1 << 16;

/**
 * A native prepared weight: packed panels, or ('AB', small) W itself, read with its row stride `ld`.
 * Packing is lazy: pack() records the source, and the first product that needs the panels after it
 * makes them (a weight no product reads between two optimizer steps is not copied).
 */
interface NativePacked extends Packed {
  ptr: number;
  inPlace: boolean;
  ld: number;
  source: Mat | null;
  stale: boolean;
}
const ptrOr = (m: Mat | null | undefined) => m?.ptr ?? -1;

export interface NativeOptions {
  /** The code path (default: CHARLAB_NATIVE_ISA, else the best this CPU runs). */
  isa?: string;
  /** Threads per kernel call (default 1). */
  threads?: number;
}

export class NativeKernels extends KernelMemory implements Kernels {
  readonly backend = 'native';
  readonly isa: string;
  readonly threads: number;
  private readonly ctx: NativeContext;
  private ab: ArrayBuffer;

  constructor(opts: NativeOptions = {}) {
    super(16, 0);
    const threads = opts.threads ?? 1;
    if (!(Number.isInteger(threads) && threads >= 1))
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    this.ctx = new (nativeAddon().Context)(opts.isa ?? defaultIsa(), threads);
    this.isa = this.ctx.isa;
    this.threads = threads;
    this.ab = this.ctx.grow(1 << 16);
  }

  protected buffer(): ArrayBuffer {
    return this.ab;
  }

  protected grow(bytes: number): void {
    this.ab = this.ctx.grow(Math.max(bytes, 2 * this.ab.byteLength));
  }

  /** K and N of the product a packed weight takes part in (W is N×K for 'ABt', K×N for 'AB'). */
  private static dims(of: { rows: number; cols: number }, form: Packed['form']): [number, number] {
    return form === 'ABt' ? [of.cols, of.rows] : [of.rows, of.cols];
  }

  allocPacked(W: { rows: number; cols: number }, form: Packed['form']): Packed {
    const [K, N] = NativeKernels.dims(W, form);
    const of = { rows: W.rows, cols: W.cols };
    const p: NativePacked = {
      ptr: -1,
      form,
      of,
      inPlace: form === 'AB' && W.rows * W.cols <= IN_PLACE_FLOATS,
      ld: 0,
      source: null,
      stale: false,
    };
    if (!p.inPlace) p.ptr = this.alloc(1, this.ctx.packedFloats(K, N)).ptr;
    return p;
  }

  pack(Bp: Packed, W: Mat): void {
    if (W.rows !== Bp.of.rows || W.cols !== Bp.of.cols)
      throw new RangeError(`pack: W is ${W.rows}×${W.cols}, the packed buffer is for ${Bp.of.rows}×${Bp.of.cols}`);
    const p = Bp as NativePacked;
    [p.source, p.stale] = [W, true];
    if (p.inPlace) [p.ptr, p.ld] = [W.ptr, W.ld];
  }

  /** The weight's panels, made now if W changed since (or W itself, read in place): [pointer, row stride (0: panels)]. */
  private panels(Bp: Packed): [number, number] {
    const p = Bp as NativePacked;
    if (p.source === null) throw new Error(`the weight (${p.of.rows}×${p.of.cols}, ${p.form}) was never packed`);
    if (p.inPlace) return [p.ptr, p.ld];
    if (p.stale) {
      const [K, N] = NativeKernels.dims(p.source, p.form);
      this.ctx.pack(p.form === 'ABt' ? 0 : 1, N, K, p.source.ptr, p.source.ld, p.ptr);
      p.stale = false;
    }
    return [p.ptr, 0];
  }

  gemmPacked(Y: Mat, A: Mat, Bp: Packed, opts: { bias?: Mat; accumulate?: boolean } = {}): void {
    const { K, N } = checkGemmPacked(Y, A, Bp, opts.bias);
    const [ptr, ld] = this.panels(Bp);
    this.ctx.gemmPacked(A.rows, N, K, A.ptr, A.ld, ptr, ld, Y.ptr, Y.ld, ptrOr(opts.bias), opts.accumulate ? 1 : 0);
  }

  gemmAB(C: Mat, A: Mat, B: Mat, accumulate = false): void {
    checkShapes('gemmAB', A.cols === B.rows && C.rows === A.rows && C.cols === B.cols, C, A, B);
    this.ctx.gemmAB(A.rows, B.cols, A.cols, A.ptr, A.ld, B.ptr, B.ld, C.ptr, C.ld, accumulate ? 1 : 0);
  }

  gemmAtB(C: Mat, A: Mat, B: Mat, accumulate = false): void {
    checkShapes('gemmAtB', A.rows === B.rows && C.rows === A.cols && C.cols === B.cols, C, A, B);
    this.ctx.gemmAtB(A.cols, B.cols, A.rows, A.ptr, A.ld, B.ptr, B.ld, C.ptr, C.ld, accumulate ? 1 : 0);
  }

  gatherRows(out: Mat, ids: number, table: Mat, bias?: Mat, scales?: Mat): void {
    checkShapes(
      'gatherRows',
      out.cols === table.cols &&
        out.ld === table.ld &&
        (!bias || bias.cols === table.cols) &&
        checkScales(scales, out.rows),
      out,
      table,
    );
    this.ctx.gatherRows(
      out.rows,
      ids,
      table.ptr,
      table.rows,
      table.ld,
      table.cols,
      ptrOr(bias),
      out.ptr,
      ptrOr(scales),
    );
  }

  scatterAddRows(table: Mat, ids: number, src: Mat, scales?: Mat): void {
    checkShapes(
      'scatterAddRows',
      src.cols === table.cols && src.ld === table.ld && checkScales(scales, src.rows),
      table,
      src,
    );
    this.ctx.scatterAddRows(src.rows, ids, src.ptr, src.ld, src.cols, table.ptr, table.rows, ptrOr(scales));
  }

  sumRows(out: Mat, A: Mat, accumulate = false): void {
    checkShapes('sumRows', out.cols === A.cols && out.rows === 1, out, A);
    this.ctx.sumRows(A.rows, A.cols, A.ptr, A.ld, out.ptr, accumulate ? 1 : 0);
  }

  softmaxXent(Y: Mat, targets: number, scale: number): number {
    return this.ctx.softmaxXent(Y.rows, Y.cols, Y.ptr, Y.ld, targets, scale);
  }

  softmaxRow(Y: Mat, r: number, invT: number): void {
    if (!(r >= 0 && r < Y.rows)) throw new RangeError(`softmaxRow: row ${r} of a ${Y.rows}-row matrix`);
    this.ctx.softmaxRow(Y.cols, Y.ptr + r * Y.ld * 4, invT);
  }

  sumSquares(m: Mat): number {
    return this.ctx.sumSquares(m.ptr, m.rows * m.ld);
  }

  clipValues(m: Mat, c: number): void {
    this.ctx.clipValues(m.ptr, m.rows * m.ld, c);
  }

  /** One pass over the region: the clip, the scale and the update together (native/rows.inc). */
  optimize(W: Mat, G: Mat, slots: Mat[], s: OptimizerStep): void {
    checkOptimize(W, G, slots, s);
    const [n, clip, gs, dk] = [W.rows * W.ld, s.clip ?? Infinity, s.gradScale ?? 1, s.decay ?? 1];
    if (s.kind === 'adagrad') this.ctx.adagrad(W.ptr, G.ptr, slots[0].ptr, n, s.lr, s.eps, gs, clip, dk);
    else if (s.kind === 'rmsprop')
      this.ctx.rmsprop(W.ptr, G.ptr, slots[0].ptr, n, s.lr, s.alpha ?? 0.95, s.eps, gs, clip, dk);
    else {
      const f = adamFactors(s);
      this.ctx.adam(
        W.ptr,
        G.ptr,
        slots[0].ptr,
        slots[1].ptr,
        n,
        f.stepSize,
        f.b1,
        f.b2,
        s.eps,
        f.bc2sqrt,
        gs,
        clip,
        dk,
      );
    }
  }

  dropoutMask(out: Mat, rows: number, cols: number, p: number, rng: number): void {
    checkDropoutMask(out, rows, cols, p);
    this.ctx.dropoutMask(rng, out.ptr, rows, cols, out.ld, p);
  }

  allocCellScratch(): null {
    return null; // the native cells need nothing beyond the common buffers
  }

  /** W_h prepared in `form` for this cell's buffers (nG·Hp × H). */
  private checkRecurrent(kind: CellKind, buf: CellBuffers, W: Packed, form: Packed['form']): void {
    const ok = W.form === form && W.of.rows === GATES[kind] * buf.hs.ld && W.of.cols === buf.hs.cols;
    if (!ok)
      throw new RangeError(
        `${kind} cell: W_h is ${W.of.rows}×${W.of.cols} (${W.form}), expected ${GATES[kind] * buf.hs.ld}×${buf.hs.cols} (${form})`,
      );
  }

  cellForward(kind: CellKind, len: number, B: number, buf: CellBuffers, Wf: Packed, bh: Mat | null): void {
    const Hp = checkCellBuffers(kind, len, B, buf);
    this.checkRecurrent(kind, buf, Wf, 'ABt');
    const [ptr] = this.panels(Wf);
    this.ctx.cellForward(
      KIND[kind],
      len,
      B,
      buf.hs.cols,
      Hp,
      buf.Z.ptr,
      ptrOr(buf.GH),
      ptr,
      ptrOr(bh),
      buf.hs.ptr,
      ptrOr(buf.cs),
    );
  }

  cellBackward(kind: CellKind, len: number, B: number, buf: CellBuffers, Wb: Packed, gWh: Mat): void {
    const Hp = checkCellBuffers(kind, len, B, buf);
    this.checkRecurrent(kind, buf, Wb, 'AB');
    const t = buf.train;
    if (t === null) throw new Error('cellBackward needs training buffers');
    checkShapes(
      'cellBackward: gWh',
      gWh.rows === GATES[kind] * Hp && gWh.cols === buf.hs.cols && gWh.ld === Hp,
      gWh,
      buf.hs,
    );
    const [ptr, ld] = this.panels(Wb);
    const args = [buf.hs.ptr, ptrOr(buf.cs), t.dH.ptr, t.dh.ptr, ptrOr(t.dc), gWh.ptr] as const;
    this.ctx.cellBackward(KIND[kind], len, B, buf.hs.cols, Hp, buf.Z.ptr, ptrOr(buf.GH), ptr, ld, ...args);
  }

  /** The vector tanh (0), exp of x <= 0 (1) or sigmoid (2) of the kernels, applied to xs: for measuring their accuracy. */
  vectorMath(which: 0 | 1 | 2, xs: ArrayLike<number>): Float32Array {
    const m = this.alloc(1, xs.length);
    this.write(m, xs);
    this.ctx.vectorMath(which, m.ptr, m.ld);
    return this.view(m).slice(0, xs.length);
  }
}
