/**
 * Training backends behind one interface (CharModel), as the user sees them:
 *   native     C++ kernels through Node-API (nativeKernels.ts): per-ISA code paths (AVX-512, AVX2,
 *              SSE2, NEON) chosen at run time, `threads` threads per run; exact per ISA
 *   wasm       WebAssembly SIMD (wasmKernels.ts): the portable path, the same bits on every machine
 *   reference  the Float64 model (src/model/reference.ts): the oracle, written to be read
 *   auto       native where its addon was built and loads, else wasm (the default)
 * native and wasm run the one host model (kernelModel.ts) over their kernels; both keep
 * min-char-rnn's fused kernels (minCharRnnFused.ts over minCharRnnWasm.ts, minCharRnnNative.ts) as a
 * named fast path for exactly that configuration (single-threaded on native: one stream has nothing
 * to split). Every backend serves every configuration.
 */
import { ReferenceModel } from '../model/reference.js';
import type { CharModel, RnnConfig, Tensors } from '../model/types.js';
import { checkModelConfig } from '../model/checks.js';
import { KernelModel } from './kernelModel.js';
import { isMinCharRnn } from './minCharRnnFused.js';
import { MinCharRnnNative } from './minCharRnnNative.js';
import { MinCharRnnWasm } from './minCharRnnWasm.js';
import { defaultIsa, nativeStatus } from './nativeAddon.js';
import { NativeKernels } from './nativeKernels.js';
import { WasmKernels } from './wasmKernels.js';

/** A backend that runs models. */
export type Backend = 'native' | 'wasm' | 'reference';
/** What a user may ask for: a backend, or 'auto'. */
export type BackendChoice = Backend | 'auto';

/** Every backend a run can record. */
export const BACKENDS: readonly Backend[] = ['native', 'wasm', 'reference'] as const;
/** Every value of --backend and of an experiment's "backend", the default first. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'wasm', 'reference'] as const;

export function isBackend(name: string): name is Backend {
  return (BACKENDS as readonly string[]).includes(name);
}

/** The backend `choice` means here: 'auto' is native where it loads, else wasm; 'native' where it does not is an Error saying why. */
export function resolveBackend(choice: BackendChoice): Backend {
  const native = nativeStatus();
  if (choice === 'auto') return native.available ? 'native' : 'wasm';
  if (choice === 'native' && !native.available)
    throw new Error(`the native backend is not available: ${native.reason}; use --backend wasm (or auto)`);
  return choice;
}

/** `backend` where it runs here; native where its addon is not available: 'auto' (wasm). For a checkpoint written elsewhere. */
export function runnableHere(backend: Backend): BackendChoice {
  return backend === 'native' && !nativeStatus().available ? 'auto' : backend;
}

/** The code path a backend runs here: the native ISA (CHARLAB_NATIVE_ISA, else the best usable), 'simd128' (wasm), 'f64' (reference). */
export function backendIsa(backend: Backend): string {
  return backend === 'native' ? defaultIsa() : backend === 'wasm' ? 'simd128' : 'f64';
}

/** Options of a fast model: threads per kernel call (native), and a forced native ISA. */
export interface ModelOptions {
  threads?: number;
  isa?: string;
}

/** Refuses (RangeError naming the knob) a configuration the backend cannot train, before any work. */
export function checkServes(backend: BackendChoice, config: RnnConfig): void {
  checkModelConfig(config);
}

/** A model of the given backend, starting from `params` (default: the initialisation of src/model/spec.ts). */
export function createModel(
  choice: BackendChoice,
  config: RnnConfig,
  params?: Tensors,
  opts: ModelOptions = {},
): CharModel {
  const backend = resolveBackend(choice);
  switch (backend) {
    case 'native':
      return isMinCharRnn(config)
        ? new MinCharRnnNative(config, params, { isa: opts.isa }) // one thread: `threads` has nothing to split
        : new KernelModel(config, params, new NativeKernels({ threads: opts.threads, isa: opts.isa }));
    case 'wasm':
      return isMinCharRnn(config)
        ? new MinCharRnnWasm(config, params)
        : new KernelModel(config, params, new WasmKernels());
    case 'reference':
      return new ReferenceModel(config, params);
    default: {
      const never: never = backend;
      throw new RangeError(`unknown backend ${String(never)}; expected one of ${BACKEND_CHOICES.join(', ')}`);
    }
  }
}
