/**
 * Training backends behind one interface (CharModel): the Float64 reference (src/model/rnn.ts),
 * which is the oracle, and the WebAssembly SIMD fast path (src/backend/wasm.ts).
 */
import { ReferenceRnn } from '../model/rnn.js';
import type { CharModel, Params, RnnConfig } from '../model/types.js';
import { WasmRnn } from './wasm.js';

export type Backend = 'wasm' | 'reference';

/** Every backend, the default (fast) one first. */
export const BACKENDS: readonly Backend[] = ['wasm', 'reference'] as const;

export function isBackend(name: string): name is Backend {
  return (BACKENDS as readonly string[]).includes(name);
}

/** A model of the given backend, starting from `params` (default: initParams(config)). */
export function createModel(backend: Backend, config: RnnConfig, params?: Params): CharModel {
  switch (backend) {
    case 'wasm':
      return new WasmRnn(config, params);
    case 'reference':
      return new ReferenceRnn(config, params);
    default: {
      const never: never = backend;
      throw new RangeError(`unknown backend ${String(never)}; expected one of ${BACKENDS.join(', ')}`);
    }
  }
}
