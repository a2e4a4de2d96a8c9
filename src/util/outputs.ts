/**
 * Where charlab writes, checked before any work: a folder that can be created and written (one level
 * at a time: a recursive mkdir loops forever on /proc), a file whose folder exists and takes files,
 * and an existing file replaced only when charlab recognises it as the kind of file it writes there
 * ("never overwrite what charlab did not write"). Refusals are UsageErrors (exit 2) naming the path.
 */
import { closeSync, lstatSync, mkdirSync, openSync, readSync, rmdirSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describeErrno, UsageError } from '../errors.js';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;
const statOrNull = (path: string): Stats | null => {
  try {
    return statSync(path);
  } catch {
    return null;
  }
};

/** The first `n` bytes of a file (fewer if it is shorter), or null if it cannot be read. */
export function readHead(path: string, n = 4096): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * `dir` exists as a folder charlab can write into, created if missing (each missing level on its
 * own, so /proc and its kin fail at once instead of looping), and probed with a file created and
 * removed. `what` names it in the message ("results folder", "--out"). With `dryRun` the levels it
 * created are removed again: a check before any work that leaves nothing behind.
 */
export function ensureWritableDir(dir: string, what: string, dryRun = false): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (let st = statOrNull(p); st === null; st = statOrNull(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  const existing = statOrNull(p);
  if (existing && !existing.isDirectory())
    throw new UsageError(`${what} ${abs} cannot be created: ${p} is a file, expected a folder`);
  const made: string[] = [];
  try {
    for (const level of missing) {
      try {
        mkdirSync(level);
        made.unshift(level);
      } catch (err) {
        if (code(err) === 'EEXIST' && statOrNull(level)?.isDirectory()) continue;
        throw new UsageError(`${what} ${abs} cannot be created: mkdir ${level}: ${describeErrno(code(err))}`);
      }
    }
    probeWritable(abs, what);
  } finally {
    if (dryRun) for (const level of made) rmdirSync(level);
  }
}

/** A file can be created in `dir` (an existing folder); else a UsageError naming the errno. */
function probeWritable(dir: string, what: string): void {
  const probe = join(dir, `.charlab-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    throw new UsageError(`${what} ${dir} cannot be written: ${describeErrno(code(err))}`);
  }
  rmSync(probe, { force: true });
}

/** `path` is a file charlab may write: its folder exists and takes files, and it is not a folder itself. */
export function checkWritableFile(path: string, what: string): void {
  const abs = resolve(path);
  const st = statOrNull(abs);
  if (st?.isDirectory()) throw new UsageError(`${what} ${path}: is a folder, expected a file path`);
  const dir = dirname(abs);
  const parent = statOrNull(dir);
  if (parent === null) throw new UsageError(`${what} ${path}: the folder ${dir} does not exist`);
  if (!parent.isDirectory()) throw new UsageError(`${what} ${path}: ${dir} is a file, expected a folder`);
  probeWritable(dir, what);
}

/**
 * An existing file at `path` may be replaced (or removed) only if `ours` recognises it as the kind
 * of file charlab writes there (`kind`, e.g. "a charlab checkpoint"); nothing there is fine. A
 * folder in the way, or anything else, is a UsageError naming the file; `advice` says what to do.
 */
export function checkReplaceable(path: string, ours: (path: string) => boolean, kind: string, advice = ''): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isDirectory())
    throw new UsageError(
      `${path} is a folder where charlab writes ${kind}; refusing to touch it${advice ? `. ${advice}` : ''}`,
    );
  if (!st.isFile() || !ours(path)) {
    throw new UsageError(
      `refusing to replace ${path}: it is not ${kind} (charlab replaces only files it wrote)${advice ? `. ${advice}` : ''}`,
    );
  }
}
