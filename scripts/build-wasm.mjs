#!/usr/bin/env node
/**
 * Compiles the AssemblyScript kernels (assembly/index.ts) into build/charlab.wasm with the
 * compiler installed in node_modules (no downloads): -O3, SIMD on, assertions off, the stub
 * runtime (the kernels never allocate: the host lays memory out once). Runs on `npm ci` through
 * the `prepare` script, and as `npm run build:wasm`.
 *
 *   node scripts/build-wasm.mjs [--wat]    --wat also writes build/charlab.wat for inspection
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');
const entry = join(root, 'assembly', 'index.ts');
const outFile = join(outDir, 'charlab.wasm');

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (err) {
  process.stderr.write(
    `build-wasm: cannot load the AssemblyScript compiler (assemblyscript/asc): ${err instanceof Error ? err.message : err}\n` +
      'build-wasm: it is a devDependency; run `npm ci` (or `npm install`) first.\n',
  );
  process.exit(1);
}

mkdirSync(outDir, { recursive: true });

const args = [
  relative(root, entry),
  '--outFile', relative(root, outFile),
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--converge',
  '--noAssert',
  '--runtime', 'stub',
  '--enable', 'simd',
  '--initialMemory', '1',
  '--baseDir', root,
];
if (process.argv.includes('--wat')) args.push('--textFile', relative(root, join(outDir, 'charlab.wat')));

const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
if (error) {
  process.stderr.write(`build-wasm: compilation failed: ${error.message}\n${stderr.toString()}`);
  process.exit(1);
}
process.stdout.write(`build-wasm: wrote ${relative(root, outFile)}\n`);
