import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A private temp folder per run, checked empty at the end (test/helpers/globalSetup.ts);
    // every tempDir() is removed after its test file (test/helpers/setup.ts).
    globalSetup: ['test/helpers/globalSetup.ts'],
    setupFiles: ['test/helpers/setup.ts'],
  },
});
