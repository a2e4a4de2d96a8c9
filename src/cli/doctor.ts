/** `charlab doctor`: which backend and code path this machine runs, and why. */
import type { Command } from 'commander';
import { backendIsa, resolveBackend } from '../backend/index.js';
import { nativeAddon, nativeStatus } from '../backend/nativeAddon.js';
import { relaxedSimdSupported } from '../backend/wasmKernels.js';
import { machineInfo, VERSION } from '../results/manifest.js';

/** One line: what `--backend auto` runs here. */
export function backendLine(): string {
  const native = nativeStatus();
  const auto = resolveBackend('auto');
  if (!native.available) return `backend auto: wasm (simd128); native not available: ${native.reason}`;
  const forced = process.env.CHARLAB_NATIVE_ISA ? ' (CHARLAB_NATIVE_ISA)' : ''; // the CLI configured it from there
  return `backend auto: ${auto} (${backendIsa(auto)}${forced}; usable here: ${native.isas.join(' ')})`;
}

/** The report: versions, machine, backends. */
export function doctorLines(): string[] {
  const m = machineInfo();
  const native = nativeStatus();
  return [
    `charlab ${VERSION}, node ${process.version}, ${m.platform} ${m.arch}, ${m.cpuModel} (${m.cpus} cores)`,
    backendLine(),
    native.available
      ? `native: build/Release/charlab_native.node; CPU features ${nativeAddon().cpuFeatures()}; threads: train --threads (default ${m.cpus}), a sweep's cores ÷ workers`
      : "native: not available (npm ci builds it where a C++ compiler and Node's headers are found; `npm run build:native` shows why not)",
    `wasm: simd128${relaxedSimdSupported() ? ' (relaxed SIMD available in this runtime)' : ''}; the portable path, the same bits on every machine`,
  ];
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Print the backend and CPU code path `auto` resolves to here (native ISA or wasm), and why')
    .action(() => {
      process.stdout.write(`${doctorLines().join('\n')}\n`);
    });
}
