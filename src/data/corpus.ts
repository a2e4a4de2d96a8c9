/**
 * A corpus ready for training, from a spec ("holmes" or a path): resolve it (downloading a known
 * corpus if need be), then encode and split it. No process access: where the data folder is, the
 * download URL override and the progress display are injected by the caller (the CLI reads the
 * environment and draws the bar).
 */
import { prepareCorpus, type Corpus } from '../corpus/index.js';
import { resolveCorpus, type ResolvedCorpus } from './resolve.js';

export interface LoadedCorpus {
  corpus: Corpus;
  file: ResolvedCorpus;
}

/** How corpora are found and fetched: injected by the caller. */
export interface CorpusAccess {
  /** Folder holding known corpora (default: `<cwd>/data`; the CLI passes dataDir(process.env, cwd)). */
  dataDir?: string;
  /** Download a known corpus from here instead of its published URL. */
  urlOverride?: string;
  /** Download progress (bytes received, announced total). */
  onProgress?: (received: number, total: number | undefined) => void;
  /** One-line messages worth showing the user. */
  onNotice?: (msg: string) => void;
}

export async function loadCorpus(
  spec: string,
  opts: { baseDir: string; validation: number; minTrainChars: number },
  access: CorpusAccess = {},
): Promise<LoadedCorpus> {
  const file = await resolveCorpus(spec, {
    dataDir: access.dataDir ?? 'data',
    baseDir: opts.baseDir,
    urlOverride: access.urlOverride,
    onProgress: access.onProgress,
    onNotice: access.onNotice,
  });
  const corpus = prepareCorpus(file.text, file.path, { validation: opts.validation, minTrainChars: opts.minTrainChars });
  return { corpus, file };
}
