/**
 * report.md (pure). All text that comes from the sweep's files goes through mdText() (markdown
 * punctuation and HTML escaped) or, for samples, into a fence longer than any backtick run in it.
 *
 * Layout: a heading with the sources, then the body (summary, leaderboard, per-knob tables, plots,
 * samples, unfinished runs), then the sweep facts and reading notes. The body depends only on the
 * runs, so shards merged give the same body as one folder holding their union.
 */
import type { KnobStats, LeaderboardEntry, PlotFile, ReportData } from './types.js';
import { factGroups } from './facts.js';
import { fmtBpc, fmtDelta, fmtInt, fmtNum, mdFence, mdText } from './format.js';
import {
  ALL_FINISHED,
  headline,
  KNOBS_INTRO,
  LEADERBOARD_INTRO,
  NO_SAMPLES,
  sampleMeta,
  samplesIntro,
  statusLabel,
  truncate,
  unfinishedCounts,
} from './text.js';

export const MD_BODY_START = '## Summary';
export const MD_BODY_END = '## Sweep facts';

function table(head: string[], rows: string[][], align: Array<'l' | 'r'>): string {
  const sep = align.map((a) => (a === 'r' ? '---:' : ':---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function leaderboardRow(e: LeaderboardEntry): string[] {
  const status = e.status === 'done' ? 'done' : `**${statusLabel(e.status)}**`;
  return [
    e.rank === null ? '' : String(e.rank),
    mdText(e.runId),
    fmtNum(e.hiddenSize),
    fmtNum(e.unroll),
    fmtNum(e.clip),
    fmtNum(e.learningRate),
    mdText(e.seed),
    status,
    fmtBpc(e.valBpc),
    fmtBpc(e.markovBpc),
    fmtDelta(e.delta),
    fmtInt(e.charsPerS),
    e.note === null ? '' : mdText(truncate(e.note, 120)),
  ];
}

function summarySection(data: ReportData): string[] {
  return [MD_BODY_START, '', ...headline(data).map((line) => `- ${mdText(line)}`), ''];
}

function leaderboardSection(data: ReportData): string[] {
  return [
    '## Leaderboard',
    '',
    LEADERBOARD_INTRO,
    '',
    table(
      ['#', 'run', 'hidden', 'unroll', 'clip', 'lr', 'seed', 'status', 'held-out bpc', 'Markov bpc', 'Δ bpc', 'chars/s', 'note'],
      data.leaderboard.map(leaderboardRow),
      ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
}

function knobTable(k: KnobStats): string {
  return table(
    [k.label, 'runs', 'finished', 'best bpc', 'median bpc', 'best run'],
    k.values.map((v) => [
      fmtNum(v.value),
      String(v.runs),
      String(v.finished),
      fmtBpc(v.best),
      fmtBpc(v.median),
      v.bestRunId === null ? '—' : mdText(v.bestRunId),
    ]),
    ['r', 'r', 'r', 'r', 'r', 'l'],
  );
}

function knobSection(data: ReportData): string[] {
  return ['## Per knob', '', KNOBS_INTRO, '', ...data.knobs.flatMap((k) => [`### ${k.label}`, '', knobTable(k), ''])];
}

function plotSection(plots: PlotFile[]): string[] {
  return ['## Plots', '', ...plots.flatMap((p) => [`### ${mdText(p.title)}`, '', `![${mdText(p.title)}](${p.file})`, '', mdText(p.caption), ''])];
}

function sampleSection(data: ReportData): string[] {
  if (data.samples.length === 0) return ['## Samples', '', NO_SAMPLES, ''];
  return [
    '## Samples',
    '',
    samplesIntro(data.sampleLength),
    '',
    ...data.samples.flatMap((s) => [`### ${mdText(s.title)}`, '', mdText(sampleMeta(s).join(', ')), '', mdFence(s.text), '']),
  ];
}

function unfinishedSection(data: ReportData): string[] {
  const unfinished = data.leaderboard.filter((e) => e.status !== 'done');
  if (unfinished.length === 0) return ['## Unfinished runs', '', ALL_FINISHED, ''];
  return [
    '## Unfinished runs',
    '',
    unfinishedCounts(data.counts),
    '',
    ...unfinished.map((e) => `- **${statusLabel(e.status)}** ${mdText(e.runId)}: ${mdText(truncate(e.note ?? '', 300))}`),
    '',
  ];
}

/** Everything between the heading and the sweep facts; depends only on the runs. */
export function renderMarkdownBody(data: ReportData, plots: PlotFile[]): string {
  return [
    ...summarySection(data),
    ...leaderboardSection(data),
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
  const title = data.facts.experimentName === null ? 'charlab sweep report' : `charlab sweep report: ${data.facts.experimentName}`;
  const head = [
    `# ${mdText(title)}`,
    '',
    `Regenerated by \`charlab report\` from the sweep's tables alone (nothing re-run). Sources: ${data.dirs.map((d) => mdText(d)).join(', ')}. ` +
      'An HTML version with the plots inline is report.html beside this file.',
    '',
  ];
  return [...head, renderMarkdownBody(data, plots), renderFacts(data)].join('\n');
}
