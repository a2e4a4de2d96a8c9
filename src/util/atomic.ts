/**
 * The one home of durable file writes. A replacement goes through a temporary file beside the
 * target (`<file>.<pid>.tmp`): write, fsync the file, rename over the target, fsync the folder, so
 * after a crash a reader finds either the old contents or the new ones, never half of either. An
 * append is one write followed by fsync; one that fails (a full disk) is cut back to where the file
 * ended. Either way a failed write leaves the file as it was and is an OutputError naming the file
 * and the errno (ENOSPC, EIO, …): the commands print it as one line and exit 1.
 */
import { closeSync, fsyncSync, ftruncateSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutputError } from '../errors.js';

const outputError = (path: string, err: unknown) => new OutputError(path, (err as NodeJS.ErrnoException).code);

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
    throw outputError(path, err);
  }
  fsyncDir(dirname(path));
}

/** Append `data` to `path` in one write and fsync it; a file created by the append has its folder fsync'ed too. */
export function appendDurably(path: string, data: string | Uint8Array, created: boolean): void {
  try {
    writeDurably(path, data, 'a');
  } catch (err) {
    throw outputError(path, err);
  }
  if (created) fsyncDir(dirname(path));
}

/** One write of the whole data ('a': appended, 'w': replacing the file's contents), then fsync; a failed append is cut back. */
function writeDurably(path: string, data: string | Uint8Array, flag: 'a' | 'w'): void {
  const fd = openSync(path, flag);
  const size = flag === 'a' ? fstatSync(fd).size : 0;
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let at = 0;
    // writeSync may write less than asked (large buffers): loop until all of it is written.
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (err) {
    if (flag === 'a') cutBack(fd, size);
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** An append that failed half-way is removed: the file ends where it ended before (best effort). */
function cutBack(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } catch {
    // The reader's rule still holds: a torn last record is dropped (src/results/tables.ts).
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
