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
