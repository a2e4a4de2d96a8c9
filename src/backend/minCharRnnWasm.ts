/**
 * The wasm backend's named fast path for exactly min-char-rnn's configuration (cell rnn, one
 * layer, one stream, Adagrad, no norm clip): min-char-rnn in WebAssembly SIMD (f32x4) with
 * forward, backward, clipping and Adagrad fused into one call per chunk, compiled from
 * assembly/minCharRnn.ts by scripts/build-wasm.mjs into build/min-char-rnn.wasm. It is kept beside
 * the one host model (kernelModel.ts) because `charlab bench` measures it faster there (section
 * "training": min-char-rnn on wasm, fused and on the host model), and because results/holmes was
 * made with it and reproduces bit for bit.
 *
 * The compiled WebAssembly.Module is created once per thread (module-level cache); every model
 * gets its own Instance and its own linear memory, laid out once in the constructor (the memory
 * is grown once, never again). Weights are held in f32; exportParams converts back to Float64.
 * trainChunk copies the chunk's len + 1 symbol ids into a fixed region of wasm memory and makes
 * one call: it allocates nothing, in JS or in wasm.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

/** Whether a configuration is exactly min-char-rnn's, the one these kernels serve. */
export function isMinCharRnn(config: RnnConfig): boolean {
  const c = withDefaults(config);
  return (
    ['cell', 'layers', 'batch', 'optimizer', 'clipNorm', 'inputDropout', 'outputDropout', 'weightDecay'] as const
  ).every((knob) => c[knob] === MODEL_DEFAULTS[knob]);
}

/** Where the build puts the kernels; src/backend and dist/backend are both two levels down. */
export const WASM_URL = new URL('../../build/min-char-rnn.wasm', import.meta.url);

/**
 * The slice of the WebAssembly JS API used here. The project compiles against lib ES2022 without
 * DOM typings, where the WebAssembly namespace is not declared as a value, so it is typed locally.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmGlobal {
  readonly value: number;
}
interface WasmCompiledModule {
  readonly __compiledWasmModule?: never;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmCompiledModule;
  Instance: new (module: WasmCompiledModule, imports: object) => { readonly exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The buffers the host reads or writes; the kernels export each one's address as a global of that name. */
const BUFFERS = [
  ...['WxhT', 'Whh', 'Why', 'bh', 'by'], // weights
  ...['gWxhT', 'gWhh', 'gWhy', 'gbh', 'gby'], // gradients
  ...['mWxhT', 'mWhh', 'mWhy', 'mbh', 'mby'], // Adagrad memory
  ...['hs', 'hcar', 'ids', 'pe'],
] as const;
/** The three parameter-shaped sets of buffers: weights, gradients, Adagrad memory. */
type ParamSet = '' | 'g' | 'm';
type BufferName = (typeof BUFFERS)[number];
/** Byte addresses of the buffers, as laid out by configure(). */
export type Layout = Record<BufferName, number>;

export interface Kernels extends Record<BufferName, WasmGlobal> {
  memory: WasmMemory;
  configure(hidden: number, vocab: number, unroll: number, idsCapacity: number): number;
  setHyper(learningRate: number, clip: number): void;
  trainChunk(len: number): number;
  lossAndGradients(len: number): number;
  resetHidden(): void;
  beginEval(): void;
  evalBlock(n: number): number;
  sampleStep(x: number, invT: number, wantProbs: boolean): void;
  testVectorMath(which: number, n: number): void;
}

/**
 * A fresh instance of the kernels configured for the given shapes, its memory grown to hold
 * every buffer, and the buffers' addresses read from the kernels' exports.
 */
export function instantiateKernels(
  hidden: number,
  vocab: number,
  unroll: number,
  idsCapacity: number,
): { k: Kernels; layout: Layout } {
  const instance = new WA.Instance(wasmModule(), {});
  const k = instance.exports as unknown as Kernels;
  const end = k.configure(hidden, vocab, unroll, idsCapacity);
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / PAGE));
  const layout = Object.fromEntries(BUFFERS.map((name) => [name, k[name].value])) as Layout;
  return { k, layout };
}

/** Symbols held out for evaluation are passed to the kernels this many at a time. */
const EVAL_BLOCK = 4096;
const PAGE = 65536;

let cachedModule: WasmCompiledModule | undefined;

/** The compiled kernels, compiled on first use and then shared by every model of this thread. */
export function wasmModule(): WasmCompiledModule {
  if (cachedModule === undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_URL);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOENT') {
        throw new Error(
          `the WebAssembly kernels ${fileURLToPath(WASM_URL)} are missing: run \`npm run build\` (or \`npm run build:wasm\`) first`,
        );
      }
      throw err;
    }
    cachedModule = new WA.Module(bytes);
  }
  return cachedModule;
}

export class MinCharRnnWasm implements CharModel {
  readonly config: RnnConfig;
  private readonly k: Kernels;
  private readonly at: Layout; // byte addresses of the buffers
  private readonly H: number;
  private readonly V: number;
  private readonly Hp: number;
  private readonly f32: Float32Array; // the whole memory
  private readonly idsView: Int32Array;
  private readonly probs: Float32Array; // the sampling distribution, V entries

  constructor(config: RnnConfig, initial?: Tensors) {
    checkConfig(config);
    if (!isMinCharRnn(config))
      throw new RangeError(
        "MinCharRnnWasm serves min-char-rnn's configuration only (cell rnn, 1 layer, batch 1, adagrad, clipNorm 0)",
      );
    const params = initial ?? initParams(config);
    this.config = { ...config };
    const H = (this.H = config.hiddenSize);
    const V = (this.V = config.vocabSize);
    this.Hp = (H + 3) & ~3;
    checkParams(params as Params, H, V);
    const idsCapacity = Math.max(config.unroll + 1, EVAL_BLOCK + 1);
    const { k, layout } = instantiateKernels(H, V, config.unroll, idsCapacity);
    this.k = k;
    this.at = layout;
    k.setHyper(config.learningRate, config.clip);
    this.f32 = new Float32Array(k.memory.buffer);
    this.idsView = new Int32Array(k.memory.buffer, layout.ids, idsCapacity);
    this.probs = new Float32Array(k.memory.buffer, layout.pe, V);
    this.writeParams(params as Params);
  }

  /** Size of this model's WebAssembly memory in bytes (fixed after construction). */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /** Copies Float64 parameters (standard layout) into the padded f32 layout of the kernels (or the Adagrad memory: set 'm'). */
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

  /** Copies data[from .. from+n) (already checked) into the kernels' id region. */
  private loadIds(data: Int32Array, from: number, n: number): void {
    const ids = this.idsView;
    for (let i = 0; i < n; i++) ids[i] = data[from + i];
  }

  trainChunk(data: Int32Array, starts: Starts, len: number): number {
    const start = oneStream(starts);
    checkChunk(data, start, len, this.config.unroll, this.V);
    this.loadIds(data, start, len + 1);
    return this.k.trainChunk(len);
  }

  lossAndGradients(data: Int32Array, starts: Starts, len: number, hPrev: Float64Array): LossAndGradients {
    const start = oneStream(starts);
    checkChunk(data, start, len, this.config.unroll, this.V);
    checkHidden(hPrev, this.H);
    this.loadIds(data, start, len + 1);
    const hs = this.at.hs >> 2;
    this.f32.fill(0, hs, hs + this.Hp);
    for (let i = 0; i < this.H; i++) this.f32[hs + i] = hPrev[i];
    const loss = this.k.lossAndGradients(len);
    return { loss, grads: this.readParams('g') };
  }

  setLearningRate(lr: number): void {
    this.k.setHyper(lr, this.config.clip);
  }

  resetHidden(): void {
    this.k.resetHidden();
  }

  evaluate(data: Int32Array, start: number, end: number): EvalResult {
    checkEvalRange(data, start, end, this.V);
    this.k.beginEval();
    let nats = 0;
    for (let s = start; s < end; s += EVAL_BLOCK) {
      const n = Math.min(EVAL_BLOCK, end - s);
      this.loadIds(data, s - 1, n + 1);
      nats += this.k.evalBlock(n);
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
    this.k.beginEval();
    let x = prime[0];
    for (let i = 0; i < prime.length + n - 1; i++) {
      if (i < prime.length) x = prime[i];
      const draw = i >= prime.length - 1;
      this.k.sampleStep(x, invT, draw);
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
