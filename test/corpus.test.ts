import { describe, expect, it } from 'vitest';
import {
  buildVocab,
  cleanReferenceText,
  decode,
  encode,
  prepareCorpus,
  splitPoint,
  vocabFromSymbols,
} from '../src/corpus/index.js';
import { CorpusError, UsageError } from '../src/errors.js';

describe('vocabulary over code points', () => {
  const fox = '🦊';
  const text = `a${fox}b 狐狸 e\u0301${fox}a`;

  it('counts an emoji outside the BMP as one symbol', () => {
    expect(fox.length).toBe(2); // two UTF-16 units...
    const v = buildVocab(fox);
    expect(v.symbols).toEqual([0x1f98a]); // ...one code point
    expect(encode(fox, v)).toEqual(Int32Array.from([0]));
    expect(decode([0], v)).toBe(fox);
  });

  it('builds sorted distinct code points with an inverse index', () => {
    const v = buildVocab(text);
    const expected = [...new Set([...text].map((c) => c.codePointAt(0)!))].sort((x, y) => x - y);
    expect(v.symbols).toEqual(expected);
    // a, b, space, 狐, 狸, e, U+0301 (combining acute is its own symbol), 🦊
    expect(v.symbols.length).toBe(8);
    expect(v.symbols).toContain(0x0301);
    expect(v.symbols).toContain(0x1f98a);
    for (let i = 0; i < v.symbols.length; i++) expect(v.index.get(v.symbols[i])).toBe(i);
    expect(v.index.size).toBe(v.symbols.length);
  });

  it('encodes one id per code point and round-trips', () => {
    const v = buildVocab(text);
    const ids = encode(text, v);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe([...text].length);
    expect(ids.length).toBe(text.length - 2); // two emoji, each a surrogate pair
    expect(decode(ids, v)).toBe(text);
    // 'e' followed by U+0301 stays two symbols and is not normalised to U+00E9
    expect(decode(encode('e\u0301', v), v)).toBe('e\u0301');
    expect(v.index.has(0xe9)).toBe(false);
  });

  it('round-trips long texts (beyond the argument limit of String.fromCodePoint)', () => {
    const long = `x${'🦊狐e\u0301'.repeat(50_000)}`;
    const v = buildVocab(long);
    expect(decode(encode(long, v), v)).toBe(long);
  });

  it('rejects characters and ids outside the vocabulary', () => {
    const v = buildVocab('abc');
    expect(() => encode('abz', v)).toThrow(UsageError);
    expect(() => encode('abz', v)).toThrow(/'z'/);
    expect(() => decode([0, 3], v)).toThrow(RangeError);
    expect(() => decode([-1], v)).toThrow(RangeError);
  });

  it('rebuilds a vocabulary from its symbols', () => {
    const v = buildVocab('hello 🦊');
    const w = vocabFromSymbols(v.symbols);
    expect(w.symbols).toEqual(v.symbols);
    expect([...w.index]).toEqual([...v.index]);
    expect(() => vocabFromSymbols([2, 1])).toThrow(RangeError);
  });
});

describe('splitPoint', () => {
  it('holds out the last floor(n * validation) symbols', () => {
    expect(splitPoint(100)).toBe(95); // default 0.05
    expect(splitPoint(100, 0.05)).toBe(95);
    expect(splitPoint(99, 0.05)).toBe(95); // 4.95 held out rounds down to 4
    expect(splitPoint(19, 0.05)).toBe(19); // 0.95 -> nothing held out
    expect(splitPoint(20, 0.05)).toBe(19);
    expect(splitPoint(10, 0)).toBe(10);
    expect(splitPoint(0, 0.5)).toBe(0);
    expect(splitPoint(3_099_238, 0.05)).toBe(3_099_238 - 154_961);
  });

  it('is deterministic and monotone', () => {
    for (const v of [0, 0.01, 0.05, 0.1, 0.333, 0.9]) {
      let prev = -1;
      for (let n = 0; n < 500; n++) {
        const t = splitPoint(n, v);
        expect(t).toBe(splitPoint(n, v));
        expect(t).toBe(n - Math.floor(n * v));
        expect(t).toBeGreaterThanOrEqual(prev);
        expect(t).toBeLessThanOrEqual(n);
        prev = t;
      }
    }
  });

  it('rejects fractions outside [0, 1)', () => {
    for (const bad of [-0.1, 1, 1.5, NaN, Infinity]) expect(() => splitPoint(10, bad)).toThrow(UsageError);
    expect(() => splitPoint(-1, 0.1)).toThrow(RangeError);
    expect(() => splitPoint(1.5, 0.1)).toThrow(RangeError);
  });
});

describe('prepareCorpus', () => {
  it('encodes the whole text with a vocabulary that covers the held-out part', () => {
    const text = 'abababababababababab' + 'xyz🦊'; // held-out tail has symbols absent from train
    const c = prepareCorpus(text, 'mem.txt', { validation: 0.2, minTrainChars: 17 });
    expect(c.source).toBe('mem.txt');
    expect(c.length).toBe(24);
    expect(c.ids.length).toBe(24);
    expect(c.trainEnd).toBe(24 - Math.floor(24 * 0.2));
    expect(c.vocab.symbols.length).toBe(6);
    expect(decode(c.ids, c.vocab)).toBe(text);
    expect(c.trainEnd).toBe(20); // 24 * 0.2 = 4.8 -> 4 held out
    expect(decode(c.ids.subarray(c.trainEnd), c.vocab)).toBe('xyz🦊');
    expect(decode(c.ids.subarray(0, c.trainEnd), c.vocab)).not.toMatch(/[xyz]/);
  });

  it('defaults to 5% held out', () => {
    const c = prepareCorpus('x'.repeat(1000), 's', {});
    expect(c.trainEnd).toBe(950);
  });

  it('rejects an empty text', () => {
    const err = catchError(() => prepareCorpus('', '/tmp/empty.txt', {}));
    expect(err).toBeInstanceOf(CorpusError);
    expect(err.message).toContain('/tmp/empty.txt');
    expect(err.message).toMatch(/empty/);
  });

  it('rejects a training part shorter than one unroll plus one, naming the numbers', () => {
    const err = catchError(() => prepareCorpus('abcdefghij', '/data/short.txt', { validation: 0, minTrainChars: 26 }));
    expect(err).toBeInstanceOf(CorpusError);
    expect(err.message).toContain('/data/short.txt');
    expect(err.message).toContain('10');
    expect(err.message).toContain('26');
    expect(err.message).toMatch(/unroll plus one/);
    // exactly enough is fine
    expect(prepareCorpus('x'.repeat(26), 's', { validation: 0, minTrainChars: 26 }).trainEnd).toBe(26);
    // the held-out part does not count toward training
    const held = catchError(() => prepareCorpus('x'.repeat(26), 'h.txt', { validation: 0.5, minTrainChars: 26 }));
    expect(held).toBeInstanceOf(CorpusError);
    expect(held.message).toMatch(/13 held out/);
  });

  it('rejects an empty validation part when validation > 0', () => {
    const err = catchError(() =>
      prepareCorpus('x'.repeat(19), '/data/tiny.txt', { validation: 0.05, minTrainChars: 2 }),
    );
    expect(err).toBeInstanceOf(CorpusError);
    expect(err.message).toContain('/data/tiny.txt');
    expect(err.message).toMatch(/validation/);
    expect(err.message).toContain('20'); // the length that would do
    expect(prepareCorpus('x'.repeat(19), 's', { validation: 0, minTrainChars: 2 }).trainEnd).toBe(19);
    expect(prepareCorpus('x'.repeat(20), 's', { validation: 0.05, minTrainChars: 2 }).trainEnd).toBe(19);
  });
});

describe('cleanReferenceText', () => {
  it('trims, lower-cases, keeps printable ASCII, drops empty lines, ends with a newline', () => {
    expect(cleanReferenceText('  Hello World  \r\n\r\n\tTAB\t\n  \n')).toBe('hello world\ntab\n');
    expect(cleanReferenceText('Caf\u00e9 CR\u00c8ME\n\u00e9\u00e9\nok')).toBe('caf crme\nok\n'); // a line of only non-ASCII goes
    expect(cleanReferenceText('a\u2019b \u{1F98A}\n')).toBe('ab \n'); // no second trim after filtering
    expect(cleanReferenceText('')).toBe('');
    expect(cleanReferenceText('\n \n\r\n')).toBe('');
    expect(cleanReferenceText('x')).toBe('x\n');
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('expected an error, none was thrown');
}
