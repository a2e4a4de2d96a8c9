/**
 * charlab serve's web server (fastify): read-only pages and their JSON over the results folders,
 * server-sent events when a folder changes, the package's scripts, and the folders' own files.
 *
 * Safety: only GET (and HEAD); bound to 127.0.0.1 unless told otherwise, and then a request must
 * name this machine's loopback in its Host header (a web page elsewhere cannot reach the server by
 * DNS rebinding); every response carries a Content-Security-Policy that allows the server's own
 * scripts and styles only, and the folders' files a stricter one; a folder that cannot be read is
 * an error banner on its page, never a failed server.
 */
import { createReadStream } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Library } from './library.js';
import { eventStream, type Events } from './events.js';
import { ASSETS, folderFile } from './files.js';
import { folderDocument, indexDocument, indexSection, notFoundDocument, runDocument } from './pages.js';
import { runPage } from './runView.js';
import { compareSpec, picksOf } from './specs.js';
import type { FolderView } from './state.js';
import { folderPage, type Page } from './view.js';

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** A folder's own files (report.html, plots): shown, never run. */
export const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

export interface ServeOptions {
  roots: readonly string[];
  host: string;
  /** 0: any free port. */
  port: number;
  /** How often the folders' files are looked at (default 1000 ms). */
  pollMs?: number;
  cwd?: string;
}

export interface Served {
  url: string;
  app: FastifyInstance;
  library: Library;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startServer(opts: ServeOptions): Promise<Served> {
  const library = new Library(opts.roots, opts.cwd);
  const app = Fastify({ logger: false, return503OnClosing: true, routerOptions: { maxParamLength: 1000 } });
  const events = eventStream();
  secure(app, opts.host);
  routes(app, library, events, opts.roots);
  const timer = setInterval(() => {
    const { changed } = library.poll();
    if (changed.length > 0)
      events.send({
        index: library.version,
        folders: Object.fromEntries(library.list().map((w) => [w.ref.id, w.version])),
      });
  }, opts.pollMs ?? 1000);
  timer.unref();
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/`,
    app,
    library,
    async close() {
      clearInterval(timer);
      events.close();
      await app.close();
    },
  };
}

/** Host check (on loopback), read-only methods, and the security headers of every response. */
function secure(app: FastifyInstance, host: string): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply.code(405).header('allow', 'GET, HEAD').type('text/plain').send('read-only: GET and HEAD only\n');
    const name = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (LOOPBACK.has(host) && !LOOPBACK.has(name))
      return reply.code(421).type('text/plain').send('this server answers requests for 127.0.0.1 or localhost only\n');
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', PAGE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(notFoundDocument(`Nothing at ${req.url.slice(0, 200)}.`)),
  );
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) process.stderr.write(`charlab serve: ${err.message ?? JSON.stringify(err)}\n`);
    return reply
      .code(code)
      .type('text/plain; charset=utf-8')
      .send(code === 500 ? 'internal error (see the server\u2019s terminal)\n' : 'bad request\n');
  });
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | string[]> }>;

const list = (q: string | string[] | undefined): string[] => (q === undefined ? [] : Array.isArray(q) ? q : [q]);
const json = (page: Page) => ({
  version: page.version,
  title: page.title,
  sections: page.sections,
  charts: page.charts.map(({ name, hash, spec }) => ({ name, hash, spec })),
});

/** A 404 page saying what is not there. */
function notFound(reply: FastifyReply, message: string): void {
  void reply.code(404).type('text/html; charset=utf-8').send(notFoundDocument(message));
}

function routes(app: FastifyInstance, library: Library, events: Events, roots: readonly string[]): void {
  const views = () => Promise.all(library.list().map((w) => w.view()));
  const folder = async (req: Req, reply: FastifyReply): Promise<FolderView | null> => {
    const w = library.get(req.params.id);
    if (w) return w.view();
    notFound(reply, `No results folder "${req.params.id}" here.`);
    return null;
  };
  const run = (v: FolderView, req: Req, reply: FastifyReply) => {
    const e = v.data?.leaderboard.find((x) => x.runId === req.params.run);
    if (!e) notFound(reply, `No run "${req.params.run}" in ${v.ref.label}.`);
    return e;
  };
  const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);

  app.get('/', async (_req, reply) => html(reply, indexDocument(await views(), library.version, roots)));
  app.get('/api/index', async () => ({ version: library.version, sections: { folders: indexSection(await views()) } }));
  app.get('/f/:id', async (req: Req, reply) =>
    library.get(req.params.id) ? reply.redirect(`/f/${req.params.id}/`) : folder(req, reply),
  );
  app.get('/f/:id/', async (req: Req, reply) => {
    const v = await folder(req, reply);
    if (v) return html(reply, folderDocument(v, folderPage(v)));
  });
  app.get('/api/f/:id', async (req: Req, reply) => {
    const v = await folder(req, reply);
    if (v) return json(folderPage(v));
  });
  app.get('/api/f/:id/compare', async (req: Req, reply) => {
    const v = await folder(req, reply);
    if (!v) return;
    const picks = v.data ? picksOf(v.data, list(req.query.run), list(req.query.config)) : [];
    return { version: v.version, picks, spec: picks.length > 0 && v.data ? compareSpec(v.data, picks) : null };
  });
  app.get('/f/:id/run/:run', async (req: Req, reply) => {
    const v = await folder(req, reply);
    const e = v && run(v, req, reply);
    if (v && e) return html(reply, runDocument(v, runPage(v, e)));
  });
  app.get('/api/f/:id/run/:run', async (req: Req, reply) => {
    const v = await folder(req, reply);
    const e = v && run(v, req, reply);
    if (v && e) return json(runPage(v, e));
  });
  app.get('/f/:id/files/*', async (req: Req, reply) => sendFile(library, req, reply));
  app.get('/assets/:name', async (req: Req, reply) => sendAsset(req.params.name, reply));
  app.get('/events', (req, reply) => {
    reply.hijack();
    events.add(reply.raw, {
      index: library.version,
      folders: Object.fromEntries(library.list().map((w) => [w.ref.id, w.version])),
    });
  });
}

function sendFile(library: Library, req: Req, reply: FastifyReply) {
  const w = library.get(req.params.id);
  const f = w ? folderFile(w.ref.dir, req.params['*'] ?? '') : null;
  if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  reply.header('content-security-policy', FILE_CSP).header('content-length', f.size).type(f.type);
  if (f.attachment) reply.header('content-disposition', `attachment; filename="${f.path.split('/').pop()}"`);
  return reply.send(createReadStream(f.path));
}

function sendAsset(name: string, reply: FastifyReply) {
  const a = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!a) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  reply.type(a.type).header('cache-control', 'no-cache');
  return reply.send('text' in a ? a.text : createReadStream(a.path));
}
