/** Plain-text pieces shared by the renderers (not escaped: each renderer escapes them). */
import type { Counts, Ladder, LeaderStatus, ReportData } from './types.js';
import { knobDef, type KnobDef } from '../results/knobs.js';
import { fmtBpc, fmtDelta, fmtInt } from './format.js';
import { diffText, fmtP, seedsText } from './groups.js';
import { ladderHeadline } from './ladder.js';
import { heldOutWarning } from '../corpus/split.js';
import { bestMeaning } from './curveText.js';

/** The knobs the report shows (those with per-knob tables), as registry entries. */
export function shownDefs(data: ReportData): KnobDef[] {
  return data.knobs.map((k) => knobDef(k.knob));
}

// ---- the prose of the report's sections, shared by the Markdown and HTML renderers ----

/** Sentences that open or stand in for the report's sections. */
export const PROSE = {
  leaderboard:
    'Held-out bits per character (lower is better), best first; Δ = RNN − Markov (negative: the RNN beats the baseline). ' +
    'Runs that diverged, failed or are missing are listed, marked, at the bottom.',
  knobs: 'Best and median held-out bpc over the finished runs at each value of each swept knob.',
  knobsGrouped:
    'Best and median of the configurations\u2019 mean held-out bpc (mean over seeds) at each value of each swept knob.',
  configs:
    'One row per configuration (the runs that differ only in their seed): mean, sample standard deviation, n and 95 % Student-t ' +
    'interval of held-out bpc across seeds, best mean first; Δ = mean − Markov.',
  noSamples: 'No samples to show (no finished run with a sample in samples.csv).',
  samples: (length: number) =>
    `Side by side as in the article: the best RNN run, the Markov baseline and the worst finished run, each cut to the same ${length} characters.`,
  allFinished: 'None: every expected run finished.',
  unfinished: (c: Counts) => `${c.diverged} diverged, ${c.failed} failed, ${c.missing} missing (of ${c.expected}).`,
};

/** The runs' table's opening: what the columns mean, the best column's meaning (what the curve scores read) included. */
export function leaderboardProse(data: ReportData): string {
  return `${PROSE.leaderboard} ${bestMeaning(data.curveText)}`;
}

export function statusLabel(s: LeaderStatus): string {
  return s === 'done' ? 'done' : s.toUpperCase();
}

/** Cut to n code points (with an ellipsis), first line only. */
export function truncate(text: string, n: number): string {
  const oneLine = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const chars = Array.from(oneLine);
  return chars.length <= n ? oneLine : `${chars.slice(0, n - 1).join('')}…`;
}

/** The report's opening lines: counts, best run against the baseline, worst finished run; the ladder of Markov baselines. */
export function headline(data: ReportData): string[] {
  const heldOut = data.facts.corpus?.validationChars;
  const tiny = typeof heldOut === 'number' ? heldOutWarning(heldOut, 'scores') : null;
  return [
    ...runsHeadline(data),
    ...(tiny ? [tiny.replace(/^warning: /, 'Warning: ')] : []),
    ...stoppedHeadline(data),
    ...ladderHeadline(data),
  ];
}

/** With early stopping: how many runs it stopped before their budget. */
function stoppedHeadline(data: ReportData): string[] {
  const watched = data.leaderboard.filter((e) => e.stoppedEarly !== null);
  if (watched.length === 0) return [];
  const stopped = watched.filter((e) => e.stoppedEarly).length;
  return [
    `Early stopping stopped ${stopped} of ${watched.length} finished runs before their budget (each run's note says where).`,
  ];
}

function runsHeadline(data: ReportData): string[] {
  const c = data.counts;
  const lines: string[] = [];
  lines.push(
    `Runs: ${c.expected} in all — ${c.done} done, ${c.diverged} diverged, ${c.failed} failed, ${c.missing} missing` +
      (c.missing > 0 ? ' (sweep still running or interrupted).' : '.'),
  );
  if (data.grouping.multiSeed) return [...lines, ...groupedHeadline(data)];
  const ranked = data.leaderboard.filter((e) => e.rank !== null && e.section === data.sections[0]);
  const best = ranked[0];
  const at = atBudget(data);
  if (best) {
    const vs =
      best.markovBpc !== null
        ? ` vs ${fmtBpc(best.markovBpc)} for the Markov baseline${best.markovOrder !== null ? ` (order ${best.markovOrder})` : ''}: Δ ${fmtDelta(best.delta)}`
        : '';
    lines.push(`Best${at}: ${best.runId} at ${fmtBpc(best.valBpc)} held-out bpc${vs}.`);
    const beat = ranked.filter((e) => e.delta !== null && e.delta < 0).length;
    const compared = ranked.filter((e) => e.delta !== null).length;
    if (compared > 0) lines.push(`${beat} of ${compared} finished runs${at} beat their Markov baseline.`);
  } else {
    lines.push(noScoreLine(data));
  }
  if (ranked.length > 1) {
    const worst = ranked[ranked.length - 1];
    lines.push(`Worst finished${at}: ${worst.runId} at ${fmtBpc(worst.valBpc)} held-out bpc.`);
  }
  return lines;
}

/** " among the runs trained to 2,700,000 characters" when runs were scored at several budgets (successive halving); else nothing. */
function atBudget(data: ReportData): string {
  const top = data.sections[0];
  return data.sections.length > 1 && top !== null && top !== undefined
    ? ` among the runs trained to ${fmtInt(top)} characters`
    : '';
}

/** The facts a comparison statement rests on (from a report's data, or a sweep's manifest). */
export interface ComparisonFacts {
  corpusPath?: string | null;
  sha256?: string | null;
  validation?: string | null;
  validationChars?: number | null;
  /** The budgets runs were scored at, largest first. */
  sections: Array<number | null>;
  budget?: number | null;
  /** The training characters the Markov ladder was counted on (null: no ladder). */
  ladderChars?: number | null;
}

/**
 * What was compared with what, one paragraph for every renderer (and the sweep's closing table):
 * the corpus text, the held-out text, the budget (or, with several, that runs are ranked only
 * against runs of their own), and the characters the Markov baselines were counted on.
 */
export function comparisonSentence(c: ComparisonFacts): string {
  const parts: string[] = [];
  if (c.sha256)
    parts.push(`the same corpus text (${c.corpusPath ? `${c.corpusPath}, ` : ''}sha256 ${c.sha256.slice(0, 12)}…)`);
  if (typeof c.validationChars === 'number')
    parts.push(
      `the same held-out text (the last ${c.validation ?? '?'} of it: ${fmtInt(c.validationChars)} characters)`,
    );
  const [top] = c.sections;
  if (c.sections.length > 1) {
    parts.push(
      `runs ranked and tested only against runs trained to the same number of characters (one table each: ${c.sections.map((b) => fmtInt(b)).join(', ')})`,
    );
  } else if (top !== null && top !== undefined)
    parts.push(`the same budget (${fmtInt(top)} training characters a run)`);
  parts.push("each run's Markov baseline counted on exactly the characters that run read");
  if (typeof c.ladderChars === 'number') {
    const where = c.sections.length > 1 ? `, shown only beside the runs trained to ${fmtInt(c.budget)} characters` : '';
    parts.push(
      `the Markov ladder counted on ${fmtInt(c.ladderChars)} training characters (the text a run of ${fmtInt(c.budget)} characters reads)${where}`,
    );
  }
  return `Compared: ${parts.join('; ')}.`;
}

/** The report's comparison statement. */
export function comparisonText(data: ReportData): string {
  const cp = data.facts.corpus;
  return comparisonSentence({
    corpusPath: typeof cp?.path === 'string' ? cp.path : null,
    sha256: typeof cp?.sha256 === 'string' ? cp.sha256 : null,
    validation: data.facts.validation,
    validationChars: typeof cp?.validationChars === 'number' ? cp.validationChars : null,
    sections: data.sections,
    budget: data.facts.budgetChars,
    ladderChars: data.ladder?.rows[0]?.trainChars ?? null,
  });
}

/** Why no run has a score: nothing held out (validation 0: nothing is ever scored), or none finished yet. */
function noScoreLine(data: ReportData): string {
  if (data.facts.validation === '0')
    return 'Nothing is scored: the experiment holds no text out (validation 0), so no run has a held-out score.';
  return 'No finished run with a held-out score yet.';
}

/** Headline lines when configurations ran with several seeds: the best configuration, and how the others compare with it. */
function groupedHeadline(data: ReportData): string[] {
  const ranked = data.grouping.configs.filter((c) => c.rank !== null && c.section === data.sections[0]);
  const best = ranked[0];
  if (!best) return [noScoreLine(data)];
  const at = atBudget(data);
  const ci =
    best.halfWidth !== null ? ` ± ${fmtBpc(best.halfWidth)} (95 % interval, n = ${best.n})` : ` (n = ${best.n})`;
  const vs =
    best.markovBpc !== null ? ` vs ${fmtBpc(best.markovBpc)} for the Markov baseline: Δ ${fmtDelta(best.delta)}` : '';
  const lines = [`Best configuration${at}: ${best.configId} at mean ${fmtBpc(best.mean)}${ci} held-out bpc${vs}.`];
  const unresolved = ranked.filter((c) => c.verdict === 'unresolved');
  const worse = ranked.filter((c) => c.verdict === 'worse').length;
  if (worse > 0) lines.push(`${worse} configuration(s) significantly worse (Welch's t-test, 5 %).`);
  if (unresolved.length > 0) {
    const each = unresolved.map(
      (c) => `${c.configId} Δ ${diffText(c)} (p ${fmtP(c.p as number)}; a verdict ${seedsText(c.seedsNeeded)} a side)`,
    );
    lines.push(
      `Not resolved against it at these seeds (Welch's t-test, p ≥ 0.05: too little power to tell, not evidence that they are equal; Δ with its 95 % interval): ${each.join(', ')}.`,
    );
  }
  const untested = ranked.filter((c) => c.verdict === 'untested').length;
  if (untested > 0) lines.push(`${untested} configuration(s) with a single finished seed are not tested.`);
  const beat = ranked.filter((c) => c.delta !== null && c.delta < 0).length;
  const compared = ranked.filter((c) => c.delta !== null).length;
  if (compared > 0) lines.push(`${beat} of ${compared} configurations${at} beat the Markov baseline on average.`);
  return lines;
}

/** Word-wrap to `width` columns; continuation lines get `indent`. Words longer than a line are cut. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (let w of words) {
    const room = () => width - (lines.length === 0 ? 0 : indent.length);
    while (Array.from(w).length > room()) {
      if (line !== '') {
        lines.push(line);
        line = '';
      }
      const chars = Array.from(w);
      lines.push(chars.slice(0, room()).join(''));
      w = chars.slice(room()).join('');
    }
    if (line === '') line = w;
    else if (Array.from(`${line} ${w}`).length <= room()) line = `${line} ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

/** What a sample card says about its sample: source run, score, iteration, temperature. */
export function sampleMeta(s: ReportData['samples'][number]): string[] {
  return [
    s.model === 'markov' ? `from run ${s.runId}` : null,
    s.valBpc !== null ? `held-out ${fmtBpc(s.valBpc)} bpc` : null,
    s.iteration !== null ? `iteration ${fmtInt(s.iteration)}` : null,
    s.temperature !== null ? `temperature ${s.temperature}` : null,
  ].filter((x): x is string => x !== null);
}

/** One leaderboard table: its heading (null when there is one table), rows, and the Markov ladder shown among them (if any). */
export interface Section<T> {
  title: string | null;
  rows: T[];
  ladder: Ladder | null;
}

/**
 * The leaderboard's rows in comparable sections: one table when every run was scored at one budget,
 * else one per budget (largest first: successive halving's stops) and one for the runs without a
 * score. The Markov ladder stands only beside the runs of the budget it was counted for.
 */
export function sectionsOf<T extends { rank: number | null; section: number | null }>(
  data: ReportData,
  rows: T[],
  what: string,
): Array<Section<T>> {
  if (data.sections.length <= 1) return [{ title: null, rows, ladder: data.ladder }];
  const count = (n: number) => `${n} ${n === 1 ? what.replace(/s$/, '') : what}`;
  const out: Array<Section<T>> = data.sections.map((b) => {
    const own = rows.filter((r) => r.rank !== null && r.section === b);
    const full = b !== null && b === data.facts.budgetChars;
    const title = `Trained to ${b === null ? 'an unknown number of' : fmtInt(b)} characters${full ? ' (the full budget)' : ''}: ${count(own.length)}`;
    return { title, rows: own, ladder: full ? data.ladder : null };
  });
  const unranked = rows.filter((r) => r.rank === null);
  if (unranked.length > 0)
    out.push({ title: `Without a held-out score: ${count(unranked.length)}`, rows: unranked, ladder: null });
  return out;
}
