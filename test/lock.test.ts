/**
 * Issue 10: the lock and zombie holders. A process that has exited but was not reaped yet (a
 * zombie, state Z in /proc/<pid>/stat) still answers signal 0; it holds nothing, and its lock is
 * taken over. And kill -9 of the whole process group of `npm run sweep …`, then the same command at
 * once, resumes (exit 0) to the tables of an uninterrupted sweep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { alive, procState } from '../src/sweep/lock.js';
import { readTable, TABLES, TIMING_COLUMNS, type TableName } from '../src/results/tables.js';
import {
  NO_KNOWN_CORPORA,
  REPO,
  runCli,
  smallCorpus,
  tempDir,
  writeExperiment,
  type CliResult,
  tinyExperiment,
} from './helpers/cli.js';

const TINY = tinyExperiment('lock');
/** Six runs of well under a second each on two workers: long enough to kill after the first is recorded. */
const LONG = {
  ...TINY,
  budget: { chars: 30_000 },
  seeds: [1, 2, 3, 4, 5, 6],
  samples: { every: 10_000, length: 30 },
  workers: 2,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const withoutTiming = (rows: Record<string, string>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.has(k))));
const tables = (dir: string) =>
  Object.fromEntries((Object.keys(TABLES) as TableName[]).map((t) => [t, withoutTiming(readTable(dir, t).rows)]));

let dir: string;
beforeAll(() => {
  dir = tempDir('charlab-lock-');
  smallCorpus(dir, 30_000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A real zombie: sh starts `sleep 0` in the background, prints its pid and becomes `sleep 30`, which
 * never waits for it; once it exits it stays a zombie until its parent dies.
 */
async function makeZombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the zombie pid', () => /^\d+\n/.test(out), 10_000);
  const pid = Number(out.trim());
  await waitFor('the zombie state', () => procState(pid) === 'Z', 10_000);
  return { pid, parent };
}

describe.skipIf(!existsSync('/proc/self/stat'))('a zombie holder', () => {
  test('is not alive, although signal 0 reaches it', async () => {
    const { pid, parent } = await makeZombie();
    try {
      expect(() => process.kill(pid, 0)).not.toThrow(); // what made the lock look held
      expect(alive(pid)).toBe(false);
      expect(alive(parent.pid!)).toBe(true);
      expect(alive(process.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  test('its lock is taken over by the sweep', async () => {
    const { pid, parent } = await makeZombie();
    try {
      const out = join(dir, 'zombie');
      mkdirSync(out);
      writeFileSync(
        join(out, '.lock'),
        JSON.stringify({ pid, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z' }),
      );
      const r = await runCli(['sweep', writeExperiment(dir, TINY, 'tiny.json'), '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`taking over the lock of pid ${pid}`);
      expect(procState(pid)).toBe('Z'); // it was a zombie all along
      expect(existsSync(join(out, '.lock'))).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
    await waitFor('the zombie to be reaped', () => procState(pid) === null || procState(pid) !== 'Z', 10_000).catch(
      () => {},
    );
  });
});

describe('kill -9 of the whole process group of `npm run sweep`', () => {
  test('the same command at once resumes with exit 0, to the tables of an uninterrupted sweep', async () => {
    const exp = writeExperiment(dir, LONG, 'long.json');
    const reference = join(dir, 'reference');
    expect((await runCli(['sweep', exp, '--out', reference])).code).toBe(0);

    const out = join(dir, 'group-kill');
    const npmSweep = (detached: boolean) => {
      const child = spawn('npm', ['run', '--silent', 'sweep', '--', exp, '--out', out], {
        cwd: REPO,
        detached, // its own process group: npm, the shell and node, as a terminal's Ctrl-\ or a kill -9 -PGID reaches them
        env: { ...process.env, ...NO_KNOWN_CORPORA },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.resume();
      const done = new Promise<CliResult>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })),
      );
      return { child, done };
    };
    const first = npmSweep(true);
    let exited = false;
    void first.done.then(() => (exited = true));
    await waitFor(
      'a recorded run',
      () => exited || (existsSync(join(out, 'summary.csv')) && readTable(out, 'summary').rows.length >= 1),
    );
    expect(exited).toBe(false);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    expect(existsSync(join(out, '.lock'))).toBe(true); // left by the killed sweep

    const again = await npmSweep(false).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/taking over the lock of pid \d+/);
    expect(tables(out)).toEqual(tables(reference));
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});
