/**
 * One sweep per results folder at a time: `<dir>/.lock` created exclusively and holding the
 * owner's pid and host. A lock whose process no longer runs (a crash, kill -9) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the folder's lock or throw LockedError naming the process that holds it. Returns the release function. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, '.lock');
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: LockInfo | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        holder = null; // torn or empty lock file: its writer died while creating it
      }
      const stale = holder === null || (holder.host === info.host && !alive(holder.pid));
      if (!stale) {
        throw new LockedError(
          `${dir} is in use by another sweep (pid ${holder!.pid} on ${holder!.host}, since ${holder!.startedAt}); ` +
            `wait for it to finish, or stop it first. If that process is gone, delete ${path}.`,
        );
      }
      try {
        unlinkSync(path); // stale: the owner is gone
      } catch {
        // another process removed it first; retry
      }
    }
  }
  throw new LockedError(`${dir}: could not take the lock ${path}`);
}
