/** charlab merge: shards run separately (one killed with kill -9 and re-run) merge to one sweep's tables; a mix is refused. */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readTable, TABLES, TIMING_COLUMNS, type TableName } from '../src/results/tables.js';
import { runCli, smallCorpus, startCli, tempDir, writeExperiment } from './helpers/cli.js';

const EXP = {
  name: 'm',
  corpus: 'small.txt',
  budget: { chars: 300_000 },
  seeds: [1, 2],
  grid: { hiddenSize: [8, 12], unroll: [8], clip: [5], learningRate: [0.05, 0.1] },
  curves: { every: 50_000 },
  evaluation: { every: 100_000, chars: 500 },
  samples: { every: 150_000, length: 30 },
};
const IDS = [
  'h8-u8-c5-lr0.05-s1',
  'h8-u8-c5-lr0.05-s2',
  'h8-u8-c5-lr0.1-s1',
  'h8-u8-c5-lr0.1-s2',
  'h12-u8-c5-lr0.05-s1',
  'h12-u8-c5-lr0.05-s2',
  'h12-u8-c5-lr0.1-s1',
  'h12-u8-c5-lr0.1-s2',
];
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** A table's rows without the timing columns (the only ones two runs of one sweep may differ in). */
const metrics = (dir: string, t: TableName) =>
  readTable(dir, t).rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.has(k))));
const summaryIds = (dir: string) => readTable(dir, 'summary').rows.map((r) => r.run_id);
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

describe('merging the shards of a sweep', () => {
  let dir: string;
  let exp: string;
  let whole: string;
  let results: string;
  beforeAll(async () => {
    dir = tempDir();
    smallCorpus(dir, 100_000);
    exp = writeExperiment(dir, EXP);
    whole = join(dir, 'one-machine');
    results = join(dir, 'results/m');
    const r = await runCli(['sweep', exp, '--out', whole, '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryIds(whole)).toEqual(IDS);
  });

  test('three shards run separately, one killed with kill -9 mid-run and re-run: the merge equals the one-machine sweep', async () => {
    for (const i of [0, 2]) {
      const r = await runCli(['sweep', exp, '--shard', `${i}/3`, '--workers', '1'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
    // Shard 1 not run yet: merged what is there, in grid order; the missing shard listed with its runs.
    const early = await runCli(['merge', 'results/m'], { cwd: dir });
    expect(early.code, early.stderr).toBe(5);
    expect(early.stderr).toMatch(/merged 2 of 3 shard\(s\): 5\/8 runs recorded/);
    expect(early.stderr).toContain(
      'shard 1-of-3 has no folder (3 run(s)): h8-u8-c5-lr0.05-s2, h12-u8-c5-lr0.05-s1, h12-u8-c5-lr0.1-s2',
    );
    expect(summaryIds(results)).toEqual(IDS.filter((_, k) => k % 3 !== 1));
    expect(manifest(results).finishedAt).toBeNull();
    expect(manifest(results).merged.missing).toEqual([1]);

    // Shard 1, one worker: killed -9 once its first run is recorded (the second is then in flight).
    const { child, done } = startCli(['sweep', exp, '--shard', '1/3', '--workers', '1'], { cwd: dir });
    let err = '';
    await new Promise<void>((ok) => {
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (/h8-u8-c5-lr0\.05-s2: done/.test(err)) ok();
      });
      child.on('close', () => ok());
    });
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    const shard1 = join(results, 'shards/1-of-3');
    expect(summaryIds(shard1).length).toBeLessThan(3);
    const partial = await runCli(['merge', results]);
    expect(partial.code).toBe(5);
    expect(partial.stderr).toMatch(/shard 1-of-3 has not recorded \(\d run\(s\)\): .*h12-u8-c5-lr0\.1-s2/);

    const rerun = await runCli(['sweep', exp, '--shard', '1/3', '--workers', '1'], { cwd: dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/already recorded/);
    const merged = await runCli(['merge', results]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/merged 3 of 3 shard\(s\): 8\/8 runs recorded/);
    for (const t of TABLE_NAMES) expect(metrics(results, t), t).toEqual(metrics(whole, t));
    expect(readFileSync(join(results, 'samples.csv'), 'utf8')).toBe(readFileSync(join(whole, 'samples.csv'), 'utf8'));
    const m = manifest(results);
    expect(m.totalRuns).toBe(8);
    expect(m.finishedAt).not.toBeNull();
    expect(m.shard).toBeUndefined();
    expect(m.corpus.sha256).toBe(manifest(whole).corpus.sha256);
    expect(m.merged.shards.map((s: { shard: string; recorded: number }) => [s.shard, s.recorded])).toEqual([
      ['0-of-3', 3],
      ['1-of-3', 3],
      ['2-of-3', 2],
    ]);

    // Merging again changes no table; the report reads the merged folder.
    const before = TABLE_NAMES.map((t) => readFileSync(join(results, TABLES[t].file), 'utf8'));
    expect((await runCli(['merge', results, '--json'])).code).toBe(0);
    expect(TABLE_NAMES.map((t) => readFileSync(join(results, TABLES[t].file), 'utf8'))).toEqual(before);
    const report = await runCli(['report', results, '--json']);
    expect(report.code, report.stderr).toBe(0);
    const json = JSON.parse(report.stdout);
    expect(json.leaderboard).toHaveLength(8);
    expect(existsSync(join(results, 'report.md'))).toBe(true);
    expect(existsSync(join(results, '.lock'))).toBe(false);

    // A whole sweep is not added to the merged folder.
    const over = await runCli(['sweep', exp], { cwd: dir });
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(
      /holds tables merged from shards \(charlab merge\); refusing to add a whole sweep to it/,
    );
  });
});

describe('merge refuses a mix of shards', () => {
  let dir: string;
  const TINY = {
    ...EXP,
    name: 'mix',
    budget: { chars: 3000 },
    curves: { every: 1000 },
    evaluation: { every: 1500, chars: 300 },
    samples: { length: 20 },
  };
  const results = () => join(dir, 'results/mix');
  const shard = (i: number) => join(results(), `shards/${i}-of-2`);
  beforeAll(async () => {
    dir = tempDir();
    smallCorpus(dir, 60_000);
    writeExperiment(dir, TINY, 'a.json');
    for (const i of [0, 1]) expect((await runCli(['sweep', 'a.json', '--shard', `${i}/2`], { cwd: dir })).code).toBe(0);
  });

  async function refused(message: RegExp): Promise<void> {
    const r = await runCli(['merge', 'results/mix'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(results(), 'summary.csv'))).toBe(false);
  }

  test('another budget, another corpus text, another charlab version, another split, a folder of another shard', async () => {
    writeExperiment(dir, { ...TINY, budget: { chars: 4000 } }, 'b.json');
    expect((await runCli(['sweep', 'b.json', '--shard', '1/2', '--fresh'], { cwd: dir })).code).toBe(0);
    await refused(
      /shards\/1-of-2: shard 1-of-2 did not run the same sweep as .*shards\/0-of-2:\n {2}budget\.chars: 3000 in 0-of-2, 4000 here\n/,
    );

    writeFileSync(join(dir, 'other.txt'), `${readFileSync(join(dir, 'small.txt'), 'utf8')} `);
    writeExperiment(dir, { ...TINY, corpus: 'other.txt' }, 'c.json');
    expect((await runCli(['sweep', 'c.json', '--shard', '1/2', '--fresh'], { cwd: dir })).code).toBe(0);
    await refused(
      /shard 1-of-2 did not run the same sweep .*\n {2}corpus sha256: [0-9a-f]{64} in 0-of-2, [0-9a-f]{64} here/,
    );

    writeExperiment(dir, { ...TINY, seeds: [2, 1] }, 'd.json');
    expect((await runCli(['sweep', 'd.json', '--shard', '1/2', '--fresh'], { cwd: dir })).code).toBe(0);
    await refused(
      /shard 1-of-2 did not run the same sweep .*\n {2}the grid and seeds: 8 planned runs here, 8 in 0-of-2, not the same runs in the same order/,
    );

    expect((await runCli(['sweep', 'a.json', '--shard', '1/2', '--fresh'], { cwd: dir })).code).toBe(0);
    const m = manifest(shard(1));
    writeFileSync(join(shard(1), 'manifest.json'), JSON.stringify({ ...m, charlab: '9.9.9' }));
    await refused(/shard 1-of-2 did not run the same sweep .*\n {2}charlab version: .* in 0-of-2, 9\.9\.9 here/);
    writeFileSync(join(shard(1), 'manifest.json'), JSON.stringify(m));

    cpSync(shard(1), join(results(), 'shards/1-of-3'), { recursive: true });
    await refused(/shards of 2 different splits \(0-of-2, 1-of-2, 1-of-3\)/);
    cpSync(join(results(), 'shards/1-of-3'), join(dir, 'aside'), { recursive: true });
    rmSync(join(results(), 'shards/1-of-3'), { recursive: true });

    writeFileSync(join(shard(1), 'manifest.json'), JSON.stringify({ ...m, shard: { index: 0, count: 2 } }));
    await refused(/shards\/1-of-2: its manifest\.json records shard 0-of-2, not shard 1-of-2/);
    writeFileSync(join(shard(1), 'manifest.json'), JSON.stringify(m));

    // The same shards merge; but never over a results folder holding a sweep's own tables.
    const ok = await runCli(['merge', 'results/mix'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const own = join(dir, 'own');
    expect((await runCli(['sweep', 'a.json', '--out', own], { cwd: dir })).code).toBe(0);
    cpSync(join(results(), 'shards'), join(own, 'shards'), { recursive: true });
    const over = await runCli(['merge', own]);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/holds a sweep's own tables .* refusing to replace them/);
    const none = await runCli(['merge', join(dir, 'aside')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no shards\/ folder/);
  });
});
