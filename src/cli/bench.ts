/**
 * `charlab bench`: throughput measurements, one run, several sections.
 *
 * A section measures something and returns a list of Measurement rows; the command prints each
 * section's table (or everything as JSON with --json) and writes all rows to one CSV. To add a
 * section, implement BenchSection and append it to SECTIONS.
 *
 * Section "training": characters per second of training (forward, backward, clip, Adagrad, in
 * min-char-rnn's loop over the corpus) for each backend at several hidden sizes — the reference,
 * wasm (min-char-rnn's fused fast path), wasm's host model on the same configuration (what the
 * fast path is measured against), native (1 thread) — and the same algorithm in numpy
 * (bench/min_char_rnn.py, run with python3 when python3 and numpy are available;
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from that child's environment).
 * Each measurement: a warm-up, then `seconds` of training cut into 3 windows; the figure is the
 * median window's rate (less sensitive to other load on the machine than the mean).
 */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { backendLine } from './doctor.js';
import { RNN_DEFAULTS } from '../defaults.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkReplaceable, checkWritableFile, readHead } from '../util/outputs.js';
import { cellsSection } from './benchCells.js';
import { trainingSection } from './benchTraining.js';
import { sweepSection } from './benchSweep.js';
import { loadCorpus } from './corpus.js';
import { positiveIntList, positiveInt, positiveNumber } from './options.js';
import type {
  BenchContext,
  BenchCorpus,
  BenchOptions,
  BenchSection,
  CellShape,
  Measurement,
  SectionResult,
} from './benchTypes.js';

export type {
  BenchContext,
  BenchCorpus,
  BenchOptions,
  BenchSection,
  CellShape,
  Measurement,
  Rate,
  SectionResult,
} from './benchTypes.js';

// ---- options -------------------------------------------------------------------------------------

const DEFAULT_HIDDEN = [100, 256, 512];
/** The sweep section's grid of hidden sizes, and the cells section's shapes (--quick: a small LSTM), unless --hidden says. */
const SWEEP_HIDDEN = [50, 100];
const CELL_SHAPES: { full: CellShape[]; quick: CellShape[] } = {
  full: [
    { cell: 'lstm', hidden: 256 },
    { cell: 'lstm', hidden: 512 },
    { cell: 'gru', hidden: 512 },
  ],
  quick: [{ cell: 'lstm', hidden: 64 }],
};
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
  repeats?: number;
  sections?: string[];
  python?: string;
  numpy?: boolean;
  out?: string;
  json?: boolean;
  quick?: boolean;
}

export function resolveBenchOptions(raw: RawOptions): BenchOptions {
  const quick = raw.quick === true;
  const unknown = (raw.sections ?? []).filter((s) => !SECTIONS.some((x) => x.name === s));
  if (unknown.length > 0)
    throw new UsageError(
      `--sections: no section ${unknown.join(', ')} (sections: ${SECTIONS.map((s) => s.name).join(', ')})`,
    );
  if (raw.out !== undefined && raw.out.trim() === '') throw new UsageError('--out needs a file name');
  return {
    corpus: raw.corpus ?? DEFAULT_CORPUS,
    hidden: raw.hidden ?? DEFAULT_HIDDEN,
    sweepHidden: raw.hidden ?? SWEEP_HIDDEN,
    cellShapes:
      raw.hidden?.map((hidden) => ({ cell: 'lstm' as const, hidden })) ??
      CELL_SHAPES[quick ? 'quick' : 'full'].map((x) => ({ ...x })),
    unroll: raw.unroll ?? RNN_DEFAULTS.unroll,
    seconds: raw.seconds ?? (quick ? 0.6 : 3),
    warmup: raw.warmup ?? (quick ? 0.2 : 0.75),
    repeats: raw.repeats ?? (quick ? 1 : 2),
    sections: raw.sections ?? SECTIONS.map((s) => s.name),
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

/** The sections `charlab bench` runs, in order. */
export const SECTIONS: BenchSection[] = [trainingSection, sweepSection, cellsSection];

const CSV_COLUMNS = [
  'section',
  'subject',
  'metric',
  'hidden',
  'unroll',
  'value',
  'unit',
  'chars',
  'seconds',
  'cpu_value',
  'note',
];

/** Whether the file at `path` is a table `charlab bench` wrote (its header line is bench's). */
export function isBenchCsv(path: string): boolean {
  return readHead(path, 512)?.toString('utf8').split(/\r?\n/, 1)[0] === CSV_COLUMNS.join(',');
}

export function measurementsToCsv(ms: Measurement[]): string {
  return stringify(
    ms.map((m) => [
      m.section,
      m.subject,
      m.metric,
      m.hidden,
      m.unroll,
      m.value,
      m.unit,
      m.chars,
      m.seconds,
      m.cpuValue,
      m.note,
    ]),
    { header: true, columns: CSV_COLUMNS },
  );
}

export async function runBench(
  o: BenchOptions,
  log: (msg: string) => void,
): Promise<{ results: { section: BenchSection; result: SectionResult }[]; corpus: BenchCorpus }> {
  const corpus = await loadBenchCorpus(o.corpus, o.unroll);
  const ctx: BenchContext = { options: o, corpus, log };
  const results: { section: BenchSection; result: SectionResult }[] = [];
  for (const section of SECTIONS.filter((s) => o.sections.includes(s.name)))
    results.push({ section, result: await section.run(ctx) });
  return { results, corpus };
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      "Measure training throughput: every backend in min-char-rnn's configuration beside numpy, a sweep with 1 and 2 workers, and the native gated cells beside PyTorch",
    )
    .option(
      '--corpus <path>',
      `UTF-8 text file, or a known corpus name (default ${DEFAULT_CORPUS}, found in CHARLAB_DATA_DIR or downloaded)`,
    )
    .option(
      '--hidden <list>',
      `comma-separated hidden sizes for every section (default: training ${DEFAULT_HIDDEN.join(',')}, sweep ${SWEEP_HIDDEN.join(',')}, ` +
        `cells ${CELL_SHAPES.full.map((x) => `${x.cell} ${x.hidden}`).join(', ')}; --quick: cells lstm ${CELL_SHAPES.quick[0].hidden}; with --hidden, cells measures an LSTM of each size)`,
      positiveIntList,
    )
    .option('--unroll <n>', `characters per chunk (default ${RNN_DEFAULTS.unroll})`, positiveInt)
    .option('--seconds <s>', 'timed seconds per measurement (default 3, --quick 0.6)', positiveNumber)
    .option('--warmup <s>', 'warm-up seconds per measurement (default 0.75, --quick 0.2)', positiveNumber)
    .option(
      '--sections <list>',
      `comma-separated sections to run (default all: ${SECTIONS.map((s) => s.name).join(',')})`,
      (v: string) => v.split(',').map((x) => x.trim()),
    )
    .option(
      '--repeats <n>',
      'turns over the subjects compared in section "cells" (default 2, --quick 1); figures are medians',
      positiveInt,
    )
    .option(
      '--quick',
      `short measurements and a small LSTM in section cells; their figures are written only with --out (they do not replace ${DEFAULT_OUT})`,
    )
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

function printBench(
  o: BenchOptions,
  results: { section: BenchSection; result: SectionResult }[],
  corpus: BenchCorpus,
): void {
  const cpu = cpus()[0]?.model ?? null;
  if (o.json) {
    const sections = Object.fromEntries(
      results.map((r) => [r.section.name, { ...r.result.info, measurements: r.result.measurements }]),
    );
    const doc = {
      corpus: corpus.path,
      vocabSize: corpus.vocabSize,
      unroll: o.unroll,
      seconds: o.seconds,
      warmup: o.warmup,
      node: process.version,
      cpu,
      backend: backendLine(),
      sections,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${backendLine()}\n`);
  for (const r of results) process.stdout.write(`${r.result.render()}\n`);
  process.stdout.write(
    `node ${process.version}, ${cpu ?? 'unknown CPU'}${o.out !== null ? `; figures written to ${o.out}` : ''}\n`,
  );
}
