/** Checkpoints: the safetensors layout, save → load round trips, refusals, and a reader outside charlab. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createModel, type Backend } from '../src/backend/index.js';
import {
  checkpointOf,
  CheckpointError,
  encodeCheckpoint,
  loadCheckpoint,
  modelFromCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from '../src/checkpoint/checkpoint.js';
import { checksumOf } from '../src/checkpoint/integrity.js';
import { decodeLayout, encodeLayout, type Tensor } from '../src/checkpoint/safetensors.js';
import type { CharModel, RnnConfig } from '../src/model/types.js';
import { makeRng } from '../src/util/rng.js';
import { REPO, tempDir } from './helpers/cli.js';

const V = 7;
const text = Int32Array.from({ length: 600 }, (_, i) => (i * 5 + (i >> 2) + (i % 3)) % V);
const vocab = Array.from({ length: V }, (_, i) => 0x61 + i);
const corpus = { source: 'synthetic', sha256: 'ab'.repeat(32), chars: text.length, trainEnd: 570, validation: 0.05 }; // the split 0.05 gives

function trained(backend: Backend, config: RnnConfig): CharModel {
  const m = createModel(backend, config);
  const batch = config.batch ?? 1;
  for (let p = 0; p < 200; p += 4)
    m.trainChunk(text, batch === 1 ? p : Array.from({ length: batch }, (_, b) => b * 250 + p), 4);
  return m;
}

function checkpoint(m: CharModel, backend: Backend): Checkpoint {
  return checkpointOf(m, backend, { vocab, corpus, markovOrder: 3, run: null });
}

const base: RnnConfig = { vocabSize: V, hiddenSize: 6, unroll: 4, learningRate: 0.1, clip: 5, seed: 3 };
const CONFIGS: [string, Backend, RnnConfig][] = [
  ['wasm rnn', 'wasm', base],
  ['reference rnn', 'reference', base],
  ['reference gru, 2 layers, rmsprop', 'reference', { ...base, cell: 'gru', layers: 2, optimizer: 'rmsprop' }],
  [
    'reference lstm, 2 streams, adam, dropout',
    'reference',
    { ...base, cell: 'lstm', batch: 2, optimizer: 'adam', layers: 2, dropout: 0.2 },
  ],
  ['wasm gru, 2 layers, rmsprop', 'wasm', { ...base, cell: 'gru', layers: 2, optimizer: 'rmsprop' }],
  [
    'wasm lstm, 2 streams, adam, clipNorm',
    'wasm',
    { ...base, cell: 'lstm', batch: 2, optimizer: 'adam', layers: 2, clipNorm: 1 },
  ],
];

describe('round trip: save → load gives a model with identical outputs', () => {
  test.each(CONFIGS)('%s', (_name, backend, config) => {
    const dir = tempDir();
    const a = trained(backend, config);
    const path = join(dir, 'm.safetensors');
    saveCheckpoint(path, checkpoint(a, backend));
    const ck = loadCheckpoint(path);
    expect(ck.dtype).toBe(backend === 'wasm' ? 'F32' : 'F64');
    expect(ck.vocab).toEqual(vocab);
    const b = modelFromCheckpoint(ck);
    expect(b.exportState()).toEqual(a.exportState());
    expect(b.evaluate(text, 500, 600)).toEqual(a.evaluate(text, 500, 600));
    expect(b.sample([1, 2], 50, 0.8, makeRng('x'))).toEqual(a.sample([1, 2], 50, 0.8, makeRng('x')));
    if (!config.dropout) {
      const starts = (config.batch ?? 1) === 1 ? 200 : [200, 450];
      expect(b.trainChunk(text, starts, 4)).toBe(a.trainChunk(text, starts, 4));
      expect(b.exportState()).toEqual(a.exportState());
    }
  });

  test('a wasm checkpoint loads into the reference backend (F32 widened exactly) and back', () => {
    const dir = tempDir();
    const a = trained('wasm', base);
    const path = join(dir, 'w.safetensors');
    saveCheckpoint(path, checkpoint(a, 'wasm'));
    const ref = modelFromCheckpoint(loadCheckpoint(path), 'reference');
    expect(ref.exportState()).toEqual(a.exportState());
    // back to F32 through the reference: the values are f32 already, so nothing is lost
    const path2 = join(dir, 'r.safetensors');
    saveCheckpoint(path2, checkpoint(ref, 'reference'));
    expect(modelFromCheckpoint(loadCheckpoint(path2), 'wasm').exportState()).toEqual(a.exportState());
  });

  test('the header is safetensors: 8-byte little-endian length, JSON with dtype/shape/data_offsets, 8-byte aligned data', () => {
    const buf = encodeCheckpoint(checkpoint(trained('reference', base), 'reference'));
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    expect(header['param.Wxh']).toEqual({ dtype: 'F64', shape: [6, V], data_offsets: [0, 6 * V * 8] });
    expect(header['hidden.h'].shape).toEqual([1, 6]);
    expect(header.__metadata__.format).toBe('charlab-checkpoint');
    expect(JSON.parse(header.__metadata__.vocab)).toEqual(vocab);
  });
});

describe('torn, truncated and foreign files are refused, naming the problem', () => {
  const good = () => encodeCheckpoint(checkpoint(trained('reference', base), 'reference'));
  const refuse = (bytes: Uint8Array, why: RegExp) => {
    const path = join(tempDir(), 'bad.safetensors');
    writeFileSync(path, bytes);
    let err: unknown;
    try {
      loadCheckpoint(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(why);
  };

  test('truncated anywhere: in the length, the header, the data', () => {
    const b = good();
    refuse(b.subarray(0, 5), /truncated/);
    refuse(b.subarray(0, 40), /truncated/);
    refuse(b.subarray(0, b.length - 3), /truncated: the tensors need/);
    refuse(Buffer.concat([b, Buffer.from([0])]), /1 trailing bytes/);
  });

  test('foreign: not safetensors, or safetensors that is not a charlab checkpoint', () => {
    refuse(Buffer.from('hello, this is a text file and not a checkpoint at all'), /not a safetensors file/);
    const other = encodeLayout({ format: 'pt' }, [['w', { dtype: 'F32', shape: [2], data: new Float32Array(2) }]]);
    refuse(other, /not a charlab checkpoint/);
  });

  test('a tensor missing, misshapen, of another dtype, or overlapping another is refused before any model is touched', () => {
    // Each file carries a checksum of what it holds (as a writer that got it wrong would), so the structural check is the one that refuses it.
    const resealed = (m: Record<string, string>, entries: [string, Tensor][]) =>
      encodeLayout({ ...m, checksum: checksumOf(m, entries) }, entries);
    const { metadata, tensors } = decodeLayout(good());
    const entries = [...tensors];
    refuse(
      resealed(
        metadata,
        entries.filter(([n]) => n !== 'param.Whh'),
      ),
      /tensor param\.Whh is missing/,
    );
    const reshaped = entries.map(
      ([n, t]) => [n, n === 'param.Why' ? { ...t, shape: [6, V] } : t] as (typeof entries)[number],
    );
    refuse(resealed(metadata, reshaped), /tensor param\.Why has shape \[6,7\], the configuration needs \[7,6\]/);
    const f32 = entries.map(
      ([n, t]) =>
        [
          n,
          n === 'param.by' ? { dtype: 'F32' as const, shape: t.shape, data: Float32Array.from(t.data) } : t,
        ] as (typeof entries)[number],
    );
    refuse(resealed(metadata, f32), /tensor param\.by is F32, the file's dtype is F64/);
    refuse(
      resealed(metadata, [...entries, ['extra', entries[0][1]]]),
      /tensor extra is not one of this configuration's/,
    );
    // offsets that overlap: rewrite the header by hand
    const b = good();
    const n = Number(b.readBigUInt64LE(0));
    const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
    header['param.Whh'].data_offsets = header['param.Wxh'].data_offsets;
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    refuse(Buffer.concat([len, json, b.subarray(8 + n)]), /data_offsets|bytes for/);
  });

  test('a missing file and a folder are named', () => {
    const dir = tempDir();
    expect(() => loadCheckpoint(join(dir, 'none.safetensors'))).toThrow(/none\.safetensors: no such file/);
    expect(() => loadCheckpoint(dir)).toThrow(/is a folder/);
  });
});

describe('a reader outside charlab (python3 + numpy, the layout parsed by hand)', () => {
  const hasNumpy = (() => {
    try {
      execFileSync('python3', ['-c', 'import numpy']);
      return true;
    } catch {
      return false;
    }
  })();
  const cases: [string, Backend, RnnConfig][] = [
    ['wasm rnn (F32)', 'wasm', base],
    ['reference rnn (F64)', 'reference', base],
    ['reference lstm, 2 layers (F64)', 'reference', { ...base, cell: 'lstm', layers: 2 }],
    ['wasm lstm, 2 layers (F32)', 'wasm', { ...base, cell: 'lstm', layers: 2 }],
  ];
  test.skipIf(!hasNumpy).each(cases)(
    '%s: one forward step gives the same probabilities to 1e-5',
    (_n, backend, config) => {
      const m = trained(backend, config);
      const path = join(tempDir(), 'm.safetensors');
      saveCheckpoint(path, checkpoint(m, backend));
      const x = 3;
      const out = JSON.parse(
        execFileSync('python3', [join(REPO, 'test/python/read_checkpoint.py'), path, String(x)], { encoding: 'utf8' }),
      );
      expect(out.vocab).toEqual(vocab);
      // charlab's own probabilities: P(next = y | x) from the carried state, by scoring [x, y]
      const probs = Array.from({ length: V }, (_, y) => Math.exp(-m.evaluate(Int32Array.of(x, y), 1, 2).nats));
      expect(out.probs).toHaveLength(V);
      for (let y = 0; y < V; y++) expect(Math.abs(out.probs[y] - probs[y])).toBeLessThan(1e-5);
    },
  );
});

test('reading a checkpoint does not depend on the file: the bytes decode to what was encoded', () => {
  const a = trained('reference', { ...base, cell: 'lstm' });
  const path = join(tempDir(), 'm.safetensors');
  saveCheckpoint(path, checkpoint(a, 'reference'));
  expect(readFileSync(path)).toEqual(encodeCheckpoint(checkpoint(a, 'reference')));
});
