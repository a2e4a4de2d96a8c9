/**
 * The floors of src/ (docs/architecture.md): a module imports only from its own folder or from a
 * folder on a lower floor, never from one on its own floor or above; and no modules import each
 * other in a circle. Walks every module's relative imports (static, side-effect and dynamic).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * The floors, lowest first: a folder of src/ (or a file directly in it) may import from the floors
 * below its own. Folders on one floor do not import each other.
 */
export const FLOORS: readonly (readonly string[])[] = [
  ['errors.ts', 'version.ts', 'defaults.ts'],
  ['util'],
  ['corpus', 'markov', 'optim'],
  ['model', 'data'],
  ['backend'],
  ['results'],
  ['train'],
  ['checkpoint'],
  ['sweep'],
  ['report', 'testing'],
  ['serve'],
  ['cli'],
];

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

type Graph = Map<string, string[]>;

/** src/'s import graph: module → the modules it imports, as paths relative to src/ with '/'. */
function importGraph(): Graph {
  const rel = (p: string) => relative(SRC, p).split(sep).join('/');
  const graph: Graph = new Map();
  for (const m of modules(SRC)) {
    const deps = importsOf(readFileSync(m, 'utf8')).map((spec) =>
      rel(resolve(dirname(m), spec)).replace(/\.js$/, '.ts'),
    );
    graph.set(rel(m), deps);
  }
  return graph;
}

/** A module's folder (its first path part: 'sweep', 'model' for model/cells/…, or the file itself for src/*.ts). */
const folderOf = (module: string) => module.split('/')[0];

/** Every import from a folder on the same floor or above, as "from → to (floor a → b)". */
export function upwardImports(graph: Graph, floors: readonly (readonly string[])[]): string[] {
  const floor = new Map(floors.flatMap((names, i) => names.map((n) => [n, i] as const)));
  const out: string[] = [];
  for (const [from, deps] of graph) {
    for (const to of deps) {
      const [a, b] = [folderOf(from), folderOf(to)];
      if (a !== b && floor.get(b)! >= floor.get(a)!)
        out.push(`${from} → ${to} (floor ${floor.get(a)} → ${floor.get(b)})`);
    }
  }
  return out;
}

/** Strongly connected components of more than one module (Tarjan), each as its sorted members. */
export function circles(graph: Graph): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of (graph.get(v) ?? []).filter((x) => graph.has(x))) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const members: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      members.push(w);
    } while (w !== v);
    if (members.length > 1) found.push(members.sort().join(' '));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort();
}

describe('the floors of src/', () => {
  const graph = importGraph();

  test('the import scan sees static, side-effect and dynamic imports', () => {
    const src = `import { a } from '../cli/x.js';\nimport '../cli/y.js';\nconst m = await import('../cli/z.js');\nexport { b } from './w.js';`;
    expect(importsOf(src)).toEqual(['../cli/x.js', '../cli/y.js', '../cli/z.js', './w.js']);
  });

  test('every folder of src/ is on exactly one floor, and every import resolves to a module', () => {
    expect(graph.size).toBeGreaterThan(100);
    const placed = FLOORS.flat();
    expect(new Set(placed).size).toBe(placed.length);
    expect([...new Set([...graph.keys()].map(folderOf))].filter((f) => !placed.includes(f))).toEqual([]);
    const dangling = [...graph].flatMap(([from, deps]) =>
      deps.filter((d) => !graph.has(d)).map((d) => `${from} → ${d}`),
    );
    expect(dangling).toEqual([]);
  });

  test('no module imports from its own floor or above', () => {
    expect(upwardImports(graph, FLOORS)).toEqual([]);
  });

  test('no modules import each other in a circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  test('the checks are not vacuous: an upward import, a same-floor import and a circle are found', () => {
    const g: Graph = new Map([
      ['util/a.ts', ['sweep/b.ts']],
      ['sweep/b.ts', ['sweep/c.ts']],
      ['sweep/c.ts', ['sweep/b.ts', 'results/d.ts']],
      ['report/e.ts', ['testing/f.ts']],
      ['testing/f.ts', []],
      ['results/d.ts', []],
    ]);
    expect(upwardImports(g, FLOORS)).toEqual([
      'util/a.ts → sweep/b.ts (floor 1 → 8)',
      'report/e.ts → testing/f.ts (floor 9 → 9)',
    ]);
    expect(circles(g)).toEqual(['sweep/b.ts sweep/c.ts']);
  });
});
