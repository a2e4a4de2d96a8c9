/**
 * min-char-rnn's fused native engine: the native backend's named fast path for exactly min-char-rnn's
 * configuration (minCharRnnFused.ts, isMinCharRnn), C++ kernels (native/minCharRnn.inc, compiled per
 * ISA like the other kernels) with forward, backward, clipping and Adagrad fused into one call per
 * chunk, through Node-API (native/minCharRnnAddon.cc). The host model (kernelModel.ts) makes about 15
 * kernel calls per chunk for the same work; `charlab bench` (section "training") measures both.
 *
 * Single-threaded: one stream's recurrence has nothing to split between threads, and its weight
 * products are too small to gain from it, so a `threads` option is accepted and has no effect.
 * Results are exact per ISA (the same bits run after run); other ISAs differ in the last bits.
 */
import type { RnnConfig, Tensors } from '../model/types.js';
import { MinCharRnnFused } from './minCharRnnFused.js';
import { defaultIsa, nativeAddon, type NativeMinCharRnn } from './nativeAddon.js';

/** min-char-rnn on the fused native kernels of one ISA (default: CHARLAB_NATIVE_ISA, else the best this CPU runs). */
export class MinCharRnnNative extends MinCharRnnFused<NativeMinCharRnn> {
  constructor(config: RnnConfig, initial?: Tensors, opts: { isa?: string } = {}) {
    const isa = opts.isa ?? defaultIsa();
    super(config, initial, (...shape) => new (nativeAddon().MinCharRnn)(isa, ...shape), 'MinCharRnnNative');
  }

  /** The instruction set its kernels run (avx512, avx2, sse2, neon or scalar). */
  get isa(): string {
    return this.engine.isa;
  }
}
