#!/usr/bin/env node
/**
 * Compiles the AssemblyScript kernels with the compiler installed in node_modules (no downloads):
 * -O3, SIMD on, assertions off, the stub runtime (the kernels never allocate: the host lays
 * memory out once). Runs on `npm ci` through the `prepare` script, and as `npm run build:wasm`.
 *   assembly/minCharRnn.ts -> build/min-char-rnn.wasm      min-char-rnn's fused fast path
 *   assembly/kernels.ts    -> build/kernels.wasm           the one host model's kernels, SIMD128
 *                          -> build/kernels-relaxed.wasm   the same with relaxed SIMD (fused multiply-add)
 *
 *   node scripts/build-wasm.mjs [--wat]    --wat also writes build/<name>.wat for inspection
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');
const targets = [
  { entry: 'minCharRnn.ts', name: 'min-char-rnn', features: ['simd'] },
  { entry: 'kernels.ts', name: 'kernels', features: ['simd'] },
  { entry: 'kernels.ts', name: 'kernels-relaxed', features: ['simd', 'relaxed-simd'] },
];

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

for (const { entry, name, features } of targets) {
  const outFile = join(outDir, `${name}.wasm`);
  const args = [
    relative(root, join(root, 'assembly', entry)),
    '--outFile',
    relative(root, outFile),
    '--optimizeLevel',
    '3',
    '--shrinkLevel',
    '0',
    '--converge',
    '--noAssert',
    '--runtime',
    'stub',
    '--enable',
    features.join(','),
    '--initialMemory',
    '1',
    '--baseDir',
    root,
  ];
  if (process.argv.includes('--wat')) args.push('--textFile', relative(root, join(outDir, `${name}.wat`)));

  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    process.stderr.write(`build-wasm: compilation of ${entry} failed: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  process.stdout.write(`build-wasm: wrote ${relative(root, outFile)}\n`);
}
