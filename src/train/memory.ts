/**
 * Memory a run will need, estimated before it starts, so that a setting no machine (or no
 * WebAssembly memory) can hold is refused up front instead of failing mid-way. Pure arithmetic:
 * the callers compare the figures with os.totalmem() and name the setting at fault.
 *
 * Notation: H hidden units, V vocabulary size, T unroll, P = H·V + H·H + V·H + H + V parameters.
 */

import type { CellName } from '../model/cells/index.js';
import { parameterCount } from '../model/spec.js';
import type { OptimizerName } from '../model/types.js';

/** A wasm32 memory is at most 65536 pages of 64 KiB, and the kernel's offsets are 32-bit: 4 GiB. */
export const WASM_MAX_BYTES = 2 ** 32;

/** min-char-rnn's fused fast path's evaluation block (EVAL_BLOCK in src/backend/minCharRnnFused.ts): symbol ids staged per call. */
const FUSED_EVAL_BLOCK = 4096;

export interface RnnShape {
  hiddenSize: number;
  vocabSize: number;
  unroll: number;
  /** The ladder's knobs (absent: min-char-rnn's). */
  cell?: CellName;
  layers?: number;
  batch?: number;
  optimizer?: OptimizerName;
}

/** min-char-rnn's configuration: the exact layouts below; anything else takes the ladder's estimates. */
function isMinCharRnn(s: RnnShape): boolean {
  return (
    (s.cell ?? 'rnn') === 'rnn' &&
    (s.layers ?? 1) === 1 &&
    (s.batch ?? 1) === 1 &&
    (s.optimizer ?? 'adagrad') === 'adagrad'
  );
}

const GATES: Record<CellName, number> = { rnn: 1, gru: 3, lstm: 4 };
const OPTIMIZER_SLOTS: Record<OptimizerName, number> = { adagrad: 1, rmsprop: 1, adam: 2 };

/** The ladder's shape in numbers: P parameters, L layers, G = gates·H rows of a layer's pre-activations, n = T·B steps of a chunk, S optimizer slots. */
function ladderDims(s: RnnShape) {
  const c = {
    cell: s.cell ?? 'rnn',
    layers: s.layers ?? 1,
    batch: s.batch ?? 1,
    optimizer: s.optimizer ?? 'adagrad',
  } as const;
  const P = parameterCount({ ...s, ...c, learningRate: 1, clip: 1, seed: 0 });
  const Hp = Math.ceil(s.hiddenSize / 4) * 4;
  return {
    P,
    L: c.layers,
    H: Hp,
    G: GATES[c.cell] * Hp,
    n: s.unroll * c.batch,
    S: OPTIMIZER_SLOTS[c.optimizer],
    V: s.vocabSize,
  };
}

/**
 * An estimate of the reference model of a ladder configuration: parameters, gradients, the initial
 * copy and the optimizer's slots (8 bytes each), and per step of a chunk and layer the cached
 * pre-activations and activations (2·G + 6·H) and the logits and probabilities (2·V).
 */
function ladderReferenceBytes(s: RnnShape): number {
  const { P, L, H, G, n, S, V } = ladderDims(s);
  return 8 * (P * (3 + S) + n * (L * (2 * G + 6 * H) + 2 * V));
}

/**
 * An estimate of src/backend/kernelModel.ts's allocations (f32): parameters, gradients and optimizer
 * slots; per layer the recurrent weights in four layouts (H × G each); the training workspace of n
 * steps and the scoring one of 256 (per layer Z, GH, hs, cs, dH, hT, ZT: about 3·G + 5·H per step;
 * logits V and two ids per step).
 */
function ladderWasmLinearBytes(s: RnnShape): number {
  const { P, L, H, G, n, S, V } = ladderDims(s);
  const work = (steps: number) => steps * (L * (3 * G + 5 * H) + V + 2);
  return 4 * ((2 + S) * P + 4 * L * H * G + work(n) + work(256));
}

/** Number of parameters: Wxh H×V, Whh H×H, Why V×H, bh H, by V. */
export function rnnParams({ hiddenSize: H, vocabSize: V }: RnnShape): number {
  return H * V + H * H + V * H + H + V;
}

/**
 * Bytes of the Float64 reference model: parameters, gradients and Adagrad memory (3 × 8P), the
 * initial parameters the constructor copies from (8P), and the BPTT workspace: hidden states
 * (T+1)·H, probabilities T·V and a few H-vectors, all 8 bytes.
 */
export function referenceBytes(s: RnnShape): number {
  if (!isMinCharRnn(s)) return ladderReferenceBytes(s);
  const { hiddenSize: H, vocabSize: V, unroll: T } = s;
  return 4 * 8 * rnnParams(s) + 8 * ((T + 1) * H + T * V + 8 * H + 2 * V);
}

/**
 * Bytes of the WebAssembly model's linear memory, as `configure` in assembly/minCharRnn.ts lays it out:
 * parameters, Adagrad memory and gradients in f32 (3 × 4 bytes per parameter, rows padded to a
 * multiple of 4: Hp = ⌈H/4⌉·4, Vp likewise), then the workspace: hs (T+1)·Hp, ys T·Vp, dhy and
 * dhraw 2·T·Hp, five H-vectors, one V-vector, the staged ids and one mark per symbol.
 */
export function wasmLinearBytes(s: RnnShape): number {
  if (!isMinCharRnn(s)) return ladderWasmLinearBytes(s);
  const { hiddenSize: H, vocabSize: V, unroll: T } = s;
  const Hp = Math.ceil(H / 4) * 4;
  const Vp = Math.ceil(V / 4) * 4;
  const params = V * Hp + Hp * Hp + Vp * Hp + Hp + Vp;
  const workspace = (T + 1) * Hp + T * Vp + 2 * T * Hp + 5 * Hp + Vp;
  const ids = Math.max(T + 1, FUSED_EVAL_BLOCK + 1) + V;
  return 4 * (3 * params + workspace + ids);
}

/**
 * Bytes of min-char-rnn's fused native arena, as `lay_out` in native/minCharRnnAddon.cc lays it out: rows
 * padded to 16 floats (Hp = ⌈H/16⌉·16, Vp likewise); parameters, Adagrad memory and gradients (3 × (V·Hp,
 * Hp·Hp, Vp·Hp, Hp, Vp)), the transposed copies Whhᵀ and Whyᵀ, the workspace (hs (T+1)·Hp, ys T·Vp, dhy
 * and dhraw T·Hp, four H-vectors, one V-vector), the staged ids and one mark per symbol; each buffer
 * starts on a 64-byte line.
 */
export function nativeFusedBytes(s: RnnShape): number {
  const { hiddenSize: H, vocabSize: V, unroll: T } = s;
  const Hp = Math.ceil(H / 16) * 16;
  const Vp = Math.ceil(V / 16) * 16;
  const params = [V * Hp, Hp * Hp, Vp * Hp, Hp, Vp];
  const transposed = [Hp * Hp, Hp * Vp];
  const workspace = [(T + 1) * Hp, T * Vp, T * Hp, T * Hp, Hp, Hp, Hp, Hp, Vp];
  const ids = [Math.max(T + 1, FUSED_EVAL_BLOCK + 1), V];
  const buffers = [...params, ...params, ...params, ...transposed, ...workspace, ...ids];
  return buffers.reduce((bytes, n) => bytes + Math.ceil((4 * n) / 64) * 64, 0);
}

/**
 * Bytes of a model on its backend, with the Float64 initial parameters the host keeps (8P): the
 * reference's Float64; min-char-rnn's fused native arena; else the f32 kernels' (native's kernel arena is
 * laid out as wasm's memory).
 */
export function rnnBytes(s: RnnShape, backend: 'native' | 'wasm' | 'reference'): number {
  if (backend === 'reference') return referenceBytes(s);
  if (backend === 'native' && isMinCharRnn(s)) return nativeFusedBytes(s) + 8 * rnnParams(s);
  return wasmBytes(s);
}

/** Bytes of the WebAssembly model in the process: its linear memory plus the Float64 initial parameters (8P). */
export function wasmBytes(s: RnnShape): number {
  return wasmLinearBytes(s) + 8 * (isMinCharRnn(s) ? rnnParams(s) : ladderDims(s).P);
}

/**
 * An upper bound on the bytes of an order-k Kneser–Ney model counted over `trainChars` characters
 * of a V-symbol alphabet (src/markov/markov.ts). Each position adds at most one n-gram and one
 * context per order, and order j has at most V^(j+1) n-grams and V^j contexts:
 *   grams ≤ Σ_{j=0..k} min(N, V^(j+1)),  contexts ≤ Σ_{j=1..k} min(N, V^j).
 * Per n-gram: its hash-table entry (slot array at load ≤ 1/2 that can have just doubled, ≤ 16 B,
 * two int32 keys with the same slack, ≤ 16 B), real and continuation counts (8 B) and a successor
 * entry (4 B): 44 B. Per context: its hash-table entry (32 B), parent and depth (8 B), two Float64
 * totals and two discounted masses (32 B) and a successor offset (4 B): 76 B.
 * (Order 64 on holmes: about 22 GB by this bound; 15 GB measured.)
 */
export function markovBytes(order: number, vocabSize: number, trainChars: number): number {
  const { grams, contexts } = markovEntries(order, vocabSize, trainChars);
  return 44 * grams + 76 * contexts;
}

/** The bounds on n-grams and contexts above. */
function markovEntries(order: number, vocabSize: number, trainChars: number): { grams: number; contexts: number } {
  let grams = 0;
  let contexts = 0;
  let power = 1; // V^j
  for (let j = 0; j <= order; j++) {
    if (j > 0) contexts += Math.min(trainChars, power);
    power = Math.min(power * vocabSize, Number.MAX_SAFE_INTEGER);
    grams += Math.min(trainChars, power);
  }
  return { grams, contexts };
}

/**
 * Seconds the Markov model may take to count, by the same bound at about a microsecond per hash
 * table entry (order 64 on holmes: 305 s measured for about 380 million entries).
 */
export function markovSeconds(order: number, vocabSize: number, trainChars: number): number {
  const { grams, contexts } = markovEntries(order, vocabSize, trainChars);
  return (grams + contexts) * 1e-6;
}

/** Above this estimate the Markov model gets a warning before the run starts. */
export const MARKOV_WARN_BYTES = 1e9;

export interface MemoryCheck {
  /** Which part does not fit: the RNN (its size is set by the hidden size) or the Markov model (its order). */
  part: 'rnn' | 'markov';
  bytes: number;
  /** What it does not fit in: "the machine's 16.0 GB of memory" or "the 4.3 GB WebAssembly address space". */
  limit: string;
}

/**
 * What does not fit, if anything: the RNN on its backend (the wasm address space, the machine's
 * memory) and the Markov model over `markovChars` characters (the machine's memory).
 */
export function memoryProblems(
  run: RnnShape & { backend: 'native' | 'wasm' | 'reference'; markovOrder: number; markovChars: number },
  machineBytes: number,
): MemoryCheck[] {
  const out: MemoryCheck[] = [];
  const machine = `the machine's ${formatBytes(machineBytes)} of memory`;
  if (run.backend === 'wasm' && wasmLinearBytes(run) >= WASM_MAX_BYTES) {
    out.push({
      part: 'rnn',
      bytes: wasmLinearBytes(run),
      limit: `the ${formatBytes(WASM_MAX_BYTES)} (4 GiB) WebAssembly address space`,
    });
  } else {
    const bytes = rnnBytes(run, run.backend);
    if (bytes > machineBytes) out.push({ part: 'rnn', bytes, limit: machine });
  }
  const mk = markovBytes(run.markovOrder, run.vocabSize, run.markovChars);
  if (mk > machineBytes) out.push({ part: 'markov', bytes: mk, limit: machine });
  return out;
}

/** "3.2 GB", "512 MB": bytes for a message. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(1)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}
