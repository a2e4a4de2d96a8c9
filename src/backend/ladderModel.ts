/**
 * The wasm backend for the model ladder's gated cells (lstm, gru): 1–3 stacked layers with dropout
 * between them, B parallel streams, adagrad / rmsprop / adam, clipping by value and by global
 * norm — the reference model's algorithm (src/model/reference.ts) in f32 on the ladder's SIMD
 * kernels (assembly/ladder.ts, through src/backend/ladderKernels.ts), behind the same CharModel
 * interface:
 *
 *   layer 0:   Z = W_xᵀ[x_t] + b         (a row gather: the one-hot product)
 *   layer ℓ:   Z = h^{ℓ−1}_t·W_xᵀ + b    (one product over all T·B rows)
 *   then the cell's recurrence over the chunk (ladderCells.ts);  y = h^top·W_hyᵀ + b_y
 *   loss = (1/B) Σ_b Σ_t −ln softmax(y)[target]   (the reference's: summed over time, mean over streams)
 *
 * then the gradients (backward through the same steps), clipped element-wise (clip), rescaled to
 * the global norm clipNorm if larger, and one optimizer step. Parameters start from the
 * reference's initialisation (src/model/spec.ts) converted to f32, so both backends start alike;
 * state is exported and imported under the reference's names. Evaluation and sampling run one
 * stream (the last: the one that read the text just before the held-out tail) from the carried
 * state, as the reference does. Dropout between layers (training only) draws the reference's masks
 * from the same generator in the same order, so both backends drop the same units.
 */
import { checkEvalRange, checkHidden, checkModelConfig, checkSample, checkStarts, checkTensors } from '../model/checks.js';
import { initTensors, modelTensors } from '../model/spec.js';
import { CELLS } from '../model/cells/index.js';
import {
  withDefaults,
  type CharModel,
  type EvalResult,
  type FullConfig,
  type LossAndGradients,
  type ModelState,
  type RnnConfig,
  type Starts,
  type Tensors,
} from '../model/types.js';
import { makeRng, sampleIndex, type Rng } from '../util/rng.js';
import { WASM_CELLS, type LayerBuffers, type RecurrentWeights, type WasmCell } from './ladderCells.js';
import { LadderKernels, roundUp4, type LadderBuild, type Mat, type Packed } from './ladderKernels.js';
import { TensorLayout } from './ladderLayout.js';

/** Held-out symbols scored per forward call (one stream). */
const EVAL_BLOCK = 256;
const OPT_EPS = 1e-8;
const RMSPROP_DECAY = 0.95;
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The optimizer memories by slot name (src/optim/optimizers.ts's names). */
const SLOTS = { adagrad: ['mem'], rmsprop: ['ms'], adam: ['m', 'v'] } as const;

/** Buffers of one chunk shape (T steps × B streams): training's, or one stream's for scoring and sampling. */
interface Workspace {
  T: number;
  B: number;
  ids: number; // T·B i32, row t·B + b
  targets: number;
  logits: Mat; // T·B × V
  layers: LayerBuffers[];
  /** Training with dropout: per boundary ℓ → ℓ+1, the mask (0 or 1/(1 − p)) and the masked h^ℓ, T·B × H. */
  dropout: { mask: Mat; dropped: Mat }[] | null;
}

/** The configurations the wasm ladder serves: the gated cells (others are refused, naming the cell). */
export function checkLadderServes(config: RnnConfig): void {
  const c = withDefaults(config);
  if (!(c.cell in WASM_CELLS)) throw new RangeError(`the wasm ladder backend serves cells ${Object.keys(WASM_CELLS).join(', ')}; got cell ${c.cell}`);
}

export class WasmLadder implements CharModel {
  readonly config: FullConfig;
  private lr: number;
  private readonly k: LadderKernels;
  private readonly cell: WasmCell;
  private readonly layout: TensorLayout;
  private readonly L: number;
  private readonly H: number;
  private readonly V: number;
  private readonly P: Mat; // the parameter region (1 × layout.size)
  private readonly G: Mat; // the gradients
  private readonly slots: Record<string, Mat>; // the optimizer memories
  private adamStep = 0;
  private readonly rec: RecurrentWeights[]; // per layer: W_h packed, W_hᵀ packed
  private readonly WhT: Mat[]; // per layer: W_hᵀ (H × G), the transposed copy before packing
  private readonly WxP: (Packed | null)[]; // per layer > 0: W_x packed for the input product
  private readonly carryH: Mat[]; // per layer: B × H, the carried state
  private readonly carryC: (Mat | null)[];
  private readonly train: Workspace;
  private readonly infer: Workspace;
  private readonly dropoutRng: Rng;

  constructor(config: RnnConfig, initial?: Tensors, build: LadderBuild = 'simd128') {
    checkModelConfig(config);
    checkLadderServes(config);
    const c = (this.config = withDefaults(config));
    this.lr = c.learningRate;
    const params = initial ?? initTensors(c);
    const tensors = modelTensors(c);
    checkTensors('parameter', params, tensors.map((t) => [t.fullName, t.rows * t.cols]));
    this.cell = WASM_CELLS[c.cell];
    [this.L, this.H, this.V] = [c.layers, c.hiddenSize, c.vocabSize];
    this.layout = new TensorLayout(tensors, this.H, this.cell.nGates);
    const k = (this.k = new LadderKernels(build));
    this.P = k.alloc(1, this.layout.size);
    this.G = k.alloc(1, this.layout.size);
    this.slots = Object.fromEntries(SLOTS[c.optimizer].map((s) => [s, k.alloc(1, this.layout.size)]));
    const G = this.cell.nGates * roundUp4(this.H);
    this.WhT = [];
    this.rec = [];
    this.WxP = [];
    this.carryH = [];
    this.carryC = [];
    for (let l = 0; l < this.L; l++) {
      const Wh = this.tensor(this.P, 'Wh', l);
      this.WhT.push(k.alloc(this.H, G));
      const bh = this.cell.hiddenBias ? this.tensor(this.P, this.cell.hiddenBias, l) : null;
      this.rec.push({ WhP: k.allocPacked(Wh), WhTP: k.allocPacked({ rows: this.H, cols: G }), bh });
      this.WxP.push(l === 0 ? null : k.allocPacked(this.tensor(this.P, 'Wx', l)));
      this.carryH.push(k.alloc(c.batch, this.H));
      this.carryC.push(this.cell.hasCellState ? k.alloc(c.batch, this.H) : null);
    }
    this.dropoutRng = makeRng(`dropout:${c.seed}`); // the reference's generator
    this.train = this.workspace(c.unroll, c.batch, true);
    this.infer = this.workspace(EVAL_BLOCK, 1, false);
    this.layout.write(k, this.P, params);
    this.refreshWeights();
  }

  /** The kernel matrix of layer l's tensor `name` (the cell's own name) in a region. */
  private tensor(region: Mat, name: string, l: number): Mat {
    return this.layout.mat(region, l === 0 ? name : `${name}.${l}`);
  }

  private workspace(T: number, B: number, training: boolean): Workspace {
    const { k, H, V } = this;
    const Hp = roundUp4(H);
    const G = this.cell.nGates * Hp;
    const n = T * B;
    const layers = Array.from({ length: this.L }, (): LayerBuffers => ({
      Z: k.alloc(n, G),
      GH: this.cell.hiddenBias ? k.alloc(n, G) : null,
      hs: k.alloc(n + B, H),
      cs: this.cell.hasCellState ? k.alloc(n + B, H) : null,
      train: training
        ? { dH: k.alloc(n, H), dh: k.alloc(B, H), dc: this.cell.hasCellState ? k.alloc(B, H) : null, hT: k.alloc(Hp, n), hTP: k.allocPacked({ rows: H, cols: n }), ZT: k.alloc(G, n) }
        : null,
    }));
    const dropout = training && this.config.dropout > 0 && this.L > 1 ? Array.from({ length: this.L - 1 }, () => ({ mask: k.alloc(n, H), dropped: k.alloc(n, H) })) : null;
    return { T, B, ids: k.allocI32(n), targets: k.allocI32(n), logits: k.alloc(n, V), layers, dropout };
  }

  /** After every change of the weights: W_h packed, W_hᵀ packed, deeper layers' W_x packed. */
  private refreshWeights(): void {
    const k = this.k;
    for (let l = 0; l < this.L; l++) {
      const Wh = this.tensor(this.P, 'Wh', l);
      k.packRows4(this.rec[l].WhP, Wh);
      k.transpose(this.WhT[l], Wh);
      k.packRows4(this.rec[l].WhTP, this.WhT[l]);
      const WxP = this.WxP[l];
      if (WxP) k.packRows4(WxP, this.tensor(this.P, 'Wx', l));
    }
  }

  /** Stages the chunk's inputs and targets, row t·B + b (the checks are the caller's). */
  private loadChunk(ws: Workspace, data: Int32Array, starts: ArrayLike<number>, len: number): void {
    const B = starts.length;
    const ids = new Int32Array(len * B);
    const targets = new Int32Array(len * B);
    for (let t = 0; t < len; t++) {
      for (let b = 0; b < B; b++) {
        ids[t * B + b] = data[starts[b] + t];
        targets[t * B + b] = data[starts[b] + t + 1];
      }
    }
    this.k.writeI32(ws.ids, ids);
    this.k.writeI32(ws.targets, targets);
  }

  /** Forward over len steps from block 0 of every layer's state: the layers, then the logits. */
  private forward(ws: Workspace, len: number): void {
    const { k, P } = this;
    const n = len * ws.B;
    for (let l = 0; l < this.L; l++) {
      const buf = ws.layers[l];
      const Z = k.rowsOf(buf.Z, 0, n);
      const bias = this.tensor(P, this.cell.inputBias, l);
      if (l === 0) k.gatherRows(Z, ws.ids, this.tensor(P, 'Wx', 0), bias); // Z = W_xᵀ[x] + b
      else k.gemmABtPacked(Z, this.inputOf(ws, l, n), this.WxP[l]!, { bias }); // Z = h_below·W_xᵀ + b
      this.cell.forward(k, len, ws.B, buf, this.rec[l]);
      if (ws.dropout && l < this.L - 1) this.applyMask(k.rowsOf(buf.hs, ws.B, n), ws.dropout[l].mask, k.rowsOf(ws.dropout[l].dropped, 0, n));
    }
    const top = k.rowsOf(ws.layers[this.L - 1].hs, ws.B, n);
    k.gemmABt(k.rowsOf(ws.logits, 0, n), top, this.layout.mat(P, 'Why'), { bias: this.layout.mat(P, 'by') }); // y = h·W_hyᵀ + b_y
  }

  /** The input of layer l > 0 over n rows: h of the layer below, through the dropout mask when training with dropout. */
  private inputOf(ws: Workspace, l: number, n: number): Mat {
    return ws.dropout ? this.k.rowsOf(ws.dropout[l - 1].dropped, 0, n) : this.k.rowsOf(ws.layers[l - 1].hs, ws.B, n);
  }

  /** out = x ⊙ mask over x's rows (f32 products, as the kernels round them). */
  private applyMask(x: Mat, mask: Mat, out: Mat): void {
    const [xv, mv, ov] = [this.k.view(x), this.k.view(mask), this.k.view(out)];
    for (let i = 0; i < xv.length; i++) ov[i] = xv[i] * mv[i];
  }

  /**
   * Fresh masks for a chunk of len steps, drawn as the reference draws them: in the order
   * (t, boundary, stream, unit), each unit kept with probability 1 − p and scaled by 1/(1 − p).
   */
  private drawMasks(len: number): void {
    const ws = this.train;
    if (!ws.dropout) return;
    const p = this.config.dropout;
    const views = ws.dropout.map((d) => this.k.view(d.mask));
    const ld = ws.dropout[0].mask.ld;
    for (let t = 0; t < len; t++) {
      for (const v of views) {
        for (let b = 0; b < ws.B; b++) {
          const row = (t * ws.B + b) * ld;
          for (let j = 0; j < this.H; j++) v[row + j] = this.dropoutRng() < p ? 0 : 1 / (1 - p);
        }
      }
    }
  }

  /** Loss (the reference's) and raw gradients into G, after forward over len steps of the training workspace. */
  private backward(len: number): number {
    const { k, G, P, train: ws } = this;
    const n = len * ws.B;
    const logits = k.rowsOf(ws.logits, 0, n);
    const nats = k.softmaxXent(logits, ws.targets, 1 / ws.B); // logits ← dy = (p − onehot)/B
    const top = k.rowsOf(ws.layers[this.L - 1].hs, ws.B, n);
    k.gemmAtB(this.layout.mat(G, 'Why'), logits, top); // dW_hy = dyᵀ·h
    k.sumRows(this.layout.mat(G, 'by'), logits); //        db_y = Σ dy
    k.gemmAB(k.rowsOf(ws.layers[this.L - 1].train!.dH, 0, n), logits, this.layout.mat(P, 'Why')); // dh_top = dy·W_hy
    if (len < ws.T) for (const buf of ws.layers) k.view(buf.train!.ZT).fill(0); // no stale columns past len·B
    for (let l = this.L - 1; l >= 0; l--) {
      const buf = ws.layers[l];
      const gbh = this.cell.hiddenBias ? this.tensor(G, this.cell.hiddenBias, l) : null;
      this.cell.backward(k, len, ws.B, buf, this.rec[l], this.tensor(G, 'Wh', l), gbh); // Z ← dZ
      const dZ = k.rowsOf(buf.Z, 0, n);
      k.sumRows(this.tensor(G, this.cell.inputBias, l), dZ); // db = Σ dZ
      const gWx = this.tensor(G, 'Wx', l);
      if (l === 0) {
        k.view(gWx).fill(0);
        k.scatterAddRows(gWx, ws.ids, dZ); // dW_xᵀ[x] += dZ
      } else {
        const dHbelow = k.rowsOf(ws.layers[l - 1].train!.dH, 0, n);
        k.gemmAtB(gWx, dZ, this.inputOf(ws, l, n)); //                 dW_x = dZᵀ·h_below (masked)
        k.gemmAB(dHbelow, dZ, this.tensor(P, 'Wx', l)); //              dh_below = dZ·W_x
        if (ws.dropout) this.applyMask(dHbelow, ws.dropout[l - 1].mask, dHbelow); //  ⊙ mask
      }
    }
    return nats / ws.B;
  }

  /** Copies the carried state of stream `from` (of every stream, if null) into block 0 of a workspace. */
  private stateIn(ws: Workspace, from: number | null): void {
    const { k } = this;
    for (let l = 0; l < this.L; l++) {
      const pairs: [Mat, Mat | null][] = [[this.carryH[l], ws.layers[l].hs], [this.carryC[l]!, ws.layers[l].cs]];
      for (const [carry, hs] of pairs) {
        if (hs === null) continue;
        const src = from === null ? carry : k.rowsOf(carry, from, 1);
        k.view(k.rowsOf(hs, 0, src.rows)).set(k.view(src));
      }
    }
  }

  /** Block `len` of the training workspace's states becomes the carried state. */
  private carryOut(len: number): void {
    const { k, train: ws } = this;
    for (let l = 0; l < this.L; l++) {
      k.view(this.carryH[l]).set(k.view(k.rowsOf(ws.layers[l].hs, len * ws.B, ws.B)));
      const cc = this.carryC[l];
      if (cc) k.view(cc).set(k.view(k.rowsOf(ws.layers[l].cs!, len * ws.B, ws.B)));
    }
  }

  /** Writes a flat state laid out as exportHidden's ([L × B × S], S = H or 2H: h then c) into block 0. */
  private writeFlatState(ws: Workspace, s: Float64Array): void {
    const { k, H } = this;
    const S = this.cell.hasCellState ? 2 * H : H;
    for (let l = 0; l < this.L; l++) {
      const { hs, cs } = ws.layers[l];
      for (let b = 0; b < ws.B; b++) {
        const o = (l * ws.B + b) * S;
        k.write(k.rowsOf(hs, b, 1), s.subarray(o, o + H));
        if (cs) k.write(k.rowsOf(cs, b, 1), s.subarray(o + H, o + 2 * H));
      }
    }
  }

  private startsOf(start: Starts): ArrayLike<number> {
    return typeof start === 'number' ? [start] : start;
  }

  trainChunk(data: Int32Array, start: Starts, len: number): number {
    const starts = this.startsOf(start);
    checkStarts(data, starts, len, this.config, this.V);
    this.loadChunk(this.train, data, starts, len);
    this.stateIn(this.train, null);
    this.drawMasks(len);
    this.forward(this.train, len);
    const loss = this.backward(len);
    this.carryOut(len);
    this.step();
    return loss;
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  /** Clip by value, then by global norm, then one optimizer step; repack the weights. */
  private step(): void {
    const { k, G, P, config: c } = this;
    if (Number.isFinite(c.clip)) k.clipValues(G, c.clip);
    let scale = 1;
    if (c.clipNorm > 0) {
      const norm = Math.sqrt(k.sumSquares(G));
      if (norm > c.clipNorm) scale = c.clipNorm / norm;
    }
    if (c.optimizer === 'adagrad') k.adagrad(P, G, this.slots.mem, this.lr, OPT_EPS, scale);
    else if (c.optimizer === 'rmsprop') k.rmsprop(P, G, this.slots.ms, this.lr, RMSPROP_DECAY, OPT_EPS, scale);
    else k.adam(P, G, this.slots.m, this.slots.v, { lr: this.lr, step: ++this.adamStep, ...ADAM, gradScale: scale });
    this.refreshWeights();
  }

  lossAndGradients(data: Int32Array, start: Starts, len: number, hPrev: Float64Array): LossAndGradients {
    const starts = this.startsOf(start);
    checkStarts(data, starts, len, this.config, this.V);
    checkHidden(hPrev, this.stateSize());
    this.loadChunk(this.train, data, starts, len);
    this.writeFlatState(this.train, hPrev);
    this.drawMasks(len);
    this.forward(this.train, len);
    const loss = this.backward(len);
    return { loss, grads: this.layout.read(this.k, this.G) };
  }

  resetHidden(): void {
    for (const m of [...this.carryH, ...this.carryC]) if (m) this.k.view(m).fill(0);
  }

  evaluate(data: Int32Array, start: number, end: number): EvalResult {
    checkEvalRange(data, start, end, this.V);
    const ws = this.infer;
    this.stateIn(ws, this.config.batch - 1);
    let nats = 0;
    for (let s = start; s < end; s += ws.T) {
      const n = Math.min(ws.T, end - s);
      this.k.writeI32(ws.ids, data.subarray(s - 1, s - 1 + n));
      this.k.writeI32(ws.targets, data.subarray(s, s + n));
      this.forward(ws, n);
      nats += this.k.softmaxXent(this.k.rowsOf(ws.logits, 0, n), ws.targets, 1);
      this.shiftState(ws, n);
    }
    const chars = end - start;
    return { chars, nats, bpc: nats / chars / Math.LN2 };
  }

  /** Block n of the one-stream workspace's states becomes block 0 (the next block starts there). */
  private shiftState(ws: Workspace, n: number): void {
    for (const buf of ws.layers) {
      for (const m of [buf.hs, buf.cs]) if (m) this.k.view(m).copyWithin(0, n * m.ld, (n + 1) * m.ld);
    }
  }

  sample(prime: ArrayLike<number>, n: number, temperature: number, rng: Rng, emit?: (symbol: number) => void): Int32Array {
    checkSample(prime, temperature, this.V);
    const ws = this.infer;
    const out = new Int32Array(n);
    if (n === 0) return out;
    this.stateIn(ws, this.config.batch - 1);
    let x = prime[0];
    for (let i = 0; i < prime.length + n - 1; i++) {
      if (i < prime.length) x = prime[i];
      this.k.writeI32(ws.ids, [x]);
      this.forward(ws, 1);
      this.shiftState(ws, 1);
      if (i >= prime.length - 1) {
        this.k.softmaxRow(ws.logits, 0, 1 / temperature);
        x = sampleIndex(this.k.view(ws.logits), rng, this.V);
        out[i - prime.length + 1] = x;
        emit?.(x);
      }
    }
    return out;
  }

  /** Floats of the carried state: L × B × (H, or 2H for h and c). */
  private stateSize(): number {
    return this.L * this.config.batch * this.H * (this.cell.hasCellState ? 2 : 1);
  }

  exportParams(): Tensors {
    return this.layout.read(this.k, this.P);
  }

  exportHidden(): Float64Array {
    const { k, H, L } = this;
    const B = this.config.batch;
    const S = this.cell.hasCellState ? 2 * H : H;
    const out = new Float64Array(this.stateSize());
    for (let l = 0; l < L; l++) {
      const h = k.read(this.carryH[l]);
      const c = this.carryC[l] ? k.read(this.carryC[l]!) : null;
      for (let b = 0; b < B; b++) {
        out.set(h.subarray(b * H, (b + 1) * H), (l * B + b) * S);
        if (c) out.set(c.subarray(b * H, (b + 1) * H), (l * B + b) * S + H);
      }
    }
    return out;
  }

  /** The carried state by the reference's names: h, c (LSTM) of layer 0, h.1, … of deeper layers, each [B × H]. */
  private namedState(): Tensors {
    const out: Tensors = {};
    CELLS[this.config.cell].states.forEach((name, s) => {
      for (let l = 0; l < this.L; l++) out[l === 0 ? name : `${name}.${l}`] = this.k.read(s === 0 ? this.carryH[l] : this.carryC[l]!);
    });
    return out;
  }

  private optimizerState(): Tensors {
    const out: Tensors = {};
    for (const [slot, m] of Object.entries(this.slots)) Object.assign(out, this.layout.read(this.k, m, `${slot}.`));
    if (this.config.optimizer === 'adam') out.t = Float64Array.of(this.adamStep);
    return out;
  }

  exportState(): ModelState {
    return { params: this.exportParams(), optimizer: this.optimizerState(), hidden: this.namedState() };
  }

  importState(s: ModelState): void {
    const shapes = (t: Tensors) => Object.entries(t).map(([k, v]) => [k, v.length] as [string, number]);
    checkTensors('parameter', s.params, this.layout.placements.map((p) => [p.name, p.rows * p.cols]));
    checkTensors('optimizer', s.optimizer, shapes(this.optimizerState()));
    checkTensors('hidden', s.hidden, shapes(this.namedState()));
    const { k } = this;
    this.layout.write(k, this.P, s.params);
    for (const [slot, m] of Object.entries(this.slots)) {
      const named = Object.fromEntries(this.layout.placements.map((p) => [p.name, s.optimizer[`${slot}.${p.name}`]]));
      this.layout.write(k, m, named);
    }
    if (this.config.optimizer === 'adam') this.adamStep = s.optimizer.t[0];
    CELLS[this.config.cell].states.forEach((name, si) => {
      for (let l = 0; l < this.L; l++) k.write(si === 0 ? this.carryH[l] : this.carryC[l]!, s.hidden[l === 0 ? name : `${name}.${l}`]);
    });
    this.refreshWeights();
  }
}
