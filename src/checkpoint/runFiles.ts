/**
 * The checkpoints of one sweep run, in results/<name>/checkpoints/:
 *   <run_id>.safetensors         the final model (keep "final" or "both")
 *   <run_id>.best.safetensors    the model at its best curve score, intermediate or final (keep "best" or "both")
 *   <run_id>.resume.safetensors  where an unfinished run stands (checkpoints.every), removed when it ends
 * A run that finds a resume file written for exactly its settings (configuration, backend, corpus
 * sha256, budget, cadence) continues from it; any other file there is ignored (the run starts over).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backend/index.js';
import type { LoadedCorpus } from '../data/corpus.js';
import { checkpointsDir } from '../results/folder.js';
import type { Experiment } from '../results/schema.js';
import { withDefaults, type CharModel, type RnnConfig } from '../model/types.js';
import type { Cadence, RunCallbacks, RunSnapshot } from '../train/run.js';
import { corpusRecordOf } from './corpus.js';
import {
  CheckpointError,
  checkpointOf,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
  type CorpusRecord,
} from './checkpoint.js';

export type CheckpointKeep = 'final' | 'best' | 'both' | 'none';

/** What a sweep tells a run about its checkpoints. */
export interface RunCheckpoints {
  dir: string;
  keep: CheckpointKeep;
  /** Save a resume point every this many characters (0: never). */
  every: number;
  corpus: CorpusRecord;
  vocab: number[];
  markovOrder: number;
}

export function checkpointFiles(dir: string, runId: string): { final: string; best: string; resume: string } {
  return {
    final: join(dir, `${runId}.safetensors`),
    best: join(dir, `${runId}.best.safetensors`),
    resume: join(dir, `${runId}.resume.safetensors`),
  };
}

/** What a run must match to continue from a resume file. */
export interface RunIdentity {
  runId: string;
  config: RnnConfig;
  backend: Backend;
  budget: number;
  cadence: Cadence;
}

/** The run's resume point, if a usable one is there; otherwise null and why (nothing there is not a reason). */
export function findResumePoint(
  opts: RunCheckpoints,
  run: RunIdentity,
): { ck: (Checkpoint & { run: RunSnapshot }) | null; ignored: string | null } {
  const path = checkpointFiles(opts.dir, run.runId).resume;
  if (opts.every === 0 || !existsSync(path)) return { ck: null, ignored: null };
  let ck: Checkpoint;
  try {
    ck = loadCheckpoint(path);
  } catch (err) {
    return { ck: null, ignored: (err as Error).message };
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const differs = [
    !same(ck.config, withDefaults(run.config)) && 'configuration',
    ck.backend !== run.backend && 'backend',
    ck.corpus.sha256 !== opts.corpus.sha256 && 'corpus',
    ck.run?.budget !== run.budget && 'budget',
    !same(ck.run?.cadence, run.cadence) && 'cadence',
  ].filter(Boolean);
  if (ck.run === null || differs.length > 0)
    return { ck: null, ignored: `${path} was written for another ${differs.join(', ') || 'run'}` };
  return { ck: { ...ck, run: ck.run }, ignored: null };
}

/**
 * The final checkpoint of a run's earlier stretch, to continue it to a larger budget (successive
 * halving's promoted runs): it must hold this run's configuration, backend and cadence, standing
 * at exactly `chars` characters (or before them, where early stopping stopped it: it then trains no
 * more). Anything else is an error naming the file and what differs.
 */
export function loadContinuation(
  from: { path: string; chars: number },
  run: RunIdentity,
): Checkpoint & { run: RunSnapshot } {
  const ck = loadCheckpoint(from.path);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const differs = [
    !same(ck.config, withDefaults(run.config)) && 'configuration',
    ck.backend !== run.backend && 'backend',
    !same(ck.run?.cadence, run.cadence) && 'cadence',
    ck.run?.chars !== from.chars &&
      !(ck.run?.earlyStopping?.stopped && ck.run.chars <= from.chars) &&
      `characters trained (${ck.run?.chars ?? 'none'}, expected ${from.chars})`,
  ].filter(Boolean);
  if (ck.run === null || differs.length > 0)
    throw new CheckpointError(
      from.path,
      `cannot continue run ${run.runId} from it: another ${differs.join(', ') || 'run'}`,
    );
  return { ...ck, run: ck.run };
}

/** The callbacks that write the run's checkpoints as it trains, and `finish` to call when it has ended. */
export function runCheckpointer(
  opts: RunCheckpoints,
  runId: string,
  model: CharModel,
  backend: Backend,
  resumed?: RunSnapshot,
): { callbacks: RunCallbacks; finish(): void } {
  const files = checkpointFiles(opts.dir, runId);
  mkdirSync(opts.dir, { recursive: true });
  const ctx = { vocab: opts.vocab, corpus: opts.corpus, markovOrder: opts.markovOrder };
  const save = (path: string, run: RunSnapshot) => saveCheckpoint(path, checkpointOf(model, backend, { ...ctx, run }));
  const keepFinal = opts.keep === 'final' || opts.keep === 'both';
  const keepBest = opts.keep === 'best' || opts.keep === 'both';
  const callbacks: RunCallbacks = {
    onSnapshot: (run, final) => {
      if (final && keepFinal) save(files.final, run);
      else if (!final && opts.every > 0) save(files.resume, run);
    },
    onScore: keepBest ? bestKeeper((run) => save(files.best, run), resumed) : undefined,
  };
  return { callbacks, finish: () => rmSync(files.resume, { force: true }) };
}

/**
 * An onScore that saves the run at each new best curve score (strictly lower: ties keep the
 * earliest, as RunResult.best does). A resumed run's best so far is the best of the scores it recorded.
 */
export function bestKeeper(
  save: (run: RunSnapshot) => void,
  resumed?: RunSnapshot,
): (valBpc: number, run: RunSnapshot) => void {
  let best = Math.min(Infinity, ...(resumed?.curves ?? []).map((c) => c.valBpc ?? Infinity));
  return (valBpc, run) => {
    if (!(valBpc < best)) return;
    best = valBpc;
    save(run);
  };
}

/** A sweep's checkpoint settings for its runs (experiment key `checkpoints`; absent: keep the final one). */
export function sweepCheckpoints(
  exp: Experiment,
  loaded: LoadedCorpus,
  resultsDir: string,
): RunCheckpoints | undefined {
  const keep = exp.checkpoints?.keep ?? 'final';
  const every = exp.checkpoints?.every ?? 0;
  if (keep === 'none' && every === 0) return undefined;
  return {
    dir: checkpointsDir(resultsDir),
    keep,
    every,
    corpus: corpusRecordOf(loaded, exp.validation),
    vocab: loaded.corpus.vocab.symbols,
    markovOrder: exp.markov.order,
  };
}

/** Temporary files of checkpoint writes a crash interrupted (`<file>.<pid>.tmp`): removed by the sweep holding the folder's lock. */
export function removeStaleCheckpointTemps(resultsDir: string): void {
  const dir = checkpointsDir(resultsDir);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir))
    if (/\.safetensors\.\d+\.tmp$/.test(entry)) rmSync(join(dir, entry), { force: true });
}
