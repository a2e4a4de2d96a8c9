#!/usr/bin/env node
/**
 * Replay a staged search (halving, Hyperband, TPE) on the tables of a full grid already trained,
 * without training anything: each training the search asks for is answered from the grid's
 * recorded scores (summary.csv at the full budget; curves.csv's intermediate held-out score at a
 * rung budget, which reads evaluation.chars of the held-out text rather than all of it, so rung
 * decisions are approximate). Prints what the search would pick, its score in the grid, and the
 * characters it would train (shared trainings counted once), for one or many sampler seeds.
 *
 *   npm run build && node bench/search_replay.mjs experiments/holmes-hyperband.json results/holmes-grid27 [--seeds 1-50]
 *
 * The search's configurations must all be in the grid (a grid source, or a sampled space whose
 * choices are the grid's values). Used to choose an experiment's settings before spending the CPU
 * time; the figures it prints are estimates, not results.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { readExperimentFile } from '../dist/results/experimentFile.js';
import { stagedSearch } from '../dist/sweep/search/index.js';

const [expPath, gridDir, ...rest] = process.argv.slice(2);
if (!expPath || !gridDir) {
  process.stderr.write('usage: node bench/search_replay.mjs EXPERIMENT.json GRID_RESULTS_DIR [--seeds A-B]\n');
  process.exit(2);
}
const seedsArg = rest[rest.indexOf('--seeds') + 1];
const [lo, hi] = rest.includes('--seeds') ? seedsArg.split('-').map(Number) : [null, null];

const table = (file) => parse(readFileSync(join(gridDir, file)), { columns: true });
const summary = new Map(table('summary.csv').map((r) => [r.run_id, r]));
const curves = new Map();
for (const r of table('curves.csv')) if (r.val_bpc !== '') curves.set(`${r.run_id}@${r.chars}`, Number(r.val_bpc));

function replay(exp) {
  const full = exp.budget.chars;
  const search = stagedSearch(exp);
  const reached = new Map(); // run id → largest budget trained
  const seen = new Map();
  const observed = (id, budget) => seen.get(`${id}@${budget}`);
  const answer = (id, budget) => {
    const row = summary.get(id);
    if (!row) throw new Error(`${id} is not in ${gridDir}/summary.csv: the search leaves the grid`);
    if (row.status !== 'done' && (budget === full || !curves.has(`${id}@${budget}`)))
      return { status: row.status, valBpc: null };
    const v = budget === full ? Number(row.val_bpc) : curves.get(`${id}@${budget}`);
    if (v === undefined)
      throw new Error(`${gridDir}/curves.csv has no held-out score of ${id} at ${budget} characters`);
    return { status: 'done', valBpc: v };
  };
  for (let plan = search.plan(observed); plan.stage.length > 0; plan = search.plan(observed)) {
    for (const { run, budget } of plan.stage) {
      if (observed(run.id, budget)) continue;
      seen.set(`${run.id}@${budget}`, answer(run.id, budget));
      reached.set(run.id, Math.max(reached.get(run.id) ?? 0, budget));
    }
  }
  const chars = [...reached.values()].reduce((a, b) => a + b, 0);
  // CPU seconds at the speed each run had in the grid (chars_per_s, measured while the grid's workers shared the cores).
  const cpuS = [...reached].reduce((s, [id, b]) => s + b / Number(summary.get(id).chars_per_s || Infinity), 0);
  // The pick: the best configuration (mean over seeds) among those trained to the full budget.
  const byConfig = new Map();
  for (const [id, b] of reached) {
    if (b !== full) continue;
    const config = id.replace(/-s\d+$/, '');
    const o = seen.get(`${id}@${full}`);
    const list = byConfig.get(config) ?? [];
    list.push(o.valBpc ?? Infinity);
    byConfig.set(config, list);
  }
  const ranked = [...byConfig]
    .map(([c, v]) => [c, v.reduce((a, b) => a + b, 0) / v.length])
    .sort((a, b) => a[1] - b[1]);
  return { pick: ranked[0]?.[0] ?? null, score: ranked[0]?.[1] ?? null, chars, cpuS };
}

const { experiment } = readExperimentFile(expPath);
const gridChars = [...summary.keys()].length * experiment.budget.chars;
const withSeed = (seed) => {
  const s = experiment.search;
  if (s.sampler) return { ...experiment, search: { ...s, sampler: { ...s.sampler, seed } } };
  return { ...experiment, search: { ...s, seed } };
};
const runs =
  lo === null
    ? [[null, replay(experiment)]]
    : Array.from({ length: hi - lo + 1 }, (_, i) => [lo + i, replay(withSeed(lo + i))]);
for (const [seed, r] of runs) {
  const pct = ((100 * r.chars) / gridChars).toFixed(1);
  const cpu = `about ${Math.round(r.cpuS).toLocaleString('en-US')} CPU-seconds of training at the grid's speeds`;
  process.stdout.write(
    `${seed === null ? '' : `seed ${seed}: `}pick ${r.pick} at ${r.score?.toFixed(3)} bpc; ${r.chars.toLocaleString('en-US')} training characters (${pct} % of the grid's ${gridChars.toLocaleString('en-US')}); ${cpu}\n`,
  );
}
if (runs.length > 1) {
  // The grid's best configuration (mean over its seeds, every seed done) and how often the pick is within 0.02 bpc of it.
  const means = new Map();
  for (const r of summary.values()) {
    const c = r.run_id.replace(/-s\d+$/, '');
    const list = means.get(c) ?? [];
    list.push(r.status === 'done' ? Number(r.val_bpc) : Infinity);
    means.set(c, list);
  }
  const best = Math.min(...[...means.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length));
  const near = runs.filter(([, r]) => r.score !== null && r.score <= best + 0.02).length;
  const shares = runs.map(([, r]) => r.chars / gridChars).sort((a, b) => a - b);
  const median = shares[Math.floor(shares.length / 2)];
  process.stdout.write(
    `grid's best ${best.toFixed(3)}: the pick is within 0.02 bpc of it for ${near} of ${runs.length} seeds; ` +
      `characters: median ${(100 * median).toFixed(1)} %, at most ${(100 * shares[shares.length - 1]).toFixed(1)} % of the grid's\n`,
  );
}
