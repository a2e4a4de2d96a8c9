/**
 * report.md (pure). All text that comes from the sweep's files goes through mdText() (markdown
 * punctuation and HTML escaped) or, for samples, into a fence longer than any backtick run in it.
 *
 * Layout: a heading with the sources, then the body (summary, leaderboard, per-knob tables, plots,
 * samples, unfinished runs), then the sweep facts and reading notes. The body depends only on the
 * runs, so shards merged give the same body as one folder holding their union.
 */
import type { LeaderboardEntry, PlotFile, ReportModel } from './types.js';
import { fmtBpc, fmtCompact, fmtDelta, fmtDuration, fmtInt, fmtNum, mdFence, mdText } from './format.js';
import { headline, sampleMeta, statusLabel, truncate } from './text.js';

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

export function renderMarkdownBody(model: ReportModel, plots: PlotFile[]): string {
  const out: string[] = [];
  const c = model.counts;

  out.push(MD_BODY_START, '');
  for (const line of headline(model)) out.push(`- ${mdText(line)}`);
  out.push('');

  out.push('## Leaderboard', '');
  out.push(
    'Held-out bits per character (lower is better), best first; Δ = RNN − Markov (negative: the RNN beats the baseline). ' +
      'Runs that diverged, failed or are missing are listed, marked, at the bottom.',
    '',
  );
  out.push(
    table(
      ['#', 'run', 'hidden', 'unroll', 'clip', 'lr', 'seed', 'status', 'held-out bpc', 'Markov bpc', 'Δ bpc', 'chars/s', 'note'],
      model.leaderboard.map(leaderboardRow),
      ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  );

  out.push('## Per knob', '');
  out.push('Best and median held-out bpc over the finished runs at each value of each swept knob.', '');
  for (const k of model.knobs) {
    out.push(`### ${k.label}`, '');
    out.push(
      table(
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
      ),
      '',
    );
  }

  out.push('## Plots', '');
  for (const p of plots) {
    out.push(`### ${mdText(p.title)}`, '', `![${mdText(p.title)}](${p.file})`, '', mdText(p.caption), '');
  }

  out.push('## Samples', '');
  if (model.samples.length === 0) {
    out.push('No samples to show (no finished run with a sample in samples.csv).', '');
  } else {
    out.push(
      `Side by side as in the article: the best RNN run, the Markov baseline and the worst finished run, ` +
        `each cut to the same ${model.sampleLength} characters.`,
      '',
    );
    for (const s of model.samples) {
      const meta = sampleMeta(s);
      out.push(`### ${mdText(s.title)}`, '', mdText(meta.join(', ')), '', mdFence(s.text), '');
    }
  }

  out.push('## Unfinished runs', '');
  const unfinished = model.leaderboard.filter((e) => e.status !== 'done');
  if (unfinished.length === 0) out.push('None: every expected run finished.', '');
  else {
    out.push(`${c.diverged} diverged, ${c.failed} failed, ${c.missing} missing (of ${c.expected}).`, '');
    for (const e of unfinished) out.push(`- **${statusLabel(e.status)}** ${mdText(e.runId)}: ${mdText(truncate(e.note ?? '', 300))}`);
    out.push('');
  }
  return out.join('\n');
}

export function renderFacts(model: ReportModel): string {
  const f = model.facts;
  const out: string[] = [MD_BODY_END, ''];
  const item = (label: string, value: string | null) => {
    if (value !== null && value !== '') out.push(`- ${label}: ${value}`);
  };
  out.push('### Experiment', '');
  item('name', f.experimentName === null ? null : mdText(f.experimentName));
  item('backend', f.backend === null ? null : mdText(f.backend));
  item('workers', f.workers === null ? null : String(f.workers));
  item('budget', f.budgetChars === null ? null : `${fmtInt(f.budgetChars)} training characters per run`);
  item('seeds', f.seeds.length === 0 ? null : mdText(f.seeds.join(', ')));
  for (const k of model.knobs) item(`grid ${k.label}`, f.grid[k.knob].length === 0 ? null : f.grid[k.knob].join(', '));
  item('Markov order', f.markovOrder === null ? null : String(f.markovOrder));
  item('validation', f.validation === null ? null : mdText(f.validation));
  out.push('');
  out.push('### Corpus', '');
  const cp = f.corpus;
  if (cp === null) out.push('- (no manifest: unknown)');
  else {
    item('path', typeof cp.path === 'string' ? mdText(cp.path) : null);
    item('sha256', typeof cp.sha256 === 'string' ? mdText(cp.sha256) : null);
    item('characters', typeof cp.chars === 'number' ? fmtInt(cp.chars) : null);
    item('vocabulary', typeof cp.vocabSize === 'number' ? `${cp.vocabSize} symbols` : null);
    item('training characters', typeof cp.trainChars === 'number' ? fmtInt(cp.trainChars) : null);
    item('validation characters', typeof cp.validationChars === 'number' ? fmtInt(cp.validationChars) : null);
  }
  out.push('');
  out.push('### Machine and timing', '');
  for (const d of f.folders) {
    const parts = [
      d.machine === null ? null : mdText(d.machine),
      d.node === null ? null : `Node ${mdText(d.node)}`,
      d.charlab === null ? null : `charlab ${mdText(d.charlab)}`,
      `started ${d.startedAt === null ? '—' : mdText(d.startedAt)}`,
      `finished ${d.finishedAt === null ? 'not yet (running or interrupted)' : mdText(d.finishedAt)}`,
      `wall ${fmtDuration(d.wallS)}`,
    ].filter((x) => x !== null);
    out.push(`- ${mdText(d.dir)}: ${parts.join('; ')}`);
  }
  item('sweep wall time (earliest start to latest finish)', f.spanS === null ? 'unknown (a folder has not finished)' : fmtDuration(f.spanS));
  if (f.folders.length > 1) item('sum of the folders\u2019 wall times', fmtDuration(f.sumFolderWallS));
  item('sum of the runs\u2019 wall_s', fmtDuration(f.sumRunWallS));
  if (f.spanS !== null && f.spanS > 0) item('runs\u2019 time / sweep wall time', `${(f.sumRunWallS / f.spanS).toFixed(2)}× (effective parallelism)`);
  item('characters trained, all runs', `${fmtInt(f.totalChars)} (${fmtCompact(f.totalChars)})`);
  if (f.sumRunWallS > 0) item('aggregate throughput', `${fmtCompact(f.totalChars / f.sumRunWallS)} chars/s per run-second`);
  out.push('');
  out.push('### Reading notes', '');
  if (model.notes.length === 0) out.push('- none');
  else for (const n of model.notes) out.push(`- ${mdText(n)}`);
  out.push('');
  return out.join('\n');
}

export function renderMarkdown(model: ReportModel, plots: PlotFile[]): string {
  const title = model.facts.experimentName === null ? 'charlab sweep report' : `charlab sweep report: ${model.facts.experimentName}`;
  const head = [
    `# ${mdText(title)}`,
    '',
    `Regenerated by \`charlab report\` from the sweep's tables alone (nothing re-run). Sources: ${model.dirs.map((d) => mdText(d)).join(', ')}. ` +
      'An HTML version with the plots inline is report.html beside this file.',
    '',
  ];
  return [...head, renderMarkdownBody(model, plots), renderFacts(model)].join('\n');
}
