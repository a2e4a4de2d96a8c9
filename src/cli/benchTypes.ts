/** The vocabulary `charlab bench` (bench.ts) and its sections (bench*.ts) share: options, context, rows. */

/** One figure. Rows of every section share these columns (unused ones stay empty). */
export interface Measurement {
  section: string;
  /** What was measured: a backend ('native', 'wasm', 'reference', 'numpy') or a ratio ('native/wasm'). */
  subject: string;
  metric: string; // e.g. 'train_chars_per_sec', 'ratio'
  hidden?: number;
  unroll?: number;
  value: number | null; // null: not measured (see note)
  unit: string;
  /** Characters processed and wall seconds of the timed part. */
  chars?: number;
  seconds?: number;
  /** The same rate over process CPU time instead of wall time. */
  cpuValue?: number | null;
  note?: string;
}

/** A gated cell's shape measured by section "cells". */
export interface CellShape {
  cell: 'lstm' | 'gru';
  hidden: number;
}

export interface BenchOptions {
  corpus: string;
  /** Hidden sizes of each section: --hidden sets them all; else each section's own defaults (--quick: smaller). */
  hidden: number[];
  sweepHidden: number[];
  /** Section "cells": LSTM 256 and 512, GRU 512 (--quick: LSTM 64; --hidden: an LSTM of each size). */
  cellShapes: CellShape[];
  unroll: number;
  seconds: number;
  warmup: number;
  /** Turns over the subjects of a comparison (section "cells"): each figure is the median. */
  repeats: number;
  /** The sections to run (default: all). */
  sections: string[];
  python: string;
  numpy: boolean;
  /** CSV file for the figures; null: not written (a --quick run without --out). */
  out: string | null;
  json: boolean;
  quick: boolean;
}

export interface BenchCorpus {
  path: string;
  ids: Int32Array;
  vocabSize: number;
}

export interface BenchContext {
  options: BenchOptions;
  corpus: BenchCorpus;
  /** Progress messages (stderr). */
  log(msg: string): void;
}

export interface BenchSection {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}

export interface SectionResult {
  measurements: Measurement[];
  /** Human-readable rendering (a table and notes) for the terminal. */
  render(): string;
  /** Extra facts for --json (e.g. the numpy BLAS). */
  info?: Record<string, unknown>;
}

export interface Rate {
  charsPerSec: number;
  cpuCharsPerSec: number | null;
  chars: number;
  seconds: number;
}
