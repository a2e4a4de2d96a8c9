#!/usr/bin/env node
/**
 * charlab serve at scale (issue 23): a results folder of 1,000 runs × 100 curve points, made up
 * (a 10 × 5 × 4 × 5 grid, one seed; plausible numbers, one RNN and one Markov sample of 200
 * characters per run), served by the real server; then timed: the folder's first read (tables
 * parsed, report data built), a cached request, a read after live.json alone changed, a read after
 * a table changed, the overlay of 8 picked runs; and in Chromium (when /usr/bin/chromium exists):
 * the page until every chart is drawn, ticking a run until its overlay is drawn, and unticking a
 * knob value until the leaderboard is filtered. A benchmark, not a test: it prints figures.
 * Run `npm run build` first.
 *
 *   node bench/serve_scale.mjs [--runs-per-axis 10,5,4,5] [--points 100] [--no-browser]
 */
/* global document, requestAnimationFrame -- read in the page, by Chromium */
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { startServer } = await import(new URL('serve/server.js', dist).href);
const { writeTable, tableText } = await import(new URL('results/tables.js', dist).href);
const { writeManifest } = await import(new URL('results/manifest.js', dist).href);
const { parseExperiment } = await import(new URL('results/experimentFile.js', dist).href);
const { planRuns } = await import(new URL('sweep/grid.js', dist).href);
const { knobCells } = await import(new URL('results/knobs.js', dist).href);
const { writeLive } = await import(new URL('results/live.js', dist).href);

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const axes = arg('runs-per-axis', '10,5,4,5').split(',').map(Number);
const POINTS = Number(arg('points', '100'));
const BROWSER = !process.argv.includes('--no-browser') && existsSync('/usr/bin/chromium');
/** Keep the made-up folder there (and time nothing): for profiling. */
const KEEP = arg('make-only', null);
const BUDGET = 1_000_000;

/** The made-up folder: manifest, summary, curves, samples, baselines, live.json (no run in flight). */
function makeFolder(dir) {
  const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));
  const exp = parseExperiment(
    {
      name: 'scale',
      corpus: 'holmes',
      budget: { chars: BUDGET },
      seeds: [1],
      grid: {
        hiddenSize: range(axes[0], (i) => 32 + 16 * i),
        unroll: range(axes[1], (i) => 8 * (i + 1)),
        clip: range(axes[2], (i) => i + 1),
        learningRate: range(axes[3], (i) => 0.01 * (i + 1)),
      },
    },
    'scale.json',
  );
  const runs = planRuns(exp);
  const now = new Date().toISOString();
  const corpus = {
    path: 'holmes.txt',
    sha256: '0'.repeat(64),
    chars: 3_100_000,
    vocabSize: 62,
    trainChars: 2_945_000,
    validationChars: 155_000,
  };
  writeManifest(dir, {
    experiment: exp,
    experimentFile: 'scale.json',
    corpus,
    charlab: '0.1.0',
    node: process.version,
    machine: { platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'bench', totalMemGiB: 24 },
    workers: 2,
    startedAt: now,
    sessions: [now],
    versions: [{ since: now, experiment: exp }],
    finishedAt: now,
    totalRuns: runs.length,
  });
  const bpc = (r, t) =>
    1.9 +
    0.3 * Math.abs(Math.log(r.learningRate / 0.03)) +
    20 / r.hiddenSize +
    2.5 * Math.exp(-6 * t) +
    (0.01 * ((r.index * 7919) % 13)) / 13;
  const text = (r, k) =>
    range(200, (i) => 'the quick brown fox jumps over the lazy dog '[(i * (r.index + k + 3)) % 44]).join('');
  writeTable(
    dir,
    'summary',
    runs.map((r) => ({
      run_id: r.id,
      ...knobCells(r),
      params: r.hiddenSize * (r.hiddenSize + 124) + 62,
      seed: 1,
      backend: 'wasm',
      status: 'done',
      iterations: BUDGET / r.unroll,
      chars: BUDGET,
      smooth_loss_per_char: bpc(r, 1) * Math.LN2,
      val_bpc: bpc(r, 1) + 0.05,
      markov_order: 4,
      markov_val_bpc: 2.084,
      wall_s: 10,
      chars_per_s: 100_000,
      best_val_bpc: bpc(r, 1) + 0.05,
      best_val_chars: BUDGET,
    })),
  );
  writeTable(
    dir,
    'curves',
    runs.flatMap((r) =>
      range(POINTS, (i) => {
        const t = (i + 1) / POINTS;
        return {
          run_id: r.id,
          iteration: Math.round((t * BUDGET) / r.unroll),
          chars: Math.round(t * BUDGET),
          smooth_loss_per_char: bpc(r, t) * Math.LN2,
          val_bpc: i % 10 === 9 ? bpc(r, t) + 0.05 : null,
          elapsed_s: 10 * t,
        };
      }),
    ),
  );
  writeTable(
    dir,
    'samples',
    runs.flatMap((r) => [
      { run_id: r.id, model: 'rnn', iteration: BUDGET / r.unroll, temperature: 1, text: text(r, 0) },
      { run_id: r.id, model: 'markov', iteration: BUDGET / r.unroll, temperature: 1, text: text(r, 1) },
    ]),
  );
  writeTable(
    dir,
    'baselines',
    range(8, (i) => ({
      order: i + 1,
      train_chars: 2_945_000,
      val_chars: 155_000,
      val_bpc: 3.5 - Math.min(i, 5) * 0.3,
      count_s: 1,
      score_s: 0.1,
      corpus_sha256: '0'.repeat(64),
    })),
  );
  return runs;
}

const ms = (t0) => Math.round(performance.now() - t0);
async function timed(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  return { ms: ms(t0), bytes: body.length, status: res.status };
}

if (KEEP) {
  (await import('node:fs')).mkdirSync(KEEP, { recursive: true });
  makeFolder(KEEP);
  process.exit(0);
}
const root = mkdtempSync(join(tmpdir(), 'charlab-serve-scale-'));
const dir = join(root, 'scale');
const figures = {};
try {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  let t0 = performance.now();
  const runs = makeFolder(dir);
  figures.folder = { runs: runs.length, curvePoints: runs.length * POINTS, madeInMs: ms(t0) };
  const srv = await startServer({ roots: [root], host: '127.0.0.1', port: 0, pollMs: 200 });
  try {
    const api = `${srv.url}api/f/scale`;
    figures.firstRead = await timed(api);
    figures.cached = await timed(api);
    figures.page = await timed(`${srv.url}f/scale/`);
    const w = srv.library.get('scale');
    // From a change on disk until the server's view of the folder shows it (the server's own poll every 200 ms).
    const untilSeen = async (change, seen) => {
      const before = await w.view();
      const t = performance.now();
      change();
      for (;;) {
        const v = await w.view();
        if (v !== before && seen(v)) return { ms: ms(t) };
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const now = new Date().toISOString();
    const live = {
      format: 1,
      pid: process.pid,
      host: 'bench',
      startedAt: now,
      updatedAt: now,
      state: 'ended',
      tasks: { total: runs.length, finished: runs.length },
      etaSeconds: null,
      running: [],
      curves: tableText('curves', []),
      samples: tableText('samples', []),
    };
    figures.liveChangeSeen = await untilSeen(
      () => writeLive(dir, live),
      (v) => v.live !== null,
    );
    figures.afterLiveChange = await timed(api);
    const later = new Date(Date.now() + 5000);
    figures.tableChangeSeen = await untilSeen(
      () => utimesSync(join(dir, 'summary.csv'), later, later),
      () => true,
    );
    figures.afterTableChange = await timed(api);
    figures.compare8 = await timed(
      `${srv.url}api/f/scale/compare?${runs
        .slice(0, 8)
        .map((r) => `run=${encodeURIComponent(r.id)}`)
        .join('&')}`,
    );
    if (BROWSER) figures.browser = await inChromium(srv.url, root);
  } finally {
    await srv.close();
  }
  figures.machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    loadavg: loadavg().map((x) => x.toFixed(2)),
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** The page in Chromium: load until every chart is drawn, tick a run until its overlay is drawn, untick a knob value until the rows are filtered. */
async function inChromium(url, scratch) {
  const { chromium } = await import('playwright-core');
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(scratch, 'chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    let t0 = performance.now();
    await page.goto(`${url}f/scale/`);
    const domContentLoaded = ms(t0);
    await page.waitForFunction(
      () =>
        document.body.dataset.refreshes &&
        [...document.querySelectorAll('[data-chart]:not(#compare-chart)')].every((c) => c.dataset.state === 'ready'),
      null,
      { timeout: 300_000 },
    );
    const chartsDrawn = ms(t0);
    t0 = performance.now();
    await page.locator('table.leaderboard input.pick[data-pick="run"]').nth(500).check();
    await page.waitForSelector('#compare-chart[data-state="ready"]');
    const pickToOverlay = ms(t0);
    const filter = await page.evaluate(async () => {
      const box = document.querySelector('input[data-filter]');
      const t = performance.now();
      box.click();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return { ms: Math.round(performance.now() - t), hiddenRows: document.querySelectorAll('tr.filtered').length };
    });
    return {
      domContentLoadedMs: domContentLoaded,
      allChartsDrawnMs: chartsDrawn,
      pickToOverlayMs: pickToOverlay,
      untickKnobValue: filter,
      consoleErrors: errors.length,
    };
  } finally {
    await ctx.close();
  }
}
