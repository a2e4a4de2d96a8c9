/**
 * vitest global setup: one private temp folder per `npm test`, so that what the tests leave behind
 * can be checked without looking at the shared system temp folder (other test runs may be using it).
 * TMPDIR (and TMP, TEMP) point at it, so os.tmpdir() in the test workers and in every child process
 * (the CLI under test, its worker threads) lands there. At teardown the run FAILS if anything is
 * left in it (every test cleans up what it creates), and the folder is removed either way.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'charlab-test-run-'));
  for (const name of ['TMPDIR', 'TMP', 'TEMP']) process.env[name] = root;
  process.env.CHARLAB_TEST_TMP_ROOT = root;
  return () => {
    const left = readdirSync(root);
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(
        `the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp folder: ${left.slice(0, 20).join(', ')}`,
      );
    }
  };
}
