/**
 * Gradient clipping and Adagrad, exactly as min-char-rnn does them:
 *   np.clip(dparam, -5, 5, out=dparam)
 *   mem += dparam * dparam
 *   param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
 */

/** Clip every element of g to [-clip, clip], in place. */
export function clipInPlace(g: Float64Array, clip: number): void {
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    g[i] = v > clip ? clip : v < -clip ? -clip : v;
  }
}

/** One Adagrad step: m += g²; θ -= lr · g / sqrt(m + 1e-8). */
export function adagradStep(param: Float64Array, grad: Float64Array, mem: Float64Array, lr: number): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    mem[i] += g * g;
    param[i] -= (lr * g) / Math.sqrt(mem[i] + 1e-8);
  }
}
