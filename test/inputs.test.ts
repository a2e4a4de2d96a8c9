/**
 * Every bad setting is refused before any work, with exit 2 and a message naming the key; and
 * validation 0 means "nothing held out, nothing scored" on the CLI, in the schema and in the tables.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, test } from 'vitest';
import { experimentJsonSchema } from '../src/results/schema.js';
import { duplicateKeys } from '../src/results/experimentFile.js';
import { checkExperimentResources } from '../src/sweep/checks.js';
import { parseExperiment } from '../src/results/experimentFile.js';
import {
  markovBytes,
  referenceBytes,
  wasmBytes,
  wasmLinearBytes,
  WASM_MAX_BYTES,
  rnnParams,
} from '../src/train/memory.js';
import { DEFAULT_VALIDATION, MARKOV_ORDER_RANGE, RNN_DEFAULTS } from '../src/defaults.js';
import { RNN_DEFAULTS as MODEL_RNN_DEFAULTS } from '../src/model/types.js';
import { DEFAULT_CADENCE } from '../src/train/run.js';
import { runCli, smallCorpus, tempDir, writeExperiment } from './helpers/cli.js';

const TINY = {
  name: 'inputs',
  corpus: 'small.txt',
  backend: 'reference',
  budget: { chars: 2000 },
  seeds: [1],
  grid: { hiddenSize: [8], unroll: [8], clip: [5], learningRate: [0.1] },
  evaluation: { every: 0, chars: 500 },
  samples: { length: 20 },
  workers: 1,
};

describe('one source of defaults', () => {
  test('the schema, the model and the training loop read src/defaults.ts', () => {
    const e = parseExperiment({ ...TINY, validation: undefined, markov: undefined, evaluation: undefined }, 'x.json');
    expect(e.validation).toBe(DEFAULT_VALIDATION);
    expect(e.markov.order).toBe(4);
    expect(e.evaluation).toEqual({ every: DEFAULT_CADENCE.evalEvery, chars: DEFAULT_CADENCE.evalChars });
    expect(MODEL_RNN_DEFAULTS).toBe(RNN_DEFAULTS);
  });
});

describe('memory estimates', () => {
  const shape = { hiddenSize: 100, vocabSize: 54, unroll: 16 };
  test("parameter count and the backends' bytes follow the layouts", () => {
    expect(rnnParams(shape)).toBe(100 * 54 + 100 * 100 + 54 * 100 + 100 + 54);
    // reference: 4 Float64 copies of the parameters plus the workspace
    expect(referenceBytes(shape)).toBeGreaterThan(32 * rnnParams(shape));
    expect(referenceBytes(shape)).toBeLessThan(33 * rnnParams(shape) + 8 * 17 * (100 + 54) * 2);
    // wasm: 3 f32 copies (padded) in linear memory plus the workspace
    expect(wasmLinearBytes(shape)).toBeGreaterThan(12 * rnnParams(shape));
    expect(wasmBytes(shape)).toBe(wasmLinearBytes(shape) + 8 * rnnParams(shape));
  });
  test('hidden 20000 does not fit the 4 GiB wasm address space; 16000 does', () => {
    expect(wasmLinearBytes({ ...shape, hiddenSize: 20_000 })).toBeGreaterThan(WASM_MAX_BYTES);
    expect(wasmLinearBytes({ ...shape, hiddenSize: 16_000 })).toBeLessThan(WASM_MAX_BYTES);
  });
  test('the Markov bound grows with the order and is capped by the text length', () => {
    expect(markovBytes(4, 54, 1_000_000)).toBeLessThan(markovBytes(8, 54, 1_000_000));
    // order 64 on holmes' training text: in the tens of GB (15 GB measured)
    expect(markovBytes(64, 54, 2_944_277)).toBeGreaterThan(15e9);
    // a 2-symbol alphabet has at most 2^(j+1) n-grams of order j
    expect(markovBytes(2, 2, 1_000_000)).toBe(44 * (2 + 4 + 8) + 76 * (2 + 4));
  });
  test('checkExperimentResources names the key and the estimate', () => {
    const exp = parseExperiment(
      { ...TINY, backend: 'wasm', grid: { ...TINY.grid, hiddenSize: [8, 20_000] } },
      'x.json',
    );
    expect(() => checkExperimentResources(exp, { vocabSize: 54, trainChars: 1e6 }, 'x.json', 1)).toThrow(
      /x\.json: grid\.hiddenSize: 20000: a wasm run h20000-u8-\S+ \(vocabulary 54\) needs about 4\.8 GB, more than the 4\.3 GB \(4 GiB\) WebAssembly address space/,
    );
    const big = parseExperiment({ ...TINY, budget: { chars: 3_000_000 }, markov: { order: 64 } }, 'x.json');
    expect(() => checkExperimentResources(big, { vocabSize: 54, trainChars: 3e6 }, 'x.json', 1, () => {}, 8e9)).toThrow(
      /x\.json: markov\.order: 64: the order-64 Markov model over 3000000 characters needs about \d+\.\d GB, more than the machine's 8\.0 GB of memory/,
    );
    const notices: string[] = [];
    const wide = parseExperiment({ ...TINY, budget: { chars: 3_000_000 }, markov: { order: 64 } }, 'x.json');
    checkExperimentResources(wide, { vocabSize: 54, trainChars: 3e6 }, 'x.json', 64, (m) => notices.push(m), 1e12);
    expect(notices.join('\n')).toMatch(/markov\.order 64: each Markov model may need up to .* GB/);
    expect(notices.join('\n')).toMatch(/64 workers on \d+ core\(s\)/);
  });
});

describe('the experiment schema', () => {
  test('validation 0 is accepted (nothing held out), 1 is not', () => {
    expect(parseExperiment({ ...TINY, validation: 0 }, 'x.json').validation).toBe(0);
    expect(() => parseExperiment({ ...TINY, validation: 1 }, 'x.json')).toThrow(
      /validation: expected a fraction in \[0, 1\), got 1/,
    );
  });
  test('markov.order: one range, 1..64, in the schema and its message', () => {
    const { min, max } = MARKOV_ORDER_RANGE;
    expect(parseExperiment({ ...TINY, markov: { order: max } }, 'x.json').markov.order).toBe(max);
    for (const order of [0, 65]) {
      expect(() => parseExperiment({ ...TINY, markov: { order } }, 'x.json')).toThrow(
        new RegExp(`markov\\.order: expected an integer in ${min}\\.\\.${max}, got ${order}`),
      );
    }
  });
  test('seeds beyond 2^53 get a message that says why', () => {
    expect(() => parseExperiment({ ...TINY, seeds: [1e20] }, 'x.json')).toThrow(
      /seeds\[0\]: expected a non-negative integer of at most 9007199254740991 \(2\^53 - 1\), got 100000000000000000000/,
    );
  });
  test('the JSON Schema says uniqueItems where charlab refuses duplicates', () => {
    const schema = experimentJsonSchema() as {
      properties: Record<
        string,
        {
          uniqueItems?: boolean;
          properties?: Record<string, { uniqueItems?: boolean }>;
          minimum?: number;
          maximum?: number;
        }
      >;
    };
    expect(schema.properties.seeds.uniqueItems).toBe(true);
    for (const k of ['hiddenSize', 'unroll', 'clip', 'learningRate'])
      expect(schema.properties.grid.properties![k].uniqueItems, k).toBe(true);
    const committed = JSON.parse(readFileSync(new URL('../schema/experiment.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(schema))); // the committed file is regenerated (npm run schema)
  });
  test('duplicate keys are found with their path and lines', () => {
    const text = '{\n  "name": "a",\n  "grid": {\n    "unroll": [8],\n    "unroll": [16]\n  },\n  "name": "b"\n}\n';
    expect(duplicateKeys(text)).toEqual([
      'grid.unroll: repeated at line 5, column 5 (first at line 4, column 5)',
      'name: repeated at line 7, column 3 (first at line 2, column 3)',
    ]);
    expect(duplicateKeys('{"a": [{"x": 1}, {"x": 2}]}')).toEqual([]);
  });
});

describe('the command line', () => {
  test.each([
    [['--hidden', '1e3'], /--hidden <n>' argument '1e3' is invalid\. expected a positive integer/],
    [['--hidden', '0x10'], /--hidden <n>' argument '0x10' is invalid/],
    [['--unroll', '16.0'], /--unroll <n>' argument '16\.0' is invalid/],
    [['--markov-order', '65'], /--markov-order <k>' argument '65' is invalid\. expected an integer in 1\.\.64/],
    [['--markov-order', '0'], /--markov-order <k>' argument '0' is invalid\. expected an integer in 1\.\.64/],
    [['--validation', '1'], /--validation <f>' argument '1' is invalid\. expected a fraction in \[0, 1\)/],
  ])('train %s is refused with exit 2', async (args, message) => {
    const r = await runCli(['train', '--corpus', 'nothing-read.txt', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('train --hidden 100000 and --hidden 20000 on wasm are refused before training, naming the key and the estimate', async () => {
    const corpus = smallCorpus(tempDir(), 20_000);
    let r = await runCli(['train', '--corpus', corpus, '--hidden', '100000', '--backend', 'wasm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--hidden 100000: the wasm model .* needs about \d+(\.\d)? GB, more than the .* WebAssembly address space/,
    );
    r = await runCli(['train', '--corpus', corpus, '--hidden', '20000', '--backend', 'wasm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--hidden 20000: the wasm model \(vocabulary 38, unroll 16\) needs about 4\.8 GB/);
    expect(r.stderr).not.toMatch(/rnn h20000/); // no training started
  });
});

describe('validation 0: nothing held out, nothing scored', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('charlab-inputs-');
    smallCorpus(dir, 20_000);
    writeFileSync(join(dir, 'tiny.txt'), 'abcdefghi'); // exactly unroll (8) + 1 characters
  });

  test('train --validation 0 trains and reports "not measured" (and null in --json)', async () => {
    const r = await runCli([
      'train',
      '--corpus',
      join(dir, 'small.txt'),
      '--validation',
      '0',
      '--chars',
      '2000',
      '--hidden',
      '8',
      '--backend',
      'reference',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('done');
    expect(out.valBpc).toBeNull();
    expect(out.markovValBpc).toBeNull();
    const text = await runCli([
      'train',
      '--corpus',
      join(dir, 'small.txt'),
      '--validation',
      '0',
      '--chars',
      '2000',
      '--hidden',
      '8',
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/held-out bits\/char\s+rnn not measured\s+markov not measured/);
  });

  test('a corpus exactly unroll + 1 long can be swept with validation 0; val_bpc stays empty', async () => {
    const exp = writeExperiment(
      dir,
      { ...TINY, corpus: 'tiny.txt', validation: 0, samples: { length: 5 } },
      'tiny.json',
    );
    const out = join(dir, 'tiny-out');
    const r = await runCli(['sweep', exp, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse<Record<string, string>>(readFileSync(join(out, 'summary.csv')), { columns: true });
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('done');
    expect(rows[0].val_bpc).toBe('');
    expect(rows[0].markov_val_bpc).toBe('');
    const json = JSON.parse(r.stdout);
    expect(json.runs[0].val_bpc).toBeNull();
    expect(json.runs[0].hidden_size).toBe(8); // --json: numbers and null, like train --json
    expect(json.runs[0].run_id).toBe('h8-u8-c5-lr0.1-s1');
  });

  test('a too-large validation fraction blames "validation", a too-long unroll blames "grid.unroll"', async () => {
    const held = writeExperiment(dir, { ...TINY, corpus: 'tiny.txt', validation: 0.05 }, 'held.json');
    let r = await runCli(['sweep', held, '--out', join(dir, 'held-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /held\.json: validation: 0\.05 is too large for the corpus: .*tiny\.txt: holding out 0\.05 of its 9 characters .* or set validation to 0/,
    );
    const long = writeExperiment(
      dir,
      { ...TINY, corpus: 'tiny.txt', validation: 0, grid: { ...TINY.grid, unroll: [9] } },
      'long.json',
    );
    r = await runCli(['sweep', long, '--out', join(dir, 'long-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/long\.json: grid\.unroll: 9 needs a longer corpus/);
    expect(existsSync(join(dir, 'held-out')) || existsSync(join(dir, 'long-out'))).toBe(false);
  });

  test('duplicate keys in an experiment file are refused with exit 2', async () => {
    const path = join(dir, 'dup.json');
    writeFileSync(path, JSON.stringify(TINY, null, 2).replace('"workers": 1', '"workers": 1,\n  "seeds": [2]'));
    const r = await runCli(['sweep', path, '--out', join(dir, 'dup-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /dup\.json: repeated key\(s\), each must appear once:\n\s+seeds: repeated at line \d+, column 3 \(first at line 8, column 3\)/,
    );
  });

  test.skipIf(process.getuid?.() === 0)(
    'report into a folder it cannot write exits 2 with a message, not a stack trace',
    async () => {
      const exp = writeExperiment(dir, { ...TINY, name: 'ro' }, 'ro.json');
      const out = join(dir, 'ro-out');
      expect((await runCli(['sweep', exp, '--out', out])).code).toBe(0);
      chmodSync(out, 0o555);
      try {
        const r = await runCli(['report', out]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/report folder .*ro-out cannot be written: EACCES \(permission denied\)/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(readdirSync(out).sort()).toEqual([
          'checkpoints',
          'curves.csv',
          'live.json',
          'manifest.json',
          'samples.csv',
          'summary.csv',
        ]);
      } finally {
        chmodSync(out, 0o755);
      }
    },
  );

  test('report into a folder whose plots/ is a file exits 2 with a message (also as root)', async () => {
    const exp = writeExperiment(dir, { ...TINY, name: 'plots' }, 'plots.json');
    const out = join(dir, 'plots-out');
    expect((await runCli(['sweep', exp, '--out', out])).code).toBe(0);
    writeFileSync(join(out, 'plots'), 'not a folder\n');
    const r = await runCli(['report', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/report folder .*plots-out.*plots is a file, expected a folder/);
    expect(readFileSync(join(out, 'plots'), 'utf8')).toBe('not a folder\n');
    expect(existsSync(join(out, 'report.md'))).toBe(false);
  });

  test('bench --quick writes no CSV unless --out is given', () => {
    // resolveBenchOptions decides; running the bench itself is too slow for the suite.
    return import('../src/cli/bench.js').then(({ resolveBenchOptions }) => {
      expect(resolveBenchOptions({ quick: true }).out).toBeNull();
      expect(resolveBenchOptions({ quick: true, out: 'x.csv' }).out).toBe('x.csv');
      expect(resolveBenchOptions({}).out).toBe('results/bench.csv');
      expect(resolveBenchOptions({}).corpus).toBe('holmes');
    });
  });
});
