/**
 * A piscina worker: trains one run per task on the corpus shared through workerData, and computes
 * the Markov baseline beside it (once per distinct stretch of text, cached for the thread's life).
 * The WebAssembly module is compiled once per thread by the backend and reused by every run.
 */
import { workerData } from 'node:worker_threads';
import { vocabFromSymbols, type Corpus } from '../corpus/index.js';
import { createModel } from '../backend/index.js';
import { markovBaseline, seenEndFor, type BaselineResult } from '../train/baseline.js';
import { trainRun, type CurvePoint, type SamplePoint } from '../train/run.js';
import { failedOutcome, type RunOutcome, type RunTask, type SharedCorpus } from './task.js';

const shared = workerData as SharedCorpus;
const corpus: Corpus = {
  source: shared.source,
  vocab: vocabFromSymbols(shared.symbols),
  ids: new Int32Array(shared.ids),
  trainEnd: shared.trainEnd,
  length: shared.length,
};
const baselines = new Map<string, BaselineResult>();

export default function runTask(task: RunTask): RunOutcome {
  const { spec, budget, cadence } = task;
  const t0 = performance.now();
  const curves: CurvePoint[] = [];
  const samples: SamplePoint[] = [];
  try {
    if (task.fault === 'throw') throw new Error(`injected fault in run ${spec.id}`);
    if (task.fault === 'exit') process.exit(7); // the thread dies mid-task
    const model = createModel(task.backend, {
      vocabSize: corpus.vocab.symbols.length,
      hiddenSize: spec.hiddenSize,
      unroll: spec.unroll,
      learningRate: spec.learningRate,
      clip: spec.clip,
      seed: spec.seed,
    });
    const result = trainRun(model, corpus, budget, cadence, {
      onCurve: (c) => curves.push(c),
      onSample: (s) => samples.push(s),
      onProgress: (chars, b, smoothLossPerChar) => task.progress?.postMessage({ chars, budget: b, smoothLossPerChar }),
    });
    const seenEnd = seenEndFor(corpus, spec.unroll, budget);
    const key = `${seenEnd}:${task.markovOrder}`;
    let markov = baselines.get(key);
    if (!markov) {
      markov = markovBaseline(corpus, seenEnd, task.markovOrder, { length: cadence.sampleLength, seed: 1 });
      baselines.set(key, markov);
    }
    return {
      spec,
      status: result.status,
      iterations: result.iterations,
      chars: result.chars,
      smoothLossPerChar: Number.isFinite(result.smoothLossPerChar) ? result.smoothLossPerChar : null,
      valBpc: result.valBpc,
      charsPerSec: result.charsPerSec,
      divergedAt: result.divergedAt,
      wallS: (performance.now() - t0) / 1000,
      error: null,
      markov,
      curves,
      samples,
    };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return failedOutcome(spec, error, (performance.now() - t0) / 1000);
  } finally {
    task.progress?.close();
  }
}
