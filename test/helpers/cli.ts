/** Run the built CLI (dist/, made by `npm run build`, which `npm test` runs first) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'dist/cli/main.js');
export const SHARED_CORPORA = fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));
export const HOLMES = join(SHARED_CORPORA, 'holmes.txt');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): {
  child: ChildProcess;
  done: Promise<CliResult>;
} {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, CHARLAB_DATA_DIR: SHARED_CORPORA, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
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
 * The corpora the tests read: ../shared/corpora next to the repository. The rule: a test that needs
 * them skips, with a message saying how to provide them, when they are missing; on CI (CI=true),
 * which always provides them, a missing corpus fails instead of skipping.
 */
export const HAVE_CORPORA = existsSync(HOLMES);
export const CORPORA_HINT = `${HOLMES} is missing: put holmes.txt and cnus.txt in ../shared/corpora next to the repository (README, "Tests")`;
if (!HAVE_CORPORA && process.env.CI) throw new Error(`CI must provide the test corpora: ${CORPORA_HINT}`);
if (!HAVE_CORPORA) process.stderr.write(`skipping the tests that need the corpora: ${CORPORA_HINT}\n`);

/** A small corpus cut from the head of holmes.txt, written into `dir`. */
export function smallCorpus(dir: string, chars = 200_000): string {
  const path = join(dir, 'small.txt');
  writeFileSync(path, readFileSync(HOLMES, 'utf8').slice(0, chars));
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
