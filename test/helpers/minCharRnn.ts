/**
 * A frozen transcription of min-char-rnn (the reference backend before it was rebuilt from
 * per-operation pairs), kept as the oracle the rebuilt reference must reproduce bit for bit in
 * min-char-rnn's configuration (test/model.test.ts).
 *
 *   h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)      x_t one-hot, so Wxh x_t is column x_t of Wxh
 *   y_t = Why h_t + by
 *   p_t = softmax(y_t)
 *   L   = -Σ_t ln p_t[target_t]
 */
import { adagradStep, clipInPlace } from '../../src/optim/adagrad.js';
import { sampleIndex, type Rng } from '../../src/util/rng.js';
import {
  checkChunk,
  checkConfig,
  checkEvalRange,
  checkHidden,
  checkParams,
  checkSample,
} from '../../src/model/checks.js';
import { copyTensors, initParams, zerosLike } from '../../src/model/params.js';
import {
  PARAM_NAMES,
  type EvalResult,
  type LossAndGradients,
  type Params,
  type RnnConfig,
} from '../../src/model/types.js';

const paramList = (p: Params): Float64Array[] => PARAM_NAMES.map((n) => p[n]);

export class MinCharRnn {
  readonly config: RnnConfig;
  readonly params: Params;
  /** Gradients of the last chunk (after trainChunk: clipped). Tests read them; the optimizer uses them. */
  readonly grads: Params;
  private readonly mem: Params; // Adagrad memory
  // The same arrays as lists in PARAM_NAMES order, made once so the training loop allocates nothing.
  private readonly paramArrays: Float64Array[];
  private readonly gradArrays: Float64Array[];
  private readonly memArrays: Float64Array[];
  private readonly H: number;
  private readonly V: number;
  private readonly h: Float64Array; // hidden state carried between chunks
  // Per-chunk workspace: hs row t holds h_{t-1} (row 0 = the incoming state), ps row t holds p_t.
  private readonly hs: Float64Array;
  private readonly ps: Float64Array;
  private readonly dh: Float64Array;
  private readonly dhraw: Float64Array;
  private readonly dhnext: Float64Array;

  constructor(config: RnnConfig, params: Params = initParams(config)) {
    checkConfig(config);
    this.config = { ...config };
    this.H = config.hiddenSize;
    this.V = config.vocabSize;
    checkParams(params, this.H, this.V);
    this.params = copyTensors(params);
    this.grads = zerosLike(this.H, this.V);
    this.mem = zerosLike(this.H, this.V);
    this.paramArrays = paramList(this.params);
    this.gradArrays = paramList(this.grads);
    this.memArrays = paramList(this.mem);
    this.h = new Float64Array(this.H);
    this.hs = new Float64Array((config.unroll + 1) * this.H);
    this.ps = new Float64Array(config.unroll * this.V);
    this.dh = new Float64Array(this.H);
    this.dhraw = new Float64Array(this.H);
    this.dhnext = new Float64Array(this.H);
  }

  /**
   * One recurrent step: h = tanh(Wxh[:, x] + Whh·hPrev + bh), then p = softmax((Why·h + by)·invT),
   * the probabilities at temperature 1/invT (training and scoring use invT = 1).
   */
  private step(
    x: number,
    hPrev: Float64Array,
    hOff: number,
    h: Float64Array,
    hOut: number,
    p: Float64Array,
    pOut: number,
    invT = 1,
  ): void {
    const { Wxh, Whh, Why, bh, by } = this.params;
    const H = this.H;
    const V = this.V;
    for (let i = 0; i < H; i++) {
      let a = Wxh[i * V + x] + bh[i]; // the one-hot product is a column lookup
      const row = i * H;
      for (let j = 0; j < H; j++) a += Whh[row + j] * hPrev[hOff + j];
      h[hOut + i] = Math.tanh(a);
    }
    // y = Why·h + by, then a softmax of y·invT that subtracts the max for stability.
    let max = -Infinity;
    for (let k = 0; k < V; k++) {
      let y = by[k];
      const row = k * H;
      for (let j = 0; j < H; j++) y += Why[row + j] * h[hOut + j];
      p[pOut + k] = y;
      if (y > max) max = y;
    }
    let sum = 0;
    for (let k = 0; k < V; k++) {
      const e = Math.exp((p[pOut + k] - max) * invT);
      p[pOut + k] = e;
      sum += e;
    }
    for (let k = 0; k < V; k++) p[pOut + k] /= sum;
  }

  /**
   * Forward over data[start .. start+len) from hidden state hPrev, keeping every h_t and p_t for
   * the backward pass. Returns the loss -Σ ln p_t[target_t] in nats. Unchecked: the gradient
   * check calls it directly.
   */
  forward(data: Int32Array, start: number, len: number, hPrev: Float64Array): number {
    const { H, V, hs, ps } = this;
    hs.set(hPrev.subarray(0, H), 0);
    let loss = 0;
    for (let t = 0; t < len; t++) {
      this.step(data[start + t], hs, t * H, hs, (t + 1) * H, ps, t * V);
      loss -= Math.log(ps[t * V + data[start + t + 1]]);
    }
    return loss;
  }

  /** Backward through the chunk the last forward() saw; fills this.grads. */
  backward(data: Int32Array, start: number, len: number): void {
    const { H, V, hs, ps, dh, dhraw, dhnext } = this;
    const { Whh, Why } = this.params;
    const { Wxh: dWxh, Whh: dWhh, Why: dWhy, bh: dbh, by: dby } = this.grads;
    for (const g of this.gradArrays) g.fill(0);
    dhnext.fill(0);
    for (let t = len - 1; t >= 0; t--) {
      const hOff = (t + 1) * H; // h_t
      const hPrevOff = t * H; // h_{t-1}
      const pOff = t * V;
      const target = data[start + t + 1];
      // dy = p_t - onehot(target): the gradient of softmax + cross-entropy.
      ps[pOff + target] -= 1;
      // dWhy += dy h_tᵀ ; dby += dy ; dh = Whyᵀ dy + dhnext
      dh.set(dhnext);
      for (let k = 0; k < V; k++) {
        const dy = ps[pOff + k];
        dby[k] += dy;
        const row = k * H;
        for (let j = 0; j < H; j++) {
          dWhy[row + j] += dy * hs[hOff + j];
          dh[j] += Why[row + j] * dy;
        }
      }
      // dhraw = (1 - h_t²) ⊙ dh : backprop through tanh
      for (let i = 0; i < H; i++) {
        const h = hs[hOff + i];
        dhraw[i] = (1 - h * h) * dh[i];
      }
      // dbh += dhraw ; dWxh[:, x_t] += dhraw ; dWhh += dhraw h_{t-1}ᵀ ; dhnext = Whhᵀ dhraw
      const x = data[start + t];
      dhnext.fill(0);
      for (let i = 0; i < H; i++) {
        const d = dhraw[i];
        dbh[i] += d;
        dWxh[i * V + x] += d;
        const row = i * H;
        for (let j = 0; j < H; j++) {
          dWhh[row + j] += d * hs[hPrevOff + j];
          dhnext[j] += Whh[row + j] * d;
        }
      }
    }
  }

  lossAndGradients(data: Int32Array, start: number, len: number, hPrev: Float64Array): LossAndGradients {
    checkChunk(data, start, len, this.config.unroll, this.V);
    checkHidden(hPrev, this.H);
    const loss = this.forward(data, start, len, hPrev);
    this.backward(data, start, len);
    return { loss, grads: copyTensors(this.grads) };
  }

  trainChunk(data: Int32Array, start: number, len: number): number {
    checkChunk(data, start, len, this.config.unroll, this.V);
    const loss = this.forward(data, start, len, this.h);
    this.backward(data, start, len);
    this.h.set(this.hs.subarray(len * this.H, (len + 1) * this.H)); // carry h_{len-1}
    for (let i = 0; i < this.paramArrays.length; i++) {
      clipInPlace(this.gradArrays[i], this.config.clip); // mitigate exploding gradients
      adagradStep(this.paramArrays[i], this.gradArrays[i], this.memArrays[i], this.config.learningRate);
    }
    return loss;
  }

  resetHidden(): void {
    this.h.fill(0);
  }

  evaluate(data: Int32Array, start: number, end: number): EvalResult {
    checkEvalRange(data, start, end, this.V);
    const { H, V } = this;
    // Two hidden buffers, swapped each step, starting from a copy of the training state.
    const hA = this.h.slice();
    const hB = new Float64Array(H);
    const p = new Float64Array(V);
    let nats = 0;
    let cur = hA;
    let next = hB;
    for (let i = start; i < end; i++) {
      this.step(data[i - 1], cur, 0, next, 0, p, 0);
      nats -= Math.log(p[data[i]]);
      const tmp = cur;
      cur = next;
      next = tmp;
    }
    const chars = end - start;
    return { chars, nats, bpc: nats / chars / Math.LN2 };
  }

  sample(prime: ArrayLike<number>, n: number, temperature: number, rng: Rng): Int32Array {
    checkSample(prime, temperature, this.V);
    const { H, V } = this;
    const invT = 1 / temperature;
    let cur = this.h.slice();
    let next = new Float64Array(H);
    const p = new Float64Array(V);
    const out = new Int32Array(n);
    let x = prime[0];
    for (let i = 0; i < prime.length + n - 1; i++) {
      if (i < prime.length) x = prime[i];
      this.step(x, cur, 0, next, 0, p, 0, invT);
      const tmp = cur;
      cur = next;
      next = tmp;
      if (i >= prime.length - 1) {
        x = sampleIndex(p, rng);
        out[i - prime.length + 1] = x;
      }
    }
    return out;
  }

  exportParams(): Params {
    return copyTensors(this.params);
  }

  exportHidden(): Float64Array {
    return this.h.slice();
  }
}
