import { gaussian, makeRng } from '../util/rng.js';
import { PARAM_NAMES, type Params, type RnnConfig } from './types.js';

/** Zero-filled arrays shaped like the parameters of an H-hidden, V-symbol RNN. */
export function zerosLike(hiddenSize: number, vocabSize: number): Params {
  const H = hiddenSize;
  const V = vocabSize;
  return {
    Wxh: new Float64Array(H * V), // input to hidden
    Whh: new Float64Array(H * H), // hidden to hidden
    Why: new Float64Array(V * H), // hidden to output
    bh: new Float64Array(H), // hidden bias
    by: new Float64Array(V), // output bias
  };
}

/**
 * min-char-rnn's initialisation: weights N(0,1)·0.01 drawn from a generator seeded with
 * config.seed (Wxh, then Whh, then Why, row-major), biases 0. Every backend starts from these.
 */
export function initParams(config: RnnConfig): Params {
  const p = zerosLike(config.hiddenSize, config.vocabSize);
  const rng = makeRng(`init:${config.seed}`);
  for (const w of [p.Wxh, p.Whh, p.Why]) {
    for (let i = 0; i < w.length; i++) w[i] = gaussian(rng) * 0.01;
  }
  return p;
}

export function copyParams(p: Params): Params {
  return { Wxh: p.Wxh.slice(), Whh: p.Whh.slice(), Why: p.Why.slice(), bh: p.bh.slice(), by: p.by.slice() };
}

export function paramList(p: Params): Float64Array[] {
  return PARAM_NAMES.map((n) => p[n]);
}
