import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prepareCorpus } from '../src/corpus/index.js';
import {
  ChecksumError,
  dataDir,
  firstInvalidUtf8Offset,
  isKnownCorpusName,
  KNOWN_CORPORA,
  loadCorpusFile,
  resolveCorpus,
} from '../src/data/index.js';
import { CorpusError, UsageError } from '../src/errors.js';
import { cleanReferenceText } from '../src/corpus/clean.js';
import { publishedFixture } from './helpers/fixtureText.js';

const HOLMES_SHA256 = 'a75accce1a1a687e522b6d35bd3187d12977438c4878e5ead23598571def646c';
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
// The download tests serve a generated text in a "published" form that is cleaned like holmes's cnus.txt.
const FIXTURE = publishedFixture(400_000);
const RAW = FIXTURE.raw;
const TEXT = Buffer.from(FIXTURE.text, 'utf8');
const FIXTURE_SHA256 = sha256(TEXT);
const KNOWN = {
  fixture: {
    file: 'fixture.txt',
    url: 'http://127.0.0.1:9/unused',
    sha256: FIXTURE_SHA256,
    clean: cleanReferenceText,
    byHand: 'clean it',
  },
};

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'charlab-data-test-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});
let counter = 0;
function fresh(name = 'd'): string {
  const dir = join(scratch, `${name}-${++counter}`);
  mkdirSync(dir);
  return dir;
}

async function expectRejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error('expected a rejection');
}
function expectThrow(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('expected an error');
}

describe('loadCorpusFile', () => {
  it('reads UTF-8 text and hashes the file bytes', () => {
    const dir = fresh();
    const p = join(dir, 'ok.txt');
    writeFileSync(p, 'héllo 🦊\n');
    const r = loadCorpusFile(p);
    expect(r.text).toBe('héllo 🦊\n');
    expect(r.bytes).toBe(Buffer.byteLength('héllo 🦊\n'));
    expect(r.sha256).toBe(sha256(readFileSync(p)));
  });

  it("strips a UTF-8 byte-order mark from the text: the text is identified by its own sha256, the file by its bytes'", () => {
    const p = join(fresh(), 'bom.txt');
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('abc')]);
    writeFileSync(p, bytes);
    const r = loadCorpusFile(p);
    expect(r.text).toBe('abc');
    expect(r.bytes).toBe(6);
    expect(r.sha256).toBe(sha256('abc'));
    expect(r.fileSha256).toBe(sha256(bytes));
  });

  const cases: [string, (dir: string) => string, RegExp][] = [
    ['a missing file', (d) => join(d, 'nope.txt'), /not found/],
    ['a missing folder on the way', (d) => join(d, 'no-dir', 'x.txt'), /not found/],
    [
      'a path through a file',
      (d) => {
        writeFileSync(join(d, 'f'), 'x');
        return join(d, 'f', 'x.txt');
      },
      /not found/,
    ],
    [
      'a directory',
      (d) => {
        mkdirSync(join(d, 'dir.txt'));
        return join(d, 'dir.txt');
      },
      /is a directory/,
    ],
    ['an empty file', (d) => write(d, 'empty.txt', Buffer.alloc(0)), /empty/],
    ['a file holding only a BOM', (d) => write(d, 'bom.txt', Buffer.from([0xef, 0xbb, 0xbf])), /empty/],
    [
      'invalid UTF-8',
      (d) =>
        write(d, 'latin.txt', Buffer.concat([Buffer.from('ok\nab'), Buffer.from([0xff, 0xfe]), Buffer.from('cd')])),
      /not valid UTF-8 at byte offset 5 \(line 2, byte 0xff\)/,
    ],
    [
      'a truncated multi-byte sequence',
      (d) => write(d, 'trunc.txt', Buffer.concat([Buffer.from('abc'), Buffer.from('é').subarray(0, 1)])),
      /not valid UTF-8 at byte offset 3/,
    ],
    [
      'a binary file',
      (d) => write(d, 'bin.dat', Buffer.from([0x41, 0x42, 0x00, 0x43, 0xff])),
      /looks binary \(NUL byte at offset 2\)/,
    ],
    [
      'UTF-16 text',
      (d) => write(d, 'utf16.txt', Buffer.from('\ufeffhi', 'utf16le')),
      /looks binary \(NUL byte at offset 3\)/,
    ],
  ];
  for (const [what, make, pattern] of cases) {
    it(`rejects ${what} with a CorpusError naming the file`, () => {
      const p = make(fresh());
      const err = expectThrow(() => loadCorpusFile(p));
      expect(err).toBeInstanceOf(CorpusError);
      expect(err).toBeInstanceOf(UsageError); // exit code 2 at the CLI
      expect((err as CorpusError).path).toBe(p);
      expect(err.message).toContain(p);
      expect(err.message).toMatch(pattern);
    });
  }

  it.skipIf(process.getuid?.() === 0)('rejects an unreadable file with a CorpusError', () => {
    const p = write(fresh(), 'secret.txt', Buffer.from('abc'));
    chmodSync(p, 0o000);
    try {
      const err = expectThrow(() => loadCorpusFile(p));
      expect(err).toBeInstanceOf(CorpusError);
      expect(err.message).toContain(p);
      expect(err.message).toMatch(/permission denied/);
    } finally {
      chmodSync(p, 0o644);
    }
  });

  it('a file too short for one unroll plus one is a CorpusError naming it', () => {
    const p = write(fresh(), 'short.txt', Buffer.from('hello world\n'));
    const { text } = loadCorpusFile(p);
    const unroll = 16;
    const err = expectThrow(() => prepareCorpus(text, p, { validation: 0, minTrainChars: unroll + 1 }));
    expect(err).toBeInstanceOf(CorpusError);
    expect(err.message).toContain(p);
    expect(err.message).toMatch(/12 characters.*17/);
  });

  it('finds the first invalid UTF-8 byte', () => {
    const at = (...b: number[]) => firstInvalidUtf8Offset(Uint8Array.from(b));
    expect(at(0x61, 0x62)).toBe(-1);
    expect(at(...Buffer.from('é🦊狐'))).toBe(-1);
    expect(at(0x61, 0xc0, 0x80)).toBe(1); // overlong
    expect(at(0x61, 0xed, 0xa0, 0x80)).toBe(1); // surrogate
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(0); // above U+10FFFF
    expect(at(0x61, 0x80)).toBe(1); // stray continuation byte
    expect(at(0x61, 0xe2, 0x82)).toBe(1); // truncated
  });
});

function write(dir: string, name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('dataDir and known names', () => {
  it('uses CHARLAB_DATA_DIR or <cwd>/data', () => {
    expect(dataDir({}, '/work/x')).toBe('/work/x/data');
    expect(dataDir({ CHARLAB_DATA_DIR: '' }, '/work/x')).toBe('/work/x/data');
    expect(dataDir({ CHARLAB_DATA_DIR: '/srv/corpora' }, '/work/x')).toBe('/srv/corpora');
    expect(dataDir({ CHARLAB_DATA_DIR: 'corpora' }, '/work/x')).toBe('/work/x/corpora');
  });

  it('treats only bare names as known corpora', () => {
    expect(KNOWN_CORPORA.holmes.file).toBe('holmes.txt');
    expect(KNOWN_CORPORA.holmes.sha256).toBe(HOLMES_SHA256);
    expect(isKnownCorpusName('holmes')).toBe(true);
    expect(isKnownCorpusName('holmes.txt')).toBe(false);
    expect(isKnownCorpusName('./holmes')).toBe(false);
    expect(isKnownCorpusName('toString')).toBe(false);
    expect(isKnownCorpusName('watson')).toBe(false);
  });
});

describe('resolveCorpus with a path', () => {
  it('resolves a relative path against baseDir', async () => {
    const base = fresh();
    mkdirSync(join(base, 'texts'));
    write(join(base, 'texts'), 'a.txt', Buffer.from('some text\n'));
    const r = await resolveCorpus('texts/a.txt', { dataDir: join(base, 'data'), baseDir: base });
    expect(r.path).toBe(join(base, 'texts', 'a.txt'));
    expect(r.text).toBe('some text\n');
    expect(r.name).toBeUndefined();
  });

  it('reads ./holmes as a file, not the known corpus', async () => {
    const base = fresh();
    write(base, 'holmes', Buffer.from('my own holmes\n'));
    const r = await resolveCorpus('./holmes', { dataDir: join(base, 'data'), baseDir: base });
    expect(r.text).toBe('my own holmes\n');
    expect(r.name).toBeUndefined();
  });

  it('reports a missing file as a CorpusError with the resolved path', async () => {
    const base = fresh();
    const err = await expectRejection(resolveCorpus('missing.txt', { dataDir: base, baseDir: base }));
    expect(err).toBeInstanceOf(CorpusError);
    expect(err.message).toContain(join(base, 'missing.txt'));
    const bare = await expectRejection(resolveCorpus('watson', { dataDir: base, baseDir: base }));
    expect(bare).toBeInstanceOf(CorpusError);
    expect(bare.message).toMatch(/known corpus names: holmes/);
  });
});

describe('resolveCorpus fetching a known corpus from a local server (a generated one; test/holmes fetches holmes itself)', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  const servers: Server[] = [];
  async function serve(handler: Handler): Promise<{ url: string; requests: () => number; server: Server }> {
    let count = 0;
    const server = createServer((req, res) => {
      count++;
      handler(req, res);
    });
    servers.push(server);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/cnus.txt`, requests: () => count, server };
  }
  async function close(server: Server): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  afterEach(async () => {
    await Promise.all(
      servers
        .splice(0)
        .filter((s) => s.listening)
        .map(close),
    );
  });

  const sendRaw: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(RAW.length) });
    res.end(RAW);
  };

  it('downloads, cleans, verifies and saves atomically; then reuses the file', async () => {
    const { url, requests } = await serve(sendRaw);
    const dir = join(fresh(), 'nested', 'data'); // does not exist yet
    const progress: [number, number | undefined][] = [];
    const notices: string[] = [];
    const r = await resolveCorpus('fixture', {
      known: KNOWN,
      dataDir: dir,
      baseDir: scratch,
      urlOverride: url,
      onProgress: (received, total) => progress.push([received, total]),
      onNotice: (m) => notices.push(m),
    });
    expect(requests()).toBe(1);
    expect(r.name).toBe('fixture');
    expect(r.path).toBe(join(dir, 'fixture.txt'));
    expect(r.sha256).toBe(FIXTURE_SHA256);
    expect(r.bytes).toBe(TEXT.length);
    expect(r.text).toBe(TEXT.toString('utf8'));
    expect(readdirSync(dir)).toEqual(['fixture.txt']); // no temp file left behind
    expect(sha256(readFileSync(join(dir, 'fixture.txt')))).toBe(FIXTURE_SHA256);

    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every(([, total]) => total === RAW.length)).toBe(true);
    expect(progress.at(-1)![0]).toBe(RAW.length);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
    expect(notices.join('\n')).toMatch(/downloading/);
    expect(notices.join('\n')).toMatch(/saved/);

    const again = await resolveCorpus('fixture', {
      known: KNOWN,
      dataDir: dir,
      baseDir: scratch,
      urlOverride: url,
      onProgress: () => {
        throw new Error('should not download');
      },
    });
    expect(requests()).toBe(1);
    expect(again.sha256).toBe(FIXTURE_SHA256);
    expect(again.text).toBe(r.text);
    expect(again.path).toBe(r.path);
  });

  it('reports progress with an unknown total when there is no content-length', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked
      const half = Math.floor(RAW.length / 2);
      res.write(RAW.subarray(0, half));
      setTimeout(() => res.end(RAW.subarray(half)), 10);
    });
    const dir = fresh();
    const totals = new Set<number | undefined>();
    let last = 0;
    const r = await resolveCorpus('fixture', {
      known: KNOWN,
      dataDir: dir,
      baseDir: scratch,
      urlOverride: url,
      onProgress: (received, total) => {
        totals.add(total);
        last = received;
      },
    });
    expect(r.sha256).toBe(FIXTURE_SHA256);
    expect([...totals]).toEqual([undefined]);
    expect(last).toBe(RAW.length);
  });

  it('rejects corrupted text with a checksum error and writes nothing', async () => {
    const corrupted = Buffer.from(RAW);
    corrupted[1000] = corrupted[1000] === 0x61 ? 0x62 : 0x61;
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(corrupted.length) });
      res.end(corrupted);
    });
    const dir = join(fresh(), 'data');
    const err = await expectRejection(
      resolveCorpus('fixture', { known: KNOWN, dataDir: dir, baseDir: scratch, urlOverride: url }),
    );
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err).not.toBeInstanceOf(UsageError);
    expect(err.message).toContain(`expected sha256 ${FIXTURE_SHA256}`);
    expect(err.message).toMatch(/got [0-9a-f]{64}/);
    expect(err.message).toMatch(/nothing was written/);
    expect(existsSync(dir)).toBe(false);
  });

  it('turns a refused connection into a UsageError saying where to put the file', async () => {
    const { url, server } = await serve(sendRaw);
    await close(server); // the port is now closed: connections are refused
    const dir = join(fresh(), 'data');
    const err = await expectRejection(
      resolveCorpus('fixture', { known: KNOWN, dataDir: dir, baseDir: scratch, urlOverride: url }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toContain(`download the text from ${url}`.replace(/^d/, 'D'));
    expect(err.message).toContain(join(dir, 'fixture.txt'));
    expect(err.message).toContain('CHARLAB_DATA_DIR');
    expect(existsSync(dir)).toBe(false);
  });

  it('turns an HTTP error status into a UsageError', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such thing');
    });
    const dir = fresh();
    const err = await expectRejection(
      resolveCorpus('fixture', { known: KNOWN, dataDir: dir, baseDir: scratch, urlOverride: url }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/404/);
    expect(err.message).toContain(join(dir, 'fixture.txt'));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a server that stops sending', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(RAW.length) });
      res.write(RAW.subarray(0, 1000)); // ...and never the rest
    });
    const dir = fresh();
    const err = await expectRejection(
      resolveCorpus('fixture', { known: KNOWN, dataDir: dir, baseDir: scratch, urlOverride: url, idleTimeoutMs: 300 }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/no data received/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a data folder that cannot be created', async () => {
    const { url } = await serve(sendRaw);
    const base = fresh();
    const blocker = write(base, 'data', Buffer.from('a file where the folder should be'));
    const err = await expectRejection(
      resolveCorpus('fixture', { known: KNOWN, dataDir: blocker, baseDir: base, urlOverride: url }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/could not save/);
    expect(readdirSync(base)).toEqual(['data']);
  });

  it('uses an existing fixture.txt that differs from the reference, with a warning', async () => {
    const { url, requests } = await serve(sendRaw);
    const dir = fresh();
    write(dir, 'fixture.txt', Buffer.from('not quite the fixture\n'));
    const notices: string[] = [];
    const r = await resolveCorpus('fixture', {
      known: KNOWN,
      dataDir: dir,
      baseDir: scratch,
      urlOverride: url,
      onNotice: (m) => notices.push(m),
    });
    expect(requests()).toBe(0);
    expect(r.text).toBe('not quite the fixture\n');
    expect(notices.join('\n')).toMatch(/warning: .*fixture\.txt is not the reference fixture text/);
  });
});

describe('file-system errors', () => {
  it('maps permission errors to a CorpusError (also when running as root)', async () => {
    const { fsErrorToCorpusError } = await import('../src/data/load.js');
    for (const code of ['EACCES', 'EPERM']) {
      const err = fsErrorToCorpusError('/x/y.txt', Object.assign(new Error('denied'), { code }));
      expect(err).toBeInstanceOf(CorpusError);
      expect(err.message).toBe('corpus /x/y.txt: cannot be read: permission denied');
    }
  });
});
