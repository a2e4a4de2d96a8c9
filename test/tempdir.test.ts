/**
 * The test run's temp folder: a private one per `npm test` (test/helpers/globalSetup.ts), which the
 * teardown requires to be empty; tempDir() folders are removed after each file (test/helpers/setup.ts).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { removeTempDirs, runCli, tempDir } from './helpers/cli.js';

describe('temp folders', () => {
  test("the tests and the processes they start use the run's private temp folder", async () => {
    const root = process.env.CHARLAB_TEST_TMP_ROOT;
    expect(root).toBeTruthy();
    expect(tmpdir()).toBe(root);
    const r = await runCli(['--version'], { env: {} });
    expect(r.code).toBe(0);
    const child = await import('node:child_process');
    const out = child.execFileSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], {
      encoding: 'utf8',
    });
    expect(out).toBe(root);
  });

  test('tempDir folders are removed by removeTempDirs (run after every test file)', () => {
    const a = tempDir();
    const b = tempDir('charlab-other-');
    expect(existsSync(a) && existsSync(b)).toBe(true);
    removeTempDirs();
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
  });
});
