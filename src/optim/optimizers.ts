/**
 * The optimizers, each a named memory per parameter tensor and one update, plus gradient clipping
 * by global norm. adagrad is min-char-rnn's (src/optim/adagrad.ts, unchanged numerics).
 *   adagrad:  m += g²;                       θ −= lr·g / √(m + 1e-8)
 *   rmsprop:  m = α·m + (1 − α)·g², α = 0.95; θ −= lr·g / (√m + 1e-8)         (char-rnn's)
 *   adam:     m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²  (β1 0.9, β2 0.999), step t
 *             θ −= lr·m̂ / (√v̂ + 1e-8),  m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)
 * and, with any of them, decoupled weight decay λ (Loshchilov & Hutter; torch.optim.AdamW's order):
 *   θ ← θ·(1 − lr·λ), then the update above       (for the decayed tensors: the weight matrices)
 * It is not a gradient (adam with it is AdamW, not Adam on an L2 loss): the loss and its gradients
 * do not change, only the update does.
 */
import { adagradStep } from './adagrad.js';

export const OPTIMIZER_NAMES = ['adagrad', 'rmsprop', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];
/** Named Float64 tensors: the parameters, their gradients, an optimizer's memory (src/model/types.ts's Tensors). */
type Tensors = Record<string, Float64Array>;

export interface Optimizer {
  readonly name: OptimizerName;
  /** Its memory, by `${slot}.${tensor}` (e.g. mem.Wxh; adam: m.Wxh, v.Wxh and the step count t). */
  readonly state: Tensors;
  /** One update of every parameter tensor from its (already clipped) gradient. */
  step(lr: number): void;
}

const RMSPROP_DECAY = 0.95;
const ADAM_B1 = 0.9;
const ADAM_B2 = 0.999;
const EPS = 1e-8;

/** An optimizer over the named tensors `params`, reading the gradients from `grads` (same names). */
export function makeOptimizer(name: OptimizerName, params: Tensors, grads: Tensors): Optimizer {
  const names = Object.keys(params);
  const slot = (s: string) => Object.fromEntries(names.map((n) => [`${s}.${n}`, new Float64Array(params[n].length)]));
  // The same arrays as lists, made once, so a step allocates nothing.
  const ps = names.map((n) => params[n]);
  const gs = names.map((n) => grads[n]);
  switch (name) {
    case 'adagrad': {
      const state = slot('mem');
      const ms = names.map((n) => state[`mem.${n}`]);
      return { name, state, step: (lr) => ps.forEach((p, i) => adagradStep(p, gs[i], ms[i], lr)) };
    }
    case 'rmsprop': {
      const state = slot('ms');
      const ms = names.map((n) => state[`ms.${n}`]);
      return { name, state, step: (lr) => ps.forEach((p, i) => rmspropStep(p, gs[i], ms[i], lr)) };
    }
    case 'adam': {
      const state: Tensors = { ...slot('m'), ...slot('v'), t: new Float64Array(1) };
      const m = names.map((n) => state[`m.${n}`]);
      const v = names.map((n) => state[`v.${n}`]);
      const t = state.t;
      return {
        name,
        state,
        step: (lr) => {
          t[0]++;
          const c1 = 1 - ADAM_B1 ** t[0];
          const c2 = 1 - ADAM_B2 ** t[0];
          ps.forEach((p, i) => adamStep(p, gs[i], m[i], v[i], lr, c1, c2));
        },
      };
    }
    default: {
      const never: never = name;
      throw new RangeError(`unknown optimizer ${String(never)}; expected one of ${OPTIMIZER_NAMES.join(', ')}`);
    }
  }
}

/** `opt` with decoupled weight decay λ on the tensors `names` of `params` (λ = 0: `opt` itself). */
export function withWeightDecay(opt: Optimizer, params: Tensors, names: readonly string[], lambda: number): Optimizer {
  if (lambda === 0) return opt;
  const decayed = names.map((n) => params[n]);
  return {
    name: opt.name,
    state: opt.state,
    step: (lr) => {
      const keep = 1 - lr * lambda; // θ ← θ·(1 − lr·λ)
      for (const p of decayed) for (let i = 0; i < p.length; i++) p[i] *= keep;
      opt.step(lr);
    },
  };
}

/** m = α·m + (1 − α)·g² ; θ −= lr·g / (√m + ε) */
function rmspropStep(param: Float64Array, grad: Float64Array, ms: Float64Array, lr: number): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    ms[i] = RMSPROP_DECAY * ms[i] + (1 - RMSPROP_DECAY) * g * g;
    param[i] -= (lr * g) / (Math.sqrt(ms[i]) + EPS);
  }
}

/** Adam's update with bias corrections c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ */
function adamStep(
  param: Float64Array,
  grad: Float64Array,
  m: Float64Array,
  v: Float64Array,
  lr: number,
  c1: number,
  c2: number,
): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = ADAM_B1 * m[i] + (1 - ADAM_B1) * g;
    v[i] = ADAM_B2 * v[i] + (1 - ADAM_B2) * g * g;
    param[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + EPS);
  }
}

/** If the global L2 norm of all gradients exceeds maxNorm, scale them all down to it (char-rnn's grad_clip). */
export function clipGlobalNorm(grads: readonly Float64Array[], maxNorm: number): void {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  if (!(norm > maxNorm)) return;
  const s = maxNorm / norm;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= s;
}
