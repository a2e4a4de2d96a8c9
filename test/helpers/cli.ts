/** Run the built CLI (dist/, made by `npm run build`, which `npm test` runs first) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureText } from './fixtureText.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'dist/cli/main.js');
/**
 * The CLI under test finds no known corpus (holmes, warpeace): its data folder is one that does not
 * exist, in the run's private temp folder (checked empty at the end), and a download would go to a
 * closed port. The tests use files (smallCorpus); test/holmes/ passes the shared corpora explicitly.
 */
export const NO_KNOWN_CORPORA = {
  CHARLAB_DATA_DIR: join(tmpdir(), 'charlab-no-data'),
  CHARLAB_HOLMES_URL: 'http://127.0.0.1:9/holmes.txt',
  CHARLAB_WARPEACE_URL: 'http://127.0.0.1:9/warpeace.txt',
};

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): {
  child: ChildProcess;
  done: Promise<CliResult>;
} {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...NO_KNOWN_CORPORA, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return startCli(args, opts).done;
}

const made: string[] = [];

/** A fresh temp folder, removed after the test file (test/helpers/setup.ts calls removeTempDirs). */
export function tempDir(prefix = 'charlab-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder tempDir() made in this test file (made writable again first, for chmod tests). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A small corpus written into `dir` as small.txt: the first `chars` characters of the tests' generated
 * text (helpers/fixtureText.ts; `seed` picks another text in the same style). Every test that only
 * needs some text uses it, so those tests run on any clone; test/holmes/ holds the ones that need
 * the published corpora themselves.
 */
export function smallCorpus(dir: string, chars = 200_000, file = 'small.txt', seed = 1): string {
  const path = join(dir, file);
  writeFileSync(path, fixtureText(chars, seed));
  return path;
}

/**
 * The tests' smallest experiment: one reference-backend run of 3,000 characters on small.txt
 * (see smallCorpus), with no intermediate scores: a sweep of it takes well under a second.
 */
export function tinyExperiment(name: string) {
  return {
    name,
    corpus: 'small.txt',
    backend: 'reference',
    budget: { chars: 3000 },
    seeds: [1],
    grid: { hiddenSize: [8], unroll: [8], clip: [5], learningRate: [0.1] },
    curves: { every: 1000 },
    evaluation: { every: 0, chars: 500 },
    samples: { length: 20 },
    workers: 1,
  };
}

/** Write an experiment file into `dir` and return its path. */
export function writeExperiment(dir: string, exp: Record<string, unknown>, file = 'exp.json'): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(exp, null, 2));
  return path;
}
