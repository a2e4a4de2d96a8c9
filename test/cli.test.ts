/** The command line as a user meets it: help, exit codes, gradcheck and train with --json. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, runCli, smallCorpus, tempDir } from './helpers/cli.js';

describe('charlab CLI', () => {
  test.each(['train', 'gradcheck', 'sweep', 'report', 'bench'])(
    '%s --help exits 0 and describes the command',
    async (cmd) => {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: charlab ${cmd}`));
    },
  );

  test('the bin entry is an executable script (what `npx charlab` runs)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const bin = join(REPO, pkg.bin.charlab);
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test('usage errors exit 2', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['train'])).code).toBe(2); // --corpus is required
    const bad = await runCli(['train', '--corpus', 'x.txt', '--hidden', '-3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--hidden.*positive integer/);
  });

  test('gradcheck --json: every parameter array within 1e-5', async () => {
    const r = await runCli(['gradcheck', '--json']);
    expect(r.code).toBe(0);
    const { params } = JSON.parse(r.stdout) as { params: { name: string; maxRelError: number }[] };
    expect(params.map((p) => p.name)).toEqual(['Wxh', 'Whh', 'Why', 'bh', 'by']);
    for (const p of params) expect(p.maxRelError).toBeLessThan(1e-5);
  });

  test('train --json prints one JSON object with the scores of both models', async () => {
    const dir = tempDir();
    const corpus = smallCorpus(dir, 60_000);
    const r = await runCli(['train', '--corpus', corpus, '--hidden', '16', '--chars', '20000', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const key of ['valBpc', 'markovValBpc', 'chars', 'iterations', 'charsPerSec', 'smoothLossPerChar'])
      expect(out).toHaveProperty(key);
    expect(out.chars).toBe(20000);
    expect(out.iterations).toBe(1250);
    expect(out.valBpc).toBeGreaterThan(1);
    expect(out.valBpc).toBeLessThan(6);
    expect(out.markovValBpc).toBeLessThan(out.valBpc + 1);
    expect(out.charsPerSec).toBeGreaterThan(0);
  });

  test('--prime primes the sample; a character outside the vocabulary is a usage error', async () => {
    const dir = tempDir();
    const corpus = smallCorpus(dir, 30_000);
    const ok = await runCli([
      'train',
      '--corpus',
      corpus,
      '--hidden',
      '8',
      '--chars',
      '2000',
      '--prime',
      'the ',
      '--sample-length',
      '25',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect([...JSON.parse(ok.stdout).rnnSample]).toHaveLength(25);
    const bad = await runCli(['train', '--corpus', corpus, '--hidden', '8', '--chars', '2000', '--prime', 'Zebra']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--prime: character 'Z' \(U\+005A\) is not in the vocabulary/);
  });

  test('a budget larger than the training text wraps around', async () => {
    const dir = tempDir();
    const corpus = smallCorpus(dir, 5_000);
    const r = await runCli([
      'train',
      '--corpus',
      corpus,
      '--hidden',
      '8',
      '--chars',
      '12000',
      '--json',
      '--backend',
      'reference',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.wrapped).toBe(true);
    expect(out.chars).toBe(12000);
    expect(out.markovTrainChars).toBe(4750); // the training text, counted once
  });

  test('corpus errors exit 2 and name the file', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.txt');
    let r = await runCli(['train', '--corpus', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.from([0x61, 0x62, 0xff, 0xfe, 0x63]));
    r = await runCli(['train', '--corpus', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid UTF-8/);
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'abcdefghijklmnopqrstuvwxyz');
    r = await runCli(['train', '--corpus', short, '--unroll', '32']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too short/);
  });
});
