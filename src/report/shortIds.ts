/**
 * Run ids shortened to what differs (pure). A ladder's run ids spell every knob
 * ("h512-u64-c320-lr0.004-lstm-adam-B32-cn320-ld0.5-la1-init-pytorch-s1") though a few of them tell
 * its configurations apart. The short name keeps, in the id's own spelling and order, the fewest
 * knobs found (greedily: each time the knob that separates the most configurations) that tell every
 * configuration of the table apart: "h512-lstm-s1". The full id stays on hover and in the links.
 */
import { configId, configIdOf, KNOBS, type KnobDef, type KnobKey, type KnobValues } from '../results/knobs.js';

/** The knobs that tell the configurations apart, in registry order (none when there is one configuration). */
export function distinguishingKnobs(configs: readonly KnobValues[]): KnobDef[] {
  const distinct = new Set(configs.map((c) => configId(c))).size;
  const chosen: KnobDef[] = [];
  const classes = (keys: readonly KnobDef[]) =>
    new Set(configs.map((c) => keys.map((k) => String(c[k.key as KnobKey])).join('\u0000'))).size;
  while (classes(chosen) < distinct) {
    let best: KnobDef | null = null;
    let bestN = classes(chosen);
    for (const k of KNOBS as readonly KnobDef[]) {
      if (chosen.includes(k)) continue;
      const n = classes([...chosen, k]);
      if (n > bestN) [best, bestN] = [k, n];
    }
    if (!best) break; // cannot happen: distinct configurations differ in some knob
    chosen.push(best);
  }
  return (KNOBS as readonly KnobDef[]).filter((k) => chosen.includes(k));
}

/**
 * Short names by full id: each configuration's distinguishing knobs (its full id when there is only
 * one configuration), a run's with its seed.
 */
export function shortNames(
  rows: ReadonlyArray<KnobValues & { runId?: string; configId?: string; seed?: string }>,
): Map<string, string> {
  const keys = new Set(distinguishingKnobs(rows).map((k) => k.key));
  const out = new Map<string, string>();
  for (const r of rows) {
    const config = keys.size === 0 ? configId(r) : configIdOf(r, keys);
    if (r.configId !== undefined) out.set(r.configId, config);
    if (r.runId !== undefined)
      out.set(r.runId, keys.size === 0 && r.seed !== undefined ? `s${r.seed}` : `${config}-s${r.seed ?? ''}`);
  }
  return out;
}
