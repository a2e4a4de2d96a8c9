/**
 * One sweep per results folder at a time: `<dir>/.lock` created exclusively and holding the
 * owner's pid and host. A lock whose process no longer runs (a crash, kill -9; a zombie counts as
 * gone) is taken over.
 */
import { OutputError } from '../errors.js';
import {
  closeSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export class LockedError extends Error {
  override name = 'LockedError';
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/** An empty or torn lock file younger than this may be one being written right now. */
const FRESH_LOCK_MS = 10_000;

/**
 * Whether process `pid` still runs. A zombie (state Z: exited, not yet reaped by its parent, as
 * after kill -9 of a whole process group until init gets to it, or forever in a container without
 * an init) and a dying process (X) answer signal 0 like a live one, but are gone.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

/** The state letter of /proc/<pid>/stat (R, S, D, Z, X, ...), or null where there is no /proc. */
export function procState(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
  return /^\s*(\S)/.exec(stat.slice(stat.lastIndexOf(')') + 1))?.[1] ?? null;
}

function readLock(path: string): { text: string; info: LockInfo | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // gone
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return { text, info: typeof info?.pid === 'number' && typeof info.host === 'string' ? info : null };
  } catch {
    return { text, info: null }; // torn or empty: its writer died while creating it, or is writing it now
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/**
 * Take the folder's lock or throw LockedError naming the process that holds it. Returns the
 * release function (also run if the process exits without calling it).
 */
export function acquireLock(dir: string, opts: { onNotice?: (msg: string) => void } = {}): () => void {
  const path = join(dir, '.lock');
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const mine = JSON.stringify(info);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createLock(path, mine)) {
      removeAbandonedAsides(dir);
      return releaser(path, mine);
    }
    const found = readLock(path);
    if (found === null) continue; // released meanwhile: try again
    const holder = found.info;
    const stale = holder === null ? ageMs(path) > FRESH_LOCK_MS : holder.host === info.host && !alive(holder.pid);
    if (!stale) {
      throw new LockedError(
        holder
          ? `${dir} is in use by another sweep (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); ` +
              `wait for it to finish, or stop it first. If that process is gone, delete ${path}.`
          : `${dir} is being locked by another sweep right now (${path} is still being written); try again in a moment.`,
      );
    }
    if (!discardStale(path, found.text)) continue;
    opts.onNotice?.(
      holder
        ? `taking over the lock of pid ${holder.pid} (since ${holder.startedAt}), which no longer runs`
        : `taking over an unfinished lock file left by a crashed sweep`,
    );
  }
  throw new LockedError(`${dir}: could not take the lock ${path} (other processes keep taking it); try again`);
}

/** Create the lock file exclusively with our own record; false if it exists. */
function createLock(path: string, mine: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, mine);
  } catch (err) {
    unlinkSync(path); // an empty lock would be taken for a crashed sweep's
    throw new OutputError(path, (err as NodeJS.ErrnoException).code);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Remove a stale lock without racing another process doing the same: move it aside, and only
 * discard it if what was moved is still the stale lock (not a fresh one taken meanwhile). False if
 * it was not ours to remove (the caller tries again).
 */
function discardStale(path: string, staleText: string): boolean {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // someone else moved it first
  }
  let moved: string | null;
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    moved = null;
  }
  if (moved === staleText) {
    unlinkSync(aside);
    return true;
  }
  // A live lock was moved: put it back (fails only if yet another lock appeared) and give way.
  try {
    linkSync(aside, path);
  } catch {
    // leave the newer lock in place
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
  return false;
}

/** `.lock.<pid>.stale` files of takeovers whose process died half-way. */
function removeAbandonedAsides(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const m = /^\.lock\.(\d+)\.stale$/.exec(entry);
    if (m && !alive(Number(m[1]))) {
      try {
        unlinkSync(join(dir, entry));
      } catch {
        // gone already
      }
    }
  }
}

function releaser(path: string, mine: string): () => void {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      // Only our own lock: never one another process took over.
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return release;
}
