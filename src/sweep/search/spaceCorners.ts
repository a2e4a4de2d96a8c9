/**
 * The largest configurations a search may still suggest: for TPE (and Hyperband with a TPE
 * sampler) only the first round is planned before training, so the resource checks (src/sweep/
 * checks.ts) also look at the space's upper corners: every numeric knob at its upper bound, every
 * combination of the name-valued choices (a cell, an optimizer), so no later suggestion can need
 * more memory than was checked.
 */
import type { Distribution, Experiment } from '../../results/schema.js';
import { knobDef, KNOB_KEYS, type KnobKey, type KnobValues } from '../../results/knobs.js';
import { gridValues } from './grid.js';

/** Where an adaptive search draws from and under which key, or null when every configuration is planned in advance. */
export function adaptiveSpace(
  exp: Pick<Experiment, 'search'>,
): { space: Partial<Record<KnobKey, Distribution>>; key: string } | null {
  const s = exp.search;
  if (s?.method === 'tpe') return { space: s.space, key: 'search.space' };
  if (s?.method === 'hyperband' && s.sampler?.method === 'tpe')
    return { space: s.sampler.space, key: 'search.sampler.space' };
  return null;
}

function upper(d: Distribution): Array<number | string> {
  if (d.choice) return d.choice.every((x) => typeof x === 'number') ? [Math.max(...d.choice)] : d.choice;
  return [(d.uniform ?? d.logUniform ?? d.intRange ?? d.logIntRange)![1]];
}

export function spaceCorners(exp: Pick<Experiment, 'search' | 'grid'>): KnobValues[] {
  const adaptive = adaptiveSpace(exp);
  if (!adaptive) return [];
  const base = gridValues(exp.grid);
  let configs: Array<Record<string, number | string>> = [{}];
  for (const k of KNOB_KEYS) {
    const d = adaptive.space[k];
    const values = d
      ? upper(d).map((v) => (knobDef(k).kind === 'int' && typeof v === 'number' ? Math.floor(v) : v))
      : [base[k][0]];
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  return configs as KnobValues[];
}
