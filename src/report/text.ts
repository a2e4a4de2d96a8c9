/** Plain-text pieces shared by the renderers (not escaped: each renderer escapes them). */
import type { Counts, LeaderStatus, ReportData } from './types.js';
import { knobDef, type KnobDef } from '../sweep/knobs.js';
import { fmtBpc, fmtDelta, fmtInt } from './format.js';
import { fmtP } from './groups.js';
import { ladderHeadline } from './ladder.js';
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
  return [...runsHeadline(data), ...stoppedHeadline(data), ...ladderHeadline(data)];
}

/** With early stopping: how many runs it stopped before their budget. */
function stoppedHeadline(data: ReportData): string[] {
  const watched = data.leaderboard.filter((e) => e.stoppedEarly !== null);
  if (watched.length === 0) return [];
  const stopped = watched.filter((e) => e.stoppedEarly).length;
  return [`Early stopping stopped ${stopped} of ${watched.length} finished runs before their budget (each run's note says where).`];
}

function runsHeadline(data: ReportData): string[] {
  const c = data.counts;
  const lines: string[] = [];
  lines.push(
    `Runs: ${c.expected} in all — ${c.done} done, ${c.diverged} diverged, ${c.failed} failed, ${c.missing} missing` +
      (c.missing > 0 ? ' (sweep still running or interrupted).' : '.'),
  );
  if (data.grouping.multiSeed) return [...lines, ...groupedHeadline(data)];
  const ranked = data.leaderboard.filter((e) => e.rank !== null);
  const best = ranked[0];
  if (best) {
    const vs =
      best.markovBpc !== null
        ? ` vs ${fmtBpc(best.markovBpc)} for the Markov baseline${best.markovOrder !== null ? ` (order ${best.markovOrder})` : ''}: Δ ${fmtDelta(best.delta)}`
        : '';
    lines.push(`Best: ${best.runId} at ${fmtBpc(best.valBpc)} held-out bpc${vs}.`);
    const beat = ranked.filter((e) => e.delta !== null && e.delta < 0).length;
    const compared = ranked.filter((e) => e.delta !== null).length;
    if (compared > 0) lines.push(`${beat} of ${compared} finished runs beat their Markov baseline.`);
  } else {
    lines.push('No finished run with a held-out score yet.');
  }
  if (ranked.length > 1) {
    const worst = ranked[ranked.length - 1];
    lines.push(`Worst finished: ${worst.runId} at ${fmtBpc(worst.valBpc)} held-out bpc.`);
  }
  return lines;
}

/** Headline lines when configurations ran with several seeds: the best configuration and which are indistinguishable from it. */
function groupedHeadline(data: ReportData): string[] {
  const ranked = data.grouping.configs.filter((c) => c.rank !== null);
  const best = ranked[0];
  if (!best) return ['No finished run with a held-out score yet.'];
  const ci = best.halfWidth !== null ? ` ± ${fmtBpc(best.halfWidth)} (95 % interval, n = ${best.n})` : ` (n = ${best.n})`;
  const vs = best.markovBpc !== null ? ` vs ${fmtBpc(best.markovBpc)} for the Markov baseline: Δ ${fmtDelta(best.delta)}` : '';
  const lines = [`Best configuration: ${best.configId} at mean ${fmtBpc(best.mean)}${ci} held-out bpc${vs}.`];
  const tied = ranked.filter((c) => c.verdict === 'tied');
  const untested = ranked.filter((c) => c.verdict === 'untested').length;
  if (ranked.length > 1 && best.n > 1) lines.push(
    tied.length === 0
      ? `Every other configuration tested is significantly worse (Welch's t-test, 5 %).`
      : `Statistically indistinguishable from it (Welch's t-test, p ≥ 0.05): ${tied.map((c) => `${c.configId} (${fmtBpc(c.mean)}, p ${fmtP(c.p as number)})`).join(', ')}.`,
  );
  if (untested > 0) lines.push(`${untested} configuration(s) with a single finished seed are not tested.`);
  const beat = ranked.filter((c) => c.delta !== null && c.delta < 0).length;
  const compared = ranked.filter((c) => c.delta !== null).length;
  if (compared > 0) lines.push(`${beat} of ${compared} configurations beat the Markov baseline on average.`);
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
