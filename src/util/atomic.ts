/**
 * The one home of durable file writes. A replacement goes through a temporary file beside the
 * target (`<file>.<pid>.tmp`): write, fsync the file, rename over the target, fsync the folder, so
 * after a crash a reader finds either the old contents or the new ones, never half of either. An
 * append is one write followed by fsync.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The temporary file an atomic replacement of `path` writes first (a crash may leave it behind). */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/** Replace `path` with `data` atomically and durably (file and folder fsync'ed). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    writeDurably(tmp, data, 'w');
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(path));
}

/** Append `data` to `path` in one write and fsync it; a file created by the append has its folder fsync'ed too. */
export function appendDurably(path: string, data: string | Uint8Array, created: boolean): void {
  writeDurably(path, data, 'a');
  if (created) fsyncDir(dirname(path));
}

/** One write of the whole data ('a': appended, 'w': replacing the file's contents), then fsync. */
function writeDurably(path: string, data: string | Uint8Array, flag: 'a' | 'w'): void {
  const fd = openSync(path, flag);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let at = 0;
    // writeSync may write less than asked (large buffers): loop until all of it is written.
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a folder so a rename or a new entry in it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // a folder that cannot be opened for reading cannot be fsync'ed; the rename is still atomic
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}
