/**
 * The file piscina's threads load: CommonJS on purpose, in front of the ES modules that do the work.
 *
 * Piscina loads a worker file with require() first. On Node ≥ 20.19, require() of an ES module loads
 * it synchronously, and a thread terminated in the middle of that load (a pool destroyed at the end
 * of a sweep, or on Ctrl-C, while a replacement for a dead thread is starting) aborts the whole
 * process: "FATAL ERROR: v8::Module::IsGraphAsync … must be used on an instantiated module". Here
 * require() loads this CommonJS file, and the ES modules are loaded by import(), which a
 * termination interrupts safely.
 */
import type { LadderEntry } from '../train/markovLadder.js';
import type { LadderTask } from './ladderWorker.js';
import type { RunOutcome, RunTask } from './task.js';

/** One training run (src/sweep/worker.ts). */
async function run(task: RunTask): Promise<RunOutcome> {
  return (await import('./worker.js')).default(task);
}

/** The Markov ladder as one task on the pool (src/sweep/ladderWorker.ts). */
async function ladder(task: LadderTask): Promise<LadderEntry[]> {
  return (await import('./ladderWorker.js')).default(task);
}

export = { run, ladder }; // the pool's tasks name the function: { name: 'run' } or { name: 'ladder' }
