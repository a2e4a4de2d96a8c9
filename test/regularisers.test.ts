/**
 * The regularisers for small corpora (issue 21): dropout on the one-hot input and before the output
 * layer (usable by a 1-layer model), and decoupled weight decay. The Float64 reference implements
 * them (gradcheck covers the dropouts; the decay is not a gradient, so its update is checked against
 * its formula and against torch.optim.AdamW); the fast backends (wasm, native) train them too,
 * tested against the reference in test/fast-cells.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkServes, createModel } from '../src/backend/index.js';
import { CELL_NAMES } from '../src/model/cells/index.js';
import { GRADCHECK_TOLERANCE, gradcheck } from '../src/model/gradcheck.js';
import { ReferenceModel } from '../src/model/reference.js';
import { initTensors, modelTensors } from '../src/model/spec.js';
import type { RnnConfig } from '../src/model/types.js';
import { makeOptimizer, withWeightDecay } from '../src/optim/optimizers.js';
import { configId, knobDefaults } from '../src/results/knobs.js';
import { ExperimentSchema } from '../src/results/schema.js';
import { makeRng } from '../src/util/rng.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const base: RnnConfig = {
  vocabSize: 6,
  hiddenSize: 7,
  unroll: 5,
  learningRate: 0.01,
  clip: 5,
  seed: 2,
  optimizer: 'adam',
};
const rng = makeRng('regularisers');
const data = Int32Array.from({ length: 200 }, () => Math.floor(rng() * 6));

describe('gradcheck covers the new dropouts, every cell, with one layer and with two', () => {
  const shapes: [number, number, number, number][] = [
    // [layers, batch, inputDropout, outputDropout]
    [1, 1, 0.3, 0],
    [1, 2, 0, 0.3],
    [2, 2, 0.25, 0.4],
  ];
  for (const cell of CELL_NAMES) {
    test.each(shapes)(
      `${cell}: %i layer(s), batch %i, input dropout %f, output dropout %f: every element of every tensor`,
      (layers, batch, inputDropout, outputDropout) => {
        const dropout = layers > 1 ? 0.2 : 0;
        const r = gradcheck({
          cell,
          layers,
          batch,
          dropout,
          inputDropout,
          outputDropout,
          hiddenSize: 6,
          vocabSize: 5,
          unroll: 4,
          samples: 10_000,
          trainSteps: 2,
        });
        for (const p of r.params) {
          expect(p.checked, p.name).toBe(p.size);
          expect(p.maxRelError, p.name).toBeLessThan(GRADCHECK_TOLERANCE);
        }
      },
    );
  }

  test('the masks are really used: a dropped input character gives its column no gradient, and the loss changes', () => {
    const plain = new ReferenceModel({ ...base, cell: 'gru' });
    const dropped = new ReferenceModel({ ...base, cell: 'gru', inputDropout: 0.5, outputDropout: 0.5 });
    const h0 = plain.exportHidden();
    const a = plain.lossAndGradients(data, 0, 5, h0);
    const b = dropped.lossAndGradients(data, 0, 5, h0);
    expect(b.loss).not.toBe(a.loss);
    // With p = 0.5 about half of the 5 input characters are dropped: their columns of Wx get nothing from them.
    const V = base.vocabSize;
    const touched = new Set(
      Array.from({ length: V }, (_, x) => x).filter((x) => b.grads.Wx.some((g, i) => i % V === x && g !== 0)),
    );
    const seen = new Set(Array.from(data.subarray(0, 5)));
    expect(touched.size).toBeLessThan(seen.size);
  });

  test('the CLI takes --input-dropout and --output-dropout', async () => {
    const r = await runCli([
      'gradcheck',
      '--cell',
      'lstm',
      '--input-dropout',
      '0.3',
      '--output-dropout',
      '0.3',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { params: { maxRelError: number }[] };
    expect(out.params.every((p) => p.maxRelError < GRADCHECK_TOLERANCE)).toBe(true);
  });
});

describe("dropout is for training only; the masks come from the run's seed", () => {
  test('evaluation and sampling use no dropout: the same weights score the same with and without the knobs', () => {
    const withDrop = new ReferenceModel({ ...base, cell: 'lstm', inputDropout: 0.3, outputDropout: 0.3 });
    for (let s = 0; s < 5; s++) withDrop.trainChunk(data, s * 5, 5);
    const plain = new ReferenceModel({ ...base, cell: 'lstm' }, withDrop.exportParams());
    plain.importState({ ...withDrop.exportState(), rng: undefined });
    expect(plain.evaluate(data, 100, 200)).toEqual(withDrop.evaluate(data, 100, 200));
    expect(plain.sample([1], 20, 1, makeRng('s'))).toEqual(withDrop.sample([1], 20, 1, makeRng('s')));
  });

  test('the same seed gives the same run; the dropout generator is saved with the model (exact resume)', () => {
    const c = { ...base, cell: 'rnn' as const, inputDropout: 0.2, outputDropout: 0.2 };
    const a = new ReferenceModel(c);
    const b = new ReferenceModel(c);
    const la = [0, 1, 2].map((s) => a.trainChunk(data, s * 5, 5));
    expect([0, 1, 2].map((s) => b.trainChunk(data, s * 5, 5))).toEqual(la);
    const resumed = new ReferenceModel(c);
    resumed.importState(a.exportState());
    expect(resumed.trainChunk(data, 15, 5)).toBe(a.trainChunk(data, 15, 5));
  });

  test("knobs at 0 change nothing: min-char-rnn's run is bit for bit the run without the keys", () => {
    const mc: RnnConfig = { vocabSize: 6, hiddenSize: 7, unroll: 5, learningRate: 0.1, clip: 5, seed: 2 };
    const a = new ReferenceModel(mc);
    const b = new ReferenceModel({ ...mc, inputDropout: 0, outputDropout: 0, weightDecay: 0 });
    for (let s = 0; s < 4; s++) expect(b.trainChunk(data, s * 5, 5)).toBe(a.trainChunk(data, s * 5, 5));
    expect(b.exportParams()).toEqual(a.exportParams());
  });
});

describe('decoupled weight decay', () => {
  test("one update: every weight matrix × (1 − lr·λ) before the optimizer's step; biases untouched; the gradient unchanged", () => {
    const lambda = 0.1;
    for (const optimizer of ['adagrad', 'rmsprop', 'adam'] as const) {
      const c: RnnConfig = { ...base, cell: 'lstm', layers: 2, optimizer };
      const plain = new ReferenceModel(c);
      const decayed = new ReferenceModel({ ...c, weightDecay: lambda });
      const theta0 = plain.exportParams();
      const h0 = plain.exportHidden();
      expect(decayed.lossAndGradients(data, 0, 5, h0)).toEqual(plain.lossAndGradients(data, 0, 5, h0));
      plain.trainChunk(data, 0, 5);
      decayed.trainChunk(data, 0, 5);
      const a = plain.exportParams();
      const b = decayed.exportParams();
      const matrices = new Set(
        modelTensors(c)
          .filter((t) => t.cols > 1)
          .map((t) => t.fullName),
      );
      expect([...matrices].sort()).toEqual(['Wh', 'Wh.1', 'Why', 'Wx', 'Wx.1']);
      for (const name of Object.keys(a)) {
        if (!matrices.has(name)) expect(b[name], name).toEqual(a[name]);
        else
          for (let i = 0; i < a[name].length; i++)
            expect(b[name][i]).toBeCloseTo(a[name][i] - c.learningRate * lambda * theta0[name][i], 14);
      }
    }
  });

  test("Adam with it is AdamW: three steps against the recurrence written out (torch.optim.AdamW's, checked against torch 2.13 in float64: README)", () => {
    const params = { W: Float64Array.from({ length: 6 }, (_, i) => 0.3 * Math.sin(i + 1)) };
    const grads = { W: new Float64Array(6) };
    const steps = [0, 1, 2].map((s) => Array.from({ length: 6 }, (_, i) => Math.cos(3 * s + i)));
    const opt = withWeightDecay(makeOptimizer('adam', params, grads), params, ['W'], 0.05);
    const w = Array.from(params.W);
    const m = new Array(6).fill(0);
    const v = new Array(6).fill(0);
    steps.forEach((g, s) => {
      grads.W.set(g);
      opt.step(0.01);
      for (let i = 0; i < 6; i++) {
        w[i] *= 1 - 0.01 * 0.05;
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        w[i] -= (0.01 * m[i]) / (1 - 0.9 ** (s + 1)) / (Math.sqrt(v[i] / (1 - 0.999 ** (s + 1))) + 1e-8);
      }
    });
    for (let i = 0; i < 6; i++) expect(params.W[i]).toBeCloseTo(w[i], 14);
  });
});

describe('knobs like the others: grid keys, run ids, train flags; every backend trains them', () => {
  test('registry entries: defaults 0, ids only when set, the schema refuses bad values', () => {
    expect(knobDefaults()).toMatchObject({ inputDropout: 0, outputDropout: 0, weightDecay: 0 });
    expect(configId({ ...knobDefaults(), inputDropout: 0.1, outputDropout: 0.25, weightDecay: 0.01 })).toBe(
      'h100-u16-c5-lr0.1-di0.1-do0.25-wd0.01',
    );
    const exp = { name: 'x', corpus: 'a.txt', budget: { chars: 100 }, seeds: [1] };
    for (const [key, bad] of [
      ['inputDropout', 1],
      ['outputDropout', -0.1],
      ['weightDecay', -1],
    ] as const) {
      const r = ExperimentSchema.safeParse({ ...exp, grid: { [key]: [bad] } });
      expect(r.success, key).toBe(false);
      expect(JSON.stringify(r.error?.issues[0].path)).toContain(key);
    }
  });

  test("every backend serves each (min-char-rnn's configuration with one leaves the fused wasm path for the host model)", () => {
    const c: RnnConfig = { ...base, cell: 'lstm' };
    for (const key of ['inputDropout', 'outputDropout', 'weightDecay'] as const) {
      for (const backend of ['wasm', 'reference'] as const) {
        expect(() => checkServes(backend, { ...c, [key]: 0.1 })).not.toThrow();
        expect(() => createModel(backend, { ...c, [key]: 0.1 }).trainChunk(data, 0, 5)).not.toThrow();
      }
      const rnn: RnnConfig = { ...base, optimizer: 'adagrad', [key]: 0.1 };
      expect(createModel('wasm', rnn).constructor.name, key).toBe('KernelModel');
    }
    expect(initTensors(c)).toBeDefined();
  });

  test('train: the flags, the knobs in --json, on the reference and on wasm; a bad value exit 2; a sweep on wasm records them', async () => {
    const dir = tempDir('charlab-reg-');
    const corpus = smallCorpus(dir, 20_000);
    const flags = [
      '--cell',
      'gru',
      '--hidden',
      '8',
      '--unroll',
      '8',
      '--chars',
      '2000',
      '--optimizer',
      'adam',
      '--lr',
      '0.01',
    ];
    const ok = await runCli([
      'train',
      '--corpus',
      corpus,
      ...flags,
      '--input-dropout',
      '0.1',
      '--output-dropout',
      '0.2',
      '--weight-decay',
      '0.01',
      '--backend',
      'reference',
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      inputDropout: 0.1,
      outputDropout: 0.2,
      weightDecay: 0.01,
      status: 'done',
    });
    const fast = await runCli([
      'train',
      '--corpus',
      corpus,
      ...flags,
      '--input-dropout',
      '0.1',
      '--output-dropout',
      '0.2',
      '--weight-decay',
      '0.01',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(fast.code, fast.stderr).toBe(0);
    expect(JSON.parse(fast.stdout)).toMatchObject({
      inputDropout: 0.1,
      outputDropout: 0.2,
      weightDecay: 0.01,
      status: 'done',
      backend: 'wasm',
    });
    const bad = await runCli(['train', '--corpus', corpus, ...flags, '--weight-decay', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--weight-decay/);
    const exp = {
      ...tinyExperiment('wd'),
      backend: 'wasm',
      grid: { ...tinyExperiment('wd').grid, weightDecay: [0.01] },
    };
    const sweep = await runCli(['sweep', writeExperiment(dir, exp), '--out', `${dir}/wd`]);
    expect(sweep.code, sweep.stderr).toBe(0);
    const summary = readFileSync(`${dir}/wd/summary.csv`, 'utf8').split('\n');
    const cols = summary[0].split(',');
    const row = summary[1].split(',');
    expect([
      row[cols.indexOf('run_id')],
      row[cols.indexOf('weight_decay')],
      row[cols.indexOf('backend')],
      row[cols.indexOf('status')],
    ]).toEqual(['h8-u8-c5-lr0.1-wd0.01-s1', '0.01', 'wasm', 'done']);
  });
});
