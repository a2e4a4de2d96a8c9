/** What the sweep sends to a worker and what comes back: plain data, structured-cloneable. */
import type { MessagePort } from 'node:worker_threads';
import type { Backend } from '../backend/index.js';
import { vocabFromSymbols, type Corpus } from '../corpus/index.js';
import type { RunCheckpoints } from '../checkpoint/runFiles.js';
import type { BaselineResult } from '../train/baseline.js';
import type { CurvePoint, SamplePoint } from '../results/records.js';
import type { Cadence } from '../train/run.js';
import type { RunSpec } from './grid.js';
import type { RunStatus } from '../results/status.js';

/** The encoded corpus, shared by every worker through one SharedArrayBuffer (encoded once). */
export interface SharedCorpus {
  source: string;
  symbols: number[];
  ids: SharedArrayBuffer; // Int32Array of code-point ids
  trainEnd: number;
  length: number;
}

/** The corpus a worker thread sees, built over the shared ids (no copy). */
export function corpusFromShared(shared: SharedCorpus): Corpus {
  return {
    source: shared.source,
    vocab: vocabFromSymbols(shared.symbols),
    ids: new Int32Array(shared.ids),
    trainEnd: shared.trainEnd,
    length: shared.length,
  };
}

/** Test-only fault injection (CHARLAB_TEST_FAULT): make a run throw, or kill its worker thread. */
export type Fault = 'throw' | 'exit';

export interface RunTask {
  spec: RunSpec;
  budget: number;
  /** The backend as resolved by the sweep (the same for every run), its code path, and threads per run. */
  backend: Backend;
  isa: string;
  threads: number;
  cadence: Cadence;
  markovOrder: number;
  /** Receives RunProgress reports while the run trains. */
  progress?: MessagePort;
  fault?: Fault;
  /** Where and which checkpoints the run writes (absent: none). */
  checkpoints?: RunCheckpoints;
  /** Names the run's checkpoint files instead of its id (successive halving: one set per rung, `<run_id>.rung<k>`). */
  checkpointName?: string;
  /** Continue the run saved in this final checkpoint (the rung before's) to `budget` (successive halving). */
  continueFrom?: { path: string; chars: number };
}

export interface RunProgress {
  chars: number;
  budget: number;
  smoothLossPerChar: number;
  /** Curve points and samples recorded since the last report (the first report: those of the checkpoint it resumed from). */
  curves?: CurvePoint[];
  samples?: SamplePoint[];
}

export interface RunOutcome {
  spec: RunSpec;
  status: RunStatus;
  iterations: number | null;
  chars: number | null;
  smoothLossPerChar: number | null;
  valBpc: number | null;
  charsPerSec: number | null;
  divergedAt: number | null;
  /** The model's parameter count (null: the run failed before it was built). */
  params: number | null;
  /** The best score on the curve text, and where (src/train/run.ts bestScore). */
  best: { valBpc: number; chars: number } | null;
  /** Held-out characters each curve score reads (null: the run failed). */
  curveChars: number | null;
  /** Early stopping ended the run before its budget (null: early stopping off, or the run failed). */
  stoppedEarly: boolean | null;
  wallS: number;
  error: string | null;
  markov: BaselineResult | null;
  curves: CurvePoint[];
  samples: SamplePoint[];
  /** Characters already trained in the checkpoint this run resumed from (null: started from zero). */
  resumedAt: number | null;
  /** Why a checkpoint found for the run was not resumed from. */
  notice: string | null;
  /** The backend's code path the run used (native ISA, 'simd128', 'f64'); null if it failed before it started. */
  isa: string | null;
  /** A write of the run's files failed (a full disk, an I/O error): the sweep stops with it (src/errors.ts OutputError). */
  outputError?: { path: string; code: string | undefined };
}

/** The outcome of a run that threw or whose worker died: no numbers, the error kept. */
export function failedOutcome(spec: RunSpec, error: string, wallS = 0): RunOutcome {
  return {
    spec,
    status: 'failed',
    iterations: null,
    chars: null,
    smoothLossPerChar: null,
    valBpc: null,
    charsPerSec: null,
    divergedAt: null,
    params: null,
    best: null,
    curveChars: null,
    stoppedEarly: null,
    wallS,
    error,
    markov: null,
    curves: [],
    samples: [],
    resumedAt: null,
    notice: null,
    isa: null,
  };
}
