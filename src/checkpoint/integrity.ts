/**
 * A checkpoint's checksum (metadata key `checksum`, format 2): sha256 of each tensor's bytes as
 * stored, and sha256 of the header's meaning — every metadata entry but the checksum itself and
 * every tensor's name, dtype and shape, in a canonical order (sorted), so that re-encoding the same
 * checkpoint gives the same digests. Checked on every load, before anything in the file is used:
 * a changed byte anywhere in the tensors or a changed value in the header is refused.
 *
 *   checksum = {"algorithm":"sha256","header":"<hex>","tensors":{"<name>":"<hex>",…}}
 */
import { createHash } from 'node:crypto';
import { LayoutError, type Tensor } from './safetensors.js';

export const CHECKSUM_KEY = 'checksum';
const ALGORITHM = 'sha256';

interface Checksum {
  algorithm: typeof ALGORITHM;
  header: string;
  tensors: Record<string, string>;
}

const sha256 = (bytes: Uint8Array | string): string => createHash(ALGORITHM).update(bytes).digest('hex');
const bytesOf = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** The header's meaning as one canonical string: metadata (checksum excluded) and the tensors' names, dtypes and shapes. */
function headerMeaning(metadata: Record<string, string>, tensors: Iterable<[string, Tensor]>): string {
  const meta = Object.entries(metadata)
    .filter(([k]) => k !== CHECKSUM_KEY)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const entries = [...tensors]
    .map(([name, t]) => [name, t.dtype, t.shape])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ metadata: meta, tensors: entries });
}

/** The checksum metadata value for a checkpoint of `metadata` and `tensors`. */
export function checksumOf(metadata: Record<string, string>, tensors: Array<[string, Tensor]>): string {
  const sums: Checksum = {
    algorithm: ALGORITHM,
    header: sha256(headerMeaning(metadata, tensors)),
    tensors: Object.fromEntries(tensors.map(([name, t]) => [name, sha256(bytesOf(t))])),
  };
  return JSON.stringify(sums);
}

/** The file's checksum against its contents; a LayoutError naming the first part that differs. */
export function verifyChecksum(metadata: Record<string, string>, tensors: Map<string, Tensor>): void {
  const raw = metadata[CHECKSUM_KEY];
  if (raw === undefined)
    throw new LayoutError('metadata checksum is missing (format 2 files carry one): the file was altered');
  let sums: Checksum;
  try {
    sums = JSON.parse(raw) as Checksum;
  } catch {
    throw new LayoutError('metadata checksum is not JSON: the file was altered');
  }
  if (
    sums?.algorithm !== ALGORITHM ||
    typeof sums.header !== 'string' ||
    sums.tensors === null ||
    typeof sums.tensors !== 'object'
  ) {
    throw new LayoutError(`metadata checksum is not a ${ALGORITHM} checksum this charlab reads`);
  }
  if (sha256(headerMeaning(metadata, tensors)) !== sums.header) {
    throw new LayoutError(
      "checksum mismatch in the header: a metadata value or a tensor's dtype or shape is not what was written (the file was damaged or edited)",
    );
  }
  for (const [name, t] of tensors) {
    if (sums.tensors[name] === sha256(bytesOf(t))) continue;
    throw new LayoutError(
      `checksum mismatch in tensor ${name}: its bytes are not what was written (the file was damaged or edited)`,
    );
  }
  const extra = Object.keys(sums.tensors).filter((n) => !tensors.has(n));
  if (extra.length > 0) throw new LayoutError(`checksum names tensor(s) the file does not hold: ${extra.join(', ')}`);
}
