/**
 * Gradient check: analytic gradients against central differences
 *   n_δ = (L(θ + δ·e_i) − L(θ − δ·e_i)) / 2δ
 * for elements θ_i of every named parameter tensor (in fact the five-point stencil, below), with
 * the relative error
 *   rel(a, n) = |a − n| / max(|a| + |n|, r / 1e-5)      (0 when a = n)
 * where r is what the rounding of the losses (4 ε relative each) can contribute to n: about 1e-11
 * for min-char-rnn's losses, so the denominator is floored near 1e-6 and an element whose whole
 * gradient is below that is judged by its absolute error instead.
 *
 * Why several δ. A central difference has a truncation error of order δ²·L''' and a round-off
 * error of order ε·|L|/δ. Which δ balances them differs per element and per model: in a chaotic
 * network (large weights, long chunks) L is so rough that δ = 1e-5 straddles a kink and gives a
 * derivative of the wrong sign, while 1e-7 is right; for a tiny gradient, round-off swamps a small
 * δ and 1e-3 is right. So each element is checked at δ = 1e-3, 1e-4, …, 1e-7 and its error is the
 * smallest of them: a correct analytic gradient agrees with the difference quotient at the δ where
 * that quotient is accurate, a wrong one agrees with none of them (agreeing to 1e-5 with one of
 * five unrelated numbers by accident is out of reach). The δ that won is reported.
 *
 * Where. The check runs at the model's real initialisation (min-char-rnn's N(0,1)·0.01 weights,
 * zero biases) or, with trainSteps, after that many Adagrad steps on random text, with a random
 * incoming hidden state; never at an artificial weight scale.
 *
 * How many elements. Tensors of at most `samples` elements are checked whole; larger ones at
 * `samples` elements: a third with the largest |analytic gradient|, a third drawn among the
 * non-zero ones, a third drawn uniformly (seeded).
 */
import { gaussian, makeRng, type Rng } from '../util/rng.js';
import type { CellName } from './cells/index.js';
import { ReferenceModel } from './reference.js';
import type { RnnConfig } from './types.js';

/** Something with named parameter tensors whose loss and gradients can be computed. */
export interface GradTarget {
  readonly names: readonly string[];
  /** The live parameter tensor: the check perturbs it in place and restores it. */
  tensor(name: string): Float64Array;
  /** The loss at the current parameters (forward only). */
  loss(): number;
  /** The analytic gradients at the current parameters. */
  gradients(): Record<string, Float64Array>;
}

export const GRADCHECK_DELTAS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7] as const;
export const GRADCHECK_TOLERANCE = 1e-5;

export interface CheckOptions {
  samples: number;
  seed: number | string;
  deltas: readonly number[];
}

export interface TensorCheck {
  name: string;
  size: number;
  checked: number;
  maxRelError: number;
  /** The element with the largest error: index, analytic and numerical values, the δ that won. */
  worst: { index: number; analytic: number; numerical: number; delta: number } | null;
}

/**
 * Relative error |a − n| / max(|a| + |n|, noise / GRADCHECK_TOLERANCE), 0 when a = n. `noise` is the
 * absolute error round-off alone can put into the numerical estimate n: below |a| + |n| ≈
 * noise / tolerance a relative error is meaningless, so the denominator stops shrinking there.
 */
export function relError(a: number, n: number, noise = 0): number {
  const d = Math.abs(a - n);
  return d === 0 ? 0 : d / Math.max(Math.abs(a) + Math.abs(n), noise / GRADCHECK_TOLERANCE);
}

/** Relative rounding error assumed for a computed loss (4 ε). */
export const LOSS_ROUNDING = 4 * Number.EPSILON;

/** Indices checked in a tensor of analytic gradient g (all of them when it is small). */
export function pickElements(g: Float64Array, samples: number, rng: Rng): number[] {
  if (g.length <= samples) return Array.from(g.keys());
  const chosen = new Set<number>();
  const third = Math.ceil(samples / 3);
  const byMagnitude = Array.from(g.keys()).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i]));
  for (const i of byMagnitude.slice(0, third)) chosen.add(i);
  const nonZero = byMagnitude.filter((i) => g[i] !== 0);
  for (let k = 0; k < third && nonZero.length > 0; k++) chosen.add(nonZero[Math.floor(rng() * nonZero.length)]);
  while (chosen.size < samples) chosen.add(Math.floor(rng() * g.length));
  return [...chosen].sort((a, b) => a - b);
}

/** The central-difference check of every tensor of `target`. */
export function checkGradients(target: GradTarget, opts: CheckOptions): TensorCheck[] {
  const analytic = target.gradients();
  const rng = makeRng(`gradcheck-elements:${opts.seed}`);
  return target.names.map((name) => {
    const w = target.tensor(name);
    const g = analytic[name];
    const result: TensorCheck = { name, size: w.length, checked: 0, maxRelError: 0, worst: null };
    for (const i of pickElements(g, opts.samples, rng)) {
      const old = w[i];
      let best = { rel: Infinity, numerical: NaN, delta: NaN };
      for (const delta of opts.deltas) {
        const at = (x: number): number => {
          w[i] = old + x;
          return target.loss();
        };
        const [p1, m1, p2, m2] = [at(delta), at(-delta), at(2 * delta), at(-2 * delta)];
        w[i] = old;
        // The five-point stencil (Richardson's extrapolation of two central differences):
        // truncation error O(δ⁴) instead of O(δ²), so a larger δ, with less round-off, is exact enough.
        const numerical = (8 * (p1 - m1) - (p2 - m2)) / (12 * delta);
        // What round-off alone can make of it: each loss is computed to about LOSS_ROUNDING relative.
        const noise =
          ((8 * (Math.abs(p1) + Math.abs(m1)) + Math.abs(p2) + Math.abs(m2)) * LOSS_ROUNDING) / (12 * delta);
        const rel = relError(g[i], numerical, noise);
        if (rel < best.rel) best = { rel, numerical, delta };
        if (rel < GRADCHECK_TOLERANCE / 10) break; // comfortably right: no need to try more δ
      }
      result.checked++;
      if (result.worst === null || best.rel > result.maxRelError) {
        result.maxRelError = Math.max(result.maxRelError, best.rel);
        result.worst = { index: i, analytic: g[i], numerical: best.numerical, delta: best.delta };
      }
    }
    return result;
  });
}

export interface GradcheckOptions {
  vocabSize: number;
  hiddenSize: number;
  unroll: number;
  seed: number;
  cell: CellName;
  layers: number;
  batch: number;
  /** Dropout between layers, on the input and before the output layer (the masks are drawn once and held fixed for the check). */
  dropout: number;
  inputDropout: number;
  outputDropout: number;
  /** Adagrad steps on random text before the check (0: check at the initialisation). */
  trainSteps: number;
  /** Elements checked per tensor (tensors at most this large are checked whole). */
  samples: number;
}

export const GRADCHECK_DEFAULTS: GradcheckOptions = {
  vocabSize: 7,
  hiddenSize: 10,
  unroll: 8,
  seed: 1,
  cell: 'rnn',
  layers: 1,
  batch: 1,
  dropout: 0,
  inputDropout: 0,
  outputDropout: 0,
  trainSteps: 0,
  samples: 15,
};

export interface GradcheckResult {
  tolerance: number;
  params: TensorCheck[];
}

/** Random text of n symbols over V. */
function randomIds(n: number, V: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rng() * V));
}

/**
 * The check target of a ReferenceModel (or a subclass: the tests plant bugs that way): one chunk
 * of random text per stream from a random incoming state tanh(N(0,1)).
 */
export function modelTarget(model: ReferenceModel, rng: Rng): GradTarget {
  const { unroll, vocabSize, batch } = model.config;
  const data = randomIds(batch * (unroll + 1), vocabSize, rng);
  const starts = Array.from({ length: batch }, (_, b) => b * (unroll + 1));
  const sPrev = model.exportHidden().map(() => Math.tanh(gaussian(rng)));
  return {
    names: Object.keys(model.params),
    tensor: (name) => model.params[name],
    loss: () => model.forward(data, starts, unroll, sPrev),
    gradients: () => model.lossAndGradients(data, starts, unroll, sPrev).grads,
  };
}

/** The model's configuration: min-char-rnn's optimizer settings, the check's shape and knobs. */
export function gradcheckConfig(o: GradcheckOptions): RnnConfig {
  const { vocabSize, hiddenSize, unroll, seed, cell, layers, batch, dropout, inputDropout, outputDropout } = o;
  return {
    vocabSize,
    hiddenSize,
    unroll,
    learningRate: 0.1,
    clip: 5,
    seed,
    cell,
    layers,
    batch,
    dropout,
    inputDropout,
    outputDropout,
  };
}

/** A reference model at its real initialisation, after opts.trainSteps Adagrad steps on random text. */
export function gradcheckModel(opts: GradcheckOptions, make = (c: RnnConfig) => new ReferenceModel(c)): ReferenceModel {
  const config = gradcheckConfig(opts);
  const model = make(config);
  const { unroll, batch, trainSteps } = opts;
  const text = randomIds(batch * (trainSteps * unroll + 1), opts.vocabSize, makeRng(`gradcheck-train:${opts.seed}`));
  const part = trainSteps * unroll + 1; // char-rnn's loader: stream b reads its own part
  for (let s = 0; s < trainSteps; s++) {
    model.trainChunk(
      text,
      Array.from({ length: batch }, (_, b) => b * part + s * unroll),
      unroll,
    );
  }
  return model;
}

export function gradcheck(opts: Partial<GradcheckOptions> = {}): GradcheckResult {
  const o = { ...GRADCHECK_DEFAULTS, ...opts };
  const model = gradcheckModel(o);
  const target = modelTarget(model, makeRng(`gradcheck:${o.seed}`));
  return {
    tolerance: GRADCHECK_TOLERANCE,
    params: checkGradients(target, { samples: o.samples, seed: o.seed, deltas: GRADCHECK_DELTAS }),
  };
}
