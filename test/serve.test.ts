/**
 * charlab serve against the running server (the built CLI in a child process): what it serves and
 * what it refuses — traversal out of the folders, a hostile sample, a torn or malformed table, a
 * foreign Host header, anything but GET — and that it follows folders as they change.
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendRows } from '../src/results/tables.js';
import { PAGE_CSP } from '../src/serve/server.js';
import { runCli, smallCorpus, startCli, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';
import { hostname } from 'node:os';
import { phaseOf, QUIET_MS } from '../src/serve/phase.js';
import type { LiveState } from '../src/results/live.js';
import { eventually, rawRequest, startServe, type Serving } from './helpers/serve.js';

const HOSTILE = 'ab\x1b[2Jcd\u202eef\x9b31m\r\x07 ok <script>alert(1)</script> "q" & \'a\'\n';
const PLANTED = 'planted <script>alert("x")</script><img src=x onerror=alert(2)> \x1b[31mred\u202eevil\u2066';

describe('charlab serve, over HTTP', () => {
  let root: string;
  let secret: string;
  let srv: Serving;
  const get = (path: string, opts?: { method?: string; host?: string }) => rawRequest(srv.port, path, opts);
  const api = async (path: string) =>
    JSON.parse((await get(path)).body) as { version: number; sections: Record<string, string> };

  beforeAll(async () => {
    root = tempDir('charlab-serve-');
    const src = tempDir('charlab-serve-src-');
    smallCorpus(src);
    writeFileSync(join(src, 'hostile.txt'), HOSTILE.repeat(300));
    const plain = writeExperiment(src, { ...tinyExperiment('plain'), seeds: [1, 2] }, 'plain.json');
    const hostile = writeExperiment(
      src,
      { ...tinyExperiment('hostile'), corpus: 'hostile.txt', samples: { length: 300 } },
      'hostile.json',
    );
    for (const [exp, name] of [
      [plain, 'plain'],
      [hostile, 'hostile'],
    ])
      expect((await runCli(['sweep', exp, '--out', join(root, name)])).code).toBe(0);
    appendRows(join(root, 'hostile'), 'samples', [
      { run_id: 'h8-u8-c5-lr0.1-s1', model: 'rnn', iteration: 1, temperature: 1, text: PLANTED },
    ]);
    secret = join(src, 'secret.txt');
    writeFileSync(secret, 'TOP SECRET\n');
    mkdirSync(join(root, 'plain', 'plots'), { recursive: true });
    symlinkSync(secret, join(root, 'plain', 'plots', 'evil.svg'));
    writeFileSync(join(root, 'plain', 'notes.txt'), 'not a file a sweep writes\n');
    srv = await startServe([root]);
  });
  afterAll(async () => srv?.stop());

  test('the index lists the folders; pages carry a Content-Security-Policy without inline or eval scripts', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('href="/f/plain/"');
    expect(r.body).toContain('href="/f/hostile/"');
    expect(r.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).toMatch(/script-src 'self';/);
    expect(PAGE_CSP).not.toMatch(/unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/assets/vega-embed.min.js')).status).toBe(200);
    expect((await get('/assets/app.js')).body).toContain('EventSource');
  });

  test('a hostile sample is shown as text: no tag, no control character, no bidi override reaches the page', async () => {
    const pages = [(await get('/f/hostile/')).body, (await get('/f/hostile/run/h8-u8-c5-lr0.1-s1')).body];
    const json = [await api('/api/f/hostile'), await api('/api/f/hostile/run/h8-u8-c5-lr0.1-s1')].flatMap((p) =>
      Object.values(p.sections),
    );
    for (const html of [...pages, ...json]) {
      expect(html).not.toMatch(/<script>alert|<img /);
      expect(html).not.toMatch(/[\x1b\x9b\x07\r\u202e\u2066]/);
    }
    const run = pages[1];
    expect(run).toContain(
      'planted &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; \\x1b[31mred\\u202eevil\\u2066',
    );
    expect(pages.join('')).toMatch(/\\x1b\[2J/); // the samples drawn from the hostile corpus, escaped
  });

  test.each([
    '/f/plain/files/../../../../../../etc/passwd',
    '/f/plain/files/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/f/plain/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/f/plain/files/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
    '/f/plain/files/plots/..%2f..%2f..%2fsecret.txt',
    '/f/plain/files/plots/evil.svg',
    '/f/plain/files/notes.txt',
    '/f/plain/files/.lock',
    '/f/plain/files/summary.csv%00.svg',
    '/f/plain/files/..%5c..%5cetc%5cpasswd',
    '/f/plain/files//etc/passwd',
    '/f/..%2f..%2fetc/files/passwd',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e%2fserver.js',
  ])('traversal refused: %s', async (path) => {
    const r = await get(path);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toMatch(/root:|TOP SECRET|"name": "charlab"/);
  });

  test('a folder\u2019s own files are served, as downloads or sandboxed', async () => {
    const csv = await get('/f/plain/files/summary.csv');
    expect(csv.status).toBe(200);
    expect(csv.body).toBe(readFileSync(join(root, 'plain', 'summary.csv'), 'utf8'));
    expect(csv.headers['content-disposition']).toMatch(/^attachment/);
    expect(csv.headers['content-security-policy']).toMatch(/sandbox/);
  });

  test('read-only, and only for requests naming the loopback', async () => {
    expect((await get('/', { method: 'POST' })).status).toBe(405);
    expect((await get('/api/index', { method: 'DELETE' })).status).toBe(405);
    expect((await get('/', { host: `evil.example:${srv.port}` })).status).toBe(421);
    expect((await get('/', { host: `localhost:${srv.port}` })).status).toBe(200);
    expect((await get('/f/nope/')).status).toBe(404);
    expect((await get('/f/plain/run/nope')).status).toBe(404);
  });

  test('a torn last record is dropped and said in a banner; a malformed table is an error banner on its folder alone, gone once the table is whole', async () => {
    const path = join(root, 'plain', 'summary.csv');
    const whole = readFileSync(path, 'utf8');
    writeFileSync(path, `${whole}h8-u8-c5-lr0.1-s3,8,8,5,0.1`);
    const torn = await eventually(
      async () => {
        const p = await api('/api/f/plain');
        return p.sections.notes.includes('torn') ? p : undefined;
      },
      10_000,
      'the torn record noted',
    );
    expect(torn.sections.banner).toMatch(
      /^<div class="banner warn" role="status"><b>Half-written:<\/b> .*summary\.csv:4: the last record is not terminated by a newline/,
    );
    expect(torn.sections.status).toContain('<b id="recorded">2</b>');
    const lines = whole.split('\n');
    writeFileSync(path, [lines[0], 'a,"stray quote', ...lines.slice(1)].join('\n'));
    const broken = await eventually(
      async () => {
        const p = await api('/api/f/plain');
        return p.sections.banner.includes('role="alert"') ? p : undefined;
      },
      10_000,
      'the error banner',
    );
    expect(broken.sections.banner).toMatch(/role="alert".*summary\.csv:2/s);
    expect(broken.sections.status).toContain('<b id="recorded">2</b>'); // the last readable state stays shown
    expect((await get('/f/plain/')).status).toBe(200);
    expect((await get('/f/hostile/')).status).toBe(200);
    expect((await get('/')).body).toMatch(/plain\/".*unreadable/);
    writeFileSync(path, whole);
    await eventually(
      async () => ((await api('/api/f/plain')).sections.banner === '' ? true : undefined),
      10_000,
      'the banner gone',
    );
  });

  test('server-sent events: a change in a folder is announced with its new version; a new folder appears', async () => {
    const seen: Array<{ folders: Record<string, number> }> = [];
    const req = request(
      { host: '127.0.0.1', port: srv.port, path: '/events', headers: { host: `127.0.0.1:${srv.port}` } },
      (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const m of chunk.matchAll(/^data: (.*)$/gm)) seen.push(JSON.parse(m[1]));
        });
      },
    );
    req.end();
    try {
      const first = await eventually(() => Promise.resolve(seen[0]), 5000, 'the first event');
      appendRows(join(root, 'hostile'), 'samples', [
        { run_id: 'h8-u8-c5-lr0.1-s1', model: 'rnn', iteration: 2, temperature: 1, text: 'more' },
      ]);
      await eventually(
        () => Promise.resolve(seen.some((e) => e.folders.hostile > first.folders.hostile) ? true : undefined),
        5000,
        'a newer version of hostile',
      );
      cpSync(join(root, 'hostile'), join(root, 'copy'), { recursive: true });
      await eventually(
        () => Promise.resolve(seen.some((e) => e.folders.copy !== undefined) ? true : undefined),
        5000,
        'the new folder announced',
      );
      expect((await get('/')).body).toContain('href="/f/copy/"');
    } finally {
      req.destroy();
    }
  });
});

describe('where a sweep stands', () => {
  const live = (over: Partial<LiveState>): LiveState => ({
    format: 1,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    state: 'running',
    tasks: { total: 4, finished: 1 },
    etaSeconds: 90,
    running: [],
    curves: '',
    samples: '',
    ...over,
  });

  test('running, quiet after a minute without word, stopped when its process is gone, finished or incomplete without one', async () => {
    expect(phaseOf(null, live({}))).toMatchObject({
      kind: 'running',
      text: expect.stringMatching(/1 of 4 trainings finished, 0 in flight, ETA 1m 30s/),
    });
    const old = new Date(Date.now() - QUIET_MS - 5000).toISOString();
    expect(phaseOf(null, live({ updatedAt: old, host: 'login-node-7' }))).toMatchObject({
      kind: 'quiet',
      text: expect.stringMatching(/^no word from the sweep on login-node-7 for 1m 0[5-9]s/),
    });
    const gone = startCli(['--version']);
    const pid = gone.child.pid!;
    await gone.done;
    expect(phaseOf(null, live({ pid })).kind).toBe('stopped');
    expect(phaseOf(null, live({ state: 'ended' })).kind).toBe('unread');
  });

  test('a folder that is not there: exit 2 before anything is served', async () => {
    const r = await runCli(['serve', join(tempDir(), 'nope'), '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/serve: .*nope: no such folder/);
  });

  test('--host other than the loopback: a loud warning, and the Host header is not checked', async () => {
    const { child, done } = startCli(['serve', tempDir(), '--host', '0.0.0.0', '--port', '0']);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const port = await new Promise<number>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/0\.0\.0\.0:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      }),
    );
    try {
      expect(err).toMatch(/WARNING: listening on 0\.0\.0\.0, not on 127\.0\.0\.1: anyone who can reach this machine/);
      expect((await rawRequest(port, '/', { host: `some.name:${port}` })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await done;
    }
  });
});
