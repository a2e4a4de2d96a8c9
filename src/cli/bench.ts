/**
 * `charlab bench`: throughput measurements, one run, several sections.
 *
 * A section measures something and returns a list of Measurement rows; the command prints each
 * section's table (or everything as JSON with --json) and writes all rows to one CSV. To add a
 * section, implement BenchSection and append it to SECTIONS.
 *
 * Section "training": characters per second of training (forward, backward, clip, Adagrad, in
 * min-char-rnn's loop over the corpus) for each backend at several hidden sizes, and the same
 * algorithm in numpy (bench/min_char_rnn.py, run with python3 when python3 and numpy are
 * available; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from that child's environment).
 * Each measurement: a warm-up, then `seconds` of training cut into 3 windows; the figure is the
 * median window's rate (less sensitive to other load on the machine than the mean).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { createModel, type Backend } from '../backend/index.js';
import { buildVocab, encode } from '../corpus/vocab.js';
import { fsErrorToCorpusError } from '../data/load.js';
import { CorpusError, UsageError } from '../errors.js';
import type { CharModel, RnnConfig } from '../model/types.js';
import { RNN_DEFAULTS } from '../model/types.js';
import { ChunkCursor } from '../train/chunks.js';
import { sweepSection } from './benchSweep.js';

/** One figure. Rows of every section share these columns (unused ones stay empty). */
export interface Measurement {
  section: string;
  /** What was measured: a backend ('wasm', 'reference', 'numpy') or a ratio ('wasm/numpy'). */
  subject: string;
  metric: string; // e.g. 'train_chars_per_sec', 'ratio'
  hidden?: number;
  unroll?: number;
  value: number | null; // null: not measured (see note)
  unit: string;
  /** Characters processed and wall seconds of the timed part. */
  chars?: number;
  seconds?: number;
  /** The same rate over process CPU time instead of wall time. */
  cpuValue?: number | null;
  note?: string;
}

export interface BenchOptions {
  corpus: string;
  hidden: number[];
  unroll: number;
  seconds: number;
  warmup: number;
  python: string;
  numpy: boolean;
  out: string;
  json: boolean;
  quick: boolean;
}

export interface BenchCorpus {
  path: string;
  ids: Int32Array;
  vocabSize: number;
}

export interface BenchContext {
  options: BenchOptions;
  corpus: BenchCorpus;
  /** Progress messages (stderr). */
  log(msg: string): void;
}

export interface BenchSection {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}

export interface SectionResult {
  measurements: Measurement[];
  /** Human-readable rendering (a table and notes) for the terminal. */
  render(): string;
  /** Extra facts for --json (e.g. the numpy BLAS). */
  info?: Record<string, unknown>;
}

// ---- options -------------------------------------------------------------------------------------

const DEFAULT_HIDDEN = [100, 256, 512];
const SHARED_HOLMES = '../shared/corpora/holmes.txt';
const LOCAL_HOLMES = 'data/holmes.txt';
const PY_SCRIPT = new URL('../../bench/min_char_rnn.py', import.meta.url);

function defaultCorpus(): string {
  return existsSync(SHARED_HOLMES) ? SHARED_HOLMES : LOCAL_HOLMES;
}

function parsePositiveInt(name: string, raw: string): number {
  const v = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(v) || v < 1) {
    throw new UsageError(`${name} must be a positive integer, got '${raw}'`);
  }
  return v;
}

function parsePositive(name: string, raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UsageError(`${name} must be a positive number, got '${raw}'`);
  return v;
}

interface RawOptions {
  corpus?: string;
  hidden?: string;
  unroll?: string;
  seconds?: string;
  warmup?: string;
  python?: string;
  numpy?: boolean;
  out?: string;
  json?: boolean;
  quick?: boolean;
}

export function resolveBenchOptions(raw: RawOptions): BenchOptions {
  const quick = raw.quick === true;
  const hidden =
    raw.hidden === undefined
      ? DEFAULT_HIDDEN
      : raw.hidden.split(',').map((s) => parsePositiveInt('--hidden', s));
  if (hidden.length === 0) throw new UsageError('--hidden needs at least one size');
  const seconds = raw.seconds === undefined ? (quick ? 0.6 : 3) : parsePositive('--seconds', raw.seconds);
  const warmup = raw.warmup === undefined ? (quick ? 0.2 : 0.75) : parsePositive('--warmup', raw.warmup);
  const out = raw.out ?? 'results/bench.csv';
  if (out.trim() === '') throw new UsageError('--out needs a file name');
  return {
    corpus: raw.corpus ?? defaultCorpus(),
    hidden,
    unroll: raw.unroll === undefined ? RNN_DEFAULTS.unroll : parsePositiveInt('--unroll', raw.unroll),
    seconds,
    warmup,
    python: raw.python ?? 'python3',
    numpy: raw.numpy !== false,
    out,
    json: raw.json === true,
    quick,
  };
}

function loadCorpus(path: string, unroll: number): BenchCorpus {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fsErrorToCorpusError(path, err);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const vocab = buildVocab(text);
  const ids = encode(text, vocab);
  if (ids.length < unroll + 2) throw new CorpusError(path, `too short for unroll ${unroll}: ${ids.length} characters`);
  return { path, ids, vocabSize: vocab.symbols.length };
}

// ---- measuring -------------------------------------------------------------------------------------

interface Rate {
  charsPerSec: number;
  cpuCharsPerSec: number | null;
  chars: number;
  seconds: number;
}

/** Trains on ids in min-char-rnn's chunks (src/train/chunks.ts), for a given time. */
class Trainer {
  private readonly chunks: ChunkCursor;
  constructor(
    private readonly model: CharModel,
    private readonly ids: Int32Array,
    unroll: number,
  ) {
    this.chunks = new ChunkCursor(ids.length, unroll);
  }

  /** Trains until `seconds` have passed (at least one chunk); returns characters and wall seconds. */
  run(seconds: number): { chars: number; seconds: number } {
    const { model, ids, chunks } = this;
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    let chars = 0;
    do {
      const c = chunks.next();
      if (c.reset) model.resetHidden();
      model.trainChunk(ids, c.start, c.len);
      chars += c.len;
    } while (performance.now() < until);
    return { chars, seconds: (performance.now() - t0) / 1000 };
  }
}

const WINDOWS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measureBackend(backend: Backend, config: RnnConfig, ids: Int32Array, o: BenchOptions): Rate {
  const trainer = new Trainer(createModel(backend, config), ids, config.unroll);
  trainer.run(o.warmup);
  const rates: number[] = [];
  let chars = 0;
  let seconds = 0;
  const cpu0 = process.cpuUsage();
  for (let w = 0; w < WINDOWS; w++) {
    const r = trainer.run(o.seconds / WINDOWS);
    rates.push(r.chars / r.seconds);
    chars += r.chars;
    seconds += r.seconds;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { charsPerSec: median(rates), cpuCharsPerSec: cpuSeconds > 0 ? chars / cpuSeconds : null, chars, seconds };
}

interface NumpyInfo {
  available: boolean;
  reason?: string;
  numpy?: string;
  python?: string;
  blas?: unknown;
}

/** The numpy peer's environment: this process's, minus the OpenBLAS core-type overrides. */
function numpyEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function probeNumpy(o: BenchOptions): NumpyInfo {
  if (!o.numpy) return { available: false, reason: 'skipped: --no-numpy' };
  const script = fileURLToPath(PY_SCRIPT);
  if (!existsSync(script)) return { available: false, reason: `skipped: ${script} is missing` };
  const r = spawnSync(o.python, ['-c', 'import numpy, sys; print(numpy.__version__)'], { env: numpyEnv(), encoding: 'utf8' });
  if (r.error) return { available: false, reason: `skipped: ${o.python} not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { available: false, reason: `skipped: numpy does not import with ${o.python} (${last})` };
  }
  return { available: true, numpy: r.stdout.trim() };
}

interface NumpyRun extends Rate {
  raw: Record<string, unknown>;
}

function measureNumpy(hidden: number, o: BenchOptions, corpus: string): NumpyRun | { error: string } {
  const args = [
    fileURLToPath(PY_SCRIPT),
    '--corpus', corpus,
    '--hidden', String(hidden),
    '--unroll', String(o.unroll),
    '--seconds', String(o.seconds),
    '--warmup-seconds', String(o.warmup),
    '--windows', String(WINDOWS),
  ];
  const r = spawnSync(o.python, args, { env: numpyEnv(), encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: (r.stderr || `exit status ${r.status}`).trim().split('\n').pop() ?? '' };
  try {
    const raw = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
    return {
      raw,
      charsPerSec: Number(raw.chars_per_sec),
      cpuCharsPerSec: raw.cpu_chars_per_sec == null ? null : Number(raw.cpu_chars_per_sec),
      chars: Number(raw.chars),
      seconds: Number(raw.seconds),
    };
  } catch {
    return { error: `unreadable output: ${r.stdout.slice(0, 200)}` };
  }
}

/** Issue 5's targets for wasm/numpy. */
const TARGETS: Record<number, number> = { 100: 5, 256: 3, 512: 1.5 };

function fmtRate(v: number | null | undefined): string {
  return v == null ? '—' : Math.round(v).toLocaleString('en-US');
}
function fmtRatio(v: number | null | undefined): string {
  return v == null ? '—' : `${v.toFixed(2)}×`;
}

function describeBlas(blas: unknown): string {
  if (blas === null || typeof blas !== 'object') return 'unknown BLAS';
  const b = blas as Record<string, unknown>;
  const parts = [`${b.name ?? 'BLAS'} ${b.version ?? ''}`.trim()];
  const rt = b.runtime as Record<string, unknown> | undefined;
  if (rt) parts.push(`runtime core ${rt.corename ?? '?'}, ${rt.num_threads ?? '?'} thread(s)`);
  const tp = b.threadpoolctl as Record<string, unknown>[] | undefined;
  if (tp) for (const lib of tp) parts.push(`${lib.internal_api} ${lib.version} ${lib.architecture ?? ''}, ${lib.num_threads} thread(s)`);
  return parts.join('; ');
}

export const trainingSection: BenchSection = {
  name: 'training',
  title: 'Training throughput (characters per second)',
  async run(ctx) {
    const { options: o, corpus } = ctx;
    const section = this.name;
    const measurements: Measurement[] = [];
    const numpy = probeNumpy(o);
    if (!numpy.available) ctx.log(`numpy peer ${numpy.reason}`);
    let blas: unknown;
    let numpyVersion = numpy.numpy;
    const rows: { hidden: number; ref: number | null; wasm: number | null; np: number | null; npNote?: string }[] = [];
    for (const hidden of o.hidden) {
      const config: RnnConfig = { ...RNN_DEFAULTS, vocabSize: corpus.vocabSize, hiddenSize: hidden, unroll: o.unroll, seed: 1 };
      const row: (typeof rows)[number] = { hidden, ref: null, wasm: null, np: null };
      for (const backend of ['reference', 'wasm'] as const) {
        ctx.log(`hidden ${hidden}: ${backend} ...`);
        const r = measureBackend(backend, config, corpus.ids, o);
        measurements.push({
          section, subject: backend, metric: 'train_chars_per_sec', hidden, unroll: o.unroll,
          value: r.charsPerSec, unit: 'chars/s', chars: r.chars, seconds: r.seconds, cpuValue: r.cpuCharsPerSec,
        });
        if (backend === 'reference') row.ref = r.charsPerSec;
        else row.wasm = r.charsPerSec;
      }
      if (numpy.available) {
        ctx.log(`hidden ${hidden}: numpy ...`);
        const r = measureNumpy(hidden, o, corpus.path);
        if ('error' in r) {
          row.npNote = `failed: ${r.error}`;
          measurements.push({ section, subject: 'numpy', metric: 'train_chars_per_sec', hidden, unroll: o.unroll, value: null, unit: 'chars/s', note: row.npNote });
        } else {
          row.np = r.charsPerSec;
          blas = r.raw.blas;
          numpyVersion = String(r.raw.numpy ?? numpyVersion);
          measurements.push({
            section, subject: 'numpy', metric: 'train_chars_per_sec', hidden, unroll: o.unroll,
            value: r.charsPerSec, unit: 'chars/s', chars: r.chars, seconds: r.seconds, cpuValue: r.cpuCharsPerSec,
            note: `numpy ${numpyVersion}; ${describeBlas(blas)}`,
          });
        }
      } else {
        row.npNote = numpy.reason;
        measurements.push({ section, subject: 'numpy', metric: 'train_chars_per_sec', hidden, unroll: o.unroll, value: null, unit: 'chars/s', note: numpy.reason });
      }
      const ratio = (a: number | null, b: number | null) => (a != null && b != null && b > 0 ? a / b : null);
      const target = TARGETS[hidden];
      const wn = ratio(row.wasm, row.np);
      measurements.push({
        section, subject: 'wasm/numpy', metric: 'ratio', hidden, unroll: o.unroll, value: wn, unit: 'x',
        note: target === undefined ? undefined : `target >= ${target}x: ${wn == null ? 'not measured' : wn >= target ? 'met' : 'missed'}`,
      });
      measurements.push({ section, subject: 'wasm/reference', metric: 'ratio', hidden, unroll: o.unroll, value: ratio(row.wasm, row.ref), unit: 'x' });
      rows.push(row);
    }
    return {
      measurements,
      info: { numpy: numpy.available ? { version: numpyVersion, blas } : { skipped: numpy.reason } },
      render: () => {
        const table = new Table({
          head: ['hidden', 'reference', 'wasm', 'numpy', 'wasm/numpy', 'target', 'wasm/reference'],
          colAligns: ['right', 'right', 'right', 'right', 'right', 'left', 'right'],
          style: { head: [], border: [] },
        });
        for (const r of rows) {
          const wn = r.wasm != null && r.np != null ? r.wasm / r.np : null;
          const t = TARGETS[r.hidden];
          const verdict = t === undefined ? '' : `≥ ${t}× ${wn == null ? '(no numpy)' : wn >= t ? 'met' : 'MISSED'}`;
          table.push([
            String(r.hidden),
            fmtRate(r.ref),
            fmtRate(r.wasm),
            r.np == null ? 'skipped' : fmtRate(r.np),
            fmtRatio(wn),
            verdict,
            fmtRatio(r.ref != null && r.wasm != null ? r.wasm / r.ref : null),
          ]);
        }
        const notes = [
          `${this.title}, unroll ${o.unroll}, ${corpus.path} (V=${corpus.vocabSize}); median of ${WINDOWS} windows over ${o.seconds} s after ${o.warmup} s warm-up`,
          table.toString(),
        ];
        if (numpy.available) notes.push(`numpy ${numpyVersion ?? '?'}: ${describeBlas(blas)} (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset for it)`);
        else notes.push(`numpy peer ${numpy.reason}`);
        for (const r of rows) if (r.npNote && numpy.available) notes.push(`numpy at hidden ${r.hidden}: ${r.npNote}`);
        return notes.join('\n');
      },
    };
  },
};

/** The sections `charlab bench` runs, in order. */
export const SECTIONS: BenchSection[] = [trainingSection, sweepSection];

const CSV_COLUMNS = ['section', 'subject', 'metric', 'hidden', 'unroll', 'value', 'unit', 'chars', 'seconds', 'cpu_value', 'note'];

export function measurementsToCsv(ms: Measurement[]): string {
  return stringify(
    ms.map((m) => [m.section, m.subject, m.metric, m.hidden, m.unroll, m.value, m.unit, m.chars, m.seconds, m.cpuValue, m.note]),
    { header: true, columns: CSV_COLUMNS },
  );
}

export async function runBench(o: BenchOptions, log: (msg: string) => void): Promise<{ results: { section: BenchSection; result: SectionResult }[]; corpus: BenchCorpus }> {
  const corpus = loadCorpus(o.corpus, o.unroll);
  const ctx: BenchContext = { options: o, corpus, log };
  const results: { section: BenchSection; result: SectionResult }[] = [];
  for (const section of SECTIONS) results.push({ section, result: await section.run(ctx) });
  return { results, corpus };
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Measure training throughput of the backends (reference, wasm) and of min-char-rnn in numpy, and a sweep\'s throughput with 1 and 2 workers')
    .option('--corpus <path>', `training text (default ${SHARED_HOLMES} if it exists, else ${LOCAL_HOLMES})`)
    .option('--hidden <list>', 'comma-separated hidden sizes', DEFAULT_HIDDEN.join(','))
    .option('--unroll <n>', 'characters per chunk', String(RNN_DEFAULTS.unroll))
    .option('--seconds <s>', 'timed seconds per measurement (default 3, --quick 0.6)')
    .option('--warmup <s>', 'warm-up seconds per measurement (default 0.75, --quick 0.2)')
    .option('--quick', 'short measurements')
    .option('--python <cmd>', 'Python interpreter for the numpy peer', 'python3')
    .option('--no-numpy', 'skip the numpy peer')
    .option('--out <file>', 'CSV file for the figures', 'results/bench.csv')
    .option('--json', 'print the figures as JSON instead of tables')
    .action(async (raw: RawOptions) => {
      const o = resolveBenchOptions(raw);
      const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
      const { results, corpus } = await runBench(o, log);
      const all = results.flatMap((r) => r.result.measurements);
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, measurementsToCsv(all));
      if (o.json) {
        const doc = {
          corpus: corpus.path,
          vocabSize: corpus.vocabSize,
          unroll: o.unroll,
          seconds: o.seconds,
          warmup: o.warmup,
          node: process.version,
          cpu: cpus()[0]?.model ?? null,
          sections: Object.fromEntries(results.map((r) => [r.section.name, { ...r.result.info, measurements: r.result.measurements }])),
        };
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      } else {
        for (const r of results) process.stdout.write(`${r.result.render()}\n`);
        process.stdout.write(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}; figures written to ${o.out}\n`);
      }
      log(`wrote ${o.out}`);
    });
}
