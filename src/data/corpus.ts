/**
 * A corpus ready for training, from a spec ("holmes", "warpeace" or a path, optionally sliced to its
 * first N characters): resolve it (downloading a known corpus if need be), slice it, then encode and
 * split it. No process access: where the data folder is, the download URL overrides and the progress
 * display are injected by the caller (the CLI reads the environment and draws the bar).
 */
import { codePointLength, firstChars, prepareCorpus, type Corpus } from '../corpus/index.js';
import { CorpusError } from '../errors.js';
import { sha256Hex } from './load.js';
import { resolveCorpus, type ResolvedCorpus } from './resolve.js';

/** The corpus a run reads: a file's text, or (`chars`) its first N characters. */
export interface CorpusSpec {
  /** A known corpus name or a path (relative to the experiment file, or cwd). */
  name: string;
  /** Read only the first this many characters (code points) of the prepared text; absent: all of it. */
  chars?: number;
}

export interface LoadedCorpus {
  corpus: Corpus;
  /** The file's text as read (`sha256`: of the slice, when `slice` is set). */
  file: ResolvedCorpus & { slice?: { chars: number; fileChars: number } };
}

/** How corpora are found and fetched: injected by the caller. */
export interface CorpusAccess {
  /** Folder holding known corpora (default: `<cwd>/data`; the CLI passes dataDir(process.env, cwd)). */
  dataDir?: string;
  /** Download a known corpus from this URL instead of its published one (the CLI: CHARLAB_<NAME>_URL). */
  urlFor?: (name: string) => string | undefined;
  /** Download progress (bytes received, announced total). */
  onProgress?: (received: number, total: number | undefined) => void;
  /** One-line messages worth showing the user. */
  onNotice?: (msg: string) => void;
}

/** The spec of an experiment's or command's corpus: a name or path, or {name, chars}. */
export function corpusSpec(spec: string | CorpusSpec): CorpusSpec {
  return typeof spec === 'string' ? { name: spec } : spec;
}

/** Resolve a corpus (see resolveCorpus) with the caller's access. */
export function resolveWith(name: string, baseDir: string, access: CorpusAccess = {}): Promise<ResolvedCorpus> {
  return resolveCorpus(name, {
    dataDir: access.dataDir ?? 'data',
    baseDir,
    urlOverride: access.urlFor?.(name),
    onProgress: access.onProgress,
    onNotice: access.onNotice,
  });
}

/**
 * The first `chars` characters of a resolved corpus, identified by their own sha256; a CorpusError
 * naming the corpus when it is shorter. Without `chars`, the corpus as it is.
 */
export function sliceCorpus(file: ResolvedCorpus, chars: number | undefined): LoadedCorpus['file'] {
  if (chars === undefined) return file;
  const text = firstChars(file.text, chars);
  if (text === null) throw new CorpusError(file.path, `has fewer than the ${chars} characters asked for (corpus chars)`, 'slice-too-long');
  const fileChars = codePointLength(file.text);
  if (text.length === file.text.length) return { ...file, slice: { chars, fileChars } };
  return { ...file, text, sha256: sha256Hex(text), slice: { chars, fileChars } };
}

export async function loadCorpus(
  spec: string | CorpusSpec,
  opts: { baseDir: string; validation: number; minTrainChars: number },
  access: CorpusAccess = {},
): Promise<LoadedCorpus> {
  const { name, chars } = corpusSpec(spec);
  const file = sliceCorpus(await resolveWith(name, opts.baseDir, access), chars);
  const corpus = prepareCorpus(file.text, file.path, { validation: opts.validation, minTrainChars: opts.minTrainChars });
  return { corpus, file };
}
