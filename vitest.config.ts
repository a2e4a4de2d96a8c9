import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * test/holmes/ reproduces the published corpora's figures (holmes from cnus.txt, the Markov scores,
 * War and Peace read as Python reads it) and needs them in ../shared/corpora (never committed). Every
 * other test runs on generated text, on any clone. Without the corpora test/holmes/ is left out with
 * one line saying so; on CI (CI=true), which always provides them, their absence is an error.
 */
const SHARED = new URL('../shared/corpora/', import.meta.url);
const NEEDED = ['holmes.txt', 'cnus.txt', 'warpeace.txt'];
const missing = NEEDED.filter((f) => !existsSync(new URL(f, SHARED)));
if (missing.length > 0) {
  const what = `${missing.join(', ')} not in ${SHARED.pathname}`;
  if (process.env.CI) throw new Error(`CI must provide the published corpora: ${what}`);
  process.stderr.write(`test/holmes/ (the published corpora's figures) left out: ${what}\n`);
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: missing.length > 0 ? ['test/holmes/**', '**/node_modules/**'] : ['**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A private temp folder per run, checked empty at the end (test/helpers/globalSetup.ts);
    // every tempDir() is removed after its test file (test/helpers/setup.ts).
    globalSetup: ['test/helpers/globalSetup.ts'],
    setupFiles: ['test/helpers/setup.ts'],
  },
});
