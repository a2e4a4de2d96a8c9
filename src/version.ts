import { readFileSync } from 'node:fs';

/** charlab's version, read once from package.json (dist/version.js and src/version.ts both sit one level below it). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
