/**
 * The WebAssembly implementation of the kernel interface (src/backend/kernels.ts): assembly/kernels.ts,
 * built by scripts/build-wasm.mjs into build/kernels.wasm and, with relaxed SIMD,
 * build/kernels-relaxed.wasm. The portable backend: the same bits on every machine and engine.
 *
 * Builds: 'simd128' (multiply, then add) runs everywhere Node 20 does; 'relaxed' (f32x4.relaxed_madd,
 * fused on hardware with FMA) needs a runtime with relaxed SIMD (Node 22+, or Node 20 with
 * --experimental-wasm-relaxed-simd). 'auto' takes 'relaxed' where WebAssembly.validate accepts it.
 *
 * Weights: 'ABt' is W packed by packRows4 for gemmABtPacked; 'AB' keeps W itself for gemmAB (so
 * the products are those the wasm backend always made, bit for bit) and Wᵀ packed for the cells'
 * backward.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  adamFactors,
  checkCellBuffers,
  checkDropoutMask,
  checkGemmPacked,
  checkOptimize,
  checkScales,
  checkShapes,
  GATES,
  type OptimizerStep,
  type CellBuffers,
  type CellKind,
  type Kernels,
  type Mat,
  type Packed,
} from './kernels.js';
import { KernelMemory, type EngineCalls } from './memory.js';

export type WasmBuild = 'simd128' | 'relaxed';

const URLS: Record<WasmBuild, URL> = {
  simd128: new URL('../../build/kernels.wasm', import.meta.url),
  relaxed: new URL('../../build/kernels-relaxed.wasm', import.meta.url),
};

/** The slice of the WebAssembly JS API used here (the project compiles without DOM typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmCompiledModule {
  readonly __compiledKernelsModule?: never;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmCompiledModule;
  Instance: new (module: WasmCompiledModule, imports: object) => { readonly exports: object };
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The kernels' exports; pointers are byte addresses, strides are in floats. */
interface Exports extends EngineCalls {
  memory: WasmMemory;
  heapBase(): number;
  gemmABt(
    M: number,
    N: number,
    K: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    Y: number,
    ldy: number,
    bias: number,
    acc: number,
  ): void;
  gemmABtPacked(
    M: number,
    N: number,
    K: number,
    A: number,
    lda: number,
    Bp: number,
    Y: number,
    ldy: number,
    bias: number,
    acc: number,
  ): void;
  packRows4(N: number, K: number, B: number, ldb: number, Bp: number): void;
  rnnForward(T: number, B: number, Hp: number, Z: number, WhhP: number, hs: number, hT: number, ldht: number): void;
  rnnBackward(
    T: number,
    B: number,
    Hp: number,
    Z: number,
    WhhTP: number,
    hs: number,
    dH: number,
    dh: number,
    ZT: number,
    ldzt: number,
  ): void;
  lstmForward(
    T: number,
    B: number,
    Hp: number,
    Z: number,
    WhhP: number,
    hs: number,
    cs: number,
    hT: number,
    ldht: number,
  ): void;
  lstmBackward(
    T: number,
    B: number,
    Hp: number,
    Z: number,
    WhhTP: number,
    hs: number,
    cs: number,
    dH: number,
    dh: number,
    dc: number,
    ZT: number,
    ldzt: number,
  ): void;
  gruForward(
    T: number,
    B: number,
    Hp: number,
    X: number,
    GH: number,
    WhhP: number,
    bhh: number,
    hs: number,
    hT: number,
    ldht: number,
  ): void;
  gruBackward(
    T: number,
    B: number,
    Hp: number,
    X: number,
    GH: number,
    WhhTP: number,
    hs: number,
    dH: number,
    dh: number,
    GHT: number,
    ldght: number,
  ): void;
  transpose(rows: number, cols: number, src: number, lds: number, dst: number, ldd: number): void;
  gatherRows(n: number, ids: number, table: number, ld: number, bias: number, out: number, scales: number): void;
  scatterAddRows(n: number, ids: number, src: number, ld: number, table: number, scales: number): void;
  adam(
    W: number,
    G: number,
    M: number,
    V: number,
    n: number,
    stepSize: number,
    b1: number,
    b2: number,
    eps: number,
    bc2sqrt: number,
    gscale: number,
    decay: number,
  ): void;
  adagrad(W: number, G: number, M: number, n: number, lr: number, eps: number, gscale: number, decay: number): void;
  rmsprop(
    W: number,
    G: number,
    M: number,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    gscale: number,
    decay: number,
  ): void;
  peakProbe(iters: number, a: number, b: number): number;
  peakMacsPerRound(): number;
}

/**
 * A weight prepared by the wasm kernels: 'ABt' packed rows; 'AB' the source (for gemmAB) and its
 * transpose packed for the cells' backward, made when a cell first needs it after each pack.
 */
interface WasmPacked extends Packed {
  source: Mat | null;
  transposed: Mat | null;
  stale: boolean;
}

/** The wasm cells' own buffers: h_{t−1} transposed (and packed), ∂(hidden part) transposed. */
interface WasmCellScratch {
  hT: Mat;
  hTP: WasmPacked;
  ZT: Mat;
}

const PAGE = 65536;
const modules = new Map<WasmBuild, WasmCompiledModule>();

function moduleBytes(build: WasmBuild): Uint8Array {
  try {
    return readFileSync(URLS[build]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(
        `the WebAssembly kernels ${fileURLToPath(URLS[build])} are missing: run \`npm run build\` (or \`npm run build:wasm\`) first`,
      );
    }
    throw err;
  }
}

/** Whether this runtime accepts the relaxed-SIMD build. */
export function relaxedSimdSupported(): boolean {
  return WA.validate(moduleBytes('relaxed'));
}

function compiled(build: WasmBuild): WasmCompiledModule {
  let m = modules.get(build);
  if (m === undefined) {
    m = new WA.Module(moduleBytes(build));
    modules.set(build, m);
  }
  return m;
}

const roundUp4 = (n: number): number => (n + 3) & ~3;

export class WasmKernels extends KernelMemory implements Kernels {
  readonly backend = 'wasm';
  readonly threads = 1;
  readonly isa: WasmBuild;
  private readonly k: Exports;

  constructor(build: WasmBuild | 'auto' = 'simd128') {
    const isa = build === 'auto' ? (relaxedSimdSupported() ? 'relaxed' : 'simd128') : build;
    if (isa === 'relaxed' && !relaxedSimdSupported()) {
      throw new Error(
        'this runtime does not support WebAssembly relaxed SIMD (Node 22+, or node --experimental-wasm-relaxed-simd)',
      );
    }
    const k = new WA.Instance(compiled(isa), {}).exports as unknown as Exports;
    super(4, k.heapBase());
    this.k = k;
    this.isa = isa;
  }

  protected buffer(): ArrayBuffer {
    return this.k.memory.buffer;
  }

  protected grow(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** A matrix packed by packRows4 for gemmABtPacked (rows of B in panels of 4). */
  private allocRows4(of: { rows: number; cols: number }, form: Packed['form']): WasmPacked {
    return {
      ptr: this.alloc(roundUp4(of.rows), roundUp4(of.cols)).ptr,
      form,
      of: { rows: of.rows, cols: of.cols },
      source: null,
      transposed: null,
      stale: false,
    };
  }

  allocPacked(W: { rows: number; cols: number }, form: Packed['form']): Packed {
    if (form === 'ABt') return this.allocRows4(W, form);
    const p = this.allocRows4({ rows: W.cols, cols: W.rows }, form);
    const ab: WasmPacked = { ...p, of: { rows: W.rows, cols: W.cols }, transposed: this.alloc(W.cols, W.rows) };
    return ab;
  }

  pack(Bp: Packed, W: Mat): void {
    const p = Bp as WasmPacked;
    if (W.rows !== p.of.rows || W.cols !== p.of.cols)
      throw new RangeError(`pack: W is ${W.rows}×${W.cols}, the packed buffer is for ${p.of.rows}×${p.of.cols}`);
    if (p.form === 'ABt') {
      this.k.packRows4(W.rows, W.cols, W.ptr, W.ld, p.ptr);
      return;
    }
    p.source = W;
    p.stale = true;
  }

  /** The packed transpose of an 'AB' weight, made now if the weight changed since. */
  private packedTranspose(Bp: Packed): number {
    const p = Bp as WasmPacked;
    if (p.form !== 'AB' || p.source === null) throw new Error('a cell backward needs W_h packed in the AB form');
    if (p.stale) {
      const [W, t] = [p.source, p.transposed!];
      this.k.transpose(W.rows, W.cols, W.ptr, W.ld, t.ptr, t.ld);
      this.k.packRows4(t.rows, t.cols, t.ptr, t.ld, p.ptr);
      p.stale = false;
    }
    return p.ptr;
  }

  gemmPacked(Y: Mat, A: Mat, Bp: Packed, opts: { bias?: Mat; accumulate?: boolean } = {}): void {
    const { K, N } = checkGemmPacked(Y, A, Bp, opts.bias);
    const p = Bp as WasmPacked;
    if (p.form === 'AB') {
      if (p.source === null) throw new Error('gemmPacked: the weight was never packed');
      if (opts.bias) throw new RangeError('gemmPacked: a bias needs the ABt form');
      this.k.gemmAB(A.rows, N, K, A.ptr, A.ld, p.source.ptr, p.source.ld, Y.ptr, Y.ld, opts.accumulate ? 1 : 0);
      return;
    }
    this.k.gemmABtPacked(A.rows, N, K, A.ptr, A.ld, p.ptr, Y.ptr, Y.ld, opts.bias?.ptr ?? 0, opts.accumulate ? 1 : 0);
  }

  gemmAB(C: Mat, A: Mat, B: Mat, accumulate = false): void {
    checkShapes('gemmAB', A.cols === B.rows && C.rows === A.rows && C.cols === B.cols, C, A, B);
    this.k.gemmAB(A.rows, B.cols, A.cols, A.ptr, A.ld, B.ptr, B.ld, C.ptr, C.ld, accumulate ? 1 : 0);
  }

  gemmAtB(C: Mat, A: Mat, B: Mat, accumulate = false): void {
    checkShapes('gemmAtB', A.rows === B.rows && C.rows === A.cols && C.cols === B.cols, C, A, B);
    this.k.gemmAtB(A.cols, B.cols, A.rows, A.ptr, A.ld, B.ptr, B.ld, C.ptr, C.ld, accumulate ? 1 : 0);
  }

  /** Y = A·Bᵀ (+ bias) (+ Y), B unpacked: for the tests of the packed form. */
  gemmABt(Y: Mat, A: Mat, B: Mat, opts: { bias?: Mat; accumulate?: boolean } = {}): void {
    checkShapes('gemmABt', A.cols === B.cols && Y.rows === A.rows && Y.cols === B.rows, Y, A, B);
    this.k.gemmABt(
      A.rows,
      B.rows,
      A.cols,
      A.ptr,
      A.ld,
      B.ptr,
      B.ld,
      Y.ptr,
      Y.ld,
      opts.bias?.ptr ?? 0,
      opts.accumulate ? 1 : 0,
    );
  }

  gatherRows(out: Mat, ids: number, table: Mat, bias?: Mat, scales?: Mat): void {
    checkShapes(
      'gatherRows',
      out.cols === table.cols && (!bias || bias.cols === table.cols) && checkScales(scales, out.rows),
      out,
      table,
    );
    this.k.gatherRows(out.rows, ids, table.ptr, table.ld, bias?.ptr ?? 0, out.ptr, scales?.ptr ?? 0);
  }

  scatterAddRows(table: Mat, ids: number, src: Mat, scales?: Mat): void {
    checkShapes('scatterAddRows', src.cols === table.cols && checkScales(scales, src.rows), table, src);
    this.k.scatterAddRows(src.rows, ids, src.ptr, src.ld, table.ptr, scales?.ptr ?? 0);
  }

  sumRows(out: Mat, A: Mat, accumulate = false): void {
    checkShapes('sumRows', out.cols === A.cols && out.rows === 1, out, A);
    this.k.sumRows(A.rows, A.cols, A.ptr, A.ld, out.ptr, accumulate ? 1 : 0);
  }

  softmaxXent(Y: Mat, targets: number, scale: number): number {
    return this.k.softmaxXent(Y.rows, Y.cols, Y.ptr, Y.ld, targets, scale);
  }

  softmaxRow(Y: Mat, r: number, invT: number): void {
    if (!(r >= 0 && r < Y.rows)) throw new RangeError(`softmaxRow: row ${r} of a ${Y.rows}-row matrix`);
    this.k.softmaxRow(Y.cols, Y.ptr + r * Y.ld * 4, invT);
  }

  sumSquares(m: Mat): number {
    return this.k.sumSquares(m.ptr, m.rows * m.ld);
  }

  clipValues(m: Mat, c: number): void {
    this.k.clipValues(m.ptr, m.rows * m.ld, c);
  }

  /** The clip (a pass of its own), then assembly/rows.ts's Adam or assembly/optim.ts's Adagrad or RMSprop. */
  dropoutMask(out: Mat, rows: number, cols: number, p: number, rng: number): void {
    checkDropoutMask(out, rows, cols, p);
    this.k.dropoutMask(rng, out.ptr, rows, cols, out.ld, p);
  }

  optimize(W: Mat, G: Mat, slots: Mat[], s: OptimizerStep): void {
    checkOptimize(W, G, slots, s);
    const n = W.rows * W.ld;
    const gs = s.gradScale ?? 1;
    if (s.clip !== undefined && Number.isFinite(s.clip)) this.clipValues(G, s.clip);
    const dk = s.decay ?? 1;
    if (s.kind === 'adagrad') this.k.adagrad(W.ptr, G.ptr, slots[0].ptr, n, s.lr, s.eps, gs, dk);
    else if (s.kind === 'rmsprop') this.k.rmsprop(W.ptr, G.ptr, slots[0].ptr, n, s.lr, s.alpha ?? 0.95, s.eps, gs, dk);
    else {
      const f = adamFactors(s);
      this.k.adam(W.ptr, G.ptr, slots[0].ptr, slots[1].ptr, n, f.stepSize, f.b1, f.b2, s.eps, f.bc2sqrt, gs, dk);
    }
  }

  /** dst[c, r] = src[r, c] (dst at least src.cols × src.rows; the rest of dst is left as it is). */
  transpose(dst: Mat, src: Mat): void {
    checkShapes('transpose', dst.rows >= src.cols && dst.cols >= src.rows, dst, src);
    this.k.transpose(src.rows, src.cols, src.ptr, src.ld, dst.ptr, dst.ld);
  }

  allocCellScratch(kind: CellKind, T: number, B: number, H: number): WasmCellScratch {
    const Hp = roundUp4(H);
    const n = T * B;
    return {
      hT: this.alloc(Hp, n),
      hTP: this.allocRows4({ rows: H, cols: n }, 'ABt'),
      ZT: this.alloc(GATES[kind] * Hp, n),
    };
  }

  cellForward(kind: CellKind, len: number, B: number, buf: CellBuffers, Wf: Packed, bh: Mat | null): void {
    const Hp = checkCellBuffers(kind, len, B, buf);
    const s = buf.train?.scratch as WasmCellScratch | undefined;
    const [hT, ldht] = s ? [s.hT.ptr, s.hT.ld] : [0, 0];
    const k = this.k;
    if (kind === 'lstm') k.lstmForward(len, B, Hp, buf.Z.ptr, Wf.ptr, buf.hs.ptr, buf.cs!.ptr, hT, ldht);
    else if (kind === 'gru') k.gruForward(len, B, Hp, buf.Z.ptr, buf.GH!.ptr, Wf.ptr, bh!.ptr, buf.hs.ptr, hT, ldht);
    else k.rnnForward(len, B, Hp, buf.Z.ptr, Wf.ptr, buf.hs.ptr, hT, ldht);
  }

  cellBackward(kind: CellKind, len: number, B: number, buf: CellBuffers, Wb: Packed, gWh: Mat): void {
    const Hp = checkCellBuffers(kind, len, B, buf);
    const t = buf.train;
    if (t === null) throw new Error('cellBackward needs training buffers');
    const s = t.scratch as WasmCellScratch;
    const n = len * B;
    if (n < s.ZT.cols) this.view(s.ZT).fill(0); // no stale columns past len·B
    const [k, Wp] = [this.k, this.packedTranspose(Wb)];
    if (kind === 'lstm')
      k.lstmBackward(
        len,
        B,
        Hp,
        buf.Z.ptr,
        Wp,
        buf.hs.ptr,
        buf.cs!.ptr,
        t.dH.ptr,
        t.dh.ptr,
        t.dc!.ptr,
        s.ZT.ptr,
        s.ZT.ld,
      );
    else if (kind === 'gru')
      k.gruBackward(len, B, Hp, buf.Z.ptr, buf.GH!.ptr, Wp, buf.hs.ptr, t.dH.ptr, t.dh.ptr, s.ZT.ptr, s.ZT.ld);
    else k.rnnBackward(len, B, Hp, buf.Z.ptr, Wp, buf.hs.ptr, t.dH.ptr, t.dh.ptr, s.ZT.ptr, s.ZT.ld);
    // ∂W_h = Σ_t ∂(hidden part)_tᵀ·h_{t−1}: the transposes as rows with rows.
    const hTP: WasmPacked = { ...s.hTP, of: { rows: s.hTP.of.rows, cols: n } };
    k.packRows4(hTP.of.rows, n, s.hT.ptr, s.hT.ld, hTP.ptr);
    k.gemmABtPacked(gWh.rows, gWh.cols, n, s.ZT.ptr, s.ZT.ld, hTP.ptr, gWh.ptr, gWh.ld, 0, 0);
  }

  /** The peak probe (assembly/kernels.ts): iters rounds of register-resident multiply-adds; returns how many. */
  peakProbe(iters: number): number {
    this.k.peakProbe(iters, 1, 0.5);
    return iters * this.k.peakMacsPerRound();
  }
}
