/**
 * War and Peace as char-rnn's blog post trained on it: read exactly as Python's text mode reads it,
 * fetched like holmes (a local HTTP server serving the shared copy) and checked by the sha256 of the
 * published bytes. Needs ../shared/corpora (test/holmes/corpora.ts).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ChecksumError, loadCorpusFile, resolveCorpus } from '../../src/data/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { WARPEACE, WARPEACE_SHA256 } from './corpora.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('War and Peace as read', () => {
  test("on War and Peace it gives exactly Python's open(path, encoding='utf-8-sig').read()", () => {
    const r = loadCorpusFile(WARPEACE);
    const py =
      "import hashlib, sys; t = open(sys.argv[1], encoding='utf-8-sig').read(); print(len(t), hashlib.sha256(t.encode('utf-8')).hexdigest())";
    const [chars, hex] = execFileSync('python3', ['-c', py, WARPEACE], { encoding: 'utf8' }).trim().split(' ');
    expect(r.fileSha256).toBe(WARPEACE_SHA256);
    expect([...r.text].length).toBe(Number(chars));
    expect(r.sha256).toBe(hex);
    expect(new Set(r.text).size).toBe(82); // the file's 84 symbols less the BOM and '\r'
  });
});

describe('War and Peace: fetched like holmes, checked by sha256, saved as published', () => {
  const RAW = readFileSync(WARPEACE);
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
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/warpeace_input.txt`,
      requests: () => count,
    };
  }
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((ok) => s.close(() => ok()));
    }
  });

  test("downloads, verifies the published bytes' sha256, saves them unchanged, reads them prepared; then reuses the file", async () => {
    const { url, requests } = await serve(RAW);
    const dir = join(tempDir('charlab-wp-'), 'data');
    const notices: string[] = [];
    const r = await resolveCorpus('warpeace', {
      dataDir: dir,
      baseDir: dir,
      urlOverride: url,
      onNotice: (m) => notices.push(m),
    });
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
      const err = await resolveCorpus('warpeace', { dataDir: dir, baseDir: dir, urlOverride: url }).catch(
        (e: unknown) => e as Error,
      );
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
    const r = await runCli(
      ['train', '--corpus', 'warpeace', '--corpus-chars', '30000', '--hidden', '8', '--chars', '1000', '--json'],
      {
        env: { CHARLAB_DATA_DIR: data, CHARLAB_WARPEACE_URL: url },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/downloading warpeace/);
    expect(sha256(readFileSync(join(data, 'warpeace.txt')))).toBe(WARPEACE_SHA256);
    expect(JSON.parse(r.stdout)).toMatchObject({
      corpus: join(data, 'warpeace.txt'),
      corpusChars: 30_000,
      status: 'done',
    });
  });
});
