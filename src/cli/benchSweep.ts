/**
 * Bench section "sweep": the throughput of a whole sweep (pool, workers, tables, Markov baselines,
 * evaluation — everything a user waits for) with 1 and with 2 workers, on the same small grid,
 * each in a fresh temporary results folder. Throughput = training characters of all runs / wall s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Table from 'cli-table3';
import { runSweep } from '../sweep/sweep.js';
import type { BenchSection, Measurement } from './benchTypes.js';

const TARGET_2W = 1.8;

export const sweepSection: BenchSection = {
  name: 'sweep',
  title: 'Sweep throughput, 1 and 2 workers',
  async run(ctx) {
    const o = ctx.options;
    const budget = o.quick ? 100_000 : 400_000;
    const experiment = {
      name: 'bench-sweep',
      corpus: resolve(ctx.corpus.path),
      budget: { chars: budget },
      seeds: [1, 2],
      grid: { hiddenSize: o.sweepHidden, unroll: [16], clip: [5], learningRate: [0.05, 0.1] },
    };
    const runs = o.sweepHidden.length * 2 * 2;
    const rows: { workers: number; seconds: number; rate: number }[] = [];
    const measurements: Measurement[] = [];
    for (const workers of [1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), 'charlab-bench-'));
      try {
        const file = join(dir, 'exp.json');
        writeFileSync(file, JSON.stringify(experiment));
        ctx.log(`sweep of ${runs} runs × ${budget} chars with ${workers} worker(s) ...`);
        const t0 = performance.now();
        const result = await runSweep({ experimentPath: file, outDir: join(dir, 'out'), workers });
        const seconds = (performance.now() - t0) / 1000;
        if (result.summary.length !== runs || result.problems > 0)
          throw new Error(`bench sweep with ${workers} worker(s) did not complete`);
        const rate = (runs * budget) / seconds;
        rows.push({ workers, seconds, rate });
        measurements.push({
          section: this.name,
          subject: `sweep-${workers}w`,
          metric: 'sweep_chars_per_sec',
          value: rate,
          unit: 'chars/s',
          chars: runs * budget,
          seconds,
          note: `${runs} runs (hidden ${o.sweepHidden.join('/')}, lr 0.05/0.1, seeds 1/2), backend ${result.manifest.backend ?? '?'}, wall time incl. evaluation and Markov`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const speedup = rows[1].rate / rows[0].rate;
    measurements.push({
      section: this.name,
      subject: '2w/1w',
      metric: 'ratio',
      value: speedup,
      unit: 'x',
      note: `target >= ${TARGET_2W}x: ${speedup >= TARGET_2W ? 'met' : 'missed'}`,
    });
    return {
      measurements,
      render: () => renderSweep(this.title, rows, runs, budget),
    };
  },
};

/** The section's table: wall time, chars/s and speed-up per worker count. */
function renderSweep(
  title: string,
  rows: { workers: number; seconds: number; rate: number }[],
  runs: number,
  budget: number,
): string {
  const table = new Table({
    head: ['workers', 'wall s', 'chars/s', 'speed-up'],
    colAligns: ['right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const r of rows)
    table.push([
      String(r.workers),
      r.seconds.toFixed(1),
      Math.round(r.rate).toLocaleString('en-US'),
      `${(r.rate / rows[0].rate).toFixed(2)}×`,
    ]);
  return [
    `${title}: ${runs} runs × ${budget.toLocaleString('en-US')} chars (target 2 workers ≥ ${TARGET_2W}× one)`,
    table.toString(),
  ].join('\n');
}
