/**
 * Where a model's named tensors (src/model/spec.ts: each layer's cell tensors, Why, by) live in
 * kernel memory, and their conversion between the reference's Float64 layout and the kernels' f32
 * layout. Every parameter-shaped set (weights, gradients, each optimizer memory) is one flat region
 * with the same layout, so clipping, the norm and the optimizer are one call each.
 *
 * Kernel layout (Hp = H rounded up to the kernels' `align`; a cell tensor's rows come in nG gate
 * blocks of H units, q·H + j in the reference, placed q·Hp + j in the kernels; padding zero and
 * kept zero):
 *   'gatesT'  layer 0's input weight [nG·H × V]  as its transpose V × nG·Hp  (the one-hot product is a row gather)
 *   'gates'   the recurrent weight, deeper layers' input weight [nG·H × I]  as nG·Hp × I
 *   'gateVec' the cell's biases [nG·H]  as 1 × nG·Hp
 *   'plain'   Why [V × H]  as V × H (stride Hp);  by [V]  as 1 × V
 */
import type { ModelTensor } from '../model/spec.js';
import type { Mat } from './kernels.js';
import type { MemoryView } from './memory.js';

type Kind = 'gatesT' | 'gates' | 'gateVec' | 'plain';

interface Placement {
  name: string;
  kind: Kind;
  /** Reference shape. */
  rows: number;
  cols: number;
  /** Kernel matrix shape, and its offset in floats from the region's start. */
  kRows: number;
  kCols: number;
  offset: number;
}

export class TensorLayout {
  readonly placements: Placement[];
  /** Floats of one region. */
  readonly size: number;
  private readonly Hp: number;

  /** `inputWeight`: the cell's name for its input weight (layer 0's is stored transposed). */
  constructor(
    tensors: ModelTensor[],
    readonly H: number,
    readonly nGates: number,
    inputWeight: string,
    private readonly align: number,
  ) {
    const Hp = (this.Hp = this.roundUp(H));
    let offset = 0;
    this.placements = tensors.map((t) => {
      const kind: Kind =
        t.layer < 0 ? 'plain' : t.cols === 1 ? 'gateVec' : t.layer === 0 && t.name === inputWeight ? 'gatesT' : 'gates';
      const gated = nGates * Hp;
      const [kRows, kCols] =
        kind === 'gatesT'
          ? [t.cols, gated]
          : kind === 'gates'
            ? [gated, t.cols]
            : kind === 'gateVec'
              ? [1, gated]
              : t.cols === 1
                ? [1, t.rows]
                : [t.rows, t.cols];
      const p = { name: t.fullName, kind, rows: t.rows, cols: t.cols, kRows, kCols, offset };
      offset += kRows * this.roundUp(kCols);
      return p;
    });
    this.size = offset;
  }

  private roundUp(n: number): number {
    return Math.ceil(n / this.align) * this.align;
  }

  /** The kernel matrix of tensor `name` in the region at `base` (a Mat of 1 × size). */
  mat(base: Mat, name: string): Mat {
    const p = this.find(name);
    return { ptr: base.ptr + p.offset * 4, rows: p.kRows, cols: p.kCols, ld: this.roundUp(p.kCols) };
  }

  private find(name: string): Placement {
    const p = this.placements.find((q) => q.name === name);
    if (p === undefined) throw new RangeError(`no tensor ${name} in this model`);
    return p;
  }

  /**
   * The region at `base` cut into runs of consecutive tensors that are all weight matrices (the
   * reference's cols > 1: what decoupled weight decay multiplies) or all not, each a 1 × n matrix.
   */
  runs(base: Mat): { mat: Mat; weights: boolean }[] {
    const out: { offset: number; size: number; weights: boolean }[] = [];
    for (const p of this.placements) {
      const weights = p.cols > 1;
      const size = p.kRows * this.roundUp(p.kCols);
      const last = out[out.length - 1];
      if (last && last.weights === weights) last.size += size;
      else out.push({ offset: p.offset, size, weights });
    }
    return out.map((r) => ({
      mat: { ptr: base.ptr + r.offset * 4, rows: 1, cols: r.size, ld: r.size },
      weights: r.weights,
    }));
  }

  /** Kernel index (within the matrix) of reference element [r, c]. */
  private index(p: Placement, r: number, c: number): number {
    const ld = this.roundUp(p.kCols);
    const gateRow = Math.floor(r / this.H) * this.Hp + (r % this.H);
    switch (p.kind) {
      case 'gatesT':
        return c * ld + gateRow;
      case 'gates':
        return gateRow * ld + c;
      case 'gateVec':
        return gateRow;
      case 'plain':
        return p.cols === 1 ? r : r * ld + c;
    }
  }

  /** Writes the Float64 tensors (reference layout) into the region (f32, kernel layout). */
  write(k: MemoryView, base: Mat, tensors: Record<string, Float64Array>): void {
    for (const p of this.placements) {
      const v = k.view(this.mat(base, p.name));
      const src = tensors[p.name];
      for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) v[this.index(p, r, c)] = src[r * p.cols + c];
    }
  }

  /** Reads the region back as Float64 tensors in the reference layout. */
  read(k: MemoryView, base: Mat, prefix = ''): Record<string, Float64Array> {
    const out: Record<string, Float64Array> = {};
    for (const p of this.placements) {
      const v = k.view(this.mat(base, p.name));
      const dst = new Float64Array(p.rows * p.cols);
      for (let r = 0; r < p.rows; r++) for (let c = 0; c < p.cols; c++) dst[r * p.cols + c] = v[this.index(p, r, c)];
      out[prefix + p.name] = dst;
    }
    return out;
  }
}
