/**
 * The reference model: Float64, built from the ops of src/model/ops.ts, written to be read. Any
 * registered cell (src/model/cells), 1–3 stacked layers, dropout on the input, between the layers
 * and before the output layer, B parallel streams, any optimizer, decoupled weight decay;
 * min-char-rnn's configuration reproduces min-char-rnn exactly.
 *
 *   layer 0:   s⁰_t = cell(mᵢₙ·onehot(x_t), s⁰_{t−1})        mᵢₙ: input dropout, one per character
 *   layer ℓ:   sˡ_t = cell(mˡ ⊙ hˡ⁻¹_t, sˡ_{t−1})            (h = the first state tensor)
 *   output:    y_t = Why·(mₒᵤₜ ⊙ h^top_t) + by ;  p_t = softmax(y_t)
 *   loss:      L = (1/B) Σ_b Σ_t −ln p_t[target_t]
 *
 * Every mask m is drawn per step and stream (per unit for mˡ and mₒᵤₜ): 0 with the knob's
 * probability p, else 1/(1 − p); without dropout m = 1 and the product is skipped. Evaluation and
 * sampling use no dropout. Truncated backpropagation through time over chunks of `unroll`
 * characters; the last state of a chunk carries into the next one. Gradients are clipped
 * element-wise (clip), then by global norm (clipNorm, if set), then the optimizer steps (after the
 * weight decay, if set: src/optim/optimizers.ts). This class is the oracle the fast backend is
 * tested against; every buffer is allocated once in the constructor.
 *
 * Layouts: the carried state is [L × B × S] (S = the cell's state size per stream: H, or 2H for
 * h and c); the chunk's states are [(T+1) × L × B × S] (t = 0 the incoming state).
 */
import { makeSavableRng, sampleIndex, type Rng, type SavableRng } from '../util/rng.js';
import { clipInPlace } from '../optim/adagrad.js';
import { clipGlobalNorm, makeOptimizer, withWeightDecay, type Optimizer } from '../optim/optimizers.js';
import { CELLS } from './cells/index.js';
import type { Cell, LayerStep, LayerTensors, StepIO } from './cells/types.js';
import { checkEvalRange, checkHidden, checkModelConfig, checkSample, checkStarts, checkTensors } from './checks.js';
import {
  linearBackward,
  linearForward,
  biasBackward,
  maskBackward,
  maskForward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
} from './ops.js';
import { copyTensors } from './params.js';
import { initTensors, modelTensors, zeroTensors } from './spec.js';
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
} from './types.js';

export class ReferenceModel implements CharModel {
  readonly config: FullConfig;
  readonly params: Tensors;
  /** Gradients of the last chunk (after trainChunk: clipped). Tests read them; the optimizer uses them. */
  readonly grads: Tensors;
  private readonly optimizer: Optimizer;
  private lr: number; // config.learningRate, or a schedule's (setLearningRate)
  private readonly cell: Cell;
  private readonly steps: LayerStep[]; // one per layer
  private readonly layerParams: LayerTensors[]; // per layer: the cell's own tensor names -> arrays
  private readonly layerGrads: LayerTensors[];
  private readonly gradList: Float64Array[];
  private readonly L: number;
  private readonly B: number;
  private readonly H: number;
  private readonly V: number;
  private readonly S: number; // state floats per layer and stream
  private readonly tapeSize: number;
  private readonly state: Float64Array; // [L × B × S] carried between chunks
  private readonly states: Float64Array; // [(T+1) × L × B × S]
  private readonly tapes: Float64Array; // [T × L × B × tapeSize]
  private readonly ys: Float64Array; // [T × B × V] logits, then p, then dy
  private readonly masks: Float64Array; // [T × (L−1) × B × H] dropout: 0 or 1/(1−p)
  private readonly dropped: Float64Array; // [T × (L−1) × B × H] the masked input of layer ℓ+1
  private readonly inMasks: Float64Array; // [T × B] input dropout: the one-hot's value (1 without)
  private readonly outMasks: Float64Array; // [T × B × H] output dropout
  private readonly outDropped: Float64Array; // [T × B × H] mₒᵤₜ ⊙ h_top, the output layer's input
  private readonly dTop: Float64Array; // [H] Whyᵀ dy, before the output mask
  private readonly dsNext: Float64Array; // [L × B × S] dL/ds_t coming from step t+1
  private readonly dsPrev: Float64Array; // [L × B × S] dL/ds_{t−1}, being built
  private readonly ds: Float64Array; // [S] dL/ds of the layer being stepped back
  private readonly dIn: Float64Array; // [H] dL/d(input) of the layer being stepped back
  // Views made once, one per step slot (index slot(t, l, b)), so that a step allocates nothing:
  private readonly stateViews: Float64Array[]; // [S] of states, slots t = 0 .. T
  private readonly tapeViews: Float64Array[]; // [tapeSize] of tapes
  private readonly yViews: Float64Array[]; // [V] of ys, per t × B + b
  private readonly inputViews: Float64Array[]; // [H] the dense input of layer l ≥ 1: dropped, or h of the layer below
  private readonly topViews: Float64Array[]; // [H] the output layer's input, per t × B + b: outDropped, or h_top
  private readonly dViews: [Float64Array[], Float64Array[]]; // [S] of dsNext, of dsPrev, per l × B + b
  private readonly io: StepIO;
  private dropoutRng: SavableRng;

  constructor(config: RnnConfig, initial?: Tensors) {
    checkModelConfig(config);
    const params = initial ?? initTensors(config);
    const c = (this.config = withDefaults(config));
    this.lr = c.learningRate;
    const T = c.unroll;
    this.L = c.layers;
    this.B = c.batch;
    this.H = c.hiddenSize;
    this.V = c.vocabSize;
    checkTensors(
      'parameter',
      params,
      modelTensors(c).map((t) => [t.fullName, t.rows * t.cols]),
    );
    this.params = copyTensors(params);
    this.grads = zeroTensors(c);
    this.gradList = Object.values(this.grads);
    this.optimizer = modelOptimizer(c, this.params, this.grads);
    this.cell = CELLS[c.cell];
    ({
      steps: this.steps,
      layerParams: this.layerParams,
      layerGrads: this.layerGrads,
    } = layersOf(c, this.cell, this.params, this.grads));
    this.S = this.steps[0].stateSize;
    this.tapeSize = this.steps[0].tapeSize;
    const LBS = this.L * this.B * this.S;
    const drop = (this.L - 1) * this.B * this.H;
    this.state = new Float64Array(LBS);
    this.states = new Float64Array((T + 1) * LBS);
    this.tapes = new Float64Array(T * this.L * this.B * this.tapeSize);
    this.ys = new Float64Array(T * this.B * this.V);
    this.masks = new Float64Array(T * drop);
    this.dropped = new Float64Array(T * drop);
    this.inMasks = new Float64Array(T * this.B).fill(1);
    this.outMasks = new Float64Array(c.outputDropout > 0 ? T * this.B * this.H : 0);
    this.outDropped = new Float64Array(this.outMasks.length);
    this.dTop = new Float64Array(this.H);
    this.dsNext = new Float64Array(LBS);
    this.dsPrev = new Float64Array(LBS);
    this.ds = new Float64Array(this.S);
    this.dIn = new Float64Array(this.H);
    this.dropoutRng = makeSavableRng(`dropout:${c.seed}`);
    this.stateViews = views(this.states, (T + 1) * this.L * this.B, this.S);
    this.tapeViews = views(this.tapes, T * this.L * this.B, this.tapeSize);
    this.yViews = views(this.ys, T * this.B, this.V);
    this.inputViews = this.makeInputViews(T);
    this.topViews = Array.from({ length: T * this.B }, (_, k) =>
      c.outputDropout > 0
        ? this.outDropped.subarray(k * this.H, (k + 1) * this.H)
        : this.stateViews[this.slot(Math.floor(k / this.B) + 1, this.L - 1, k % this.B)].subarray(0, this.H),
    );
    this.dViews = [views(this.dsNext, this.L * this.B, this.S), views(this.dsPrev, this.L * this.B, this.S)];
    this.io = placeholderIo(this.dIn, this.ds);
  }

  /** Views of the dense input of every step slot (empty for layer 0, whose input is a symbol). */
  private makeInputViews(T: number): Float64Array[] {
    const out: Float64Array[] = [];
    const { L, B, H } = this;
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        for (let b = 0; b < B; b++) {
          if (l === 0) out.push(this.dIn.subarray(0, 0));
          else if (this.config.dropout > 0)
            out.push(this.dropped.subarray(this.dropAt(t, l - 1, b), this.dropAt(t, l - 1, b) + H));
          else out.push(this.stateViews[this.slot(t + 1, l - 1, b)].subarray(0, H));
        }
      }
    }
    return out;
  }

  /** Index of the step slot of layer l, stream b at time t, in the view lists. */
  private slot(t: number, l: number, b: number): number {
    return (t * this.L + l) * this.B + b;
  }

  /** Offset of the state of layer l, stream b at time t (t = 0: the incoming state). */
  private at(t: number, l: number, b: number): number {
    return ((t * this.L + l) * this.B + b) * this.S;
  }

  /** Offset of the dropped input of layer l + 1, stream b at time t. */
  private dropAt(t: number, l: number, b: number): number {
    return ((t * (this.L - 1) + l) * this.B + b) * this.H;
  }

  /** Points the shared StepIO at layer l, stream b, step t: its input, states and tape. */
  private point(data: Int32Array, starts: ArrayLike<number>, t: number, l: number, b: number): StepIO {
    const io = this.io;
    const k = this.slot(t, l, b);
    io.x = l === 0 ? data[starts[b] + t] : -1;
    io.xs = l === 0 ? this.inMasks[t * this.B + b] : 1;
    io.v = this.inputViews[k];
    io.prev = this.stateViews[k];
    io.next = this.stateViews[this.slot(t + 1, l, b)];
    io.tape = this.tapeViews[k];
    return io;
  }

  /**
   * Fresh dropout masks for a chunk of len steps, each value kept with probability 1 − p and scaled
   * by 1/(1 − p): between the layers, then on the input, then on the output, each only when its p > 0
   * (so a run with between-layer dropout alone draws what it always drew).
   */
  private drawMasks(len: number): void {
    const { dropout, inputDropout, outputDropout } = this.config;
    this.drawInto(this.masks, len * (this.L - 1) * this.B * this.H, dropout);
    this.drawInto(this.inMasks, len * this.B, inputDropout);
    this.drawInto(this.outMasks, len * this.B * this.H, outputDropout);
  }

  private drawInto(masks: Float64Array, n: number, p: number): void {
    if (p === 0) return;
    for (let i = 0; i < n; i++) masks[i] = this.dropoutRng.next() < p ? 0 : 1 / (1 - p);
  }

  /**
   * Forward over the chunk from the state s0 ([L × B × S]), keeping every state, tape and p_t for
   * the backward pass. Returns the loss (1/B) Σ −ln p_t[target_t] in nats. Unchecked, and uses the
   * current dropout masks: the gradient check calls it directly.
   */
  forward(data: Int32Array, starts: ArrayLike<number>, len: number, s0: Float64Array): number {
    const { L, B, H, V, states, steps } = this;
    states.set(s0, 0);
    let loss = 0;
    for (let t = 0; t < len; t++) {
      for (let b = 0; b < B; b++) {
        for (let l = 0; l < L; l++) {
          steps[l].forward(this.layerParams[l], this.point(data, starts, t, l, b));
          if (l < L - 1 && this.config.dropout > 0) {
            const d = this.dropAt(t, l, b);
            maskForward(this.dropped, d, states, this.at(t + 1, l, b), this.masks, d, H); // input of layer l+1 = m ⊙ h_l
          }
        }
        const k = t * B + b;
        if (this.config.outputDropout > 0)
          maskForward(this.outDropped, k * H, states, this.at(t + 1, L - 1, b), this.outMasks, k * H, H); // mₒᵤₜ ⊙ h_top
        // y = by, then y += Why·(mₒᵤₜ ⊙ h_top) ; p = softmax(y) ; loss += −ln p[target]
        const y = this.yViews[k];
        y.set(this.params.by);
        linearForward(y, this.params.Why, this.topViews[k], V, H);
        loss += softmaxCrossEntropyForward(y, 0, V, data[starts[b] + t + 1]);
      }
    }
    return B === 1 ? loss : loss / B;
  }

  /** Backward through the chunk the last forward() saw; fills this.grads. */
  backward(data: Int32Array, starts: ArrayLike<number>, len: number): void {
    const { L, B, V, steps, ds, dIn } = this;
    let { dsNext, dsPrev } = this;
    let dNextViews = this.dViews[0]; // views of dsNext, dsPrev: swapped with them
    let dPrevViews = this.dViews[1];
    for (const g of this.gradList) g.fill(0);
    dsNext.fill(0);
    for (let t = len - 1; t >= 0; t--) {
      dsPrev.fill(0);
      for (let b = 0; b < B; b++) {
        // dy = (p − onehot(target))/B ; dby += dy ; dWhy += dy (mₒᵤₜ ⊙ h_top)ᵀ ; dh_top = dsNext + mₒᵤₜ ⊙ (Whyᵀ dy)
        const k = t * B + b;
        const dy = this.yViews[k];
        softmaxCrossEntropyBackward(dy, 0, V, data[starts[b] + t + 1], 1 / B);
        ds.set(dNextViews[(L - 1) * B + b]);
        biasBackward(this.grads.by, dy, V);
        this.outputBackward(dy, k);
        for (let l = L - 1; l >= 0; l--) {
          if (l < L - 1) {
            // dh_l = dsNext_l + (gradient of layer l+1's input, through the dropout mask)
            ds.set(dNextViews[l * B + b]);
            this.layerInputBackward(t, l, b);
          }
          if (l > 0) dIn.fill(0);
          const io = this.point(data, starts, t, l, b);
          io.dNext = ds;
          io.dPrev = dPrevViews[l * B + b];
          io.dv = l > 0 ? dIn : null;
          steps[l].backward(this.layerParams[l], this.layerGrads[l], io);
        }
      }
      const swap = dsNext;
      dsNext = dsPrev;
      dsPrev = swap;
      const swapViews = dNextViews;
      dNextViews = dPrevViews;
      dPrevViews = swapViews;
    }
  }

  /** dWhy += dy xᵀ and ds += dx, where x = the output layer's input (mₒᵤₜ ⊙ h_top, or h_top): step k = t × B + b. */
  private outputBackward(dy: Float64Array, k: number): void {
    const { H, V, ds } = this;
    if (this.config.outputDropout === 0)
      return linearBackward(this.grads.Why, ds, this.params.Why, this.topViews[k], dy, V, H);
    this.dTop.fill(0);
    linearBackward(this.grads.Why, this.dTop, this.params.Why, this.topViews[k], dy, V, H); // dTop = Whyᵀ dy
    maskBackward(ds, 0, this.dTop, 0, this.outMasks, k * H, H); //                               ds += mₒᵤₜ ⊙ dTop
  }

  /** ds += dL/dh_l through layer l+1's input: dIn, through the between-layer mask if any. */
  private layerInputBackward(t: number, l: number, b: number): void {
    const { H, ds, dIn } = this;
    if (this.config.dropout > 0) maskBackward(ds, 0, dIn, 0, this.masks, this.dropAt(t, l, b), H);
    else for (let i = 0; i < H; i++) ds[i] += dIn[i];
  }

  /** Stream starts as a list (one number is one stream). */
  private startsOf(start: Starts): ArrayLike<number> {
    return typeof start === 'number' ? [start] : start;
  }

  lossAndGradients(data: Int32Array, start: Starts, len: number, hPrev: Float64Array): LossAndGradients {
    const starts = this.startsOf(start);
    checkStarts(data, starts, len, this.config, this.V);
    checkHidden(hPrev, this.state.length);
    this.drawMasks(len);
    const loss = this.forward(data, starts, len, hPrev);
    this.backward(data, starts, len);
    return { loss, grads: copyTensors(this.grads) };
  }

  trainChunk(data: Int32Array, start: Starts, len: number): number {
    const starts = this.startsOf(start);
    checkStarts(data, starts, len, this.config, this.V);
    this.drawMasks(len);
    const loss = this.forward(data, starts, len, this.state);
    this.backward(data, starts, len);
    this.state.set(this.states.subarray(this.at(len, 0, 0), this.at(len + 1, 0, 0))); // carry s_len
    const { clip, clipNorm } = this.config;
    for (const g of this.gradList) clipInPlace(g, clip); // mitigate exploding gradients
    if (clipNorm > 0) clipGlobalNorm(this.gradList, clipNorm);
    this.optimizer.step(this.lr);
    return loss;
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  resetHidden(): void {
    this.state.fill(0);
  }

  /**
   * One step of the trained model for one stream, without dropout: cur → next (each L views [S]),
   * then p = softmax(y·invT) in probs. Used by evaluation and sampling.
   */
  private inferStep(
    x: number,
    cur: Float64Array[],
    next: Float64Array[],
    probs: Float64Array,
    invT: number,
    tape: Float64Array,
  ): void {
    const { L, H, V, io } = this;
    io.tape = tape;
    io.xs = 1; // no dropout
    for (let l = 0; l < L; l++) {
      io.x = l === 0 ? x : -1;
      if (l > 0) io.v = next[l - 1]; // h of the layer below, just computed
      io.prev = cur[l];
      io.next = next[l];
      this.steps[l].forward(this.layerParams[l], io);
    }
    probs.set(this.params.by);
    linearForward(probs, this.params.Why, next[L - 1], V, H);
    softmaxCrossEntropyForward(probs, 0, V, -1, invT);
  }

  /** Two [L × S] states for inference, each as L views [S]: the last stream's carried state, and zeros. */
  private inferStates(): [Float64Array[], Float64Array[]] {
    const { L, S } = this;
    return [views(this.lastStreamState(), L, S), views(new Float64Array(L * S), L, S)];
  }

  /** A copy of the carried state of the last stream, [L × S]. */
  private lastStreamState(): Float64Array {
    const out = new Float64Array(this.L * this.S);
    for (let l = 0; l < this.L; l++)
      out.set(this.state.subarray(this.at(0, l, this.B - 1), this.at(0, l, this.B - 1) + this.S), l * this.S);
    return out;
  }

  evaluate(data: Int32Array, start: number, end: number): EvalResult {
    checkEvalRange(data, start, end, this.V);
    let [cur, next] = this.inferStates();
    const probs = new Float64Array(this.V);
    const tape = new Float64Array(this.tapeSize);
    let nats = 0;
    for (let i = start; i < end; i++) {
      this.inferStep(data[i - 1], cur, next, probs, 1, tape);
      nats -= Math.log(probs[data[i]]);
      const swap = cur;
      cur = next;
      next = swap;
    }
    const chars = end - start;
    return { chars, nats, bpc: nats / chars / Math.LN2 };
  }

  sample(
    prime: ArrayLike<number>,
    n: number,
    temperature: number,
    rng: Rng,
    emit?: (symbol: number) => void,
  ): Int32Array {
    checkSample(prime, temperature, this.V);
    const invT = 1 / temperature;
    let [cur, next] = this.inferStates();
    const probs = new Float64Array(this.V);
    const tape = new Float64Array(this.tapeSize);
    const out = new Int32Array(n);
    let x = prime[0];
    for (let i = 0; i < prime.length + n - 1; i++) {
      if (i < prime.length) x = prime[i];
      this.inferStep(x, cur, next, probs, invT, tape);
      const swap = cur;
      cur = next;
      next = swap;
      if (i >= prime.length - 1) {
        x = sampleIndex(probs, rng);
        out[i - prime.length + 1] = x;
        emit?.(x);
      }
    }
    return out;
  }

  exportParams(): Tensors {
    return copyTensors(this.params);
  }

  exportHidden(): Float64Array {
    return this.state.slice();
  }

  /** The carried state by name: `h`, `c` (LSTM) of layer 0, `h.1`, … of deeper layers, each [B × H]. */
  private namedState(): Tensors {
    const out: Tensors = {};
    const { L, B, H } = this;
    this.cell.states.forEach((name, k) => {
      for (let l = 0; l < L; l++) {
        const t = new Float64Array(B * H);
        for (let b = 0; b < B; b++)
          t.set(this.state.subarray(this.at(0, l, b) + k * H, this.at(0, l, b) + (k + 1) * H), b * H);
        out[l === 0 ? name : `${name}.${l}`] = t;
      }
    });
    return out;
  }

  exportState(): ModelState {
    const state: ModelState = {
      params: copyTensors(this.params),
      optimizer: copyTensors(this.optimizer.state),
      hidden: this.namedState(),
    };
    const { dropout, inputDropout, outputDropout } = this.config;
    if (dropout > 0 || inputDropout > 0 || outputDropout > 0) state.rng = { dropout: this.dropoutRng.state() };
    return state;
  }

  importState(s: ModelState): void {
    const shapes = (t: Tensors) => Object.entries(t).map(([k, v]) => [k, v.length] as [string, number]);
    checkTensors('parameter', s.params, shapes(this.params));
    checkTensors('optimizer', s.optimizer, shapes(this.optimizer.state));
    const named = this.namedState();
    checkTensors('hidden', s.hidden, shapes(named));
    if (s.rng?.dropout) this.dropoutRng = makeSavableRng('', s.rng.dropout);
    for (const [k, v] of Object.entries(s.params)) this.params[k].set(v);
    for (const [k, v] of Object.entries(s.optimizer)) this.optimizer.state[k].set(v);
    const { L, B, H } = this;
    this.cell.states.forEach((name, k) => {
      for (let l = 0; l < L; l++) {
        const t = s.hidden[l === 0 ? name : `${name}.${l}`];
        for (let b = 0; b < B; b++) this.state.set(t.subarray(b * H, (b + 1) * H), this.at(0, l, b) + k * H);
      }
    });
  }
}

/** The one StepIO the model reuses, with placeholder views (point() sets them for each step). */
function placeholderIo(dIn: Float64Array, ds: Float64Array): StepIO {
  return { x: -1, xs: 1, v: dIn, prev: ds, next: ds, tape: ds, dNext: ds, dPrev: ds, dv: null };
}

/** The model's optimizer, with decoupled weight decay on the weight matrices (not the biases). */
function modelOptimizer(c: FullConfig, params: Tensors, grads: Tensors): Optimizer {
  const decayed = modelTensors(c)
    .filter((t) => t.cols > 1)
    .map((t) => t.fullName); // the weight matrices
  return withWeightDecay(makeOptimizer(c.optimizer, params, grads), params, decayed, c.weightDecay);
}

/** Each layer's step and its tensors (parameters and gradients) under the cell's own names. */
function layersOf(
  c: FullConfig,
  cell: Cell,
  params: Tensors,
  grads: Tensors,
): { steps: LayerStep[]; layerParams: LayerTensors[]; layerGrads: LayerTensors[] } {
  const steps: LayerStep[] = [];
  const layerParams: LayerTensors[] = [];
  const layerGrads: LayerTensors[] = [];
  for (let l = 0; l < c.layers; l++) {
    steps.push(cell.layer(l === 0 ? c.vocabSize : c.hiddenSize, c.hiddenSize));
    const own = modelTensors(c).filter((t) => t.layer === l);
    layerParams.push(Object.fromEntries(own.map((t) => [t.name, params[t.fullName]])));
    layerGrads.push(Object.fromEntries(own.map((t) => [t.name, grads[t.fullName]])));
  }
  return { steps, layerParams, layerGrads };
}

/** n consecutive views [size] of buf. */
function views(buf: Float64Array, n: number, size: number): Float64Array[] {
  return Array.from({ length: n }, (_, k) => buf.subarray(k * size, (k + 1) * size));
}
