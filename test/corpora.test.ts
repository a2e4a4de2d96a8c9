/**
 * Beyond one corpus: the corpus preparation rule every corpus is read with (a BOM dropped, "\r\n"
 * and "\r" read as "\n": Python's text mode), and corpus slices ({name, chars}, --corpus-chars)
 * identified by the sha256 of the text they hold. War and Peace itself: test/holmes/warpeace.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { firstChars, prepareText } from '../src/corpus/index.js';
import { loadCorpus, loadCorpusFile, resolveCorpus, sliceCorpus } from '../src/data/index.js';
import { CorpusError } from '../src/errors.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('the corpus preparation rule', () => {
  test('a leading BOM dropped (one, and only at the start); "\\r\\n" and lone "\\r" become "\\n"; nothing else changes', () => {
    expect(prepareText('\ufeffab\r\ncd\re\n\r\nf')).toBe('ab\ncd\ne\n\nf');
    expect(prepareText('\ufeff\ufeffx')).toBe('\ufeffx');
    expect(prepareText('a\ufeffb\u2028c\td')).toBe('a\ufeffb\u2028c\td');
    expect(prepareText('\r\r\n\n')).toBe('\n\n\n');
  });

  test("a file is read with it: the text and its sha256 are the prepared text's, the file keeps its own sha256", () => {
    const dir = tempDir('charlab-prep-');
    const p = join(dir, 'crlf.txt');
    const bytes = Buffer.from('\ufeffOne\r\nTwo\rThree\r\n', 'utf8');
    writeFileSync(p, bytes);
    const r = loadCorpusFile(p);
    expect(r.text).toBe('One\nTwo\nThree\n');
    expect(r.sha256).toBe(sha256('One\nTwo\nThree\n'));
    expect(r.fileSha256).toBe(sha256(bytes));
    expect(readFileSync(p)).toEqual(bytes); // the file itself is never changed
    // A file the rule leaves alone is identified by its bytes, as before.
    writeFileSync(join(dir, 'lf.txt'), 'One\nTwo\n');
    const lf = loadCorpusFile(join(dir, 'lf.txt'));
    expect(lf.sha256).toBe(lf.fileSha256);
  });
});

describe('corpus slices', () => {
  test('the first N characters (code points), identified by their own sha256; too few characters is a CorpusError', async () => {
    expect(firstChars('a🦊bc', 2)).toBe('a🦊');
    expect(firstChars('ab', 3)).toBeNull();
    const dir = tempDir('charlab-slice-');
    writeFileSync(join(dir, 'c.txt'), 'abc\r\ndef\r\nghi\r\n');
    const whole = await resolveCorpus('c.txt', { dataDir: dir, baseDir: dir });
    const s = sliceCorpus(whole, 6);
    expect(s.text).toBe('abc\nde');
    expect(s.sha256).toBe(sha256('abc\nde'));
    expect(s.slice).toEqual({ chars: 6, fileChars: 12 });
    expect(sliceCorpus(whole, 12).sha256).toBe(whole.sha256);
    const err = (() => {
      try {
        sliceCorpus(whole, 13);
      } catch (e) {
        return e as CorpusError;
      }
    })();
    expect(err).toBeInstanceOf(CorpusError);
    expect(err?.shortfall).toBe('slice-too-long');
    const loaded = await loadCorpus({ name: 'c.txt', chars: 10 }, { baseDir: dir, validation: 0.2, minTrainChars: 2 });
    expect(loaded.corpus).toMatchObject({ length: 10, trainEnd: 8 }); // the held-out tail of the slice
  });

  test('in a sweep: recorded in the manifest, compared by sha256; another slice is refused, a bad one exits 2 naming the key; eval and train --resume read the slice', async () => {
    const dir = tempDir('charlab-slice-sweep-');
    smallCorpus(dir, 20_000);
    const exp = {
      ...tinyExperiment('sl'),
      corpus: { name: 'small.txt', chars: 12_000 },
      checkpoints: { keep: 'final' },
    };
    const out = join(dir, 'sl');
    const r = await runCli(['sweep', writeExperiment(dir, exp), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const text = readFileSync(join(dir, 'small.txt'), 'utf8').slice(0, 12_000);
    expect(m.corpus).toMatchObject({
      chars: 12_000,
      trainChars: 11_400,
      validationChars: 600,
      sha256: sha256(text),
      slice: { chars: 12_000, fileChars: 20_000 },
    });
    expect(m.corpus.fileSha256).toBe(sha256(readFileSync(join(dir, 'small.txt'))));

    const other = await runCli([
      'sweep',
      writeExperiment(dir, { ...exp, corpus: { name: 'small.txt', chars: 13_000 }, seeds: [1, 2] }, 'other.json'),
      '--out',
      out,
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/corpus \(sha256 of its text\)/);
    for (const [corpus, key] of [
      [{ name: 'small.txt', chars: 0 }, 'corpus.chars'],
      [{ name: 'small.txt', chars: 30_000 }, 'corpus.chars'],
      [{ name: 'small.txt', chars: 100, extra: 1 }, 'corpus.extra'],
    ] as const) {
      const bad = await runCli([
        'sweep',
        writeExperiment(dir, { ...exp, corpus }, 'bad.json'),
        '--out',
        join(dir, 'bad'),
      ]);
      expect(bad.code, JSON.stringify(corpus)).toBe(2);
      expect(bad.stderr).toContain(`${key}:`);
      expect(existsSync(join(dir, 'bad'))).toBe(false);
    }

    const summary = readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[1].split(',');
    const header = readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0].split(',');
    const valBpc = Number(summary[header.indexOf('val_bpc')]);
    const ck = join(out, 'checkpoints', 'h8-u8-c5-lr0.1-s1.safetensors');
    const ev = await runCli(['eval', ck, '--corpus', join(dir, 'small.txt'), '--json']); // the slice, from the checkpoint
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout)).toMatchObject({ sameCorpus: true, chars: 600, valBpc });
    const more = await runCli([
      'train',
      '--resume',
      ck,
      '--chars',
      '4000',
      '--save',
      join(dir, 'more.safetensors'),
      '--json',
    ]);
    expect(more.code, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout)).toMatchObject({ corpusChars: 12_000, chars: 4000 });
    const long = await runCli([
      'train',
      '--corpus',
      join(dir, 'small.txt'),
      '--corpus-chars',
      '30000',
      '--hidden',
      '8',
    ]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/--corpus-chars 30000: corpus .*small\.txt: has fewer than the 30000 characters/);
  });
});
