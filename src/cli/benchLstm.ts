/**
 * Bench section "lstm": issue 11's speed target. charlab's wasm LSTM (1 layer, 256 units — 64 with
 * --quick, each --hidden size when given —, 32 streams, unroll 64, Adam 2e-3, gradient-norm clip 5; src/backend/ladderModel.ts through
 * createModel, exactly as a run trains it) against the same model in PyTorch CPU
 * (bench/lstm_torch.py) at 1 thread (torch.set_num_threads(1)) and 2 threads, in the same run, as
 * ratios. The peer is skipped with a message where torch does not import.
 *
 * Also the kernels' achieved multiply-add rate, against the SIMD128 peak on this CPU measured by
 * the kernels' own probe (assembly/ladder.ts peakProbe, register-resident f32x4 chains), both per
 * second of CPU time. MACs per trained character (V symbols, H units, products only):
 *   forward  h·W_hhᵀ 4H·H, output h·W_hyᵀ V·H;  backward dz·W_hh 4H·H, dW_hh 4H·H, dW_hy V·H, dh V·H
 * The machine's load average (os.loadavg, as `uptime` prints it) is recorded with the figures.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { createModel } from '../backend/index.js';
import { LadderKernels } from '../backend/ladderKernels.js';
import type { RnnConfig } from '../model/types.js';
import { StreamCursor } from '../train/chunks.js';
import { median } from '../util/stats.js';
import type { BenchContext, BenchSection, Measurement, Rate } from './bench.js';

const TORCH_SCRIPT = new URL('../../bench/lstm_torch.py', import.meta.url);
/** The shape measured; the hidden size is the section's option (default 256, --quick 64, --hidden: each given size). */
const SHAPE = { batch: 32, unroll: 64, lr: 2e-3, clipNorm: 5 } as const;
const WINDOWS = 3;
/** Issue 11's target: charlab on one thread at least this fraction of PyTorch on one thread. */
const TARGET_1T = 0.5;

/** The wasm LSTM of `hidden` units trained over the corpus in B streams for warm-up, then `seconds` in WINDOWS windows. */
function measureWasm(ctx: BenchContext, hidden: number): Rate {
  const { corpus, options: o } = ctx;
  const config: RnnConfig = {
    vocabSize: corpus.vocabSize, hiddenSize: hidden, unroll: SHAPE.unroll, learningRate: SHAPE.lr,
    clip: Infinity, seed: 1, cell: 'lstm', batch: SHAPE.batch, optimizer: 'adam', clipNorm: SHAPE.clipNorm,
  };
  const model = createModel('wasm', config);
  const cursor = new StreamCursor(corpus.ids.length, SHAPE.unroll, SHAPE.batch);
  const train = (seconds: number) => {
    const t0 = performance.now();
    let chars = 0;
    do {
      const s = cursor.next();
      if (s.reset) model.resetHidden();
      model.trainChunk(corpus.ids, s.starts, s.len);
      chars += s.len * SHAPE.batch;
    } while (performance.now() - t0 < seconds * 1000);
    return { chars, seconds: (performance.now() - t0) / 1000 };
  };
  train(o.warmup);
  const cpu0 = process.cpuUsage();
  const windows = Array.from({ length: WINDOWS }, () => train(o.seconds / WINDOWS));
  const cpu = process.cpuUsage(cpu0);
  const chars = windows.reduce((s, w) => s + w.chars, 0);
  const seconds = windows.reduce((s, w) => s + w.seconds, 0);
  return { charsPerSec: median(windows.map((w) => w.chars / w.seconds)), cpuCharsPerSec: chars / ((cpu.user + cpu.system) / 1e6), chars, seconds };
}

/** PyTorch at `threads` threads, or why not. */
function measureTorch(ctx: BenchContext, hidden: number, threads: number): (Rate & { torch: string }) | { skipped: string } {
  const { corpus, options: o } = ctx;
  const args = [fileURLToPath(TORCH_SCRIPT), '--corpus', corpus.path, '--hidden', String(hidden), '--threads', String(threads), '--seconds', String(o.seconds), '--windows', String(WINDOWS)];
  const r = spawnSync(o.python, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error) return { skipped: `${o.python} not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { skipped: (r.stderr || `exit status ${r.status}`).trim().split('\n').pop() ?? '' };
  const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | string>;
  const chars = Number(j.chars);
  return { charsPerSec: Number(j.chars_per_s), cpuCharsPerSec: chars / Number(j.cpu_seconds), chars, seconds: Number(j.seconds), torch: String(j.torch) };
}

/** The SIMD128 peak (GMAC/s per CPU second): the best of a few probe calls. */
function simdPeak(): number {
  const k = new LadderKernels('simd128');
  let best = 0;
  for (let i = 0; i < 5; i++) {
    const c0 = process.cpuUsage();
    const macs = k.peakProbe(2e7);
    const c = process.cpuUsage(c0);
    best = Math.max(best, macs / ((c.user + c.system) / 1e6) / 1e9);
  }
  return best;
}

const macsPerChar = (V: number, H: number) => 3 * 4 * H * H + 3 * V * H;
const fmt = (v: number | null) => (v == null ? '—' : Math.round(v).toLocaleString('en-US'));
const loadText = () => loadavg().map((x) => x.toFixed(2)).join(', ');

type Torch = ReturnType<typeof measureTorch>;

/** One hidden size: the wasm LSTM and PyTorch at 1 and 2 threads, their ratios and the kernels' multiply-add rate. */
function measureSize(ctx: BenchContext, hidden: number, peak: number): { m: Measurement[]; wasm: Rate; torch: Record<number, Torch>; achieved: number } {
  const base = { section: 'lstm', hidden, unroll: SHAPE.unroll };
  const m: Measurement[] = [];
  ctx.log(`lstm ${hidden}: wasm ...`);
  const wasm = measureWasm(ctx, hidden);
  m.push({ ...base, subject: 'wasm', metric: 'train_chars_per_sec', value: wasm.charsPerSec, unit: 'chars/s', chars: wasm.chars, seconds: wasm.seconds, cpuValue: wasm.cpuCharsPerSec, note: 'batch 32, simd128 build' });
  const torch: Record<number, Torch> = {};
  for (const threads of [1, 2]) {
    ctx.log(`lstm ${hidden}: torch, ${threads} thread(s) ...`);
    const t = (torch[threads] = measureTorch(ctx, hidden, threads));
    const subject = `torch-${threads}t`;
    if ('skipped' in t) m.push({ ...base, subject, metric: 'train_chars_per_sec', value: null, unit: 'chars/s', note: `skipped: ${t.skipped}` });
    else m.push({ ...base, subject, metric: 'train_chars_per_sec', value: t.charsPerSec, unit: 'chars/s', chars: t.chars, seconds: t.seconds, cpuValue: t.cpuCharsPerSec, note: `torch ${t.torch}` });
    const ratio = 'skipped' in t ? null : wasm.charsPerSec / t.charsPerSec;
    const note = threads === 1 ? `target >= ${TARGET_1T}x: ${ratio == null ? 'not measured' : ratio >= TARGET_1T ? 'met' : 'missed'}` : undefined;
    // per CPU second only at 1 thread (2 threads' CPU seconds are not wall seconds)
    const cpuRatio = 'skipped' in t || threads !== 1 ? null : wasm.cpuCharsPerSec! / t.cpuCharsPerSec!;
    m.push({ ...base, subject: `wasm/${subject}`, metric: 'ratio', value: ratio, unit: 'x', cpuValue: cpuRatio, note });
  }
  const macs = macsPerChar(ctx.corpus.vocabSize, hidden);
  const achieved = (wasm.cpuCharsPerSec! * macs) / 1e9;
  m.push({ ...base, subject: 'wasm', metric: 'gmac_per_cpu_sec', value: achieved, unit: 'GMAC/s', note: `${macs} MACs per character; ${((100 * achieved) / peak).toFixed(0)}% of the SIMD128 peak` });
  return { m, wasm, torch, achieved };
}

export const lstmSection: BenchSection = {
  name: 'lstm',
  title: 'LSTM training against PyTorch CPU (1 layer, batch 32, unroll 64, Adam 2e-3, clipNorm 5)',
  async run(ctx) {
    const loadBefore = loadText();
    const peak = simdPeak();
    const sizes = ctx.options.lstmHidden.map((hidden) => ({ hidden, ...measureSize(ctx, hidden, peak) }));
    const m = sizes.flatMap((x) => x.m);
    m.push({ section: 'lstm', unroll: SHAPE.unroll, subject: 'simd128-peak', metric: 'gmac_per_cpu_sec', value: peak, unit: 'GMAC/s', note: 'assembly/ladder.ts peakProbe: register-resident f32x4 multiply and add chains' });
    const loadAfter = loadText();
    for (const x of m) x.note = [x.note, `load average before ${loadBefore}, after ${loadAfter}`].filter(Boolean).join('; ');
    return {
      measurements: m,
      info: { loadBefore, loadAfter, peakGmacs: peak, achievedGmacs: Object.fromEntries(sizes.map((x) => [x.hidden, x.achieved])) },
      render: () => sizes.map((x) => renderLstm(`${this.title}, ${x.hidden} units`, ctx, x.wasm, x.torch, x.achieved, peak, loadBefore, loadAfter)).join('\n'),
    };
  },
};

function renderLstm(
  title: string, ctx: BenchContext, wasm: Rate, torch: Record<number, Torch>,
  achieved: number, peak: number, loadBefore: string, loadAfter: string,
): string {
  const table = new Table({ head: ['subject', 'chars/s (wall)', 'chars/s (CPU)', 'wasm / it (wall)', 'wasm / it (CPU)'], colAligns: ['left', 'right', 'right', 'right', 'right'], style: { head: [], border: [] } });
  table.push(['charlab wasm, 1 thread', fmt(wasm.charsPerSec), fmt(wasm.cpuCharsPerSec), '', '']);
  const notes: string[] = [];
  for (const threads of [1, 2]) {
    const t = torch[threads];
    if ('skipped' in t) {
      table.push([`PyTorch, ${threads} thread(s)`, 'skipped', '', '', '']);
      notes.push(`PyTorch ${threads} thread(s) skipped: ${t.skipped}`);
    } else {
      const cpuRatio = threads === 1 ? `${(wasm.cpuCharsPerSec! / t.cpuCharsPerSec!).toFixed(2)}×` : '';
      table.push([`PyTorch ${t.torch}, ${threads} thread(s)`, fmt(t.charsPerSec), threads === 1 ? fmt(t.cpuCharsPerSec) : '', `${(wasm.charsPerSec / t.charsPerSec).toFixed(2)}×`, cpuRatio]);
    }
  }
  return [
    `${title}; ${ctx.corpus.path} (V=${ctx.corpus.vocabSize}); median of ${WINDOWS} windows over ${ctx.options.seconds} s`,
    table.toString(),
    ...notes,
    `target: wasm ≥ ${TARGET_1T}× PyTorch on 1 thread`,
    `kernels: ${achieved.toFixed(1)} GMAC/s per CPU second, ${((100 * achieved) / peak).toFixed(0)}% of the SIMD128 peak ${peak.toFixed(1)} GMAC/s (register-resident probe)`,
    `load average (1, 5, 15 min) before ${loadBefore}, after ${loadAfter} (the machine is shared: wall-time rates move with it; CPU-time rates less)`,
  ].join('\n');
}
