#!/usr/bin/env node
/**
 * Where a training step's time goes: each kernel call of the one host model's LSTM chunk (1 layer,
 * H = 256 by default, 32 streams, unroll 64, V = 54, Adam, clip by norm), timed alone on one kernel
 * implementation, in CPU milliseconds per chunk and GMAC/s per CPU second, beside the FMA peak of
 * the same ISA. For finding what is left between a backend and the peak; `charlab bench` (section
 * "cells") measures the whole step against PyTorch. Run `npm run build` first.
 *
 *   node bench/kernels.mjs [--backend native|wasm] [--isa avx512|avx2|sse2|...] [--threads 1]
 *                          [--hidden 256] [--cell lstm|gru] [--reps 5] [--json]
 *
 * CPU time (process.cpuUsage) is what other processes on a shared machine disturb least; with
 * --threads > 1 it counts every thread (spinning helpers included), so compare wall times then.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';

const dist = new URL('../dist/backend/', import.meta.url);
if (!existsSync(new URL('kernels.js', dist))) {
  process.stderr.write('bench/kernels.mjs: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const { NativeKernels } = await import(new URL('nativeKernels.js', dist).href);
const { WasmKernels } = await import(new URL('wasmKernels.js', dist).href);
const { nativeAddon } = await import(new URL('nativeAddon.js', dist).href);

const o = { backend: 'native', isa: undefined, threads: 1, hidden: 256, cell: 'lstm', reps: 5, json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const key = argv[i].replace(/^--/, '');
  if (key === 'json') o.json = true;
  else if (key in o && argv[i + 1] !== undefined) o[key] = typeof o[key] === 'number' ? Number(argv[++i]) : argv[++i];
  else {
    process.stderr.write(`bench/kernels.mjs: unknown or incomplete argument ${argv[i]}\n`);
    process.exit(2);
  }
}

const k = o.backend === 'native' ? new NativeKernels({ isa: o.isa, threads: o.threads }) : new WasmKernels();
const [H, B, T, V] = [o.hidden, 32, 64, 54];
const nG = o.cell === 'lstm' ? 4 : 3;
const Hp = Math.ceil(H / k.align) * k.align;
const G = nG * Hp;
const n = T * B;

/** A matrix of small deterministic values. */
function filled(rows, cols) {
  const m = k.alloc(rows, cols);
  const v = k.view(m);
  for (let i = 0; i < v.length; i++) v[i] = ((Math.sin(i * 12.9898) * 43758.5453) % 1) * 0.1;
  return m;
}
const buf = {
  Z: k.alloc(n, G),
  GH: o.cell === 'gru' ? k.alloc(n, G) : null,
  hs: k.alloc(n + B, H),
  cs: o.cell === 'lstm' ? k.alloc(n + B, H) : null,
  train: {
    dH: k.alloc(n, H),
    dh: k.alloc(B, H),
    dc: o.cell === 'lstm' ? k.alloc(B, H) : null,
    scratch: k.allocCellScratch(o.cell, T, B, H),
  },
};
const Wh = filled(G, H);
const [Wf, Wb] = [k.allocPacked(Wh, 'ABt'), k.allocPacked(Wh, 'AB')];
const Why = filled(V, H);
const [WyF, WyB] = [k.allocPacked(Why, 'ABt'), k.allocPacked(Why, 'AB')];
const pack = () =>
  [
    [Wf, Wh],
    [Wb, Wh],
    [WyF, Why],
    [WyB, Why],
  ].forEach(([p, w]) => k.pack(p, w));
pack();
const bh = o.cell === 'gru' ? k.alloc(1, G) : null;
const [Y, by, gWh, gWhy, table, bias] = [
  k.alloc(n, V),
  k.alloc(1, V),
  k.alloc(G, H),
  k.alloc(V, H),
  filled(V, G),
  k.alloc(1, G),
];
const ids = k.allocI32(n);
k.writeI32(
  ids,
  Array.from({ length: n }, (_, i) => i % V),
);
const P = (3 * 1024 * 1024) / 4;
const [Pm, Gm, Mm, Vm] = [filled(1, P), filled(1, P), k.alloc(1, P), k.alloc(1, P)];
const top = k.rowsOf(buf.hs, B, n);

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** [cpu ms, wall ms] per call, after one warm-up call. */
function time(f) {
  f();
  const [c0, w0] = [cpuNow(), performance.now()];
  for (let i = 0; i < o.reps; i++) f();
  return [((cpuNow() - c0) / o.reps) * 1000, (performance.now() - w0) / o.reps];
}
const rec = n * G * H; // one recurrent product over the chunk
const ops = [
  ['input gather Z = W_xᵀ[x] + b', () => k.gatherRows(k.rowsOf(buf.Z, 0, n), ids, table, bias), 0],
  [
    'cell forward (recurrence)',
    () => {
      k.gatherRows(k.rowsOf(buf.Z, 0, n), ids, table, bias);
      k.cellForward(o.cell, T, B, buf, Wf, bh);
    },
    rec,
  ],
  ['logits h·W_hyᵀ + b', () => k.gemmPacked(k.rowsOf(Y, 0, n), top, WyF, { bias: by }), n * V * H],
  ['softmax cross-entropy', () => k.softmaxXent(Y, ids, 1 / B), 0],
  ['∂W_hy = dyᵀ·h', () => k.gemmAtB(gWhy, Y, top), n * V * H],
  ['dh = dy·W_hy', () => k.gemmPacked(buf.train.dH, Y, WyB), n * V * H],
  ['cell backward (recurrence + ∂W_h)', () => k.cellBackward(o.cell, T, B, buf, Wb, gWh), 2 * rec],
  ['  of which ∂W_h = Σ dzᵀ·h', () => k.gemmAtB(gWh, k.rowsOf(buf.Z, 0, n), k.rowsOf(buf.hs, 0, n)), rec],
  ['∂b = Σ dz', () => k.sumRows(bias, buf.Z), 0],
  ['∂W_x: scatter-add of dz', () => k.scatterAddRows(table, ids, buf.Z), 0],
  [
    'clip, norm, Adam (3 MB)',
    () => {
      k.clipValues(Gm, 5);
      k.sumSquares(Gm);
      k.optimize(Pm, Gm, [Mm, Vm], { kind: 'adam', lr: 1e-3, eps: 1e-8, step: 3 });
    },
    0,
  ],
  ['pack the weights', pack, 0],
];
const rows = ops.map(([name, f, macs]) => {
  const [cpu, wall] = time(f);
  return { name, cpuMs: cpu, wallMs: wall, gmacPerCpuSecond: macs ? macs / (cpu / 1000) / 1e9 : null };
});
const step = rows.filter((r) => !r.name.startsWith('  ')).reduce((a, r) => a + r.cpuMs, 0) - rows[0].cpuMs; // the forward row includes its gather
const macsPerChar = 3 * nG * H * H + 3 * V * H;
const peak =
  o.backend === 'native'
    ? (() => {
        const c0 = cpuNow();
        const m = nativeAddon().peakProbe(k.isa, 2e7);
        return m / (cpuNow() - c0) / 1e9;
      })()
    : null;
const out = {
  backend: o.backend,
  isa: k.isa,
  threads: k.threads,
  cell: o.cell,
  hidden: H,
  batch: B,
  unroll: T,
  vocab: V,
  ops: rows,
  stepCpuMs: step,
  charsPerCpuSecond: n / (step / 1000),
  gmacPerCpuSecond: (n * macsPerChar) / (step / 1000) / 1e9,
  fmaPeak: peak,
  loadavg: loadavg(),
};
if (o.json) {
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} else {
  process.stdout.write(
    `${o.backend} ${k.isa}, ${k.threads} thread(s): ${o.cell.toUpperCase()} ${H}, ${B} streams, unroll ${T}, V ${V} (CPU ms per chunk of ${n} characters)\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.name.padEnd(38)} ${r.cpuMs.toFixed(2).padStart(8)} ms cpu ${r.wallMs.toFixed(2).padStart(8)} ms wall${r.gmacPerCpuSecond ? `  ${r.gmacPerCpuSecond.toFixed(1)} GMAC/s` : ''}\n`,
    );
  process.stdout.write(
    `the step: ${step.toFixed(1)} ms cpu → ${Math.round(out.charsPerCpuSecond)} chars per CPU second, ${out.gmacPerCpuSecond.toFixed(1)} GMAC/s${peak ? ` (${((100 * out.gmacPerCpuSecond) / peak).toFixed(0)}% of the ${k.isa} FMA peak ${peak.toFixed(1)})` : ''}\n`,
  );
  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}\n`,
  );
}
