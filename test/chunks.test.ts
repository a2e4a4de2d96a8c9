/** min-char-rnn's data pointer (src/train/chunks.ts): the chunks every training loop reads. */
import { describe, expect, test } from 'vitest';
import { prepareCorpus } from '../src/corpus/index.js';
import type { CharModel, RnnConfig, Starts } from '../src/model/types.js';
import { ChunkCursor, StreamCursor, readEnd, readRanges, type Chunk } from '../src/train/chunks.js';
import { DEFAULT_CADENCE, trainRun } from '../src/train/run.js';

function take(cursor: ChunkCursor, n: number, budget = Infinity): Chunk[] {
  const out: Chunk[] = [];
  let chars = 0;
  for (let i = 0; i < n && chars < budget; i++) {
    const c = cursor.next(budget - chars);
    out.push({ ...c });
    chars += c.len;
  }
  return out;
}

describe('ChunkCursor', () => {
  test('steps by unroll from 0, resets the state before the first chunk only', () => {
    const chunks = take(new ChunkCursor(100, 16), 3);
    expect(chunks).toEqual([
      { start: 0, len: 16, reset: true, wrapped: false },
      { start: 16, len: 16, reset: false, wrapped: false },
      { start: 32, len: 16, reset: false, wrapped: false },
    ]);
  });

  test('wraps to 0 (and resets) when start + unroll + 1 >= trainEnd, as min-char-rnn does', () => {
    // trainEnd 50, unroll 16: chunks at 0, 16; 32 + 17 = 49 < 50 so 32 is read; 48 + 17 >= 50 wraps.
    const chunks = take(new ChunkCursor(50, 16), 5);
    expect(chunks.map((c) => [c.start, c.reset, c.wrapped])).toEqual([
      [0, true, false],
      [16, false, false],
      [32, false, false],
      [0, true, true],
      [16, false, false],
    ]);
    // No chunk reads a target at or past trainEnd.
    for (const c of chunks) expect(c.start + c.len + 1).toBeLessThan(50);
  });

  test('a budget shortens the last chunk so that exactly the budget is read', () => {
    const chunks = take(new ChunkCursor(1000, 16), 100, 40);
    expect(chunks.map((c) => c.len)).toEqual([16, 16, 8]);
    expect(chunks.reduce((s, c) => s + c.len, 0)).toBe(40);
  });

  test('a training text of exactly unroll + 1 symbols: one whole chunk, again and again', () => {
    const chunks = take(new ChunkCursor(17, 16), 3);
    expect(chunks.map((c) => [c.start, c.len, c.reset])).toEqual([
      [0, 16, true],
      [0, 16, true],
      [0, 16, true],
    ]);
  });

  test('refuses a training text too short for one input and one target', () => {
    expect(() => new ChunkCursor(1, 16)).toThrow(RangeError);
    expect(() => new ChunkCursor(100, 0)).toThrow(RangeError);
  });
});

describe('readEnd: which characters a run of a budget reads', () => {
  test('budget + 1 (inputs and the last target) while the pointer has not wrapped', () => {
    expect(readEnd(1000, 16, 40)).toBe(41);
    expect(readEnd(1000, 16, 960)).toBe(961);
  });

  test('the whole training text once the pointer wraps', () => {
    // 1000 symbols, unroll 16: chunks start at 0, 16, …, 976 (976 + 17 = 993 < 1000); 992 wraps.
    expect(readEnd(1000, 16, 992)).toBe(993);
    expect(readEnd(1000, 16, 993)).toBe(1000);
    expect(readEnd(1000, 16, 5000)).toBe(1000);
  });

  test('agrees with the closed form (the last chunk decides whether the budget wraps) for many shapes', () => {
    // Chunks start at 0, unroll, 2·unroll, …; the budget's last chunk starts at the highest of
    // them, so the pointer wraps iff that start + unroll + 1 >= trainEnd.
    const closedForm = (trainEnd: number, unroll: number, budget: number) =>
      (Math.ceil(budget / unroll) - 1) * unroll + unroll + 1 >= trainEnd ? trainEnd : budget + 1;
    for (const [trainEnd, unroll] of [
      [50, 16],
      [101, 8],
      [333, 32],
      [17, 16],
    ]) {
      for (let budget = 1; budget < 3 * trainEnd; budget += 7) {
        expect(readEnd(trainEnd, unroll, budget), `${trainEnd}/${unroll}/${budget}`).toBe(
          closedForm(trainEnd, unroll, budget),
        );
      }
    }
  });
});

describe("StreamCursor: char-rnn's loader, B contiguous parts", () => {
  test('B = 1 is ChunkCursor', () => {
    const a = new StreamCursor(100, 16, 1);
    const b = new ChunkCursor(100, 16);
    for (let i = 0; i < 20; i++) {
      const s = a.next(1000);
      const c = b.next(1000);
      expect([s.starts[0], s.len, s.reset, s.wrapped]).toEqual([c.start, c.len, c.reset, c.wrapped]);
    }
  });

  test('B = 3 over 100 symbols: parts of 33 at 0, 33, 66, stepping and wrapping together', () => {
    const cursor = new StreamCursor(100, 8, 3);
    const steps = Array.from({ length: 5 }, () => {
      const s = cursor.next();
      return [Array.from(s.starts), s.len, s.reset];
    });
    // part 33, unroll 8: chunks at 0, 8, 16; 24 + 9 >= 33 wraps.
    expect(steps).toEqual([
      [[0, 33, 66], 8, true],
      [[8, 41, 74], 8, false],
      [[16, 49, 82], 8, false],
      [[0, 33, 66], 8, true],
      [[8, 41, 74], 8, false],
    ]);
  });

  test('a budget: the last step reads ceil(remaining / B) per stream', () => {
    const cursor = new StreamCursor(1000, 16, 4);
    expect(cursor.next(100).len).toBe(16);
    expect(cursor.next(36).len).toBe(9);
  });
});

describe('readRanges: what B streams read', () => {
  test('one stream: [0, readEnd)', () => {
    expect(readRanges(1000, 16, 40, 1)).toEqual([[0, 41]]);
  });

  test('agrees with walking the StreamCursor over a budget', () => {
    for (const [trainEnd, unroll, batch] of [
      [1000, 16, 4],
      [333, 8, 3],
      [100, 8, 2],
    ]) {
      for (let budget = 1; budget < 2 * trainEnd; budget += 13) {
        const cursor = new StreamCursor(trainEnd, unroll, batch);
        const seen = Array.from({ length: batch }, () => [Infinity, 0]);
        let wrapped = false;
        for (let chars = 0; chars < budget;) {
          const s = cursor.next(budget - chars);
          wrapped ||= s.wrapped;
          s.starts.forEach((st, b) => {
            seen[b][0] = Math.min(seen[b][0], st);
            seen[b][1] = Math.max(seen[b][1], st + s.len + 1);
          });
          chars += s.len * batch;
        }
        const part = Math.floor(trainEnd / batch);
        const expected = wrapped ? seen.map((_, b) => [b * part, (b + 1) * part]) : seen;
        expect(readRanges(trainEnd, unroll, budget, batch), `${trainEnd}/${unroll}/${batch}/${budget}`).toEqual(
          expected,
        );
      }
    }
  });
});

describe('trainRun drives the streams', () => {
  test('batch 3: every step trains the three parts from their own starts, chars count all streams', () => {
    const text = 'abcdefghij'.repeat(40);
    const corpus = prepareCorpus(text, 'letters', { validation: 0.1, minTrainChars: 9 });
    const calls: { starts: number[]; len: number }[] = [];
    let resets = 0;
    const config: RnnConfig = {
      vocabSize: 10,
      hiddenSize: 4,
      unroll: 8,
      learningRate: 0.1,
      clip: 5,
      seed: 1,
      batch: 3,
    };
    const fake: CharModel = {
      config,
      trainChunk: (_d: Int32Array, starts: Starts, len: number) => {
        calls.push({ starts: Array.from(starts as ArrayLike<number>), len });
        return len * Math.log(10);
      },
      lossAndGradients: () => ({ loss: 0, grads: {} }),
      resetHidden: () => void resets++,
      setLearningRate: () => undefined,
      evaluate: (_d, start, end) => ({ chars: end - start, nats: end - start, bpc: 1 / Math.LN2 }),
      sample: (_p, n) => new Int32Array(n),
      exportParams: () => ({}),
      exportHidden: () => new Float64Array(0),
      exportState: () => ({ params: {}, optimizer: {}, hidden: {} }),
      importState: () => undefined,
    };
    const r = trainRun(fake, corpus, 240, { ...DEFAULT_CADENCE, evalEvery: 0 });
    expect(r.chars).toBe(240);
    expect(calls).toHaveLength(10);
    const part = Math.floor(corpus.trainEnd / 3); // 120
    expect(calls[0]).toEqual({ starts: [0, part, 2 * part], len: 8 });
    expect(calls[1]).toEqual({ starts: [8, part + 8, 2 * part + 8], len: 8 });
    for (const c of calls)
      for (let b = 0; b < 3; b++) expect(c.starts[b] + c.len + 1).toBeLessThanOrEqual((b + 1) * part);
  });
});
