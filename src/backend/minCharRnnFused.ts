/**
 * min-char-rnn's fused fast path, the host half: one model class over either fused engine — the
 * WebAssembly kernels (assembly/minCharRnn.ts, engine in minCharRnnWasm.ts) or the native ones
 * (native/minCharRnn.inc, engine in minCharRnnNative.ts). Each engine does forward, backward,
 * element-wise clipping and Adagrad in one call per chunk, held-out scoring and sampling, for exactly
 * min-char-rnn's configuration (cell rnn, one layer, one stream, Adagrad, no norm clip: isMinCharRnn);
 * every other configuration runs on the one host model (kernelModel.ts).
 *
 * An engine holds one model in one memory laid out once by the kernels, which give the host the byte
 * offset of every buffer (`layout`) and the row stride (`Hp`): nothing of the layout is repeated here.
 * Weights are held in f32; exportParams converts back to Float64. trainChunk copies the chunk's len + 1
 * symbol ids into the engine's id region and makes one call: it allocates nothing.
 */
import { sampleIndex, type Rng } from '../util/rng.js';
import {
  checkChunk,
  checkConfig,
  checkEvalRange,
  checkHidden,
  checkParams,
  checkSample,
  checkTensors,
} from '../model/checks.js';
import { initParams, zerosLike } from '../model/params.js';
import {
  withDefaults,
  MODEL_DEFAULTS,
  type CharModel,
  type EvalResult,
  type LossAndGradients,
  type ModelState,
  type Params,
  type RnnConfig,
  type Starts,
  type Tensors,
} from '../model/types.js';

/** Whether a configuration is exactly min-char-rnn's, the one the fused engines serve. */
export function isMinCharRnn(config: RnnConfig): boolean {
  const c = withDefaults(config);
  return (
    ['cell', 'layers', 'batch', 'optimizer', 'clipNorm', 'inputDropout', 'outputDropout', 'weightDecay'] as const
  ).every((knob) => c[knob] === MODEL_DEFAULTS[knob]);
}

/** The buffers the host reads or writes, by the names both engines give them. */
export const FUSED_BUFFERS = [
  ...['WxhT', 'Whh', 'Why', 'bh', 'by'], // weights
  ...['gWxhT', 'gWhh', 'gWhy', 'gbh', 'gby'], // gradients
  ...['mWxhT', 'mWhh', 'mWhy', 'mbh', 'mby'], // Adagrad memory
  ...['hs', 'hcar', 'ids', 'pe'],
] as const;
/** The three parameter-shaped sets of buffers: weights, gradients, Adagrad memory. */
type ParamSet = '' | 'g' | 'm';
type BufferName = (typeof FUSED_BUFFERS)[number];
/** Byte addresses of the buffers in the engine's memory, as its kernels laid them out. */
export type FusedLayout = Record<BufferName, number>;

/**
 * A fused engine: one model's memory and the calls on it. Layout (f32, row-major, rows Hp floats
 * apart, padding zero): WxhT V×Hp (Wxh transposed), Whh H×Hp, Why V×Hp, bh, by; the same for the
 * gradients (g…) and Adagrad's memory (m…); hs row 0 the incoming state of lossAndGradients; hcar the
 * carried state; ids the staged symbol ids (i32); pe the sampling probabilities.
 */
export interface FusedEngine {
  /** The engine's memory; fixed for the engine's life (typed-array views of it stay valid). */
  readonly memory: ArrayBuffer;
  readonly layout: FusedLayout;
  /** The row stride in floats: H rounded up to the engine's vector width. */
  readonly Hp: number;
  setHyper(learningRate: number, clip: number): void;
  /** One chunk over ids[0..len]: forward from hcar, backward, clip, Adagrad; carries the state. → nats */
  trainChunk(len: number): number;
  /** Loss and raw gradients (into g…) of ids[0..len] from hs row 0; updates nothing (the host zeroes gWxhT after). → nats */
  lossAndGradients(len: number): number;
  resetHidden(): void;
  /** Starts a held-out pass or a sample from a copy of hcar. */
  beginEval(): void;
  /** Scores ids[1..n] given ids[0..n), continuing the evaluation state. → nats */
  evalBlock(n: number): number;
  /** Feeds symbol x to the sampling state; if wantProbs, leaves softmax(y·invT) in pe. */
  sampleStep(x: number, invT: number, wantProbs: boolean): void;
}

/** Makes an engine for the given shapes; idsCapacity is how many ids the host may stage at once. */
export type FusedEngineFactory<E extends FusedEngine = FusedEngine> = (
  hidden: number,
  vocab: number,
  unroll: number,
  idsCapacity: number,
) => E;

/** Symbols held out for evaluation are passed to the kernels this many at a time. */
export const EVAL_BLOCK = 4096;

export class MinCharRnnFused<E extends FusedEngine = FusedEngine> implements CharModel {
  readonly config: RnnConfig;
  protected readonly engine: E;
  private readonly at: FusedLayout; // byte addresses of the buffers
  private readonly H: number;
  private readonly V: number;
  private readonly Hp: number;
  private readonly f32: Float32Array; // the whole memory
  private readonly idsView: Int32Array;
  private readonly probs: Float32Array; // the sampling distribution, V entries

  constructor(config: RnnConfig, initial: Tensors | undefined, makeEngine: FusedEngineFactory<E>, name: string) {
    checkConfig(config);
    if (!isMinCharRnn(config))
      throw new RangeError(
        `${name} serves min-char-rnn's configuration only (cell rnn, 1 layer, batch 1, adagrad, clipNorm 0)`,
      );
    const params = initial ?? initParams(config);
    this.config = { ...config };
    const H = (this.H = config.hiddenSize);
    const V = (this.V = config.vocabSize);
    checkParams(params as Params, H, V);
    const idsCapacity = Math.max(config.unroll + 1, EVAL_BLOCK + 1);
    const engine = (this.engine = makeEngine(H, V, config.unroll, idsCapacity));
    this.at = engine.layout;
    this.Hp = engine.Hp;
    engine.setHyper(config.learningRate, config.clip);
    this.f32 = new Float32Array(engine.memory);
    this.idsView = new Int32Array(engine.memory, this.at.ids, idsCapacity);
    this.probs = new Float32Array(engine.memory, this.at.pe, V);
    this.writeParams(params as Params);
  }

  /** Size of this model's engine memory in bytes (fixed after construction). */
  get memoryBytes(): number {
    return this.engine.memory.byteLength;
  }

  /** Copies Float64 parameters (standard layout) into the padded f32 layout (or the Adagrad memory: set 'm'). */
  private writeParams(p: Params, set: ParamSet = ''): void {
    const { H, V, Hp, f32, at } = this;
    const wxh = at[`${set}WxhT`] >> 2;
    const whh = at[`${set}Whh`] >> 2;
    const why = at[`${set}Why`] >> 2;
    for (let i = 0; i < H; i++) for (let x = 0; x < V; x++) f32[wxh + x * Hp + i] = p.Wxh[i * V + x];
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) f32[whh + i * Hp + j] = p.Whh[i * H + j];
    for (let c = 0; c < V; c++) for (let j = 0; j < H; j++) f32[why + c * Hp + j] = p.Why[c * H + j];
    f32.set(p.bh, at[`${set}bh`] >> 2);
    f32.set(p.by, at[`${set}by`] >> 2);
  }

  /** Reads a parameter-shaped set (the weights; 'g' the gradients; 'm' the Adagrad memory) back into Float64. */
  private readParams(set: ParamSet): Params {
    const { H, V, Hp, f32, at } = this;
    const out = zerosLike(H, V);
    const wxh = at[`${set}WxhT`] >> 2;
    const whh = at[`${set}Whh`] >> 2;
    const why = at[`${set}Why`] >> 2;
    const bh = at[`${set}bh`] >> 2;
    const by = at[`${set}by`] >> 2;
    for (let i = 0; i < H; i++) for (let x = 0; x < V; x++) out.Wxh[i * V + x] = f32[wxh + x * Hp + i];
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) out.Whh[i * H + j] = f32[whh + i * Hp + j];
    for (let c = 0; c < V; c++) for (let j = 0; j < H; j++) out.Why[c * H + j] = f32[why + c * Hp + j];
    for (let i = 0; i < H; i++) out.bh[i] = f32[bh + i];
    for (let c = 0; c < V; c++) out.by[c] = f32[by + c];
    return out;
  }

  /** Copies data[from .. from+n) (already checked) into the engine's id region. */
  private loadIds(data: Int32Array, from: number, n: number): void {
    const ids = this.idsView;
    for (let i = 0; i < n; i++) ids[i] = data[from + i];
  }

  trainChunk(data: Int32Array, starts: Starts, len: number): number {
    const start = oneStream(starts);
    checkChunk(data, start, len, this.config.unroll, this.V);
    this.loadIds(data, start, len + 1);
    return this.engine.trainChunk(len);
  }

  lossAndGradients(data: Int32Array, starts: Starts, len: number, hPrev: Float64Array): LossAndGradients {
    const start = oneStream(starts);
    checkChunk(data, start, len, this.config.unroll, this.V);
    checkHidden(hPrev, this.H);
    this.loadIds(data, start, len + 1);
    const hs = this.at.hs >> 2;
    this.f32.fill(0, hs, hs + this.Hp);
    for (let i = 0; i < this.H; i++) this.f32[hs + i] = hPrev[i];
    const loss = this.engine.lossAndGradients(len);
    const grads = this.readParams('g');
    // trainChunk's kernels take gWxhT as all zeros (they zero only the rows a chunk touched, after use)
    const g = this.at.gWxhT >> 2;
    this.f32.fill(0, g, g + this.V * this.Hp);
    return { loss, grads };
  }

  setLearningRate(lr: number): void {
    this.engine.setHyper(lr, this.config.clip);
  }

  resetHidden(): void {
    this.engine.resetHidden();
  }

  evaluate(data: Int32Array, start: number, end: number): EvalResult {
    checkEvalRange(data, start, end, this.V);
    this.engine.beginEval();
    let nats = 0;
    for (let s = start; s < end; s += EVAL_BLOCK) {
      const n = Math.min(EVAL_BLOCK, end - s);
      this.loadIds(data, s - 1, n + 1);
      nats += this.engine.evalBlock(n);
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
    const V = this.V;
    const out = new Int32Array(n);
    if (n === 0) return out;
    const invT = 1 / temperature;
    this.engine.beginEval();
    let x = prime[0];
    for (let i = 0; i < prime.length + n - 1; i++) {
      if (i < prime.length) x = prime[i];
      const draw = i >= prime.length - 1;
      this.engine.sampleStep(x, invT, draw);
      if (draw) {
        x = sampleIndex(this.probs, rng, V);
        out[i - prime.length + 1] = x;
        emit?.(x);
      }
    }
    return out;
  }

  exportParams(): Params {
    return this.readParams('');
  }

  exportHidden(): Float64Array {
    const h = this.at.hcar >> 2;
    return Float64Array.from(this.f32.subarray(h, h + this.H));
  }

  /** Parameters and Adagrad memory under min-char-rnn's names (mem.Wxh, …), the carried state as h. */
  exportState(): ModelState {
    const mem = this.readParams('m');
    const optimizer = Object.fromEntries(Object.entries(mem).map(([k, v]) => [`mem.${k}`, v]));
    return { params: this.readParams(''), optimizer, hidden: { h: this.exportHidden() } };
  }

  importState(s: ModelState): void {
    const { H, V } = this;
    checkParams(s.params as Params, H, V);
    const sizes = Object.entries(zerosLike(H, V)).map(([k, v]) => [`mem.${k}`, v.length] as [string, number]);
    checkTensors('optimizer', s.optimizer, sizes);
    checkTensors('hidden', s.hidden, [['h', H]]);
    this.writeParams(s.params as Params);
    const mem = Object.fromEntries(Object.entries(s.optimizer).map(([k, v]) => [k.slice('mem.'.length), v])) as Params;
    this.writeParams(mem, 'm');
    this.f32.set(s.hidden.h, this.at.hcar >> 2);
  }
}

/** The start of the one stream the kernels train. */
function oneStream(starts: Starts): number {
  if (typeof starts === 'number') return starts;
  if (starts.length !== 1) throw new RangeError(`expected 1 stream start(s), got ${starts.length}`);
  return starts[0];
}
