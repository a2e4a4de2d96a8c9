/**
 * min-char-rnn's data pointer, written once: the chunks a training run reads.
 *
 *   chunk n: inputs ids[start .. start+len), targets ids[start+1 .. start+len+1)
 *   start advances by len; before a chunk, if start + unroll + 1 >= trainEnd, the pointer wraps
 *   to 0 and the hidden state is reset (as min-char-rnn does; the first chunk also starts from a
 *   zero state). With a budget, the last chunk is shortened so that exactly `budget` characters
 *   are read.
 *
 * trainRun, the bench's timing loop, the tests' training loops and the Markov baseline's "which
 * characters did the RNN read" (readEnd) all use this iterator.
 */

export interface Chunk {
  /** Index of the chunk's first input symbol. */
  start: number;
  /** Characters trained on (inputs), at most unroll. */
  len: number;
  /** The hidden state must be zeroed before this chunk: the first chunk, and every wrap. */
  reset: boolean;
  /** The pointer wrapped back to the start of the training text before this chunk. */
  wrapped: boolean;
}

/**
 * A cursor over the chunks of ids[0 .. trainEnd) in pieces of `unroll`. next() reuses one Chunk
 * object, so a training loop allocates nothing.
 */
export class ChunkCursor {
  private pos = 0;
  private started = false;
  private readonly chunk: Chunk = { start: 0, len: 0, reset: false, wrapped: false };

  constructor(
    readonly trainEnd: number,
    readonly unroll: number,
  ) {
    if (!Number.isInteger(unroll) || unroll < 1)
      throw new RangeError(`unroll must be a positive integer, got ${unroll}`);
    if (!Number.isInteger(trainEnd) || trainEnd < 2) {
      throw new RangeError(`the training text must hold at least 2 symbols (one input, one target), got ${trainEnd}`);
    }
  }

  /** The next chunk, of min(unroll, maxLen) characters. The returned object is reused by the next call. */
  next(maxLen: number = this.unroll): Chunk {
    const c = this.chunk;
    c.wrapped = this.pos + this.unroll + 1 >= this.trainEnd;
    if (c.wrapped) this.pos = 0;
    c.reset = c.wrapped || !this.started;
    this.started = true;
    c.start = this.pos;
    // A pointer that wrapped may still not fit a whole chunk (training text shorter than unroll + 1).
    c.len = Math.min(this.unroll, maxLen, this.trainEnd - 1 - this.pos);
    this.pos += c.len;
    return c;
  }

  /** Where the cursor stands, to be saved with a checkpoint. */
  get position(): CursorPosition {
    return { pos: this.pos, started: this.started };
  }

  /** Continue from a saved position. */
  seek(p: CursorPosition): void {
    if (!Number.isInteger(p.pos) || p.pos < 0 || p.pos >= this.trainEnd)
      throw new RangeError(`cursor position ${p.pos} is outside [0, ${this.trainEnd})`);
    this.pos = p.pos;
    this.started = p.started;
  }
}

/** A cursor's saved position: the next chunk's start (before wrapping), and whether a chunk was read. */
export interface CursorPosition {
  pos: number;
  started: boolean;
}

/** The next step of B streams: stream b's chunk starts at starts[b]; every stream reads len. */
export interface StreamStep {
  starts: Int32Array;
  len: number;
  reset: boolean;
  wrapped: boolean;
}

/**
 * char-rnn's loader for B parallel streams: the training text cut into B contiguous parts of
 * P = floor(trainEnd / B) symbols, stream b reading part b with min-char-rnn's pointer (all parts
 * have the same length, so all streams wrap, and reset, together). B = 1 is exactly ChunkCursor.
 */
export class StreamCursor {
  private readonly cursor: ChunkCursor;
  private readonly part: number;
  private readonly step: StreamStep;

  constructor(
    trainEnd: number,
    unroll: number,
    readonly batch: number,
  ) {
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    this.part = Math.floor(trainEnd / batch);
    this.cursor = new ChunkCursor(this.part, unroll);
    this.step = { starts: new Int32Array(batch), len: 0, reset: false, wrapped: false };
  }

  /** The next step, of at most maxChars characters over all streams (at least one per stream). Reused by the next call. */
  next(maxChars: number = Infinity): StreamStep {
    const B = this.batch;
    const c = this.cursor.next(Math.max(1, Math.ceil(maxChars / B)));
    const s = this.step;
    for (let b = 0; b < B; b++) s.starts[b] = b * this.part + c.start;
    s.len = c.len;
    s.reset = c.reset;
    s.wrapped = c.wrapped;
    return s;
  }

  /** Where the streams stand (all streams move together: one position within a part). */
  get position(): CursorPosition {
    return this.cursor.position;
  }

  seek(p: CursorPosition): void {
    this.cursor.seek(p);
  }
}

/**
 * End (exclusive) of the stretch of ids[0 .. trainEnd) a run of `budget` characters reads,
 * targets included: the whole training text once the pointer has wrapped.
 */
export function readEnd(trainEnd: number, unroll: number, budget: number): number {
  const cursor = new ChunkCursor(trainEnd, unroll);
  let end = 0;
  for (let chars = 0; chars < budget;) {
    const c = cursor.next(budget - chars);
    if (c.wrapped) return trainEnd;
    end = Math.max(end, c.start + c.len + 1);
    chars += c.len;
  }
  return end;
}

/**
 * The stretches of ids[0 .. trainEnd) a run of `budget` characters over `batch` streams reads
 * (StreamCursor), targets included: one [start, end) per stream, each part read as readEnd reads
 * a whole text (every stream reads ceil(budget / batch) characters). batch = 1: [[0, readEnd]].
 */
export function readRanges(trainEnd: number, unroll: number, budget: number, batch: number): [number, number][] {
  const part = Math.floor(trainEnd / batch);
  const end = readEnd(part, unroll, Math.ceil(budget / batch));
  return Array.from({ length: batch }, (_, b) => [b * part, b * part + end]);
}
