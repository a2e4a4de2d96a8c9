/**
 * Random search: `samples` configurations drawn from per-knob distributions with a seeded
 * generator (seedrandom), so the same seed gives the same configurations on any machine and for
 * any worker count (the plan is made once, before any run starts). Knobs outside the space take
 * the grid's single value or their default.
 *
 * Draws, for each sample, one uniform number per knob in the space, knobs in registry order:
 *   uniform [a, b]      a + u (b − a)
 *   logUniform [a, b]   exp(ln a + u (ln b − ln a))
 *   intRange [a, b]     a + ⌊u (b − a + 1)⌋          (integers, each equally likely)
 *   logIntRange [a, b]  round(exp(ln a + u (ln b − ln a)))   (integers, log-spaced: sizes)
 *   choice [x, …]       x_⌊u n⌋
 * Real values are rounded to SIGNIFICANT_DIGITS significant digits (readable, stable run ids);
 * a drawn configuration equal to an earlier one is drawn again.
 */
import { UsageError } from '../../errors.js';
import { makeRng, type Rng } from '../../util/rng.js';
import type { Distribution, Experiment, RandomSearch } from '../../results/schema.js';
import { configId, knobDef, KNOB_KEYS, type KnobKey, type KnobValues } from '../../results/knobs.js';
import { gridValues } from './grid.js';

export const SIGNIFICANT_DIGITS = 3;
/** Draws allowed per requested sample before a space is declared too small. */
const MAX_DRAWS_PER_SAMPLE = 100;

export const roundSignificant = (x: number): number => Number(x.toPrecision(SIGNIFICANT_DIGITS));

export function draw(d: Distribution, u: number, integer: boolean): number | string {
  if (d.choice) return d.choice[Math.min(d.choice.length - 1, Math.floor(u * d.choice.length))];
  if (d.intRange) {
    const [a, b] = d.intRange;
    return Math.min(b, a + Math.floor(u * (b - a + 1)));
  }
  if (d.logIntRange) {
    const [a, b] = d.logIntRange;
    return Math.min(b, Math.max(a, Math.round(Math.exp(Math.log(a) + u * (Math.log(b) - Math.log(a))))));
  }
  const x = d.uniform ? d.uniform[0] + u * (d.uniform[1] - d.uniform[0]) : logUniform(d.logUniform!, u);
  return integer ? Math.round(x) : roundSignificant(x);
}

const logUniform = ([a, b]: [number, number], u: number) => Math.exp(Math.log(a) + u * (Math.log(b) - Math.log(a)));

/** `samples` distinct configurations; `stream` names the generator (default: random search's, `random-search:<seed>`). */
export function randomConfigs(exp: Pick<Experiment, 'grid'> & { search: RandomSearch }, stream?: string): KnobValues[] {
  const { samples, seed, space } = exp.search;
  const base = gridValues(exp.grid);
  const rng: Rng = makeRng(stream ?? `random-search:${seed}`);
  const drawn = new Map<string, KnobValues>();
  for (let i = 0; drawn.size < samples && i < samples * MAX_DRAWS_PER_SAMPLE; i++) {
    const c = Object.fromEntries(KNOB_KEYS.map((k) => [k, pick(k, space[k], base[k][0], rng)])) as KnobValues;
    const id = configId(c);
    if (!drawn.has(id)) drawn.set(id, c);
  }
  if (drawn.size < samples) {
    throw new UsageError(
      `search.samples: ${samples} distinct configurations asked for, but ${samples * MAX_DRAWS_PER_SAMPLE} draws from search.space gave only ${drawn.size}; ` +
        'widen the space or ask for fewer samples',
    );
  }
  return [...drawn.values()];
}

function pick(k: KnobKey, d: Distribution | undefined, fallback: number | string, rng: Rng): number | string {
  if (d === undefined) return fallback;
  return draw(d, rng(), knobDef(k).kind === 'int');
}
