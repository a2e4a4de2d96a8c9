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

/** A corpus that cannot be used: missing, a directory, empty, not UTF-8, too short. Exit 2. */
export class CorpusError extends UsageError {
  override name = 'CorpusError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`corpus ${path}: ${detail}`);
  }
}
