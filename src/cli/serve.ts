/** `charlab serve [DIR…]`: a live view of results folders in the browser (src/serve). */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { unusableRoot } from '../serve/folders.js';
import { startServer } from '../serve/server.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { intInRange } from './options.js';

interface ServeCliOptions {
  port: number;
  host: string;
  pollMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve a live view of results folders on http://127.0.0.1:PORT/: an index of the folders, and per folder the leaderboard, ' +
        'Markov ladder, plots and samples, updated while a sweep records them (runs in flight with their progress and latest loss), ' +
        'picked runs\u2019 curves overlaid, and a page per run. Read-only.',
    )
    .argument('[dir...]', 'results folders, or folders holding results folders (default: results)')
    .option('--port <n>', 'port (0: any free port)', intInRange(0, 65535), 8321)
    .option(
      '--host <address>',
      'address to listen on; anything but 127.0.0.1/localhost/::1 makes the results readable from the network',
      '127.0.0.1',
    )
    .option('--poll-ms <n>', 'how often the folders are looked at, in milliseconds', intInRange(50, 60_000))
    .addHelpText(
      'after',
      '\nA sweep records what the page needs in its folder (live.json, the tables), so the server may run in another\n' +
        'process or on another machine reading a shared file system. The page follows by server-sent events; no reload.\n' +
        'Stop it with Ctrl-C.',
    )
    .action(async (dirs: string[], opts: ServeCliOptions) => {
      const roots = dirs.length > 0 ? dirs : ['results'];
      for (const r of roots) {
        const why = unusableRoot(r);
        if (why) throw new UsageError(`serve: ${why}`);
      }
      if (!LOOPBACK.has(opts.host)) {
        process.stderr.write(
          `\nWARNING: listening on ${escapeForTerminal(opts.host)}, not on 127.0.0.1: anyone who can reach this machine on port ${opts.port}\n` +
            'can read these results folders (tables, samples, checkpoints). There is no login. Use --host 127.0.0.1 to keep them local.\n\n',
        );
      }
      const served = await startServer({ roots, host: opts.host, port: opts.port, pollMs: opts.pollMs });
      process.stdout.write(
        `charlab serve: ${served.url} (${served.library.list().length} results folder(s) in ${roots.map(escapeForTerminal).join(', ')}); Ctrl-C stops it\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          served.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
