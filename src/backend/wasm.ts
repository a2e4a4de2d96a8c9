/**
 * The fast training backend: min-char-rnn in WebAssembly SIMD (f32x4), compiled from
 * assembly/index.ts by scripts/build-wasm.mjs into build/charlab.wasm.
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
import { initParams, zerosLike } from '../model/params.js';
import type { CharModel, EvalResult, Params, RnnConfig } from '../model/types.js';

/** Where the build puts the kernels; src/backend and dist/backend are both two levels down. */
export const WASM_URL = new URL('../../build/charlab.wasm', import.meta.url);

/**
 * The slice of the WebAssembly JS API used here. The project compiles against lib ES2022 without
 * DOM typings, where the WebAssembly namespace is not declared as a value, so it is typed locally.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmCompiledModule {
  readonly __compiledWasmModule?: never;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmCompiledModule;
  Instance: new (module: WasmCompiledModule, imports: object) => { readonly exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Kernels {
  memory: WasmMemory;
  configure(hidden: number, vocab: number, unroll: number, idsCapacity: number): number;
  setHyper(learningRate: number, clip: number): void;
  ptr(id: number): number;
  trainChunk(len: number): number;
  lossAndGradients(len: number): number;
  resetHidden(): void;
  beginEval(): void;
  evalBlock(n: number): number;
  sampleStep(x: number, invT: number, wantP: number): void;
  mathTest(which: number, n: number): void;
}

/** Buffer numbers of the kernels' ptr(). */
const enum Buf {
  WxhT = 0,
  Whh = 1,
  Why = 2,
  bh = 3,
  by = 4,
  gWxhT = 10,
  gWhh = 11,
  gWhy = 12,
  gbh = 13,
  gby = 14,
  hs = 15,
  hcar = 16,
  ids = 17,
  pe = 18,
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

function checkConfig(config: RnnConfig): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('vocabSize', config.vocabSize);
  positiveInt('hiddenSize', config.hiddenSize);
  positiveInt('unroll', config.unroll);
  if (!(config.clip > 0)) throw new RangeError(`clip must be positive, got ${config.clip}`);
  if (!(config.learningRate > 0)) throw new RangeError(`learningRate must be positive, got ${config.learningRate}`);
}

export class WasmRnn implements CharModel {
  readonly config: RnnConfig;
  private readonly k: Kernels;
  private readonly H: number;
  private readonly V: number;
  private readonly Hp: number;
  private readonly f32: Float32Array; // the whole memory
  private readonly idsView: Int32Array;
  private readonly pView: Float32Array; // the sampling distribution, V entries

  constructor(config: RnnConfig, params: Params = initParams(config)) {
    checkConfig(config);
    this.config = { ...config };
    const H = (this.H = config.hiddenSize);
    const V = (this.V = config.vocabSize);
    this.Hp = (H + 3) & ~3;
    checkParams(params, H, V);
    const instance = new WA.Instance(wasmModule(), {});
    const k = (this.k = instance.exports as unknown as Kernels);
    const idsCapacity = Math.max(config.unroll + 1, EVAL_BLOCK + 1);
    const end = k.configure(H, V, config.unroll, idsCapacity);
    const have = k.memory.buffer.byteLength;
    if (end > have) k.memory.grow(Math.ceil((end - have) / PAGE));
    k.setHyper(config.learningRate, config.clip);
    this.f32 = new Float32Array(k.memory.buffer);
    this.idsView = new Int32Array(k.memory.buffer, k.ptr(Buf.ids), idsCapacity);
    this.pView = new Float32Array(k.memory.buffer, k.ptr(Buf.pe), V);
    this.writeParams(params);
  }

  /** Size of this model's WebAssembly memory in bytes (fixed after construction). */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /** Copies Float64 parameters (standard layout) into the padded f32 layout of the kernels. */
  private writeParams(p: Params): void {
    const { H, V, Hp, f32, k } = this;
    const wxh = k.ptr(Buf.WxhT) >> 2;
    const whh = k.ptr(Buf.Whh) >> 2;
    const why = k.ptr(Buf.Why) >> 2;
    for (let i = 0; i < H; i++) for (let x = 0; x < V; x++) f32[wxh + x * Hp + i] = p.Wxh[i * V + x];
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) f32[whh + i * Hp + j] = p.Whh[i * H + j];
    for (let c = 0; c < V; c++) for (let j = 0; j < H; j++) f32[why + c * Hp + j] = p.Why[c * H + j];
    f32.set(p.bh, k.ptr(Buf.bh) >> 2);
    f32.set(p.by, k.ptr(Buf.by) >> 2);
  }

  /** Reads a parameter set (the weights, or with `grad` the gradient buffers) back into Float64. */
  private readParams(grad: boolean): Params {
    const { H, V, Hp, f32, k } = this;
    const out = zerosLike(H, V);
    const wxh = k.ptr(grad ? Buf.gWxhT : Buf.WxhT) >> 2;
    const whh = k.ptr(grad ? Buf.gWhh : Buf.Whh) >> 2;
    const why = k.ptr(grad ? Buf.gWhy : Buf.Why) >> 2;
    const bh = k.ptr(grad ? Buf.gbh : Buf.bh) >> 2;
    const by = k.ptr(grad ? Buf.gby : Buf.by) >> 2;
    for (let i = 0; i < H; i++) for (let x = 0; x < V; x++) out.Wxh[i * V + x] = f32[wxh + x * Hp + i];
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) out.Whh[i * H + j] = f32[whh + i * Hp + j];
    for (let c = 0; c < V; c++) for (let j = 0; j < H; j++) out.Why[c * H + j] = f32[why + c * Hp + j];
    for (let i = 0; i < H; i++) out.bh[i] = f32[bh + i];
    for (let c = 0; c < V; c++) out.by[c] = f32[by + c];
    return out;
  }

  /** Copies data[from .. from+n) into the kernels' id region, checking every id. */
  private loadIds(data: Int32Array, from: number, n: number): void {
    const ids = this.idsView;
    const V = this.V;
    for (let i = 0; i < n; i++) {
      const x = data[from + i];
      if (!(x >= 0 && x < V)) throw new RangeError(`symbol id ${x} at position ${from + i} is outside the vocabulary (size ${V})`);
      ids[i] = x;
    }
  }

  private checkChunk(data: Int32Array, p: number, len: number): void {
    if (!Number.isInteger(len) || len < 1 || len > this.config.unroll) {
      throw new RangeError(`chunk length must be an integer in [1, ${this.config.unroll}], got ${len}`);
    }
    if (!Number.isInteger(p) || p < 0 || p + len >= data.length) {
      throw new RangeError(`chunk [${p}, ${p + len}] does not fit data of length ${data.length}`);
    }
  }

  trainChunk(data: Int32Array, p: number, len: number): number {
    this.checkChunk(data, p, len);
    this.loadIds(data, p, len + 1);
    return this.k.trainChunk(len);
  }

  /**
   * Testing aid, min-char-rnn's lossFun: loss and raw (unclipped) gradients of one chunk from the
   * hidden state hPrev, computed by the same kernels as trainChunk; changes no state.
   */
  lossAndGradients(data: Int32Array, p: number, len: number, hPrev: Float64Array): { loss: number; grads: Params } {
    this.checkChunk(data, p, len);
    this.loadIds(data, p, len + 1);
    const hs = this.k.ptr(Buf.hs) >> 2;
    this.f32.fill(0, hs, hs + this.Hp);
    for (let i = 0; i < this.H; i++) this.f32[hs + i] = hPrev[i];
    const loss = this.k.lossAndGradients(len);
    return { loss, grads: this.readParams(true) };
  }

  resetHidden(): void {
    this.k.resetHidden();
  }

  evaluate(data: Int32Array, start: number, end: number): EvalResult {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end > data.length || end <= start) {
      throw new RangeError(`evaluation range [${start}, ${end}) must satisfy 1 <= start < end <= ${data.length}`);
    }
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

  sample(prime: ArrayLike<number>, n: number, temperature: number, rng: Rng): Int32Array {
    if (prime.length < 1) throw new RangeError('sample needs at least one priming symbol');
    if (!(temperature > 0)) throw new RangeError(`temperature must be positive, got ${temperature}`);
    const V = this.V;
    for (let i = 0; i < prime.length; i++) {
      const x = prime[i];
      if (!(Number.isInteger(x) && x >= 0 && x < V)) throw new RangeError(`priming symbol ${x} is outside the vocabulary (size ${V})`);
    }
    const out = new Int32Array(n);
    if (n === 0) return out;
    const invT = 1 / temperature;
    this.k.beginEval();
    let x = prime[0];
    for (let i = 0; i < prime.length + n - 1; i++) {
      if (i < prime.length) x = prime[i];
      const want = i >= prime.length - 1;
      this.k.sampleStep(x, invT, want ? 1 : 0);
      if (want) {
        x = sampleIndex(this.pView, rng, V);
        out[i - prime.length + 1] = x;
      }
    }
    return out;
  }

  exportParams(): Params {
    return this.readParams(false);
  }

  exportHidden(): Float64Array {
    const h = this.k.ptr(Buf.hcar) >> 2;
    return Float64Array.from(this.f32.subarray(h, h + this.H));
  }

  /** Testing aid: applies the kernels' vector tanh (0) or exp (1) to xs (at most 4096 values). */
  static mathTest(which: 0 | 1, xs: Float32Array): Float32Array {
    const m = new WasmRnn({ vocabSize: 1, hiddenSize: 1, unroll: 1, learningRate: 0.1, clip: 5, seed: 0 });
    const n = (xs.length + 3) & ~3;
    if (n > EVAL_BLOCK) throw new RangeError(`at most ${EVAL_BLOCK} values`);
    const view = new Float32Array(m.k.memory.buffer, m.k.ptr(Buf.ids), n);
    view.fill(0);
    view.set(xs);
    m.k.mathTest(which, n);
    return view.slice(0, xs.length);
  }
}

function checkParams(p: Params, H: number, V: number): void {
  const want: [keyof Params, number][] = [
    ['Wxh', H * V],
    ['Whh', H * H],
    ['Why', V * H],
    ['bh', H],
    ['by', V],
  ];
  for (const [name, size] of want) {
    if (p[name].length !== size) throw new RangeError(`parameter ${name} has ${p[name].length} elements, expected ${size}`);
  }
}
