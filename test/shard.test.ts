/** Shards of a sweep: the spec (i/n, auto from Slurm or Kubernetes), the partition, the sbatch script, the corpus fetched once. */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { expandGrid } from '../src/sweep/grid.js';
import { parseExperiment } from '../src/results/experimentFile.js';
import { parseShard, shardOf, shardRuns } from '../src/sweep/shard.js';
import { slurmScript, type SlurmScriptOptions } from '../src/sweep/slurm.js';
import { REPO, runCli, smallCorpus, tempDir, writeExperiment } from './helpers/cli.js';
import { publishedFixture } from './helpers/fixtureText.js';

describe('--shard i/n, auto and auto/n', () => {
  test('i/n', () => {
    expect(parseShard('0/1', {})).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 3 / 8 ', {})).toEqual({ index: 3, count: 8 });
  });

  test.each([
    ['8/8', /shard index 8 is not below the shard count 8 \(shards are numbered 0\.\.7\)/],
    ['1/0', /the shard count must be at least 1/],
    ['-1/4', /expected i\/n/],
    ['1.5/4', /expected i\/n/],
    ['1e1/20', /expected i\/n/],
    ['two/4', /expected i\/n/],
    ['3', /expected i\/n .* got '3'/],
    ['', /expected i\/n/],
    ['auto', /SLURM_ARRAY_TASK_ID is not set, so this is not a Slurm array task/],
    ['auto/4', /neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set/],
  ])('a bad spec is refused: %j', (spec, message) => {
    expect(() => parseShard(spec, {})).toThrow(message);
  });

  test('auto: a Slurm job array, numbered from its minimum, with or without a step', () => {
    const array = {
      SLURM_ARRAY_TASK_ID: '5',
      SLURM_ARRAY_TASK_MIN: '4',
      SLURM_ARRAY_TASK_MAX: '7',
      SLURM_ARRAY_TASK_COUNT: '4',
    };
    expect(parseShard('auto', array)).toEqual({ index: 1, count: 4 });
    expect(parseShard('auto', { ...array, SLURM_ARRAY_TASK_MAX: undefined })).toEqual({ index: 1, count: 4 });
    const stepped = {
      SLURM_ARRAY_TASK_ID: '4',
      SLURM_ARRAY_TASK_MIN: '0',
      SLURM_ARRAY_TASK_MAX: '6',
      SLURM_ARRAY_TASK_STEP: '2',
      SLURM_ARRAY_TASK_COUNT: '4',
    };
    expect(parseShard('auto', stepped)).toEqual({ index: 2, count: 4 });
  });

  test('auto: missing or inconsistent Slurm variables are refused, naming them', () => {
    const ok = {
      SLURM_ARRAY_TASK_ID: '2',
      SLURM_ARRAY_TASK_MIN: '0',
      SLURM_ARRAY_TASK_MAX: '3',
      SLURM_ARRAY_TASK_COUNT: '4',
    };
    expect(() => parseShard('auto', { ...ok, SLURM_ARRAY_TASK_COUNT: undefined })).toThrow(
      /SLURM_ARRAY_TASK_COUNT: expected a non-negative integer .* got nothing \(not set\)/,
    );
    expect(() => parseShard('auto', { ...ok, SLURM_ARRAY_TASK_MIN: 'x' })).toThrow(
      /SLURM_ARRAY_TASK_MIN: expected a non-negative integer .* got 'x'/,
    );
    // --array=1,3,7 (re-running some indices): not a range, the count cannot be told.
    expect(() =>
      parseShard('auto', {
        SLURM_ARRAY_TASK_ID: '3',
        SLURM_ARRAY_TASK_MIN: '1',
        SLURM_ARRAY_TASK_MAX: '7',
        SLURM_ARRAY_TASK_COUNT: '3',
      }),
    ).toThrow(/not a contiguous range .* give it: --shard auto\/n/);
    expect(() => parseShard('auto', { ...ok, SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_MAX: undefined })).toThrow(
      /task 9 is not in the array/,
    );
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '1' })).toThrow(
      /JOB_COMPLETION_INDEX is set: in a Kubernetes Indexed Job give the completion count, --shard auto\/n/,
    );
  });

  test('auto/n: the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, the count fixed', () => {
    expect(parseShard('auto/6', { JOB_COMPLETION_INDEX: '5' })).toEqual({ index: 5, count: 6 });
    // Re-running indices 2 and 5 of an array of 6 (sbatch --array=2,5): each keeps its shard.
    expect(
      parseShard('auto/6', { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_COUNT: '2' }),
    ).toEqual({ index: 5, count: 6 });
    expect(parseShard('auto/6', { SLURM_ARRAY_TASK_ID: '3', JOB_COMPLETION_INDEX: '3' })).toEqual({
      index: 3,
      count: 6,
    });
    expect(() => parseShard('auto/6', { SLURM_ARRAY_TASK_ID: '3', JOB_COMPLETION_INDEX: '4' })).toThrow(
      /SLURM_ARRAY_TASK_ID=3 and JOB_COMPLETION_INDEX=4 disagree/,
    );
    expect(() => parseShard('auto/6', { JOB_COMPLETION_INDEX: '6' })).toThrow(
      /JOB_COMPLETION_INDEX=6 is not below the shard count 6/,
    );
    expect(() => parseShard('auto/6', { JOB_COMPLETION_INDEX: '-1' })).toThrow(
      /JOB_COMPLETION_INDEX: expected a non-negative integer/,
    );
  });

  test('the partition: round-robin over the grid order, disjoint, covering, balanced, deterministic', () => {
    const exp = parseExperiment(JSON.parse(readFileSync(join(REPO, 'experiments/holmes.json'), 'utf8')), 'holmes.json');
    const runs = expandGrid(exp);
    for (const n of [1, 4, 5, 36]) {
      const shards = [...Array(n).keys()].map((i) => shardRuns(runs, { index: i, count: n }));
      const ids = shards.flat().map((r) => r.id);
      expect(new Set(ids).size).toBe(runs.length);
      expect(ids.sort()).toEqual(runs.map((r) => r.id).sort());
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      shards.forEach((s, i) => s.forEach((r) => expect(shardOf(r.index, n)).toBe(i)));
      // Each shard keeps grid order, and holds small and large models alike.
      shards.forEach((s) => expect(s.map((r) => r.index)).toEqual([...s.map((r) => r.index)].sort((a, b) => a - b)));
    }
    expect(shardRuns(runs, { index: 1, count: 4 }).map((r) => r.index)).toEqual([1, 5, 9, 13, 17, 21, 25, 29, 33]);
    expect(new Set(shardRuns(runs, { index: 0, count: 4 }).map((r) => r.hiddenSize))).toEqual(new Set([50, 100, 200]));
  });
});

describe('charlab slurm: the sbatch script', () => {
  const opts: SlurmScriptOptions = {
    experimentPath: 'experiments/holmes.json',
    name: 'holmes',
    runs: 36,
    shards: 6,
    cpusPerTask: 2,
    time: '01:00:00',
    fileName: 'holmes.sbatch',
    commandLine: 'npx charlab slurm experiments/holmes.json --shards 6',
    version: '0.1.0',
  };

  test('an array of one task per shard, each a --shard auto/n sweep with cpus-per-task workers, and a merge after it', () => {
    const s = slurmScript(opts);
    expect(s.startsWith('#!/bin/bash\n')).toBe(true);
    expect(s).toMatch(/^#SBATCH --array=0-5$/m);
    expect(s).toMatch(/^#SBATCH --cpus-per-task=2$/m);
    expect(s).toMatch(/^#SBATCH --time=01:00:00$/m);
    expect(s).not.toMatch(/--partition/);
    expect(s).toMatch(/--shard "auto\/\$SHARDS" --workers "\$\{SLURM_CPUS_PER_TASK:-2\}"/);
    expect(s).toMatch(/^SHARDS=6$/m);
    expect(s).toMatch(/--dependency=afterany:"\$array"/);
    expect(s).toMatch(/\$CHARLAB merge "\$RESULTS"/);
    expect(s).toMatch(/\$CHARLAB report "\$RESULTS"/);
    // The #SBATCH lines come before the first command (sbatch stops reading them there).
    const lines = s.split('\n');
    const firstCommand = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
    const lastDirective = lines.map((l, i) => (l.startsWith('#SBATCH') ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(lastDirective).toBeGreaterThan(0);
    expect(lastDirective).toBeLessThan(firstCommand);
    // bash can parse it.
    execFileSync('bash', ['-n'], { input: s });
    expect(slurmScript({ ...opts, partition: 'gpu,cpu' })).toMatch(/^#SBATCH --partition=gpu,cpu$/m);
    expect(slurmScript({ ...opts, experimentPath: "my exps/it's.json" })).toMatch(
      /^EXPERIMENT='my exps\/it'\\''s\.json'$/m,
    );
  });

  test.each([
    [{ shards: 37 }, /--shards 37: experiments\/holmes\.json plans 36 run\(s\), so 1 shard\(s\) would hold none/],
    [{ time: '1h' }, /--time: expected a Slurm time limit .* got '1h'/],
    [{ partition: 'a b' }, /--partition: expected a partition name .* got 'a b'/],
  ])('bad options are refused: %j', (bad, message) => {
    expect(() => slurmScript({ ...opts, ...bad })).toThrow(message);
  });

  test('the committed example is what charlab slurm writes for experiments/holmes.json', async () => {
    const dir = tempDir();
    const out = join(dir, 'holmes.sbatch');
    const example = readFileSync(join(REPO, 'examples/slurm/holmes.sbatch'), 'utf8');
    const args = /^# {3}npx charlab slurm (.*)$/m
      .exec(example)![1]
      .split(' ')
      .filter((a) => a !== '--out' && !a.endsWith('.sbatch'));
    const r = await runCli(['slurm', ...args, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const made = readFileSync(out, 'utf8').replace(/^(# {3}npx charlab slurm .*) --out \S+$/m, '$1');
    expect(made).toBe(example.replace(/^(# {3}npx charlab slurm .*) --out \S+$/m, '$1'));
    const bad = await runCli(['slurm', 'experiments/holmes.json', '--shards', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shards.*expected a positive integer/);
  });
});

describe('shards through the CLI', () => {
  let dir: string;
  let exp: string;
  beforeAll(() => {
    dir = tempDir();
    smallCorpus(dir, 60_000);
    exp = writeExperiment(dir, {
      name: 'tiny',
      corpus: 'small.txt',
      budget: { chars: 3000 },
      seeds: [1, 2],
      grid: { hiddenSize: [8], unroll: [8], clip: [5], learningRate: [0.05, 0.1] },
      curves: { every: 1000 },
      evaluation: { every: 1500, chars: 300 },
      samples: { length: 30 },
    });
  });
  const manifest = (d: string) => JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
  const ids = (d: string) =>
    readFileSync(join(d, 'summary.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);

  test('--shard auto from a Slurm array and auto/n from a Kubernetes index: the shard folder, its runs, its manifest', async () => {
    const slurm = {
      SLURM_ARRAY_TASK_ID: '11',
      SLURM_ARRAY_TASK_MIN: '10',
      SLURM_ARRAY_TASK_MAX: '12',
      SLURM_ARRAY_TASK_COUNT: '3',
    };
    const a = await runCli(['sweep', exp, '--shard', 'auto'], { cwd: dir, env: slurm });
    expect(a.code, a.stderr).toBe(0);
    const s1 = join(dir, 'results/tiny/shards/1-of-3');
    expect(ids(s1)).toEqual(['h8-u8-c5-lr0.05-s2']);
    expect(manifest(s1).shard).toEqual({ index: 1, count: 3 });
    expect(manifest(s1).totalRuns).toBe(1);
    expect(existsSync(join(dir, 'results/tiny/summary.csv'))).toBe(false);

    const k = await runCli(['sweep', exp, '--shard', 'auto/3'], { cwd: dir, env: { JOB_COMPLETION_INDEX: '0' } });
    expect(k.code, k.stderr).toBe(0);
    expect(ids(join(dir, 'results/tiny/shards/0-of-3'))).toEqual(['h8-u8-c5-lr0.05-s1', 'h8-u8-c5-lr0.1-s2']);

    // Run again: idempotent, nothing to do.
    const again = await runCli(['sweep', exp, '--shard', '0/3'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/2 already recorded, 0 to run: nothing to do/);
  });

  test('bad specs, missing variables and a folder of another shard: exit 2, nothing written', async () => {
    for (const [spec, env, message] of [
      ['4/4', {}, /--shard 4\/4: shard index 4 is not below the shard count 4/],
      ['auto', {}, /--shard auto: SLURM_ARRAY_TASK_ID is not set/],
      [
        'auto',
        { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '2' },
        /task 3 is not in the array/,
      ],
      ['auto/2', { JOB_COMPLETION_INDEX: 'x' }, /JOB_COMPLETION_INDEX: expected a non-negative integer/],
    ] as const) {
      const r = await runCli(['sweep', exp, '--shard', spec], { cwd: dir, env: { ...env } });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(join(dir, 'results/tiny/shards')).sort()).toEqual(['0-of-3', '1-of-3']);
    const other = await runCli(['sweep', exp, '--shard', '2/3', '--out', join(dir, 'results/tiny/shards/0-of-3')], {
      cwd: dir,
    });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds shard 0\/3; refusing to add shard 2\/3 to it/);
    const whole = await runCli(['sweep', exp, '--out', join(dir, 'results/tiny/shards/0-of-3')], { cwd: dir });
    expect(whole.code).toBe(2);
    expect(whole.stderr).toMatch(/holds shard 0\/3; refusing to add a whole sweep to it/);
  });
});

describe('the corpus on a cluster: tasks starting together download it once', () => {
  test('four processes resolve a known corpus into one empty data folder at once: one download, one file, all read it', async () => {
    // A generated corpus published in a form that is cleaned like holmes's cnus.txt (helpers/fixtureText.ts).
    const { raw: cnus, text } = publishedFixture(1_000_000);
    const sha = createHash('sha256').update(text).digest('hex');
    let requests = 0;
    // Slow enough that every process finds the file missing and the lock taken.
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-length': String(cnus.length) });
      let at = 0;
      const step = () => {
        if (at >= cnus.length) return void res.end();
        res.write(cnus.subarray(at, (at += 64 * 1024)));
        setTimeout(step, 40);
      };
      step();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cnus.txt`;
    const data = join(tempDir(), 'data');
    const script = `const { resolveCorpus } = await import(${JSON.stringify(join(REPO, 'dist/data/resolve.js'))});
      const { cleanReferenceText: clean } = await import(${JSON.stringify(join(REPO, 'dist/corpus/clean.js'))});
      const known = { tales: { file: 'tales.txt', url: process.argv[2], sha256: process.argv[3], clean, byHand: 'clean it' } };
      const notices = [];
      const r = await resolveCorpus('tales', { dataDir: process.argv[1], baseDir: '.', known, onNotice: (m) => notices.push(m) });
      console.log(JSON.stringify({ sha256: r.sha256, notices }));`;
    try {
      const outs = await Promise.all(
        [0, 1, 2, 3].map(
          () =>
            new Promise<string>((ok, fail) => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', script, data, url, sha], {
                stdio: ['ignore', 'pipe', 'inherit'],
              });
              let out = '';
              child.stdout.on('data', (d: Buffer) => (out += d.toString()));
              child.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`exit ${code}`))));
            }),
        ),
      );
      const results = outs.map((o) => JSON.parse(o) as { sha256: string; notices: string[] });
      expect(requests).toBe(1);
      for (const r of results) expect(r.sha256).toBe(sha);
      expect(results.filter((r) => r.notices.some((n) => /downloading tales/.test(n)))).toHaveLength(1);
      expect(readdirSync(data)).toEqual(['tales.txt']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});
