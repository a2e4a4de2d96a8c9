/**
 * The CLI's way to a corpus: the data folder and download URLs come from the environment
 * (CHARLAB_DATA_DIR; CHARLAB_<NAME>_URL, e.g. CHARLAB_HOLMES_URL, CHARLAB_WARPEACE_URL), a download
 * draws a progress bar, notices go to stderr.
 */
import {
  dataDir,
  loadCorpus as loadCorpusWith,
  type CorpusAccess,
  type CorpusSpec,
  type LoadedCorpus,
} from '../data/index.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { byteBar } from './progress.js';

/** Corpus access for commands: read from the environment here, at the CLI edge. */
export function cliCorpusAccess(bar: {
  update: (received: number, total: number | undefined) => void;
  stop: () => void;
}): CorpusAccess {
  return {
    dataDir: dataDir(process.env, process.cwd()),
    urlFor: (name) => process.env[`CHARLAB_${name.toUpperCase()}_URL`],
    onProgress: bar.update,
    onNotice: (msg) => {
      bar.stop(); // a notice ends a download ("saved …"): the bar goes before anything else is drawn
      process.stderr.write(`${escapeForTerminal(msg)}\n`);
    },
  };
}

/** Runs `work` with the CLI's corpus access; the download bar is removed afterwards. */
export async function withCorpusAccess<T>(work: (access: CorpusAccess) => Promise<T>): Promise<T> {
  const bar = byteBar('downloading corpus');
  try {
    return await work(cliCorpusAccess(bar));
  } finally {
    bar.stop();
  }
}

export async function loadCorpus(
  spec: string | CorpusSpec,
  opts: { baseDir: string; validation: number; minTrainChars: number },
): Promise<LoadedCorpus> {
  return withCorpusAccess((access) => loadCorpusWith(spec, opts, access));
}
