/**
 * The sweep: validate the experiment and the corpus before touching anything, take the results
 * folder's lock, recover what earlier attempts recorded, fan the missing runs out over a piscina
 * pool in grid order, record each finished run whole, and rewrite the tables in grid order at the end.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { UsageError } from '../errors.js';
import type { CorpusAccess, LoadedCorpus } from '../data/corpus.js';
import type { Cadence } from '../train/run.js';
import { expandGrid, type RunSpec } from './grid.js';
import { checkExperimentResources, loadExperimentCorpus } from './checks.js';
import { readExperimentFile } from './load.js';
import { acquireLock } from './lock.js';
import { experimentKey, machineInfo, readManifest, VERSION, writeManifest, type Manifest } from './manifest.js';
import type { Experiment } from './schema.js';
import { appendRows, readTable, TABLES, writeTable, type Row } from './tables.js';
import { failedOutcome, type Fault, type RunOutcome, type RunProgress, type RunTask, type SharedCorpus } from './task.js';

export interface SweepOptions {
  experimentPath: string;
  /** Results folder (default results/<name> under cwd). */
  outDir?: string;
  fresh?: boolean;
  /** Overrides the experiment's worker count. */
  workers?: number;
  /** Stop launching runs and abandon those in flight when aborted (Ctrl-C). */
  signal?: AbortSignal;
  /** Test-only faults by run id. */
  faults?: Record<string, Fault>;
  /** Where known corpora live and how a download reports (the CLI passes the environment's). */
  corpusAccess?: CorpusAccess;
}

export interface SweepEvents {
  onStart?(info: { dir: string; total: number; todo: RunSpec[]; skipped: number; workers: number; budget: number }): void;
  onRunStart?(spec: RunSpec): void;
  onRunProgress?(spec: RunSpec, p: RunProgress): void;
  onRunEnd?(outcome: RunOutcome): void;
  onNotice?(msg: string): void;
}

export interface SweepResult {
  dir: string;
  experiment: Experiment;
  manifest: Manifest;
  /** Summary rows in grid order (all recorded runs, this session's and earlier ones). */
  summary: Record<string, string>[];
  ran: number;
  skipped: number;
  interrupted: boolean;
  /** Runs that did not end 'done'. */
  problems: number;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

export async function runSweep(opts: SweepOptions, ev: SweepEvents = {}): Promise<SweepResult> {
  // 1. Everything that can be wrong with the input is found before anything is written.
  const expPath = resolve(opts.experimentPath);
  const { experiment } = readExperimentFile(expPath);
  const runs = expandGrid(experiment);
  const { corpus, file } = await loadExperimentCorpus(experiment, expPath, dirname(expPath), opts.corpusAccess);
  const requested = opts.workers ?? experiment.workers ?? availableParallelism();
  checkExperimentResources(experiment, { vocabSize: corpus.vocab.symbols.length, trainChars: corpus.trainEnd }, expPath, requested, ev.onNotice);
  const dir = resolve(opts.outDir ?? join(process.cwd(), 'results', experiment.name));
  prepareResultsDir(dir);

  // 2. One sweep per folder; a changed experiment is refused rather than mixed in.
  const release = acquireLock(dir, { onNotice: ev.onNotice });
  try {
    removeStaleTempFiles(dir);
    const previous = readManifest(dir);
    if (opts.fresh) {
      for (const t of Object.values(TABLES)) rmSync(join(dir, t.file), { force: true });
      rmSync(join(dir, 'manifest.json'), { force: true });
    } else if (!previous) {
      const tables = Object.values(TABLES).filter((t) => existsSync(join(dir, t.file)));
      if (tables.length > 0) {
        throw new UsageError(
          `${dir} holds ${tables.map((t) => t.file).join(', ')} but no readable manifest.json, so it cannot be told ` +
            `which experiment they belong to; refusing to add to them. Run with --fresh to start over there, or use another --out.`,
        );
      }
    } else {
      if (experimentKey(previous.experiment) !== experimentKey(experiment) || previous.corpus.sha256 !== file.sha256) {
        throw new UsageError(
          `${dir} holds results of a different experiment or corpus than ${expPath} ` +
            `(it was made from ${previous.experimentFile}); refusing to mix them. ` +
            `Run with --fresh to start over there, or give the experiment another name.`,
        );
      }
    }
    const fresh = opts.fresh || !previous;

    // 3. What earlier attempts recorded: completed runs are kept, anything partial is dropped.
    const byId = new Map(runs.map((r) => [r.id, r]));
    const recorded = fresh ? [] : recoverTables(dir, byId, ev);
    const doneIds = new Set(recorded.map((r) => r.run_id));
    const todo = runs.filter((r) => !doneIds.has(r.id));

    const workers = Math.min(opts.workers ?? experiment.workers ?? availableParallelism(), Math.max(1, todo.length));
    const now = new Date().toISOString();
    if (previous && !fresh && todo.length === 0) {
      // Nothing to run: the folder is left as it is (its manifest still says how it was made).
      ev.onStart?.({ dir, total: runs.length, todo, skipped: doneIds.size, workers: 0, budget: experiment.budget.chars });
      const summary = sortTables(dir, byId);
      if (previous.finishedAt === null) writeManifest(dir, { ...previous, finishedAt: now });
      return { dir, experiment, manifest: previous, summary, ran: 0, skipped: doneIds.size, interrupted: false, problems: summary.filter((r) => r.status !== 'done').length };
    }
    const manifest: Manifest = {
      experiment,
      experimentFile: expPath,
      corpus: {
        path: file.path,
        sha256: file.sha256,
        chars: corpus.length,
        vocabSize: corpus.vocab.symbols.length,
        trainChars: corpus.trainEnd,
        validationChars: corpus.length - corpus.trainEnd,
      },
      charlab: VERSION,
      node: process.version,
      machine: machineInfo(),
      workers,
      startedAt: fresh || !previous ? now : previous.startedAt,
      sessions: [...(fresh || !previous ? [] : (previous.sessions ?? [previous.startedAt])), now],
      finishedAt: null,
      totalRuns: runs.length,
    };
    writeManifest(dir, manifest);
    ev.onStart?.({ dir, total: runs.length, todo, skipped: doneIds.size, workers, budget: experiment.budget.chars });

    // 4. The missing runs, in grid order, at most `workers` at a time.
    const interrupted = await runPool(todo, experiment, corpus, file.path, workers, dir, opts, ev);

    // 5. Tables in grid order, so they don't depend on timing, worker count or resumes.
    const summary = sortTables(dir, byId);
    const complete = summary.length === runs.length;
    if (complete && !interrupted) manifest.finishedAt = new Date().toISOString();
    writeManifest(dir, manifest);
    return {
      dir,
      experiment,
      manifest,
      summary,
      ran: todo.length,
      skipped: doneIds.size,
      interrupted,
      problems: summary.filter((r) => r.status !== 'done').length,
    };
  } finally {
    release();
  }
}

function prepareResultsDir(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`results folder ${dir} is a file, expected a folder`);
    const blocker = fileAncestor(dir);
    if (blocker) throw new UsageError(`results folder ${dir} cannot be created: ${blocker} is a file, expected a folder`);
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (code ?? String(err));
    throw new UsageError(`results folder ${dir} cannot be written (${why}); choose another with --out`);
  }
  // What the sweep writes must be files: a folder in the way is reported before anything is written.
  for (const file of [...Object.values(TABLES).map((t) => t.file), 'manifest.json', '.lock']) {
    const path = join(dir, file);
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new UsageError(`results folder ${dir}: ${file} is a directory, expected a file (or nothing)`);
    }
  }
}

/** The nearest existing ancestor of `path` if it is not a folder (so `path` cannot be created). */
function fileAncestor(path: string): string | null {
  for (let p = dirname(path), prev = path; p !== prev; prev = p, p = dirname(p)) {
    if (existsSync(p)) return statSync(p).isDirectory() ? null : p;
  }
  return null;
}

/** Temporary files left by an atomic write that a crash interrupted (`<file>.<pid>.tmp`). */
function removeStaleTempFiles(dir: string): void {
  const names = new Set([...Object.values(TABLES).map((t) => t.file), 'manifest.json']);
  for (const entry of readdirSync(dir)) {
    const m = /^(.*)\.(\d+)\.tmp$/.exec(entry);
    if (m && names.has(m[1])) rmSync(join(dir, entry), { force: true });
  }
}

/** Keep the runs recorded whole; re-attempt failed ones; drop torn tails and rows of unfinished runs. */
function recoverTables(dir: string, byId: Map<string, RunSpec>, ev: SweepEvents): Record<string, string>[] {
  const summary = readTable(dir, 'summary');
  const kept = summary.rows.filter((r) => byId.has(r.run_id) && (r.status === 'done' || r.status === 'diverged'));
  const ids = new Set(kept.map((r) => r.run_id));
  const unique = kept.filter((r, i) => kept.findIndex((k) => k.run_id === r.run_id) === i);
  if (summary.tornBytes > 0) ev.onNotice?.(`summary.csv: dropped a torn last record (${summary.tornBytes} bytes)`);
  const unknown = summary.rows.filter((r) => !byId.has(r.run_id)).length;
  if (unknown > 0) ev.onNotice?.(`summary.csv: dropped ${unknown} row(s) of runs not in the grid`);
  const failed = summary.rows.filter((r) => byId.has(r.run_id) && r.status !== 'done' && r.status !== 'diverged').length;
  if (failed > 0) ev.onNotice?.(`re-attempting ${failed} run(s) recorded as failed`);
  writeTable(dir, 'summary', unique);
  for (const t of ['curves', 'samples'] as const) {
    const table = readTable(dir, t);
    const keep = table.rows.filter((r) => ids.has(r.run_id));
    const dropped = table.rows.length - keep.length;
    if (table.tornBytes > 0 || dropped > 0) {
      ev.onNotice?.(
        `${TABLES[t].file}: dropped ${[table.tornBytes > 0 ? `a torn last record (${table.tornBytes} bytes)` : '', dropped > 0 ? `${dropped} row(s) of unfinished or failed runs` : ''].filter(Boolean).join(' and ')}`,
      );
    }
    writeTable(dir, t, keep);
  }
  return unique;
}

function sortTables(dir: string, byId: Map<string, RunSpec>): Record<string, string>[] {
  const order = (id: string) => byId.get(id)?.index ?? Infinity;
  let summary: Record<string, string>[] = [];
  for (const t of ['summary', 'curves', 'samples'] as const) {
    const rows = readTable(dir, t).rows;
    // A stable sort by grid position keeps each run's own rows in the order they were written.
    const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => order(a.r.run_id) - order(b.r.run_id) || a.i - b.i).map((x) => x.r);
    writeTable(dir, t, sorted);
    if (t === 'summary') summary = sorted;
  }
  return summary;
}

async function runPool(
  todo: RunSpec[],
  exp: Experiment,
  corpus: LoadedCorpus['corpus'],
  source: string,
  workers: number,
  dir: string,
  opts: SweepOptions,
  ev: SweepEvents,
): Promise<boolean> {
  if (todo.length === 0) return false;
  if (opts.signal?.aborted) return true; // interrupted before the first run was launched
  // The corpus is encoded once, here, and shared with every worker without copying.
  const ids = new SharedArrayBuffer(corpus.ids.byteLength);
  new Int32Array(ids).set(corpus.ids);
  const shared: SharedCorpus = { source, symbols: corpus.vocab.symbols, ids, trainEnd: corpus.trainEnd, length: corpus.length };
  const pool = new Piscina({
    filename: WORKER_URL.href,
    minThreads: workers,
    maxThreads: workers,
    workerData: shared,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
  });
  const cadence: Cadence = {
    curveEvery: exp.curves.every,
    evalEvery: exp.evaluation.every,
    evalChars: exp.evaluation.chars,
    sampleEvery: exp.samples.every,
    sampleLength: exp.samples.length,
    temperature: exp.samples.temperature,
    prime: exp.samples.prime,
  };
  let next = 0;
  let stopping = false;
  const onAbort = () => {
    stopping = true;
    // Abandon the runs in flight: their rows were never written, the next session runs them again.
    pool.destroy().catch(() => {});
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const launch = async (): Promise<void> => {
    while (!stopping && next < todo.length) {
      const spec = todo[next++];
      const { port1, port2 } = new MessageChannel();
      port1.on('message', (p: RunProgress) => ev.onRunProgress?.(spec, p));
      const task: RunTask = { spec, budget: exp.budget.chars, backend: exp.backend, cadence, markovOrder: exp.markov.order, progress: port2, fault: opts.faults?.[spec.id] };
      ev.onRunStart?.(spec);
      let outcome: RunOutcome;
      try {
        outcome = (await pool.run(task, { transferList: [port2] })) as RunOutcome;
      } catch (err) {
        if (stopping) return; // abandoned by an interrupt
        outcome = failedOutcome(spec, `worker died: ${err instanceof Error ? err.message : String(err)}`); // piscina replaces the thread
      } finally {
        port1.close();
      }
      // A run that finished is recorded even if an interrupt came meanwhile: it is whole.
      record(dir, exp, outcome);
      ev.onRunEnd?.(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, launch));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!stopping) await pool.destroy();
  }
  return stopping;
}

/** A finished run's rows: curves and samples first, the summary row last (it marks the run recorded). */
function record(dir: string, exp: Experiment, o: RunOutcome): void {
  const id = o.spec.id;
  appendRows(
    dir,
    'curves',
    o.curves.map((c) => ({ run_id: id, iteration: c.iteration, chars: c.chars, smooth_loss_per_char: c.smoothLossPerChar, val_bpc: c.valBpc, elapsed_s: round(c.elapsedS) })),
  );
  const samples: Row[] = o.samples.map((s) => ({ run_id: id, model: 'rnn', iteration: s.iteration, temperature: s.temperature, text: s.text }));
  if (o.markov) samples.push({ run_id: id, model: 'markov', iteration: o.iterations, temperature: 1, text: o.markov.sample });
  appendRows(dir, 'samples', samples);
  appendRows(dir, 'summary', [
    {
      run_id: id,
      hidden_size: o.spec.hiddenSize,
      unroll: o.spec.unroll,
      clip: o.spec.clip,
      learning_rate: o.spec.learningRate,
      seed: o.spec.seed,
      backend: exp.backend,
      status: o.status,
      iterations: o.iterations,
      chars: o.chars,
      smooth_loss_per_char: o.smoothLossPerChar,
      val_bpc: o.valBpc,
      markov_order: exp.markov.order,
      markov_val_bpc: o.markov?.valBpc ?? null,
      wall_s: round(o.wallS),
      chars_per_s: o.charsPerSec === null ? null : Math.round(o.charsPerSec),
      diverged_at_iteration: o.divergedAt,
      error: o.error,
    },
  ]);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
