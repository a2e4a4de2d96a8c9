/**
 * Issue 24, parameter importance: fANOVA's main effects of a tree by hand, of a forest on
 * functions whose decomposition is known (additive, pure interaction, an input with no effect),
 * and the report's choice of comparable configurations (one budget, diverged ones left out).
 */
import { describe, expect, test } from 'vitest';
import { fanova, treeMainEffects } from '../src/util/fanova.js';
import { confoundedPairs, importanceOf } from '../src/report/importance.js';
import type { LeaderboardEntry, RungRow } from '../src/report/types.js';
import { knobDefaults } from '../src/results/knobs.js';

describe('fANOVA', () => {
  test('one tree by hand: a split on x0 explains everything; a split under it on x1 only on one side adds an interaction', () => {
    const unit: Array<[number, number]> = [
      [0, 1],
      [0, 1],
    ];
    expect(treeMainEffects({ input: 0, threshold: 0.5, left: { value: 0 }, right: { value: 1 } }, unit)).toEqual([
      1, 0,
    ]);
    // x0 < 0.5: 0; else x1 < 0.5: 0, else 4. Mean 1, variance 3; marginals: a0 = 0 | 2 (V0 = 1), a1 = 0 | 2 (V1 = 1).
    const t = {
      input: 0,
      threshold: 0.5,
      left: { value: 0 },
      right: { input: 1, threshold: 0.5, left: { value: 0 }, right: { value: 4 } },
    };
    const e = treeMainEffects(t, unit)!;
    expect(e[0]).toBeCloseTo(1 / 3, 12);
    expect(e[1]).toBeCloseTo(1 / 3, 12); // the remaining third is the interaction
    expect(treeMainEffects({ value: 2 }, unit)).toBeNull(); // a constant tree has no variance to share
  });

  // A full 5 × 5 × 3 factorial on the unit cube's cell centres.
  const grid = (f: (a: number, b: number, c: number) => number) => {
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 5; j++)
        for (let k = 0; k < 3; k++) {
          x.push([i, j, k]);
          y.push(f(i, j, k));
        }
    return {
      x,
      y,
      bounds: [
        [-0.5, 4.5],
        [-0.5, 4.5],
        [-0.5, 2.5],
      ] as Array<[number, number]>,
    };
  };

  test("an additive function: each input's share is its term's share of the variance; an input with no effect gets none", () => {
    const a = [0, 2, 4, 2, 0]; // variance 2.56
    const b = [0, 1, 2, 1, 0]; // variance 0.64: a takes 80 %, b 20 %
    const { x, y, bounds } = grid((i, j) => a[i] + b[j]);
    const imp = fanova(x, y, bounds, { trees: 64, seed: 'additive' });
    expect(imp[0]).toBeGreaterThan(0.7);
    expect(imp[0]).toBeLessThan(0.9);
    expect(imp[1]).toBeGreaterThan(0.1);
    expect(imp[1]).toBeLessThan(0.3);
    expect(imp[2]).toBeLessThan(0.02);
  });

  test('a pure interaction has (almost) no main effects', () => {
    const s = [-1, 1, 0, -1, 1]; // mean 0: E[y | i] = s_i · E[s] = 0
    const { x, y, bounds } = grid((i, j) => s[i] * s[j]);
    const imp = fanova(x, y, bounds, { trees: 64, seed: 'interaction' });
    expect(imp.reduce((p, v) => p + v, 0)).toBeLessThan(0.15);
  });

  test('deterministic for a seed', () => {
    const { x, y, bounds } = grid((i, j, k) => i * i + j + k);
    expect(fanova(x, y, bounds, { trees: 16, seed: 's' })).toEqual(fanova(x, y, bounds, { trees: 16, seed: 's' }));
  });
});

function entry(
  runId: string,
  knobs: Record<string, number | string>,
  valBpc: number | null,
  chars: number,
  status: LeaderboardEntry['status'] = 'done',
): LeaderboardEntry {
  return {
    ...knobDefaults(),
    ...knobs,
    seed: runId.slice(-1),
    runId,
    status,
    valBpc,
    chars,
    rank: null,
  } as unknown as LeaderboardEntry;
}

describe('importance in the report', () => {
  const hidden = [16, 32, 64];
  const lrs = [0.01, 0.1, 1];
  const id = (h: number, lr: number, s: number) => `h${h}-u16-c5-lr${lr}-s${s}`;
  const board = hidden.flatMap((h) =>
    lrs.flatMap((lr) =>
      [1, 2].map((s) =>
        entry(
          id(h, lr, s),
          { hiddenSize: h, learningRate: lr },
          2 + Math.abs(Math.log10(lr) + 2) + 0.01 * s + h / 1000,
          1000,
        ),
      ),
    ),
  );

  test("learning rate, which moves the score most, comes first; the configurations' means over seeds are compared", () => {
    const imp = importanceOf(board)!;
    expect(imp.budgetChars).toBe(1000);
    expect(imp.configs).toBe(9);
    expect(imp.knobs.map((k) => k.knob)).toEqual(['learningRate', 'hiddenSize']);
    expect(imp.knobs[0].importance).toBeGreaterThan(0.9);
    for (const k of imp.knobs) expect(k.lo).toBeLessThanOrEqual(k.hi);
    expect(imp.knobs.every((k) => k.scale === 'log')).toBe(true);
  });

  test('a configuration with a diverged seed is left out, and said to be', () => {
    const diverged = board.map((e) =>
      e.runId === id(64, 1, 2) ? { ...e, status: 'diverged' as const, valBpc: null, chars: 300 } : e,
    );
    const imp = importanceOf(diverged)!;
    expect([imp.configs, imp.excluded]).toEqual([8, 1]);
  });

  test('rung methods: the budget with the most scored configurations (the first rung), from rungs.csv', () => {
    const rung = (e: LeaderboardEntry, budgetChars: number): RungRow => ({
      bracket: 1,
      rung: 1,
      budgetChars,
      runId: e.runId,
      status: 'done',
      valBpc: e.valBpc,
      configValBpc: (e.valBpc as number) - 0.005,
      rank: 1,
      decision: 'stopped',
    });
    const stoppedEarly = board.map((e) => (e.learningRate === 0.01 ? e : { ...e, chars: 100 }));
    const imp = importanceOf(
      stoppedEarly,
      board.map((e) => rung(e, 100)),
    )!;
    expect(imp.budgetChars).toBe(100);
    expect(imp.configs).toBe(9);
  });

  test('too few comparable configurations: no estimate', () => {
    expect(importanceOf(board.slice(0, 8))).toBeNull(); // 4 configurations
  });

  test('confounded knobs (a ladder: the optimizer and the batch follow the cell): no estimate, and a note that names them', () => {
    const rungs = [
      { cell: 'rnn', optimizer: 'adagrad', batch: 1, hiddenSize: 512 },
      { cell: 'gru', optimizer: 'adam', batch: 32, hiddenSize: 512 },
      { cell: 'lstm', optimizer: 'adam', batch: 32, hiddenSize: 512 },
      { cell: 'lstm', optimizer: 'adam', batch: 32, hiddenSize: 256 },
      { cell: 'gru', optimizer: 'adam', batch: 32, hiddenSize: 300 },
    ] as const;
    const ladder = rungs.map((k, i) => entry(`m${i}-s1`, k, 2 + i / 10, 1000));
    const notes: string[] = [];
    expect(importanceOf(ladder, [], notes)).toBeNull();
    expect(notes.join(' ')).toMatch(/not estimated.*optimizer follows cell/);
    expect(confoundedPairs(ladder, ['cell', 'optimizer', 'batch', 'hiddenSize'])).toContainEqual([
      'optimizer',
      'batch',
    ]);
    // A full grid confounds nothing; sampled continuous values (all distinct) do not count as confounding.
    expect(confoundedPairs(board, ['hiddenSize', 'learningRate'])).toEqual([]);
    const sampled = [0.011, 0.02, 0.05, 0.13, 0.3].map((lr, i) => ({
      ...knobDefaults(),
      learningRate: lr,
      hiddenSize: 50 + 7 * i,
    }));
    expect(confoundedPairs(sampled, ['hiddenSize', 'learningRate'])).toEqual([]);
  });
});
