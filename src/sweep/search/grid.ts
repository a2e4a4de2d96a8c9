/** Grid search: the cartesian product of the grid's lists, nested in registry order (outermost first). */
import type { Experiment } from '../../results/schema.js';
import { knobDefaults, KNOB_KEYS, type KnobValues } from '../../results/knobs.js';

/** Each knob's list from the grid; a knob the grid leaves out takes its default. */
export function gridValues(grid: Experiment['grid'] | undefined): Record<string, Array<number | string>> {
  const defaults = knobDefaults();
  return Object.fromEntries(
    KNOB_KEYS.map((k) => [k, (grid?.[k] as Array<number | string> | undefined) ?? [defaults[k]]]),
  );
}

export function gridConfigs(exp: Pick<Experiment, 'grid'>): KnobValues[] {
  const lists = gridValues(exp.grid);
  let configs: Array<Record<string, number | string>> = [{}];
  for (const k of KNOB_KEYS) configs = configs.flatMap((c) => lists[k].map((v) => ({ ...c, [k]: v })));
  return configs as KnobValues[];
}
