/**
 * The safetensors layout (https://github.com/huggingface/safetensors), written and read by hand:
 *
 *   [8 bytes]  N, the header's length in bytes, unsigned 64-bit little-endian
 *   [N bytes]  a JSON object, UTF-8, padded with spaces so that the data starts 8-byte aligned:
 *                { "__metadata__": { string: string, … },
 *                  "<tensor>": { "dtype": "F32" | "F64", "shape": [d0, d1, …], "data_offsets": [begin, end] }, … }
 *   [rest]     the tensors' raw little-endian bytes; data_offsets count from the end of the header
 *
 * Reading validates everything before returning anything: the header length against the file
 * size, the JSON, every entry's dtype, shape and offsets (each tensor's bytes = product of its shape
 * × the dtype's size; the tensors tile the data exactly, with no gap, overlap or trailing byte).
 * Only F32 and F64 are read (what charlab writes). Errors are LayoutErrors naming what is wrong.
 */
import { endianness } from 'node:os';

export type DType = 'F32' | 'F64';

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array;
}

export interface Layout {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

/** A file that is not a whole, well-formed safetensors file of F32/F64 tensors. */
export class LayoutError extends Error {
  override name = 'LayoutError';
}

const BYTES: Record<DType, number> = { F32: 4, F64: 8 };
/** Headers beyond this are refused as foreign (safetensors itself caps them at 100 MB). */
const MAX_HEADER = 100_000_000;

if (endianness() !== 'LE') throw new Error('charlab checkpoints are read and written on little-endian machines only');

/** The bytes of a safetensors file holding `tensors` (in the given order) and `metadata`. */
export function encodeLayout(metadata: Record<string, string>, tensors: [string, Tensor][]): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * BYTES[t.dtype];
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length)
      throw new RangeError(`tensor ${name}: shape [${t.shape.join(',')}] does not hold ${t.data.length} values`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.allocUnsafe(8 + json.length + offset); // every byte is written below
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let at = 8 + json.length;
  for (const [, t] of tensors) {
    const src = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    src.copy(out, at);
    at += src.length;
  }
  return out;
}

/** The metadata and tensors of a safetensors file, every part validated first (LayoutError). */
export function decodeLayout(buf: Uint8Array): Layout {
  const { header, dataStart } = readHeader(buf);
  const metadata = readMetadata(header.__metadata__);
  const entries = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]) => ({ name, ...checkEntry(name, e) }));
  entries.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      throw new LayoutError(
        `tensor ${e.name}: data_offsets start at ${e.begin}, expected ${expected} (tensors must tile the data without gaps or overlaps)`,
      );
    }
    expected = e.end;
  }
  const dataBytes = buf.length - dataStart;
  if (expected > dataBytes)
    throw new LayoutError(`truncated: the tensors need ${expected} data bytes, the file holds ${dataBytes}`);
  if (expected < dataBytes) throw new LayoutError(`${dataBytes - expected} trailing bytes after the last tensor`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const bytes = new Uint8Array(e.end - e.begin); // a copy: aligned, owned
    bytes.set(buf.subarray(dataStart + e.begin, dataStart + e.end));
    const data = e.dtype === 'F32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { metadata, tensors };
}

function readHeader(buf: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (buf.length < 8) throw new LayoutError(`truncated: ${buf.length} bytes, shorter than the 8-byte header length`);
  const n = Buffer.from(buf.buffer, buf.byteOffset, 8).readBigUInt64LE(0);
  if (n < 2n || n > BigInt(MAX_HEADER))
    throw new LayoutError(`not a safetensors file: header length ${n} is implausible`);
  const len = Number(n);
  if (8 + len > buf.length)
    throw new LayoutError(
      `truncated: the header needs ${len} bytes, the file holds ${buf.length - 8} after the length`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + len)));
  } catch (err) {
    throw new LayoutError(`not a safetensors file: the header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new LayoutError('not a safetensors file: the header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart: 8 + len };
}

function readMetadata(m: unknown): Record<string, string> {
  if (m === undefined) return {};
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new LayoutError('__metadata__ is not an object');
  for (const [k, v] of Object.entries(m))
    if (typeof v !== 'string') throw new LayoutError(`__metadata__.${k} is not a string`);
  return m as Record<string, string>;
}

function checkEntry(name: string, e: unknown): { dtype: DType; shape: number[]; begin: number; end: number } {
  const o = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (o === null || typeof o !== 'object') throw new LayoutError(`tensor ${name}: entry is not an object`);
  if (o.dtype !== 'F32' && o.dtype !== 'F64')
    throw new LayoutError(`tensor ${name}: dtype ${JSON.stringify(o.dtype)} is not F32 or F64`);
  const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(o.shape) || !o.shape.every(isCount))
    throw new LayoutError(`tensor ${name}: shape ${JSON.stringify(o.shape)} is not a list of sizes`);
  const off = o.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount) || off[1] < off[0]) {
    throw new LayoutError(`tensor ${name}: data_offsets ${JSON.stringify(off)} is not [begin, end]`);
  }
  const shape = o.shape as number[];
  const [begin, end] = off as number[];
  const want = shape.reduce((a, b) => a * b, 1) * BYTES[o.dtype];
  if (end - begin !== want)
    throw new LayoutError(`tensor ${name}: ${end - begin} bytes for ${o.dtype} [${shape.join(',')}], expected ${want}`);
  return { dtype: o.dtype, shape, begin, end };
}
