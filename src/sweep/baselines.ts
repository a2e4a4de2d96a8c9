/**
 * baselines.csv: the ladder of Markov baselines of a results folder (src/train/markovLadder.ts),
 * computed once per corpus text, budget and range, not per run. The sweep computes it when the file
 * is missing or does not match (also on a re-run of a finished sweep, which re-runs no training):
 * with runs to do, as one extra task on the run pool (it takes one thread while the others train,
 * instead of stalling every thread before the first run); with none, in this thread (nothing else
 * waits). Not computed with validation 0 (nothing to score), with "ladder": false, nor by shards
 * other than shard 0 (charlab merge copies shard 0's).
 */
import type { Piscina } from 'piscina';
import type { Corpus } from '../corpus/index.js';
import { DEFAULT_MARKOV_LADDER } from '../defaults.js';
import { UsageError } from '../errors.js';
import { bestOrder, ladderTrainEnd, markovLadder, type LadderEntry, type LadderRange } from '../train/markovLadder.js';
import { formatBytes, markovBytes } from '../train/memory.js';
import type { Experiment } from '../results/schema.js';
import type { Shard } from '../results/manifest.js';
import { FOLDER_TABLES, readTable, writeTable } from '../results/tables.js';
import type { LadderTask } from './ladderWorker.js';

export const BASELINES_FILE = FOLDER_TABLES.baselines.file;

/** The orders an experiment asks for: its markov.ladder, the default when absent, null for false. */
export function ladderRangeOf(exp: Pick<Experiment, 'markov'>): LadderRange | null {
  const l = exp.markov.ladder;
  return l === false ? null : (l ?? DEFAULT_MARKOV_LADDER);
}

/** What the folder's manifest (or the loaded corpus) says about the corpus. */
export interface CorpusFacts {
  sha256: string;
  trainChars: number;
  validationChars: number;
  vocabSize: number;
}

/** What baselines.csv must hold. */
export interface LadderJob {
  range: LadderRange;
  budget: number;
  trainChars: number;
  valChars: number;
  sha256: string;
  vocabSize: number;
}

/** The ladder this folder should hold, or null: switched off, nothing held out, or a shard other than shard 0. */
export function ladderJob(exp: Experiment, corpus: CorpusFacts, shard: Shard | null): LadderJob | null {
  const range = ladderRangeOf(exp);
  if (range === null || corpus.validationChars <= 0 || (shard !== null && shard.index !== 0)) return null;
  const budget = exp.budget.chars;
  return {
    range,
    budget,
    trainChars: ladderTrainEnd(corpus.trainChars, budget),
    valChars: corpus.validationChars,
    sha256: corpus.sha256,
    vocabSize: corpus.vocabSize,
  };
}

/**
 * Whether dir's baselines.csv holds exactly that ladder: the orders from..to in order, each counted
 * on the same characters of the same corpus text. A table that cannot be read (hand-edited, torn)
 * does not match: it is derived data, computed again and replaced whole.
 */
export function ladderRecorded(dir: string, job: LadderJob): boolean {
  let rows: Record<string, string>[];
  try {
    rows = readTable(dir, 'baselines').rows;
  } catch (err) {
    if (err instanceof UsageError) return false;
    throw err;
  }
  const { from, to } = job.range;
  const same = (r: Record<string, string>, i: number) =>
    Number(r.order) === from + i &&
    Number(r.train_chars) === job.trainChars &&
    Number(r.val_chars) === job.valChars &&
    r.corpus_sha256 === job.sha256 &&
    r.val_bpc !== '';
  return rows.length === to - from + 1 && rows.every(same);
}

/** Before the work: what is computed, on how much text, at what memory. */
export function ladderStartNotice(job: LadderJob): string {
  const { from, to } = job.range;
  const mem = formatBytes(markovBytes(to, job.vocabSize, job.trainChars));
  return `${BASELINES_FILE}: computing the Markov ladder, orders ${from}..${to} on ${job.trainChars} training characters (one order-${to} model, up to ${mem})`;
}

function writeLadder(dir: string, job: LadderJob, entries: LadderEntry[], onNotice?: (msg: string) => void): void {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const rows = entries.map((e) => ({
    order: e.order,
    train_chars: e.trainChars,
    val_chars: e.valChars,
    val_bpc: e.valBpc,
    count_s: round(e.countS),
    score_s: round(e.scoreS),
    corpus_sha256: job.sha256,
  }));
  writeTable(dir, 'baselines', rows);
  const best = bestOrder(entries);
  const took = entries.length > 0 ? round(entries[0].countS + entries.reduce((s, e) => s + e.scoreS, 0)) : 0;
  onNotice?.(
    `${BASELINES_FILE}: Markov orders ${job.range.from}..${job.range.to} written in ${took} s; best order ${best?.order} at ${best?.valBpc.toFixed(3)} bpc`,
  );
}

/** In this thread (no runs left to stall). A failure (out of memory) is reported, not thrown: the runs are recorded. */
export function ladderInThread(corpus: Corpus, job: LadderJob, dir: string, onNotice?: (msg: string) => void): void {
  onNotice?.(ladderStartNotice(job));
  let entries: LadderEntry[];
  try {
    entries = markovLadder(corpus, job.budget, job.range);
  } catch (err) {
    onNotice?.(failed(err));
    return;
  }
  writeLadder(dir, job, entries, onNotice);
}

const failed = (err: unknown) =>
  `${BASELINES_FILE}: the Markov ladder failed (${err instanceof Error ? err.message : String(err)}); a re-run of the sweep tries again`;

/**
 * As one task on the run pool (its threads hold the corpus): resolves once baselines.csv is written,
 * or, if the task failed, once that is reported (a re-run tries again); an interrupt abandons it silently.
 */
export async function ladderOnPool(
  pool: Piscina,
  job: LadderJob,
  dir: string,
  stopping: () => boolean,
  onNotice?: (msg: string) => void,
): Promise<void> {
  onNotice?.(ladderStartNotice(job));
  try {
    const task: LadderTask = { budget: job.budget, range: job.range };
    const entries = (await pool.run(task, { name: 'ladder' })) as LadderEntry[];
    if (!stopping()) writeLadder(dir, job, entries, onNotice);
  } catch (err) {
    if (!stopping()) onNotice?.(failed(err));
  }
}
