import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CorpusError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { downloadOnce } from './downloadLock.js';
import { isKnownCorpusName, KNOWN_CORPORA, type KnownCorpus } from './known.js';
import { corpusFromBytes, loadCorpusFile, sha256Hex } from './load.js';

export interface ResolveCorpusOptions {
  /** Folder holding known corpora (see dataDir()); created when a download is saved. */
  dataDir: string;
  /** Relative paths resolve against this (the experiment file's folder, or cwd). */
  baseDir: string;
  /** Download progress: bytes received so far and the announced total (undefined if unknown). */
  onProgress?: (received: number, total: number | undefined) => void;
  /** One-line messages worth showing the user (download started, file saved, checksum warning). */
  onNotice?: (msg: string) => void;
  /** Download from here instead of the corpus's published URL (tests; CHARLAB_<NAME>_URL at the CLI). */
  urlOverride?: string;
  /** fetch implementation (default: the global fetch). */
  fetchImpl?: typeof fetch;
  /** Give up a download when no data arrives for this long. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** The corpora known by name (default KNOWN_CORPORA; the tests fetch a generated one of their own). */
  known?: Readonly<Record<string, KnownCorpus>>;
}

export interface ResolvedCorpus {
  /** Absolute path of the corpus file. */
  path: string;
  /** The text as charlab reads it (src/corpus/text.ts). */
  text: string;
  /** sha256 (hex) of that text (UTF-8): the corpus's identity. */
  sha256: string;
  /** sha256 (hex) of the file's bytes, as `sha256sum` prints it. */
  fileSha256: string;
  bytes: number;
  /** The known-corpus name, when `spec` was one. */
  name?: string;
}

/** The downloaded file (once cleaned, for a corpus that is) is not the expected one. Nothing was written. */
export class ChecksumError extends Error {
  override name = 'ChecksumError';
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(message);
  }
}

/**
 * Finds a corpus. A bare known name ('holmes') means `<dataDir>/<file>`, downloaded, cleaned,
 * checked against its sha256 and saved atomically if it is not there yet. Anything else is a
 * path, resolved against `baseDir` and read with loadCorpusFile.
 *
 * Throws CorpusError for an unusable file, UsageError (with instructions on where to put the
 * file by hand) when a download fails or cannot be saved, ChecksumError when the downloaded
 * text does not match.
 */
export async function resolveCorpus(spec: string, opts: ResolveCorpusOptions): Promise<ResolvedCorpus> {
  if (spec.trim() === '') throw new UsageError('no corpus given (expected a file path or a known name such as holmes)');
  const known = opts.known ?? KNOWN_CORPORA;
  if (isKnownCorpusName(spec, known)) return resolveKnown(spec, known[spec], opts);

  const path = resolve(opts.baseDir, spec);
  if (!existsSync(path) && !/[\\/.]/.test(spec)) {
    const names = Object.keys(known).join(', ');
    throw new CorpusError(path, `not found (no such file; known corpus names: ${names})`);
  }
  return { path, ...loadCorpusFile(path) };
}

/** Whether the corpus `spec` names can be read without downloading it (a file, or a known corpus already in the data folder). */
export function corpusAtHand(spec: string, opts: Pick<ResolveCorpusOptions, 'dataDir' | 'baseDir' | 'known'>): boolean {
  const known = opts.known ?? KNOWN_CORPORA;
  if (isKnownCorpusName(spec, known)) return existsSync(join(resolve(opts.dataDir), known[spec].file));
  return existsSync(resolve(opts.baseDir, spec));
}

async function resolveKnown(name: string, corpus: KnownCorpus, opts: ResolveCorpusOptions): Promise<ResolvedCorpus> {
  const dir = resolve(opts.dataDir);
  const target = join(dir, corpus.file);
  const notice = opts.onNotice ?? (() => {});

  const present = (): ResolvedCorpus => {
    const loaded = loadCorpusFile(target);
    if (loaded.fileSha256 !== corpus.sha256) {
      notice(
        `warning: ${target} is not the reference ${name} text (sha256 ${loaded.fileSha256}, expected ${corpus.sha256}); ` +
          `using it as it is (delete it to download the reference text)`,
      );
    }
    return { path: target, name, ...loaded };
  };
  // Processes sharing the data folder (cluster tasks) download it once: the others wait and read it.
  const onWait = (holder: string) => notice(`${corpus.file} is being downloaded into ${dir} by ${holder}; waiting for it`);
  return downloadOnce(target, present, (touch) => fetchKnown(name, corpus, target, opts, touch), { onWait });
}

/** Download, clean (if the corpus says how), verify and save a known corpus (under the data folder's download lock). */
async function fetchKnown(name: string, corpus: KnownCorpus, target: string, opts: ResolveCorpusOptions, touch: () => void): Promise<ResolvedCorpus> {
  const dir = dirname(target);
  const notice = opts.onNotice ?? (() => {});
  const url = opts.urlOverride || corpus.url; // an empty override (e.g. CHARLAB_HOLMES_URL='') counts as none
  const howTo =
    `Download the text from ${url}, ${corpus.byHand} (sha256 of the result ${corpus.sha256}) and save it as ` +
    `${target}, or copy ${corpus.file} to ${target} (or set CHARLAB_DATA_DIR to a folder holding ${corpus.file}).`;

  notice(`${corpus.file} not found in ${dir}; downloading ${name} from ${url}`);
  let raw: Uint8Array;
  try {
    raw = await download(url, { ...opts, onProgress: (received, total) => (touch(), opts.onProgress?.(received, total)) });
  } catch (err) {
    throw new UsageError(`could not download the ${name} corpus from ${url}: ${describe(err)}. ${howTo}`);
  }

  // Non-fatal decoding: anything not decodable is outside printable ASCII and dropped by the
  // cleaning anyway; the checksum below decides whether the result is the reference text.
  const file = corpus.clean ? Buffer.from(corpus.clean(new TextDecoder('utf-8').decode(raw)), 'utf8') : raw;
  const sha256 = sha256Hex(file);
  if (sha256 !== corpus.sha256) {
    const cleaned = corpus.clean ? ` (${file.length} bytes after cleaning)` : '';
    throw new ChecksumError(
      `the ${name} text downloaded from ${url} does not match${corpus.clean ? ' after cleaning' : ''}: expected sha256 ` +
        `${corpus.sha256}, got ${sha256} (${raw.length} bytes downloaded${cleaned}); nothing was written. ${howTo}`,
      corpus.sha256,
      sha256,
    );
  }
  const loaded = corpusFromBytes(file, target); // the text as it will be read from the saved file
  await writeAtomically(target, file, howTo);
  notice(`saved ${name} to ${target} (sha256 verified)`);
  return { path: target, ...loaded, name };
}

/** GETs `url` and returns the body, reporting progress and giving up after an idle timeout. */
async function download(url: string, opts: ResolveCorpusOptions): Promise<Uint8Array> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, idleMs);
  };
  arm();
  try {
    const res = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`the server answered ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
    }
    if (!res.body) throw new Error('the server sent no body');
    // With a content-encoding the announced length is of the compressed bytes, not of what we count.
    const announced = Number(res.headers.get('content-length') ?? NaN);
    const total =
      !res.headers.get('content-encoding') && Number.isSafeInteger(announced) && announced >= 0 ? announced : undefined;
    const chunks: Uint8Array[] = [];
    let received = 0;
    opts.onProgress?.(0, total);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arm();
      chunks.push(value);
      received += value.length;
      opts.onProgress?.(received, total);
    }
    if (total !== undefined && received !== total) {
      throw new Error(`the download stopped after ${received} of ${total} bytes`);
    }
    const out = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } catch (err) {
    if (timedOut) throw new Error(`no data received for ${Math.round(idleMs / 1000)} s`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Saves `data` as `target` through src/util/atomic.ts (temporary file, fsync, rename, fsync of the folder). */
async function writeAtomically(target: string, data: Uint8Array, howTo: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
    writeFileAtomic(target, data);
  } catch (err) {
    throw new UsageError(`downloaded the corpus but could not save it as ${target}: ${describe(err)}. ${howTo}`);
  }
}

/** A short reason for a failure, including the network error code undici hides in `cause`. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    const detail = !code ? cause.message : !cause.message || cause.message.includes(code) ? cause.message || code : `${code}: ${cause.message}`;
    return detail ? `${err.message} (${detail})` : err.message;
  }
  return err.message;
}
