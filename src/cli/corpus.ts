/** The CLI's way to a corpus: resolve (and download if need be, with a progress bar), then encode and split. */
import { prepareCorpus, type Corpus } from '../corpus/index.js';
import { dataDir, resolveCorpus, type ResolvedCorpus } from '../data/index.js';
import { byteBar } from './progress.js';

export interface LoadedCorpus {
  corpus: Corpus;
  file: ResolvedCorpus;
}

export async function loadCorpus(
  spec: string,
  opts: { baseDir: string; validation: number; minTrainChars: number },
): Promise<LoadedCorpus> {
  const bar = byteBar('downloading corpus');
  try {
    const file = await resolveCorpus(spec, {
      dataDir: dataDir(process.env, process.cwd()),
      baseDir: opts.baseDir,
      urlOverride: process.env.CHARLAB_HOLMES_URL,
      onProgress: bar.update,
      onNotice: (msg) => process.stderr.write(`${msg}\n`),
    });
    const corpus = prepareCorpus(file.text, file.path, { validation: opts.validation, minTrainChars: opts.minTrainChars });
    return { corpus, file };
  } finally {
    bar.stop();
  }
}
