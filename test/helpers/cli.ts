/** Run the built CLI (dist/, made by `npm run build`, which `npm test` runs first) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

export function tempDir(prefix = 'charlab-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small corpus cut from the head of holmes.txt, written into `dir`. */
export function smallCorpus(dir: string, chars = 200_000): string {
  const path = join(dir, 'small.txt');
  writeFileSync(path, readFileSync(HOLMES, 'utf8').slice(0, chars));
  return path;
}

/** Write an experiment file into `dir` and return its path. */
export function writeExperiment(dir: string, exp: Record<string, unknown>, file = 'exp.json'): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(exp, null, 2));
  return path;
}
