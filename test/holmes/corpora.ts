/**
 * The published corpora, for the tests that reproduce their figures (test/holmes/): ../shared/corpora
 * next to the repository (never committed). vitest.config.ts runs test/holmes/ only where they are
 * (and on CI, which always provides them, fails without them); every other test uses generated text
 * (test/helpers/fixtureText.ts) and runs on any clone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED_CORPORA = fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));
export const HOLMES = join(SHARED_CORPORA, 'holmes.txt');
export const CNUS = join(SHARED_CORPORA, 'cnus.txt');
export const WARPEACE = join(SHARED_CORPORA, 'warpeace.txt');
export const HOLMES_SHA256 = 'a75accce1a1a687e522b6d35bd3187d12977438c4878e5ead23598571def646c';
export const WARPEACE_SHA256 = 'fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e';
export const HAVE_CORPORA = [HOLMES, CNUS, WARPEACE].every((f) => existsSync(f));
/** The CLI's environment for a test that reads the known corpora from the shared folder. */
export const SHARED_ENV = { CHARLAB_DATA_DIR: SHARED_CORPORA };
