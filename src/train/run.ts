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
  /** End (exclusive) of the stretch of training text the RNN read, targets included. */
  seenEnd: number;
  finalSample: string;
}

/**
 * Train `model` on corpus.ids[0 .. trainEnd) for `budget` characters:
 *   chunk = ids[p .. p+unroll) → targets ids[p+1 .. p+unroll+1); p += unroll;
 *   when p+unroll+1 >= trainEnd, reset the hidden state and p = 0 (as min-char-rnn does).
 * The last chunk is shortened so that exactly `budget` characters are trained on.
 */
export function trainRun(
  model: CharModel,
  corpus: Corpus,
  budget: number,
  cadence: Cadence = DEFAULT_CADENCE,
  cb: RunCallbacks = {},
): RunResult {
  const { unroll, vocabSize, seed } = model.config;
  const ids = corpus.ids;
  const trainEnd = corpus.trainEnd;
  const now = cb.now ?? (() => performance.now() / 1000);
  let smooth = -Math.log(1 / vocabSize) * unroll; // min-char-rnn's starting smooth loss
  let p = 0;
  let chars = 0;
  let iteration = 0;
  let trainSeconds = 0;
  let wrapped = false;
  let seenEnd = 0;
  let divergedAt: number | null = null;
  let nextCurve = cadence.curveEvery;
  const heldOut = corpus.length > trainEnd; // validation 0 holds nothing out: nothing is scored
  let nextEval = cadence.evalEvery > 0 && heldOut ? cadence.evalEvery : Infinity;
  let nextSample = cadence.sampleEvery > 0 ? cadence.sampleEvery : Infinity;
  const valEnd = corpus.length;
  const evalEnd = Math.min(valEnd, trainEnd + cadence.evalChars);
  const sampleRng = makeRng(`sample:${seed}`);

  const primeIds = cadence.prime ? encode(cadence.prime, corpus.vocab) : null;
  const sample = (): string => {
    const prime = primeIds ?? [ids[Math.max(0, p - 1)]];
    return decode(model.sample(prime, cadence.sampleLength, cadence.temperature, sampleRng), corpus.vocab);
  };

  model.resetHidden();
  while (chars < budget) {
    // Train until the next checkpoint without touching the clock inside the loop.
    const stop = Math.min(budget, nextCurve, nextEval, nextSample);
    const t0 = now();
    while (chars < stop) {
      if (p + unroll + 1 >= trainEnd) {
        p = 0;
        model.resetHidden();
        wrapped = true;
      }
      // Checkpoints never cut a chunk short: they fire after the chunk that crosses them.
      const len = Math.min(unroll, budget - chars);
      const loss = model.trainChunk(ids, p, len);
      iteration++;
      if (!Number.isFinite(loss)) {
        divergedAt = iteration;
        break;
      }
      smooth = smooth * 0.999 + loss * 0.001;
      if (p + len + 1 > seenEnd) seenEnd = p + len + 1;
      p += len;
      chars += len;
    }
    trainSeconds += now() - t0;
    if (divergedAt !== null) break;

    const smoothPerChar = smooth / unroll;
    let valBpc: number | null = null;
    if (chars >= nextEval && chars < budget) {
      valBpc = model.evaluate(ids, trainEnd, evalEnd).bpc;
      nextEval += cadence.evalEvery;
    }
    if (chars >= nextSample && chars < budget) {
      cb.onSample?.({ iteration, temperature: cadence.temperature, text: sample() });
      nextSample += cadence.sampleEvery;
    }
    if (chars >= nextCurve || chars >= budget || valBpc !== null) {
      if (chars < budget) cb.onCurve?.({ iteration, chars, smoothLossPerChar: smoothPerChar, valBpc, elapsedS: trainSeconds });
      while (nextCurve <= chars) nextCurve += cadence.curveEvery;
    }
    cb.onProgress?.(chars, budget, smoothPerChar);
  }

  const smoothLossPerChar = smooth / unroll;
  if (divergedAt !== null) {
    return {
      status: 'diverged',
      iterations: iteration,
      chars,
      smoothLossPerChar,
      valBpc: null,
      trainSeconds,
      charsPerSec: trainSeconds > 0 ? chars / trainSeconds : 0,
      divergedAt,
      wrapped,
      seenEnd,
      finalSample: '',
    };
  }
  // The score: every held-out character, state carried from where training ended.
  const finalEval = heldOut ? model.evaluate(ids, trainEnd, valEnd) : null;
  const valBpc = finalEval !== null && Number.isFinite(finalEval.bpc) ? finalEval.bpc : null;
  const broken = heldOut && valBpc === null; // a non-finite held-out score: the model diverged
  cb.onCurve?.({ iteration, chars, smoothLossPerChar, valBpc, elapsedS: trainSeconds });
  const finalSample = sample();
  cb.onSample?.({ iteration, temperature: cadence.temperature, text: finalSample });
  return {
    status: broken ? 'diverged' : 'done',
    iterations: iteration,
    chars,
    smoothLossPerChar,
    valBpc,
    trainSeconds,
    charsPerSec: trainSeconds > 0 ? chars / trainSeconds : 0,
    divergedAt: broken ? iteration : null,
    wrapped,
    seenEnd,
    finalSample,
  };
}
