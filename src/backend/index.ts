/**
 * Training backends behind one interface (CharModel): the Float64 reference
 * (src/model/reference.ts), which is the oracle and trains every configuration, and the
 * WebAssembly SIMD fast path: min-char-rnn's kernels (src/backend/wasm.ts) for cell rnn, the
 * ladder's kernels (src/backend/ladderModel.ts) for the gated cells (every knob). What the fast
 * path does not serve (cell rnn beyond min-char-rnn's configuration) is refused with a RangeError
 * naming the knob (no silent fallback to the slow path).
 */
import { ReferenceModel } from '../model/reference.js';
import type { CharModel, RnnConfig, Tensors } from '../model/types.js';
import { checkModelConfig } from '../model/checks.js';
import { checkLadderServes, WasmLadder } from './ladderModel.js';
import { checkWasmServes, WasmRnn } from './wasm.js';

export type Backend = 'wasm' | 'reference';

/** Every backend, the default (fast) one first. */
export const BACKENDS: readonly Backend[] = ['wasm', 'reference'] as const;

export function isBackend(name: string): name is Backend {
  return (BACKENDS as readonly string[]).includes(name);
}

/** Knobs only the reference trains for now (issue 21; the fast kernels come with the native backend). */
const REFERENCE_ONLY = ['inputDropout', 'outputDropout', 'weightDecay'] as const;

/** Refuses (RangeError naming the knob) a configuration the backend cannot train, before any work. */
export function checkServes(backend: Backend, config: RnnConfig): void {
  checkModelConfig(config);
  if (backend === 'reference') return;
  const k = REFERENCE_ONLY.find((key) => (config[key] ?? 0) !== 0);
  if (k) throw new RangeError(`${k} ${config[k]}: the ${backend} backend does not train it yet; use the reference backend ("backend": "reference", --backend reference)`);
  ((config.cell ?? 'rnn') === 'rnn' ? checkWasmServes : checkLadderServes)(config);
}

/** A model of the given backend, starting from `params` (default: the initialisation of src/model/spec.ts). */
export function createModel(backend: Backend, config: RnnConfig, params?: Tensors): CharModel {
  switch (backend) {
    case 'wasm':
      return (config.cell ?? 'rnn') === 'rnn' ? new WasmRnn(config, params) : new WasmLadder(config, params);
    case 'reference':
      return new ReferenceModel(config, params);
    default: {
      const never: never = backend;
      throw new RangeError(`unknown backend ${String(never)}; expected one of ${BACKENDS.join(', ')}`);
    }
  }
}
