/**
 * The samples shown side by side (pure): the best run's RNN sample, the Markov baseline's and the
 * worst finished run's, at one temperature where possible, cut to a common length.
 */
import type { LeaderboardEntry, SamplePick, SampleRow } from './types.js';

type RawPick = Omit<SamplePick, 'text'> & { full: string };

/** Among samples, the one at the temperature closest to `target` (ties: lower temperature), latest iteration. */
function pickSample(samples: SampleRow[], target: number): SampleRow | null {
  if (samples.length === 0) return null;
  const dist = (s: SampleRow) => (s.temperature === null ? Number.POSITIVE_INFINITY : Math.abs(s.temperature - target));
  return [...samples].sort(
    (a, b) =>
      dist(a) - dist(b) ||
      (a.temperature ?? 0) - (b.temperature ?? 0) ||
      (b.iteration ?? -1) - (a.iteration ?? -1) ||
      (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
  )[0];
}

function cutTo(text: string, n: number): string {
  const chars = Array.from(text);
  return chars.length <= n ? text : chars.slice(0, n).join('');
}

function rnnPick(role: 'best' | 'worst', title: string, e: LeaderboardEntry, s: SampleRow): RawPick {
  return {
    role,
    title,
    runId: e.runId,
    model: 'rnn',
    iteration: s.iteration,
    temperature: s.temperature,
    valBpc: e.valBpc,
    full: s.text,
  };
}

/** The Markov sample: the best run's own if it has one, else the first run (in leaderboard order) that has one. */
function markovPick(candidates: LeaderboardEntry[], samples: Map<string, SampleRow[]>, target: number): RawPick | null {
  for (const e of candidates) {
    const s = pickSample(
      (samples.get(e.runId) ?? []).filter((x) => x.model === 'markov'),
      target,
    );
    if (s) {
      return {
        role: 'markov',
        title: `Markov baseline${e.markovOrder !== null ? ` (order ${e.markovOrder})` : ''}`,
        runId: e.runId,
        model: 'markov',
        iteration: s.iteration,
        temperature: s.temperature,
        valBpc: e.markovBpc,
        full: s.text,
      };
    }
  }
  return null;
}

export function samplePicks(
  leaderboard: LeaderboardEntry[],
  samples: Map<string, SampleRow[]>,
  notes: string[],
): { picks: SamplePick[]; length: number } {
  const ranked = leaderboard.filter((e) => e.rank !== null);
  const best = ranked[0];
  const worst = ranked.length > 1 ? ranked[ranked.length - 1] : undefined;
  const rnnOf = (id: string) => (samples.get(id) ?? []).filter((s) => s.model === 'rnn');
  const raw: RawPick[] = [];

  let target = 1; // the temperature the other picks follow: the best run's sample's
  const bestSample = best ? pickSample(rnnOf(best.runId), 1) : null;
  if (best && bestSample) {
    if (bestSample.temperature !== null) target = bestSample.temperature;
    raw.push(rnnPick('best', `Best RNN run: ${best.runId}`, best, bestSample));
  } else if (best) notes.push(`No RNN sample for the best run ${best.runId} in samples.csv.`);

  const markov = markovPick(
    [best, ...leaderboard].filter((e): e is LeaderboardEntry => e !== undefined),
    samples,
    target,
  );
  if (markov) raw.push(markov);
  else if (samples.size > 0) notes.push('No Markov sample in samples.csv.');

  const worstSample = worst ? pickSample(rnnOf(worst.runId), target) : null;
  if (worst && worstSample) raw.push(rnnPick('worst', `Worst finished run: ${worst.runId}`, worst, worstSample));
  else if (worst) notes.push(`No RNN sample for the worst finished run ${worst.runId} in samples.csv.`);

  const length = raw.length > 0 ? Math.min(...raw.map((r) => Array.from(r.full).length)) : 0;
  const picks = raw.map(({ full, ...rest }) => ({ ...rest, text: cutTo(full, length) }));
  return { picks, length };
}
