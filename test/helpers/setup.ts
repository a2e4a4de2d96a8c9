/** Per test file: remove the temp folders made with tempDir() once the file's tests are done. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './cli.js';

afterAll(() => removeTempDirs());
