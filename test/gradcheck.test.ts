/**
 * The gradient check tells the truth: it passes at the settings the experiments use (real
 * initialisation, hidden up to 512, unroll up to 64) and fails on planted bugs.
 */
import { describe, expect, test } from 'vitest';
import {
  GRADCHECK_DEFAULTS,
  GRADCHECK_DELTAS,
  GRADCHECK_TOLERANCE,
  checkGradients,
  gradcheck,
  gradcheckConfig,
  gradcheckModel,
  relError,
  modelTarget,
  type GradTarget,
} from '../src/model/gradcheck.js';
import { CELL_NAMES } from '../src/model/cells/index.js';
import { ReferenceModel } from '../src/model/reference.js';
import { modelTensors } from '../src/model/spec.js';
import { PARAM_NAMES } from '../src/model/types.js';
import { makeRng } from '../src/util/rng.js';
import { runCli } from './helpers/cli.js';

const passes = (r: { params: { maxRelError: number }[] }) => r.params.every((p) => p.maxRelError < GRADCHECK_TOLERANCE);

describe('gradcheck at the settings the experiments use', () => {
  test("the article's setting (hidden 100, unroll 16), at initialisation and after 200 Adagrad steps", () => {
    for (const trainSteps of [0, 200]) {
      const r = gradcheck({ hiddenSize: 100, unroll: 16, vocabSize: 30, trainSteps, samples: 12 });
      expect(r.params.map((p) => p.name)).toEqual([...PARAM_NAMES]);
      for (const p of r.params)
        expect(p.maxRelError, `${p.name} after ${trainSteps} steps`).toBeLessThan(GRADCHECK_TOLERANCE);
    }
  });

  test('a long chunk and a wide model (hidden 200, unroll 64), sampled elements', () => {
    const r = gradcheck({ hiddenSize: 200, unroll: 64, vocabSize: 50, samples: 4 });
    for (const p of r.params) {
      expect(p.checked).toBe(4);
      expect(p.maxRelError, p.name).toBeLessThan(GRADCHECK_TOLERANCE);
    }
  });

  test("the CLI at the article's setting exits 0 (it used to report 0.85 and exit 1)", async () => {
    const r = await runCli(['gradcheck', '--hidden', '100', '--unroll', '16', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tolerance: number; params: { name: string; maxRelError: number }[] };
    expect(out.tolerance).toBe(1e-5);
    expect(passes(out)).toBe(true);
  });
});

describe('gradcheck: every tensor of every cell at 1, 2 and 3 layers, one stream and several', () => {
  const shapes: [number, number, number][] = [
    // [layers, batch, dropout]
    [1, 1, 0],
    [2, 1, 0],
    [3, 1, 0],
    [1, 3, 0],
    [2, 2, 0],
    [3, 3, 0.25],
  ];
  for (const cell of CELL_NAMES) {
    test.each(shapes)(
      `${cell}: %i layer(s), batch %i, dropout %f, every element of every tensor`,
      (layers, batch, dropout) => {
        const r = gradcheck({
          cell,
          layers,
          batch,
          dropout,
          hiddenSize: 7,
          vocabSize: 5,
          unroll: 4,
          samples: 10_000,
          trainSteps: 3,
        });
        const expected = modelTensors(
          gradcheckConfig({ ...GRADCHECK_DEFAULTS, cell, layers, vocabSize: 5, hiddenSize: 7 }),
        );
        expect(r.params.map((p) => p.name)).toEqual(expected.map((t) => t.fullName));
        for (const p of r.params) {
          expect(p.checked, p.name).toBe(p.size);
          expect(p.maxRelError, p.name).toBeLessThan(GRADCHECK_TOLERANCE);
        }
      },
    );
  }

  test('the CLI takes --cell, --layers, --batch', async () => {
    const r = await runCli(['gradcheck', '--cell', 'lstm', '--layers', '2', '--batch', '3', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { params: { name: string; maxRelError: number }[] };
    expect(out.params.map((p) => p.name)).toEqual(['Wx', 'Wh', 'Wx.1', 'Wh.1', 'Why', 'b', 'b.1', 'by']);
    expect(passes(out)).toBe(true);
    const bad = await runCli(['gradcheck', '--cell', 'transformer']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cell.*rnn, gru, lstm/);
  });
});

describe('gradcheck catches planted bugs', () => {
  const opts = { ...GRADCHECK_DEFAULTS, hiddenSize: 12, vocabSize: 7, unroll: 8, samples: 1000 };

  test('an off-by-one in the backward loop (the last step of the chunk is skipped)', () => {
    class SkipsLastStep extends ReferenceModel {
      override backward(data: Int32Array, starts: ArrayLike<number>, len: number): void {
        super.backward(data, starts, len - 1);
      }
    }
    const good = checkGradients(modelTarget(gradcheckModel(opts), makeRng('chunk')), {
      samples: 1000,
      seed: 1,
      deltas: GRADCHECK_DELTAS,
    });
    expect(passes({ params: good })).toBe(true);
    const model = gradcheckModel(opts, (c) => new SkipsLastStep(c));
    const bad = checkGradients(modelTarget(model, makeRng('chunk')), {
      samples: 1000,
      seed: 1,
      deltas: GRADCHECK_DELTAS,
    });
    // Every tensor's gradient misses the last step's contribution.
    for (const p of bad) expect(p.maxRelError, p.name).toBeGreaterThan(1e-2);
  });

  test('one gradient element wrong by one part in 10,000 fails its tensor, and only that one', () => {
    for (const name of PARAM_NAMES) {
      const target = modelTarget(gradcheckModel(opts), makeRng('chunk'));
      const planted: GradTarget = {
        ...target,
        gradients: () => {
          const g = target.gradients();
          let k = 0;
          for (let i = 1; i < g[name].length; i++) if (Math.abs(g[name][i]) > Math.abs(g[name][k])) k = i;
          g[name][k] *= 1 + 1e-4;
          return g;
        },
      };
      const r = checkGradients(planted, { samples: 1000, seed: 1, deltas: GRADCHECK_DELTAS });
      for (const p of r) {
        if (p.name === name) expect(p.maxRelError, `planted in ${name}`).toBeGreaterThan(GRADCHECK_TOLERANCE);
        else expect(p.maxRelError, `${p.name} with the bug in ${name}`).toBeLessThan(GRADCHECK_TOLERANCE);
      }
    }
  });
});

describe('relError', () => {
  test('is relative for ordinary values, absolute-like below the round-off floor, 0 when equal', () => {
    expect(relError(1, 1)).toBe(0);
    expect(relError(0, 0)).toBe(0);
    expect(relError(1, 1.00001)).toBeCloseTo(0.00001 / 2.00001, 12);
    // Two tiny gradients (1e-11) that differ by 1e-12 when round-off alone can reach 1e-11: within
    // tolerance (1e-12 / (1e-11 / 1e-5)), though their naive relative error is 5 %; an absolute
    // error 100 times larger than that is not.
    expect(relError(1e-11, 1.1e-11, 1e-11)).toBeLessThan(GRADCHECK_TOLERANCE);
    expect(relError(1e-11, 1.1e-10, 1e-11)).toBeGreaterThan(GRADCHECK_TOLERANCE);
    // ... but a wrong sign on an ordinary value is an error of 1 whatever the floor.
    expect(relError(0.3, -0.3, 1e-11)).toBe(1);
  });
});
