import { initTensors } from './spec.js';
import type { Params, RnnConfig, Tensors } from './types.js';

/** Zero-filled arrays shaped like the parameters of an H-hidden, V-symbol min-char-rnn. */
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
 * (The one-layer rnn case of src/model/spec.ts's initTensors.)
 */
export function initParams(config: RnnConfig): Params {
  return initTensors({ ...config, cell: 'rnn', layers: 1 }) as Params;
}

/** Copies of every tensor. */
export function copyTensors<T extends Tensors>(p: T): T {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()])) as T;
}
