/**
 * Issue 19: nothing overwrites what charlab did not write; --fresh removes the old report; an output
 * path that cannot be created or written is exit 2 before any work; a full disk during the work is one
 * line naming the file and the errno, exit 1, with nothing written before lost. Real files on disk, a
 * real /proc path, and (as root) real read-only and full tmpfs mounts.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment, type CliResult } from './helpers/cli.js';

const TINY = tinyExperiment('out');
const ID = 'h8-u8-c5-lr0.1-s1';
const NOTES = 'my notes: not a charlab file\n';
const noStack = (r: CliResult) => expect(r.stderr).not.toMatch(/\n\s+at /);

/** Every file under `dir` with its bytes: to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name)).toString('base64');
  }
  return out;
}

describe('nothing overwrites what charlab did not write', () => {
  let dir: string;
  let corpus: string;
  let exp: string;
  let swept: string;
  const train = (args: string[]) =>
    runCli(['train', '--corpus', corpus, '--hidden', '8', '--chars', '2000', '--backend', 'reference', ...args]);

  beforeAll(async () => {
    dir = tempDir('charlab-over-');
    corpus = smallCorpus(dir, 30_000);
    exp = writeExperiment(dir, TINY);
    swept = join(dir, 'swept');
    const r = await runCli(['sweep', exp, '--out', swept]);
    expect(r.code, r.stderr).toBe(0);
    expect((await runCli(['report', swept])).code).toBe(0);
  });

  test('train --save refuses its own corpus and any file that is not a checkpoint (exit 2, named, unchanged)', async () => {
    const before = readFileSync(corpus);
    const own = await train(['--save', corpus]);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain(`refusing to replace ${corpus}: it is not a charlab checkpoint`);
    expect(readFileSync(corpus)).toEqual(before);
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, NOTES);
    const r = await train(['--save', notes, '--overwrite']); // --overwrite is for checkpoints only
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(notes);
    expect(readFileSync(notes, 'utf8')).toBe(NOTES);
  });

  test("another run's checkpoint needs --overwrite; --resume updates its own file in place", async () => {
    const a = join(dir, 'a.safetensors');
    const b = join(dir, 'b.safetensors');
    expect((await train(['--save', a])).code).toBe(0);
    expect((await train(['--save', b, '--seed', '2'])).code).toBe(0);
    const bBytes = readFileSync(b);
    const refused = await train(['--save', b]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /--save .*b\.safetensors: the file holds another run's checkpoint; refusing to replace it without --overwrite/,
    );
    expect(readFileSync(b)).toEqual(bBytes);
    const resumedElsewhere = await runCli(['train', '--resume', a, '--chars', '4000', '--save', b]);
    expect(resumedElsewhere.code).toBe(2);
    expect(readFileSync(b)).toEqual(bBytes);
    expect((await train(['--save', b, '--overwrite'])).code).toBe(0);
    expect(loadCheckpoint(b).config.seed).toBe(1);
    const inPlace = await runCli(['train', '--resume', a, '--chars', '4000']);
    expect(inPlace.code, inPlace.stderr).toBe(0);
    expect(loadCheckpoint(a).run?.chars).toBe(4000);
  });

  test("sweep: a file in checkpoints/ under a run's name that is not that run's checkpoint is refused before any work", async () => {
    const out = join(dir, 'ck-foreign');
    mkdirSync(join(out, 'checkpoints'), { recursive: true });
    writeFileSync(join(out, 'checkpoints', `${ID}.safetensors`), NOTES);
    const foreign = await runCli(['sweep', exp, '--out', out]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain(
      `refusing to replace ${join(out, 'checkpoints', `${ID}.safetensors`)}: it is not a charlab checkpoint`,
    );
    expect(existsSync(join(out, 'summary.csv'))).toBe(false);
    // Another run's checkpoint under this run's name.
    const other = join(dir, 'ck-other');
    mkdirSync(join(other, 'checkpoints'), { recursive: true });
    const seed2 = join(dir, 'seed2.safetensors');
    expect(
      (
        await runCli([
          'train',
          '--corpus',
          corpus,
          '--hidden',
          '8',
          '--unroll',
          '8',
          '--chars',
          '2000',
          '--seed',
          '2',
          '--save',
          seed2,
        ])
      ).code,
    ).toBe(0);
    copyFileSync(seed2, join(other, 'checkpoints', `${ID}.safetensors`));
    const r = await runCli(['sweep', exp, '--out', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/it holds the checkpoint of another run \(.*seed 2\), not of h8-u8-c5-lr0\.1-s1/);
    expect(readFileSync(join(other, 'checkpoints', `${ID}.safetensors`))).toEqual(readFileSync(seed2));
    // The same run's own earlier checkpoint (a sweep killed after writing it) is simply replaced.
    const same = join(dir, 'ck-same');
    cpSync(join(swept, 'checkpoints'), join(same, 'checkpoints'), { recursive: true });
    const ok = await runCli(['sweep', exp, '--out', same]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  test('--fresh removes the tables, the manifest, the report and the checkpoints, and nothing else; it refuses to remove foreign files', async () => {
    const out = join(dir, 'fresh');
    cpSync(swept, out, { recursive: true });
    writeFileSync(join(out, 'checkpoints', 'my-notes.txt'), NOTES);
    writeFileSync(join(out, 'notes.txt'), NOTES);
    expect(readdirSync(join(out, 'plots'))).toEqual(['curves-runs.svg']); // one run: nothing else to plot
    const r = await runCli(['sweep', exp, '--out', out, '--fresh']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'baselines.csv',
      'checkpoints',
      'curves.csv',
      'live.json',
      'manifest.json',
      'notes.txt',
      'samples.csv',
      'summary.csv',
    ]);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual([`${ID}.safetensors`, 'my-notes.txt']);
    // A report.md (or summary.csv, or live.json) charlab did not write is not removed: --fresh refuses, nothing touched.
    for (const file of ['report.md', 'summary.csv', 'live.json']) {
      writeFileSync(join(out, file), NOTES);
      const before = snapshot(out);
      const refused = await runCli(['sweep', exp, '--out', out, '--fresh']);
      expect(refused.code, file).toBe(2);
      expect(refused.stderr).toContain(`charlab did not write ${join(out, file)}`);
      expect(snapshot(out)).toEqual(before);
      writeFileSync(join(out, file), '');
    }
    // Without --fresh: live.json, rewritten by every sweep, is replaced only if charlab wrote it.
    writeFileSync(join(out, 'live.json'), NOTES);
    const live = await runCli(['sweep', exp, '--out', out]);
    expect(live.code).toBe(2);
    expect(live.stderr).toContain(`charlab did not write ${join(out, 'live.json')}`);
    expect(readFileSync(join(out, 'live.json'), 'utf8')).toBe(NOTES);
    rmSync(join(out, 'live.json'));
    // Without --fresh: baselines.csv, rewritten whole when it does not match, is replaced only if charlab wrote it.
    writeFileSync(join(out, 'baselines.csv'), NOTES);
    const kept = await runCli(['sweep', exp, '--out', out]);
    expect(kept.code).toBe(2);
    expect(kept.stderr).toContain(`charlab did not write ${join(out, 'baselines.csv')}`);
    expect(readFileSync(join(out, 'baselines.csv'), 'utf8')).toBe(NOTES);
  });

  test("report replaces only the report's own files; merge only tables; slurm --out and bench --out only their own", async () => {
    const out = join(dir, 'rep');
    cpSync(swept, out, { recursive: true });
    for (const file of ['report.md', join('plots', 'curves-runs.svg')]) {
      const saved = readFileSync(join(out, file));
      writeFileSync(join(out, file), NOTES);
      const before = snapshot(out);
      const r = await runCli(['report', out]);
      expect(r.code, file).toBe(2);
      expect(r.stderr).toContain(`charlab did not write ${join(out, file)}`);
      expect(snapshot(out)).toEqual(before);
      writeFileSync(join(out, file), saved);
    }
    expect((await runCli(['report', out])).code).toBe(0); // its own files: replaced
    // A plot an earlier report wrote that this report does not write (here: a copy of one) is removed with it.
    const stale = join(out, 'plots', 'curves-by-unused.svg');
    cpSync(join(out, 'plots', 'curves-runs.svg'), stale);
    expect((await runCli(['report', out])).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(out, 'plots', 'curves-runs.svg'))).toBe(true);

    const merged = join(dir, 'merged');
    const shard = await runCli(['sweep', exp, '--shard', '0/1', '--out', join(merged, 'shards', '0-of-1')]);
    expect(shard.code, shard.stderr).toBe(0);
    writeFileSync(join(merged, 'baselines.csv'), NOTES);
    const m = await runCli(['merge', merged]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain(`charlab did not write ${join(merged, 'baselines.csv')}`);
    expect(readFileSync(join(merged, 'baselines.csv'), 'utf8')).toBe(NOTES);

    const notes = join(dir, 'notes.sbatch');
    writeFileSync(notes, NOTES);
    const s = await runCli(['slurm', exp, '--out', notes]);
    expect(s.code).toBe(2);
    expect(readFileSync(notes, 'utf8')).toBe(NOTES);
    const script = join(dir, 'ok.sbatch');
    expect((await runCli(['slurm', exp, '--out', script])).code).toBe(0);
    expect((await runCli(['slurm', exp, '--out', script, '--shards', '1'])).code).toBe(0); // its own script: replaced
    const b = await runCli(['bench', '--quick', '--no-numpy', '--out', notes, '--corpus', corpus]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`refusing to replace ${notes}`);
    expect(readFileSync(notes, 'utf8')).toBe(NOTES);
  });
});

/** A tmpfs mounted at a new folder under `dir` (root only), or null when mounting is not possible here. */
function mountTmpfs(dir: string, name: string, size: string): string | null {
  const at = join(dir, name);
  mkdirSync(at);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], { stdio: 'ignore' });
    return at;
  } catch {
    return null;
  }
}
const umount = (at: string) => execFileSync('umount', [at], { stdio: 'ignore' });
const CAN_MOUNT = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = tempDir('charlab-mount-probe-');
  const at = mountTmpfs(probe, 'm', '64k');
  if (at) umount(at);
  return at !== null;
})();
if (!CAN_MOUNT)
  process.stderr.write(
    'outputs.test.ts: not root or mount not permitted: the read-only and full-disk cases run only where a tmpfs can be mounted\n',
  );

/** Fill a file system: one file written until ENOSPC. */
function fill(at: string): void {
  const free = Number(statfsSync(at).bavail) * Number(statfsSync(at).bsize);
  try {
    writeFileSync(join(at, 'filler'), Buffer.alloc(free + 65536, 1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

describe('output paths that cannot be written: exit 2 at once, before any work', () => {
  let dir: string;
  let corpus: string;
  let exp: string;
  const mounts: string[] = [];
  beforeAll(() => {
    dir = tempDir('charlab-paths-');
    corpus = smallCorpus(dir, 30_000);
    exp = writeExperiment(dir, TINY);
    writeFileSync(join(dir, 'a-file'), NOTES);
  });
  afterAll(() => mounts.splice(0).forEach(umount));

  test('procfs, a missing parent folder, a file where a folder should be: each command exits 2 within seconds, naming the path', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['sweep', exp, '--out', '/proc/nope'],
        /results folder \/proc\/nope cannot be created: mkdir \/proc\/nope: ENOENT/,
      ],
      [['sweep', exp, '--out', join(dir, 'a-file', 'sub')], /a-file is a file, expected a folder/],
      [
        ['train', '--corpus', corpus, '--chars', '2000', '--save', '/proc/nope.safetensors'],
        /--save \/proc cannot be written: (ENOENT|EACCES|EPERM)/,
      ],
      [
        ['train', '--corpus', corpus, '--chars', '2000', '--save', join(dir, 'none', 'x.safetensors')],
        /--save .*x\.safetensors: the folder .*none does not exist/,
      ],
      [['slurm', exp, '--out', '/proc/nope.sbatch'], /--out \/proc cannot be written/],
      [['slurm', exp, '--out', join(dir, 'none', 'x.sbatch')], /the folder .*none does not exist/],
      [
        ['bench', '--quick', '--no-numpy', '--corpus', corpus, '--out', '/proc/bench.csv'],
        /--out \/proc cannot be written/,
      ],
      [
        ['bench', '--quick', '--no-numpy', '--corpus', corpus, '--out', join(dir, 'a-file', 'bench.csv')],
        /a-file is a file, expected a folder/,
      ],
      [['merge', '/proc/nope'], /\/proc\/nope: no shards\/ folder/],
    ];
    for (const [args, message] of cases) {
      const t0 = Date.now();
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      noStack(r);
      expect(Date.now() - t0, args.join(' ')).toBeLessThan(5000);
    }
    expect(readdirSync(dir).sort()).toEqual(['a-file', 'exp.json', 'small.txt']);
  });

  test.skipIf(!CAN_MOUNT)(
    'a read-only file system: sweep, train --save and report exit 2 before any work',
    async () => {
      const ro = mountTmpfs(dir, 'ro', '1m')!;
      mounts.push(ro);
      const out = join(ro, 'results');
      expect((await runCli(['sweep', exp, '--out', out])).code).toBe(0);
      execFileSync('mount', ['-o', 'remount,ro', ro]);
      const before = snapshot(ro);
      const cases: Array<[string[], RegExp]> = [
        [
          ['sweep', exp, '--out', join(ro, 'new')],
          /results folder .*new cannot be created: mkdir .*new: EROFS \(read-only file system\)/,
        ],
        [['report', out], /report folder .*results cannot be written: EROFS/],
        [
          ['train', '--corpus', corpus, '--chars', '2000', '--save', join(ro, 'x.safetensors')],
          /--save .* cannot be written: EROFS/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        noStack(r);
      }
      expect(snapshot(ro)).toEqual(before);
    },
  );

  test.skipIf(!CAN_MOUNT)(
    'a full disk during the work: one line naming the file and ENOSPC, exit 1, nothing written before lost',
    async () => {
      const full = mountTmpfs(dir, 'full', '2m')!;
      mounts.push(full);
      const out = join(full, 'results');
      expect((await runCli(['sweep', exp, '--out', out])).code).toBe(0);
      const ck = join(full, 'ck.safetensors');
      expect((await runCli(['train', '--corpus', corpus, '--hidden', '8', '--chars', '2000', '--save', ck])).code).toBe(
        0,
      );
      fill(full);
      const before = snapshot(out);
      const ckBefore = readFileSync(ck);
      const cases: Array<[string[], RegExp]> = [
        [
          ['report', out],
          /^charlab: cannot write .*results\/(plots\/[\w-]+\.svg|report\.(md|html)): ENOSPC \(no space left on device\); what was written before is kept\n$/,
        ],
        [
          ['sweep', writeExperiment(dir, { ...TINY, seeds: [1, 2] }, 'more.json'), '--out', out],
          /^charlab: cannot write .*results\/[\w.]+: ENOSPC \(no space left on device\)/m,
        ],
        [
          ['train', '--resume', ck, '--chars', '4000'],
          /^charlab: cannot write .*ck\.safetensors: ENOSPC \(no space left on device\)/m,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args);
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(message);
        noStack(r);
      }
      expect(snapshot(out)).toEqual(before);
      expect(readFileSync(ck)).toEqual(ckBefore);
    },
  );

  test.skipIf(!CAN_MOUNT)(
    'a checkpoint that does not fit: the sweep stops with one line naming it (exit 1), not a failed run per run',
    async () => {
      const small = mountTmpfs(dir, 'small', '256k')!;
      mounts.push(small);
      const big = writeExperiment(
        dir,
        { ...TINY, backend: 'wasm', grid: { ...TINY.grid, hiddenSize: [256] }, seeds: [1, 2, 3] },
        'big.json',
      );
      const r = await runCli(['sweep', big, '--out', join(small, 'results')]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /charlab: cannot write .*checkpoints\/h256-u8-c5-lr0\.1-s\d\.safetensors: ENOSPC \(no space left on device\)/,
      );
      noStack(r);
      expect(existsSync(join(small, 'results', 'summary.csv'))).toBe(false); // no run recorded as failed
      expect(existsSync(join(small, 'results', 'manifest.json'))).toBe(true);
    },
  );
});
