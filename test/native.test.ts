/**
 * The native backend as the user meets it: `auto` resolves to it where its addon is built and to
 * wasm where it is not (or CHARLAB_NATIVE=0); CHARLAB_NATIVE_ISA forces a code path; an install
 * that cannot build it succeeds and trains on wasm; results are bit-identical for 1 and 2 threads;
 * a resumed model continues bit for bit; the thread pool does not hang (a stress through its sleeping
 * paths) and a wider context does not take the pool from earlier ones; checkpoints load into any backend; a matrix outside the
 * addon's memory is an error, not a crash. The kernels' and the cells' numbers against Float64 are
 * test/kernels.test.ts's and test/fast-cells.test.ts's (min-char-rnn's fused engine's:
 * test/min-char-rnn-fused.test.ts), for every ISA this CPU runs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createModel, resolveBackend, type Backend } from '../src/backend/index.js';
import { ADDON_PATH, nativeStatus } from '../src/backend/nativeAddon.js';
import { NativeKernels } from '../src/backend/nativeKernels.js';
import { checkpointOf, loadCheckpoint, modelFromCheckpoint, saveCheckpoint } from '../src/checkpoint/checkpoint.js';
import type { CharModel, RnnConfig } from '../src/model/types.js';
import { makeRng } from '../src/util/rng.js';
import { CLI, REPO, runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';
import { NATIVE_ISAS, stateBits } from './helpers/backends.js';

const NATIVE = nativeStatus().available;
const V = 9;
const text = Int32Array.from({ length: 3000 }, (_, i) => (i * 5 + (i >> 2) + (i % 7)) % V);
const base: RnnConfig = { vocabSize: V, hiddenSize: 20, unroll: 12, learningRate: 5e-3, clip: 5, seed: 4 };
const CONFIGS: [string, RnnConfig][] = [
  ['lstm, 8 streams, adam, norm clip', { ...base, cell: 'lstm', batch: 8, optimizer: 'adam', clipNorm: 2 }],
  [
    'gru, 2 layers, dropout, 5 streams, rmsprop',
    { ...base, cell: 'gru', layers: 2, dropout: 0.25, batch: 5, optimizer: 'rmsprop' },
  ],
  ['rnn, 3 streams, adagrad', { ...base, cell: 'rnn', batch: 3, optimizer: 'adagrad', learningRate: 0.05 }],
  ["min-char-rnn's configuration (the fused engine, one thread whatever asked)", { ...base, learningRate: 0.1 }],
];

/** Trains `chunks` chunks (stream b at b·300) and returns the losses. */
function train(m: CharModel, c: RnnConfig, chunks: number, from = 0): number[] {
  const B = c.batch ?? 1;
  return Array.from({ length: chunks }, (_, i) =>
    m.trainChunk(
      text,
      Array.from({ length: B }, (_, b) => b * 300 + from + i * c.unroll),
      c.unroll,
    ),
  );
}

describe('which backend auto is', () => {
  test('native where the addon is built and loads, else wasm; CHARLAB_NATIVE=0 turns it off at run time', () => {
    expect(resolveBackend('auto')).toBe(NATIVE ? 'native' : 'wasm');
    const off = spawnSync(process.execPath, [CLI, 'doctor'], {
      encoding: 'utf8',
      env: { ...process.env, CHARLAB_NATIVE: '0' },
    });
    expect(off.status).toBe(0);
    expect(off.stdout).toMatch(/backend auto: wasm \(simd128\); native not available: disabled by CHARLAB_NATIVE=0/);
    if (!NATIVE) expect(() => resolveBackend('native')).toThrow(/the native backend is not available/);
  });

  test.skipIf(!NATIVE)(
    'CHARLAB_NATIVE_ISA forces a code path; one this CPU cannot run is refused, naming the usable ones',
    () => {
      for (const isa of NATIVE_ISAS) {
        const r = spawnSync(process.execPath, [CLI, 'doctor'], {
          encoding: 'utf8',
          env: { ...process.env, CHARLAB_NATIVE_ISA: isa },
        });
        expect(r.stdout).toContain(`backend auto: native (${isa} (CHARLAB_NATIVE_ISA)`);
      }
      expect(() => new NativeKernels({ isa: 'avx1024' })).toThrow(
        /the native kernels for avx1024 are not usable here \(usable: /,
      );
    },
  );

  test('where the build is disabled or impossible, the install says so in one line, succeeds, and auto trains on wasm', () => {
    const dir = tempDir('charlab-nobuild-');
    for (const part of ['native', 'scripts', 'binding.gyp'])
      cpSync(join(REPO, part), join(dir, part), { recursive: true });
    mkdirSync(join(dir, 'build'));
    const script = join(dir, 'scripts', 'build-native.mjs');
    const disabled = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, CHARLAB_NATIVE: '0' },
    });
    expect(disabled.status).toBe(0);
    expect(disabled.stdout.trim().split('\n')).toEqual([
      'charlab: native backend disabled (CHARLAB_NATIVE=0): not built; backend "auto" will use wasm',
    ]);
    // no compiler, make or python on the PATH: node-gyp fails; the install does not
    const broken = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, PATH: join(dir, 'no-tools'), npm_config_node_gyp: '' },
    });
    expect(broken.status).toBe(0);
    expect(broken.stdout).toMatch(/^charlab: the native backend was not built \(.+\); backend "auto" will use wasm\n$/);
    expect(existsSync(join(dir, 'build', 'Release', 'charlab_native.node'))).toBe(false);
    expect(
      spawnSync(process.execPath, [script, '--strict'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: join(dir, 'no-tools') },
      }).status,
    ).toBe(1);
  });

  test('train with the addon turned off runs on wasm and says so', () => {
    const dir = tempDir('charlab-nonative-');
    const corpus = smallCorpus(dir, 20_000);
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'train',
        '--corpus',
        corpus,
        '--cell',
        'lstm',
        '--batch',
        '2',
        '--hidden',
        '8',
        '--chars',
        '2000',
        '--json',
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, CHARLAB_NATIVE: '0' },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'wasm', isa: 'simd128', status: 'done' });
  });
});

describe('a folder keeps the backend it was swept on', () => {
  test('"auto" resumes a folder recorded on wasm before manifests named the backend where auto is wasm, and is refused where it is native', async () => {
    const dir = tempDir('charlab-auto-');
    smallCorpus(dir, 20_000);
    const out = join(dir, 'out');
    const first = await runCli(
      ['sweep', writeExperiment(dir, { ...tinyExperiment('t'), backend: 'wasm', seeds: [1] }), '--out', out],
      { cwd: dir },
    );
    expect(first.code, first.stderr).toBe(0);
    const manifestPath = join(out, 'manifest.json');
    const {
      backend: recorded,
      isa: _isa,
      threads: _threads,
      ...legacy
    } = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(recorded).toBe('wasm');
    writeFileSync(manifestPath, JSON.stringify(legacy)); // as written before the field existed: its experiment says "wasm"
    const auto = writeExperiment(dir, { ...tinyExperiment('t'), backend: 'auto', seeds: [1, 2] }, 'auto.json');
    const r = await runCli(['sweep', auto, '--out', out], {
      cwd: dir,
      env: { CHARLAB_NATIVE: NATIVE ? undefined : '0' },
    });
    if (NATIVE) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('backend (as resolved): wasm -> native');
    }
    const off = await runCli(['sweep', auto, '--out', out], { cwd: dir, env: { CHARLAB_NATIVE: '0' } });
    expect(off.code, off.stderr).toBe(0); // auto is wasm here: the folder's backend; seed 2 added
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect([manifest.backend, manifest.isa]).toEqual(['wasm', 'simd128']);
    const summary = readFileSync(join(out, 'summary.csv'), 'utf8');
    expect(summary.split('\n').filter((l) => /,wasm,simd128,done,/.test(l))).toHaveLength(2); // seed 1 kept, seed 2 added
  });
});

describe.skipIf(!NATIVE)('native: threads, resume, checkpoints', () => {
  test.each(CONFIGS)('%s: 1 and 2 threads give bit-identical losses, states and scores', (_name, c) => {
    const runs = [1, 2].map((threads) => {
      const m = createModel('native', c, undefined, { threads });
      const losses = train(m, c, 6);
      return {
        losses,
        state: stateBits(m.exportState()),
        bpc: m.evaluate(text, 2500, 2900).bpc,
        sample: Array.from(m.sample([1], 40, 0.9, makeRng('t'))),
      };
    });
    expect(runs[1]).toEqual(runs[0]);
  });

  test('the thread pool: jobs through the sleeping paths (no spinning) run every part once and never hang; a wider context leaves the earlier ones their pool', () => {
    // In a child with a time limit: a lost wake-up would hang the caller for good.
    for (const threads of [2, 3]) {
      const script = `const a = require(${JSON.stringify(ADDON_PATH)}); process.stdout.write(JSON.stringify(a.poolStress(30000, ${threads})))`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect([r.status, r.signal]).toEqual([0, null]);
      const out = JSON.parse(r.stdout) as { ok: boolean; byHelpers: number };
      expect(out.ok).toBe(true);
      expect(out.byHelpers).toBeGreaterThan(0); // the helpers did take parts: their paths ran
    }
    // A context of 3 threads makes a new pool; the 2-thread model keeps its own and continues as a fresh one does.
    const c = CONFIGS[0][1];
    const [a, straight] = [0, 1].map(() => createModel('native', c, undefined, { threads: 2 }));
    const first = train(a, c, 2);
    const wide = createModel('native', c, undefined, { threads: 3 });
    train(wide, c, 1);
    expect([...first, ...train(a, c, 2, 2 * c.unroll)]).toEqual(train(straight, c, 4));
  });

  test.each(CONFIGS)('%s: a model restored from its checkpoint file continues bit for bit (each ISA)', (_name, c) => {
    const dir = tempDir('charlab-native-ck-');
    for (const isa of NATIVE_ISAS) {
      const a = createModel('native', c, undefined, { isa });
      train(a, c, 3);
      const path = join(dir, `${isa}.safetensors`);
      saveCheckpoint(
        path,
        checkpointOf(a, 'native', {
          vocab: Array.from({ length: V }, (_, i) => 0x61 + i),
          corpus: {
            source: 's',
            sha256: 'ab'.repeat(32),
            chars: text.length,
            trainEnd: text.length - Math.round(text.length * 0.1),
            validation: 0.1,
          },
          markovOrder: 3,
          run: null,
        }),
      );
      const ck = loadCheckpoint(path);
      expect([ck.backend, ck.dtype]).toEqual(['native', 'F32']);
      const b = modelFromCheckpoint(ck, 'native', { isa, threads: 2 });
      expect(train(b, c, 3, 100)).toEqual(train(a, c, 3, 100)); // the same dropout masks too: the generator's state is saved
      expect(stateBits(b.exportState())).toEqual(stateBits(a.exportState()));
    }
  });

  test('a checkpoint loads into every backend: the same state, the same held-out score within f32', () => {
    const c = CONFIGS[0][1];
    const from: Backend[] = ['native', 'wasm', 'reference'];
    for (const writer of from) {
      const a = createModel(writer, c);
      train(a, c, 4);
      const ck = {
        ...checkpointOf(a, writer, {
          vocab: [],
          corpus: { source: 's', sha256: 'ab'.repeat(32), chars: 1, trainEnd: 1, validation: 0 },
          markovOrder: null,
          run: null,
        }),
      };
      const want = a.evaluate(text, 2500, 2900).bpc;
      for (const reader of from) {
        const b = modelFromCheckpoint(ck, reader);
        expect(Math.abs(b.evaluate(text, 2500, 2900).bpc - want), `${writer} → ${reader}`).toBeLessThan(1e-4);
      }
    }
  });

  test("a matrix outside the addon's memory is a RangeError, not a crash", () => {
    const k = new NativeKernels();
    const A = k.alloc(4, 16);
    const outside = { ...A, ptr: A.ptr + 1e9 };
    expect(() => k.sumRows(k.alloc(1, 16), outside)).toThrow(/outside the native kernels' memory/);
    const ids = k.allocI32(2);
    k.writeI32(ids, [0, 7]);
    expect(() => k.gatherRows(k.alloc(2, 16), ids, k.alloc(3, 16))).toThrow(/symbol id is outside the table/);
  });
});
