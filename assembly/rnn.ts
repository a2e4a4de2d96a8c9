/**
 * min-char-rnn's cell over a chunk of T steps for B streams, forward and backward, in f32x4 (the
 * one host model's rnn cell at any batch, optimizer or layer count; min-char-rnn's own
 * configuration keeps its fused kernels in minCharRnn.ts):
 *
 *   z_t = x_t·W_xhᵀ + b_h + h_{t-1}·W_hhᵀ        h_t = tanh(z_t)        [B×Hp]
 *
 * Layout as lstm.ts's with one gate block: Z T×B×Hp holds the input part on entry (forward adds
 * the recurrent part; backward replaces it by dz = ∂loss/∂z); hs (T+1)×B×Hp; WhhP and WhhTP are
 * W_hh (Hp×Hp, padding zero) and its transpose packed by packRows4; hT and ZT (optional) receive
 * h_{t-1} and dz transposed, the operands of dW_hh = dzᵀ·h as rows with rows.
 */
import { gemmABtPacked } from './gemm';
import { transpose } from './rows';
import { tanhv } from './vmath';

/** Forward over T steps from hs block 0: z_t += h_{t-1}·W_hhᵀ; h_t = tanh(z_t) into block t+1. */
export function rnnForward(T: i32, B: i32, Hp: i32, Z: usize, WhhP: usize, hs: usize, hT: usize, ldht: i32): void {
  const step = <usize>B * <usize>Hp << 2;
  for (let t = 0; t < T; t++) {
    const z = Z + <usize>t * step;
    const h0 = hs + <usize>t * step;
    gemmABtPacked(B, Hp, Hp, h0, Hp, WhhP, z, Hp, 0, 1);
    if (hT) transpose(B, Hp, h0, Hp, hT + (<usize>(t * B) << 2), ldht);
    const h1 = h0 + step;
    for (let j: usize = 0; j < step; j += 16) v128.store(h1 + j, tanhv(v128.load(z + j)));
  }
}

/**
 * Backward over the T steps rnnForward saw, from t = T-1 down: dz_t = (1 - h_t²)⊙(dH_t + dh), then
 * dh = dz_t·W_hh (into h_{t-1}). Leaves dz in Z and ∂loss/∂h_0 in dh.
 */
export function rnnBackward(T: i32, B: i32, Hp: i32, Z: usize, WhhTP: usize, hs: usize, dH: usize, dh: usize,
  ZT: usize, ldzt: i32): void {
  const step = <usize>B * <usize>Hp << 2;
  const one = f32x4.splat(1.0);
  for (let t = T - 1; t >= 0; t--) {
    const z = Z + <usize>t * step;
    const h1 = hs + <usize>(t + 1) * step;
    const d = dH + <usize>t * step;
    for (let j: usize = 0; j < step; j += 16) {
      const h = v128.load(h1 + j);
      v128.store(z + j, f32x4.mul(f32x4.sub(one, f32x4.mul(h, h)), f32x4.add(v128.load(d + j), v128.load(dh + j))));
    }
    if (ZT) transpose(B, Hp, z, Hp, ZT + (<usize>(t * B) << 2), ldzt);
    gemmABtPacked(B, Hp, Hp, z, Hp, WhhTP, dh, Hp, 0, 0);
  }
}
