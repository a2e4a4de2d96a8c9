#!/usr/bin/env node
/**
 * Microbenchmark of the model ladder's WebAssembly kernels (build/ladder.wasm through
 * dist/backend/ladderKernels.js; run `npm run build` first) against PyTorch on the LSTM of issue 11:
 * 1 layer, H = 256, vocabulary of holmes (54), B = 32 streams, unroll 64, Adam 2e-3, clip norm 5.
 *
 *   node bench/kernels.mjs [--corpus ../shared/corpora/holmes.txt] [--repeats 3] [--seconds 6]
 *                          [--no-torch] [--python python3] [--json]
 *   node --experimental-wasm-relaxed-simd bench/kernels.mjs ...   (Node 20: adds the relaxed build)
 *
 * What it measures, each `repeats` times (figures are the medians; the machine is shared, so it
 * also prints the load average before and after):
 * - peak: the largest f32 multiply-add rate of f32x4 code found by two probes (assembly/ladder.ts):
 *   register-resident chains, and a 2×4 block streaming its operands from L1;
 * - GMAC/s of each matrix product at the LSTM's shapes;
 * - the full training step (FastLstm: forward, backward, clip, Adam over T·B = 2048 characters) in
 *   characters per second, with a breakdown by phase;
 * - bench/lstm_torch.py at 1 and 2 threads, interleaved with the wasm runs.
 * Rates of the wasm code are per second of this process's CPU time (process.cpuUsage), which other
 * processes on the machine do not inflate the way they inflate wall time; wall-time rates are
 * reported beside them. torch's figures are wall time (its own median of 3 windows) and, for one
 * thread, also per CPU second.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const dist = new URL('dist/backend/', root);
if (!existsSync(new URL('ladderKernels.js', dist))) {
  process.stderr.write('bench/kernels.mjs: dist/backend/ladderKernels.js is missing: run `npm run build` first\n');
  process.exit(2);
}
const { LadderKernels, relaxedSimdSupported } = await import(new URL('ladderKernels.js', dist).href);
const { FastLstm, initLstmParams } = await import(new URL('ladderLstm.js', dist).href);
const { makeRng } = await import(new URL('../util/rng.js', dist).href);

function parseArgs(argv) {
  const o = { corpus: fileURLToPath(new URL('../shared/corpora/holmes.txt', root)), repeats: 3, seconds: 6, torch: true, python: 'python3', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--corpus') o.corpus = argv[++i];
    else if (a === '--repeats') o.repeats = Number(argv[++i]);
    else if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--python') o.python = argv[++i];
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--json') o.json = true;
    else {
      process.stderr.write(`bench/kernels.mjs: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (!(Number.isInteger(o.repeats) && o.repeats >= 1)) throw new Error(`--repeats must be a positive integer, got ${o.repeats}`);
  if (!(o.seconds > 0)) throw new Error(`--seconds must be positive, got ${o.seconds}`);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const [H, B, T] = [256, 32, 64];
const log = (msg) => process.stderr.write(`${msg}\n`);
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Seconds of CPU time per call of fn: after 3 warm-up calls, calls until minSeconds have passed. */
function cpuSecondsPerCall(fn, minSeconds = 0.4) {
  for (let i = 0; i < 3; i++) fn();
  let n = 0;
  const t0 = cpuNow();
  let t;
  do {
    fn();
    n++;
    t = cpuNow() - t0;
  } while (t < minSeconds);
  return t / n;
}

// ---- corpus: B contiguous streams, as bench/lstm_torch.py cuts them ----------------------------
const text = readFileSync(opts.corpus, 'utf8');
const symbols = [...new Set(text)].sort();
const V = symbols.length;
const index = new Map(symbols.map((c, i) => [c, i]));
const data = Int32Array.from(text, (c) => index.get(c));
const per = Math.floor((data.length - 1) / B);

/** The chunk at position p of every stream: x, y as T·B ids, row t·B + b. */
function chunk(p) {
  const x = new Int32Array(T * B);
  const y = new Int32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      x[t * B + b] = data[b * per + p + t];
      y[t * B + b] = data[b * per + p + t + 1];
    }
  }
  return { x, y };
}

// ---- the measurements ---------------------------------------------------------------------------
function peaks(build) {
  const k = new LadderKernels(build);
  let macs = 0;
  const reg = cpuSecondsPerCall(() => (macs = k.peakProbe(1e7)));
  const regRate = macs / reg / 1e9;
  const buf = k.alloc(1, 1008); // 4 KB: stays in L1
  k.view(buf).fill(0.5);
  const l1 = cpuSecondsPerCall(() => (macs = k.peakProbeL1(buf, 20000)));
  const l1Rate = macs / l1 / 1e9;
  return { registers: regRate, l1: l1Rate, peak: Math.max(regRate, l1Rate) };
}

/**
 * GMAC/s of each product the LSTM step runs, at its shapes, and its fraction of the peak: the L1
 * probe is run right before and after each product and the product's rate divided by their mean,
 * so that the fraction does not move with the machine's clock and load between measurements.
 */
function gemms(build) {
  const k = new LadderKernels(build);
  const probeBuf = k.alloc(1, 1008);
  k.view(probeBuf).fill(0.5);
  const probe = () => {
    let macs = 0;
    const s = cpuSecondsPerCall(() => (macs = k.peakProbeL1(probeBuf, 5000)), 0.15);
    return macs / s / 1e9;
  };
  const rng = makeRng('bench');
  const fill = (m) => {
    const v = k.view(m);
    for (let i = 0; i < v.length; i++) v[i] = rng() - 0.5;
    return m;
  };
  const G = 4 * H;
  const TB = T * B;
  const out = {};
  const run = (name, macs, fn) => {
    const before = probe();
    const rate = macs / cpuSecondsPerCall(fn) / 1e9;
    out[name] = { gmacs: rate, ofPeak: rate / ((before + probe()) / 2) };
  };
  const packed = (m) => {
    const p = k.allocPacked(m);
    k.packRows4(p, m);
    return p;
  };
  {
    // forward recurrence: z[32×1024] += h[32×256]·W_hhᵀ; and with a dense input concatenated (K = 256 + 54)
    const h = fill(k.alloc(B, H));
    const W = fill(k.alloc(G, H));
    const z = k.alloc(B, G);
    const Wp = packed(W);
    run('h·W_hhᵀ  32×1024×256 (gemmABt)', B * G * H, () => k.gemmABt(z, h, W, { accumulate: true }));
    run('h·W_hhᵀ  32×1024×256 (packed)', B * G * H, () => k.gemmABtPacked(z, h, Wp, { accumulate: true }));
    const hx = fill(k.alloc(B, H + V));
    const Wx = packed(fill(k.alloc(G, H + V)));
    run('[h,x]·Wᵀ 32×1024×310 (packed)', B * G * (H + V), () => k.gemmABtPacked(z, hx, Wx, { accumulate: true }));
    // backward recurrence: dh[32×256] = dz[32×1024]·W_hh
    const dz = fill(k.alloc(B, G));
    const dh = k.alloc(B, H);
    const WT = k.alloc(H, G);
    k.transpose(WT, W);
    const WTp = packed(WT);
    run('dz·W_hh  32×256×1024 (gemmAB)', B * G * H, () => k.gemmAB(dh, dz, W));
    run('dz·W_hh  32×256×1024 (packed Wᵀ)', B * G * H, () => k.gemmABtPacked(dh, dz, WTp));
  }
  {
    // weight gradient: dW_hh[1024×256] = dzᵀ·h over T·B = 2048 rows
    const dz = fill(k.alloc(TB, G));
    const h = fill(k.alloc(TB, H));
    const dW = k.alloc(G, H);
    const dzT = k.alloc(G, TB);
    const hT = k.alloc(H, TB);
    const hTp = k.allocPacked(hT);
    run('dzᵀ·h    1024×256×2048 (gemmAtB)', TB * G * H, () => k.gemmAtB(dW, dz, h));
    run('dzᵀ·h    1024×256×2048 (cold transposes + packed)', TB * G * H, () => {
      k.transpose(dzT, dz);
      k.transpose(hT, h);
      k.packRows4(hTp, hT);
      k.gemmABtPacked(dW, dzT, hTp);
    });
    // output layer: logits[2048×54] = h·W_hyᵀ; dh = dlogits·W_hy; dW_hy = dlogitsᵀ·h
    const Why = fill(k.alloc(V, H));
    const logits = fill(k.alloc(TB, V));
    const dH = k.alloc(TB, H);
    const dWhy = k.alloc(V, H);
    run('h·W_hyᵀ  2048×54×256 (gemmABt)', TB * V * H, () => k.gemmABt(logits, h, Why));
    run('dy·W_hy  2048×256×54 (gemmAB)', TB * V * H, () => k.gemmAB(dH, logits, Why));
    run('dyᵀ·h    54×256×2048 (gemmAtB)', TB * V * H, () => k.gemmAtB(dWhy, logits, h));
  }
  return out;
}

/** The LSTM training step on holmes: chars/s over CPU and wall time, and the time of each phase. */
function lstmStep(build, seconds) {
  const m = new FastLstm({ vocab: V, hidden: H, batch: B, unroll: T, lr: 2e-3, clipNorm: 5, build }, initLstmParams(V, H, makeRng(1)));
  let p = 0;
  const next = () => {
    if (p + T + 1 > per) p = 0;
    const c = chunk(p);
    p += T;
    return c;
  };
  const chunks = Array.from({ length: 32 }, next); // prepared in advance: the step alone is timed
  for (let i = 0; i < 3; i++) m.trainStep(chunks[i].x, chunks[i].y);
  const phases = new Map();
  let last = 0;
  const lap = (name) => {
    const t = cpuNow();
    phases.set(name, (phases.get(name) ?? 0) + (t - last));
    last = t;
  };
  let steps = 0;
  let loss = 0;
  const c0 = cpuNow();
  const w0 = performance.now();
  while (cpuNow() - c0 < seconds) {
    const c = chunks[steps % chunks.length];
    last = cpuNow();
    loss = m.trainStep(c.x, c.y, lap);
    steps++;
  }
  const cpu = cpuNow() - c0;
  const wall = (performance.now() - w0) / 1000;
  const chars = steps * T * B;
  const breakdown = Object.fromEntries([...phases].map(([k, v]) => [k, (v / steps) * 1000]));
  return { charsPerCpuSecond: chars / cpu, charsPerSecond: chars / wall, steps, lastLoss: loss, msPerStep: breakdown };
}

function torch(threads, seconds) {
  const script = fileURLToPath(new URL('bench/lstm_torch.py', root));
  const r = spawnSync(opts.python, [script, '--corpus', opts.corpus, '--threads', String(threads), '--seconds', String(seconds)], { encoding: 'utf8' });
  if (r.error) return { skipped: `${opts.python} not found (${r.error.code ?? r.error.message})` };
  if (r.status !== 0) return { skipped: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`) };
  const j = JSON.parse(r.stdout);
  return { charsPerSecond: j.chars_per_s, charsPerCpuSecond: threads === 1 ? j.chars / j.cpu_seconds : null, torch: j.torch };
}

// ---- run ------------------------------------------------------------------------------------------
const builds = relaxedSimdSupported() ? ['simd128', 'relaxed'] : ['simd128'];
const loadBefore = loadavg();
const runs = [];
for (let r = 0; r < opts.repeats; r++) {
  const run = { builds: {} };
  for (const build of builds) {
    log(`repeat ${r + 1}/${opts.repeats}: ${build} probes and products`);
    run.builds[build] = { peaks: peaks(build), gemms: gemms(build) };
    log(`repeat ${r + 1}/${opts.repeats}: ${build} LSTM step`);
    run.builds[build].lstm = lstmStep(build, opts.seconds);
  }
  if (opts.torch) {
    for (const threads of [1, 2]) {
      log(`repeat ${r + 1}/${opts.repeats}: torch, ${threads} thread(s)`);
      run[`torch${threads}`] = torch(threads, opts.seconds);
    }
  }
  runs.push(run);
}
const loadAfter = loadavg();

// medians over the repeats
const med = (get) => {
  const xs = runs.map(get).filter((v) => typeof v === 'number');
  return xs.length ? median(xs) : null;
};
const summary = { node: process.version, builds: {}, load: { before: loadBefore, after: loadAfter }, repeats: opts.repeats, seconds: opts.seconds, shape: { V, H, B, T } };
for (const build of builds) {
  const b = (r) => r.builds[build];
  const g0 = runs[0].builds[build].gemms;
  const ph0 = runs[0].builds[build].lstm.msPerStep;
  summary.builds[build] = {
    peak: { registers: med((r) => b(r).peaks.registers), l1: med((r) => b(r).peaks.l1), peak: med((r) => b(r).peaks.peak) },
    gemms: Object.fromEntries(Object.keys(g0).map((k) => [k, { gmacs: med((r) => b(r).gemms[k].gmacs), ofPeak: med((r) => b(r).gemms[k].ofPeak) }])),
    lstm: {
      charsPerCpuSecond: med((r) => b(r).lstm.charsPerCpuSecond),
      charsPerSecond: med((r) => b(r).lstm.charsPerSecond),
      msPerStep: Object.fromEntries(Object.keys(ph0).map((k) => [k, med((r) => b(r).lstm.msPerStep[k])])),
    },
  };
}
for (const threads of [1, 2]) {
  const key = `torch${threads}`;
  if (!opts.torch) summary[key] = { skipped: '--no-torch' };
  else if (runs.every((r) => r[key]?.skipped)) summary[key] = { skipped: runs[0][key].skipped };
  else summary[key] = { charsPerSecond: med((r) => r[key]?.charsPerSecond), charsPerCpuSecond: med((r) => r[key]?.charsPerCpuSecond), torch: runs.find((r) => r[key]?.torch)?.[key].torch };
}

if (opts.json) {
  process.stdout.write(`${JSON.stringify({ summary, runs }, null, 2)}\n`);
} else {
  const f = (v, d = 2) => (v == null ? '—' : v.toFixed(d));
  const out = [];
  out.push(`Node ${process.version}; medians of ${opts.repeats} repeats; load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`);
  for (const build of builds) {
    const s = summary.builds[build];
    out.push('', `[${build}] peak ${f(s.peak.peak)} GMAC/s (register chains ${f(s.peak.registers)}, L1 2×4 block ${f(s.peak.l1)}); per CPU second`);
    for (const [k, v] of Object.entries(s.gemms)) out.push(`  ${k.padEnd(50)} ${f(v.gmacs).padStart(6)} GMAC/s  ${f(100 * v.ofPeak, 0).padStart(3)} % of the L1 probe run beside it`);
    out.push(`  LSTM training step: ${f(s.lstm.charsPerCpuSecond, 0)} chars per CPU second (${f(s.lstm.charsPerSecond, 0)} per wall second)`);
    const total = Object.values(s.lstm.msPerStep).reduce((a, v) => a + v, 0);
    for (const [k, v] of Object.entries(s.lstm.msPerStep)) out.push(`    ${k.padEnd(24)} ${f(v).padStart(7)} ms  ${f((100 * v) / total, 0).padStart(3)} %`);
  }
  for (const threads of [1, 2]) {
    const t = summary[`torch${threads}`];
    if (t.skipped) out.push('', `torch, ${threads} thread(s): skipped: ${t.skipped}`);
    else out.push('', `torch ${t.torch}, ${threads} thread(s): ${f(t.charsPerSecond, 0)} chars/s${t.charsPerCpuSecond ? ` (${f(t.charsPerCpuSecond, 0)} per CPU second)` : ''}`);
  }
  const w = summary.builds.simd128.lstm;
  const t1 = summary.torch1;
  if (!t1.skipped) {
    out.push('', `wasm simd128 / torch 1 thread: ${f(w.charsPerSecond / t1.charsPerSecond)} (wall), ${f(w.charsPerCpuSecond / t1.charsPerCpuSecond)} (CPU time)`);
    const t2 = summary.torch2;
    if (!t2.skipped) out.push(`wasm simd128 (1 thread) / torch 2 threads: ${f(w.charsPerSecond / t2.charsPerSecond)} (wall)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
