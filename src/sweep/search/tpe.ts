/**
 * The tree-structured Parzen estimator (Bergstra et al. 2011), independent per knob as Optuna's
 * TPESampler runs it by default. From the configurations scored so far (lower is better):
 *
 *   split      the best γ(n) = min(⌈0.1 n⌉, 25) of the n scored configurations are "good", the rest "bad"
 *              (a configuration with a diverged or failed seed is bad, whatever its other seeds did)
 *   per knob   l(x) = Parzen estimator of the good values, g(x) = of the bad ones (./parzen.ts);
 *              draw `candidates` values from l and keep the one with the largest ln l(x) − ln g(x)
 *
 * A configuration's score is the mean held-out bpc of its seeds (they are averaged before the model
 * sees them). Values are drawn in the space's coordinates (log for logUniform and logIntRange) and
 * rounded as random search rounds them (./random.ts), so run ids stay short and stable. Everything
 * depends only on the observations and the seeded generator: the same on any machine.
 */
import { UsageError } from '../../errors.js';
import { makeRng, type Rng } from '../../util/rng.js';
import type { Distribution, Experiment } from '../../results/schema.js';
import { configId, knobDef, KNOB_KEYS, type KnobKey, type KnobValues } from '../../results/knobs.js';
import { gridValues } from './grid.js';
import { drawParzen, fitParzen, logPdfParzen, type Dim, type Parzen } from './parzen.js';
import { roundSignificant } from './random.js';

/** One knob of the space: its estimator dimension and the conversions between values and coordinates. */
interface TpeKnob {
  key: KnobKey;
  dim: Dim;
  toCoord(v: number | string): number;
  fromCoord(x: number): number | string;
}

export interface TpeSpace {
  knobs: TpeKnob[];
  /** The value of every knob outside the space (the grid's one value, or the default). */
  fixed: Record<string, number | string>;
}

/** A scored configuration: mean held-out bpc of its seeds, Infinity when a seed diverged or failed. */
export interface Scored {
  config: KnobValues;
  score: number;
}

export const gamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);
/** Tries to find a configuration not run yet, from the model and then at random, before a space is declared too small. */
const MAX_TRIES = 100;

export function tpeSpace(space: Partial<Record<KnobKey, Distribution>>, grid: Experiment['grid']): TpeSpace {
  const base = gridValues(grid);
  const knobs = KNOB_KEYS.filter((k) => space[k] !== undefined).map((k) => tpeKnob(k, space[k]!));
  const fixed = Object.fromEntries(KNOB_KEYS.filter((k) => space[k] === undefined).map((k) => [k, base[k][0]]));
  return { knobs, fixed };
}

function tpeKnob(key: KnobKey, d: Distribution): TpeKnob {
  const integer = knobDef(key).kind === 'int';
  const round = (x: number) => (integer ? Math.round(x) : roundSignificant(x));
  if (d.choice) {
    const choices = d.choice;
    return {
      key,
      dim: { kind: 'categorical', size: choices.length },
      toCoord: (v) => choices.indexOf(v),
      fromCoord: (x) => choices[x],
    };
  }
  if (d.intRange) {
    const [a, b] = d.intRange;
    return {
      key,
      dim: { kind: 'numeric', low: a - 0.5, high: b + 0.5, step: 1 },
      toCoord: Number,
      fromCoord: (x) => Math.min(b, Math.max(a, Math.round(x))),
    };
  }
  if (d.logIntRange) {
    const [a, b] = d.logIntRange;
    const dim: Dim = { kind: 'numeric', low: Math.log(a - 0.5), high: Math.log(b + 0.5), step: null };
    return {
      key,
      dim,
      toCoord: (v) => Math.log(Number(v)),
      fromCoord: (x) => Math.min(b, Math.max(a, Math.round(Math.exp(x)))),
    };
  }
  if (d.logUniform) {
    const [a, b] = d.logUniform;
    return {
      key,
      dim: { kind: 'numeric', low: Math.log(a), high: Math.log(b), step: null },
      toCoord: (v) => Math.log(Number(v)),
      fromCoord: (x) => round(Math.exp(x)),
    };
  }
  const [a, b] = d.uniform!;
  return { key, dim: { kind: 'numeric', low: a, high: b, step: null }, toCoord: Number, fromCoord: (x) => round(x) };
}

/** The good and bad configurations' estimators of every knob, from the history (oldest first). */
export function fitTpe(space: TpeSpace, history: readonly Scored[]): Array<{ good: Parzen; bad: Parzen }> {
  const finite = history.filter((h) => Number.isFinite(h.score)).length;
  const ranked = history.map((h, i) => i).sort((a, b) => history[a].score - history[b].score || a - b);
  const good = new Set(ranked.slice(0, gamma(finite)));
  return space.knobs.map((k) => {
    const coords = (keep: (i: number) => boolean) =>
      history.flatMap((h, i) => (keep(i) ? [k.toCoord(h.config[k.key])] : []));
    return {
      good: fitParzen(
        k.dim,
        coords((i) => good.has(i)),
      ),
      bad: fitParzen(
        k.dim,
        coords((i) => !good.has(i)),
      ),
    };
  });
}

/** One suggestion from fitted estimators: per knob, the candidate drawn from l with the best ln l − ln g. */
function suggestOne(space: TpeSpace, fitted: ReturnType<typeof fitTpe>, rng: Rng, candidates: number): KnobValues {
  const config: Record<string, number | string> = { ...space.fixed };
  space.knobs.forEach((k, i) => {
    const { good, bad } = fitted[i];
    let best = NaN;
    let bestScore = -Infinity;
    for (let c = 0; c < candidates; c++) {
      const x = drawParzen(good, rng);
      const score = logPdfParzen(good, x) - logPdfParzen(bad, x);
      if (Number.isNaN(best) || score > bestScore) [best, bestScore] = [x, score];
    }
    config[k.key] = k.fromCoord(best);
  });
  return config as KnobValues;
}

/** A draw from the space's prior (every knob uniform in its coordinates): the fallback when the model keeps repeating itself. */
function drawPrior(space: TpeSpace, rng: Rng): KnobValues {
  return suggestOne(
    space,
    space.knobs.map((k) => ({ good: fitParzen(k.dim, []), bad: fitParzen(k.dim, []) })),
    rng,
    1,
  );
}

/**
 * `count` new configurations (none in `taken`, none twice) suggested from the history; `stream`
 * names the generator (the same stream and history give the same suggestions).
 */
export function suggestTpe(
  space: TpeSpace,
  history: readonly Scored[],
  count: number,
  opts: { stream: string; candidates: number; taken: ReadonlySet<string> },
): KnobValues[] {
  const rng = makeRng(opts.stream);
  const fitted = fitTpe(space, history);
  const seen = new Set(opts.taken);
  const out: KnobValues[] = [];
  while (out.length < count) {
    let found: KnobValues | null = null;
    for (let t = 0; t < 2 * MAX_TRIES && !found; t++) {
      const c = t < MAX_TRIES ? suggestOne(space, fitted, rng, opts.candidates) : drawPrior(space, rng);
      if (!seen.has(configId(c))) found = c;
    }
    if (!found) {
      throw new UsageError(
        `search.samples: after ${seen.size} distinct configurations, ${2 * MAX_TRIES} draws from the space gave none that was not run already; widen the space or ask for fewer samples`,
      );
    }
    seen.add(configId(found));
    out.push(found);
  }
  return out;
}
