/**
 * Bench section "training": min-char-rnn's loop over the corpus (one stream, Adagrad, clip 5, unroll
 * 16) at several hidden sizes, on every backend, beside the same algorithm in numpy:
 *   reference   the Float64 model
 *   wasm        the wasm backend: min-char-rnn's fused kernels, its named fast path for this configuration
 *   wasm-host   the one host model on the wasm kernels, the same configuration: what the fast path is
 *               kept for (wasm/wasm-host > 1 is its margin)
 *   native      the native backend: min-char-rnn's fused native kernels, its named fast path for this
 *               configuration (one thread: one stream has nothing to share)
 *   native-host the one host model on the native kernels, the same configuration, 1 thread
 *               (native/native-host > 1 is the fast path's margin)
 *   numpy       bench/min_char_rnn.py
 * Targets: native ≥ 2× wasm at hidden 100 (issue 20); wasm ≥ 5×, 3×, 1.5× numpy at 100, 256, 512 (issue 5).
 */
import Table from 'cli-table3';
import { createModel } from '../backend/index.js';
import { KernelModel } from '../backend/kernelModel.js';
import { nativeStatus } from '../backend/nativeAddon.js';
import { NativeKernels } from '../backend/nativeKernels.js';
import { WasmKernels } from '../backend/wasmKernels.js';
import { RNN_DEFAULTS } from '../defaults.js';
import type { CharModel, RnnConfig } from '../model/types.js';
import type { BenchContext, BenchSection, Measurement } from './benchTypes.js';
import { measureModel, WINDOWS } from './benchRate.js';
import { describeBlas, fieldText, measureNumpy, probeNumpy, type NumpyInfo } from './benchNumpy.js';

const TARGETS = {
  nativeOverWasm: { 100: 2 } as Record<number, number>,
  wasmOverNumpy: { 100: 5, 256: 3, 512: 1.5 } as Record<number, number>,
};
type Subject = 'reference' | 'wasm' | 'wasm-host' | 'native' | 'native-host' | 'numpy';
type Row = { hidden: number; npNote?: string } & Partial<Record<Subject, number | null>>;

/** What the numpy peer reported (version and BLAS), updated by each numpy measurement. */
interface NumpyFacts {
  probe: NumpyInfo;
  version?: string;
  blas?: unknown;
}

const ratioOf = (a: number | null | undefined, b: number | null | undefined) =>
  a != null && b != null && b > 0 ? a / b : null;
const fmtRate = (v: number | null | undefined) => (v == null ? '—' : Math.round(v).toLocaleString('en-US'));
const fmtRatio = (v: number | null | undefined) => (v == null ? '—' : `${v.toFixed(2)}×`);

/** The charlab subjects' models for one configuration (native where its addon is built). */
function models(config: RnnConfig): [Subject, () => CharModel][] {
  const out: [Subject, () => CharModel][] = [
    ['reference', () => createModel('reference', config)],
    ['wasm', () => createModel('wasm', config)],
    ['wasm-host', () => new KernelModel(config, undefined, new WasmKernels())],
  ];
  if (nativeStatus().available) {
    out.push(['native', () => createModel('native', config, undefined, { threads: 1 })]);
    out.push(['native-host', () => new KernelModel(config, undefined, new NativeKernels({ threads: 1 }))]);
  }
  return out;
}

/** Every charlab subject at one hidden size. */
function measureCharlab(ctx: BenchContext, row: Row, out: Measurement[]): void {
  const { options: o, corpus } = ctx;
  const config: RnnConfig = {
    ...RNN_DEFAULTS,
    vocabSize: corpus.vocabSize,
    hiddenSize: row.hidden,
    unroll: o.unroll,
    seed: 1,
  };
  for (const [subject, make] of models(config)) {
    ctx.log(`hidden ${row.hidden}: ${subject} ...`);
    const r = measureModel(make(), corpus.ids, o);
    out.push({
      section: 'training',
      subject,
      metric: 'train_chars_per_sec',
      hidden: row.hidden,
      unroll: o.unroll,
      value: r.charsPerSec,
      unit: 'chars/s',
      chars: r.chars,
      seconds: r.seconds,
      cpuValue: r.cpuCharsPerSec,
    });
    row[subject] = r.charsPerSec;
  }
}

/** The numpy peer at one hidden size (or a row saying why it was skipped). */
function measureNumpyRow(ctx: BenchContext, row: Row, np: NumpyFacts, out: Measurement[]): void {
  const o = ctx.options;
  const base = {
    section: 'training',
    subject: 'numpy',
    metric: 'train_chars_per_sec',
    hidden: row.hidden,
    unroll: o.unroll,
    unit: 'chars/s',
  };
  if (!np.probe.available) {
    row.npNote = np.probe.reason;
    out.push({ ...base, value: null, note: np.probe.reason });
    return;
  }
  ctx.log(`hidden ${row.hidden}: numpy ...`);
  const r = measureNumpy(row.hidden, o, ctx.corpus.path, WINDOWS);
  if ('error' in r) {
    row.npNote = `failed: ${r.error}`;
    out.push({ ...base, value: null, note: row.npNote });
    return;
  }
  row.numpy = r.charsPerSec;
  np.blas = r.raw.blas;
  np.version = fieldText(r.raw.numpy, np.version);
  out.push({
    ...base,
    value: r.charsPerSec,
    chars: r.chars,
    seconds: r.seconds,
    cpuValue: r.cpuCharsPerSec,
    note: `numpy ${np.version}; ${describeBlas(np.blas)}`,
  });
}

const verdict = (v: number | null, target: number | undefined) =>
  target === undefined
    ? undefined
    : `target >= ${target}x: ${v == null ? 'not measured' : v >= target ? 'met' : 'missed'}`;

/** A row's ratios: native/wasm and wasm/numpy against their targets, the fast paths' margins, wasm/reference. */
function ratioRows(row: Row, unroll: number): Measurement[] {
  const r: [string, number | null, number | undefined][] = [
    ['native/wasm', ratioOf(row.native, row.wasm), TARGETS.nativeOverWasm[row.hidden]],
    ['native/native-host', ratioOf(row.native, row['native-host']), undefined],
    ['wasm/wasm-host', ratioOf(row.wasm, row['wasm-host']), undefined],
    ['wasm/numpy', ratioOf(row.wasm, row.numpy), TARGETS.wasmOverNumpy[row.hidden]],
    ['wasm/reference', ratioOf(row.wasm, row.reference), undefined],
  ];
  return r.map(([subject, value, target]) => ({
    section: 'training',
    subject,
    metric: 'ratio',
    hidden: row.hidden,
    unroll,
    value,
    unit: 'x',
    note: verdict(value, target),
  }));
}

function renderTraining(title: string, ctx: BenchContext, rows: Row[], np: NumpyFacts): string {
  const { options: o, corpus } = ctx;
  const head = [
    'hidden',
    'reference',
    'wasm',
    'wasm host',
    'native',
    'native host',
    'numpy',
    'native/wasm',
    'native/native host',
    'wasm/wasm host',
    'wasm/numpy',
  ];
  const table = new Table({
    head,
    colAligns: head.map(() => 'right' as const),
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const np = r.numpy == null ? 'skipped' : fmtRate(r.numpy);
    table.push([
      String(r.hidden),
      fmtRate(r.reference),
      fmtRate(r.wasm),
      fmtRate(r['wasm-host']),
      fmtRate(r.native),
      fmtRate(r['native-host']),
      np,
      fmtRatio(ratioOf(r.native, r.wasm)),
      fmtRatio(ratioOf(r.native, r['native-host'])),
      fmtRatio(ratioOf(r.wasm, r['wasm-host'])),
      fmtRatio(ratioOf(r.wasm, r.numpy)),
    ]);
  }
  const notes = [
    `${title}, unroll ${o.unroll}, ${corpus.path} (V=${corpus.vocabSize}); median of ${WINDOWS} windows over ${o.seconds} s after ${o.warmup} s warm-up`,
    table.toString(),
    `targets: native ≥ ${TARGETS.nativeOverWasm[100]}× wasm at hidden 100; wasm ≥ 5×, 3×, 1.5× numpy at 100, 256, 512. wasm and native are min-char-rnn's fused fast paths; "wasm host" and "native host" the one host model on each backend's kernels`,
  ];
  if (np.probe.available)
    notes.push(
      `numpy ${np.version ?? '?'}: ${describeBlas(np.blas)} (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset for it)`,
    );
  else notes.push(`numpy peer ${np.probe.reason}`);
  for (const r of rows) if (r.npNote && np.probe.available) notes.push(`numpy at hidden ${r.hidden}: ${r.npNote}`);
  return notes.join('\n');
}

export const trainingSection: BenchSection = {
  name: 'training',
  title: "Training throughput in min-char-rnn's configuration (characters per second)",
  async run(ctx) {
    const measurements: Measurement[] = [];
    const probe = probeNumpy(ctx.options);
    if (!probe.available) ctx.log(`numpy peer ${probe.reason}`);
    const np: NumpyFacts = { probe, version: probe.numpy };
    const rows: Row[] = [];
    for (const hidden of ctx.options.hidden) {
      const row: Row = { hidden };
      measureCharlab(ctx, row, measurements);
      measureNumpyRow(ctx, row, np, measurements);
      measurements.push(...ratioRows(row, ctx.options.unroll));
      rows.push(row);
    }
    return {
      measurements,
      info: { numpy: probe.available ? { version: np.version, blas: np.blas } : { skipped: probe.reason } },
      render: () => renderTraining(this.title, ctx, rows, np),
    };
  },
};
