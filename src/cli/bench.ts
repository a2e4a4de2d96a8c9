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
import { cpus } from 'node:os';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { createModel, type Backend } from '../backend/index.js';
import { RNN_DEFAULTS } from '../defaults.js';
import { UsageError } from '../errors.js';
import type { CharModel, RnnConfig } from '../model/types.js';
import { median } from '../util/stats.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkReplaceable, checkWritableFile, readHead } from '../util/outputs.js';
import { describeBlas, measureNumpy, probeNumpy, type NumpyInfo } from './benchNumpy.js';
import { ChunkCursor } from '../train/chunks.js';
import { lstmSection } from './benchLstm.js';
import { sweepSection } from './benchSweep.js';
import { loadCorpus } from './corpus.js';
import { positiveIntList, positiveInt, positiveNumber } from './options.js';

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
  /** Hidden sizes of each section: --hidden sets them all; else each section's own defaults (--quick: smaller). */
  hidden: number[];
  sweepHidden: number[];
  lstmHidden: number[];
  unroll: number;
  seconds: number;
  warmup: number;
  python: string;
  numpy: boolean;
  /** CSV file for the figures; null: not written (a --quick run without --out). */
  out: string | null;
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
/** The sweep section's grid of hidden sizes, and the LSTM section's size (--quick: a small one), unless --hidden says. */
const SWEEP_HIDDEN = [50, 100];
const LSTM_HIDDEN = { full: [256], quick: [64] } as const;
/** The corpus the README's figures are measured on, resolved like every command's ("holmes", CHARLAB_DATA_DIR). */
const DEFAULT_CORPUS = 'holmes';
/** Where a full bench writes its figures (the README's speed table); --quick writes only with --out. */
const DEFAULT_OUT = 'results/bench.csv';

interface RawOptions {
  corpus?: string;
  hidden?: number[];
  unroll?: number;
  seconds?: number;
  warmup?: number;
  python?: string;
  numpy?: boolean;
  out?: string;
  json?: boolean;
  quick?: boolean;
}

export function resolveBenchOptions(raw: RawOptions): BenchOptions {
  const quick = raw.quick === true;
  if (raw.out !== undefined && raw.out.trim() === '') throw new UsageError('--out needs a file name');
  return {
    corpus: raw.corpus ?? DEFAULT_CORPUS,
    hidden: raw.hidden ?? DEFAULT_HIDDEN,
    sweepHidden: raw.hidden ?? SWEEP_HIDDEN,
    lstmHidden: raw.hidden ?? [...LSTM_HIDDEN[quick ? 'quick' : 'full']],
    unroll: raw.unroll ?? RNN_DEFAULTS.unroll,
    seconds: raw.seconds ?? (quick ? 0.6 : 3),
    warmup: raw.warmup ?? (quick ? 0.2 : 0.75),
    python: raw.python ?? 'python3',
    numpy: raw.numpy !== false,
    // Quick figures are not comparable with the committed ones: they replace no file unless asked.
    out: raw.out ?? (quick ? null : DEFAULT_OUT),
    json: raw.json === true,
    quick,
  };
}

/** The corpus, resolved like the other commands' (a path, or a known name in CHARLAB_DATA_DIR), read whole. */
async function loadBenchCorpus(spec: string, unroll: number): Promise<BenchCorpus> {
  const { corpus, file } = await loadCorpus(spec, { baseDir: process.cwd(), validation: 0, minTrainChars: unroll + 2 });
  return { path: file.path, ids: corpus.ids, vocabSize: corpus.vocab.symbols.length };
}

// ---- measuring -------------------------------------------------------------------------------------

export interface Rate {
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

/** Issue 5's targets for wasm/numpy. */
const TARGETS: Record<number, number> = { 100: 5, 256: 3, 512: 1.5 };

function fmtRate(v: number | null | undefined): string {
  return v == null ? '—' : Math.round(v).toLocaleString('en-US');
}
function fmtRatio(v: number | null | undefined): string {
  return v == null ? '—' : `${v.toFixed(2)}×`;
}

interface TrainingRow {
  hidden: number;
  ref: number | null;
  wasm: number | null;
  np: number | null;
  npNote?: string;
}

/** What the numpy peer reported (version and BLAS), updated by each numpy measurement. */
interface NumpyFacts {
  probe: NumpyInfo;
  version?: string;
  blas?: unknown;
}

const ratioOf = (a: number | null, b: number | null) => (a != null && b != null && b > 0 ? a / b : null);

/** Both backends at one hidden size. */
function measureBackends(ctx: BenchContext, hidden: number, row: TrainingRow, out: Measurement[]): void {
  const { options: o, corpus } = ctx;
  const config: RnnConfig = { ...RNN_DEFAULTS, vocabSize: corpus.vocabSize, hiddenSize: hidden, unroll: o.unroll, seed: 1 };
  for (const backend of ['reference', 'wasm'] as const) {
    ctx.log(`hidden ${hidden}: ${backend} ...`);
    const r = measureBackend(backend, config, corpus.ids, o);
    out.push({
      section: 'training', subject: backend, metric: 'train_chars_per_sec', hidden, unroll: o.unroll,
      value: r.charsPerSec, unit: 'chars/s', chars: r.chars, seconds: r.seconds, cpuValue: r.cpuCharsPerSec,
    });
    if (backend === 'reference') row.ref = r.charsPerSec;
    else row.wasm = r.charsPerSec;
  }
}

/** The numpy peer at one hidden size (or a row saying why it was skipped). */
function measureNumpyRow(ctx: BenchContext, hidden: number, row: TrainingRow, np: NumpyFacts, out: Measurement[]): void {
  const o = ctx.options;
  const base = { section: 'training', subject: 'numpy', metric: 'train_chars_per_sec', hidden, unroll: o.unroll, unit: 'chars/s' };
  if (!np.probe.available) {
    row.npNote = np.probe.reason;
    out.push({ ...base, value: null, note: np.probe.reason });
    return;
  }
  ctx.log(`hidden ${hidden}: numpy ...`);
  const r = measureNumpy(hidden, o, ctx.corpus.path, WINDOWS);
  if ('error' in r) {
    row.npNote = `failed: ${r.error}`;
    out.push({ ...base, value: null, note: row.npNote });
    return;
  }
  row.np = r.charsPerSec;
  np.blas = r.raw.blas;
  np.version = String(r.raw.numpy ?? np.version);
  out.push({ ...base, value: r.charsPerSec, chars: r.chars, seconds: r.seconds, cpuValue: r.cpuCharsPerSec, note: `numpy ${np.version}; ${describeBlas(np.blas)}` });
}

/** The two ratios of a row: wasm against numpy (with its target) and against the reference. */
function ratioRows(row: TrainingRow, unroll: number): Measurement[] {
  const target = TARGETS[row.hidden];
  const wn = ratioOf(row.wasm, row.np);
  return [
    {
      section: 'training', subject: 'wasm/numpy', metric: 'ratio', hidden: row.hidden, unroll, value: wn, unit: 'x',
      note: target === undefined ? undefined : `target >= ${target}x: ${wn == null ? 'not measured' : wn >= target ? 'met' : 'missed'}`,
    },
    { section: 'training', subject: 'wasm/reference', metric: 'ratio', hidden: row.hidden, unroll, value: ratioOf(row.wasm, row.ref), unit: 'x' },
  ];
}

function renderTraining(title: string, ctx: BenchContext, rows: TrainingRow[], np: NumpyFacts): string {
  const { options: o, corpus } = ctx;
  const table = new Table({
    head: ['hidden', 'reference', 'wasm', 'numpy', 'wasm/numpy', 'target', 'wasm/reference'],
    colAligns: ['right', 'right', 'right', 'right', 'right', 'left', 'right'],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const wn = ratioOf(r.wasm, r.np);
    const t = TARGETS[r.hidden];
    const verdict = t === undefined ? '' : `≥ ${t}× ${wn == null ? '(no numpy)' : wn >= t ? 'met' : 'MISSED'}`;
    table.push([String(r.hidden), fmtRate(r.ref), fmtRate(r.wasm), r.np == null ? 'skipped' : fmtRate(r.np), fmtRatio(wn), verdict, fmtRatio(ratioOf(r.wasm, r.ref))]);
  }
  const notes = [
    `${title}, unroll ${o.unroll}, ${corpus.path} (V=${corpus.vocabSize}); median of ${WINDOWS} windows over ${o.seconds} s after ${o.warmup} s warm-up`,
    table.toString(),
  ];
  if (np.probe.available) notes.push(`numpy ${np.version ?? '?'}: ${describeBlas(np.blas)} (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset for it)`);
  else notes.push(`numpy peer ${np.probe.reason}`);
  for (const r of rows) if (r.npNote && np.probe.available) notes.push(`numpy at hidden ${r.hidden}: ${r.npNote}`);
  return notes.join('\n');
}

export const trainingSection: BenchSection = {
  name: 'training',
  title: 'Training throughput (characters per second)',
  async run(ctx) {
    const measurements: Measurement[] = [];
    const probe = probeNumpy(ctx.options);
    if (!probe.available) ctx.log(`numpy peer ${probe.reason}`);
    const np: NumpyFacts = { probe, version: probe.numpy };
    const rows: TrainingRow[] = [];
    for (const hidden of ctx.options.hidden) {
      const row: TrainingRow = { hidden, ref: null, wasm: null, np: null };
      measureBackends(ctx, hidden, row, measurements);
      measureNumpyRow(ctx, hidden, row, np, measurements);
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

/** The sections `charlab bench` runs, in order. */
export const SECTIONS: BenchSection[] = [trainingSection, sweepSection, lstmSection];

const CSV_COLUMNS = ['section', 'subject', 'metric', 'hidden', 'unroll', 'value', 'unit', 'chars', 'seconds', 'cpu_value', 'note'];

/** Whether the file at `path` is a table `charlab bench` wrote (its header line is bench's). */
export function isBenchCsv(path: string): boolean {
  return readHead(path, 512)?.toString('utf8').split(/\r?\n/, 1)[0] === CSV_COLUMNS.join(',');
}

export function measurementsToCsv(ms: Measurement[]): string {
  return stringify(
    ms.map((m) => [m.section, m.subject, m.metric, m.hidden, m.unroll, m.value, m.unit, m.chars, m.seconds, m.cpuValue, m.note]),
    { header: true, columns: CSV_COLUMNS },
  );
}

export async function runBench(o: BenchOptions, log: (msg: string) => void): Promise<{ results: { section: BenchSection; result: SectionResult }[]; corpus: BenchCorpus }> {
  const corpus = await loadBenchCorpus(o.corpus, o.unroll);
  const ctx: BenchContext = { options: o, corpus, log };
  const results: { section: BenchSection; result: SectionResult }[] = [];
  for (const section of SECTIONS) results.push({ section, result: await section.run(ctx) });
  return { results, corpus };
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Measure training throughput of the backends (reference, wasm) and of min-char-rnn in numpy, and a sweep\'s throughput with 1 and 2 workers')
    .option('--corpus <path>', `UTF-8 text file, or a known corpus name (default ${DEFAULT_CORPUS}, found in CHARLAB_DATA_DIR or downloaded)`)
    .option(
      '--hidden <list>',
      `comma-separated hidden sizes for every section (default: training ${DEFAULT_HIDDEN.join(',')}, sweep ${SWEEP_HIDDEN.join(',')}, ` +
        `lstm ${LSTM_HIDDEN.full.join(',')}; --quick: lstm ${LSTM_HIDDEN.quick.join(',')})`,
      positiveIntList,
    )
    .option('--unroll <n>', `characters per chunk (default ${RNN_DEFAULTS.unroll})`, positiveInt)
    .option('--seconds <s>', 'timed seconds per measurement (default 3, --quick 0.6)', positiveNumber)
    .option('--warmup <s>', 'warm-up seconds per measurement (default 0.75, --quick 0.2)', positiveNumber)
    .option('--quick', `short measurements and a small LSTM (${LSTM_HIDDEN.quick.join(',')} units); their figures are written only with --out (they do not replace ${DEFAULT_OUT})`)
    .option('--python <cmd>', 'Python interpreter for the numpy peer', 'python3')
    .option('--no-numpy', 'skip the numpy peer')
    .option('--out <file>', `CSV file for the figures (default ${DEFAULT_OUT}; none with --quick)`)
    .option('--json', 'print the figures as JSON instead of tables')
    .action(async (raw: RawOptions) => {
      const o = resolveBenchOptions(raw);
      if (o.out !== null) {
        // Before measuring: a file that can be written, and not one charlab did not write.
        checkWritableFile(o.out, '--out');
        checkReplaceable(o.out, isBenchCsv, "a charlab bench table (its header is bench's)", 'Choose another --out');
      }
      const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
      const { results, corpus } = await runBench(o, log);
      if (o.out !== null) writeFileAtomic(o.out, measurementsToCsv(results.flatMap((r) => r.result.measurements)));
      printBench(o, results, corpus);
      log(o.out !== null ? `wrote ${o.out}` : `--quick: figures not written (pass --out FILE to keep them)`);
    });
}

function printBench(o: BenchOptions, results: { section: BenchSection; result: SectionResult }[], corpus: BenchCorpus): void {
  const cpu = cpus()[0]?.model ?? null;
  if (o.json) {
    const sections = Object.fromEntries(results.map((r) => [r.section.name, { ...r.result.info, measurements: r.result.measurements }]));
    const doc = { corpus: corpus.path, vocabSize: corpus.vocabSize, unroll: o.unroll, seconds: o.seconds, warmup: o.warmup, node: process.version, cpu, sections };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  for (const r of results) process.stdout.write(`${r.result.render()}\n`);
  process.stdout.write(`node ${process.version}, ${cpu ?? 'unknown CPU'}${o.out !== null ? `; figures written to ${o.out}` : ''}\n`);
}
