import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { prepareText } from '../corpus/text.js';
import { CorpusError } from '../errors.js';

/** A corpus file as read from disk. */
export interface LoadedCorpusFile {
  /** The text charlab reads: the file decoded, then prepared (src/corpus/text.ts: no BOM, '\n' line endings). */
  text: string;
  /** sha256 (hex) of that text in UTF-8: what identifies a corpus (equal to fileSha256 when preparing changes nothing). */
  sha256: string;
  /** sha256 (hex) of the file's bytes exactly as stored, i.e. what `sha256sum` prints. */
  fileSha256: string;
  /** Size of the file in bytes. */
  bytes: number;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Turns a Node file-system error into a CorpusError naming the file. */
export function fsErrorToCorpusError(path: string, err: unknown): CorpusError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new CorpusError(path, 'not found (no such file)');
    case 'ENOTDIR':
      return new CorpusError(path, 'not found (a part of the path is not a folder)');
    case 'EISDIR':
      return new CorpusError(path, 'is a directory, not a text file');
    case 'EACCES':
    case 'EPERM':
      return new CorpusError(path, 'cannot be read: permission denied');
    default:
      return new CorpusError(path, `cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (WHATWG rules: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1 if the bytes are valid UTF-8.
 */
export function firstInvalidUtf8Offset(b: Uint8Array): number {
  const n = b.length;
  const cont = (i: number, lo = 0x80, hi = 0xbf) => i < n && b[i] >= lo && b[i] <= hi;
  let i = 0;
  while (i < n) {
    const x = b[i];
    if (x < 0x80) {
      i++;
    } else if (x >= 0xc2 && x <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (x >= 0xe0 && x <= 0xef) {
      const lo = x === 0xe0 ? 0xa0 : 0x80;
      const hi = x === 0xed ? 0x9f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2)) return i;
      i += 3;
    } else if (x >= 0xf0 && x <= 0xf4) {
      const lo = x === 0xf0 ? 0x90 : 0x80;
      const hi = x === 0xf4 ? 0x8f : 0xbf;
      if (!cont(i + 1, lo, hi) || !cont(i + 2) || !cont(i + 3)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return -1;
}

function lineOf(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (b[i] === 0x0a) line++;
  return line;
}

/**
 * Reads a UTF-8 text corpus. Throws CorpusError(path, ...) if the file is missing, a directory
 * (or another non-file), unreadable, empty, contains a NUL byte ("looks binary"), or is not
 * valid UTF-8 (the message gives the byte offset and line of the first bad byte).
 * `text` is prepared by the corpus preparation rule (src/corpus/text.ts): a leading BOM dropped,
 * "\r\n" and lone "\r" read as "\n"; the file's own bytes count in `fileSha256` and `bytes`.
 */
export function loadCorpusFile(path: string): LoadedCorpusFile {
  let buf: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CorpusError(path, 'is a directory, not a text file');
    if (!st.isFile() && !st.isFIFO()) throw new CorpusError(path, 'is not a regular file');
    buf = readFileSync(path);
  } catch (err) {
    if (err instanceof CorpusError) throw err;
    throw fsErrorToCorpusError(path, err);
  }
  return corpusFromBytes(buf, path);
}

/** The corpus text in a file's bytes, prepared (see loadCorpusFile); CorpusError naming `path` if unusable. */
export function corpusFromBytes(buf: Uint8Array, path: string): LoadedCorpusFile {
  if (buf.length === 0) throw new CorpusError(path, 'is empty (0 bytes)');
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    throw new CorpusError(path, `looks binary (NUL byte at offset ${nul}); a corpus must be UTF-8 text`);
  }
  const hasBom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const body = hasBom ? buf.subarray(3) : buf;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const at = firstInvalidUtf8Offset(body);
    const where =
      at >= 0
        ? ` at byte offset ${at + (hasBom ? 3 : 0)} (line ${lineOf(body, at)}, byte 0x${body[at]
            .toString(16)
            .padStart(2, '0')})`
        : '';
    throw new CorpusError(path, `is not valid UTF-8${where}; convert it to UTF-8 first`);
  }
  if (text.length === 0) throw new CorpusError(path, 'is empty (only a byte-order mark)');
  const fileSha256 = sha256Hex(buf);
  // The BOM (bytes EF BB BF) is already off: prepareText is given the text after it, as U+FEFF + text.
  const prepared = prepareText(hasBom ? `\ufeff${text}` : text);
  // Unchanged by the preparation (no BOM, no '\r'): the text's UTF-8 is the file's bytes.
  const sha256 = !hasBom && prepared === text ? fileSha256 : sha256Hex(prepared);
  return { text: prepared, sha256, fileSha256, bytes: buf.length };
}
