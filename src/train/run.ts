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
import { makeSavableRng, type RngState, type SavableRng } from '../util/rng.js';
import { decode, encode } from '../corpus/index.js';
import { StreamCursor, type CursorPosition } from './chunks.js';
import { decays, learningRateAt } from './schedule.js';

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
  /** Text fed to the RNN before it samples (default: the character just before the data pointer, the last one read). */
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
  /**
   * A resumable snapshot of the run (the model's own state is read from the model meanwhile): every
   * `RunOptions.saveEvery` characters, and once at the end (`final`) unless the run diverged.
   */
  onSnapshot?: (snapshot: RunSnapshot, final: boolean) => void;
  /** An intermediate held-out score, with the snapshot of the run (and the model, as it stands) it scores. */
  onScore?: (valBpc: number, snapshot: RunSnapshot) => void;
}

export interface RunOptions {
  /** Call onSnapshot every this many training characters (0: only at the end). */
  saveEvery?: number;
  /** Continue the run a snapshot describes (the model already holds the state saved with it). */
  resume?: RunSnapshot;
}

/**
 * Everything besides the model that a run needs to continue exactly where it stood: the data
 * position, the smoothed loss, the counters, the next curve/eval/sample marks, the sample
 * generator's state, and what it has recorded so far (curves, samples). Taken after a stretch of
 * training and before that stretch's curve point, score and sample, which a resumed run makes.
 * Plain JSON.
 */
export interface RunSnapshot {
  budget: number;
  cadence: Cadence;
  smooth: number;
  pointer: number;
  chars: number;
  iteration: number;
  /** How many times the data pointer wrapped around the training text. */
  epoch: number;
  trainSeconds: number;
  wrapped: boolean;
  nextCurve: number;
  nextEval: number | null; // null: never (JSON has no Infinity)
  nextSample: number | null;
  cursor: CursorPosition;
  sampleRng: RngState;
  curves: CurvePoint[];
  samples: SamplePoint[];
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
  /** The best held-out score that read every held-out character, and the training characters it was reached at (see bestScore). */
  best: { valBpc: number; chars: number } | null;
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
  epoch: number;
  trainSeconds: number;
  wrapped: boolean;
  divergedAt: number | null;
  nextCurve: number;
  nextEval: number;
  nextSample: number;
  nextSave: number;
  readonly saveEvery: number;
  readonly sampleRng: SavableRng;
  readonly curves: CurvePoint[];
  readonly samples: SamplePoint[];
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
  opts: RunOptions = {},
): RunResult {
  const s = startRun(model, corpus, budget, cadence, cb, opts);
  if (opts.resume) review(s, cb); // the resumed stretch's curve point, score and sample
  else model.resetHidden();
  while (s.chars < budget) {
    trainUntil(s, Math.min(budget, s.nextCurve, s.nextEval, s.nextSample, s.nextSave));
    if (s.divergedAt !== null) break;
    snapshotIfDue(s, cb);
    review(s, cb);
  }
  return finishRun(s, cb);
}

/** checkpoint(), and an intermediate score it makes reported with the snapshot taken just before it. */
function review(s: RunState, cb: RunCallbacks): void {
  const scored = cb.onScore && s.chars >= s.nextEval && s.chars < s.budget ? snapshotOf(s) : null;
  const valBpc = checkpoint(s, cb);
  if (scored && valBpc !== null) cb.onScore!(valBpc, scored);
}

function startRun(model: CharModel, corpus: Corpus, budget: number, cadence: Cadence, cb: RunCallbacks, opts: RunOptions): RunState {
  const { unroll, vocabSize, seed } = model.config;
  const batch = model.config.batch ?? 1;
  const r = opts.resume;
  const sampleRng = makeSavableRng(`sample:${seed}`, r?.sampleRng);
  const primeIds = cadence.prime ? encode(cadence.prime, corpus.vocab) : null;
  const saveEvery = opts.saveEvery ?? 0;
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
    epoch: 0,
    trainSeconds: 0,
    wrapped: false,
    divergedAt: null,
    nextCurve: cadence.curveEvery,
    // validation 0 holds nothing out: nothing is scored
    nextEval: cadence.evalEvery > 0 && corpus.length > corpus.trainEnd ? cadence.evalEvery : Infinity,
    nextSample: cadence.sampleEvery > 0 ? cadence.sampleEvery : Infinity,
    saveEvery,
    nextSave: saveEvery > 0 ? saveEvery : Infinity,
    sampleRng,
    curves: [],
    samples: [],
    sample: () => {
      // Default prime: the symbol just before the data pointer.
      const prime = primeIds ?? [corpus.ids[Math.max(0, s.pointer - 1)]];
      return decode(model.sample(prime, cadence.sampleLength, cadence.temperature, sampleRng.next), corpus.vocab);
    },
  };
  if (r) restore(s, r);
  if (decays(model.config)) model.setLearningRate(learningRateAt(model.config, s.epoch));
  return s;
}

/** The run's snapshot (see RunSnapshot). */
function snapshotOf(s: RunState): RunSnapshot {
  const never = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    budget: s.budget,
    cadence: s.cadence,
    smooth: s.smooth,
    pointer: s.pointer,
    chars: s.chars,
    iteration: s.iteration,
    epoch: s.epoch,
    trainSeconds: s.trainSeconds,
    wrapped: s.wrapped,
    nextCurve: s.nextCurve,
    nextEval: never(s.nextEval),
    nextSample: never(s.nextSample),
    cursor: s.chunks.position,
    sampleRng: s.sampleRng.state(),
    curves: s.curves.slice(),
    samples: s.samples.slice(),
  };
}

/** Puts a snapshot's counters back (the sample generator was made from it already). */
function restore(s: RunState, r: RunSnapshot): void {
  s.smooth = r.smooth;
  s.pointer = r.pointer;
  s.chars = r.chars;
  s.iteration = r.iteration;
  s.epoch = r.epoch;
  s.trainSeconds = r.trainSeconds;
  s.wrapped = r.wrapped;
  s.nextCurve = r.nextCurve;
  s.nextEval = r.nextEval ?? Infinity;
  s.nextSample = r.nextSample ?? Infinity;
  s.chunks.seek(r.cursor);
  s.curves.push(...r.curves);
  s.samples.push(...r.samples);
  if (s.saveEvery > 0) s.nextSave = (Math.floor(r.chars / s.saveEvery) + 1) * s.saveEvery;
}

/** A snapshot when one is due (every saveEvery characters, and at the end of the budget). */
function snapshotIfDue(s: RunState, cb: RunCallbacks): void {
  const final = s.chars >= s.budget;
  if (!final && s.chars < s.nextSave) return;
  while (s.nextSave <= s.chars) s.nextSave += s.saveEvery;
  cb.onSnapshot?.(snapshotOf(s), final);
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
    if (c.wrapped) {
      s.wrapped = true;
      s.epoch++;
      if (decays(model.config)) model.setLearningRate(learningRateAt(model.config, s.epoch));
    }
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

/** After a stretch of training: the intermediate score, sample and curve point that are due. Returns the score, if one was made. */
function checkpoint(s: RunState, cb: RunCallbacks): number | null {
  const { cadence, corpus, chars, budget, iteration } = s;
  const smoothPerChar = s.smooth / s.model.config.unroll;
  let valBpc: number | null = null;
  if (chars >= s.nextEval && chars < budget) {
    const evalEnd = Math.min(corpus.length, corpus.trainEnd + cadence.evalChars);
    valBpc = s.model.evaluate(corpus.ids, corpus.trainEnd, evalEnd).bpc;
    s.nextEval += cadence.evalEvery;
  }
  if (chars >= s.nextSample && chars < budget) {
    emitSample(s, cb, { iteration, temperature: cadence.temperature, text: s.sample() });
    s.nextSample += cadence.sampleEvery;
  }
  if (chars >= s.nextCurve || chars >= budget || valBpc !== null) {
    if (chars < budget) emitCurve(s, cb, { iteration, chars, smoothLossPerChar: smoothPerChar, valBpc, elapsedS: s.trainSeconds });
    while (s.nextCurve <= chars) s.nextCurve += cadence.curveEvery;
  }
  cb.onProgress?.(chars, budget, smoothPerChar);
  return valBpc;
}

/** A curve point or sample goes to the caller and into the run's record (kept for snapshots). */
function emitCurve(s: RunState, cb: RunCallbacks, point: CurvePoint): void {
  s.curves.push(point);
  cb.onCurve?.(point);
}

function emitSample(s: RunState, cb: RunCallbacks, sample: SamplePoint): void {
  s.samples.push(sample);
  cb.onSample?.(sample);
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
    best: bestScore(s, valBpc),
  };
}

/**
 * The best of the run's held-out scores that read the whole held-out text: every intermediate score
 * when cadence.evalChars covers the held-out text, else only the final one (a score on a prefix is
 * not comparable). Ties keep the earliest.
 */
function bestScore(s: RunState, finalBpc: number | null): { valBpc: number; chars: number } | null {
  const whole = s.corpus.trainEnd + s.cadence.evalChars >= s.corpus.length;
  const scores = whole ? s.curves.filter((c) => c.valBpc !== null && Number.isFinite(c.valBpc)) : [];
  let best = finalBpc === null ? null : { valBpc: finalBpc, chars: s.chars };
  for (const c of scores) if (best === null || c.valBpc! < best.valBpc || (c.valBpc === best.valBpc && c.chars < best.chars)) best = { valBpc: c.valBpc!, chars: c.chars };
  return best;
}
