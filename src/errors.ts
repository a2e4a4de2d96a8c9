/**
 * Error kinds shared by the whole tool. The CLI maps them to exit codes:
 * UsageError -> 2 (bad command line, bad experiment file, bad corpus), anything else -> 1.
 * Library code throws these; only src/cli decides what to print and how to exit.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string) {
    super(message);
  }
}

/**
 * Why a corpus that was read cannot be used with the settings: its training part is shorter than
 * one unroll plus one character (blame the unroll), the held-out fraction leaves no character
 * (blame the validation setting), or it has fewer characters than a slice asks for (blame corpus.chars).
 */
export type CorpusShortfall = 'train-too-short' | 'no-held-out' | 'slice-too-long';

/** A corpus that cannot be used: missing, a directory, empty, not UTF-8, too short. Exit 2. */
export class CorpusError extends UsageError {
  override name = 'CorpusError';
  constructor(
    readonly path: string,
    readonly detail: string,
    /** Set when the file is fine but too short for a setting. */
    readonly shortfall?: CorpusShortfall,
  ) {
    super(`corpus ${path}: ${detail}`);
  }
}

/** What an errno means, in words (the codes a write or a folder creation meets). */
export const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder (or the file system does not allow creating it, as /proc)',
  ENOTDIR: 'a file is where a folder should be',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  EFBIG: 'file too large',
};

/** An errno code with its meaning: "ENOSPC (no space left on device)". */
export function describeErrno(code: string | undefined): string {
  if (code === undefined) return 'unknown error';
  return ERRNO_WORDS[code] ? `${code} (${ERRNO_WORDS[code]})` : code;
}

/**
 * A write that failed during the work (a full disk, an I/O error): one line naming the file and the
 * errno, exit 1. Whatever was written before stays as it was (src/util/atomic.ts).
 */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(`cannot write ${path}: ${describeErrno(code)}; what was written before is kept`);
  }
}
