/**
 * The fast code paths the tests run on this machine: the WebAssembly kernels (SIMD128, and relaxed
 * SIMD where the runtime accepts it) and every native ISA the addon built and this CPU runs (each
 * forced in turn: CHARLAB_NATIVE_ISA's effect, per model). Where the native addon is not built
 * (or CHARLAB_NATIVE=0) the native cases are left out, and the test of that case says so.
 */
import type { Kernels } from '../../src/backend/kernels.js';
import { nativeStatus } from '../../src/backend/nativeAddon.js';
import { NativeKernels } from '../../src/backend/nativeKernels.js';
import { relaxedSimdSupported, WasmKernels } from '../../src/backend/wasmKernels.js';
import type { ModelOptions } from '../../src/backend/index.js';
import type { ModelState } from '../../src/model/types.js';

const native = nativeStatus();
/** The native ISAs usable here (none when the addon is not available). */
export const NATIVE_ISAS: string[] = native.available ? native.isas : [];

/** Kernel implementations by name: wasm:simd128, wasm:relaxed, native:<isa> (with 1 thread, and 2 for the first ISA). */
export const KERNEL_IMPLS: [string, () => Kernels][] = [
  ['wasm:simd128', () => new WasmKernels('simd128')],
  ...(relaxedSimdSupported() ? [['wasm:relaxed', () => new WasmKernels('relaxed')] as [string, () => Kernels]] : []),
  ...NATIVE_ISAS.map((isa): [string, () => Kernels] => [`native:${isa}`, () => new NativeKernels({ isa })]),
  ...NATIVE_ISAS.slice(0, 1).map((isa): [string, () => Kernels] => [
    `native:${isa}×2 threads`,
    () => new NativeKernels({ isa, threads: 2 }),
  ]),
];

/** Fast backends as models see them: wasm, and native per ISA. */
export const FAST_BACKENDS: { label: string; backend: 'wasm' | 'native'; opts: ModelOptions }[] = [
  { label: 'wasm', backend: 'wasm', opts: {} },
  ...NATIVE_ISAS.map((isa) => ({ label: `native ${isa}`, backend: 'native' as const, opts: { isa } })),
];

/** Every tensor of a state as raw bytes (base64), for bitwise comparison. */
export function stateBits(s: ModelState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of ['params', 'optimizer', 'hidden'] as const)
    for (const [k, v] of Object.entries(s[part]))
      out[`${part}.${k}`] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return out;
}
