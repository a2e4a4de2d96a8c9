#!/usr/bin/env node
/**
 * Builds the native backend (native/*.cc, binding.gyp) into build/Release/charlab_native.node with
 * node-gyp: npm's own copy (npm_config_node_gyp, set while npm runs a script, or the one beside
 * this Node's npm), against this Node's headers (npm_config_nodedir, or <node prefix>/include/node),
 * so nothing is downloaded. Runs at `npm ci` (package.json "install") and as `npm run build:native`.
 *
 * It never fails the install: without a compiler, headers or node-gyp, it prints one line saying
 * so and exits 0; the backend `auto` then resolves to wasm. CHARLAB_NATIVE=0 skips the build (and,
 * at run time, the addon: src/backend/nativeAddon.ts). The compiler's output goes to
 * build/native-build.log. `--strict` exits 1 on failure instead (for CI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const logFile = join(root, 'build', 'native-build.log');
const addon = join(root, 'build', 'Release', 'charlab_native.node');
const strict = process.argv.includes('--strict');
const say = (line) => process.stdout.write(`charlab: ${line}\n`);

function notBuilt(reason) {
  say(`the native backend was not built (${reason}); backend "auto" will use wasm`);
  process.exit(strict ? 1 : 0);
}

/** npm's node-gyp: the one npm names while it runs a script, else the one beside this Node's npm. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** A folder holding this Node's headers (include/node/node_api.h), so that node-gyp downloads nothing. */
function findNodeDir() {
  const given = process.env.npm_config_nodedir;
  if (given && existsSync(join(given, 'include', 'node', 'node_api.h'))) return given;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

if (process.env.CHARLAB_NATIVE === '0') {
  say('native backend disabled (CHARLAB_NATIVE=0): not built; backend "auto" will use wasm');
  process.exit(0);
}
const nodeGyp = findNodeGyp();
if (!nodeGyp) notBuilt('node-gyp not found: npm bundles it; is this npm?');
const nodeDir = findNodeDir();
if (!nodeDir) notBuilt(`Node's headers not found beside ${process.execPath}; set npm_config_nodedir`);

mkdirSync(dirname(logFile), { recursive: true });
// configure + build, not rebuild: rebuild's clean would remove build/, where the wasm kernels live too.
const args = [nodeGyp, 'configure', 'build', `--nodedir=${nodeDir}`, `--jobs=${availableParallelism()}`];
const r = spawnSync(process.execPath, args, {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
writeFileSync(
  logFile,
  `$ node ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`,
);
if (r.status !== 0 || !existsSync(addon)) {
  const first = `${r.stdout ?? ''}\n${r.stderr ?? ''}`
    .split('\n')
    .find(
      (l) =>
        /error|not found|ERR!/i.test(l) && !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l),
    );
  notBuilt(`${(first ?? `node-gyp exited with ${r.status}`).trim().slice(0, 160)}; see build/native-build.log`);
}
// Loads in a fresh process: a library that builds but does not load (a missing symbol) is not a backend.
const probe = spawnSync(
  process.execPath,
  ['-e', `process.stdout.write(require(${JSON.stringify(addon)}).usableIsas().join(' '))`],
  { encoding: 'utf8' },
);
if (probe.status !== 0) notBuilt(`the addon does not load: ${(probe.stderr || '').trim().split('\n')[0]}`);
say(`built the native backend (build/Release/charlab_native.node; kernels usable on this CPU: ${probe.stdout})`);
