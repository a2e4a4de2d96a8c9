/**
 * What a sweep tells whoever watches it (the terminal display, the live file, the tests): its start,
 * each training's start, progress and end, and notices. runSweep (src/sweep/sweep.ts) emits them;
 * src/sweep/liveRecorder.ts and src/cli/sweepDisplay.ts receive them.
 */
import type { RunSpec } from './grid.js';
import type { RunOutcome, RunProgress } from './task.js';
import type { CostPerChar, PlannedWork } from './work.js';

export interface SweepEvents {
  /** `planned`: the trainings in all (successive halving: one per run and rung) and the work left (src/sweep/work.ts). */
  onStart?: (info: {
    dir: string;
    total: number;
    todo: RunSpec[];
    skipped: number;
    workers: number;
    planned: PlannedWork;
    cost: CostPerChar;
  }) => void;
  /** A training starts: to `budget` characters, from `from` (a halving rung continues from the one before). */
  onRunStart?: (spec: RunSpec, task: { budget: number; from: number }) => void;
  onRunProgress?: (spec: RunSpec, p: RunProgress) => void;
  onRunEnd?: (outcome: RunOutcome) => void;
  onNotice?: (msg: string) => void;
}
