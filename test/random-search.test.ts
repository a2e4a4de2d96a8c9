/**
 * Issue 14, random search: the same sampler seed gives the same configurations (values drawn in a
 * fixed order from seedrandom, rounded to 3 significant digits), every value lies in its
 * distribution's range, run ids are readable, the schema refuses what cannot be drawn (and an
 * unknown method), `sweep --plan` prints the plan without reading the corpus, and
 * a random sweep resumes like a grid.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planRuns } from '../src/sweep/grid.js';
import { KNOB_KEYS } from '../src/results/knobs.js';
import { parseExperiment } from '../src/results/experimentFile.js';
import { draw, roundSignificant } from '../src/sweep/search/random.js';
import type { ExperimentInput } from '../src/results/schema.js';
import { readTable } from '../src/results/tables.js';
import { runCli, smallCorpus, tempDir, writeExperiment } from './helpers/cli.js';

const RANDOM = {
  name: 'rs',
  corpus: 'small.txt',
  budget: { chars: 2000 },
  seeds: [1],
  search: {
    method: 'random',
    samples: 12,
    seed: 7,
    space: {
      hiddenSize: { logIntRange: [8, 64] },
      unroll: { choice: [4, 8] },
      clip: { uniform: [1, 5] },
      learningRate: { logUniform: [0.001, 0.1] },
    },
  },
} satisfies ExperimentInput;

const plan = (exp: unknown) => planRuns(parseExperiment(exp, 'exp.json'));

describe('drawing', () => {
  test('the same sampler seed gives the same configurations; another seed gives others', () => {
    const a = plan(RANDOM);
    const b = plan(JSON.parse(JSON.stringify(RANDOM)));
    expect(a.map((r) => r.id)).toEqual(b.map((r) => r.id));
    expect(a).toHaveLength(12);
    const c = plan({ ...RANDOM, search: { ...RANDOM.search, seed: 8 } });
    expect(new Set(c.map((r) => r.id))).not.toEqual(new Set(a.map((r) => r.id)));
  });

  test('every drawn value lies in its range and has the promised form', () => {
    for (const r of plan(RANDOM)) {
      expect(Number.isInteger(r.hiddenSize) && r.hiddenSize >= 8 && r.hiddenSize <= 64).toBe(true);
      expect([4, 8]).toContain(r.unroll);
      expect(r.clip).toBeGreaterThanOrEqual(1);
      expect(r.clip).toBeLessThanOrEqual(5);
      expect(r.learningRate).toBeGreaterThanOrEqual(0.001);
      expect(r.learningRate).toBeLessThanOrEqual(0.1);
      // 3 significant digits: the id spells the value exactly as the summary will.
      expect(roundSignificant(r.learningRate)).toBe(r.learningRate);
      expect(r.id).toBe(`h${r.hiddenSize}-u${r.unroll}-c${r.clip}-lr${r.learningRate}-s1`);
    }
  });

  test('configurations are distinct, and seeds multiply them (seeds innermost)', () => {
    const runs = plan({ ...RANDOM, seeds: [1, 2] });
    expect(runs).toHaveLength(24);
    expect(new Set(runs.map((r) => r.id)).size).toBe(24);
    expect(runs[0].id.replace(/-s1$/, '')).toBe(runs[1].id.replace(/-s2$/, ''));
  });

  test('the distributions at their edges', () => {
    expect(draw({ uniform: [1, 5] }, 0, false)).toBe(1);
    expect(draw({ uniform: [1, 5] }, 0.5, false)).toBe(3);
    expect(draw({ logUniform: [0.001, 0.1] }, 0.5, false)).toBe(0.01);
    expect(draw({ intRange: [3, 5] }, 0, true)).toBe(3);
    expect(draw({ intRange: [3, 5] }, 0.999999, true)).toBe(5);
    expect(draw({ logIntRange: [10, 1000] }, 0.5, true)).toBe(100);
    expect(draw({ choice: [4, 8, 16] }, 0.4, true)).toBe(8);
    expect(roundSignificant(0.0123456)).toBe(0.0123);
  });

  test("a knob outside the space takes the grid's single value, else its default", () => {
    const runs = plan({
      ...RANDOM,
      grid: { unroll: [12] },
      search: { ...RANDOM.search, space: { learningRate: RANDOM.search.space.learningRate } },
    });
    for (const r of runs) {
      expect(r.unroll).toBe(12);
      expect(r.hiddenSize).toBe(100);
      expect(r.clip).toBe(5);
    }
  });

  test('a space too small for the samples asked for is refused, naming search.samples', () => {
    expect(() =>
      plan({ ...RANDOM, search: { ...RANDOM.search, samples: 3, space: { unroll: { choice: [4, 8] } } } }),
    ).toThrow(/search\.samples: 3 distinct configurations/);
  });
});

describe('the schema', () => {
  const bad = (search: unknown, grid?: unknown) => () =>
    parseExperiment({ ...RANDOM, search, ...(grid ? { grid } : {}) }, 'exp.json');
  test('an unknown method is refused, naming the six there are (halving, Hyperband: test/halving.test.ts, test/hyperband.test.ts; TPE: test/tpe.test.ts)', () => {
    expect(bad({ method: 'bohb', eta: 3 })).toThrow(
      /search\.method: expected "method": "grid", "grids", "random", "halving", "hyperband", "tpe"/,
    );
  });
  test('distributions that do not suit their knob, or cannot be drawn, are refused with their path', () => {
    const space = (s: unknown) => bad({ ...RANDOM.search, space: s });
    expect(space({ hiddenSize: { uniform: [0, 3] } })).toThrow(
      /search\.space\.hiddenSize: expected uniform: bounds that are valid hiddenSize values/,
    );
    expect(space({ learningRate: { logUniform: [0, 0.1] } })).toThrow(
      /search\.space\.learningRate: expected logUniform: a low bound > 0/,
    );
    expect(space({ clip: { uniform: [5, 1] } })).toThrow(
      /search\.space\.clip: expected uniform: \[low, high\] with low < high/,
    );
    expect(space({ clip: { uniform: [1, 2], choice: [1] } })).toThrow(/search\.space\.clip: expected exactly one of/);
    expect(space({ unrol: { choice: [4] } })).toThrow(/search\.space\.unrol: unknown key \(did you mean "unroll"\?\)/);
  });
  test('a knob with several grid values outside the space, or in both places, is refused', () => {
    const lrOnly = { ...RANDOM.search, space: { learningRate: RANDOM.search.space.learningRate } };
    expect(bad(lrOnly, { unroll: [8, 16] })).toThrow(
      /grid\.unroll: expected one value \(with a sampled space, a knob outside search\.space takes one value/,
    );
    expect(bad(RANDOM.search, { clip: [5] })).toThrow(/grid\.clip: expected clip in one place only/);
  });
});

describe('sweep --plan and resume', () => {
  let root: string;
  let expPath: string;
  beforeAll(() => {
    root = tempDir('charlab-random-');
    smallCorpus(root, 20_000);
    expPath = writeExperiment(root, {
      ...RANDOM,
      backend: 'reference',
      workers: 1,
      evaluation: { every: 0, chars: 500 },
      curves: { every: 1000 },
      samples: { length: 10 },
      search: { ...RANDOM.search, samples: 2 },
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('--plan --json prints the runs with ids and knobs, without a corpus', async () => {
    const noCorpus = writeExperiment(root, { ...RANDOM, corpus: 'absent.txt' }, 'nocorpus.json');
    const r = await runCli(['sweep', noCorpus, '--plan', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runs: Array<Record<string, unknown>> };
    expect(out.runs.map((x) => x.id)).toEqual(plan(RANDOM).map((x) => x.id));
    expect(Object.keys(out.runs[0])).toEqual(['id', ...KNOB_KEYS, 'seed']);
    const text = await runCli(['sweep', noCorpus, '--plan']);
    expect(text.stdout).toContain(plan(RANDOM)[0].id);
  });

  test('a random sweep records the planned runs and resumes with nothing to do', async () => {
    const out = join(root, 'out');
    const first = await runCli(['sweep', expPath, '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const ids = readTable(out, 'summary').rows.map((r) => r.run_id);
    expect(ids).toEqual(plan({ ...RANDOM, search: { ...RANDOM.search, samples: 2 } }).map((r) => r.id));
    const again = await runCli(['sweep', expPath, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/nothing to do/);
  });
});
