/**
 * A piscina task on the sweep's pool: the ladder of Markov baselines (src/train/markovLadder.ts)
 * on the corpus shared through workerData. One task per sweep that needs baselines.csv; it takes
 * one thread for the time of one count of the highest order, beside the runs on the others.
 */
import { workerData } from 'node:worker_threads';
import { markovLadder, type LadderEntry, type LadderRange } from '../train/markovLadder.js';
import { corpusFromShared, type SharedCorpus } from './task.js';

export interface LadderTask {
  budget: number;
  range: LadderRange;
}

export default function ladderTask(task: LadderTask): LadderEntry[] {
  return markovLadder(corpusFromShared(workerData as SharedCorpus), task.budget, task.range);
}
