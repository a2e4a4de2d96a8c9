/**
 * The one host model of the fast backends: every cell (rnn, gru, lstm), 1–3 stacked layers with
 * dropout between them, B parallel streams, adagrad / rmsprop / adam, clipping by value and by
 * global norm — the reference model's algorithm (src/model/reference.ts) in f32, driving a kernel
 * interface (src/backend/kernels.ts) that the WebAssembly kernels (wasmKernels.ts) and the native
 * ones (nativeKernels.ts) implement, behind the same CharModel interface:
 *
 *   layer 0:   Z = W_xᵀ[x_t] + b         (a row gather: the one-hot product)
 *   layer ℓ:   Z = h^{ℓ−1}_t·W_xᵀ + b    (one product over all T·B rows)
 *   then the cell's recurrence over the chunk (one kernel call);  y = h^top·W_hyᵀ + b_y
 *   loss = (1/B) Σ_b Σ_t −ln softmax(y)[target]   (the reference's: summed over time, mean over streams)
 *
 * then the gradients (backward through the same steps), clipped element-wise (clip), rescaled to
 * the global norm clipNorm if larger, and one optimizer step. Parameters start from the
 * reference's initialisation (src/model/spec.ts) converted to f32, so every backend starts alike;
 * state is exported and imported under the reference's names. Evaluation and sampling run one
 * stream (the last: the one that read the text just before the held-out tail) from the carried
 * state, as the reference does. Dropout (training only) — between the layers, on the input (each
 * character's one-hot scaled by its mask value: the row gather and its gradient take a scale per
 * row), before the output layer — draws the reference's masks from the same generator in the same
 * order, so all backends drop the same units. Decoupled weight decay is the optimizer kernels'
 * `decay` factor, passed for the runs of weight matrices of the parameter region (not the biases).
 */
import {
  checkEvalRange,
  checkHidden,
  checkModelConfig,
  checkSample,
  checkStarts,
  checkTensors,
} from '../model/checks.js';
import { initTensors, layerTensorName, modelTensors } from '../model/spec.js';
import { CELLS } from '../model/cells/index.js';
import {
  withDefaults,
  type CharModel,
  type EvalResult,
  type FullConfig,
  type LossAndGradients,
} from '../model/types.js';
import type { ModelState, RnnConfig, Starts, Tensors } from '../model/types.js';
import { makeSavableRng, sampleIndex, type Rng, type RngState } from '../util/rng.js';
import { CELL_ENTRIES, type CellEntry } from './cells.js';
import {
  OPTIMIZER_SLOTS as SLOTS,
  RNG_STATE_INTS,
  type Kernels,
  type Mat,
  type OptimizerStep,
  type Packed,
} from './kernels.js';
import { TensorLayout } from './layout.js';
import {
  allocLayerWeights,
  allocWorkspace,
  EVAL_BLOCK,
  packLayerWeights,
  type LayerWeights,
  type Workspace,
} from './workspace.js';

const OPT_EPS = 1e-8;
const RMSPROP_DECAY = 0.95;
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export class KernelModel implements CharModel {
  readonly config: FullConfig;
  private lr: number;
  private readonly cell: CellEntry;
  private readonly layout: TensorLayout;
  private readonly L: number;
  private readonly H: number;
  private readonly V: number;
  private readonly P: Mat; // the parameter region (1 × layout.size)
  private readonly G: Mat; // the gradients
  private readonly slots: Record<string, Mat>; // the optimizer memories
  private adamStep = 0;
  private readonly weights: LayerWeights[];
  private readonly WhyF: Packed; // W_hy for h·W_hyᵀ
  private readonly WhyB: Packed; // and for dy·W_hy
  private readonly carryH: Mat[]; // per layer: B × H, the carried state
  private readonly carryC: (Mat | null)[];
  private readonly train: Workspace;
  private readonly infer: Workspace;
  /** The dropout generator's state in kernel memory (the reference's generator: the same masks). */
  private readonly dropoutRng: number;

  constructor(
    config: RnnConfig,
    initial: Tensors | undefined,
    private readonly k: Kernels,
  ) {
    checkModelConfig(config);
    const c = (this.config = withDefaults(config));
    this.lr = c.learningRate;
    const params = initial ?? initTensors(c);
    const tensors = modelTensors(c);
    checkTensors(
      'parameter',
      params,
      tensors.map((t) => [t.fullName, t.rows * t.cols]),
    );
    this.cell = CELL_ENTRIES[c.cell];
    [this.L, this.H, this.V] = [c.layers, c.hiddenSize, c.vocabSize];
    this.layout = new TensorLayout(tensors, this.H, this.cell.nGates, this.cell.inputWeight, k.align);
    this.P = k.alloc(1, this.layout.size);
    this.G = k.alloc(1, this.layout.size);
    this.slots = Object.fromEntries(SLOTS[c.optimizer].map((s) => [s, k.alloc(1, this.layout.size)]));
    this.weights = Array.from({ length: this.L }, (_, l) => allocLayerWeights(k, this.layout, this.P, this.cell, l));
    const Why = this.layout.mat(this.P, 'Why');
    [this.WhyF, this.WhyB] = [k.allocPacked(Why, 'ABt'), k.allocPacked(Why, 'AB')];
    this.carryH = Array.from({ length: this.L }, () => k.alloc(c.batch, this.H));
    this.carryC = Array.from({ length: this.L }, () => (this.cell.hasCellState ? k.alloc(c.batch, this.H) : null));
    this.dropoutRng = k.allocI32(RNG_STATE_INTS);
    this.writeRng(makeSavableRng(`dropout:${c.seed}`).state()); // the reference's generator, as it starts
    const shape = {
      L: this.L,
      H: this.H,
      V: this.V,
      dropout: c.dropout,
      inputDropout: c.inputDropout,
      outputDropout: c.outputDropout,
    };
    this.train = allocWorkspace(k, this.cell, shape, c.unroll, c.batch, true);
    this.infer = allocWorkspace(k, this.cell, shape, EVAL_BLOCK, 1, false);
    this.layout.write(k, this.P, params);
    this.refreshWeights();
  }

  /** Where this model runs: 'wasm' or 'native', and the kernels' code path. */
  get kernels(): { backend: string; isa: string; threads: number } {
    return { backend: this.k.backend, isa: this.k.isa, threads: this.k.threads };
  }

  /** The kernel matrix of layer l's tensor `name` (the cell's own name) in a region. */
  private tensor(region: Mat, name: string, l: number): Mat {
    return this.layout.mat(region, layerTensorName(name, l));
  }

  /** After every change of the weights: their prepared copies. */
  private refreshWeights(): void {
    for (let l = 0; l < this.L; l++) packLayerWeights(this.k, this.layout, this.P, this.cell, l, this.weights[l]);
    const Why = this.layout.mat(this.P, 'Why');
    this.k.pack(this.WhyF, Why);
    this.k.pack(this.WhyB, Why);
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
      if (l === 0)
        k.gatherRows(Z, ws.ids, this.tensor(P, this.cell.inputWeight, 0), bias, ws.inputMask ?? undefined); // Z = W_xᵀ[x]·m + b
      else k.gemmPacked(Z, this.inputOf(ws, l, n), this.weights[l].WxF!, { bias }); //          Z = h_below·W_xᵀ + b
      k.cellForward(this.cell.kind, len, ws.B, buf, this.weights[l].WhF, this.weights[l].bh);
      if (ws.dropout && l < this.L - 1)
        this.applyMask(k.rowsOf(buf.hs, ws.B, n), ws.dropout[l].mask, k.rowsOf(ws.dropout[l].dropped, 0, n));
    }
    const top = this.topOf(ws, n);
    if (ws.outputDropout) this.applyMask(k.rowsOf(ws.layers[this.L - 1].hs, ws.B, n), ws.outputDropout.mask, top);
    k.gemmPacked(k.rowsOf(ws.logits, 0, n), top, this.WhyF, { bias: this.layout.mat(P, 'by') }); // y = h·W_hyᵀ + b_y
  }

  /** The output layer's input over n rows: the top layer's h, or its masked copy when training with output dropout. */
  private topOf(ws: Workspace, n: number): Mat {
    return ws.outputDropout
      ? this.k.rowsOf(ws.outputDropout.dropped, 0, n)
      : this.k.rowsOf(ws.layers[this.L - 1].hs, ws.B, n);
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
   * Fresh masks for a chunk of len steps, drawn as the reference draws them, each value kept with
   * probability 1 − p and scaled by 1/(1 − p): between the layers in the order (t, boundary, stream,
   * unit), then the input's (t, stream), then the output's (t, stream, unit).
   */
  private drawMasks(len: number): void {
    const { k, train: ws, config: c, H, dropoutRng: rng } = this;
    const n = len * ws.B;
    if (ws.dropout?.length === 1) k.dropoutMask(ws.dropout[0].mask, n, H, c.dropout, rng);
    else if (ws.dropout)
      for (let t = 0; t < len; t++)
        for (const d of ws.dropout) k.dropoutMask(k.rowsOf(d.mask, t * ws.B, ws.B), ws.B, H, c.dropout, rng);
    if (ws.inputMask) k.dropoutMask(ws.inputMask, 1, n, c.inputDropout, rng);
    if (ws.outputDropout) k.dropoutMask(ws.outputDropout.mask, n, H, c.outputDropout, rng);
  }

  private writeRng(s: RngState): void {
    const v = [...s.S, s.i, s.j];
    const byte = (x: number) => Number.isInteger(x) && x >= 0 && x <= 255;
    if (s.S.length !== 256 || !v.every(byte))
      throw new RangeError('dropout generator state: expected S[256], i and j, each an integer 0..255');
    this.k.writeI32(this.dropoutRng, v);
  }

  private readRng(): RngState {
    const v = this.k.readI32(this.dropoutRng, RNG_STATE_INTS);
    return { i: v[256], j: v[257], S: Array.from(v.subarray(0, 256)) };
  }

  /** Loss (the reference's) and raw gradients into G, after forward over len steps of the training workspace. */
  private backward(len: number): number {
    const { k, G, train: ws } = this;
    const n = len * ws.B;
    const logits = k.rowsOf(ws.logits, 0, n);
    const nats = k.softmaxXent(logits, ws.targets, 1 / ws.B); // logits ← dy = (p − onehot)/B
    const top = this.topOf(ws, n);
    k.gemmAtB(this.layout.mat(G, 'Why'), logits, top); // dW_hy = dyᵀ·h (masked)
    k.sumRows(this.layout.mat(G, 'by'), logits); //        db_y = Σ dy
    const dTop = k.rowsOf(ws.layers[this.L - 1].train!.dH, 0, n);
    k.gemmPacked(dTop, logits, this.WhyB); // dh_top = dy·W_hy
    if (ws.outputDropout) this.applyMask(dTop, ws.outputDropout.mask, dTop); // ⊙ mask
    for (let l = this.L - 1; l >= 0; l--) this.layerBackward(l, len);
    return nats / ws.B;
  }

  /** Back through layer l: its recurrence, its input projection, and the gradient into the layer below. */
  private layerBackward(l: number, len: number): void {
    const { k, G, train: ws, cell } = this;
    const n = len * ws.B;
    const buf = ws.layers[l];
    for (const m of [buf.train!.dh, buf.train!.dc]) if (m) k.view(m).fill(0); // truncated BPTT: nothing from beyond the chunk
    k.cellBackward(cell.kind, len, ws.B, buf, this.weights[l].WhB, this.tensor(G, cell.recurrentWeight, l)); // Z ← dZ
    const dZ = k.rowsOf(buf.Z, 0, n);
    if (cell.hiddenBias) k.sumRows(this.tensor(G, cell.hiddenBias, l), k.rowsOf(buf.GH!, 0, n)); // db_h = Σ ∂gh
    k.sumRows(this.tensor(G, cell.inputBias, l), dZ); // db = Σ dZ
    const gWx = this.tensor(G, cell.inputWeight, l);
    if (l === 0) {
      k.view(gWx).fill(0);
      k.scatterAddRows(gWx, ws.ids, dZ, ws.inputMask ?? undefined); // dW_xᵀ[x] += dZ·m
      return;
    }
    const dHbelow = k.rowsOf(ws.layers[l - 1].train!.dH, 0, n);
    k.gemmAtB(gWx, dZ, this.inputOf(ws, l, n)); //       dW_x = dZᵀ·h_below (masked)
    k.gemmPacked(dHbelow, dZ, this.weights[l].WxB!); //  dh_below = dZ·W_x
    if (ws.dropout) this.applyMask(dHbelow, ws.dropout[l - 1].mask, dHbelow); //  ⊙ mask
  }

  /** Copies the carried state of stream `from` (of every stream, if null) into block 0 of a workspace. */
  private stateIn(ws: Workspace, from: number | null): void {
    const { k } = this;
    for (let l = 0; l < this.L; l++) {
      const pairs: [Mat | null, Mat | null][] = [
        [this.carryH[l], ws.layers[l].hs],
        [this.carryC[l], ws.layers[l].cs],
      ];
      for (const [carry, hs] of pairs) {
        if (hs === null || carry === null) continue;
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

  /**
   * Clip by value, then by global norm, then one optimizer step; re-prepare the weights. Without a
   * norm clip the value clip is the optimizer's own first operation (one pass over the gradient).
   */
  private step(): void {
    const { k, G, P, config: c } = this;
    const s: OptimizerStep = { kind: c.optimizer, lr: this.lr, eps: OPT_EPS, clip: c.clip, alpha: RMSPROP_DECAY };
    if (c.optimizer === 'adam') Object.assign(s, { ...ADAM, step: ++this.adamStep });
    if (c.clipNorm > 0) {
      if (Number.isFinite(c.clip)) k.clipValues(G, c.clip);
      s.clip = Infinity;
      const norm = Math.sqrt(k.sumSquares(G));
      if (norm > c.clipNorm) s.gradScale = c.clipNorm / norm;
    }
    const slots = SLOTS[c.optimizer].map((name) => this.slots[name]);
    if (c.weightDecay > 0) {
      // decoupled weight decay (src/optim/optimizers.ts withWeightDecay): the weight matrices × (1 − lr·λ) first
      const runs = (m: Mat) => this.layout.runs(m).map((r) => r.mat);
      const [Pr, Gr, Sr] = [this.layout.runs(P), runs(G), slots.map(runs)];
      Pr.forEach((r, i) =>
        k.optimize(
          r.mat,
          Gr[i],
          Sr.map((x) => x[i]),
          r.weights ? { ...s, decay: 1 - this.lr * c.weightDecay } : s,
        ),
      );
    } else {
      k.optimize(P, G, slots, s);
    }
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

  sample(
    prime: ArrayLike<number>,
    n: number,
    temperature: number,
    rng: Rng,
    emit?: (symbol: number) => void,
  ): Int32Array {
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
      for (let l = 0; l < this.L; l++)
        out[layerTensorName(name, l)] = this.k.read(s === 0 ? this.carryH[l] : this.carryC[l]!);
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
    const state: ModelState = {
      params: this.exportParams(),
      optimizer: this.optimizerState(),
      hidden: this.namedState(),
    };
    const { dropout, inputDropout, outputDropout } = this.config;
    if (dropout > 0 || inputDropout > 0 || outputDropout > 0) state.rng = { dropout: this.readRng() }; // as the reference: a resume draws the same masks
    return state;
  }

  importState(s: ModelState): void {
    const shapes = (t: Tensors) => Object.entries(t).map(([k, v]) => [k, v.length] as [string, number]);
    checkTensors(
      'parameter',
      s.params,
      this.layout.placements.map((p) => [p.name, p.rows * p.cols]),
    );
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
      for (let l = 0; l < this.L; l++)
        k.write(si === 0 ? this.carryH[l] : this.carryC[l]!, s.hidden[layerTensorName(name, l)]);
    });
    if (s.rng?.dropout) this.writeRng(s.rng.dropout);
    this.refreshWeights();
  }
}
