/** What the tests of staged sweeps (halving, Hyperband, TPE) share: tables compared without timing, waiting on a sweep, the rung sweep. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { TIMING_COLUMNS } from '../../src/results/tables.js';

/** A table's rows without the columns that measure time (the only ones two runs of one sweep may differ in). */
export function tableRows(dir: string, file: string): Record<string, string>[] {
  const rows = parse<Record<string, string>>(readFileSync(join(dir, file)), { columns: true });
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !TIMING_COLUMNS.has(k))));
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The tests' rung sweep: 6 configurations × 2 seeds on the reference backend, rung budgets 2,400,
 * 4,800 and 9,600 characters with eta 2, on small.txt (smallCorpus), with checkpoints every 1,000
 * characters (slow enough to be killed mid-rung).
 */
export function rungExperiment(name: string, search: object) {
  return {
    name,
    corpus: 'small.txt',
    backend: 'reference',
    budget: { chars: 9600 },
    seeds: [1, 2],
    grid: { hiddenSize: [8, 12], unroll: [8], learningRate: [0.05, 0.1, 0.2] },
    search: { eta: 2, minChars: 2400, ...search },
    curves: { every: 1000 },
    evaluation: { every: 2000, chars: 500 },
    samples: { every: 3000, length: 20 },
    checkpoints: { every: 1000 },
    workers: 1,
  };
}
