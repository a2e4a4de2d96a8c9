/**
 * A small random order-2 Markov source with a known entropy rate, for tests that check that the
 * models learn what there is to learn and no more.
 */
import { gaussian, makeRng, sampleIndex } from '../../src/util/rng.js';

export interface Order2Source {
  alphabet: number;
  /** P(c | a, b) at ((a * alphabet + b) * alphabet + c). */
  trans: Float64Array;
  /** Entropy rate in bits per symbol: Σ_ab π(a,b) H(P(· | a,b)) under the stationary π. */
  entropyRate: number;
}

export function randomOrder2Source(alphabet: number, seed: string, sharpness = 2): Order2Source {
  const rng = makeRng(seed);
  const A = alphabet;
  const trans = new Float64Array(A * A * A);
  for (let ctx = 0; ctx < A * A; ctx++) {
    // softmax of scaled Gaussians: skewed but full-support distributions
    let sum = 0;
    for (let c = 0; c < A; c++) {
      const v = Math.exp(sharpness * gaussian(rng));
      trans[ctx * A + c] = v;
      sum += v;
    }
    for (let c = 0; c < A; c++) trans[ctx * A + c] /= sum;
  }
  // Stationary distribution over pairs by power iteration: π'(b,c) = Σ_a π(a,b) P(c|a,b).
  let pi = new Float64Array(A * A).fill(1 / (A * A));
  for (let it = 0; it < 2000; it++) {
    const next = new Float64Array(A * A);
    for (let a = 0; a < A; a++)
      for (let b = 0; b < A; b++)
        for (let c = 0; c < A; c++) next[b * A + c] += pi[a * A + b] * trans[(a * A + b) * A + c];
    pi = next;
  }
  let h = 0;
  for (let ctx = 0; ctx < A * A; ctx++) {
    for (let c = 0; c < A; c++) {
      const p = trans[ctx * A + c];
      if (p > 0) h -= pi[ctx] * p * Math.log2(p);
    }
  }
  return { alphabet: A, trans, entropyRate: h };
}

/** n symbols drawn from the source, as a string over 'a', 'b', …. */
export function generate(source: Order2Source, n: number, seed: string): string {
  const rng = makeRng(seed);
  const A = source.alphabet;
  const out: string[] = [];
  let a = 0;
  let b = 0;
  const row = new Float64Array(A);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < A; c++) row[c] = source.trans[(a * A + b) * A + c];
    const c = sampleIndex(row, rng);
    out.push(String.fromCharCode(97 + c));
    a = b;
    b = c;
  }
  return out.join('');
}
