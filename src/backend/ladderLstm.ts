/**
 * A one-layer char-LSTM trained by the ladder's WebAssembly kernels (src/backend/ladderKernels.ts):
 * the model and step of issue 11's speed target, composed from the kernels so that they can be
 * tested end to end and benchmarked (bench/kernels.mjs). The cell registry wires the same kernels
 * into charlab's models; this class is the composition, not a CharModel.
 *
 *   one-hot x_t → LSTM (PyTorch's gates i, f, g, o) → logits = h_t·W_hyᵀ + b_y → softmax
 *   loss = mean over the T·B predictions of -ln p[target]   (torch's cross_entropy, mean)
 *   gradients clipped to global norm clipNorm (clip_grad_norm_), then Adam (torch.optim.Adam)
 *
 * Inputs come as B streams: x and y are T·B symbol ids, row t·B + b for step t of stream b; the
 * state (h, c) of every stream is carried from one step to the next.
 *
 * Kernel layout (Hp = H rounded up to 4, G = 4·Hp; gate blocks of Hp units; padding zero): the
 * parameters live in one flat region, so the norm and Adam are one call each:
 *   WihT V×G (W_ih transposed: the one-hot product is a row gather), Whh G×Hp, b 1×G (b_ih + b_hh),
 *   Why V×Hp, by 1×V;  gradients, Adam's m and v in three regions of the same layout.
 */
import { LadderKernels, roundUp4, type LadderBuild, type Mat, type Packed } from './ladderKernels.js';
import type { Rng } from '../util/rng.js';

export interface FastLstmConfig {
  vocab: number;
  hidden: number;
  batch: number;
  unroll: number;
  lr: number;
  clipNorm: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  build?: LadderBuild | 'auto';
}

/** Parameters in PyTorch's layout, Float64: W_ih [4H×V], W_hh [4H×H], b = b_ih + b_hh [4H], W_hy [V×H], b_y [V]. */
export interface LstmParams {
  Wih: Float64Array;
  Whh: Float64Array;
  b: Float64Array;
  Why: Float64Array;
  by: Float64Array;
}

/** The five tensors of one region (parameters, gradients, m or v), in kernel layout. */
interface Region {
  all: Mat;
  WihT: Mat;
  Whh: Mat;
  b: Mat;
  Why: Mat;
  by: Mat;
}

/** PyTorch's initialisation: every LSTM and Linear tensor U(-1/√H, 1/√H) (both biases summed). */
export function initLstmParams(V: number, H: number, rng: Rng): LstmParams {
  const k = 1 / Math.sqrt(H);
  const u = (n: number) => Float64Array.from({ length: n }, () => (2 * rng() - 1) * k);
  const bih = u(4 * H);
  const bhh = u(4 * H);
  return { Wih: u(4 * H * V), Whh: u(4 * H * H), b: bih.map((v, i) => v + bhh[i]), Why: u(V * H), by: u(V) };
}

export class FastLstm {
  readonly config: Required<FastLstmConfig>;
  readonly k: LadderKernels;
  private readonly Hp: number;
  private readonly P: Region;
  private readonly G: Region;
  private readonly M: Region;
  private readonly V2: Region;
  private readonly ids: number;
  private readonly targets: number;
  private readonly Z: Mat; // T·B × G: input part, then gates, then dz
  private readonly hs: Mat; // (T+1)·B × H
  private readonly cs: Mat;
  private readonly logits: Mat; // T·B × V: logits, then dlogits
  private readonly dH: Mat; // T·B × H
  private readonly dh: Mat; // B × H
  private readonly dc: Mat;
  private readonly WhhT: Mat; // H × G: W_hh transposed
  private readonly WhhP: Packed; // W_hh packed (forward)
  private readonly WhhTP: Packed; // W_hhᵀ packed (backward)
  private readonly ZT: Mat; // G × T·B: dz transposed
  private readonly hT: Mat; // Hp × T·B: h_{t-1} transposed
  private readonly hTP: Packed; // its first H rows packed
  private adamStep = 0;

  constructor(config: FastLstmConfig, params: LstmParams) {
    const c = (this.config = { beta1: 0.9, beta2: 0.999, eps: 1e-8, build: 'simd128', ...config });
    for (const key of ['vocab', 'hidden', 'batch', 'unroll'] as const) {
      if (!(Number.isInteger(c[key]) && c[key] >= 1)) throw new RangeError(`${key} must be a positive integer, got ${c[key]}`);
    }
    const k = (this.k = new LadderKernels(c.build));
    const { vocab: V, hidden: H, batch: B, unroll: T } = c;
    const Hp = (this.Hp = roundUp4(H));
    [this.P, this.G, this.M, this.V2] = [0, 1, 2, 3].map(() => this.region());
    this.ids = k.allocI32(T * B);
    this.targets = k.allocI32(T * B);
    this.Z = k.alloc(T * B, 4 * Hp);
    this.hs = k.alloc((T + 1) * B, H);
    this.cs = k.alloc((T + 1) * B, H);
    this.logits = k.alloc(T * B, V);
    this.dH = k.alloc(T * B, H);
    this.dh = k.alloc(B, H);
    this.dc = k.alloc(B, H);
    this.WhhT = k.alloc(H, 4 * Hp);
    this.WhhP = k.allocPacked(this.P.Whh);
    this.WhhTP = k.allocPacked(this.WhhT);
    this.ZT = k.alloc(4 * Hp, T * B);
    this.hT = k.alloc(Hp, T * B);
    this.hTP = k.allocPacked({ rows: H, cols: T * B });
    this.importParams(params);
  }

  /** One flat region holding the five tensors back to back. */
  private region(): Region {
    const { vocab: V, hidden: H } = this.config;
    const Hp = this.Hp;
    const G = 4 * Hp;
    const sizes = [V * G, G * Hp, G, V * Hp, roundUp4(V)];
    const all = this.k.alloc(1, sizes.reduce((a, b) => a + b));
    let at = all.ptr;
    const next = (rows: number, cols: number, ld: number): Mat => {
      const m = { ptr: at, rows, cols, ld };
      at += rows * ld * 4;
      return m;
    };
    return { all, WihT: next(V, G, G), Whh: next(G, H, Hp), b: next(1, G, G), Why: next(V, H, Hp), by: next(1, V, roundUp4(V)) };
  }

  /** Copies PyTorch-layout parameters into the kernel layout (padding stays zero). */
  importParams(p: LstmParams): void {
    const { vocab: V, hidden: H } = this.config;
    const want = { Wih: 4 * H * V, Whh: 4 * H * H, b: 4 * H, Why: V * H, by: V };
    for (const [name, n] of Object.entries(want)) {
      const got = p[name as keyof LstmParams].length;
      if (got !== n) throw new RangeError(`parameter ${name} has ${got} elements, expected ${n}`);
    }
    this.writeRegion(this.P, p);
    this.refreshWhh();
  }

  /** W_hh's transposed and packed copies, after every change of W_hh. */
  private refreshWhh(): void {
    this.k.transpose(this.WhhT, this.P.Whh);
    this.k.packRows4(this.WhhP, this.P.Whh);
    this.k.packRows4(this.WhhTP, this.WhhT);
  }

  exportParams(): LstmParams {
    return this.readRegion(this.P);
  }

  /** The gradients of the last forwardBackward (unclipped), in PyTorch's layout. */
  exportGrads(): LstmParams {
    return this.readRegion(this.G);
  }

  /** Kernel row of unit j of gate q: the gate blocks are Hp apart. */
  private unitRow(q: number, j: number): number {
    return q * this.Hp + j;
  }

  private writeRegion(r: Region, p: LstmParams): void {
    const { vocab: V, hidden: H } = this.config;
    const [wih, whh, b, why, by] = [r.WihT, r.Whh, r.b, r.Why, r.by].map((m) => this.k.view(m));
    const G = 4 * this.Hp;
    for (let q = 0; q < 4; q++) {
      for (let j = 0; j < H; j++) {
        const row = this.unitRow(q, j);
        const src = q * H + j;
        for (let x = 0; x < V; x++) wih[x * G + row] = p.Wih[src * V + x];
        for (let i = 0; i < H; i++) whh[row * this.Hp + i] = p.Whh[src * H + i];
        b[row] = p.b[src];
      }
    }
    for (let v = 0; v < V; v++) for (let i = 0; i < H; i++) why[v * this.Hp + i] = p.Why[v * H + i];
    for (let v = 0; v < V; v++) by[v] = p.by[v];
  }

  private readRegion(r: Region): LstmParams {
    const { vocab: V, hidden: H } = this.config;
    const [wih, whh, b, why, by] = [r.WihT, r.Whh, r.b, r.Why, r.by].map((m) => this.k.view(m));
    const G = 4 * this.Hp;
    const out: LstmParams = {
      Wih: new Float64Array(4 * H * V),
      Whh: new Float64Array(4 * H * H),
      b: new Float64Array(4 * H),
      Why: new Float64Array(V * H),
      by: new Float64Array(V),
    };
    for (let q = 0; q < 4; q++) {
      for (let j = 0; j < H; j++) {
        const row = this.unitRow(q, j);
        const dst = q * H + j;
        for (let x = 0; x < V; x++) out.Wih[dst * V + x] = wih[x * G + row];
        for (let i = 0; i < H; i++) out.Whh[dst * H + i] = whh[row * this.Hp + i];
        out.b[dst] = b[row];
      }
    }
    for (let v = 0; v < V; v++) for (let i = 0; i < H; i++) out.Why[v * H + i] = why[v * this.Hp + i];
    for (let v = 0; v < V; v++) out.by[v] = by[v];
    return out;
  }

  /** Sets the state of every stream (h, c: B × H, row b for stream b). */
  setState(h: ArrayLike<number>, c: ArrayLike<number>): void {
    const B = this.config.batch;
    this.k.write(this.k.rowsOf(this.hs, 0, B), h);
    this.k.write(this.k.rowsOf(this.cs, 0, B), c);
  }

  exportState(): { h: Float64Array; c: Float64Array } {
    const B = this.config.batch;
    return { h: this.k.read(this.k.rowsOf(this.hs, 0, B)), c: this.k.read(this.k.rowsOf(this.cs, 0, B)) };
  }

  private loadIds(ptr: number, ids: ArrayLike<number>, what: string): void {
    const { vocab: V, batch: B, unroll: T } = this.config;
    if (ids.length !== T * B) throw new RangeError(`${what}: ${ids.length} ids, expected unroll × batch = ${T * B}`);
    for (let i = 0; i < ids.length; i++) {
      if (!(Number.isInteger(ids[i]) && ids[i] >= 0 && ids[i] < V)) throw new RangeError(`${what}[${i}] = ${ids[i]} is outside the vocabulary (size ${V})`);
    }
    this.k.writeI32(ptr, ids);
  }

  /**
   * Forward and backward over one chunk from the current state: leaves the raw gradients in the
   * gradient region and h_t, c_t in hs, cs. Returns the mean loss in nats per prediction.
   * lap, when given, is called after each phase with its name (the benchmark's breakdown).
   */
  forwardBackward(x: ArrayLike<number>, y: ArrayLike<number>, lap?: (phase: string) => void): number {
    const { batch: B, unroll: T } = this.config;
    const { k, P, G, Z, hs, cs, logits, dH, dh, dc } = this;
    this.loadIds(this.ids, x, 'x');
    this.loadIds(this.targets, y, 'y');
    const h1 = k.rowsOf(hs, B, T * B); // h_t
    // forward: z = W_ihᵀ[x] + b, the recurrence, logits = h·W_hyᵀ + b_y, softmax cross-entropy
    k.gatherRows(Z, this.ids, P.WihT, P.b);
    lap?.('input gather');
    k.lstmForward(T, B, Z, this.WhhP, hs, cs, this.hT);
    lap?.('forward recurrence');
    k.gemmABt(logits, h1, P.Why, { bias: P.by });
    const nats = k.softmaxXent(logits, this.targets, 1 / (T * B)); // logits ← dlogits
    lap?.('output layer forward');
    // backward: the output layer, the recurrence, then the weight gradients over all T·B rows
    k.gemmAtB(G.Why, logits, h1); // dW_hy = dlogitsᵀ·h
    k.sumRows(G.by, logits);
    k.gemmAB(dH, logits, P.Why); // dh_t from the output = dlogits·W_hy
    lap?.('output layer backward');
    k.view(dh).fill(0);
    k.view(dc).fill(0);
    k.lstmBackward(T, B, Z, this.WhhTP, hs, cs, dH, dh, dc, this.ZT); // Z ← dz, ZT ← dzᵀ
    lap?.('backward recurrence');
    // dW_hh = Σ_t dz_tᵀ·h_{t-1} = dzᵀ·h as rows with rows (dot products over the T·B rows) from
    // the transposes the recurrences wrote: faster than gemmAtB's broadcast form at this size
    k.packRows4(this.hTP, { ...this.hT, rows: this.config.hidden });
    k.gemmABtPacked(G.Whh, this.ZT, this.hTP);
    lap?.('dW_hh');
    k.sumRows(G.b, Z);
    k.view(G.WihT).fill(0);
    k.scatterAddRows(G.WihT, this.ids, Z); // dW_ihᵀ[x] += dz
    lap?.('db, dW_ih');
    return nats / (T * B);
  }

  /** Global gradient norm (before clipping) of the last forwardBackward. */
  gradNorm(): number {
    return Math.sqrt(this.k.sumSquares(this.G.all));
  }

  /** Clip to the global norm, Adam, refresh W_hhᵀ, and carry h_T, c_T to the next chunk. */
  update(): void {
    const { batch: B, unroll: T, clipNorm, lr, beta1, beta2, eps } = this.config;
    const norm = this.gradNorm();
    const gradScale = Math.min(1, clipNorm / (norm + 1e-6));
    this.adamStep++;
    this.k.adam(this.P.all, this.G.all, this.M.all, this.V2.all, { lr, step: this.adamStep, beta1, beta2, eps, gradScale });
    this.refreshWhh();
    for (const m of [this.hs, this.cs]) {
      const v = this.k.view(m);
      v.copyWithin(0, T * B * m.ld, (T + 1) * B * m.ld);
    }
  }

  /** One training step: forwardBackward, then update. Returns the mean loss in nats per prediction. */
  trainStep(x: ArrayLike<number>, y: ArrayLike<number>, lap?: (phase: string) => void): number {
    const loss = this.forwardBackward(x, y, lap);
    this.update();
    lap?.('clip, Adam, repack');
    return loss;
  }
}
