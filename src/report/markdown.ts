/**
 * report.md (pure). All text that comes from the sweep's files goes through mdText() (markdown
 * punctuation and HTML escaped) or, for samples, into a fence longer than any backtick run in it.
 *
 * Layout: a heading with the sources, then the body (summary, leaderboard, per-knob tables, plots,
 * samples, unfinished runs), then the sweep facts and reading notes. The body depends only on the
 * runs, so shards merged give the same body as one folder holding their union.
 */
import type { Ladder, PlotFile, ReportData } from './types.js';
import { interleave } from './ladder.js';
import { factGroups } from './facts.js';
import { mdFence, mdText } from './format.js';
import { configColumns, knobColumns, leaderboardColumns, tableContext, type Column } from './tableColumns.js';
import { SINGLE_SEED_STATEMENT, TEST_STATEMENT } from './groups.js';
import {
  comparisonText,
  headline,
  leaderboardProse,
  PROSE,
  sampleMeta,
  sectionsOf,
  statusLabel,
  truncate,
} from './text.js';
import { IMPORTANCE_PROSE, importanceBasis, importanceColumns } from './importance.js';
import { failedNote, halvingSpend, rungColumnsOf, rungSearchTitle, stopColumns } from './halving.js';

export const MD_BODY_START = '## Summary';
export const MD_BODY_END = '## Sweep facts';

/**
 * A Markdown table of `rows` under `columns` (every cell escaped; a status other than done in bold),
 * with the Markov orders of `ladder`, if given, among them by `score` (in italics).
 */
function table<T>(
  columns: Array<Column<T>>,
  rows: T[],
  noteLength = 120,
  ladder?: { ladder: Ladder | null; score: (r: T) => number | null },
): string {
  const cell = (c: Column<T>, r: T): string => {
    const text = c.title?.(r) ?? c.text(r); // Markdown has no hover: run ids in full
    if (c.kind === 'status') return text === 'done' ? text : `**${text}**`;
    const href = c.link?.(r);
    if (href) return `[${mdText(text)}](${encodeURI(href)})`;
    return mdText(c.kind === 'note' ? truncate(text, noteLength) : text);
  };
  const head = columns.map((c) => mdText(c.head));
  const sep = columns.map((c) => (c.numeric ? '---:' : ':---'));
  const italic = (text: string) => (text === '' ? '' : `*${mdText(text)}*`);
  const body = interleave(rows, ladder?.score ?? (() => null), ladder?.ladder ?? null).map((s) =>
    'row' in s
      ? columns.map((c) => cell(c, s.row))
      : columns.map((c) => italic(c.baseline?.(s.baseline, s.best) ?? '')),
  );
  return [head, sep, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function summarySection(data: ReportData): string[] {
  return [MD_BODY_START, '', ...headline(data).map((line) => `- ${mdText(line)}`), ''];
}

function leaderboardSection(data: ReportData): string[] {
  const runs = sectionTables(data, leaderboardColumns(tableContext(data)), data.leaderboard, 'runs', (e) =>
    e.rank === null ? null : e.valBpc,
  );
  const compared = comparisonText(data);
  if (!data.grouping.multiSeed)
    return ['## Leaderboard', '', `${leaderboardProse(data)} ${SINGLE_SEED_STATEMENT} ${compared}`, '', ...runs];
  return [
    '## Leaderboard',
    '',
    `${PROSE.configs} ${TEST_STATEMENT} ${compared}`,
    '',
    ...sectionTables(data, configColumns(tableContext(data)), data.grouping.configs, 'configurations', (c) =>
      c.rank === null ? null : c.mean,
    ),
    '### All runs',
    '',
    leaderboardProse(data),
    '',
    ...runs,
    ...sampleCommand(data),
  ];
}

/** One table per comparable section (one in all unless runs were scored at several budgets), each with its heading. */
function sectionTables<T extends { rank: number | null; section: number | null }>(
  data: ReportData,
  columns: Array<Column<T>>,
  rows: T[],
  what: string,
  score: (r: T) => number | null,
): string[] {
  return sectionsOf(data, rows, what).flatMap((sec) => [
    ...(sec.title ? [`#### ${mdText(sec.title)}`, ''] : []),
    table(columns, sec.rows, 120, { ladder: sec.ladder, score }),
    '',
  ]);
}

/** With checkpoints kept: how to draw more text from the best run (run ids link to their checkpoints). */
function sampleCommand(data: ReportData): string[] {
  const best = data.leaderboard.find((e) => e.rank === 1 && e.checkpoint);
  if (!best?.checkpoint) return [];
  return [
    `Run ids link to their checkpoints. Sample the best run (from this folder): \`npx charlab sample ${mdText(best.checkpoint)} --length 500\``,
    '',
  ];
}

/** Successive halving: each rung, and where each configuration stopped (only for a halving sweep). */
function halvingSection(data: ReportData): string[] {
  const hv = data.halving;
  if (!hv) return [];
  const { title, prose } = rungSearchTitle(hv);
  const failed = failedNote(hv);
  return [
    `## ${title}`,
    '',
    prose,
    halvingSpend(hv),
    ...(failed ? ['', failed] : []),
    '',
    table(rungColumnsOf(hv), hv.rungs),
    '',
    '### Where each configuration stopped',
    '',
    table(stopColumns, hv.stops),
    '',
  ];
}

/** Parameter importance: each varying knob's share of the variance (when enough configurations compare). */
function importanceSection(data: ReportData): string[] {
  const imp = data.importance;
  if (!imp) return [];
  return [
    '## Parameter importance',
    '',
    IMPORTANCE_PROSE,
    importanceBasis(imp),
    '',
    table(importanceColumns, imp.knobs),
    '',
  ];
}

function knobSection(data: ReportData): string[] {
  const prose = data.grouping.multiSeed ? PROSE.knobsGrouped : PROSE.knobs;
  return [
    '## Per knob',
    '',
    prose,
    '',
    ...data.knobs.flatMap((k) => [
      `### ${k.label}`,
      '',
      mdText(k.note),
      '',
      table(knobColumns(k, data.grouping.multiSeed), k.values),
      '',
    ]),
  ];
}

function plotSection(plots: PlotFile[]): string[] {
  return [
    '## Plots',
    '',
    ...plots.flatMap((p) => [
      `### ${mdText(p.title)}`,
      '',
      `![${mdText(p.title)}](${p.file})`,
      '',
      mdText(p.caption),
      '',
    ]),
  ];
}

function sampleSection(data: ReportData): string[] {
  if (data.samples.length === 0) return ['## Samples', '', PROSE.noSamples, ''];
  return [
    '## Samples',
    '',
    PROSE.samples(data.sampleLength),
    '',
    ...data.samples.flatMap((s) => [
      `### ${mdText(s.title)}`,
      '',
      mdText(sampleMeta(s).join(', ')),
      '',
      mdFence(s.text),
      '',
    ]),
  ];
}

function unfinishedSection(data: ReportData): string[] {
  const unfinished = data.leaderboard.filter((e) => e.status !== 'done');
  if (unfinished.length === 0) return ['## Unfinished runs', '', PROSE.allFinished, ''];
  return [
    '## Unfinished runs',
    '',
    PROSE.unfinished(data.counts),
    '',
    ...unfinished.map(
      (e) => `- **${statusLabel(e.status)}** ${mdText(e.runId)}: ${mdText(truncate(e.note ?? '', 300))}`,
    ),
    '',
  ];
}

/** Everything between the heading and the sweep facts; depends only on the runs. */
export function renderMarkdownBody(data: ReportData, plots: PlotFile[]): string {
  return [
    ...summarySection(data),
    ...leaderboardSection(data),
    ...halvingSection(data),
    ...importanceSection(data),
    ...knobSection(data),
    ...plotSection(plots),
    ...sampleSection(data),
    ...unfinishedSection(data),
  ].join('\n');
}

/** The sweep facts (one description in facts.ts) and the reading notes. */
export function renderFacts(data: ReportData): string {
  const out: string[] = [MD_BODY_END, ''];
  for (const g of factGroups(data)) {
    out.push(`### ${g.title}`, '');
    if (g.unknown !== undefined) out.push(`- (${mdText(g.unknown)})`);
    for (const i of g.items) out.push(`- ${mdText(i.label)}: ${mdText(i.value)}`);
    out.push('');
  }
  out.push('### Reading notes', '');
  if (data.notes.length === 0) out.push('- none');
  else for (const n of data.notes) out.push(`- ${mdText(n)}`);
  out.push('');
  return out.join('\n');
}

export function renderMarkdown(data: ReportData, plots: PlotFile[]): string {
  const title =
    data.facts.experimentName === null ? 'charlab sweep report' : `charlab sweep report: ${data.facts.experimentName}`;
  const head = [
    `# ${mdText(title)}`,
    '',
    `Regenerated by \`charlab report\` from the sweep's tables alone (nothing re-run). Sources: ${data.dirs.map((d) => mdText(d)).join(', ')}. ` +
      'An HTML version with the plots inline is report.html beside this file.',
    '',
  ];
  return [...head, renderMarkdownBody(data, plots), renderFacts(data)].join('\n');
}
