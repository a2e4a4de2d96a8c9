/**
 * The test seam of min-char-rnn's fused WebAssembly kernels: what only the tests call, kept out of the backend's
 * classes. Product code never imports this module.
 */
import { instantiateKernels } from './minCharRnnWasm.js';

/** Most values testVectorMath accepts at once. */
export const VECTOR_MATH_MAX = 4096;

/**
 * The kernels' vector tanh ('tanh') or exp ('exp') applied to xs (at most VECTOR_MATH_MAX
 * values), on a fresh instance of the kernels; for measuring their accuracy.
 */
export function testVectorMath(fn: 'tanh' | 'exp', xs: Float32Array): Float32Array {
  const n = (xs.length + 3) & ~3;
  if (n > VECTOR_MATH_MAX) throw new RangeError(`at most ${VECTOR_MATH_MAX} values`);
  const { k, layout } = instantiateKernels(1, 1, 1, VECTOR_MATH_MAX);
  const view = new Float32Array(k.memory.buffer, layout.ids, n);
  view.fill(0);
  view.set(xs);
  k.testVectorMath(fn === 'tanh' ? 0 : 1, n);
  return view.slice(0, xs.length);
}
