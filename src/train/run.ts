/**
 * One training run as plain computation: the RNN trained for a budget of characters with
 * min-char-rnn's data pointer, the loss curve, periodic held-out scores and samples, and the final
 * held-out score. No I/O: results flow out through callbacks and the return value, so the CLI,
 * the worker pool and the tests can all drive it.
 *
 * The held-out curve compares like with like: every score on it — each intermediate one and the
 * final point — reads the same text, the "curve text": the whole held-out text when it has at most
 * cadence.evalChars characters, else its first evalChars characters (a fixed slice, so that scoring
 * stays cheap on a large held-out text). The run's own score (RunResult.valBpc, summary.csv's
 * val_bpc) always reads the whole held-out text; on a slice curve it goes into the final point's
 * separate wholeValBpc. The best score, early stopping and the best checkpoint use the curve's scores.
 */
import type { Corpus } from '../corpus/index.js';
import { CADENCE_DEFAULTS } from '../defaults.js';
import type { CharModel } from '../model/types.js';
import type { CurvePoint, SamplePoint } from '../results/records.js';
import type { TrainStatus } from '../results/status.js';
import { makeSavableRng, type RngState, type SavableRng } from '../util/rng.js';
import { decode, encode } from '../corpus/index.js';
import { StreamCursor, type CursorPosition } from './chunks.js';
import { decays, learningRateAt } from './schedule.js';
import {
  EARLY_STOPPING_START,
  observeScore,
  type EarlyStoppingRule,
  type EarlyStoppingState,
} from './earlyStopping.js';

export interface Cadence {
  /** Record a curve row every this many training characters. */
  curveEvery: number;
  /** Score held-out text every this many training characters (0: only at the end). */
  evalEvery: number;
  /**
   * The curve text: every curve score (intermediate and final) reads the whole held-out text when it
   * has at most this many characters, else its first evalChars characters. The run's score reads all.
   */
  evalChars: number;
  /** Draw an RNN sample every this many training characters (0: only at the end). */
  sampleEvery: number;
  sampleLength: number;
  temperature: number;
  /** Text fed to the RNN before it samples (default: the character just before the data pointer, the last one read). */
  prime?: string;
  /** Stop when the curve's intermediate scores stop improving (src/train/earlyStopping.ts); absent: train the whole budget. */
  earlyStopping?: EarlyStoppingRule;
}

export const DEFAULT_CADENCE: Cadence = { ...CADENCE_DEFAULTS };

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
  /** A score on the curve text (each intermediate one, and the final one), with the snapshot of the run (and the model, as it stands) it scores. */
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
  /** Early stopping's state (absent: off, or a snapshot from before it existed); `stopped`: the run ended there. */
  earlyStopping?: EarlyStoppingState;
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
  /** The best score on the curve text (intermediate or final) and the training characters it was reached at (see bestScore). */
  best: { valBpc: number; chars: number } | null;
  /** Held-out characters each curve score (and `best`) reads: all of them, or the slice's (0: nothing held out). */
  curveChars: number;
  /** Early stopping ended the run before its budget (null: early stopping was off). */
  stoppedEarly: boolean | null;
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
  /** The curve text: ids[trainEnd .. curveEnd). */
  readonly curveEnd: number;
  /** Early stopping's state (null: off). */
  es: EarlyStoppingState | null;
  /** The snapshot the run's end was recorded with (onSnapshot final), for the final score's onScore. */
  finalSnapshot: RunSnapshot | null;
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
  if (!opts.resume) model.resetHidden();
  else if (s.es?.stopped)
    endSnapshot(s, cb); // it stopped early there: its end again (continued to a larger budget, it trains no more)
  else review(s, cb); // the resumed stretch's curve point, score and sample
  while (s.chars < budget && !s.es?.stopped) {
    trainUntil(s, Math.min(budget, s.nextCurve, s.nextEval, s.nextSample, s.nextSave));
    if (s.divergedAt !== null) break;
    snapshotIfDue(s, cb);
    review(s, cb);
    if (s.es?.stopped) endSnapshot(s, cb); // stopped early: the run's end, after the score that stopped it
  }
  return finishRun(s, cb);
}

/**
 * checkpoint(), and an intermediate score it makes: reported with the snapshot taken just before it,
 * and observed by early stopping.
 */
function review(s: RunState, cb: RunCallbacks): void {
  const scored = cb.onScore && s.chars >= s.nextEval && s.chars < s.budget ? snapshotOf(s) : null;
  const valBpc = checkpoint(s, cb);
  if (valBpc === null) return;
  if (scored) cb.onScore!(valBpc, scored);
  if (s.es) s.es = observeScore(s.cadence.earlyStopping!, s.es, valBpc);
}

function startRun(
  model: CharModel,
  corpus: Corpus,
  budget: number,
  cadence: Cadence,
  cb: RunCallbacks,
  opts: RunOptions,
): RunState {
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
    curveEnd: Math.min(corpus.length, corpus.trainEnd + cadence.evalChars),
    es: cadence.earlyStopping ? { ...EARLY_STOPPING_START } : null,
    finalSnapshot: null,
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
    ...(s.es ? { earlyStopping: { ...s.es } } : {}),
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
  if (s.es && r.earlyStopping) s.es = { ...r.earlyStopping };
  if (s.saveEvery > 0) s.nextSave = (Math.floor(r.chars / s.saveEvery) + 1) * s.saveEvery;
}

/** A snapshot when one is due (every saveEvery characters, and at the end of the budget). */
function snapshotIfDue(s: RunState, cb: RunCallbacks): void {
  const final = s.chars >= s.budget;
  if (!final && s.chars < s.nextSave) return;
  while (s.nextSave <= s.chars) s.nextSave += s.saveEvery;
  if (final) return endSnapshot(s, cb);
  cb.onSnapshot?.(snapshotOf(s), false);
}

/** The run's end: its final snapshot (at the budget, or where early stopping stopped it). */
function endSnapshot(s: RunState, cb: RunCallbacks): void {
  s.finalSnapshot = snapshotOf(s);
  cb.onSnapshot?.(s.finalSnapshot, true);
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
    valBpc = s.model.evaluate(corpus.ids, corpus.trainEnd, s.curveEnd).bpc;
    s.nextEval += cadence.evalEvery;
  }
  if (chars >= s.nextSample && chars < budget) {
    emitSample(s, cb, { iteration, temperature: cadence.temperature, text: s.sample() });
    s.nextSample += cadence.sampleEvery;
  }
  if (chars >= s.nextCurve || chars >= budget || valBpc !== null) {
    const wholeValBpc = s.curveEnd === corpus.length ? valBpc : null;
    if (chars < budget)
      emitCurve(s, cb, {
        iteration,
        chars,
        smoothLossPerChar: smoothPerChar,
        valBpc,
        wholeValBpc,
        elapsedS: s.trainSeconds,
      });
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

/**
 * The final scores (the whole held-out text: the run's score; the curve text, for the curve's last
 * point and the best score), both from the state training ended in, and the final sample.
 */
function finishRun(s: RunState, cb: RunCallbacks): RunResult {
  const { corpus, chars, iteration, trainSeconds } = s;
  const smoothLossPerChar = s.smooth / s.model.config.unroll;
  let valBpc: number | null = null;
  let curveBpc: number | null = null;
  let finalSample = '';
  if (s.divergedAt === null) {
    const heldOut = corpus.length > corpus.trainEnd; // validation 0 holds nothing out: nothing is scored
    const bpc = heldOut ? s.model.evaluate(corpus.ids, corpus.trainEnd, corpus.length).bpc : null;
    valBpc = bpc !== null && Number.isFinite(bpc) ? bpc : null;
    curveBpc =
      heldOut && s.curveEnd < corpus.length
        ? finite(s.model.evaluate(corpus.ids, corpus.trainEnd, s.curveEnd).bpc)
        : valBpc;
    cb.onCurve?.({
      iteration,
      chars,
      smoothLossPerChar,
      valBpc: curveBpc,
      wholeValBpc: valBpc,
      elapsedS: trainSeconds,
    });
    if (curveBpc !== null && s.finalSnapshot) cb.onScore?.(curveBpc, s.finalSnapshot);
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
    best: bestScore(s, curveBpc),
    curveChars: s.curveEnd - corpus.trainEnd,
    stoppedEarly: s.es ? s.es.stopped : null,
  };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The best of the run's scores on the curve text: the intermediate ones and the final one (every
 * one reads the same held-out characters, so they compare). Ties keep the earliest.
 */
function bestScore(s: RunState, finalBpc: number | null): { valBpc: number; chars: number } | null {
  const scores = s.curves
    .filter((c) => c.valBpc !== null && Number.isFinite(c.valBpc))
    .map((c) => ({ valBpc: c.valBpc!, chars: c.chars }));
  if (finalBpc !== null) scores.push({ valBpc: finalBpc, chars: s.chars });
  let best: { valBpc: number; chars: number } | null = null;
  for (const c of scores) if (best === null || c.valBpc < best.valBpc) best = c;
  return best;
}
