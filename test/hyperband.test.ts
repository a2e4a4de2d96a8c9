/**
 * Issue 24, Hyperband: its brackets, and each bracket's decisions from hand-made scores (pure);
 * a failed run ranking last like a diverged one; the same decisions whatever order trainings end
 * in; Hyperband sweeps through the CLI: the same tables with 1 and 2 workers and after a kill -9
 * mid-sweep, every bracket in rungs.csv and in the report, --plan, and bad settings refused
 * naming the key. Also: a random sample fed to successive halving, and a run failing in a halving
 * sweep no longer holding its rung back.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { configId } from '../src/results/knobs.js';
import { parseExperiment } from '../src/results/experimentFile.js';
import { bracketShapes, hyperbandSearch } from '../src/sweep/search/hyperband.js';
import { randomConfigs } from '../src/sweep/search/random.js';
import type { BracketDecision, Observation, Observed } from '../src/sweep/search/staged.js';
import type { Experiment, HyperbandSearch } from '../src/results/schema.js';
import { runCli, smallCorpus, startCli, tempDir, writeExperiment } from './helpers/cli.js';
import { rungExperiment, tableRows, waitFor } from './helpers/staged.js';

describe('brackets', () => {
  test('n_s = ⌈(s_max+1) · eta^s / (s+1)⌉ configurations, bracket k starting at the k-th budget', () => {
    expect(bracketShapes(3, 4)).toEqual([
      { bracket: 1, startLevel: 0, configs: 27 },
      { bracket: 2, startLevel: 1, configs: 12 },
      { bracket: 3, startLevel: 2, configs: 6 },
      { bracket: 4, startLevel: 3, configs: 4 },
    ]);
    expect(bracketShapes(2, 3).map((b) => b.configs)).toEqual([4, 3, 3]);
    expect(bracketShapes(3, 1).map((b) => b.configs)).toEqual([1]);
  });
});

// 9 configurations, budgets 100, 300, 900 (eta 3): brackets of 9 @ 100, 5 @ 300, 3 @ 900.
const HB = {
  name: 'hb',
  corpus: 'x.txt',
  budget: { chars: 900 },
  seeds: [1, 2],
  grid: { hiddenSize: [8, 16, 32], learningRate: [0.01, 0.1, 1] },
  search: { method: 'hyperband', eta: 3, minChars: 100, seed: 5 },
};
type HbExperiment = Experiment & { search: HyperbandSearch };
const hbExperiment = (over: object = {}) => parseExperiment({ ...HB, ...over }, 'hb.json') as HbExperiment;

/** Hand-made scores: a low learning rate starts slow (worse early) and ends best; the seed adds a little. */
function score(r: { hiddenSize: number; learningRate: number; seed: number }, budget: number): number {
  const final = 2 + Math.abs(Math.log10(r.learningRate) + 2) * 0.3 + Math.abs(Math.log2(r.hiddenSize) - 4) * 0.1;
  const slow = r.learningRate === 0.01 ? 1.5 : 0.2;
  return final + (slow * (900 / budget - 1)) / 8 + 0.001 * r.seed;
}

/** Plays the search against `answer`, each stage's trainings answered in `order`: every training asked for, and the last plan. */
function play(
  exp: HbExperiment,
  answer: (id: string, r: never, budget: number) => Observation,
  order: <T>(xs: T[]) => T[] = (xs) => xs,
) {
  const search = hyperbandSearch(exp);
  const seen = new Map<string, Observation>();
  const asked: string[] = [];
  const observed: Observed = (id, budget) => seen.get(`${id}@${budget}`);
  const stageBudgets: number[] = [];
  for (let plan = search.plan(observed); plan.stage.length > 0; plan = search.plan(observed)) {
    stageBudgets.push(plan.stage[0].budget);
    for (const { run, budget } of order(plan.stage)) {
      asked.push(`${run.id}@${budget}`);
      seen.set(`${run.id}@${budget}`, answer(run.id, run as never, budget));
    }
  }
  return { asked, stageBudgets, plan: search.plan(observed) };
}
const done = (_id: string, r: never, budget: number): Observation => ({ status: 'done', valBpc: score(r, budget) });

describe('Hyperband decisions from hand-made scores', () => {
  const exp = hbExperiment();
  const { asked, stageBudgets, plan } = play(exp, done);
  const byRung = (ds: BracketDecision[]) => {
    const m = new Map<string, BracketDecision[]>();
    for (const d of ds) m.set(`${d.bracket}:${d.rung}`, [...(m.get(`${d.bracket}:${d.rung}`) ?? []), d]);
    return m;
  };

  test('the brackets advance together, one stage per budget; every training once, a shared one too', () => {
    expect(stageBudgets).toEqual([100, 300, 900]);
    expect(new Set(asked).size).toBe(asked.length);
    const rungs = byRung(plan.decisions);
    expect([...rungs.keys()]).toEqual(['1:1', '1:2', '1:3', '2:1', '2:2', '3:1']);
    const configs = (k: string) => new Set(rungs.get(k)!.map((d) => d.configId)).size;
    expect(['1:1', '1:2', '1:3', '2:1', '2:2', '3:1'].map(configs)).toEqual([9, 3, 1, 5, 1, 3]);
    expect(plan.stage).toEqual([]);
    expect(plan.settled.size).toBe(plan.runs.length); // every run has its row
  });

  test('each rung promotes its best ⌊n/3⌋ configurations by mean score over seeds, ranked 1…n, ties to plan order', () => {
    for (const [key, rows] of byRung(plan.decisions)) {
      const budget = rows[0].budget;
      const means = new Map(
        rows.map((d) => [
          d.configId,
          (score({ ...parseId(d.runId), seed: 1 }, budget) + score({ ...parseId(d.runId), seed: 2 }, budget)) / 2,
        ]),
      );
      const order = [...means].sort((a, b) => a[1] - b[1]).map(([c]) => c);
      for (const d of rows) expect(d.rank, `${key} ${d.runId}`).toBe(order.indexOf(d.configId) + 1);
      const last = budget === 900;
      const promoted = new Set(rows.filter((d) => d.decision === 'promoted').map((d) => d.configId));
      expect(promoted, key).toEqual(
        last ? new Set() : new Set(order.slice(0, Math.max(1, Math.floor(order.length / 3)))),
      );
      if (last) expect(rows.every((d) => d.decision === 'final')).toBe(true);
    }
  });

  test('the slow starter is stopped early by the first bracket and reaches the full budget in a later one', () => {
    const first = plan.decisions.filter((d) => d.bracket === 1 && d.rung === 1 && d.configId.endsWith('lr0.01'));
    expect(first.every((d) => d.decision === 'stopped')).toBe(true);
    const final = plan.decisions.filter((d) => d.decision === 'final').map((d) => d.configId);
    expect(final.some((c) => c.endsWith('lr0.01'))).toBe(true);
  });

  test('the same decisions whatever order the trainings end in (any worker count)', () => {
    const reverse = <T>(xs: T[]) => [...xs].reverse();
    expect(play(exp, done, reverse).plan.decisions).toEqual(plan.decisions);
    const drawn = (p: typeof plan) => p.decisions.filter((d) => d.bracket > 1 && d.rung === 1).map((d) => d.runId);
    expect(drawn(play(hbExperiment({ search: { ...HB.search, seed: 6 } }), done).plan)).not.toEqual(drawn(plan)); // another seed draws other brackets
  });

  test('a training that fails ranks last like a diverged one, and stays failed at larger budgets', () => {
    const victim = `h16-u16-c5-lr0.1-s1`;
    const fail = (id: string, r: never, b: number): Observation =>
      id === victim ? { status: 'failed', valBpc: null } : done(id, r, b);
    const failed = play(exp, fail);
    const rows = failed.plan.decisions.filter((d) => d.runId === victim);
    expect(rows.length).toBeGreaterThan(0);
    for (const d of rows) {
      expect(d.status).toBe('failed');
      expect(d.rank).toBe(
        new Set(
          failed.plan.decisions.filter((x) => x.bracket === d.bracket && x.rung === d.rung).map((x) => x.configId),
        ).size,
      );
      expect(d.decision).not.toBe('promoted');
    }
    expect(failed.asked.filter((a) => a.startsWith(`${victim}@`))).toHaveLength(1); // never trained again
  });
});

describe('Hyperband with a TPE sampler (BOHB)', () => {
  const space = { hiddenSize: { choice: [8, 16, 32] }, learningRate: { choice: [0.01, 0.1, 1] } };
  const bohb = hbExperiment({
    grid: {},
    search: { method: 'hyperband', eta: 3, minChars: 100, sampler: { method: 'tpe', seed: 2, startup: 4, space } },
  });

  test('the brackets run one after another: a bracket is drawn only when the ones before it are decided', () => {
    const first = hyperbandSearch(bohb).plan(() => undefined);
    expect(first.runs).toHaveLength(9 * 2); // bracket 1's draws only
    expect(first.totalConfigs).toBe(9 + 5 + 3);
    const { stageBudgets, plan } = play(bohb, done);
    // Bracket 2 starts at 300 only after bracket 1 reached 900 (a bracket whose draws all ran already needs no stage: shared).
    expect(stageBudgets.slice(0, 4)).toEqual([100, 300, 900, 300]);
    expect(new Set(plan.decisions.map((d) => d.bracket))).toEqual(new Set([1, 2, 3]));
  });

  test('the same draws and decisions whatever order the trainings end in', () => {
    const reverse = <T>(xs: T[]) => [...xs].reverse();
    expect(play(bohb, done, reverse).plan.decisions).toEqual(play(bohb, done).plan.decisions);
  });
});

/** Knobs from a run id of this test's grid ("h16-u16-c5-lr0.1-s1"). */
function parseId(id: string): { hiddenSize: number; learningRate: number } {
  const m = /^h(\d+)-u\d+-c[\d.]+-lr([\d.]+)/.exec(id)!;
  return { hiddenSize: Number(m[1]), learningRate: Number(m[2]) };
}

const table = tableRows;
const TABLES = ['summary.csv', 'curves.csv', 'samples.csv', 'rungs.csv'];

describe('Hyperband sweeps', () => {
  let dir: string;
  let reference: string;
  // budgets 2,400, 4,800, 9,600 (eta 2): brackets of 4, 3 and 3 configurations.
  const EXP = rungExperiment('hyperband', { method: 'hyperband' });

  beforeAll(async () => {
    dir = tempDir('charlab-hyperband-');
    smallCorpus(dir, 100_000);
    reference = join(dir, 'w1');
    const res = await runCli(['sweep', writeExperiment(dir, EXP), '--out', reference]);
    expect(res.code, res.stderr).toBe(0);
  });

  test('rungs.csv holds every bracket; summary.csv one row per run at the largest budget any bracket trained it to', () => {
    const rungs = table(reference, 'rungs.csv');
    expect([...new Set(rungs.map((r) => r.bracket))]).toEqual(['1', '2', '3']);
    expect(rungs.filter((r) => r.bracket === '1' && r.rung === '1')).toHaveLength(8); // 4 configurations × 2 seeds at 2,400
    for (const s of table(reference, 'summary.csv')) {
      const largest = Math.max(...rungs.filter((r) => r.run_id === s.run_id).map((r) => Number(r.budget_chars)));
      expect(Number(s.chars), s.run_id).toBe(largest);
    }
    expect(readdirSync(join(reference, 'checkpoints')).filter((f) => f.includes('.rung'))).toEqual([]); // rung files gone
  });

  test('2 workers: the same decisions and tables', async () => {
    const out = join(dir, 'w2');
    const res = await runCli(['sweep', writeExperiment(dir, EXP, 'w2.json'), '--out', out, '--workers', '2']);
    expect(res.code, res.stderr).toBe(0);
    for (const file of TABLES) expect(table(out, file), file).toEqual(table(reference, file));
  });

  test('kill -9 mid-sweep, then the same command: the same decisions and tables', async () => {
    const out = join(dir, 'killed');
    const exp = writeExperiment(dir, EXP, 'killed.json');
    const first = startCli(['sweep', exp, '--out', out]);
    const ck = join(out, 'checkpoints');
    await waitFor(
      'a second-budget outcome',
      () => existsSync(ck) && readdirSync(ck).some((f) => f.endsWith('.rung1.outcome.json')),
    );
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const again = await runCli(['sweep', exp, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    for (const file of TABLES) expect(table(out, file), file).toEqual(table(reference, file));
  });

  test('the report shows every bracket and what it trained, shared trainings counted once', async () => {
    const res = await runCli(['report', reference]);
    expect(res.code, res.stderr).toBe(0);
    const md = readFileSync(join(reference, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('## Hyperband'), md.indexOf('## Parameter importance'));
    expect(section).toMatch(/\| bracket \| rung \| budget \(chars\) \| configurations \| runs \| continued \|/);
    expect(section).toMatch(/\| 3 \| 1 \| 9,600 \| 3 \| 6 \| — \(last rung\) \|/);
    const rungs = table(reference, 'rungs.csv');
    const reached = new Map<string, number>();
    for (const r of rungs) reached.set(r.run_id, Math.max(reached.get(r.run_id) ?? 0, Number(r.budget_chars)));
    const chars = [...reached.values()].reduce((a, b) => a + b, 0);
    expect(section).toContain(`${chars.toLocaleString('en-US')} training characters in all`);
  });

  test('--plan shows the brackets and the characters against every configuration at the full budget', async () => {
    const exp = writeExperiment(dir, { ...EXP, corpus: 'missing.txt' }, 'plan.json');
    const text = await runCli(['sweep', exp, '--plan']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/bracket 1: 4 to 2,400 → 2 to 4,800 → 1 to 9,600 \(38,400 characters\)/);
    expect(text.stderr).toMatch(/bracket 3: 3 to 9,600 \(57,600 characters\)/);
    const json = JSON.parse((await runCli(['sweep', exp, '--plan', '--json'])).stdout) as {
      hyperband: { brackets: unknown[]; trainChars: number };
    };
    expect(json.hyperband.brackets).toHaveLength(3);
    expect(json.hyperband.trainChars).toBe(38_400 + 38_400 + 57_600);
  });

  test.each([
    [
      'samples in a Hyperband sampler',
      { sampler: { method: 'random', samples: 4, seed: 1, space: { clip: { uniform: [1, 5] } } } },
      /search\.sampler\.samples: expected no samples with Hyperband/,
    ],
    [
      'a seed beside a sampler',
      { seed: 2, sampler: { method: 'random', seed: 1, space: { clip: { uniform: [1, 5] } } } },
      /search\.seed: expected the seed in one place/,
    ],
    ['minChars cutting a chunk', { minChars: 2404 }, /search\.minChars: 2404 is not a multiple of 8/],
    [
      'an unknown sampler',
      { sampler: { method: 'grid' } },
      /search\.sampler\.method: expected "method": "random", "tpe"/,
    ],
  ])('refused with exit 2 naming the key: %s', async (_what, change, message) => {
    const res = await runCli([
      'sweep',
      writeExperiment(dir, { ...EXP, search: { ...EXP.search, ...change } }, 'bad.json'),
      '--plan',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  test("successive halving of a random sample: random search's configurations of that seed, halved", async () => {
    const space = {
      hiddenSize: { logIntRange: [6, 16] as [number, number] },
      learningRate: { logUniform: [0.03, 0.3] as [number, number] },
    };
    const exp = {
      ...EXP,
      name: 'rh',
      grid: { unroll: [8] },
      search: { method: 'halving', eta: 2, minChars: 2400, sampler: { method: 'random', samples: 4, seed: 9, space } },
    };
    const json = JSON.parse(
      (await runCli(['sweep', writeExperiment(dir, exp, 'rh.json'), '--plan', '--json'])).stdout,
    ) as { runs: Array<{ id: string }> };
    const drawn = randomConfigs({
      grid: { unroll: [8] },
      search: { method: 'random', samples: 4, seed: 9, space },
    }).map(configId);
    expect([...new Set(json.runs.map((r) => r.id.replace(/-s\d$/, '')))]).toEqual(drawn);
    const bad = await runCli([
      'sweep',
      writeExperiment(
        dir,
        { ...exp, search: { ...exp.search, sampler: { method: 'random', seed: 9, space } } },
        'rh-bad.json',
      ),
      '--plan',
    ]);
    expect(bad.stderr).toMatch(/search\.sampler\.samples: expected the number of configurations to draw/);
    const tpe = await runCli([
      'sweep',
      writeExperiment(
        dir,
        { ...exp, search: { ...exp.search, sampler: { method: 'tpe', seed: 9, space } } },
        'rh-tpe.json',
      ),
      '--plan',
    ]);
    expect(tpe.stderr).toMatch(/search\.sampler\.method: expected "random" with successive halving/);
  });

  test('a run that fails ranks last in its rung like a diverged one; the sweep goes on; a rerun keeps it; the report says so', async () => {
    const out = join(dir, 'fault');
    const exp = writeExperiment(dir, rungExperiment('fault', { method: 'halving' }), 'fault.json');
    const victim = 'h12-u8-c5-lr0.1-s2';
    const env = { CHARLAB_TEST_FAULT: JSON.stringify({ [victim]: 'throw' }) };
    const res = await runCli(['sweep', exp, '--out', out], { env });
    expect(res.code, res.stderr).toBe(3); // a run failed
    const rungs = table(out, 'rungs.csv');
    const mine = rungs.filter((r) => r.run_id === victim);
    expect(mine).toEqual([expect.objectContaining({ rung: '1', status: 'failed', rank: '6', decision: 'stopped' })]);
    expect(rungs.filter((r) => r.rung === '3')).toHaveLength(2); // the rungs went on to the end
    expect(table(out, 'summary.csv').find((r) => r.run_id === victim)).toMatchObject({ status: 'failed' });
    const again = await runCli(['sweep', exp, '--out', out]);
    expect(again.stderr).toMatch(/nothing to do/);
    await runCli(['report', out]);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /1 run\(s\) failed with an error \(h12-u8-c5-lr0\.1-s2\): each ranked last in its rung, as a diverged run does/,
    );
  });
});
