/**
 * Server-sent events: each page keeps one stream open and hears, at every change, the version of
 * the index and of every folder; it fetches again only what it shows. A comment every 15 s keeps
 * proxies from closing a quiet stream; a closed page is dropped.
 */
import type { ServerResponse } from 'node:http';

export interface Versions {
  index: number;
  folders: Record<string, number>;
}

export interface Events {
  add(res: ServerResponse, now: Versions): void;
  send(v: Versions): void;
  close(): void;
}

export function eventStream(keepAliveMs = 15_000): Events {
  const clients = new Set<ServerResponse>();
  const write = (res: ServerResponse, v: Versions) => res.write(`event: change\ndata: ${JSON.stringify(v)}\n\n`);
  const ping = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, keepAliveMs);
  ping.unref();
  return {
    add(res, now) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      write(res, now);
      clients.add(res);
      res.on('close', () => clients.delete(res));
    },
    send(v) {
      for (const res of clients) write(res, v);
    },
    close() {
      clearInterval(ping);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
