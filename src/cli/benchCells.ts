/**
 * Bench section "cells": charlab's gated cells on the native backend against the same model and
 * loop in PyTorch CPU (bench/lstm_torch.py): 1 layer, 32 streams, unroll 64, Adam 2e-3, clip by
 * norm, for LSTM 256, LSTM 512 and GRU 512 (--quick: LSTM 64; --hidden: an LSTM of each size); charlab through createModel, exactly as a run trains.
 * Per shape, native at 1 and 2 threads and PyTorch at 1 and 2 threads (torch.set_num_threads) are
 * measured in turn, and the turn is repeated (--repeats): each figure is the median over the
 * repeats, so the others' load on a shared machine falls on all alike, and the ratios compare
 * figures taken minutes apart at most. The first shape (LSTM 256) also runs on wasm and on the other x86 path
 * (AVX2 beside AVX-512). The peer is skipped with a message where torch does not import.
 *
 * Every figure says how many cores it had (CPU seconds of all its threads per wall second): on a
 * shared machine another process often holds one of the two, and a 2-thread turn that had 1.1 cores
 * measures that process. So 2 threads against 1 is given twice: the median over all turns, and the
 * median over the turns where the 2-thread run had both cores (≥ 1.8), which is what the target asks.
 *
 * Also the kernels' multiply-add rate per second of CPU time (1 thread) against the FMA peak of
 * the same ISA measured by the addon's probe (register-resident fused multiply-add chains), as
 * the wasm figures used to be given against SIMD128's. MACs per trained character (V symbols, H
 * units, nG gate blocks, products only): forward h·W_hᵀ nG·H², output h·W_hyᵀ V·H; backward
 * dz·W_h nG·H², ∂W_h nG·H², ∂W_hy V·H, dh V·H.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { createModel, type Backend } from '../backend/index.js';
import { nativeAddon, nativeStatus } from '../backend/nativeAddon.js';
import type { CellName } from '../model/cells/index.js';
import type { CharModel, RnnConfig } from '../model/types.js';
import { StreamCursor } from '../train/chunks.js';
import { median } from '../util/stats.js';
import type { BenchContext, BenchSection, CellShape, Measurement, Rate } from './benchTypes.js';

const TORCH_SCRIPT = new URL('../../bench/lstm_torch.py', import.meta.url);
const RUN = { batch: 32, unroll: 64, lr: 2e-3, clipNorm: 5 } as const;
/** Issue 20's targets. */
const TARGETS = { vsTorch: 1.2, twoThreads: 1.8, ofPeak: 0.6 };

/** What is measured: charlab on a backend (ISA, threads), or PyTorch at a thread count. */
interface Subject {
  key: string;
  label: string;
  kind: 'charlab' | 'torch';
  backend?: Backend;
  isa?: string;
  threads: number;
}

type Result = Rate | { skipped: string };

export const macsPerChar = (cell: CellName, V: number, H: number): number =>
  3 * (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1) * H * H + 3 * V * H;
const loadText = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** The subjects of one shape: native 1 and 2 threads and PyTorch 1 and 2 threads; the first shape (LSTM 256 by default) adds wasm and the other x86 ISA. */
function subjectsOf(first: boolean, isas: string[]): Subject[] {
  const native = isas.length > 0;
  const out: Subject[] = [];
  if (native)
    out.push({
      key: 'native-1t',
      label: `native ${isas[0]}, 1 thread`,
      kind: 'charlab',
      backend: 'native',
      isa: isas[0],
      threads: 1,
    });
  out.push({ key: 'torch-1t', label: 'PyTorch, 1 thread', kind: 'torch', threads: 1 });
  if (native)
    out.push({
      key: 'native-2t',
      label: `native ${isas[0]}, 2 threads`,
      kind: 'charlab',
      backend: 'native',
      isa: isas[0],
      threads: 2,
    });
  out.push({ key: 'torch-2t', label: 'PyTorch, 2 threads', kind: 'torch', threads: 2 });
  if (first) {
    const other = isas.find((i) => i === (isas[0] === 'avx512' ? 'avx2' : 'avx512'));
    if (other)
      out.push({
        key: `native-1t-${other}`,
        label: `native ${other}, 1 thread`,
        kind: 'charlab',
        backend: 'native',
        isa: other,
        threads: 1,
      });
    out.push({ key: 'wasm', label: 'wasm (simd128), 1 thread', kind: 'charlab', backend: 'wasm', threads: 1 });
  }
  return out;
}

/** A model trained over the corpus in B streams: each call trains `seconds` more and returns the rate. */
function charlabTrainer(ctx: BenchContext, shape: CellShape, s: Subject): (seconds: number) => Rate {
  const { corpus } = ctx;
  const config: RnnConfig = {
    vocabSize: corpus.vocabSize,
    hiddenSize: shape.hidden,
    unroll: RUN.unroll,
    learningRate: RUN.lr,
    clip: Infinity,
    seed: 1,
    cell: shape.cell,
    batch: RUN.batch,
    optimizer: 'adam',
    clipNorm: RUN.clipNorm,
  };
  const model: CharModel = createModel(s.backend!, config, undefined, { threads: s.threads, isa: s.isa });
  const cursor = new StreamCursor(corpus.ids.length, RUN.unroll, RUN.batch);
  return (seconds) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let chars = 0;
    do {
      const step = cursor.next();
      if (step.reset) model.resetHidden();
      model.trainChunk(corpus.ids, step.starts, step.len);
      chars += step.len * RUN.batch;
    } while (performance.now() - t0 < seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { charsPerSec: chars / wall, cpuCharsPerSec: chars / ((cpu.user + cpu.system) / 1e6), chars, seconds: wall };
  };
}

/** PyTorch for `seconds` at s.threads threads (one window), or why not. */
function torchRun(ctx: BenchContext, shape: CellShape, s: Subject, seconds: number): Result {
  const { corpus, options: o } = ctx;
  const args = [
    fileURLToPath(TORCH_SCRIPT),
    '--corpus',
    corpus.path,
    '--cell',
    shape.cell,
    '--hidden',
    String(shape.hidden),
    '--threads',
    String(s.threads),
    '--seconds',
    String(seconds),
    '--windows',
    '1',
  ];
  const r = spawnSync(o.python, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error)
    return { skipped: `${o.python} not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { skipped: (r.stderr || `exit status ${r.status}`).trim().split('\n').pop() ?? '' };
  const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | string>;
  const chars = Number(j.chars);
  return {
    charsPerSec: Number(j.chars_per_s),
    cpuCharsPerSec: chars / Number(j.cpu_seconds),
    chars,
    seconds: Number(j.seconds),
  };
}

/** The FMA peak of an ISA (GMAC/s per CPU second): the best of a few probe calls. */
export function fmaPeak(isa: string): number {
  let best = 0;
  for (let i = 0; i < 5; i++) {
    const c0 = process.cpuUsage();
    const macs = nativeAddon().peakProbe(isa, 2e7);
    const c = process.cpuUsage(c0);
    best = Math.max(best, macs / ((c.user + c.system) / 1e6) / 1e9);
  }
  return best;
}

/** Medians over the repeats, per subject. */
function medianRate(rs: Result[]): Result {
  const ok = rs.filter((r): r is Rate => !('skipped' in r));
  if (ok.length === 0) return rs[0];
  return {
    charsPerSec: median(ok.map((r) => r.charsPerSec)),
    cpuCharsPerSec: median(ok.map((r) => r.cpuCharsPerSec ?? 0)),
    chars: ok.reduce((a, r) => a + r.chars, 0),
    seconds: ok.reduce((a, r) => a + r.seconds, 0),
  };
}

/** Cores a measurement had: its CPU seconds (every thread) per wall second. */
const coresOf = (r: Result | undefined): number | null =>
  r && !('skipped' in r) && r.cpuCharsPerSec ? r.charsPerSec / r.cpuCharsPerSec : null;

/** A shape's figures: per subject the median over the turns, and each turn's. */
interface ShapeResults {
  got: Map<string, Result>;
  turns: Map<string, Result[]>;
}

/** Every subject of a shape, in turn, `repeats` times (after a warm-up of each charlab model). */
function measureShape(ctx: BenchContext, shape: CellShape, subjects: Subject[]): ShapeResults {
  const o = ctx.options;
  const trainers = new Map(
    subjects.filter((s) => s.kind === 'charlab').map((s) => [s.key, charlabTrainer(ctx, shape, s)]),
  );
  for (const t of trainers.values()) t(o.warmup);
  const runs = new Map<string, Result[]>(subjects.map((s) => [s.key, []]));
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const s of subjects) {
      ctx.log(`cells: ${shape.cell} ${shape.hidden}, ${s.label} (${rep + 1}/${o.repeats}) ...`);
      runs.get(s.key)!.push(s.kind === 'torch' ? torchRun(ctx, shape, s, o.seconds) : trainers.get(s.key)!(o.seconds));
    }
  }
  return { got: new Map([...runs].map(([k, rs]) => [k, medianRate(rs)])), turns: runs };
}

/**
 * 2 threads against 1 in the turns where the 2-thread run had both cores (CPU seconds ≥ 1.8 per wall
 * second): what two cores give. On a shared machine another process often holds one of them; a turn
 * where it did measures the other process, not the threads. The median over those turns, or null.
 */
function bothCoresRatio(turns: Map<string, Result[]>): { value: number | null; note: string } {
  const [two, one] = [turns.get('native-2t') ?? [], turns.get('native-1t') ?? []];
  const pairs = two.map((r, i) => ({ ratio: ratio(rateOf(r), rateOf(one[i])), cores: coresOf(r) }));
  const full = pairs.filter((p) => p.ratio !== null && (p.cores ?? 0) >= 1.8).map((p) => p.ratio!);
  const each = pairs
    .map(
      (p) => `${p.ratio === null ? '—' : p.ratio.toFixed(2)}× on ${p.cores === null ? '?' : p.cores.toFixed(2)} cores`,
    )
    .join(', ');
  return { value: full.length > 0 ? median(full) : null, note: `turns: ${each}` };
}

const rateOf = (r: Result | undefined): number | null => (r && !('skipped' in r) ? r.charsPerSec : null);
const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
const verdict = (v: number | null, target: number) =>
  `target >= ${target}x: ${v === null ? 'not measured' : v >= target ? 'met' : 'missed'}`;

/** Each subject's training rate on one shape (or why it was skipped). */
function rateRows(
  base: { section: string; hidden: number; unroll: number },
  name: string,
  subjects: Subject[],
  got: ShapeResults['got'],
): Measurement[] {
  return subjects.map((s) => {
    const r = got.get(s.key)!;
    if ('skipped' in r)
      return {
        ...base,
        subject: `${name} ${s.key}`,
        metric: 'train_chars_per_sec',
        value: null,
        unit: 'chars/s',
        note: `skipped: ${r.skipped}`,
      };
    const cores = `${coresOf(r)?.toFixed(2) ?? '?'} cores (CPU s per wall s)`;
    return {
      ...base,
      subject: `${name} ${s.key}`,
      metric: 'train_chars_per_sec',
      value: r.charsPerSec,
      unit: 'chars/s',
      chars: r.chars,
      seconds: r.seconds,
      cpuValue: s.threads === 1 ? r.cpuCharsPerSec : null,
      note: `${s.label}; ${cores}`,
    };
  });
}

/** The measurement rows of one shape: rates, ratios against the targets, GMAC/s against the peak. */
function shapeRows(
  ctx: BenchContext,
  shape: CellShape,
  first: boolean,
  subjects: Subject[],
  { got, turns }: ShapeResults,
  peaks: Map<string, number>,
): Measurement[] {
  const base = { section: 'cells', hidden: shape.hidden, unroll: RUN.unroll };
  const name = `${shape.cell}${shape.hidden}`;
  const m = rateRows(base, name, subjects, got);
  const g = (k: string) => rateOf(got.get(k));
  const ratios: [string, number | null, number | undefined][] = [
    ['native-1t/torch-1t', ratio(g('native-1t'), g('torch-1t')), TARGETS.vsTorch],
    ['native-2t/torch-2t', ratio(g('native-2t'), g('torch-2t')), TARGETS.vsTorch],
    ['native-2t/native-1t', ratio(g('native-2t'), g('native-1t')), first ? TARGETS.twoThreads : undefined],
  ];
  if (got.has('wasm')) ratios.push(['native-1t/wasm', ratio(g('native-1t'), g('wasm')), undefined]);
  for (const [subject, value, target] of ratios)
    m.push({
      ...base,
      subject: `${name} ${subject}`,
      metric: 'ratio',
      value,
      unit: 'x',
      note: target === undefined ? undefined : verdict(value, target),
    });
  const both = bothCoresRatio(turns);
  const target = first ? `; ${verdict(both.value, TARGETS.twoThreads)}` : '';
  m.push({
    ...base,
    subject: `${name} native-2t/native-1t (both cores)`,
    metric: 'ratio',
    value: both.value,
    unit: 'x',
    note: `median over the turns where 2 threads had both cores${target}; ${both.note}`,
  });
  const macs = macsPerChar(shape.cell, ctx.corpus.vocabSize, shape.hidden);
  for (const s of subjects.filter((x) => x.kind === 'charlab' && x.threads === 1 && x.backend === 'native')) {
    const r = got.get(s.key)!;
    if ('skipped' in r) continue;
    const gmacs = ((r.cpuCharsPerSec ?? 0) * macs) / 1e9;
    const peak = peaks.get(s.isa!) ?? NaN;
    m.push({
      ...base,
      subject: `${name} ${s.key}`,
      metric: 'gmac_per_cpu_sec',
      value: gmacs,
      unit: 'GMAC/s',
      note: `${macs} MACs per character; ${((100 * gmacs) / peak).toFixed(0)}% of the ${s.isa} FMA peak (target >= ${100 * TARGETS.ofPeak}%)`,
    });
  }
  return m;
}

export const cellsSection: BenchSection = {
  name: 'cells',
  title: 'Gated cells against PyTorch CPU (1 layer, batch 32, unroll 64, Adam 2e-3, clip by norm)',
  async run(ctx) {
    const loadBefore = loadText();
    const native = nativeStatus();
    const isas = native.available ? native.isas.filter((i) => i !== 'scalar' && i !== 'sse2').slice(0, 2) : [];
    if (!native.available) ctx.log(`cells: native backend not available (${native.reason}): wasm and PyTorch only`);
    const peaks = new Map(isas.map((isa) => [isa, fmaPeak(isa)]));
    const m: Measurement[] = [];
    const tables: { shape: CellShape; subjects: Subject[]; got: Map<string, Result> }[] = [];
    for (const [i, shape] of ctx.options.cellShapes.entries()) {
      const subjects = subjectsOf(i === 0, isas);
      const results = measureShape(ctx, shape, subjects);
      tables.push({ shape, subjects, got: results.got });
      m.push(...shapeRows(ctx, shape, i === 0, subjects, results, peaks));
    }
    for (const [isa, peak] of peaks)
      m.push({
        section: 'cells',
        subject: `fma-peak ${isa}`,
        metric: 'gmac_per_cpu_sec',
        value: peak,
        unit: 'GMAC/s',
        note: 'native/rows.inc peak_probe: 12 register-resident fused multiply-add chains',
      });
    const loadAfter = loadText();
    for (const x of m)
      x.note = [x.note, `load average before ${loadBefore}, after ${loadAfter}`].filter(Boolean).join('; ');
    return {
      measurements: m,
      info: { loadBefore, loadAfter, peaks: Object.fromEntries(peaks) },
      render: () =>
        renderCells(this.title, ctx, tables, m, `load average (1, 5, 15 min) before ${loadBefore}, after ${loadAfter}`),
    };
  },
};

function renderCells(
  title: string,
  ctx: BenchContext,
  tables: { shape: CellShape; subjects: Subject[]; got: Map<string, Result> }[],
  m: Measurement[],
  load: string,
): string {
  const fmt = (v: number | null | undefined) => (v == null ? '—' : Math.round(v).toLocaleString('en-US'));
  const lines = [
    `${title}; ${ctx.corpus.path} (V=${ctx.corpus.vocabSize}); median of ${ctx.options.repeats} turns of ${ctx.options.seconds} s each`,
  ];
  for (const { shape, subjects, got } of tables) {
    const head = [
      `${shape.cell.toUpperCase()} ${shape.hidden}`,
      'chars/s (wall)',
      'chars/s (CPU)',
      'GMAC/s (wall)',
      'cores used',
    ];
    const table = new Table({
      head,
      colAligns: ['left', 'right', 'right', 'right', 'right'],
      style: { head: [], border: [] },
    });
    const macs = macsPerChar(shape.cell, ctx.corpus.vocabSize, shape.hidden);
    for (const s of subjects) {
      const r = got.get(s.key)!;
      if ('skipped' in r) table.push([s.label, `skipped: ${r.skipped.slice(0, 40)}`, '', '', '']);
      else
        table.push([
          s.label,
          fmt(r.charsPerSec),
          s.threads === 1 ? fmt(r.cpuCharsPerSec) : '',
          ((r.charsPerSec * macs) / 1e9).toFixed(1),
          coresOf(r)?.toFixed(2) ?? '',
        ]);
    }
    lines.push(table.toString());
    const name = `${shape.cell}${shape.hidden} `;
    for (const x of m.filter((y) => y.subject.startsWith(name) && y.metric !== 'train_chars_per_sec')) {
      const v =
        x.value == null
          ? 'not measured'
          : x.unit === 'x'
            ? `${x.value.toFixed(2)}×`
            : `${x.value.toFixed(1)} ${x.unit}`;
      lines.push(
        `  ${x.subject.slice(name.length)}: ${v}${x.note && !x.note.startsWith('load') ? ` (${x.note.split('; load')[0]})` : ''}`,
      );
    }
  }
  for (const x of m.filter((y) => y.subject.startsWith('fma-peak')))
    lines.push(`${x.subject}: ${x.value!.toFixed(1)} GMAC/s per CPU second (register-resident fused multiply-adds)`);
  lines.push(
    `${load} (the machine is shared: wall-time rates move with it; the turns interleave the subjects so the ratios compare like with like)`,
  );
  return lines.join('\n');
}
