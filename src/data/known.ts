import { isAbsolute, resolve } from 'node:path';
import { cleanReferenceText } from '../corpus/clean.js';

/** A corpus charlab knows by name and can fetch for its users. */
export interface KnownCorpus {
  /** File name inside the data folder. */
  file: string;
  /** Where the raw text is published. */
  url: string;
  /** sha256 (hex) of the file as written to `<dataDir>/<file>` (the cleaned text, or the published bytes). */
  sha256: string;
  /** Turns the downloaded raw text into the file's text; absent: the published bytes are saved as they are. */
  clean?: (raw: string) => string;
  /** What to do by hand when the download fails: how to make `<file>` from the published text. */
  byHand: string;
}

export const KNOWN_CORPORA: Readonly<Record<string, KnownCorpus>> = Object.freeze({
  holmes: {
    file: 'holmes.txt',
    url: 'https://sherlock-holm.es/stories/plain-text/cnus.txt',
    sha256: 'a75accce1a1a687e522b6d35bd3187d12977438c4878e5ead23598571def646c',
    clean: cleanReferenceText,
    byHand: 'clean it (each line trimmed and lower-cased, characters outside printable ASCII dropped, empty lines dropped)',
  },
  // War and Peace as char-rnn's blog post trained on it: UTF-8 with a BOM and "\r\n" line endings,
  // 3,258,246 bytes, saved as published (src/corpus/text.ts says how it is read).
  warpeace: {
    file: 'warpeace.txt',
    url: 'https://cs.stanford.edu/people/karpathy/char-rnn/warpeace_input.txt',
    sha256: 'fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e',
    byHand: 'keep its bytes as they are',
  },
});

/**
 * True if `spec` names a known corpus. A spec containing a path separator or a dot is always
 * a path, so './holmes' or 'holmes.txt' name files; a bare 'holmes' is the known corpus.
 */
export function isKnownCorpusName(spec: string, known: Readonly<Record<string, KnownCorpus>> = KNOWN_CORPORA): boolean {
  return Object.hasOwn(known, spec) && !/[\\/.]/.test(spec);
}

/** The data folder: env.CHARLAB_DATA_DIR (resolved against cwd if relative) or `<cwd>/data`. */
export function dataDir(env: Record<string, string | undefined>, cwd: string): string {
  const fromEnv = env.CHARLAB_DATA_DIR;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return isAbsolute(fromEnv) ? resolve(fromEnv) : resolve(cwd, fromEnv);
  }
  return resolve(cwd, 'data');
}
