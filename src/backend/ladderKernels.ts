/**
 * The host of the model ladder's WebAssembly kernels (assembly/ladder.ts, built by
 * scripts/build-wasm.mjs into build/ladder.wasm and, with relaxed SIMD, build/ladder-relaxed.wasm).
 *
 * A LadderKernels instance owns one WebAssembly memory. Matrices are allocated in it (`alloc`) as
 * Mat handles: row-major f32, the row stride `ld` rounded up to a multiple of 4 floats and every
 * matrix 64-byte aligned and zero-filled, so the padding columns the kernels read are zero. The
 * typed methods check shapes and forward to the kernels; the numbers are computed in wasm.
 *
 * Builds: 'simd128' (multiply, then add) runs everywhere Node 20 does; 'relaxed' (f32x4.relaxed_madd,
 * fused on hardware with FMA) needs a runtime with relaxed SIMD (Node 22+, or Node 20 with
 * --experimental-wasm-relaxed-simd). 'auto' takes 'relaxed' where WebAssembly.validate accepts it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type LadderBuild = 'simd128' | 'relaxed';

const URLS: Record<LadderBuild, URL> = {
  simd128: new URL('../../build/ladder.wasm', import.meta.url),
  relaxed: new URL('../../build/ladder-relaxed.wasm', import.meta.url),
};

/** The slice of the WebAssembly JS API used here (the project compiles without DOM typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmCompiledModule {
  readonly __compiledLadderModule?: never;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmCompiledModule;
  Instance: new (module: WasmCompiledModule, imports: object) => { readonly exports: object };
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The kernels' exports; pointers are byte addresses, strides are in floats. */
interface Exports {
  memory: WasmMemory;
  heapBase(): number;
  relaxed(): number;
  gemmABt(M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, Y: number, ldy: number, bias: number, acc: number): void;
  gemmABtPacked(M: number, N: number, K: number, A: number, lda: number, Bp: number, Y: number, ldy: number, bias: number, acc: number): void;
  packRows4(N: number, K: number, B: number, ldb: number, Bp: number): void;
  gemmAB(M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, acc: number): void;
  gemmAtB(M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, acc: number): void;
  lstmForward(T: number, B: number, Hp: number, Z: number, WhhP: number, hs: number, cs: number, hT: number, ldht: number): void;
  lstmBackward(T: number, B: number, Hp: number, Z: number, WhhTP: number, hs: number, cs: number, dH: number, dh: number, dc: number, ZT: number, ldzt: number): void;
  gruForward(T: number, B: number, Hp: number, X: number, GH: number, WhhP: number, bhh: number, hs: number, hT: number, ldht: number): void;
  gruBackward(T: number, B: number, Hp: number, X: number, GH: number, WhhTP: number, hs: number, dH: number, dh: number, GHT: number, ldght: number): void;
  transpose(rows: number, cols: number, src: number, lds: number, dst: number, ldd: number): void;
  gatherRows(n: number, ids: number, table: number, ld: number, bias: number, out: number): void;
  scatterAddRows(n: number, ids: number, src: number, ld: number, table: number): void;
  sumRows(M: number, N: number, A: number, lda: number, out: number, acc: number): void;
  softmaxXent(M: number, V: number, Y: number, ld: number, targets: number, scale: number): number;
  sumSquares(X: number, n: number): number;
  adam(W: number, G: number, M: number, V: number, n: number, stepSize: number, b1: number, b2: number, eps: number, bc2sqrt: number, gscale: number): void;
  adagrad(W: number, G: number, M: number, n: number, lr: number, eps: number, gscale: number): void;
  rmsprop(W: number, G: number, M: number, n: number, lr: number, alpha: number, eps: number, gscale: number): void;
  clipValues(G: number, n: number, c: number): void;
  softmaxRow(V: number, Y: number, invT: number): void;
  peakProbe(iters: number, a: number, b: number): number;
  peakMacsPerRound(): number;
  peakProbeL1(buf: number, bytes: number, passes: number): number;
}

/** A matrix in kernel memory: rows × cols logical floats, rows `ld` floats apart, at byte `ptr`. */
export interface Mat {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  readonly ld: number;
}

/** A matrix packed for gemmABtPacked, with the shape of the matrix it packs. */
export interface Packed extends Mat {
  readonly of: { readonly rows: number; readonly cols: number };
}

/** Adam's constants for one step (torch.optim.Adam's defaults for β and eps). */
export interface AdamStep {
  lr: number;
  step: number; // t, from 1
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Gradient scale applied first (clip_grad_norm_'s factor); 1 by default. */
  gradScale?: number;
}

const PAGE = 65536;
const modules = new Map<LadderBuild, WasmCompiledModule>();

function moduleBytes(build: LadderBuild): Uint8Array {
  try {
    return readFileSync(URLS[build]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(`the WebAssembly kernels ${fileURLToPath(URLS[build])} are missing: run \`npm run build\` (or \`npm run build:wasm\`) first`);
    }
    throw err;
  }
}

/** Whether this runtime accepts the relaxed-SIMD build. */
export function relaxedSimdSupported(): boolean {
  return WA.validate(moduleBytes('relaxed'));
}

function compiled(build: LadderBuild): WasmCompiledModule {
  let m = modules.get(build);
  if (m === undefined) {
    m = new WA.Module(moduleBytes(build));
    modules.set(build, m);
  }
  return m;
}

export const roundUp4 = (n: number): number => (n + 3) & ~3;

export class LadderKernels {
  readonly build: LadderBuild;
  private readonly k: Exports;
  private cursor: number;

  constructor(build: LadderBuild | 'auto' = 'simd128') {
    this.build = build === 'auto' ? (relaxedSimdSupported() ? 'relaxed' : 'simd128') : build;
    if (this.build === 'relaxed' && !relaxedSimdSupported()) {
      throw new Error('this runtime does not support WebAssembly relaxed SIMD (Node 22+, or node --experimental-wasm-relaxed-simd)');
    }
    this.k = new WA.Instance(compiled(this.build), {}).exports as unknown as Exports;
    this.cursor = this.k.heapBase();
  }

  /** Bytes of kernel memory in use. */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  private reserve(bytes: number): number {
    const p = this.cursor;
    this.cursor = (p + bytes + 63) & ~63;
    const have = this.k.memory.buffer.byteLength;
    if (this.cursor > have) this.k.memory.grow(Math.ceil((this.cursor - have) / PAGE));
    new Uint8Array(this.k.memory.buffer, p, bytes).fill(0);
    return p;
  }

  /** A zero-filled rows × cols matrix (row stride cols rounded up to 4). */
  alloc(rows: number, cols: number): Mat {
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 1)) {
      throw new RangeError(`alloc: bad shape ${rows}×${cols}`);
    }
    const ld = roundUp4(cols);
    return { ptr: this.reserve(rows * ld * 4), rows, cols, ld };
  }

  /** A zero-filled array of n i32 (symbol ids); returns its byte address. */
  allocI32(n: number): number {
    return this.reserve(n * 4);
  }

  /** Rows [from, from + count) of m, as a matrix of its own (same memory). */
  rowsOf(m: Mat, from: number, count: number): Mat {
    if (from < 0 || count < 0 || from + count > m.rows) throw new RangeError(`rows [${from}, ${from + count}) of a ${m.rows}-row matrix`);
    return { ptr: m.ptr + from * m.ld * 4, rows: count, cols: m.cols, ld: m.ld };
  }

  /** A view of all rows × ld floats of m (padding included); invalid after the next alloc. */
  view(m: Mat): Float32Array {
    return new Float32Array(this.k.memory.buffer, m.ptr, m.rows * m.ld);
  }

  /** Writes a dense row-major rows × cols array into m (padding left as it is). */
  write(m: Mat, data: ArrayLike<number>): void {
    if (data.length !== m.rows * m.cols) throw new RangeError(`write: ${data.length} values for a ${m.rows}×${m.cols} matrix`);
    const v = this.view(m);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) v[r * m.ld + c] = data[r * m.cols + c];
  }

  /** The logical rows × cols of m, dense row-major, in Float64. */
  read(m: Mat): Float64Array {
    const v = this.view(m);
    const out = new Float64Array(m.rows * m.cols);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = v[r * m.ld + c];
    return out;
  }

  writeI32(ptr: number, data: ArrayLike<number>): void {
    new Int32Array(this.k.memory.buffer, ptr, data.length).set(data);
  }

  /** Y = A·Bᵀ (+ bias) (+ Y): A M×K, B N×K, Y M×N, bias a 1×N matrix. */
  gemmABt(Y: Mat, A: Mat, B: Mat, opts: { bias?: Mat; accumulate?: boolean } = {}): void {
    shape('gemmABt', A.cols === B.cols && Y.rows === A.rows && Y.cols === B.rows, Y, A, B);
    if (opts.bias && opts.bias.cols !== B.rows) throw new RangeError(`gemmABt: bias has ${opts.bias.cols} columns, expected ${B.rows}`);
    this.k.gemmABt(A.rows, B.rows, A.cols, A.ptr, A.ld, B.ptr, B.ld, Y.ptr, Y.ld, opts.bias?.ptr ?? 0, opts.accumulate ? 1 : 0);
  }

  /** Packed B for gemmABtPacked: B's rows in panels of 4 (assembly/gemm.ts packRows4). */
  allocPacked(B: { rows: number; cols: number }): Packed {
    return { ...this.alloc(roundUp4(B.rows), roundUp4(B.cols)), of: { rows: B.rows, cols: B.cols } };
  }

  /** Bp ← B packed (B's shape must be the one Bp was allocated for). */
  packRows4(Bp: Packed, B: Mat): void {
    if (B.rows !== Bp.of.rows || B.cols !== Bp.of.cols) throw new RangeError(`packRows4: B is ${B.rows}×${B.cols}, packed buffer is for ${Bp.of.rows}×${Bp.of.cols}`);
    this.k.packRows4(B.rows, B.cols, B.ptr, B.ld, Bp.ptr);
  }

  /** Y = A·Bᵀ (+ bias) (+ Y) as gemmABt, with B packed by packRows4 (faster: see assembly/gemm.ts). */
  gemmABtPacked(Y: Mat, A: Mat, Bp: Packed, opts: { bias?: Mat; accumulate?: boolean } = {}): void {
    const B = Bp.of;
    if (!(A.cols === B.cols && Y.rows === A.rows && Y.cols === B.rows)) {
      throw new RangeError(`gemmABtPacked: shapes do not fit: Y ${Y.rows}×${Y.cols}, A ${A.rows}×${A.cols}, B ${B.rows}×${B.cols}`);
    }
    if (opts.bias && opts.bias.cols !== B.rows) throw new RangeError(`gemmABtPacked: bias has ${opts.bias.cols} columns, expected ${B.rows}`);
    this.k.gemmABtPacked(A.rows, B.rows, A.cols, A.ptr, A.ld, Bp.ptr, Y.ptr, Y.ld, opts.bias?.ptr ?? 0, opts.accumulate ? 1 : 0);
  }

  /** C = A·B (+ C): A M×K, B K×N, C M×N. */
  gemmAB(C: Mat, A: Mat, B: Mat, accumulate = false): void {
    shape('gemmAB', A.cols === B.rows && C.rows === A.rows && C.cols === B.cols, C, A, B);
    this.k.gemmAB(A.rows, B.cols, A.cols, A.ptr, A.ld, B.ptr, B.ld, C.ptr, C.ld, accumulate ? 1 : 0);
  }

  /** C = Aᵀ·B (+ C): A K×M, B K×N, C M×N. */
  gemmAtB(C: Mat, A: Mat, B: Mat, accumulate = false): void {
    shape('gemmAtB', A.rows === B.rows && C.rows === A.cols && C.cols === B.cols, C, A, B);
    this.k.gemmAtB(A.cols, B.cols, A.rows, A.ptr, A.ld, B.ptr, B.ld, C.ptr, C.ld, accumulate ? 1 : 0);
  }

  /** out[r, :] = table[ids[r], :] (+ bias) for r < out.rows; ids at byte address `ids` (checked by the caller). */
  gatherRows(out: Mat, ids: number, table: Mat, bias?: Mat): void {
    shape('gatherRows', out.cols === table.cols && (!bias || bias.cols === table.cols), out, table, bias ?? table);
    this.k.gatherRows(out.rows, ids, table.ptr, table.ld, bias?.ptr ?? 0, out.ptr);
  }

  /** table[ids[r], :] += src[r, :] for r < src.rows. */
  scatterAddRows(table: Mat, ids: number, src: Mat): void {
    shape('scatterAddRows', src.cols === table.cols, table, src, src);
    this.k.scatterAddRows(src.rows, ids, src.ptr, src.ld, table.ptr);
  }

  /** out (1×N) (+)= the column sums of A (M×N). */
  sumRows(out: Mat, A: Mat, accumulate = false): void {
    shape('sumRows', out.cols === A.cols && out.rows === 1, out, A, A);
    this.k.sumRows(A.rows, A.cols, A.ptr, A.ld, out.ptr, accumulate ? 1 : 0);
  }

  /** Softmax cross-entropy in place (rows of Y become scale·(p - onehot)); returns Σ -ln p[target] in nats. */
  softmaxXent(Y: Mat, targets: number, scale: number): number {
    return this.k.softmaxXent(Y.rows, Y.cols, Y.ptr, Y.ld, targets, scale);
  }

  /** Σ x² over all rows × ld floats of m (padding is zero). */
  sumSquares(m: Mat): number {
    return this.k.sumSquares(m.ptr, m.rows * m.ld);
  }

  /** One Adam step over all of W (rows × ld floats) with gradient G and moments M, V of the same shape. */
  adam(W: Mat, G: Mat, M: Mat, V: Mat, s: AdamStep): void {
    for (const [name, m] of [['G', G], ['M', M], ['V', V]] as const) {
      if (m.rows !== W.rows || m.ld !== W.ld) throw new RangeError(`adam: ${name} is ${m.rows}×${m.ld}, W is ${W.rows}×${W.ld}`);
    }
    const b1 = s.beta1 ?? 0.9;
    const b2 = s.beta2 ?? 0.999;
    const stepSize = s.lr / (1 - b1 ** s.step);
    const bc2sqrt = Math.sqrt(1 - b2 ** s.step);
    this.k.adam(W.ptr, G.ptr, M.ptr, V.ptr, W.rows * W.ld, stepSize, b1, b2, s.eps ?? 1e-8, bc2sqrt, s.gradScale ?? 1);
  }

  /** Adagrad over all of W (assembly/optim.ts): g ← gradScale·g; m += g²; w −= lr·g / √(m + eps). */
  adagrad(W: Mat, G: Mat, M: Mat, lr: number, eps: number, gradScale = 1): void {
    sameShape('adagrad', W, [G, M]);
    this.k.adagrad(W.ptr, G.ptr, M.ptr, W.rows * W.ld, lr, eps, gradScale);
  }

  /** RMSprop over all of W: g ← gradScale·g; m = α·m + (1 − α)·g²; w −= lr·g / (√m + eps). */
  rmsprop(W: Mat, G: Mat, M: Mat, lr: number, alpha: number, eps: number, gradScale = 1): void {
    sameShape('rmsprop', W, [G, M]);
    this.k.rmsprop(W.ptr, G.ptr, M.ptr, W.rows * W.ld, lr, alpha, eps, gradScale);
  }

  /** Every float of m (padding included) clipped to [-c, c]; NaN stays NaN. */
  clipValues(m: Mat, c: number): void {
    this.k.clipValues(m.ptr, m.rows * m.ld, c);
  }

  /** Row r of Y becomes softmax(y·invT) (the reference's exp((y − max)·invT) / Σ). */
  softmaxRow(Y: Mat, r: number, invT: number): void {
    if (!(r >= 0 && r < Y.rows)) throw new RangeError(`softmaxRow: row ${r} of a ${Y.rows}-row matrix`);
    this.k.softmaxRow(Y.cols, Y.ptr + r * Y.ld * 4, invT);
  }

  /**
   * The LSTM forward over T steps of B streams (assembly/lstm.ts): Z (T·B × 4Hp) holds the input
   * part of the pre-activations and receives the gates; hs, cs ((T+1)·B × H, stride Hp) hold the
   * incoming state in their first B rows and receive h_t, c_t; WhhP is W_hh (4Hp × H, gate blocks
   * Hp rows apart) packed by packRows4. hT, when given (Hp × T·B), receives h_{t-1} transposed.
   */
  lstmForward(T: number, B: number, Z: Mat, WhhP: Packed, hs: Mat, cs: Mat, hT?: Mat): void {
    const Hp = this.checkLstm(T, B, Z, hs, cs);
    if (WhhP.of.rows !== 4 * Hp || WhhP.of.cols !== hs.cols) throw new RangeError(`lstmForward: WhhP packs ${WhhP.of.rows}×${WhhP.of.cols}, expected ${4 * Hp}×${hs.cols}`);
    if (hT && !(hT.rows === Hp && hT.cols === T * B)) throw new RangeError(`lstmForward: hT is ${hT.rows}×${hT.cols}, expected ${Hp}×${T * B}`);
    this.k.lstmForward(T, B, Hp, Z.ptr, WhhP.ptr, hs.ptr, cs.ptr, hT?.ptr ?? 0, hT?.ld ?? 0);
  }

  /**
   * The LSTM backward through what lstmForward saw: dH (T·B × H) is ∂loss/∂h_t from above; dh, dc
   * (B × H) carry ∂loss/∂h_T, ∂loss/∂c_T in and ∂loss/∂h_0, ∂loss/∂c_0 out; Z receives dz.
   * WhhTP is W_hhᵀ (H × 4Hp, see transpose) packed by packRows4. ZT, when given (4Hp × T·B),
   * receives dz transposed.
   */
  lstmBackward(T: number, B: number, Z: Mat, WhhTP: Packed, hs: Mat, cs: Mat, dH: Mat, dh: Mat, dc: Mat, ZT?: Mat): void {
    const Hp = this.checkLstm(T, B, Z, hs, cs);
    if (WhhTP.of.rows !== hs.cols || WhhTP.of.cols !== 4 * Hp) throw new RangeError(`lstmBackward: WhhTP packs ${WhhTP.of.rows}×${WhhTP.of.cols}, expected ${hs.cols}×${4 * Hp}`);
    for (const [name, m, rows] of [['dH', dH, T * B], ['dh', dh, B], ['dc', dc, B]] as const) {
      if (m.rows !== rows || m.ld !== Hp) throw new RangeError(`lstmBackward: ${name} is ${m.rows}×${m.ld}, expected ${rows}×${Hp}`);
    }
    if (ZT && !(ZT.rows === 4 * Hp && ZT.cols === T * B)) throw new RangeError(`lstmBackward: ZT is ${ZT.rows}×${ZT.cols}, expected ${4 * Hp}×${T * B}`);
    this.k.lstmBackward(T, B, Hp, Z.ptr, WhhTP.ptr, hs.ptr, cs.ptr, dH.ptr, dh.ptr, dc.ptr, ZT?.ptr ?? 0, ZT?.ld ?? 0);
  }

  /**
   * The GRU forward over T steps of B streams (assembly/gru.ts): X (T·B × 3Hp) holds the input part
   * gx_t (with b_ih) and receives r, z, n; GH (T·B × 3Hp) receives gh_t = h_{t-1}·W_hhᵀ + b_hh;
   * hs ((T+1)·B × H, stride Hp) holds the incoming state in its first B rows and receives h_t;
   * WhhP is W_hh (3Hp × H, gate blocks Hp rows apart) packed; bhh is 1 × 3Hp. hT as for the LSTM.
   */
  gruForward(T: number, B: number, X: Mat, GH: Mat, WhhP: Packed, bhh: Mat, hs: Mat, hT?: Mat): void {
    const Hp = this.checkGru(T, B, X, GH, hs);
    if (WhhP.of.rows !== 3 * Hp || WhhP.of.cols !== hs.cols) throw new RangeError(`gruForward: WhhP packs ${WhhP.of.rows}×${WhhP.of.cols}, expected ${3 * Hp}×${hs.cols}`);
    if (bhh.ld !== 3 * Hp) throw new RangeError(`gruForward: bhh has stride ${bhh.ld}, expected ${3 * Hp}`);
    if (hT && !(hT.rows === Hp && hT.cols === T * B)) throw new RangeError(`gruForward: hT is ${hT.rows}×${hT.cols}, expected ${Hp}×${T * B}`);
    this.k.gruForward(T, B, Hp, X.ptr, GH.ptr, WhhP.ptr, bhh.ptr, hs.ptr, hT?.ptr ?? 0, hT?.ld ?? 0);
  }

  /**
   * The GRU backward through what gruForward saw: dH (T·B × H) is ∂loss/∂h_t from above; dh
   * (B × H) carries ∂loss/∂h_T in and ∂loss/∂h_0 out; X receives ∂loss/∂gx and GH ∂loss/∂gh.
   * WhhTP is W_hhᵀ (H × 3Hp) packed. GHT, when given (3Hp × T·B), receives ∂loss/∂gh transposed.
   */
  gruBackward(T: number, B: number, X: Mat, GH: Mat, WhhTP: Packed, hs: Mat, dH: Mat, dh: Mat, GHT?: Mat): void {
    const Hp = this.checkGru(T, B, X, GH, hs);
    if (WhhTP.of.rows !== hs.cols || WhhTP.of.cols !== 3 * Hp) throw new RangeError(`gruBackward: WhhTP packs ${WhhTP.of.rows}×${WhhTP.of.cols}, expected ${hs.cols}×${3 * Hp}`);
    for (const [name, m, rows] of [['dH', dH, T * B], ['dh', dh, B]] as const) {
      if (m.rows !== rows || m.ld !== Hp) throw new RangeError(`gruBackward: ${name} is ${m.rows}×${m.ld}, expected ${rows}×${Hp}`);
    }
    if (GHT && !(GHT.rows === 3 * Hp && GHT.cols === T * B)) throw new RangeError(`gruBackward: GHT is ${GHT.rows}×${GHT.cols}, expected ${3 * Hp}×${T * B}`);
    this.k.gruBackward(T, B, Hp, X.ptr, GH.ptr, WhhTP.ptr, hs.ptr, dH.ptr, dh.ptr, GHT?.ptr ?? 0, GHT?.ld ?? 0);
  }

  private checkGru(T: number, B: number, X: Mat, GH: Mat, hs: Mat): number {
    const Hp = hs.ld;
    const ok = X.rows === T * B && X.cols === 3 * Hp && X.ld === 3 * Hp && GH.rows === T * B && GH.cols === 3 * Hp && GH.ld === 3 * Hp && hs.rows === (T + 1) * B;
    if (!ok) throw new RangeError(`gru: shapes do not fit T=${T} B=${B} Hp=${Hp}: X ${X.rows}×${X.cols}, GH ${GH.rows}×${GH.cols}, hs ${hs.rows}×${hs.cols}`);
    return Hp;
  }

  /** dst[c, r] = src[r, c] (dst at least src.cols × src.rows; the rest of dst is left as it is). */
  transpose(dst: Mat, src: Mat): void {
    shape('transpose', dst.rows >= src.cols && dst.cols >= src.rows, dst, src, src);
    this.k.transpose(src.rows, src.cols, src.ptr, src.ld, dst.ptr, dst.ld);
  }

  /** Checks the LSTM's buffers against T, B and the state width; returns Hp. */
  private checkLstm(T: number, B: number, Z: Mat, hs: Mat, cs: Mat): number {
    const Hp = hs.ld;
    const ok = Z.rows === T * B && Z.ld === 4 * Hp && Z.cols === 4 * Hp && hs.rows === (T + 1) * B && cs.rows === hs.rows && cs.ld === Hp && cs.cols === hs.cols;
    if (!ok) throw new RangeError(`lstm: shapes do not fit T=${T} B=${B} Hp=${Hp}: Z ${Z.rows}×${Z.cols}, hs ${hs.rows}×${hs.cols}, cs ${cs.rows}×${cs.cols}`);
    return Hp;
  }

  /**
   * The L1 peak probe (assembly/ladder.ts): a 2×4 multiply-add block over `bytes` (a multiple of
   * 96) of the buffer buf (allocated by the caller, e.g. 1 × 1008 floats), `passes` times; returns
   * the number of f32 multiply-adds.
   */
  peakProbeL1(buf: Mat, passes: number): number {
    const bytes = Math.floor((buf.rows * buf.ld * 4) / 96) * 96;
    this.k.peakProbeL1(buf.ptr, bytes, passes);
    return (bytes / 96) * 32 * passes;
  }

  /** The peak probe (assembly/ladder.ts): iters rounds of register-resident multiply-adds; returns how many. */
  peakProbe(iters: number): number {
    this.k.peakProbe(iters, 1, 0.5);
    return iters * this.k.peakMacsPerRound();
  }
}

function sameShape(op: string, W: Mat, others: Mat[]): void {
  for (const m of others) if (m.rows !== W.rows || m.ld !== W.ld) throw new RangeError(`${op}: ${m.rows}×${m.ld} against W ${W.rows}×${W.ld}`);
}

function shape(op: string, ok: boolean, a: Mat, b: Mat, c: Mat): void {
  if (!ok) throw new RangeError(`${op}: shapes do not fit: ${a.rows}×${a.cols}, ${b.rows}×${b.cols}, ${c.rows}×${c.cols}`);
}
