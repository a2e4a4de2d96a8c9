/**
 * A piscina worker: trains one run per task on the corpus shared through workerData, with the Markov
 * baseline beside it (src/train/oneRun.ts; once per distinct stretch of text, cached for the thread's life).
 * The WebAssembly module is compiled once per thread by the backend and reused by every run.
 */
import { workerData } from 'node:worker_threads';
import type { Corpus } from '../corpus/index.js';
import { OutputError } from '../errors.js';
import { createModel } from '../backend/index.js';
import { modelFromCheckpoint } from '../checkpoint/checkpoint.js';
import { findResumePoint, loadContinuation, runCheckpointer } from '../checkpoint/runFiles.js';
import { parameterCount } from '../model/spec.js';
import type { RnnConfig } from '../model/types.js';
import { modelConfig } from './grid.js';
import type { CurvePoint, SamplePoint } from '../results/records.js';
import { trainWithBaseline, type BaselineCache } from '../train/oneRun.js';
import type { RunResult } from '../train/run.js';
import {
  corpusFromShared,
  failedOutcome,
  type RunOutcome,
  type RunProgress,
  type RunTask,
  type SharedCorpus,
} from './task.js';

const corpus: Corpus = corpusFromShared(workerData as SharedCorpus);
const baselines: BaselineCache = new Map();

/**
 * The run's model: continued from its last resume point (checkpoints.every) when one was written
 * for exactly this run — a run killed mid-way continues exactly — else fresh; and its checkpoint writer.
 */
function startModel(task: RunTask, config: RnnConfig) {
  const { spec, budget, cadence } = task;
  const opts = task.checkpoints;
  const name = task.checkpointName ?? spec.id;
  const found = opts
    ? findResumePoint(opts, { runId: name, config, backend: task.backend, budget, cadence })
    : { ck: null, ignored: null };
  // Successive halving: a promoted run with no resume point of this rung continues from the rung before.
  const from =
    found.ck ??
    (task.continueFrom
      ? loadContinuation(task.continueFrom, { runId: name, config, backend: task.backend, budget, cadence })
      : null);
  const on = { threads: task.threads, isa: task.backend === 'native' ? task.isa : undefined };
  const model = from ? modelFromCheckpoint(from, task.backend, on) : createModel(task.backend, config, undefined, on);
  const resume = from?.run;
  const ck = opts ? runCheckpointer(opts, name, model, task.backend, resume) : null;
  return { model, resume, ck, ignored: found.ignored, resumedAt: found.ck?.run.chars ?? null };
}

/**
 * The run's curve points and samples kept for its outcome, and sent with the progress report that
 * follows them (a live view shows them: src/sweep/live.ts); the first report carries what a resumed
 * run recorded before.
 */
function reporting(task: RunTask, curves: CurvePoint[], samples: SamplePoint[]) {
  const fresh = { curves: [...curves], samples: [...samples] };
  return {
    onCurve: (c: CurvePoint) => {
      curves.push(c);
      fresh.curves.push(c);
    },
    onSample: (s: SamplePoint) => {
      samples.push(s);
      fresh.samples.push(s);
    },
    onProgress: (chars: number, budget: number, smoothLossPerChar: number) => {
      const p: RunProgress = {
        chars,
        budget,
        smoothLossPerChar,
        curves: fresh.curves.splice(0),
        samples: fresh.samples.splice(0),
      };
      task.progress?.postMessage(p);
    },
  };
}

/** A trained run's figures as its outcome records them (the caller adds the rest). */
function outcomeOf(
  result: RunResult,
  params: number,
  wallS: number,
): Omit<RunOutcome, 'spec' | 'markov' | 'curves' | 'samples' | 'resumedAt' | 'notice' | 'isa'> {
  return {
    status: result.status,
    iterations: result.iterations,
    chars: result.chars,
    smoothLossPerChar: Number.isFinite(result.smoothLossPerChar) ? result.smoothLossPerChar : null,
    valBpc: result.valBpc,
    charsPerSec: result.charsPerSec,
    divergedAt: result.divergedAt,
    params,
    best: result.best,
    curveChars: result.curveChars,
    stoppedEarly: result.stoppedEarly,
    wallS,
    error: null,
  };
}

export default function runTask(task: RunTask): RunOutcome {
  const { spec, budget, cadence } = task;
  const t0 = performance.now();
  const curves: CurvePoint[] = [];
  const samples: SamplePoint[] = [];
  try {
    if (task.fault === 'throw') throw new Error(`injected fault in run ${spec.id}`);
    if (task.fault === 'exit') process.exit(7); // the thread dies mid-task
    const config = modelConfig(spec, corpus.vocab.symbols.length);
    const { model, resume, ck, ignored, resumedAt } = startModel(task, config);
    if (resume) {
      curves.push(...resume.curves);
      samples.push(...resume.samples);
    }
    const callbacks = { ...ck?.callbacks, ...reporting(task, curves, samples) };
    callbacks.onProgress(resume?.chars ?? 0, budget, NaN); // where it starts: a resumed or continued run's earlier characters are not this session's work
    const run = {
      budget,
      cadence,
      markovOrder: task.markovOrder,
      markovSample: { length: cadence.sampleLength, seed: 1 },
    };
    const { rnn: result, markov } = trainWithBaseline(
      model,
      corpus,
      run,
      callbacks,
      { saveEvery: task.checkpoints?.every ?? 0, resume },
      baselines,
    );
    ck?.finish();
    const wallS = (performance.now() - t0) / 1000;
    return {
      ...outcomeOf(result, parameterCount(config), wallS),
      spec,
      markov,
      curves,
      samples,
      resumedAt,
      notice: ignored,
      isa: task.isa,
    };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const failed = failedOutcome(spec, error, (performance.now() - t0) / 1000);
    return err instanceof OutputError ? { ...failed, outputError: { path: err.path, code: err.code } } : failed;
  } finally {
    task.progress?.close();
  }
}
