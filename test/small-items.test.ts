/**
 * Issue 19, "Confusing, smaller": each item fixed (or, where the behaviour was right, documented),
 * through the real CLI where it is a CLI matter.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeStatus } from '../src/backend/nativeAddon.js';
import { nearest } from '../src/results/experimentFile.js';
import { readTable, writeTable } from '../src/results/tables.js';
import { REPO, runCli, smallCorpus, startCli, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

describe('npm aliases', () => {
  test('every command `charlab --help` lists has an `npm run <command>` alias (the README says each has one)', async () => {
    const help = await runCli(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}(\w+)(?: \[options\]| <|\s)/gm)]
      .map((m) => m[1])
      .filter((c) => c !== 'help');
    expect(commands).toEqual(
      expect.arrayContaining(['train', 'sample', 'eval', 'gradcheck', 'sweep', 'merge', 'slurm', 'report', 'bench']),
    );
    const scripts = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts as Record<string, string>;
    for (const c of commands) expect(scripts[c], c).toBe(`node dist/cli/main.js ${c}`);
  });
});

describe('"did you mean" only for a likely typo', () => {
  test('an unrelated short key gets no suggestion; typos, swaps and abbreviations still do', async () => {
    expect(nearest('foo', ['from', 'to'])).toBeUndefined();
    expect(nearest('chras', ['chars'])).toBe('chars');
    expect(nearest('hiden', ['hiddenSize', 'unroll'])).toBe('hiddenSize');
    const dir = tempDir('charlab-dym-');
    const exp = writeExperiment(dir, { ...tinyExperiment('dym'), foo: 1 });
    const r = await runCli(['sweep', exp, '--plan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/foo: unknown key; expected one of name,/);
    expect(r.stderr).not.toContain('did you mean');
  });
});

describe('sweep --plan --shard', () => {
  const exp = () => writeExperiment(tempDir('charlab-plan-'), { ...tinyExperiment('plan'), seeds: [1, 2, 3, 4, 5] });

  test("lists only the shard's runs (grid positions i, i+n, …)", async () => {
    const r = await runCli(['sweep', exp(), '--plan', '--shard', '1/2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.runs.map((x: { id: string }) => x.id)).toEqual(['h8-u8-c5-lr0.1-s2', 'h8-u8-c5-lr0.1-s4']);
    expect(plan).toMatchObject({ shard: '1/2', plannedRuns: 5 });
    const text = await runCli(['sweep', exp(), '--plan', '--shard', '0/2']);
    expect(text.stderr).toContain('shard 0/2: 3 of 5 runs');
  });

  test.each(['abc', '0/0', '-1/2', '2/2'])('a bad --shard %s is refused with --plan too (exit 2)', async (spec) => {
    const r = await runCli(['sweep', exp(), '--plan', `--shard=${spec}`]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(/--shard/);
    expect(r.stdout).toBe('');
  });
});

describe("eval: the corpus defaults to the checkpoint's; a held-out range inside the training text is refused", () => {
  test("eval CKPT without --corpus scores the recorded corpus; --validation beyond the run's split on its own text exits 2 naming the overlap", async () => {
    const dir = tempDir('charlab-eval-');
    const corpus = smallCorpus(dir, 20_000);
    const ck = join(dir, 'm.safetensors');
    expect((await runCli(['train', '--corpus', corpus, '--hidden', '8', '--chars', '3000', '--save', ck])).code).toBe(
      0,
    );
    const plain = await runCli(['eval', ck, '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const named = await runCli(['eval', ck, '--corpus', corpus, '--json']);
    expect(JSON.parse(plain.stdout)).toEqual(JSON.parse(named.stdout));
    expect(JSON.parse(plain.stdout)).toMatchObject({ corpus, sameCorpus: true, validation: 0.05, chars: 1000 });

    const all = await runCli(['eval', ck, '--validation', '0.999999']);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain(
      `--validation 0.999999: the held-out characters 1..20000 of ${corpus} overlap the text the model was trained on (characters 0..19000, the same text by sha256): 18999 of them are training text`,
    );
    expect(all.stdout).toBe('');
    expect((await runCli(['eval', ck, '--validation', '0.06'])).code).toBe(2);
    expect((await runCli(['eval', ck, '--validation', '0.04'])).code).toBe(0);
    // Another text (not the training text by sha256): any split is held out from this model's point of view.
    const other = join(dir, 'other.txt');
    writeFileSync(other, readFileSync(corpus, 'utf8').slice(5000));
    const r = await runCli(['eval', ck, '--corpus', other, '--validation', '0.5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sameCorpus).toBe(false);
  });
});

describe('a tiny held-out text is warned about; validation 0 is not "no score yet"', () => {
  test('train, sweep and eval on a 28-character corpus warn that 1 held-out character is scored', async () => {
    const dir = tempDir('charlab-tiny-');
    writeFileSync(join(dir, 'tiny.txt'), 'the cat sat on the mat. ok.\n');
    const ck = join(dir, 't.safetensors');
    const train = await runCli([
      'train',
      '--corpus',
      join(dir, 'tiny.txt'),
      '--unroll',
      '4',
      '--hidden',
      '4',
      '--chars',
      '200',
      '--save',
      ck,
    ]);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toMatch(
      /warning: corpus .*tiny\.txt: only 1 held-out character to score; a score on fewer than 1000 is mostly chance/,
    );
    const ev = await runCli(['eval', ck]);
    expect(ev.stderr).toMatch(/only 1 held-out character to score/);
    const exp = writeExperiment(dir, {
      ...tinyExperiment('tiny'),
      corpus: 'tiny.txt',
      budget: { chars: 200 },
      grid: { hiddenSize: [4], unroll: [4], clip: [5], learningRate: [0.1] },
    });
    const sweep = await runCli(['sweep', exp, '--out', join(dir, 'out')]);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stderr).toMatch(/only 1 held-out character to score/);
    const report = await runCli(['report', join(dir, 'out')]);
    expect(report.stdout.replace(/\s+/g, ' ')).toMatch(/Warning: scores: only 1 held-out character/);
  });

  test('report of a sweep with validation 0 says nothing is scored, not "no held-out score yet"', async () => {
    const dir = tempDir('charlab-v0-');
    smallCorpus(dir, 20_000);
    const exp = writeExperiment(dir, { ...tinyExperiment('v0'), validation: 0 });
    expect((await runCli(['sweep', exp, '--out', join(dir, 'out')])).code).toBe(0);
    const r = await runCli(['report', join(dir, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      'Nothing is scored: the experiment holds no text out (validation 0), so no run has a held-out score.',
    );
    expect(text).not.toContain('score yet');
    expect(readFileSync(join(dir, 'out', 'report.md'), 'utf8')).toContain('Nothing is scored');
  });
});

describe('sample streams what it draws', () => {
  test("sample --length 100000000 prints at once; Ctrl-C keeps what was printed, a prefix of the same seed's shorter sample", async () => {
    const dir = tempDir('charlab-stream-');
    const corpus = smallCorpus(dir, 20_000);
    const ck = join(dir, 'm.safetensors');
    expect((await runCli(['train', '--corpus', corpus, '--hidden', '8', '--chars', '3000', '--save', ck])).code).toBe(
      0,
    );
    for (const markov of [[], ['--markov']]) {
      const { child, done } = startCli(['sample', ck, '--length', '100000000', '--seed', '4', ...markov]);
      let got = '';
      const t0 = Date.now();
      await new Promise<void>((ok, fail) => {
        child.stdout!.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.length >= 20_000) ok();
        });
        child.on('close', () => fail(new Error(`sample ended before printing 20000 characters: ${got.length}`)));
      });
      expect(Date.now() - t0).toBeLessThan(20_000);
      child.kill('SIGINT');
      const r = await done;
      expect(r.signal ?? r.code).toBe('SIGINT');
      expect(r.stdout.length).toBeGreaterThanOrEqual(20_000);
      // What was printed is the same seed's text: the shorter of the two is the start of the longer.
      const short = (await runCli(['sample', ck, '--length', '30000', '--seed', '4', ...markov])).stdout.slice(0, -1);
      const n = Math.min(short.length, r.stdout.length);
      expect(r.stdout.slice(0, n)).toBe(short.slice(0, n));
    }
  });
});

describe('control characters from the tables are escaped in report.md and report.html', () => {
  test('ESC, BEL and U+202E in a sample and an error reach the reports as \\x1b, \\x07, \\u202e; the CSV keeps them', async () => {
    const dir = tempDir('charlab-ctl-');
    smallCorpus(dir, 20_000);
    const out = join(dir, 'out');
    expect((await runCli(['sweep', writeExperiment(dir, tinyExperiment('ctl')), '--out', out])).code).toBe(0);
    const samples = join(out, 'samples.csv');
    const hostile = 'red \x1b[31mALERT\x07 \u202eevil';
    writeTable(
      out,
      'samples',
      readTable(out, 'samples').rows.map((r) => ({ ...r, text: hostile })),
    );
    const r = await runCli(['report', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const file of ['report.md', 'report.html']) {
      const text = readFileSync(join(out, file), 'utf8');
      expect(text, file).not.toMatch(/[\x07\x1b\u202e]/);
      expect(text, file).toContain('\\x1b[31mALERT\\x07 \\u202e');
    }
    expect(readFileSync(samples, 'utf8')).toContain(hostile);
  });
});

describe("a merged folder's report links each run to its checkpoint under shards/", () => {
  test('run ids link to shards/<i>-of-<n>/checkpoints/<run_id>.safetensors, and the link is a file', async () => {
    const dir = tempDir('charlab-mlink-');
    smallCorpus(dir, 20_000);
    const exp = writeExperiment(dir, { ...tinyExperiment('ml'), seeds: [1, 2] });
    const out = join(dir, 'results');
    for (const i of [0, 1])
      expect((await runCli(['sweep', exp, '--shard', `${i}/2`, '--out', join(out, 'shards', `${i}-of-2`)])).code).toBe(
        0,
      );
    expect((await runCli(['merge', out])).code).toBe(0);
    const r = await runCli(['report', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const links = Object.fromEntries(
      JSON.parse(r.stdout).leaderboard.map((e: { runId: string; checkpoint?: string }) => [e.runId, e.checkpoint]),
    );
    expect(links).toEqual({
      'h8-u8-c5-lr0.1-s1': 'shards/0-of-2/checkpoints/h8-u8-c5-lr0.1-s1.safetensors',
      'h8-u8-c5-lr0.1-s2': 'shards/1-of-2/checkpoints/h8-u8-c5-lr0.1-s2.safetensors',
    });
    for (const link of Object.values(links)) expect(readFileSync(join(out, link as string)).length).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /\[h8-u8-c5-lr0\.1-s1\]\(shards\/0-of-2\/checkpoints\/h8-u8-c5-lr0\.1-s1\.safetensors\)/,
    );
  });
});

describe('bench: --hidden steers every section; --quick trains a small LSTM', () => {
  test('--quick defaults the cells section to an LSTM of 64 units; --hidden sets the training, sweep and cells sections alike', async () => {
    const { resolveBenchOptions } = await import('../src/cli/bench.js');
    const lstm = (...hidden: number[]) => hidden.map((h) => ({ cell: 'lstm', hidden: h }));
    expect(resolveBenchOptions({ quick: true })).toMatchObject({
      cellShapes: lstm(64),
      sweepHidden: [50, 100],
      hidden: [100, 256, 512],
    });
    expect(resolveBenchOptions({})).toMatchObject({ cellShapes: [...lstm(256, 512), { cell: 'gru', hidden: 512 }] });
    expect(resolveBenchOptions({ hidden: [16, 24], quick: true })).toMatchObject({
      cellShapes: lstm(16, 24),
      sweepHidden: [16, 24],
      hidden: [16, 24],
    });
    const dir = tempDir('charlab-bench-');
    const corpus = smallCorpus(dir, 30_000);
    const args = [
      'bench',
      '--quick',
      '--no-numpy',
      '--hidden',
      '16',
      '--seconds',
      '0.03',
      '--warmup',
      '0.01',
      '--python',
      join(dir, 'no-python'),
      '--json',
      '--corpus',
      corpus,
    ];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    const sections = JSON.parse(r.stdout).sections as Record<
      string,
      { measurements: Array<{ hidden?: number; subject: string; note?: string }> }
    >;
    const sizes = (name: string) => [
      ...new Set(sections[name].measurements.map((m) => m.hidden).filter((h) => h !== undefined)),
    ];
    expect(sizes('training')).toEqual([16]);
    // each backend's fused fast path beside the host model on its kernels, and the ratios between them
    const native = nativeStatus().available ? ['native', 'native-host', 'native/native-host'] : [];
    expect(sections.training.measurements.map((m) => m.subject)).toEqual(
      expect.arrayContaining(['wasm', 'wasm-host', 'wasm/wasm-host', 'native/wasm', ...native]),
    );
    expect(sizes('cells')).toEqual([16]);
    expect(
      sections.sweep.measurements
        .filter((m) => m.subject.startsWith('sweep-'))
        .every((m) => m.note?.startsWith('4 runs (hidden 16,')),
    ).toBe(true);
  });
});

describe('the default prime: train --help and sample --help say what each does', () => {
  test('train primes with the last character read, sample with a newline; each help says so, and the behaviour matches', async () => {
    const { DEFAULT_PRIME } = await import('../src/corpus/prime.js');
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    expect(flat((await runCli(['train', '--help'])).stdout)).toContain(flat(DEFAULT_PRIME.run));
    expect(flat((await runCli(['sample', '--help'])).stdout)).toContain(flat(DEFAULT_PRIME.checkpoint));
    const dir = tempDir('charlab-prime-');
    const corpus = smallCorpus(dir, 20_000);
    const common = [
      'train',
      '--corpus',
      corpus,
      '--hidden',
      '8',
      '--chars',
      '2000',
      '--backend',
      'reference',
      '--json',
    ];
    const plain = JSON.parse((await runCli(common)).stdout);
    const last = Array.from(readFileSync(corpus, 'utf8'))[1999]; // 2,000 characters read: the pointer stands at 2,000
    const primed = JSON.parse((await runCli([...common, '--prime', last])).stdout);
    expect(primed.rnnSample).toBe(plain.rnnSample);
    const ck = join(dir, 'm.safetensors');
    expect((await runCli([...common, '--save', ck])).code).toBe(0);
    const a = await runCli(['sample', ck, '--length', '60']);
    const b = await runCli(['sample', ck, '--length', '60', '--prime', '\n']);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe('the README says what its main job prints on a clone', () => {
  test('`npm run sweep experiments/holmes.json` on a clone trains nothing and prints every line the README quotes', async () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const mainJob = readme.slice(readme.indexOf('## The main job'), readme.indexOf('## Your own corpus'));
    const block = /\n\n((?: {4}.*\n)+)\nNone of the 36 runs/.exec(mainJob);
    expect(block, 'the main job quotes what the sweep prints').not.toBeNull();
    const quoted = block![1]
      .split('\n')
      .map((l) => l.slice(4))
      .filter((l) => l !== '' && l !== '…');
    expect(quoted).toContain('nothing to do: all 36 runs are recorded; corpus not read');
    const clone = tempDir('charlab-clone-');
    cpSync(join(REPO, 'experiments'), join(clone, 'experiments'), { recursive: true });
    cpSync(join(REPO, 'results', 'holmes'), join(clone, 'results', 'holmes'), { recursive: true });
    const r = await runCli(['sweep', 'experiments/holmes.json'], {
      cwd: clone,
      env: { CHARLAB_DATA_DIR: join(clone, 'data') },
    });
    expect(r.code, r.stderr).toBe(0);
    const printed = `${r.stderr}\n${r.stdout}`.split(`${clone}/`).join('');
    for (const line of quoted) expect(printed, line).toContain(line);
    expect(existsSync(join(clone, 'data'))).toBe(false); // the corpus was not read, nor downloaded
  });
});
