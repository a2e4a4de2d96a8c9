/**
 * charlab's checkpoint: one file per model, in the safetensors layout (./safetensors.ts), the same
 * for every cell and backend.
 *
 * Tensors (row-major, little-endian; F32 from the wasm backend, F64 from the reference, as the
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
 * smooth_loss.
 *
 * Reading validates the layout, the metadata and every tensor's name, dtype and shape against the
 * configuration's spec before a model is touched; anything wrong is a CheckpointError (exit 2).
 * Tensors are returned as Float64 (F32 values widen exactly); a model of another backend loads
 * them through importState (the wasm backend rounds F64 to its F32 weights: round-to-nearest).
 */
import { readFileSync } from 'node:fs';
import { createModel, isBackend, type Backend } from '../backend/index.js';
import { vocabFromSymbols } from '../corpus/index.js';
import { UsageError } from '../errors.js';
import { CELLS } from '../model/cells/index.js';
import { checkModelConfig } from '../model/checks.js';
import { modelTensors } from '../model/spec.js';
import { withDefaults, type CharModel, type FullConfig, type ModelState, type RnnConfig, type Tensors } from '../model/types.js';
import { makeOptimizer } from '../optim/optimizers.js';
import type { RunSnapshot } from '../train/run.js';
import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { decodeLayout, encodeLayout, LayoutError, type DType, type Tensor } from './safetensors.js';

export const FORMAT = 'charlab-checkpoint';
export const FORMAT_VERSION = '1';

/** The dtype each backend holds its tensors in, and writes. */
export const BACKEND_DTYPE: Record<Backend, DType> = { wasm: 'F32', reference: 'F64' };

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
export function checkpointOf(model: CharModel, backend: Backend, ctx: Omit<Checkpoint, 'backend' | 'dtype' | 'config' | 'state' | 'charlabVersion'>): Checkpoint {
  return { ...ctx, backend, dtype: BACKEND_DTYPE[backend], config: withDefaults(model.config), state: model.exportState(), charlabVersion: VERSION };
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
  return encodeLayout(metadataOf(ck), tensors);
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
    out.push({ name: `optim.${key}`, shape: key.includes('.') ? shapes.get(param)! : [v.length], group: 'optimizer', key });
  }
  for (const state of CELLS[c.cell].states) {
    for (let l = 0; l < c.layers; l++) {
      const key = l === 0 ? state : `${state}.${l}`;
      out.push({ name: `hidden.${key}`, shape: [c.batch, c.hiddenSize], group: 'hidden', key });
    }
  }
  return out;
}

/** Read and validate a checkpoint file (CheckpointError naming the file and what is wrong). */
export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a file' : String(code ?? err));
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (err) {
    if (err instanceof LayoutError || err instanceof RangeError || err instanceof SyntaxError) throw new CheckpointError(path, err.message);
    throw err;
  }
}

/** A checkpoint from its bytes; throws LayoutError or RangeError naming what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { metadata: m, tensors } = decodeLayout(bytes);
  if (m.format !== FORMAT) throw new LayoutError(`not a charlab checkpoint (metadata format is ${JSON.stringify(m.format ?? null)}, expected "${FORMAT}")`);
  if (m.format_version !== FORMAT_VERSION) throw new LayoutError(`format version ${m.format_version} is not one this charlab reads (${FORMAT_VERSION})`);
  const config = withDefaults(jsonField<RnnConfig>(m, 'config'));
  checkModelConfig(config);
  const vocab = jsonField<number[]>(m, 'vocab');
  if (!Array.isArray(vocab)) throw new LayoutError('metadata vocab is not a list of code points');
  vocabFromSymbols(vocab); // refuses anything but distinct ascending code points
  if (vocab.length !== config.vocabSize) throw new LayoutError(`the vocabulary has ${vocab.length} symbols, the config says ${config.vocabSize}`);
  if (!isBackend(m.backend)) throw new LayoutError(`metadata backend ${JSON.stringify(m.backend)} is not one of wasm, reference`);
  const dtype = m.dtype as DType;
  if (dtype !== BACKEND_DTYPE[m.backend]) throw new LayoutError(`metadata dtype ${m.dtype} is not the ${m.backend} backend's (${BACKEND_DTYPE[m.backend]})`);
  const state = readTensors(tensors, config, dtype);
  const rng = jsonField<{ model?: ModelState['rng'] | null }>(m, 'rng');
  if (rng.model) state.rng = rng.model;
  const corpus: CorpusRecord = {
    source: m.corpus_source ?? '',
    sha256: m.corpus_sha256 ?? '',
    chars: Number(m.corpus_chars),
    trainEnd: Number(m.corpus_train_end),
    validation: Number(m.corpus_validation),
    ...(m.corpus_slice_chars ? { slice: Number(m.corpus_slice_chars) } : {}),
  };
  const markovOrder = m.markov_order ? Number(m.markov_order) : null;
  const run = jsonField<RunSnapshot | null>(m, 'run');
  return { backend: m.backend, dtype, config, vocab, corpus, markovOrder, run, state, charlabVersion: m.charlab_version ?? '' };
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
    if (t.shape.join(',') !== shape.join(',')) throw new LayoutError(`tensor ${name} has shape [${t.shape}], the configuration needs [${shape}]`);
    (state[group] as Tensors)[key] = t.data instanceof Float64Array ? t.data : new Float64Array(t.data); // F32 widens exactly
  }
  const known = new Set(want.map((w) => w.name));
  for (const name of tensors.keys()) if (!known.has(name)) throw new LayoutError(`tensor ${name} is not one of this configuration's`);
  return state;
}

/** A model of `backend` (default: the one that wrote the checkpoint) holding the checkpoint's state. */
export function modelFromCheckpoint(ck: Checkpoint, backend: Backend = ck.backend): CharModel {
  const model = createModel(backend, ck.config, ck.state.params);
  model.importState(ck.state);
  return model;
}
