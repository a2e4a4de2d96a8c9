/**
 * Issue 14, successive halving: the rung budgets and a rung's decisions (pure), and halving sweeps
 * through the CLI: the same decisions and tables with 1 and 2 workers and after a kill -9 mid-sweep;
 * a promoted run, continued from its rung checkpoints, equal to a run trained straight to its
 * budget; rungs.csv; bad settings refused with exit 2 naming the key; --plan showing the rungs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.js';
import {
  decideRung,
  halvingChars,
  keptCount,
  rungBudgets,
  rungCounts,
  type RungResult,
} from '../src/sweep/search/halving.js';
import type { RunSpec } from '../src/sweep/grid.js';
import { stagedWork } from '../src/sweep/work.js';
import { plannedTrainings } from '../src/sweep/search/hyperband.js';
import { runCli, smallCorpus, startCli, tempDir, writeExperiment } from './helpers/cli.js';
import { rungExperiment, tableRows, waitFor } from './helpers/staged.js';

describe('rung budgets and decisions', () => {
  test('budgets grow eta-fold from minChars, the last one exactly maxChars', () => {
    expect(rungBudgets({ eta: 3, minChars: 1000 }, 20_000)).toEqual([1000, 3000, 9000, 20_000]);
    expect(rungBudgets({ eta: 3, minChars: 1000 }, 9000)).toEqual([1000, 3000, 9000]);
    expect(rungBudgets({ eta: 2, minChars: 5000 }, 5000)).toEqual([5000]);
  });

  test("each rung keeps max(1, floor(n / eta)); characters count only each rung's increment", () => {
    expect([27, 9, 3, 2, 1].map((n) => keptCount(n, 3))).toEqual([9, 3, 1, 1, 1]);
    expect(rungCounts(27, 4, 3)).toEqual([27, 9, 3, 1]);
    // 27 × 1000 + 9 × 2000 + 3 × 6000 + 1 × 18000, per seed
    expect(halvingChars([1000, 3000, 9000, 27_000], [27, 9, 3, 1], 2)).toBe(2 * (27_000 + 18_000 + 18_000 + 18_000));
  });

  test("the work a halving sweep plans: one training per run and rung, each its increment, at the runs' mean cost", () => {
    const configs = ['a', 'b', 'c'];
    const runs = configs.flatMap((c, i) =>
      [1, 2].map((seed) => ({ id: `${c}-s${seed}`, cost: i + 1 })),
    ) as unknown as RunSpec[];
    const cost = (r: RunSpec) => (r as unknown as { cost: number }).cost;
    // rungs 1000, 2000 (eta 2): 3 then 1 configuration × 2 seeds; mean cost 2
    const trainings = plannedTrainings([1000, 2000], 2, 2, [{ bracket: 1, startLevel: 0, configs: 3 }]);
    const plan = { runs, stage: [], settled: new Map(), decisions: [], totalConfigs: 3, trainings };
    expect(stagedWork(plan, () => undefined, cost)).toEqual({ tasks: 8, done: 0, work: 2 * (6 * 1000 + 2 * 1000) });
    // resumed with rung 1 recorded and one run of rung 2: what is left
    const observed = (id: string, budget: number) =>
      budget === 1000 || id === 'a-s1' ? { status: 'done' as const, valBpc: 1 } : undefined;
    expect(stagedWork(plan, observed, cost)).toEqual({ tasks: 8, done: 7, work: 2 * 1000 });
  });

  const r = (config: string, index: number, seed: number, valBpc: number | null): RungResult => ({
    runId: `${config}-s${seed}`,
    configId: config,
    configIndex: index,
    valBpc,
  });

  test('configurations ranked on their mean over seeds; a diverged seed ranks its configuration last; ties by plan order', () => {
    const results = [
      r('a', 0, 1, 2.0),
      r('a', 0, 2, 3.0), // mean 2.5
      r('b', 1, 1, 2.4),
      r('b', 1, 2, 2.6), // mean 2.5: tied with a, after it (plan order)
      r('c', 2, 1, 1.0),
      r('c', 2, 2, null), // diverged seed: last, whatever the other scored
      r('d', 3, 1, 2.2),
      r('d', 3, 2, 2.2), // mean 2.2: best
    ];
    const d = decideRung(results, 2, false);
    const byConfig = Object.fromEntries(d.map((x) => [x.configId, [x.rank, x.decision, x.configValBpc]]));
    expect(byConfig).toEqual({
      d: [1, 'promoted', 2.2],
      a: [2, 'promoted', 2.5],
      b: [3, 'stopped', 2.5],
      c: [4, 'stopped', null],
    });
    expect(d.map((x) => x.runId)).toEqual(results.map((x) => x.runId)); // in the order given
    expect(decideRung(results, 2, true).every((x) => x.decision === 'final')).toBe(true);
  });

  test('a configuration that diverged is never promoted, even when it is the only one', () => {
    expect(decideRung([r('a', 0, 1, null)], 3, false)[0].decision).toBe('stopped');
  });
});

const table = tableRows;
const TABLES = ['summary.csv', 'curves.csv', 'samples.csv', 'rungs.csv'];

describe('halving sweeps', () => {
  let dir: string;
  let reference: string;
  let referenceStderr: string;
  // rungs of 2,400, 4,800 and 9,600 characters (eta 2: 6 → 3 → 1 configurations).
  const EXP = rungExperiment('hv', { method: 'halving' });

  beforeAll(async () => {
    dir = tempDir('charlab-halving-');
    smallCorpus(dir, 100_000);
    reference = join(dir, 'w1');
    const res = await runCli(['sweep', writeExperiment(dir, EXP), '--out', reference]);
    expect(res.code, res.stderr).toBe(0);
    referenceStderr = res.stderr;
  });

  test("progress counts each run's training at each rung (12 + 6 + 2), each against its rung's budget", () => {
    const first = referenceStderr.split('\n').find((l) => l.startsWith('sweep: 0/'));
    expect(first).toMatch(/^sweep: 0\/20 runs; running \S+ 0%; ETA …$/);
  });

  test("rungs.csv records each rung's decisions; summary.csv one row per run with the characters of its last rung", () => {
    const rungs = table(reference, 'rungs.csv');
    const perRung = [1, 2, 3].map((k) => rungs.filter((x) => x.rung === String(k)));
    expect(perRung.map((x) => x.length)).toEqual([12, 6, 2]); // 6, 3, 1 configurations × 2 seeds
    expect(perRung.map((x) => [...new Set(x.map((y) => y.budget_chars))])).toEqual([['2400'], ['4800'], ['9600']]);
    // promoted: the best floor(n/2) by mean; the next rung runs exactly those
    for (const k of [0, 1]) {
      const promoted = perRung[k].filter((x) => x.decision === 'promoted');
      expect(promoted.every((x) => Number(x.rank) <= [3, 1][k])).toBe(true);
      expect(perRung[k + 1].map((x) => x.run_id).sort()).toEqual(promoted.map((x) => x.run_id).sort());
    }
    expect(perRung[2].every((x) => x.decision === 'final')).toBe(true);
    const summary = table(reference, 'summary.csv');
    expect(summary).toHaveLength(12);
    for (const s of summary) {
      const last = rungs.filter((x) => x.run_id === s.run_id).at(-1)!;
      expect(s.chars).toBe(last.budget_chars);
      expect(s.val_bpc).toBe(last.val_bpc); // the run's score at the rung it stopped at
    }
    // the rung files are gone; each run keeps its final checkpoint
    expect(readdirSync(join(reference, 'checkpoints')).sort()).toEqual(
      summary.map((s) => `${s.run_id}.safetensors`).sort(),
    );
  });

  test('2 workers: the same decisions and tables', async () => {
    const out = join(dir, 'w2');
    const res = await runCli(['sweep', writeExperiment(dir, EXP, 'w2.json'), '--out', out, '--workers', '2']);
    expect(res.code, res.stderr).toBe(0);
    for (const file of TABLES) expect(table(out, file), file).toEqual(table(reference, file));
  });

  test('a promoted run continued from its rung checkpoints equals a run trained straight to the full budget', async () => {
    const winner = table(reference, 'rungs.csv').filter((x) => x.decision === 'final');
    const ids = winner.map((x) => x.run_id);
    const best = table(reference, 'summary.csv').find((s) => s.run_id === ids[0])!;
    const straight = {
      ...EXP,
      name: 'straight',
      search: undefined,
      grid: { hiddenSize: [Number(best.hidden_size)], unroll: [8], learningRate: [Number(best.learning_rate)] },
    };
    const out = join(dir, 'straight');
    const res = await runCli(['sweep', writeExperiment(dir, straight, 'straight.json'), '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    for (const file of ['summary.csv', 'curves.csv', 'samples.csv']) {
      const mine = table(reference, file).filter((x) => ids.includes(x.run_id));
      expect(mine.length, file).toBeGreaterThan(0);
      expect(mine, file).toEqual(table(out, file));
    }
    for (const id of ids) {
      const ck = (d: string) => decodeCheckpoint(readFileSync(join(d, 'checkpoints', `${id}.safetensors`)));
      expect(ck(reference).state, id).toEqual(ck(out).state);
    }
  });

  test('kill -9 mid-sweep, then the same command: the same decisions and tables', async () => {
    const out = join(dir, 'killed');
    const exp = writeExperiment(dir, EXP, 'killed.json');
    const first = startCli(['sweep', exp, '--out', out]);
    // Killed inside the second rung: its first run has recorded its outcome, the rest have not.
    await waitFor(
      'a second-rung outcome',
      () =>
        existsSync(join(out, 'checkpoints')) &&
        readdirSync(join(out, 'checkpoints')).some((f) => f.endsWith('.rung1.outcome.json')),
    );
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(table(out, 'rungs.csv').every((x) => x.rung === '1')).toBe(true); // only the first rung decided
    expect(table(out, 'summary.csv').length).toBeLessThan(12);

    const again = await runCli(['sweep', exp, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    for (const file of TABLES) expect(table(out, file), file).toEqual(table(reference, file));
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(readdirSync(join(reference, 'checkpoints')).sort());
    const nothing = await runCli(['sweep', exp, '--out', out]);
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stderr).toMatch(/nothing to do/);
  });

  test('the report shows each rung and where each configuration stopped (Markdown, HTML, terminal)', async () => {
    const res = await runCli(['report', reference]);
    expect(res.code, res.stderr).toBe(0);
    // 12 × 2,400 + 6 × 2,400 + 2 × 4,800 = 52,800 of 12 × 9,600 = 115,200 (46 %)
    expect(res.stdout).toMatch(/Successive halving\. 52,800 training characters in all: 46 % of the 115,200/);
    const md = readFileSync(join(reference, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('## Successive halving'), md.indexOf('## Per knob'));
    expect(section).toMatch(/\| 1 \| 2,400 \| 6 \| 12 \| 3 \|/);
    expect(section).toMatch(/\| 3 \| 9,600 \| 1 \| 2 \| — \(last rung\) \|/);
    const stops = table(reference, 'rungs.csv').filter((x) => x.decision !== 'promoted');
    expect(
      section.split('\n').filter((l) => / \| stopped \|$| \| trained to the full budget \|$/.test(l)),
    ).toHaveLength(stops.length / 2); // one row per configuration
    expect(readFileSync(join(reference, 'report.html'), 'utf8')).toMatch(
      /<h2>Successive halving<\/h2>[\s\S]*Where each configuration stopped/,
    );
  });

  test('--plan shows the rung budgets, as text and as JSON; nothing is trained', async () => {
    const exp = writeExperiment(dir, { ...EXP, corpus: 'missing.txt' }, 'plan.json');
    const text = await runCli(['sweep', exp, '--plan']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/rung 1: 6 configuration\(s\) × 2 seed\(s\) to 2,400 characters/);
    expect(text.stderr).toMatch(/rung 3: 1 configuration\(s\) × 2 seed\(s\) to 9,600 characters/);
    const json = await runCli(['sweep', exp, '--plan', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as {
      method: string;
      runs: unknown[];
      halving: { rungs: Array<{ budgetChars: number; runs: number }>; trainChars: number; gridChars: number };
    };
    expect(plan.method).toBe('halving');
    expect(plan.runs).toHaveLength(12);
    expect(plan.halving.rungs.map((x) => [x.budgetChars, x.runs])).toEqual([
      [2400, 12],
      [4800, 6],
      [9600, 2],
    ]);
    expect(plan.halving.trainChars).toBe(12 * 2400 + 6 * 2400 + 2 * 4800);
    expect(plan.halving.gridChars).toBe(12 * 9600);
  });

  test.each([
    ['eta below 2', { eta: 1 }, /search\.eta: expected an integer of at least 2/],
    ['minChars above the budget', { minChars: 19_200 }, /search\.minChars: expected at most maxChars \(9600\)/],
    ['maxChars other than budget.chars', { maxChars: 4800 }, /search\.maxChars: expected budget\.chars \(9600\)/],
    ['minChars cutting a chunk', { minChars: 2404 }, /search\.minChars: 2404 is not a multiple of 8/],
    [
      'a best checkpoint',
      { checkpoints: { keep: 'best' } },
      /checkpoints\.keep: expected "final" or "none" with successive halving/,
    ],
  ])('refused with exit 2 naming the key: %s', async (_what, change, message) => {
    const { checkpoints, ...search } = change as { checkpoints?: unknown };
    const exp = { ...EXP, search: { ...EXP.search, ...search }, ...(checkpoints ? { checkpoints } : {}) };
    const res = await runCli(['sweep', writeExperiment(dir, exp, 'bad.json'), '--plan']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  test('once runs are recorded, a change of the search settings or of the grid is refused with exit 2, the tables untouched', async () => {
    const before = TABLES.map((f) => readFileSync(join(reference, f), 'utf8'));
    const search = await runCli([
      'sweep',
      writeExperiment(dir, { ...EXP, search: { ...EXP.search, minChars: 1200 } }, 'changed.json'),
      '--out',
      reference,
    ]);
    expect(search.code).toBe(2);
    expect(search.stderr).toMatch(/the search settings changed since 12 run\(s\) were recorded/);
    const grid = await runCli([
      'sweep',
      writeExperiment(dir, { ...EXP, seeds: [1, 2, 3] }, 'changed.json'),
      '--out',
      reference,
    ]);
    expect(grid.code).toBe(2);
    expect(grid.stderr).toMatch(/the grid or seeds changed/);
    expect(TABLES.map((f) => readFileSync(join(reference, f), 'utf8'))).toEqual(before);
  });

  test('--shard is refused with exit 2 (a rung needs every result of the one before), nothing written', async () => {
    const out = join(dir, 'shard');
    const res = await runCli(['sweep', writeExperiment(dir, EXP, 'shard.json'), '--shard', '0/2', '--out', out]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--shard 0\/2: not with successive halving/);
    expect(existsSync(out)).toBe(false);
  });
});
