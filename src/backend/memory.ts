/**
 * The linear memory of a Kernels instance (src/backend/kernels.ts), kept the same way by both: a
 * bump allocator of 64-byte aligned, zero-filled matrices whose row stride is rounded up to `align`
 * floats, over a buffer the implementation provides and grows (a WebAssembly memory; the native
 * arena). Pointers are byte offsets into that buffer, so they stay valid when it grows; views do not.
 */

/** A matrix in kernel memory: rows × cols logical floats, rows `ld` floats apart, at byte `ptr`. */
export interface Mat {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  readonly ld: number;
}

/** C (M×N, ldc) = A (M×K, lda) · B (K×N, ldb), plus C when acc is 1: an engine's product over pointers. */
export type GemmCall = (
  M: number,
  N: number,
  K: number,
  A: number,
  lda: number,
  B: number,
  ldb: number,
  C: number,
  ldc: number,
  acc: number,
) => void;

/** The calls both kernel engines (the wasm module's exports, the native addon's context) take alike: pointers into their memory. */
export interface EngineCalls {
  gemmAB: GemmCall;
  /** The same product with A stored transposed (K×M, lda): C = Aᵀ · B. */
  gemmAtB: GemmCall;
  sumRows(M: number, N: number, A: number, lda: number, out: number, acc: number): void;
  softmaxXent(M: number, V: number, Y: number, ld: number, targets: number, scale: number): number;
  softmaxRow(V: number, Y: number, invT: number): void;
  sumSquares(X: number, n: number): number;
  clipValues(G: number, n: number, c: number): void;
  dropoutMask(state: number, out: number, rows: number, cols: number, ld: number, p: number): void;
}

export interface MemoryView {
  /** Row strides are multiples of this many floats (4 for wasm, 16 for native). */
  readonly align: number;
  /** Bytes of kernel memory in use. */
  readonly memoryBytes: number;
  /** A zero-filled rows × cols matrix (row stride cols rounded up to `align`). */
  alloc(rows: number, cols: number): Mat;
  /** A zero-filled array of n i32 (symbol ids); returns its byte address. */
  allocI32(n: number): number;
  /** Rows [from, from + count) of m, as a matrix of its own (same memory). */
  rowsOf(m: Mat, from: number, count: number): Mat;
  /** A view of all rows × ld floats of m (padding included); invalid after the next alloc. */
  view(m: Mat): Float32Array;
  /** Writes a dense row-major rows × cols array into m (padding left as it is). */
  write(m: Mat, data: ArrayLike<number>): void;
  /** The logical rows × cols of m, dense row-major, in Float64. */
  read(m: Mat): Float64Array;
  writeI32(ptr: number, data: ArrayLike<number>): void;
  /** A copy of n i32 at byte address ptr. */
  readI32(ptr: number, n: number): Int32Array;
}

export abstract class KernelMemory implements MemoryView {
  private cursor: number;

  protected constructor(
    readonly align: number,
    start: number,
  ) {
    this.cursor = (start + 63) & ~63;
  }

  /** The memory as it is now (a new buffer after growth). */
  protected abstract buffer(): ArrayBuffer;
  /** Makes the memory at least `bytes` long, keeping its contents. */
  protected abstract grow(bytes: number): void;

  get memoryBytes(): number {
    return this.buffer().byteLength;
  }

  private reserve(bytes: number): number {
    const p = this.cursor;
    this.cursor = (p + bytes + 63) & ~63;
    if (this.cursor > this.buffer().byteLength) this.grow(this.cursor);
    new Uint8Array(this.buffer(), p, bytes).fill(0);
    return p;
  }

  alloc(rows: number, cols: number): Mat {
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 1))
      throw new RangeError(`alloc: bad shape ${rows}×${cols}`);
    const ld = Math.ceil(cols / this.align) * this.align;
    return { ptr: this.reserve(rows * ld * 4), rows, cols, ld };
  }

  allocI32(n: number): number {
    return this.reserve(n * 4);
  }

  rowsOf(m: Mat, from: number, count: number): Mat {
    if (from < 0 || count < 0 || from + count > m.rows)
      throw new RangeError(`rows [${from}, ${from + count}) of a ${m.rows}-row matrix`);
    return { ptr: m.ptr + from * m.ld * 4, rows: count, cols: m.cols, ld: m.ld };
  }

  view(m: Mat): Float32Array {
    return new Float32Array(this.buffer(), m.ptr, m.rows * m.ld);
  }

  write(m: Mat, data: ArrayLike<number>): void {
    if (data.length !== m.rows * m.cols)
      throw new RangeError(`write: ${data.length} values for a ${m.rows}×${m.cols} matrix`);
    const v = this.view(m);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) v[r * m.ld + c] = data[r * m.cols + c];
  }

  read(m: Mat): Float64Array {
    const v = this.view(m);
    const out = new Float64Array(m.rows * m.cols);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = v[r * m.ld + c];
    return out;
  }

  writeI32(ptr: number, data: ArrayLike<number>): void {
    new Int32Array(this.buffer(), ptr, data.length).set(data);
  }

  readI32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.buffer(), ptr, n).slice();
  }
}
