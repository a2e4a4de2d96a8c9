/**
 * Issue 19, "Confusing, smaller": each item fixed (or, where the behaviour was right, documented),
 * through the real CLI where it is a CLI matter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nearest } from '../src/sweep/load.js';
import { REPO, runCli, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

describe('npm aliases', () => {
  test('every command `charlab --help` lists has an `npm run <command>` alias (the README says each has one)', async () => {
    const help = await runCli(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}(\w+)(?: \[options\]| <|\s)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['train', 'sample', 'eval', 'gradcheck', 'sweep', 'merge', 'slurm', 'report', 'bench']));
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

  test('lists only the shard\'s runs (grid positions i, i+n, …)', async () => {
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
