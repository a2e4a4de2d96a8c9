/**
 * Data shapes of the report: the sweep's tables as read back from disk, and the report data the
 * renderers (markdown, HTML, terminal, JSON) are built from. Everything here is plain data.
 */

import type { RunStatus } from '../results/status.js';
import type { ManifestAsRead } from '../results/manifest.js';
import { KNOBS as KNOB_DEFS, KNOB_KEYS, type KnobKey, type KnobValues } from '../results/knobs.js';
import type { Verdict } from './groups.js';

export type { RunStatus };
export type LeaderStatus = RunStatus | 'missing';

/** The swept knobs, in the order the report shows them (src/results/knobs.ts). */
export const KNOBS = KNOB_KEYS;
export type Knob = KnobKey;
export type KnobValue = number | string;

export const KNOB_LABELS = Object.fromEntries(KNOB_DEFS.map((k) => [k.key, k.label])) as Record<Knob, string>;

/** File-name slug of each knob (plots/curves-by-<slug>.svg). */
export const KNOB_SLUGS = Object.fromEntries(KNOB_DEFS.map((k) => [k.key, k.slug])) as Record<Knob, string>;

/** One row of summary.csv; numbers are null where the cell is empty (or not finite). */
export type SummaryRow = KnobValues & {
  runId: string;
  seed: string;
  backend: string;
  status: RunStatus;
  iterations: number | null;
  chars: number | null;
  smoothLossPerChar: number | null;
  valBpc: number | null;
  markovOrder: number | null;
  markovValBpc: number | null;
  wallS: number | null;
  charsPerS: number | null;
  divergedAtIteration: number | null;
  error: string;
  /** Parameter count (null in tables written before it was recorded). */
  params: number | null;
  /** The best score on the curve text during the run, and the training characters where (null: not recorded). */
  bestValBpc: number | null;
  bestValChars: number | null;
  /** Held-out characters each curve score read (null: not recorded; tables before issue 21, whose best_val_bpc read the whole held-out text). */
  curveValChars: number | null;
  /** Early stopping ended the run before its budget (null: early stopping off, or not recorded). */
  stoppedEarly: boolean | null;
  /** Where the row came from, for messages: "dir/summary.csv:12". */
  source: string;
};

export interface CurveRow {
  runId: string;
  iteration: number;
  chars: number;
  smoothLossPerChar: number | null;
  /** On the curve text (the same held-out characters on every row of a run). */
  valBpc: number | null;
  elapsedS: number | null;
  /** On the whole held-out text, where it was scored (null: not scored there, or a table from before issue 21). */
  wholeValBpc: number | null;
}

export interface SampleRow {
  runId: string;
  model: 'rnn' | 'markov';
  iteration: number | null;
  temperature: number | null;
  text: string;
}

/** One row of baselines.csv: a Markov order of the ladder of baselines (src/train/markovLadder.ts). */
export interface LadderRow {
  order: number;
  trainChars: number | null;
  valChars: number | null;
  valBpc: number | null;
  countS: number | null;
  scoreS: number | null;
}

/** The ladder the report shows (from the first folder holding baselines.csv), its best order named. */
export interface Ladder {
  rows: LadderRow[];
  best: LadderRow | null;
  /** "dir/baselines.csv". */
  source: string;
}

/** One row of rungs.csv (successive halving, Hyperband). */
export interface RungRow {
  bracket: number;
  rung: number;
  budgetChars: number;
  runId: string;
  status: string;
  valBpc: number | null;
  configValBpc: number | null;
  rank: number;
  decision: 'promoted' | 'stopped' | 'final';
}

/** Successive halving or Hyperband in the report: each bracket's rungs, and where each configuration got to. */
export interface HalvingReport {
  method: 'halving' | 'hyperband';
  rungs: Array<{
    bracket: number;
    rung: number;
    budgetChars: number;
    configs: number;
    runs: number;
    continued: number | null;
  }>;
  /** One per configuration (its furthest rung over the brackets), the ones that went furthest first, then by bracket and rank there. */
  stops: Array<{
    configId: string;
    runIds: string[];
    bracket: number;
    rung: number;
    budgetChars: number;
    valBpc: number | null;
    rank: number;
    decision: RungRow['decision'];
    /** A seed failed with an error there (it ranked last, as a diverged one). */
    failed: boolean;
  }>;
  /** Characters trained (each run once to the largest budget it reached) and by every configuration at the last budget. */
  trainChars: number;
  gridChars: number;
  /** Runs that failed with an error at some rung. */
  failed: string[];
}

/** Parameter importance (src/report/importance.ts): each varying knob's share of the variance of held-out bpc at one budget. */
export interface ImportanceReport {
  /** The training budget of the compared scores. */
  budgetChars: number;
  configs: number;
  /** Configurations at that budget without a score (a diverged or failed seed), left out. */
  excluded: number;
  /** Most important first: the main-effect share of the variance and its bootstrap 95 % interval. */
  knobs: Array<{
    knob: Knob;
    label: string;
    importance: number;
    lo: number;
    hi: number;
    scale: 'log' | 'linear' | 'categories';
  }>;
  /** What the main effects leave of the variance (interactions). */
  interactions: number;
  trees: number;
  resamples: number;
}

/** manifest.json as far as the report reads it: the sweep's Manifest with every field optional. */
export type Manifest = ManifestAsRead;

/** One results folder as read from disk (io.ts), before merging. */
export interface FolderTables {
  dir: string;
  manifest: Manifest | null;
  summary: SummaryRow[];
  curves: CurveRow[];
  samples: SampleRow[];
  /** Things the reader had to work around (absent files, torn last records, ...). */
  notes: string[];
  /**
   * Each run's final checkpoint, by run id, as a path relative to the folder: checkpoints/<run_id>.safetensors,
   * or, in a folder merged from shards, shards/<i>-of-<n>/checkpoints/<run_id>.safetensors.
   */
  checkpoints?: Record<string, string>;
  /** baselines.csv's rows; null or absent: the folder has no baselines.csv. */
  ladder?: LadderRow[] | null;
  /** rungs.csv (successive halving), if the folder has one. */
  rungs?: RungRow[];
  /** curves.csv was written before issue 21 (no whole_val_bpc column). */
  curvesLegacy?: boolean;
}

export type RunParams = KnobValues & { seed: string };

export type LeaderboardEntry = RunParams & {
  /** 1-based position among the ranked runs (finished with a held-out score) of its section; null for the rest. */
  rank: number | null;
  /** The section it is ranked in: the training characters of its score (runs are compared only at the same budget). */
  section: number | null;
  runId: string;
  status: LeaderStatus;
  valBpc: number | null;
  /** smooth_loss_per_char / ln 2 at the end of training. */
  trainBpc: number | null;
  markovOrder: number | null;
  markovBpc: number | null;
  /** valBpc − markovBpc (negative: the RNN beats the baseline). */
  delta: number | null;
  /** Parameter count (null: not recorded). */
  params: number | null;
  /** The best score on the curve text during the run, and where (null: not recorded). */
  bestValBpc: number | null;
  bestValChars: number | null;
  /** Early stopping ended the run before its budget (null: off or not recorded). */
  stoppedEarly: boolean | null;
  charsPerS: number | null;
  wallS: number | null;
  iterations: number | null;
  chars: number | null;
  divergedAtIteration: number | null;
  error: string | null;
  /** Short human note: error text, divergence point, partial progress of a missing run. */
  note: string | null;
  /** The run's final checkpoint, relative to the report's folder (src/checkpoint), if kept. */
  checkpoint?: string;
};

/** One configuration (the runs that differ only in their seed), with its statistics across seeds. */
export type ConfigEntry = KnobValues & {
  /** 1-based by mean held-out bpc among the configurations of its section with a finished run; null for the rest. */
  rank: number | null;
  /** The training characters its runs were scored at; configurations are ranked and tested only within one. */
  section: number | null;
  /** The run id without its seed ("h100-u16-c5-lr0.1"). */
  configId: string;
  runIds: string[];
  seeds: string[];
  /** Runs of the configuration (any status) and how many finished with a score. */
  runs: number;
  n: number;
  mean: number | null;
  sd: number | null;
  /** 95 % Student-t interval for the mean (n ≥ 2). */
  lo: number | null;
  hi: number | null;
  halfWidth: number | null;
  verdict: Verdict | null;
  /** Welch's p against the best configuration of its section. */
  p: number | null;
  /** mean − the best's mean, its 95 % Welch interval, and the seeds a side at which that difference would be significant. */
  diff: number | null;
  diffLo: number | null;
  diffHi: number | null;
  seedsNeeded: number | null;
  markovBpc: number | null;
  /** mean − Markov baseline. */
  delta: number | null;
  params: number | null;
  /** Mean over the seeds of each run's best held-out score (null unless every finished run recorded one). */
  bestMean: number | null;
  charsPerS: number | null;
  note: string | null;
};

/** The leaderboard by configuration; `multiSeed` false: one seed each, no difference tested. */
export interface Grouping {
  multiSeed: boolean;
  configs: ConfigEntry[];
}

export interface KnobValueStats {
  value: KnobValue;
  runs: number;
  finished: number;
  /** Best and median of the configurations' mean held-out bpc at this value. */
  best: number | null;
  median: number | null;
  /** The best configuration (its run id when it has one run). */
  bestRunId: string | null;
}

export interface KnobStats {
  knob: Knob;
  label: string;
  values: KnobValueStats[];
  /**
   * Groups of configurations (same other knobs, same budget) in which this knob takes two values or
   * more: best and median are over those alone, so each value is compared with the others where
   * nothing else differs. 0 with several values: nothing can be compared (a ladder's union of grids).
   */
  comparableGroups: number;
  /** What the comparison rests on, one sentence for the renderers. */
  note: string;
}

export interface HeatCell {
  learningRate: KnobValue;
  hiddenSize: KnobValue;
  /** Best configuration mean in the cell. */
  best: number | null;
  runs: number;
  finished: number;
}

export interface SamplePick {
  role: 'best' | 'markov' | 'worst';
  title: string;
  runId: string;
  model: 'rnn' | 'markov';
  iteration: number | null;
  temperature: number | null;
  valBpc: number | null;
  /** Truncated to the common length of the picks. */
  text: string;
}

export interface MarkovBaseline {
  order: number | null;
  bpc: number;
}

export interface FolderFacts {
  dir: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** finishedAt − startedAt in seconds, null while running. */
  wallS: number | null;
  machine: string | null;
  node: string | null;
  charlab: string | null;
}

export interface Facts {
  experimentName: string | null;
  backend: string | null;
  workers: number | null;
  budgetChars: number | null;
  seeds: string[];
  grid: Record<Knob, KnobValue[]>;
  /** How configurations were chosen, one line ("random: 16 samples, sampler seed 7; …"); null for a grid. */
  search: string | null;
  markovOrder: number | null;
  validation: string | null;
  corpus: NonNullable<Manifest['corpus']> | null;
  folders: FolderFacts[];
  /** Earliest start to latest finish over all folders (null if any folder has not finished). */
  spanS: number | null;
  /** Sum of per-folder wall times (null if any folder has not finished). */
  sumFolderWallS: number | null;
  sumRunWallS: number;
  totalChars: number;
  expectedRuns: number;
  seenRuns: number;
}

export interface Counts {
  expected: number;
  done: number;
  diverged: number;
  failed: number;
  missing: number;
}

/** Everything the renderers need; built by buildReportData() from the folders' tables. */
export interface ReportData {
  dirs: string[];
  leaderboard: LeaderboardEntry[];
  grouping: Grouping;
  knobs: KnobStats[];
  heatmap: HeatCell[];
  baselines: MarkovBaseline[];
  /** The ladder of Markov baselines (baselines.csv), or null with the reason in ladderMissing. */
  ladder: Ladder | null;
  /** Why there is no ladder (not recorded, validation 0, switched off); null when there is one. */
  ladderMissing: string | null;
  samples: SamplePick[];
  sampleLength: number;
  facts: Facts;
  counts: Counts;
  /** Notes about what is missing or was worked around; shown in the report's "Missing" section. */
  notes: string[];
  /** Curves merged by run (first folder holding a run wins). */
  curves: Map<string, CurveRow[]>;
  vocabSize: number | null;
  /** Successive halving's or Hyperband's rungs (null for other sweeps). */
  halving?: HalvingReport | null;
  /** The budgets the ranked runs were scored at, largest first: one section each (one for a grid or random search). */
  sections: Array<number | null>;
  /** What the runs' curve scores (and best scores) read. */
  curveText: CurveText;
  /** Parameter importance (null: too few comparable configurations, or no knob varies). */
  importance?: ImportanceReport | null;
}

/** What the curve scores read (src/report/curveText.ts). */
export interface CurveText {
  /** Held-out characters each curve score reads (null: unknown). */
  chars: number | null;
  /** Characters of the whole held-out text (null: unknown). */
  heldOut: number | null;
  /** Tables from before issue 21: the best score is over whole-text scores (with a slice curve, the final score only). */
  legacy: boolean;
  /** Early stopping's rule, if the experiment had one. */
  earlyStopping: { patience: number; minDelta: number } | null;
}

/** One labelled fact, plain text (each renderer escapes it). */
export interface FactItem {
  label: string;
  value: string;
}

/** A group of facts the report's renderers lay out (src/report/facts.ts). */
export interface FactGroup {
  title: string;
  items: FactItem[];
  /** Shown instead of the items when the group has no source at all. */
  unknown?: string;
}

export interface PlotFile {
  /** Path relative to the report folder, with forward slashes: "plots/curves-by-hidden.svg". */
  file: string;
  title: string;
  caption: string;
}

export interface RenderedPlot extends PlotFile {
  svg: string;
}
