#!/usr/bin/env node
/**
 * Makes docs/serve.png, the README's picture of `charlab serve`: the server over results/, the
 * holmes-ladder page in Debian's Chromium at 1,400 px, three configurations picked (the two
 * 512-unit gated cells and min-char-rnn's RNN), the top 1,500 px of the page, saved at 60 %.
 * Run `npm run build` first; needs /usr/bin/chromium and playwright-core (a dev dependency).
 *
 *   node scripts/serve-screenshot.mjs [--out docs/serve.png]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv.includes('--out')
  ? process.argv[process.argv.indexOf('--out') + 1]
  : join(root, 'docs', 'serve.png');
const { startServer } = await import(new URL('../dist/serve/server.js', import.meta.url).href);

const server = await startServer({ roots: [join(root, 'results')], port: 0, host: '127.0.0.1', cwd: root });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1500 }, deviceScaleFactor: 0.6 });
  await page.goto(`${server.url}f/holmes-ladder/`);
  const picks = page.locator('table.configs input.pick');
  const values = await picks.evaluateAll((xs) => xs.map((x) => x.value));
  const wanted = values.filter((v) => /^h512-/.test(v)); // LSTM-512, GRU-512 and the RNN-512
  for (const v of wanted) await page.locator(`table.configs input.pick[value="${v}"]`).check();
  await page.waitForSelector('#compare-chart[data-state="ready"]');
  await page.evaluate(() => globalThis.scrollTo(0, 0));
  await page.waitForTimeout(500);
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out} (${wanted.length} configurations picked)\n`);
} finally {
  await browser.close();
  await server.close();
}
