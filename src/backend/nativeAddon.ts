/**
 * Loading the native backend's addon (native/*.cc, built by scripts/build-native.mjs at `npm ci`
 * into build/Release/charlab_native.node), and whether it is there: the backend `auto` resolves
 * to native where it loads, else to wasm. The process may turn it off or force a code path
 * (configureNative: the CLI does, from CHARLAB_NATIVE=0 and CHARLAB_NATIVE_ISA=avx512|avx2|sse2|neon|scalar).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { EngineCalls } from './memory.js';
import type { FusedEngine } from './minCharRnnFused.js';

export const ADDON_PATH = fileURLToPath(new URL('../../build/Release/charlab_native.node', import.meta.url));

/** A native kernels context: one ISA's kernels, a thread count, a growable arena (native/addon.cc). */
export interface NativeContext extends EngineCalls {
  readonly isa: string;
  grow(bytes: number): ArrayBuffer;
  packedFloats(K: number, N: number): number;
  pack(form: number, N: number, K: number, W: number, ldw: number, Bp: number): void;
  gemmPacked(
    M: number,
    N: number,
    K: number,
    A: number,
    lda: number,
    Bp: number,
    ldb: number,
    C: number,
    ldc: number,
    bias: number,
    acc: number,
  ): void;
  gatherRows(
    n: number,
    ids: number,
    table: number,
    tableRows: number,
    ld: number,
    cols: number,
    bias: number,
    out: number,
    scales: number,
  ): void;
  scatterAddRows(
    n: number,
    ids: number,
    src: number,
    ld: number,
    cols: number,
    table: number,
    tableRows: number,
    scales: number,
  ): void;
  adam(
    W: number,
    G: number,
    M: number,
    V: number,
    n: number,
    stepSize: number,
    b1: number,
    b2: number,
    eps: number,
    bc2sqrt: number,
    gscale: number,
    clip: number,
    decay: number,
  ): void;
  adagrad(
    W: number,
    G: number,
    M: number,
    n: number,
    lr: number,
    eps: number,
    gscale: number,
    clip: number,
    decay: number,
  ): void;
  rmsprop(
    W: number,
    G: number,
    M: number,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    gscale: number,
    clip: number,
    decay: number,
  ): void;
  cellForward(
    kind: number,
    T: number,
    B: number,
    H: number,
    Hp: number,
    Z: number,
    GH: number,
    WhP: number,
    bh: number,
    hs: number,
    cs: number,
  ): void;
  cellBackward(
    kind: number,
    T: number,
    B: number,
    H: number,
    Hp: number,
    Z: number,
    GH: number,
    WhTP: number,
    ldw: number,
    hs: number,
    cs: number,
    dH: number,
    dh: number,
    dc: number,
    gWh: number,
  ): void;
  vectorMath(which: number, X: number, n: number): void;
}

/** min-char-rnn's fused native model (native/minCharRnnAddon.cc): a fused engine whose memory is its arena. */
export interface NativeMinCharRnn extends FusedEngine {
  readonly isa: string;
}

export interface NativeAddon {
  Context: new (isa: string, threads: number) => NativeContext;
  /** isa "" = the best usable here; idsCapacity ids may be staged at once (at least unroll + 1). */
  MinCharRnn: new (isa: string, hidden: number, vocab: number, unroll: number, idsCapacity: number) => NativeMinCharRnn;
  /** The ISAs built into the addon and usable on this CPU, fastest first. */
  usableIsas(): string[];
  /** The CPU's relevant features, e.g. "avx512f avx2 fma sse2". */
  cpuFeatures(): string;
  /** Register-resident fused multiply-adds of one ISA: returns how many were done. */
  peakProbe(isa: string, iters: number): number;
}

export type NativeStatus =
  { available: true; addon: NativeAddon; isas: string[] } | { available: false; reason: string };

let loaded: NativeStatus | undefined;

/** This process's settings: the native backend turned off (and why), a forced ISA. */
const settings: { off: string | null; isa: string | null } = { off: null, isa: null };

/** Turns the native backend off (`off`: why, for messages) or back on, and forces an ISA (null: the best usable). */
export function configureNative(s: { off?: string | null; isa?: string | null }): void {
  if (s.off !== undefined) settings.off = s.off;
  if (s.isa !== undefined) settings.isa = s.isa;
}

/** Whether the native backend can run here, and if not, why (cached: the addon loads once per thread). */
export function nativeStatus(): NativeStatus {
  if (settings.off !== null) return { available: false, reason: `disabled by ${settings.off}` };
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = {
      available: false,
      reason: 'not built (npm ci builds it where a C++ compiler is found; `npm run build:native` says why not)',
    };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    loaded = { available: true, addon, isas: addon.usableIsas() };
  } catch (err) {
    loaded = {
      available: false,
      reason: `${ADDON_PATH} does not load: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  return loaded;
}

/** The loaded addon, or an Error saying why the native backend is not available. */
export function nativeAddon(): NativeAddon {
  const s = nativeStatus();
  if (!s.available) throw new Error(`the native backend is not available: ${s.reason}`);
  return s.addon;
}

/** The ISA a native model uses by default: the forced one (configureNative), else the best this CPU runs. */
export function defaultIsa(): string {
  const s = nativeStatus();
  const forced = settings.isa;
  if (forced) {
    if (s.available && !s.isas.includes(forced))
      throw new Error(`the native ISA ${forced} is not usable here (usable: ${s.isas.join(', ')})`);
    return forced;
  }
  return s.available ? s.isas[0] : 'none';
}
