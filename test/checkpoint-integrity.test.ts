/**
 * Issue 19: a damaged checkpoint is never used. Real files on disk, read by the real commands:
 * a byte changed anywhere in the tensors or a value changed in the header fails the checksum; a NaN
 * or infinity in parameters, optimizer memory or the carried state, and a metadata value out of its
 * range, are refused even when the file's checksum agrees (a writer that got it wrong); each is exit 2
 * naming what is wrong. Files written before the checksum (format 1) load, with a warning.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { CheckpointError, loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { checksumOf } from '../src/checkpoint/integrity.js';
import { decodeLayout, encodeLayout, type Tensor } from '../src/checkpoint/safetensors.js';
import { makeRng } from '../src/util/rng.js';
import { runCli, smallCorpus, tempDir } from './helpers/cli.js';

type Edit = (meta: Record<string, string>, tensors: Map<string, Tensor>) => void;

/** The checkpoint's header length and where its data starts. */
function dataStart(bytes: Buffer): number {
  return 8 + Number(bytes.readBigUInt64LE(0));
}

/** A copy of the file with `edit` applied and, if `reseal`, a checksum of what it now holds (format 2); else format 1 (no checksum). */
function rewrite(bytes: Buffer, edit: Edit, seal: 'reseal' | 'format1'): Buffer {
  const { metadata, tensors } = decodeLayout(bytes);
  edit(metadata, tensors);
  const entries = [...tensors];
  const { checksum: _old, ...meta } = metadata;
  if (seal === 'format1') return encodeLayout({ ...meta, format_version: '1' }, entries);
  return encodeLayout({ ...meta, checksum: checksumOf(meta, entries) }, entries);
}

describe('damaged checkpoints are refused by every command that reads them', () => {
  let dir: string;
  let corpus: string;
  let good: Buffer;
  let goodPath: string;
  const write = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const commands = (path: string) => [
    ['sample', path, '--length', '50'],
    ['eval', path, '--corpus', corpus],
    ['train', '--resume', path, '--chars', '8000'],
  ];

  beforeAll(async () => {
    dir = tempDir('charlab-damage-');
    corpus = smallCorpus(dir, 40_000);
    goodPath = join(dir, 'good.safetensors');
    const r = await runCli([
      'train',
      '--corpus',
      corpus,
      '--hidden',
      '8',
      '--chars',
      '4000',
      '--lr',
      '0.1',
      '--save',
      goodPath,
    ]);
    expect(r.code, r.stderr).toBe(0);
    good = readFileSync(goodPath);
  });

  test('40 random byte flips in the tensor data: every one refused on load, naming the tensor', () => {
    const rng = makeRng('flips');
    const start = dataStart(good);
    for (let k = 0; k < 40; k++) {
      const bad = Buffer.from(good);
      const at = start + Math.floor(rng() * (good.length - start));
      bad[at] ^= 1 << Math.floor(rng() * 8);
      const path = write(`flip${k}.safetensors`, bad);
      expect(() => loadCheckpoint(path), `offset ${at}`).toThrow(
        /checksum mismatch in tensor (param|optim|hidden)\.\w+/,
      );
    }
  });

  test('a flipped tensor byte: sample, eval and train --resume exit 2 naming the file and the tensor', async () => {
    const bad = Buffer.from(good);
    bad[good.length - 3] ^= 0x10; // in the carried state, the last tensor
    const path = write('flipped.safetensors', bad);
    for (const args of commands(path)) {
      const r = await runCli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(path);
      expect(r.stderr).toMatch(/checksum mismatch in tensor hidden\.h/);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(path)).toEqual(bad); // train --resume wrote nothing over it
  });

  test('a digit changed in the header (learning rate 0.1 -> 0.2, Markov order 4 -> 5, the split): refused, exit 2', async () => {
    const text = good.toString('latin1');
    const edits: Array<[string, string]> = [
      ['\\"learningRate\\":0.1', '\\"learningRate\\":0.2'],
      ['"markov_order":"4"', '"markov_order":"5"'],
      ['"corpus_validation":"0.05"', '"corpus_validation":"0.06"'],
    ];
    for (const [from, to] of edits) {
      expect(text, from).toContain(from);
      const path = write('header.safetensors', Buffer.from(text.replace(from, to), 'latin1'));
      for (const args of commands(path)) {
        const r = await runCli(args);
        expect(r.code, `${to} ${args[0]}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/checksum mismatch in the header/);
      }
    }
  });

  test('a NaN or infinity in a weight, the optimizer memory or the hidden state is refused even under a matching checksum', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['param.Why', Number.NaN, /tensor param\.Why holds NaN at index 5/],
      ['optim.mem.Whh', Number.POSITIVE_INFINITY, /tensor optim\.mem\.Whh holds Infinity at index 5/],
      ['hidden.h', Number.NaN, /tensor hidden\.h holds NaN at index 5/],
    ];
    for (const [name, value, message] of cases) {
      const path = write(
        'nan.safetensors',
        rewrite(good, (_m, t) => (t.get(name)!.data[5] = value), 'reseal'),
      );
      for (const args of [
        ...commands(path),
        ['sample', path, '--backend', 'reference'],
        ['eval', path, '--corpus', corpus, '--backend', 'wasm'],
      ]) {
        const r = await runCli(args);
        expect(r.code, `${name} ${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stdout).toBe('');
      }
    }
  });

  test('metadata out of range under a matching checksum: exit 2 naming the key', async () => {
    const run = (m: Record<string, string>) => JSON.parse(m.run);
    const cases: Array<[Edit, RegExp]> = [
      [(m) => (m.markov_order = '99'), /metadata markov_order is 99: expected an integer in 1\.\.64/],
      [(m) => (m.corpus_validation = '1.5'), /metadata corpus_validation is 1\.5: expected a fraction in \[0, 1\)/],
      [
        (m) => (m.corpus_train_end = String(Number(m.corpus_train_end) - 7)),
        /metadata corpus_train_end is \d+: expected \d+, where holding out 0\.05/,
      ],
      [
        (m) => (m.corpus_sha256 = 'not a digest'),
        /metadata corpus_sha256 is "not a digest": expected 64 hexadecimal digits/,
      ],
      [
        (m) => (m.run = JSON.stringify({ ...run(m), chars: run(m).budget + 16 })),
        /metadata run\.chars is \d+: expected at most the run's budget/,
      ],
      [
        (m) =>
          (m.run = JSON.stringify({
            ...run(m),
            curves: [{ iteration: 1, chars: 16, smoothLossPerChar: 3, valBpc: -5, elapsedS: 0 }],
          })),
        /metadata run\.curves\[0\]\.valBpc is -5: expected a finite number ≥ 0/,
      ],
      [
        (m) => (m.config = m.config.replace('"learningRate":0.1', '"learningRate":-0.1')),
        /learningRate must be positive/,
      ],
    ];
    for (const [edit, message] of cases) {
      const path = write('range.safetensors', rewrite(good, edit, 'reseal'));
      const r = await runCli(['sample', path, '--length', '20']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  test('format 1 (written before the checksum): loads with a warning, reads as the same model; its values are still checked', async () => {
    const legacy = write(
      'legacy.safetensors',
      rewrite(good, () => {}, 'format1'),
    );
    const now = await runCli(['sample', goodPath, '--length', '80', '--seed', '3']);
    const old = await runCli(['sample', legacy, '--length', '80', '--seed', '3']);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toBe(now.stdout);
    expect(old.stderr).toMatch(
      /warning: checkpoint .*legacy\.safetensors was written before checkpoints carried a checksum \(format 1\)/,
    );
    expect(now.stderr).not.toContain('warning');
    const evalOld = await runCli(['eval', legacy, '--corpus', corpus, '--json']);
    const evalNow = await runCli(['eval', goodPath, '--corpus', corpus, '--json']);
    expect(JSON.parse(evalOld.stdout).valBpc).toBe(JSON.parse(evalNow.stdout).valBpc);
    // resumed in place, it is written again with a checksum
    const resumed = await runCli(['train', '--resume', legacy, '--chars', '8000']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(loadCheckpoint(legacy).integrity).toBe('sha256');

    const nan = write(
      'legacy-nan.safetensors',
      rewrite(good, (_m, t) => (t.get('hidden.h')!.data[0] = Number.NaN), 'format1'),
    );
    expect(() => loadCheckpoint(nan)).toThrow(/tensor hidden\.h holds NaN at index 0/);
    // A version digit turned from 2 to 1 keeps the checksum: refused, not read as unchecked.
    const downgraded = write(
      'downgraded.safetensors',
      Buffer.from(good.toString('latin1').replace('"format_version":"2"', '"format_version":"1"'), 'latin1'),
    );
    expect(() => loadCheckpoint(downgraded)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(downgraded)).toThrow(/format version 1 carries no checksum, but this file holds one/);
  });
});
