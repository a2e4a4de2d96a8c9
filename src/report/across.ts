/**
 * A report across corpora (pure): one table of models × corpora from several results folders, each
 * folder a column with its own text and its own baselines — never one leaderboard across texts.
 *
 *   per corpus:  its best configuration (mean held-out bpc over its seeds), the best order of its
 *                Markov ladder (baselines.csv: orders trained on that folder's own budget of its own
 *                text) and Δ = best configuration − best Markov order;
 *   per model:   each configuration found in any folder (run ids without the seed), its mean
 *                held-out bpc on each corpus it ran on and its Δ to that corpus's best Markov order.
 * A folder without baselines.csv (swept before the ladder existed) falls back to its runs' own
 * order-k baseline, and says so.
 */
import { fmtBpc, fmtDelta, fmtInt, mdText } from './format.js';
import type { ReportData } from './types.js';

/** One folder as a column. */
export interface AcrossCorpus {
  dir: string;
  /** "warpeace (first 1,100,000 characters)", "holmes". */
  label: string;
  /** The column's heading: the label, with the folder's name when another column has the same label. */
  column: string;
  /** sha256 of the text read (a slice's own). */
  sha256: string | null;
  chars: number | null;
  heldOut: number | null;
  budget: number | null;
  /** The baseline Δ is measured against: the ladder's best order, or the runs' own order-k baseline. */
  markov: { order: number | null; bpc: number; source: 'ladder' | 'runs' } | null;
  best: { configId: string; mean: number; sd: number | null; n: number } | null;
}

/** One model (configuration) as a row: its mean score on each corpus (null: not run there). */
export interface AcrossModel {
  configId: string;
  cells: Array<{ mean: number; n: number; delta: number | null } | null>;
}

export interface AcrossTable {
  corpora: AcrossCorpus[];
  models: AcrossModel[];
}

/** The corpus's name: a known corpus's, or the file's; with its slice. */
function corpusLabel(data: ReportData): string {
  const c = data.facts.corpus;
  const path = typeof c?.path === 'string' ? c.path : null;
  const name = path === null ? 'unknown corpus' : lastPart(path).replace(/\.txt$/, '');
  const slice = c?.slice && typeof c.slice.chars === 'number' ? ` (first ${fmtInt(c.slice.chars)} characters)` : '';
  return `${name}${slice}`;
}

/** The last part of a path: "data/holmes.txt" -> "holmes.txt", "results/small-corpus/" -> "small-corpus". */
function lastPart(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((p) => p !== '')
      .at(-1) ?? path
  );
}

function corpusOf(data: ReportData): AcrossCorpus {
  const c = data.facts.corpus;
  const best = data.grouping.configs.find((x) => x.rank === 1 && x.mean !== null);
  const ladder = data.ladder?.best;
  const own = data.baselines[0];
  const markov =
    ladder && ladder.valBpc !== null
      ? { order: ladder.order, bpc: ladder.valBpc, source: 'ladder' as const }
      : own
        ? { order: own.order, bpc: own.bpc, source: 'runs' as const }
        : null;
  const label = corpusLabel(data);
  return {
    dir: data.dirs[0],
    label,
    column: label,
    sha256: typeof c?.sha256 === 'string' ? c.sha256 : null,
    chars: typeof c?.chars === 'number' ? c.chars : null,
    heldOut: typeof c?.validationChars === 'number' ? c.validationChars : null,
    budget: data.facts.budgetChars,
    markov,
    best: best ? { configId: best.configId, mean: best.mean as number, sd: best.sd, n: best.n } : null,
  };
}

/** The table from one ReportData per folder (each built from that folder alone). */
export function acrossTable(reports: ReportData[]): AcrossTable {
  const corpora = reports.map(corpusOf);
  for (const c of corpora)
    if (corpora.some((o) => o !== c && o.label === c.label)) c.column = `${c.label}, ${lastPart(c.dir)}`;
  const ids: string[] = [];
  for (const r of reports)
    for (const c of r.grouping.configs) if (c.mean !== null && !ids.includes(c.configId)) ids.push(c.configId);
  const models = ids.map((configId) => ({
    configId,
    cells: reports.map((r, i) => {
      const c = r.grouping.configs.find((x) => x.configId === configId && x.mean !== null);
      if (!c) return null;
      const markov = corpora[i].markov;
      return { mean: c.mean as number, n: c.n, delta: markov ? (c.mean as number) - markov.bpc : null };
    }),
  }));
  // Best first: by the mean Δ over the corpora a model ran on (models without a Δ last).
  const meanDelta = (m: AcrossModel) => {
    const ds = m.cells.flatMap((c) => (c && c.delta !== null ? [c.delta] : []));
    return ds.length === 0 ? Infinity : ds.reduce((a, b) => a + b, 0) / ds.length;
  };
  models.sort((a, b) => meanDelta(a) - meanDelta(b));
  return { corpora, models };
}

const markovText = (m: AcrossCorpus['markov']) =>
  m === null
    ? '—'
    : `${fmtBpc(m.bpc)} (order ${m.order ?? '?'}${m.source === 'runs' ? ', the runs\u2019 own: no ladder recorded' : ''})`;

/** The per-corpus table: each folder's text, budget, best configuration and best Markov order. */
function perCorpusRows(t: AcrossTable, row: (cells: string[]) => string): string[] {
  return [
    row([
      'corpus',
      'folder',
      'characters (held out)',
      'budget',
      'best configuration',
      'mean bpc (n)',
      'best Markov order',
      'Δ bpc',
    ]),
    `| :--- | :--- | ---: | ---: | :--- | ---: | ---: | ---: |`,
    ...t.corpora.map((c) =>
      row([
        c.label,
        c.dir,
        `${fmtInt(c.chars)} (${fmtInt(c.heldOut)})`,
        fmtInt(c.budget),
        c.best?.configId ?? '—',
        c.best ? `${fmtBpc(c.best.mean)}${c.best.sd !== null ? ` ± ${fmtBpc(c.best.sd)}` : ''} (${c.best.n})` : '—',
        markovText(c.markov),
        c.best && c.markov ? fmtDelta(c.best.mean - c.markov.bpc) : '—',
      ]),
    ),
  ];
}

/** The two tables as Markdown (every cell escaped). */
export function renderAcrossMarkdown(t: AcrossTable): string {
  const row = (cells: string[]) => `| ${cells.map(mdText).join(' | ')} |`;
  const sep = (n: number, first = ':---') => `| ${[first, ...Array<string>(n - 1).fill('---:')].join(' | ')} |`;
  const perCorpus = perCorpusRows(t, row);
  const models = [
    row(['model', ...t.corpora.map((c) => `${c.column}: bpc (Δ)`)]),
    sep(t.corpora.length + 1),
    row(['best Markov order', ...t.corpora.map((c) => markovText(c.markov))]),
    ...t.models.map((m) =>
      row([
        m.configId,
        ...m.cells.map((c) =>
          c === null ? '—' : `${fmtBpc(c.mean)} (${fmtDelta(c.delta)})${c.n > 1 ? ` n=${c.n}` : ''}`,
        ),
      ]),
    ),
  ];
  return [
    '# charlab report across corpora',
    '',
    'Each corpus (results folder) with its own held-out text and its own Markov baselines: scores are compared within a column, never across. ' +
      'bpc: mean held-out bits per character over the seeds of a configuration (the whole held-out text, the model the run ended with); ' +
      'Δ: that mean − the corpus\u2019s best Markov order (the ladder of baselines.csv, trained on the folder\u2019s own budget of its own text; negative: the model beats every order).',
    '',
    '## Per corpus',
    '',
    ...perCorpus,
    '',
    '## Models × corpora',
    '',
    ...models,
    '',
    mdText(
      `Corpus texts (sha256 of the text read): ${[...new Set(t.corpora.map((c) => `${c.label}: ${c.sha256 ?? 'unknown'}`))].join('; ')}.`,
    ),
    '',
  ].join('\n');
}
