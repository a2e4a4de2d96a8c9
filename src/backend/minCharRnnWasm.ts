/**
 * min-char-rnn's fused WebAssembly engine: the wasm backend's named fast path for exactly
 * min-char-rnn's configuration (minCharRnnFused.ts, isMinCharRnn): min-char-rnn in WebAssembly SIMD
 * (f32x4) with forward, backward, clipping and Adagrad fused into one call per chunk, compiled from
 * assembly/minCharRnn.ts by scripts/build-wasm.mjs into build/min-char-rnn.wasm. It is kept beside
 * the one host model (kernelModel.ts) because `charlab bench` measures it faster there (section
 * "training": min-char-rnn on wasm, fused and on the host model), and because results/holmes was
 * made with it and reproduces bit for bit.
 *
 * The compiled WebAssembly.Module is created once per thread (module-level cache); every model
 * gets its own Instance and its own linear memory, laid out by the kernels' configure() (the
 * memory is grown once, never again). The host logic is the shared MinCharRnnFused.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RnnConfig, Tensors } from '../model/types.js';
import { FUSED_BUFFERS, MinCharRnnFused, type FusedEngine, type FusedLayout } from './minCharRnnFused.js';

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

/** The kernels' exports: a fused engine's calls, configure, the test seam, and each buffer's address as a global. */
export interface Kernels extends Record<keyof FusedLayout, WasmGlobal>, Omit<FusedEngine, 'memory' | 'layout' | 'Hp'> {
  memory: WasmMemory;
  /** The row stride in floats (H rounded up to 4), set by configure. */
  Hp: WasmGlobal;
  configure(hidden: number, vocab: number, unroll: number, idsCapacity: number): number;
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
): { k: Kernels; layout: FusedLayout } {
  const instance = new WA.Instance(wasmModule(), {});
  const k = instance.exports as unknown as Kernels;
  const end = k.configure(hidden, vocab, unroll, idsCapacity);
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / PAGE));
  const layout = Object.fromEntries(FUSED_BUFFERS.map((name) => [name, k[name].value])) as FusedLayout;
  return { k, layout };
}

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

/** A fused engine on a fresh instance of the WebAssembly kernels. */
function wasmEngine(hidden: number, vocab: number, unroll: number, idsCapacity: number): FusedEngine {
  const { k, layout } = instantiateKernels(hidden, vocab, unroll, idsCapacity);
  return {
    memory: k.memory.buffer, // grown once by instantiateKernels, never again: this buffer stays valid
    layout,
    Hp: k.Hp.value,
    setHyper: k.setHyper,
    trainChunk: k.trainChunk,
    lossAndGradients: k.lossAndGradients,
    resetHidden: k.resetHidden,
    beginEval: k.beginEval,
    evalBlock: k.evalBlock,
    sampleStep: k.sampleStep,
  };
}

/** min-char-rnn on the fused WebAssembly kernels. */
export class MinCharRnnWasm extends MinCharRnnFused {
  constructor(config: RnnConfig, initial?: Tensors) {
    super(config, initial, wasmEngine, 'MinCharRnnWasm');
  }
}
