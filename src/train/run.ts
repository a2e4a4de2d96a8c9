/**
 * One training run as plain computation: the RNN trained for a budget of characters with
 * min-char-rnn's data pointer, the loss curve, periodic held-out scores and samples, and the final
 * held-out score. No I/O: results flow out through callbacks and the return value, so the CLI,
 * the worker pool and the tests can all drive it.
 */
import type { Corpus } from '../corpus/index.js';
import { CADENCE_DEFAULTS } from '../defaults.js';
import type { CharModel } from '../model/types.js';
import type { TrainStatus } from '../sweep/status.js';
import { makeRng } from '../util/rng.js';
import { decode, encode } from '../corpus/index.js';
import { StreamCursor } from './chunks.js';

export interface Cadence {
  /** Record a curve row every this many training characters. */
  curveEvery: number;
  /** Score held-out text every this many training characters (0: only at the end). */
  evalEvery: number;
  /** How many held-out characters the intermediate scores read (the final score reads all of them). */
  evalChars: number;
  /** Draw an RNN sample every this many training characters (0: only at the end). */
  sampleEvery: number;
  sampleLength: number;
  temperature: number;
  /** Text fed to the RNN before it samples (default: one seed character, the one at the data pointer). */
  prime?: string;
}

export const DEFAULT_CADENCE: Cadence = { ...CADENCE_DEFAULTS };

export interface CurvePoint {
  iteration: number;
  chars: number;
  smoothLossPerChar: number; // nats per character
  valBpc: number | null; // null where not measured
  elapsedS: number; // training time so far (evaluation excluded)
}

export interface SamplePoint {
  iteration: number;
  temperature: number;
  text: string;
}

export interface RunCallbacks {
  onCurve?: (point: CurvePoint) => void;
  onSample?: (sample: SamplePoint) => void;
  /** Called at every curve point and at the end, for progress display. */
  onProgress?: (chars: number, budget: number, smoothLossPerChar: number) => void;
  /** Monotonic clock in seconds (default performance.now). */
  now?: () => number;
}

export type RunStatus = TrainStatus;

export interface RunResult {
  status: RunStatus;
  iterations: number;
  chars: number;
  smoothLossPerChar: number;
  /** Held-out bits per character from the state training ended in (null when diverged or nothing is held out). */
  valBpc: number | null;
  /** Training seconds (evaluation, sampling and the Markov model excluded). */
  trainSeconds: number;
  charsPerSec: number;
  /** Iteration at which the loss became NaN or infinite. */
  divergedAt: number | null;
  /** Whether the budget wrapped around the training text. */
  wrapped: boolean;
  finalSample: string;
}

/** What a run is doing between checkpoints. */
interface RunState {
  readonly model: CharModel;
  readonly corpus: Corpus;
  readonly budget: number;
  readonly cadence: Cadence;
  readonly chunks: StreamCursor;
  readonly now: () => number;
  smooth: number; // min-char-rnn's smooth loss, nats per chunk
  pointer: number; // just past the last chunk's inputs
  chars: number;
  iteration: number;
  trainSeconds: number;
  wrapped: boolean;
  divergedAt: number | null;
  nextCurve: number;
  nextEval: number;
  nextSample: number;
  sample: () => string;
}

/**
 * Train `model` on corpus.ids[0 .. trainEnd) for `budget` characters, in the chunks of
 * StreamCursor (min-char-rnn's data pointer; the last chunk is shortened so that exactly `budget`
 * characters are trained on — with B > 1 streams, the budget rounded up to a multiple of B),
 * recording curve points, held-out scores and samples on the way.
 */
export function trainRun(
  model: CharModel,
  corpus: Corpus,
  budget: number,
  cadence: Cadence = DEFAULT_CADENCE,
  cb: RunCallbacks = {},
): RunResult {
  const s = startRun(model, corpus, budget, cadence, cb);
  model.resetHidden();
  while (s.chars < budget) {
    trainUntil(s, Math.min(budget, s.nextCurve, s.nextEval, s.nextSample));
    if (s.divergedAt !== null) break;
    checkpoint(s, cb);
  }
  return finishRun(s, cb);
}

function startRun(model: CharModel, corpus: Corpus, budget: number, cadence: Cadence, cb: RunCallbacks): RunState {
  const { unroll, vocabSize, seed } = model.config;
  const batch = model.config.batch ?? 1;
  const sampleRng = makeRng(`sample:${seed}`);
  const primeIds = cadence.prime ? encode(cadence.prime, corpus.vocab) : null;
  const s: RunState = {
    model,
    corpus,
    budget,
    cadence,
    chunks: new StreamCursor(corpus.trainEnd, unroll, batch),
    now: cb.now ?? (() => performance.now() / 1000),
    smooth: -Math.log(1 / vocabSize) * unroll, // min-char-rnn's starting smooth loss
    pointer: 0,
    chars: 0,
    iteration: 0,
    trainSeconds: 0,
    wrapped: false,
    divergedAt: null,
    nextCurve: cadence.curveEvery,
    // validation 0 holds nothing out: nothing is scored
    nextEval: cadence.evalEvery > 0 && corpus.length > corpus.trainEnd ? cadence.evalEvery : Infinity,
    nextSample: cadence.sampleEvery > 0 ? cadence.sampleEvery : Infinity,
    sample: () => {
      // Default prime: the symbol just before the data pointer.
      const prime = primeIds ?? [corpus.ids[Math.max(0, s.pointer - 1)]];
      return decode(model.sample(prime, cadence.sampleLength, cadence.temperature, sampleRng), corpus.vocab);
    },
  };
  return s;
}

/**
 * Train until `stop` characters (checkpoints never cut a chunk short: they fire after the chunk
 * that crosses them), without touching the clock inside the loop. Stops at a non-finite loss.
 */
function trainUntil(s: RunState, stop: number): void {
  const { model, chunks, budget } = s;
  const ids = s.corpus.ids;
  const t0 = s.now();
  while (s.chars < stop) {
    const c = chunks.next(budget - s.chars);
    if (c.reset) model.resetHidden();
    if (c.wrapped) s.wrapped = true;
    const loss = model.trainChunk(ids, c.starts, c.len); // per stream when batch > 1
    s.iteration++;
    if (!Number.isFinite(loss)) {
      s.divergedAt = s.iteration;
      break;
    }
    s.smooth = s.smooth * 0.999 + loss * 0.001;
    s.pointer = c.starts[c.starts.length - 1] + c.len; // of the last stream, whose state is scored
    s.chars += c.len * c.starts.length;
  }
  s.trainSeconds += s.now() - t0;
}

/** After a stretch of training: the intermediate score, sample and curve point that are due. */
function checkpoint(s: RunState, cb: RunCallbacks): void {
  const { cadence, corpus, chars, budget, iteration } = s;
  const smoothPerChar = s.smooth / s.model.config.unroll;
  let valBpc: number | null = null;
  if (chars >= s.nextEval && chars < budget) {
    const evalEnd = Math.min(corpus.length, corpus.trainEnd + cadence.evalChars);
    valBpc = s.model.evaluate(corpus.ids, corpus.trainEnd, evalEnd).bpc;
    s.nextEval += cadence.evalEvery;
  }
  if (chars >= s.nextSample && chars < budget) {
    cb.onSample?.({ iteration, temperature: cadence.temperature, text: s.sample() });
    s.nextSample += cadence.sampleEvery;
  }
  if (chars >= s.nextCurve || chars >= budget || valBpc !== null) {
    if (chars < budget) cb.onCurve?.({ iteration, chars, smoothLossPerChar: smoothPerChar, valBpc, elapsedS: s.trainSeconds });
    while (s.nextCurve <= chars) s.nextCurve += cadence.curveEvery;
  }
  cb.onProgress?.(chars, budget, smoothPerChar);
}

/** The final score (every held-out character, state carried from where training ended) and sample. */
function finishRun(s: RunState, cb: RunCallbacks): RunResult {
  const { corpus, chars, iteration, trainSeconds } = s;
  const smoothLossPerChar = s.smooth / s.model.config.unroll;
  let valBpc: number | null = null;
  let finalSample = '';
  if (s.divergedAt === null) {
    const heldOut = corpus.length > corpus.trainEnd; // validation 0 holds nothing out: nothing is scored
    const bpc = heldOut ? s.model.evaluate(corpus.ids, corpus.trainEnd, corpus.length).bpc : null;
    valBpc = bpc !== null && Number.isFinite(bpc) ? bpc : null;
    cb.onCurve?.({ iteration, chars, smoothLossPerChar, valBpc, elapsedS: trainSeconds });
    finalSample = s.sample();
    cb.onSample?.({ iteration, temperature: s.cadence.temperature, text: finalSample });
    if (heldOut && valBpc === null) s.divergedAt = iteration; // a non-finite held-out score: the model diverged
  }
  return {
    status: s.divergedAt === null ? 'done' : 'diverged',
    iterations: iteration,
    chars,
    smoothLossPerChar,
    valBpc,
    trainSeconds,
    charsPerSec: trainSeconds > 0 ? chars / trainSeconds : 0,
    divergedAt: s.divergedAt,
    wrapped: s.wrapped,
    finalSample,
  };
}
