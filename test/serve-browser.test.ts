/**
 * charlab serve in a real browser: Debian's Chromium driven by playwright-core (no browser is
 * downloaded; .ci/run installs chromium with apt). A sweep runs while the page is open: the
 * finished runs grow without a reload, runs in flight show their progress, two picked runs give
 * two curves, a run's page opens, and the console stays free of errors (a Content-Security-Policy
 * violation is one). Screenshots go to test-output/serve-browser/, removed when every test passed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO, smallCorpus, startCli, tempDir, writeExperiment } from './helpers/cli.js';
import { startServe, type Serving } from './helpers/serve.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && process.env.CI)
  throw new Error(`CI must provide ${CHROMIUM} (.ci/run installs it: apt-get install -y chromium)`);
if (!HAVE_CHROMIUM)
  process.stderr.write(`skipping the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)\n`);

const SHOTS = join(REPO, 'test-output', 'serve-browser');
/** Chromium quiet on a closed network, in a fresh profile, as root. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Six short runs on one worker: about 15 s of sweep, long enough to watch it. */
const watched = {
  name: 'watched',
  corpus: 'small.txt',
  backend: 'reference',
  budget: { chars: 90_000 },
  seeds: [1, 2],
  grid: { hiddenSize: [12, 16, 20], unroll: [16], clip: [5], learningRate: [0.1] },
  curves: { every: 3000 },
  evaluation: { every: 15_000, chars: 2000 },
  samples: { length: 60, every: 20_000 },
  workers: 1,
};

describe.skipIf(!HAVE_CHROMIUM)('charlab serve in Chromium', () => {
  let root: string;
  let srv: Serving;
  let ctx: BrowserContext;
  let page: Page;
  let sweep: ReturnType<typeof startCli> | null = null;
  const errors: string[] = [];
  let failures = 0;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const guarded = (name: string, body: () => Promise<void>) =>
    test(name, async () => {
      try {
        await body();
      } catch (err) {
        failures++;
        await shot(`failed-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => {});
        throw err;
      }
    });

  beforeAll(async () => {
    root = tempDir('charlab-browser-');
    const src = tempDir('charlab-browser-src-');
    smallCorpus(src);
    mkdirSync(SHOTS, { recursive: true });
    srv = await startServe([root]);
    ctx = await chromium.launchPersistentContext(tempDir('charlab-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(srv.url);
    sweep = startCli(['sweep', writeExperiment(src, watched), '--out', join(root, 'watched')]);
  });

  afterAll(async () => {
    if (sweep) await sweep.done;
    await ctx?.close();
    await srv?.stop();
    if (failures === 0) rmSync(join(REPO, 'test-output'), { recursive: true, force: true });
  });

  guarded(
    'a sweep started after the page opened appears in the index; its page counts finished runs up without a reload',
    async () => {
      await page.locator('a[href="/f/watched/"]').click({ timeout: 20_000 });
      await page.waitForSelector('body[data-refreshes]');
      await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
      const recorded = async () => Number(await page.locator('#recorded').textContent());
      const first = await recorded();
      let sawInFlight = false;
      // Until two runs are recorded and one was seen in flight (on a fast machine a run is in flight for a
      // second or so: keep looking while the sweep's six runs last).
      const target = Math.max(first + 1, 2);
      for (let i = 0; i < 600 && ((await recorded()) < target || (!sawInFlight && (await recorded()) < 6)); i++) {
        sawInFlight ||= (await page.locator('tr[data-running] progress').count()) > 0;
        await page.waitForTimeout(50);
      }
      expect(await recorded()).toBeGreaterThan(first);
      expect(await recorded()).toBeGreaterThanOrEqual(2);
      expect(sawInFlight).toBe(true);
      expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true); // the same document: no reload
      await shot('folder-live');
    },
  );

  guarded('two picked runs give two curves', async () => {
    // The first two runs in grid order (one worker: the first recorded); by id, as rows move while runs finish.
    for (const id of ['h12-u16-c5-lr0.1-s1', 'h12-u16-c5-lr0.1-s2'])
      await page.locator(`table.leaderboard input.pick[value="${id}"]`).check();
    await expect.poll(() => page.locator('#picked').textContent(), { timeout: 10_000 }).toMatch(/^2 picked: /);
    await page.waitForSelector('#compare-chart[data-state="ready"]');
    const strokes = () =>
      page
        .locator('#compare-chart .mark-line path')
        .evaluateAll((ps) => [...new Set(ps.map((p) => p.getAttribute('stroke')))].length);
    await expect.poll(strokes, { timeout: 10_000 }).toBe(2); // one colour per run (held-out and training differ by dash)
    expect(new URL(page.url()).hash).toMatch(/^#pick=run%3A/);
    await shot('compare');
  });

  guarded('a run\u2019s page: its knobs, curves and samples', async () => {
    await page.locator('table.leaderboard a[href^="run/"]').first().click();
    await page.waitForSelector('[data-chart="run-curves"][data-state="ready"]');
    expect(await page.locator('[data-section="run-knobs"]').textContent()).toContain('hidden size');
    expect(await page.locator('[data-section="run-samples"] pre').first().textContent()).not.toBe('');
    await shot('run');
  });

  guarded('no errors in the console (CSP violations included)', () => {
    expect(errors).toEqual([]);
    return Promise.resolve();
  });
});

describe.skipIf(!HAVE_CHROMIUM)('the committed static reports in Chromium', () => {
  test('every leaderboard fits 1,400 px without a horizontal scrollbar', async () => {
    const reports = readdirSync(join(REPO, 'results'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(REPO, 'results', d.name, 'report.html')))
      .map((d) => d.name);
    expect(reports.length).toBeGreaterThan(0);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const over: string[] = [];
      for (const name of reports) {
        await page.goto(pathToFileURL(join(REPO, 'results', name, 'report.html')).href);
        // The leaderboards (by configuration, and of every run), each in its scrolling wrapper.
        const widths = await page
          .locator('table.configs, table.leaderboard')
          .evaluateAll((ts) => ts.map((t) => [t.scrollWidth, t.parentElement!.clientWidth]));
        for (const [table, room] of widths) if (table > room) over.push(`${name}: ${table} px in ${room} px`);
      }
      expect(over).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
