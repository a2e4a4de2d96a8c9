/**
 * The layering rule: src/cli is the top layer (it reads the environment, draws progress, decides
 * exit codes); nothing under src/ outside src/cli may import from it. Walks every module's imports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative import specifiers of a module (static `from '…'`, side-effect `import '…'` and dynamic `import('…')`). */
export function importsOf(source: string): string[] {
  const found = [...source.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return [...new Set(found)];
}

const inCli = (path: string) => relative(SRC, path).split(sep)[0] === 'cli';

describe('layers', () => {
  test('the import scan sees static, side-effect and dynamic imports', () => {
    const src = `import { a } from '../cli/x.js';\nimport '../cli/y.js';\nconst m = await import('../cli/z.js');\nexport { b } from './w.js';`;
    expect(importsOf(src)).toEqual(['../cli/x.js', '../cli/y.js', '../cli/z.js', './w.js']);
  });

  test('no module outside src/cli imports from src/cli', () => {
    const all = modules(SRC);
    expect(all.length).toBeGreaterThan(20);
    const offenders = all
      .filter((m) => !inCli(m))
      .flatMap((m) => importsOf(readFileSync(m, 'utf8')).filter((spec) => inCli(resolve(dirname(m), spec))).map((spec) => `${relative(SRC, m)} imports ${spec}`));
    expect(offenders).toEqual([]);
  });
});
