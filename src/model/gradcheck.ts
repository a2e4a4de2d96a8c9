/**
 * Gradient check: analytic gradients from ReferenceRnn.backward against central differences
 *   n = (L(θ + δ) - L(θ - δ)) / 2δ,   δ = 1e-5
 * for every element of every parameter array. Relative error |a − n| / max(|a| + |n|, 1e-12).
 */
import { gaussian, makeRng } from '../util/rng.js';
import { initParams } from './params.js';
import { ReferenceRnn } from './rnn.js';
import { PARAM_NAMES, type ParamName, type RnnConfig } from './types.js';

export interface GradcheckOptions {
  vocabSize: number;
  hiddenSize: number;
  unroll: number;
  seed: number;
  delta: number;
  /** Weight scale: larger than training's 0.01 so no gradient is so small that round-off dominates. */
  weightScale: number;
}

export const GRADCHECK_DEFAULTS: GradcheckOptions = {
  vocabSize: 7,
  hiddenSize: 10,
  unroll: 8,
  seed: 1,
  delta: 1e-5,
  weightScale: 0.5,
};

export interface GradcheckResult {
  params: { name: ParamName; maxRelError: number; size: number }[];
}

export function gradcheck(opts: Partial<GradcheckOptions> = {}): GradcheckResult {
  const o = { ...GRADCHECK_DEFAULTS, ...opts };
  const config: RnnConfig = {
    vocabSize: o.vocabSize,
    hiddenSize: o.hiddenSize,
    unroll: o.unroll,
    learningRate: 0.1,
    clip: 5,
    seed: o.seed,
  };
  const rng = makeRng(`gradcheck:${o.seed}`);
  const params = initParams(config);
  for (const name of PARAM_NAMES) {
    const w = params[name];
    for (let i = 0; i < w.length; i++) w[i] = gaussian(rng) * o.weightScale;
  }
  const model = new ReferenceRnn(config, params);
  // A random chunk of unroll + 1 symbols and a random incoming hidden state.
  const data = new Int32Array(o.unroll + 1);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * o.vocabSize);
  const hPrev = new Float64Array(o.hiddenSize);
  for (let i = 0; i < hPrev.length; i++) hPrev[i] = Math.tanh(gaussian(rng));

  model.lossAndGradients(data, 0, o.unroll, hPrev);
  const results: GradcheckResult['params'] = [];
  for (const name of PARAM_NAMES) {
    const w = model.params[name];
    const analytic = model.grads[name].slice();
    let maxRel = 0;
    for (let i = 0; i < w.length; i++) {
      const old = w[i];
      w[i] = old + o.delta;
      const plus = model.forward(data, 0, o.unroll, hPrev);
      w[i] = old - o.delta;
      const minus = model.forward(data, 0, o.unroll, hPrev);
      w[i] = old;
      const numerical = (plus - minus) / (2 * o.delta);
      const rel = Math.abs(analytic[i] - numerical) / Math.max(Math.abs(analytic[i]) + Math.abs(numerical), 1e-12);
      if (rel > maxRel) maxRel = rel;
    }
    results.push({ name, maxRelError: maxRel, size: w.length });
  }
  return { params: results };
}
