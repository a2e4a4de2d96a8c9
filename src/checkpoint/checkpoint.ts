/**
 * charlab's checkpoint: one file per model, in the safetensors layout (./safetensors.ts), the same
 * for every cell and backend.
 *
 * Tensors (row-major, little-endian; F32 from the native and wasm backends, F64 from the reference, as the
 * backend holds them):
 *   param.<name>    every parameter of src/model/spec.ts (Wxh, Whh, bh, Why, by for min-char-rnn;
 *                   Wx, Wh, b for gru/lstm; layer ℓ > 0 as <name>.ℓ), shape [rows, cols] or [rows]
 *   optim.<slot>.<name>  the optimizer's memory (adagrad mem.*, rmsprop ms.*, adam m.*, v.* and t [1])
 *   hidden.<state>  the carried state (h; c for the LSTM; <state>.ℓ for deeper layers), [batch, hidden]
 * `__metadata__` (strings): format, format_version, charlab_version, backend, dtype, config (JSON),
 * vocab (JSON list of code points), corpus_* (source, sha256, chars, train_end, validation, and
 * slice_chars when the run read only the first N characters of source),
 * markov_order, rng (JSON: the ARC4 states of the run's sample generator and of the model's dropout
 * generator), run (JSON: the resumable RunSnapshot of src/train/run.ts, or "null"), and, derived
 * from `run` for readers outside charlab: optimizer, optimizer_step, data_position, epoch,
 * smooth_loss; and `checksum` (./integrity.ts: sha256 of every tensor's bytes and of the header's meaning).
 *
 * Reading validates the layout, then the checksum (format 2), the metadata and every tensor's name,
 * dtype and shape against the configuration's spec, every tensor value finite and every metadata
 * value in its range (./validate.ts), before a model is touched; anything wrong is a
 * CheckpointError (exit 2). Files of format 1 (written before the checksum existed) carry none:
 * they load with every other check, and `integrity` says so (the commands print a warning).
 * Tensors are returned as Float64 (F32 values widen exactly); a model of another backend loads
 * them through importState (the native and wasm backends round F64 to their F32 weights: round-to-nearest).
 */
import { readFileSync } from 'node:fs';
import {
  BACKENDS,
  createModel,
  isBackend,
  type Backend,
  type BackendChoice,
  type ModelOptions,
} from '../backend/index.js';
import { vocabFromSymbols } from '../corpus/index.js';
import { UsageError } from '../errors.js';
import { CELLS } from '../model/cells/index.js';
import { checkModelConfig } from '../model/checks.js';
import { modelTensors } from '../model/spec.js';
import { withDefaults, type CharModel, type FullConfig, type ModelState, type RnnConfig } from '../model/types.js';
import { makeOptimizer } from '../optim/optimizers.js';
import type { RunSnapshot } from '../train/run.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readHead } from '../util/outputs.js';
import { VERSION } from '../version.js';
import { checksumOf, CHECKSUM_KEY, verifyChecksum } from './integrity.js';
import { decodeLayout, encodeLayout, LayoutError, type DType, type Tensor } from './safetensors.js';
import {
  checkConfigValues,
  checkCorpusRecord,
  checkFinite,
  checkMarkovOrder,
  checkRngState,
  checkRun,
} from './validate.js';

export const FORMAT = 'charlab-checkpoint';
/** 2: with a checksum. 1: written before the checksum existed (still read; see decodeCheckpoint). */
export const FORMAT_VERSION = '2';
const LEGACY_VERSION = '1';

/** The dtype each backend holds its tensors in, and writes. */
export const BACKEND_DTYPE: Record<Backend, DType> = { native: 'F32', wasm: 'F32', reference: 'F64' };

/** The corpus a model was trained on: its text by sha256, and the split. */
export interface CorpusRecord {
  source: string;
  /** Of the text the run read (src/corpus/text.ts; of the slice, when `slice` is set). */
  sha256: string;
  chars: number;
  trainEnd: number;
  validation: number;
  /** The run read the first `slice` characters of `source` (a corpus slice); absent: all of it. */
  slice?: number;
}

export interface Checkpoint {
  backend: Backend;
  dtype: DType;
  config: FullConfig;
  /** The vocabulary's code points, ascending (id = position). */
  vocab: number[];
  corpus: CorpusRecord;
  markovOrder: number | null;
  /** Where the run stood (null: a model without a run to resume). */
  run: RunSnapshot | null;
  /** The model's tensors, Float64. */
  state: ModelState;
  charlabVersion: string;
  /** How the file's bytes were verified on reading: 'sha256', or 'none' for a format-1 file (no checksum). */
  integrity?: 'sha256' | 'none';
}

/** A checkpoint file that cannot be used: missing, torn, foreign, or not matching its own configuration. Exit 2. */
export class CheckpointError extends UsageError {
  override name = 'CheckpointError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`checkpoint ${path}: ${detail}`);
  }
}

/** A checkpoint of `model` as it stands (backend: the one that holds it). */
export function checkpointOf(
  model: CharModel,
  backend: Backend,
  ctx: Omit<Checkpoint, 'backend' | 'dtype' | 'config' | 'state' | 'charlabVersion'>,
): Checkpoint {
  return {
    ...ctx,
    backend,
    dtype: BACKEND_DTYPE[backend],
    config: withDefaults(model.config),
    state: model.exportState(),
    charlabVersion: VERSION,
  };
}

/** Write a checkpoint atomically (temporary file, fsync, rename, fsync of the folder). */
export function saveCheckpoint(path: string, ck: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(ck));
}

export function encodeCheckpoint(ck: Checkpoint): Buffer {
  const tensors: [string, Tensor][] = expectedTensors(ck.config).map(({ name, shape, group, key }) => {
    const src = ck.state[group][key];
    const data = ck.dtype === 'F32' ? new Float32Array(src) : src; // F32: rounded to nearest (exact for a wasm model's values)
    return [name, { dtype: ck.dtype, shape, data }];
  });
  const metadata = metadataOf(ck);
  return encodeLayout({ ...metadata, [CHECKSUM_KEY]: checksumOf(metadata, tensors) }, tensors);
}

function metadataOf(ck: Checkpoint): Record<string, string> {
  const r = ck.run;
  return {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    charlab_version: ck.charlabVersion,
    backend: ck.backend,
    dtype: ck.dtype,
    config: JSON.stringify(ck.config),
    vocab: JSON.stringify(ck.vocab),
    corpus_source: ck.corpus.source,
    corpus_sha256: ck.corpus.sha256,
    corpus_chars: String(ck.corpus.chars),
    corpus_train_end: String(ck.corpus.trainEnd),
    corpus_validation: String(ck.corpus.validation),
    ...(ck.corpus.slice === undefined ? {} : { corpus_slice_chars: String(ck.corpus.slice) }),
    markov_order: ck.markovOrder === null ? '' : String(ck.markovOrder),
    run: JSON.stringify(r),
    // Derived from `run`, for readers outside charlab.
    optimizer: ck.config.optimizer,
    optimizer_step: r ? String(r.iteration) : '0',
    data_position: r ? JSON.stringify({ pointer: r.pointer, chars: r.chars, cursor: r.cursor }) : '',
    epoch: r ? String(r.epoch) : '',
    smooth_loss: r ? String(r.smooth / ck.config.unroll) : '',
    // Generators: the run's sample draws and the model's own (dropout), as seedrandom ARC4 states.
    rng: JSON.stringify({ sample: r?.sampleRng ?? null, model: ck.state.rng ?? null }),
  };
}

/** One tensor of the file: its name, shape, and where it lives in a ModelState. */
interface Slot {
  name: string;
  shape: number[];
  group: 'params' | 'optimizer' | 'hidden';
  key: string;
}

/** Every tensor a checkpoint of this configuration holds, in file order: parameters, optimizer memory, carried state. */
export function expectedTensors(config: RnnConfig): Slot[] {
  const c = withDefaults(config);
  const shapes = new Map(modelTensors(c).map((t) => [t.fullName, t.cols === 1 ? [t.rows] : [t.rows, t.cols]]));
  const out: Slot[] = [...shapes].map(([key, shape]) => ({ name: `param.${key}`, shape, group: 'params', key }));
  // The optimizer's slot names, from an optimizer over empty tensors (its step count t keeps its size 1).
  const empty = Object.fromEntries([...shapes.keys()].map((k) => [k, new Float64Array(0)]));
  const optim = makeOptimizer(c.optimizer, empty, empty).state;
  for (const [key, v] of Object.entries(optim)) {
    const param = key.slice(key.indexOf('.') + 1);
    out.push({
      name: `optim.${key}`,
      shape: key.includes('.') ? shapes.get(param)! : [v.length],
      group: 'optimizer',
      key,
    });
  }
  for (const state of CELLS[c.cell].states) {
    for (let l = 0; l < c.layers; l++) {
      const key = l === 0 ? state : `${state}.${l}`;
      out.push({ name: `hidden.${key}`, shape: [c.batch, c.hiddenSize], group: 'hidden', key });
    }
  }
  return out;
}

/**
 * The metadata of a charlab checkpoint at `path` from its header alone (the tensors are not read),
 * or null when the file is not one (not safetensors, or another tool's): how commands recognise a
 * checkpoint they may replace.
 */
export function checkpointMetadata(path: string): Record<string, string> | null {
  const len = readHead(path, 8);
  if (len === null || len.length < 8) return null;
  const n = len.readBigUInt64LE(0);
  if (n < 2n || n > 100_000_000n) return null;
  const head = readHead(path, 8 + Number(n));
  try {
    const header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head!.subarray(8))) as {
      __metadata__?: Record<string, string>;
    };
    return header.__metadata__?.format === FORMAT ? header.__metadata__ : null;
  } catch {
    return null;
  }
}

export const isCheckpointFile = (path: string): boolean => checkpointMetadata(path) !== null;

/** Read and validate a checkpoint file (CheckpointError naming the file and what is wrong). */
export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      path,
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a file' : String(code ?? err),
    );
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (err) {
    if (err instanceof LayoutError || err instanceof RangeError || err instanceof SyntaxError)
      throw new CheckpointError(path, err.message);
    throw err;
  }
}

/** A checkpoint from its bytes; throws LayoutError or RangeError naming what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { metadata: m, tensors } = decodeLayout(bytes);
  const integrity = checkIntegrity(m, tensors);
  const config = withDefaults(jsonField<RnnConfig>(m, 'config'));
  checkModelConfig(config);
  checkConfigValues(config);
  const vocab = jsonField<number[]>(m, 'vocab');
  if (!Array.isArray(vocab)) throw new LayoutError('metadata vocab is not a list of code points');
  vocabFromSymbols(vocab); // refuses anything but distinct ascending code points
  if (vocab.length !== config.vocabSize)
    throw new LayoutError(`the vocabulary has ${vocab.length} symbols, the config says ${config.vocabSize}`);
  if (!isBackend(m.backend))
    throw new LayoutError(`metadata backend ${JSON.stringify(m.backend)} is not one of ${BACKENDS.join(', ')}`);
  const dtype = m.dtype as DType;
  if (dtype !== BACKEND_DTYPE[m.backend])
    throw new LayoutError(`metadata dtype ${m.dtype} is not the ${m.backend} backend's (${BACKEND_DTYPE[m.backend]})`);
  const state = readTensors(tensors, config, dtype);
  checkFinite(state);
  const rng = jsonField<{ model?: ModelState['rng'] | null }>(m, 'rng');
  for (const [k, v] of Object.entries(rng?.model ?? {})) checkRngState(`rng.model.${k}`, v);
  if (rng?.model) state.rng = rng.model;
  const corpus: CorpusRecord = {
    source: m.corpus_source ?? '',
    sha256: m.corpus_sha256 ?? '',
    chars: Number(m.corpus_chars),
    trainEnd: Number(m.corpus_train_end),
    validation: Number(m.corpus_validation),
    ...(m.corpus_slice_chars ? { slice: Number(m.corpus_slice_chars) } : {}),
  };
  checkCorpusRecord(corpus);
  const markovOrder = m.markov_order ? Number(m.markov_order) : null;
  checkMarkovOrder(markovOrder);
  const run = jsonField<RunSnapshot | null>(m, 'run');
  checkRun(run, corpus.trainEnd);
  return {
    backend: m.backend,
    dtype,
    config,
    vocab,
    corpus,
    markovOrder,
    run,
    state,
    charlabVersion: m.charlab_version ?? '',
    integrity,
  };
}

/**
 * The format, and for format 2 the checksum (checked before any value of the file is used). A
 * format-1 file has no checksum and must not carry one (a version digit changed from 2 would).
 */
function checkIntegrity(m: Record<string, string>, tensors: Map<string, Tensor>): 'sha256' | 'none' {
  if (m.format !== FORMAT)
    throw new LayoutError(
      `not a charlab checkpoint (metadata format is ${JSON.stringify(m.format ?? null)}, expected "${FORMAT}")`,
    );
  if (m.format_version === FORMAT_VERSION) {
    verifyChecksum(m, tensors);
    return 'sha256';
  }
  if (m.format_version !== LEGACY_VERSION) {
    throw new LayoutError(
      `format version ${m.format_version} is not one this charlab reads (${LEGACY_VERSION}, ${FORMAT_VERSION})`,
    );
  }
  if (m[CHECKSUM_KEY] !== undefined) {
    throw new LayoutError(
      `format version ${LEGACY_VERSION} carries no checksum, but this file holds one: its format_version was altered`,
    );
  }
  return 'none';
}

/** A warning for a checkpoint read without a checksum (format 1), or null. */
export function integrityWarning(path: string, ck: Checkpoint): string | null {
  if (ck.integrity !== 'none') return null;
  return (
    `warning: checkpoint ${path} was written before checkpoints carried a checksum (format ${LEGACY_VERSION}): ` +
    `its values were checked (finite, in range) but a changed byte cannot be detected; charlab writes format ${FORMAT_VERSION} from now on`
  );
}

function jsonField<T>(m: Record<string, string>, key: string): T {
  if (m[key] === undefined) throw new LayoutError(`metadata ${key} is missing`);
  try {
    return JSON.parse(m[key]) as T;
  } catch {
    throw new LayoutError(`metadata ${key} is not JSON`);
  }
}

/** The file's tensors checked against the configuration's (names, dtypes, shapes), as Float64. */
function readTensors(tensors: Map<string, Tensor>, config: FullConfig, dtype: DType): ModelState {
  const state: ModelState = { params: {}, optimizer: {}, hidden: {} };
  const want = expectedTensors(config);
  for (const { name, shape, group, key } of want) {
    const t = tensors.get(name);
    if (!t) throw new LayoutError(`tensor ${name} is missing (the ${config.cell} configuration needs it)`);
    if (t.dtype !== dtype) throw new LayoutError(`tensor ${name} is ${t.dtype}, the file's dtype is ${dtype}`);
    if (t.shape.join(',') !== shape.join(','))
      throw new LayoutError(
        `tensor ${name} has shape [${t.shape.join(',')}], the configuration needs [${shape.join(',')}]`,
      );
    state[group][key] = t.data instanceof Float64Array ? t.data : new Float64Array(t.data); // F32 widens exactly
  }
  const known = new Set(want.map((w) => w.name));
  for (const name of tensors.keys())
    if (!known.has(name)) throw new LayoutError(`tensor ${name} is not one of this configuration's`);
  return state;
}

/** A model of `backend` (default: the one that wrote the checkpoint) holding the checkpoint's state. */
export function modelFromCheckpoint(
  ck: Checkpoint,
  backend: BackendChoice = ck.backend,
  opts: ModelOptions = {},
): CharModel {
  const model = createModel(backend, ck.config, ck.state.params, opts);
  model.importState(ck.state);
  return model;
}
