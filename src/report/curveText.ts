/**
 * What a report's held-out curves read (issue 21), said once for every renderer: each curve score,
 * intermediate and final, reads the same held-out characters (the "curve text"): the whole held-out
 * text, or its first evaluation.chars characters. Tables from before issue 21 are read in their own
 * meaning: their best_val_bpc is the best whole-text score (with a slice curve: the final score), and
 * the report moves their final whole-text scores off the slice curve (src/report/io.ts).
 */
import { fmtInt } from './format.js';
import { num } from './manifests.js';
import type { CurveText, FolderTables, SummaryRow } from './types.js';

export function curveTextOf(folders: FolderTables[], summary: SummaryRow[]): CurveText {
  const m = folders.find((f) => f.manifest)?.manifest ?? null;
  const heldOut = num(m?.corpus?.validationChars);
  const evalChars = num(m?.experiment?.evaluation?.chars);
  const recorded = summary.find((r) => r.curveValChars !== null)?.curveValChars ?? null;
  const chars = recorded ?? (heldOut !== null && evalChars !== null ? Math.min(heldOut, evalChars) : null);
  const es = m?.experiment?.earlyStopping as { patience?: unknown; minDelta?: unknown } | undefined;
  const patience = num(es?.patience);
  return {
    chars,
    heldOut,
    legacy: summary.length > 0 && summary.every((r) => r.curveValChars === null && r.stoppedEarly === null),
    earlyStopping: patience === null ? null : { patience, minDelta: num(es?.minDelta) ?? 0 },
  };
}

/** Whether every curve score read the whole held-out text. */
export const curveIsWhole = (ct: CurveText): boolean =>
  ct.chars !== null && ct.heldOut !== null && ct.chars >= ct.heldOut;

/** "the whole held-out text (154,961 characters)", "the first 20,000 of the 154,961 held-out characters". */
export function curveLabel(ct: CurveText): string {
  if (ct.chars === null) return 'held-out text of unknown extent';
  if (curveIsWhole(ct)) return `the whole held-out text (${fmtInt(ct.chars)} characters)`;
  return `the first ${fmtInt(ct.chars)}${ct.heldOut === null ? '' : ` of the ${fmtInt(ct.heldOut)}`} held-out characters`;
}

/** Short, for plot panels: "held-out, whole text", "held-out, first 20k characters". */
export function curvePanelTitle(ct: CurveText): string {
  if (ct.chars === null || curveIsWhole(ct)) return ct.chars === null ? 'held-out' : 'held-out (whole text)';
  return `held-out (first ${fmtInt(ct.chars)} characters)`;
}

/** What the "best" columns mean, one sentence. */
export function bestMeaning(ct: CurveText): string {
  if (ct.legacy) {
    return curveIsWhole(ct)
      ? 'best bpc: the run\u2019s best score on the whole held-out text, and the training characters where (recorded before issue 21).'
      : 'best bpc: recorded before issue 21, over the whole-text scores only: the final score (the intermediate ones read a slice).';
  }
  const where = `each curve score reads ${curveLabel(ct)}`;
  return curveIsWhole(ct)
    ? `best bpc: the run\u2019s best held-out score during training (${where}), and the training characters where.`
    : `best curve bpc: the run\u2019s best curve score (${where}: comparable with each other, not with held-out bpc, which reads all of it), and where.`;
}

/** The heading of the leaderboards' best column. */
export const bestHead = (ct: CurveText): string => (ct.legacy || curveIsWhole(ct) ? 'best bpc' : 'best curve bpc');
