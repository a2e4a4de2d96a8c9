/**
 * One download of a known corpus per data folder at a time, across the processes (and machines)
 * that share the folder: the array tasks of a cluster job start together and all find holmes.txt
 * missing. The process that creates `<file>.download` exclusively downloads; the others wait until
 * the file appears (saved atomically by the downloader) and read it. The downloader touches the
 * lock as data arrives; a lock whose process is gone (same host) or that nobody touched for
 * `staleMs` (another host) is taken over. A failed download removes the lock: the next waiter tries.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export interface DownloadLockOptions {
  /** A lock untouched for this long is abandoned (default 120 s: twice the download's idle timeout). */
  staleMs?: number;
  /** How often a waiting process looks again (default 250 ms). */
  pollMs?: number;
  /** Said once when this process waits for another's download. */
  onWait?: (holder: string) => void;
}

/**
 * `present()` if `target` exists (now, or once another process has saved it); else `download(touch)`
 * under the lock, where `touch()` tells waiters the download is alive.
 */
export async function downloadOnce<T>(target: string, present: () => T, download: (touch: () => void) => Promise<T>, opts: DownloadLockOptions = {}): Promise<T> {
  const lock = `${target}.download`;
  const staleMs = opts.staleMs ?? 120_000;
  let made: string | undefined;
  try {
    made = mkdirSync(dirname(target), { recursive: true });
  } catch {
    return download(() => {}); // the folder cannot be made: the download reports why it cannot save
  }
  let waited = false;
  for (;;) {
    if (existsSync(target)) return present();
    if (create(lock)) {
      try {
        return existsSync(target) ? present() : await download(() => touch(lock));
      } catch (err) {
        remove(lock);
        if (made !== undefined) removeEmptyFolders(dirname(target), made); // a failed download leaves nothing behind
        throw err;
      } finally {
        remove(lock);
      }
    }
    const holder = readHolder(lock);
    if (!waited && holder !== null) {
      waited = true;
      opts.onWait?.(holder.text);
    }
    // Removed only if it still is the abandoned lock (not one another waiter has taken since).
    if (holder !== null && abandoned(lock, holder, staleMs)) {
      if (readHolder(lock)?.raw === holder.raw) remove(lock);
    }
    else await new Promise((ok) => setTimeout(ok, opts.pollMs ?? 250));
  }
}

function create(lock: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'ENOENT') throw err;
    mkdirSync(dirname(lock), { recursive: true }); // removed by a downloader that failed: made again
    return create(lock);
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's holder as written, or null when the lock is gone. */
interface Holder {
  /** As the lock file holds it. */
  raw: string;
  /** For a message. */
  text: string;
  pid: number | null;
  host: string | null;
}

function readHolder(lock: string): Holder | null {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch {
    return null;
  }
  try {
    const { pid, host } = JSON.parse(text) as { pid?: unknown; host?: unknown };
    const desc = `pid ${String(pid)} on ${String(host)}`;
    return { raw: text, text: desc, pid: typeof pid === 'number' ? pid : null, host: typeof host === 'string' ? host : null };
  } catch {
    return { raw: text, text: 'a process that is starting', pid: null, host: null };
  }
}

function abandoned(lock: string, holder: Holder, staleMs: number): boolean {
  if (holder.pid !== null && holder.host === hostname() && !running(holder.pid)) return true;
  try {
    return Date.now() - statSync(lock).mtimeMs > staleMs;
  } catch {
    return false; // gone: the loop looks again
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function touch(lock: string): void {
  const now = new Date();
  try {
    utimesSync(lock, now, now);
  } catch {
    // taken over meanwhile: the download goes on, the rename is atomic either way
  }
}

/** rmdir `dir` and its parents up to `top`, each only if empty. */
function removeEmptyFolders(dir: string, top: string): void {
  for (let d = dir; d.startsWith(top); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (another process's lock or file) or gone
    }
    if (d === top) return;
  }
}

function remove(lock: string): void {
  try {
    unlinkSync(lock);
  } catch {
    // gone already
  }
}
