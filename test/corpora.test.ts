/**
 * Beyond one corpus (issue 21): the corpus preparation rule every corpus is read with (a BOM dropped,
 * "\r\n" and "\r" read as "\n": Python's text mode), War and Peace fetched and checked by sha256 like
 * holmes (from a local HTTP server serving the shared copy), and corpus slices ({name, chars},
 * --corpus-chars) identified by the sha256 of the text they hold.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { firstChars, prepareText } from '../src/corpus/index.js';
import { ChecksumError, loadCorpus, loadCorpusFile, resolveCorpus, sliceCorpus } from '../src/data/index.js';
import { CorpusError } from '../src/errors.js';
import { HAVE_CORPORA, runCli, SHARED_CORPORA, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const WARPEACE = join(SHARED_CORPORA, 'warpeace.txt');
const WARPEACE_SHA256 = 'fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e';
const HAVE_WARPEACE = existsSync(WARPEACE);
if (!HAVE_WARPEACE && process.env.CI) throw new Error(`CI must provide the test corpora: ${WARPEACE} is missing`);

describe('the corpus preparation rule', () => {
  test('a leading BOM dropped (one, and only at the start); "\\r\\n" and lone "\\r" become "\\n"; nothing else changes', () => {
    expect(prepareText('\ufeffab\r\ncd\re\n\r\nf')).toBe('ab\ncd\ne\n\nf');
    expect(prepareText('\ufeff\ufeffx')).toBe('\ufeffx');
    expect(prepareText('a\ufeffb\u2028c\td')).toBe('a\ufeffb\u2028c\td');
    expect(prepareText('\r\r\n\n')).toBe('\n\n\n');
  });

  test('a file is read with it: the text and its sha256 are the prepared text\'s, the file keeps its own sha256', () => {
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

  test.skipIf(!HAVE_WARPEACE)("on War and Peace it gives exactly Python's open(path, encoding='utf-8-sig').read()", () => {
    const r = loadCorpusFile(WARPEACE);
    const py = "import hashlib, sys; t = open(sys.argv[1], encoding='utf-8-sig').read(); print(len(t), hashlib.sha256(t.encode('utf-8')).hexdigest())";
    const [chars, hex] = execFileSync('python3', ['-c', py, WARPEACE], { encoding: 'utf8' }).trim().split(' ');
    expect(r.fileSha256).toBe(WARPEACE_SHA256);
    expect([...r.text].length).toBe(Number(chars));
    expect(r.sha256).toBe(hex);
    expect(new Set(r.text).size).toBe(82); // the file's 84 symbols less the BOM and '\r'
  });
});

describe.skipIf(!HAVE_WARPEACE)('War and Peace: fetched like holmes, checked by sha256, saved as published', () => {
  const RAW = HAVE_WARPEACE ? readFileSync(WARPEACE) : Buffer.alloc(0);
  const servers: Server[] = [];
  async function serve(body: Buffer): Promise<{ url: string; requests: () => number }> {
    let count = 0;
    const server = createServer((_req, res) => {
      count++;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) });
      res.end(body);
    });
    servers.push(server);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/warpeace_input.txt`, requests: () => count };
  }
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((ok) => s.close(() => ok()));
    }
  });

  test('downloads, verifies the published bytes\' sha256, saves them unchanged, reads them prepared; then reuses the file', async () => {
    const { url, requests } = await serve(RAW);
    const dir = join(tempDir('charlab-wp-'), 'data');
    const notices: string[] = [];
    const r = await resolveCorpus('warpeace', { dataDir: dir, baseDir: dir, urlOverride: url, onNotice: (m) => notices.push(m) });
    expect(requests()).toBe(1);
    expect(readdirSync(dir)).toEqual(['warpeace.txt']);
    expect(sha256(readFileSync(join(dir, 'warpeace.txt')))).toBe(WARPEACE_SHA256);
    expect(r).toMatchObject({ name: 'warpeace', fileSha256: WARPEACE_SHA256, bytes: 3_258_246 });
    expect(r.text).toBe(loadCorpusFile(WARPEACE).text);
    expect(r.text.startsWith('"Well, Prince, so Genoa')).toBe(true);
    expect(r.text.includes('\r')).toBe(false);
    expect(notices.join('\n')).toMatch(/saved warpeace .*sha256 verified/);
    const again = await resolveCorpus('warpeace', { dataDir: dir, baseDir: dir, urlOverride: url });
    expect(requests()).toBe(1);
    expect(again.sha256).toBe(r.sha256);
  });

  test('a download whose bytes differ (one byte, or the line endings converted) is refused and nothing is written', async () => {
    const oneByte = Buffer.from(RAW);
    oneByte[5000] ^= 1;
    const lf = Buffer.from(RAW.toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
    for (const body of [oneByte, lf]) {
      const { url } = await serve(body);
      const dir = join(tempDir('charlab-wp-bad-'), 'data');
      const err = await resolveCorpus('warpeace', { dataDir: dir, baseDir: dir, urlOverride: url }).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(ChecksumError);
      expect((err as Error).message).toContain(`expected sha256 ${WARPEACE_SHA256}, got ${sha256(body)}`);
      expect((err as Error).message).toMatch(/keep its bytes as they are/);
      expect(existsSync(dir)).toBe(false);
    }
  });

  test('the CLI fetches it with CHARLAB_WARPEACE_URL into CHARLAB_DATA_DIR', async () => {
    const { url } = await serve(RAW);
    const dir = tempDir('charlab-wp-cli-');
    const data = join(dir, 'data');
    const r = await runCli(['train', '--corpus', 'warpeace', '--corpus-chars', '30000', '--hidden', '8', '--chars', '1000', '--json'], {
      env: { CHARLAB_DATA_DIR: data, CHARLAB_WARPEACE_URL: url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/downloading warpeace/);
    expect(sha256(readFileSync(join(data, 'warpeace.txt')))).toBe(WARPEACE_SHA256);
    expect(JSON.parse(r.stdout)).toMatchObject({ corpus: join(data, 'warpeace.txt'), corpusChars: 30_000, status: 'done' });
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

  test.skipIf(!HAVE_CORPORA)('in a sweep: recorded in the manifest, compared by sha256; another slice is refused, a bad one exits 2 naming the key; eval and train --resume read the slice', async () => {
    const dir = tempDir('charlab-slice-sweep-');
    smallCorpus(dir, 20_000);
    const exp = { ...tinyExperiment('sl'), corpus: { name: 'small.txt', chars: 12_000 }, checkpoints: { keep: 'final' } };
    const out = join(dir, 'sl');
    const r = await runCli(['sweep', writeExperiment(dir, exp), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const text = readFileSync(join(dir, 'small.txt'), 'utf8').slice(0, 12_000);
    expect(m.corpus).toMatchObject({ chars: 12_000, trainChars: 11_400, validationChars: 600, sha256: sha256(text), slice: { chars: 12_000, fileChars: 20_000 } });
    expect(m.corpus.fileSha256).toBe(sha256(readFileSync(join(dir, 'small.txt'))));

    const other = await runCli(['sweep', writeExperiment(dir, { ...exp, corpus: { name: 'small.txt', chars: 13_000 }, seeds: [1, 2] }, 'other.json'), '--out', out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/corpus \(sha256 of its text\)/);
    for (const [corpus, key] of [[{ name: 'small.txt', chars: 0 }, 'corpus.chars'], [{ name: 'small.txt', chars: 30_000 }, 'corpus.chars'], [{ name: 'small.txt', chars: 100, extra: 1 }, 'corpus.extra']] as const) {
      const bad = await runCli(['sweep', writeExperiment(dir, { ...exp, corpus }, 'bad.json'), '--out', join(dir, 'bad')]);
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
    const more = await runCli(['train', '--resume', ck, '--chars', '4000', '--save', join(dir, 'more.safetensors'), '--json']);
    expect(more.code, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout)).toMatchObject({ corpusChars: 12_000, chars: 4000 });
    const long = await runCli(['train', '--corpus', join(dir, 'small.txt'), '--corpus-chars', '30000', '--hidden', '8']);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/--corpus-chars 30000: corpus .*small\.txt: has fewer than the 30000 characters/);
  });
});
