/**
 * The ladder of Markov baselines in the report (pure): read from baselines.csv (the first folder
 * holding one), its best order named in the headline, its orders as rows of the leaderboards (at
 * their place by bpc, marked as baselines) and as reference rules in the held-out bpc plots.
 * Folders swept before the ladder existed report fine: the headline says it was not recorded.
 */
import { posix } from 'node:path';
import { bestOrder } from '../train/markovLadder.js';
import { fmtBpc, fmtDelta, fmtInt } from './format.js';
import type { FactGroup, FolderTables, Ladder, LadderRow, ReportData } from './types.js';

/** The ladder of the first folder that has one, or why there is none. */
export function ladderOf(folders: FolderTables[]): { ladder: Ladder | null; missing: string | null } {
  const f = folders.find((x) => x.ladder && x.ladder.length > 0);
  if (f)
    return {
      ladder: {
        rows: f.ladder as LadderRow[],
        best: bestOrder(f.ladder as LadderRow[]),
        source: posix.join(f.dir, 'baselines.csv'),
      },
      missing: null,
    };
  const exps = folders.map((x) => x.manifest?.experiment).filter((e) => e !== undefined);
  if (exps.length > 0 && exps.every((e) => e.validation === 0))
    return { ladder: null, missing: 'not computed: validation 0 (nothing held out to score)' };
  if (exps.length > 0 && exps.every((e) => (e.markov as { ladder?: unknown } | undefined)?.ladder === false)) {
    return { ladder: null, missing: 'switched off ("markov": {"ladder": false})' };
  }
  return {
    ladder: null,
    missing:
      'not recorded (no baselines.csv: swept before the ladder existed, or still being computed); re-running `charlab sweep` on the experiment adds it without training again',
  };
}

/** A table row: a run (or configuration), or a Markov order of the ladder. */
export type Slot<T> = { row: T } | { baseline: LadderRow; best: boolean };

/**
 * The rows with the ladder's orders placed among them by held-out bpc: each order before the first
 * ranked row that scores worse, all remaining orders before the unranked rows. `rows` come ranked
 * first, best first (score null: unranked).
 */
export function interleave<T>(rows: T[], score: (r: T) => number | null, ladder: Ladder | null): Array<Slot<T>> {
  const pending = (ladder?.rows ?? [])
    .filter((b) => b.valBpc !== null)
    .sort((a, b) => (a.valBpc as number) - (b.valBpc as number) || a.order - b.order);
  const out: Array<Slot<T>> = [];
  const flush = (upTo: number) => {
    while (pending.length > 0 && (pending[0].valBpc as number) <= upTo) {
      const b = pending.shift() as LadderRow;
      out.push({ baseline: b, best: b === ladder?.best });
    }
  };
  for (const r of rows) {
    const s = score(r);
    flush(s === null ? Number.POSITIVE_INFINITY : s);
    out.push({ row: r });
  }
  flush(Number.POSITIVE_INFINITY);
  return out;
}

/** The headline's lines about the ladder: its best order against the best run (or configuration), or why there is none. */
export function ladderHeadline(data: ReportData): string[] {
  const l = data.ladder;
  if (!l) return [`Markov ladder: ${data.ladderMissing ?? 'not recorded'}.`];
  const orders = `orders ${l.rows[0].order}–${l.rows[l.rows.length - 1].order}`;
  const on = l.rows[0].trainChars !== null ? ` on ${fmtInt(l.rows[0].trainChars)} training characters` : '';
  const four = l.rows.find((r) => r.order === data.facts.markovOrder && r !== l.best);
  const also = four ? `; order ${four.order} at ${fmtBpc(four.valBpc)}` : '';
  const lines = [
    `Markov ladder (Kneser–Ney, ${orders}${on}): best order ${l.best?.order ?? '—'} at ${fmtBpc(l.best?.valBpc ?? null)} bpc${also}.`,
  ];
  const top = data.grouping.multiSeed
    ? data.grouping.configs.find((c) => c.rank === 1)?.mean
    : data.leaderboard.find((e) => e.rank === 1)?.valBpc;
  if (l.best?.valBpc != null && top != null) {
    const what = data.grouping.multiSeed ? 'the best configuration (mean)' : 'the best run';
    lines.push(
      `Against the best Markov order: ${what} Δ ${fmtDelta(top - l.best.valBpc)} (${top < l.best.valBpc ? 'beats it' : 'does not beat it'}).`,
    );
  }
  return lines;
}

/** The "Markov ladder" group of the sweep facts: where it comes from, what it cost, every order's bpc. */
export function ladderFactGroup(data: ReportData): FactGroup {
  const l = data.ladder;
  if (!l) return { title: 'Markov ladder', items: [{ label: 'status', value: data.ladderMissing ?? 'not recorded' }] };
  const first = l.rows[0];
  const secs = (x: number | null) => (x === null ? '—' : `${x.toFixed(3)} s`);
  return {
    title: 'Markov ladder',
    items: [
      { label: 'source', value: l.source },
      { label: 'characters', value: `${fmtInt(first.trainChars)} training, ${fmtInt(first.valChars)} held out` },
      { label: 'count of the highest order (shared by every order)', value: secs(first.countS) },
      ...l.rows.map((r) => ({
        label: `order ${r.order}`,
        value: `${fmtBpc(r.valBpc)} bpc (scored in ${secs(r.scoreS)})${r === l.best ? ', best' : ''}`,
      })),
    ],
  };
}

/** What the plots' captions say about the ladder's rules. */
export function ladderCaption(data: ReportData): string {
  const l = data.ladder;
  if (!l) return '';
  return ` Thin grey rules: the Markov ladder (orders ${l.rows[0].order}–${l.rows[l.rows.length - 1].order}, numbered at the right where they do not overlap); purple: its best order.`;
}
