/**
 * The WebAssembly kernels of the one host model (build/kernels.wasm, and build/kernels-relaxed.wasm
 * with relaxed SIMD): the matrix products (gemm.ts), the rnn, LSTM and GRU cells over a chunk
 * (rnn.ts, lstm.ts, gru.ts), the row-wise kernels and Adam (rows.ts), the other optimizers, value
 * clipping and the sampling softmax (optim.ts), and peak-throughput probes for the benchmark.
 *
 * Unlike assembly/minCharRnn.ts, which owns its layout, these kernels take every buffer as a byte
 * address: the host (src/backend/wasmKernels.ts) lays the memory out from heapBase() on and grows
 * it. Nothing here allocates.
 */
export { gemmAB, gemmABt, gemmABtPacked, gemmAtB, packRows4 } from './gemm';
export { rnnBackward, rnnForward } from './rnn';
export { lstmBackward, lstmForward } from './lstm';
export { gruBackward, gruForward } from './gru';
export { adam, dropoutMask, gatherRows, scatterAddRows, softmaxXent, sumRows, sumSquares, transpose } from './rows';
export { adagrad, clipValues, rmsprop, softmaxRow } from './optim';
import { mac } from './gemm';

/** First free byte after the static data, 64-byte aligned. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** 1 when this build multiplies and adds with relaxed SIMD (f32x4.relaxed_madd), else 0. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** f32 multiply-adds in one round of peakProbe. */
export function peakMacsPerRound(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 40 : 24;
}

/**
 * The peak probe: iters rounds of register-resident f32x4 work with no memory traffic.
 * SIMD128: 6 independent pairs of chains p ← p·a; s ← s + p (a multiply and an add per pair, 24
 * multiply-adds a round; 6 chains cover the multiply's latency at two multiplies and two adds per
 * cycle, and 13 live vectors fit V8's 15 xmm registers). Relaxed: 10 chains s ← s + p·a in one
 * relaxed multiply-add each (40 a round), p fixed. Call with a = 1 so nothing grows; returns a
 * lane of the sums so nothing is optimised away.
 */
export function peakProbe(iters: i32, a: f32, b: f32): f32 {
  const av = f32x4.splat(a);
  let p0 = f32x4.splat(b), p1 = f32x4.splat(b + 1), p2 = f32x4.splat(b + 2);
  let p3 = f32x4.splat(b + 3), p4 = f32x4.splat(b + 4), p5 = f32x4.splat(b + 5);
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0, s8 = s0, s9 = s0;
  for (let i = 0; i < iters; i++) {
    if (ASC_FEATURE_RELAXED_SIMD) {
      s0 = mac(s0, p0, av); s1 = mac(s1, p1, av); s2 = mac(s2, p2, av);
      s3 = mac(s3, p0, av); s4 = mac(s4, p1, av); s5 = mac(s5, p0, av);
      s6 = mac(s6, p1, av); s7 = mac(s7, p0, av); s8 = mac(s8, p1, av); s9 = mac(s9, p0, av);
    } else {
      p0 = f32x4.mul(p0, av); p1 = f32x4.mul(p1, av); p2 = f32x4.mul(p2, av);
      p3 = f32x4.mul(p3, av); p4 = f32x4.mul(p4, av); p5 = f32x4.mul(p5, av);
      s0 = f32x4.add(s0, p0); s1 = f32x4.add(s1, p1); s2 = f32x4.add(s2, p2);
      s3 = f32x4.add(s3, p3); s4 = f32x4.add(s4, p4); s5 = f32x4.add(s5, p5);
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)),
    f32x4.add(f32x4.add(s4, s5), f32x4.add(f32x4.add(s6, s7), f32x4.add(s8, s9))));
  return f32x4.extract_lane(s, 0);
}

/**
 * The L1 probe: the multiply-adds of a 2×4 block, as in gemmABt, with every operand loaded from a
 * small buffer that stays in L1 (bytes long, a multiple of 96): per 96 bytes, 6 vector loads from
 * one pointer (immediate offsets) feed 8 multiply-adds into 8 accumulators (32 f32 MACs), with no
 * horizontal sums or stores. Repeated passes times over the buffer. Returns a lane of the sums.
 */
export function peakProbeL1(buf: usize, bytes: usize, passes: i32): f32 {
  const zero = f32x4.splat(0);
  let c00 = zero, c01 = zero, c02 = zero, c03 = zero;
  let c10 = zero, c11 = zero, c12 = zero, c13 = zero;
  const end = buf + bytes;
  for (let n = 0; n < passes; n++) {
    for (let p = buf; p < end; p += 96) {
      const x0 = v128.load(p);
      const x1 = v128.load(p, 16);
      let w = v128.load(p, 32);
      c00 = mac(c00, x0, w);
      c10 = mac(c10, x1, w);
      w = v128.load(p, 48);
      c01 = mac(c01, x0, w);
      c11 = mac(c11, x1, w);
      w = v128.load(p, 64);
      c02 = mac(c02, x0, w);
      c12 = mac(c12, x1, w);
      w = v128.load(p, 80);
      c03 = mac(c03, x0, w);
      c13 = mac(c13, x1, w);
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c00, c01), f32x4.add(c02, c03)), f32x4.add(f32x4.add(c10, c11), f32x4.add(c12, c13)));
  return f32x4.extract_lane(s, 0);
}
