/** charlab serve as the tests run it: the built CLI in a child process on a free port, stopped by SIGTERM. */
import { request } from 'node:http';
import { startCli } from './cli.js';

export interface Serving {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** What the server wrote on stderr so far. */
  stderr(): string;
}

/** Starts `charlab serve ARGS --port 0 --poll-ms 100` and waits for the URL it prints. */
export async function startServe(args: string[], opts: { cwd?: string } = {}): Promise<Serving> {
  const { child, done } = startCli(['serve', ...args, '--port', '0', '--poll-ms', '100'], opts);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    void done.then((r) => reject(new Error(`serve exited (${r.code}) before printing its URL: ${r.stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      await done;
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET (or another method) with the path sent exactly as given: no normalisation of "..", no re-encoding. */
export function rawRequest(port: number, path: string, opts: { method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` until it returns a value other than undefined (or fails after `ms`). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms = 15_000,
  what = 'the condition',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
