/**
 * The GRU cell over a chunk of T steps for B streams, forward and backward, in f32x4, with
 * PyTorch's equations (gates r, z, n in that order; b_hn stays inside the reset product, so the
 * two biases cannot be folded into one):
 *
 *   gx_t = x_t·W_ihᵀ + b_ih        gh_t = h_{t-1}·W_hhᵀ + b_hh        [B×3H]
 *   r = σ(gx_r + gh_r)   z = σ(gx_z + gh_z)   n = tanh(gx_n + r⊙gh_n)
 *   h_t = (1 - z)⊙n + z⊙h_{t-1}
 *
 * Layout (f32, row-major; Hp = H rounded up to 4, G = 3·Hp, gate blocks Hp apart; padding zero
 * and stays zero: a padded unit has r = z = ½, n = 0, so h stays 0 and its gradients are 0):
 *   X    T×B×G       in: gx_t (the input part with b_ih, all steps at once, as for the LSTM);
 *                    forward leaves r, z, n there, backward replaces them by ∂loss/∂gx
 *   GH   T×B×G       forward writes gh_t (its n block is needed backwards); backward replaces it
 *                    by ∂loss/∂gh = [∂a_r, ∂a_z, r⊙∂a_n]
 *   WhhP, WhhTP      W_hh (G×Hp) and W_hhᵀ (Hp×G) packed by gemm.ts packRows4;  bhh  1×G
 *   hs   (T+1)×B×Hp  block 0 = the incoming h, block t+1 = h_t;  dH, dh as for the LSTM
 *   hT, GHT          optional (0 = none): h_{t-1} and ∂loss/∂gh transposed, column t·B + b: the
 *                    operands of dW_hh = ∂ghᵀ·h as rows with rows (gemmABtPacked)
 * The caller adds the weight and bias gradients over all T·B rows: dW_hh from GH and hs, db_hh =
 * Σ GH, dW_ih and db_ih = Σ X from X.
 */
import { gemmABtPacked } from './gemm';
import { transpose } from './rows';
import { tanhv } from './vmath';

// @ts-ignore: decorator
@inline
function sigmoidv(x: v128): v128 {
  const half = f32x4.splat(0.5);
  return f32x4.add(half, f32x4.mul(half, tanhv(f32x4.mul(half, x))));
}

/** The element-wise cell at one step: x (B×G) pre-activations in, gates out; gh (B×G) as read. */
function cellForward(B: i32, Hp: i32, x: usize, gh: usize, h0: usize, h1: usize): void {
  const hb = <usize>Hp << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * hb * 3;
    const gb = gh + <usize>b * hb * 3;
    const ob = <usize>b * hb;
    for (let j: usize = 0; j < hb; j += 16) {
      const r = sigmoidv(f32x4.add(v128.load(xb + j), v128.load(gb + j)));
      const z = sigmoidv(f32x4.add(v128.load(xb + hb + j), v128.load(gb + hb + j)));
      const n = tanhv(f32x4.add(v128.load(xb + 2 * hb + j), f32x4.mul(r, v128.load(gb + 2 * hb + j))));
      v128.store(xb + j, r);
      v128.store(xb + hb + j, z);
      v128.store(xb + 2 * hb + j, n);
      const hp = v128.load(h0 + ob + j);
      v128.store(h1 + ob + j, f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, hp)));
    }
  }
}

/**
 * Forward over T steps from hs block 0: gh_t = h_{t-1}·W_hhᵀ + b_hh into GH, then the cell.
 * Leaves r, z, n in X and h_t in block t+1 of hs.
 */
export function gruForward(T: i32, B: i32, Hp: i32, X: usize, GH: usize, WhhP: usize, bhh: usize, hs: usize,
  hT: usize, ldht: i32): void {
  const G = Hp * 3;
  const gStep = <usize>B * <usize>G << 2;
  const hStep = <usize>B * <usize>Hp << 2;
  for (let t = 0; t < T; t++) {
    const gh = GH + <usize>t * gStep;
    const h0 = hs + <usize>t * hStep;
    gemmABtPacked(B, G, Hp, h0, Hp, WhhP, gh, G, bhh, 0);
    if (hT) transpose(B, Hp, h0, Hp, hT + (<usize>(t * B) << 2), ldht);
    cellForward(B, Hp, X + <usize>t * gStep, gh, h0, h0 + hStep);
  }
}

/**
 * The element-wise cell backwards at one step. With dh = dH_t + dh (the recurrent part):
 *   dn = dh⊙(1-z)   dz = dh⊙(h0 - n)   da_n = dn⊙(1 - n²)   dr = da_n⊙gh_n
 *   ∂gx = [dr⊙r(1-r), dz⊙z(1-z), da_n]      ∂gh = [dr⊙r(1-r), dz⊙z(1-z), r⊙da_n]
 * and dh ← dh⊙z, the direct part of ∂loss/∂h_{t-1} (the caller adds ∂gh·W_hh).
 */
function cellBackward(B: i32, Hp: i32, x: usize, gh: usize, h0: usize, dH: usize, dh: usize): void {
  const hb = <usize>Hp << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * hb * 3;
    const gb = gh + <usize>b * hb * 3;
    const ob = <usize>b * hb;
    for (let j: usize = 0; j < hb; j += 16) {
      const r = v128.load(xb + j);
      const z = v128.load(xb + hb + j);
      const n = v128.load(xb + 2 * hb + j);
      const dhv = f32x4.add(v128.load(dH + ob + j), v128.load(dh + ob + j));
      const dan = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dar = f32x4.mul(f32x4.mul(dan, v128.load(gb + 2 * hb + j)), f32x4.mul(r, f32x4.sub(one, r)));
      const daz = f32x4.mul(f32x4.mul(dhv, f32x4.sub(v128.load(h0 + ob + j), n)), f32x4.mul(z, f32x4.sub(one, z)));
      v128.store(xb + j, dar);
      v128.store(xb + hb + j, daz);
      v128.store(xb + 2 * hb + j, dan);
      v128.store(gb + j, dar);
      v128.store(gb + hb + j, daz);
      v128.store(gb + 2 * hb + j, f32x4.mul(r, dan));
      v128.store(dh + ob + j, f32x4.mul(dhv, z));
    }
  }
}

/**
 * Backward over the T steps gruForward saw, from t = T-1 down: the cell, then dh += ∂gh_t·W_hh.
 * Leaves ∂gx in X, ∂gh in GH and ∂loss/∂h_0 in dh.
 */
export function gruBackward(T: i32, B: i32, Hp: i32, X: usize, GH: usize, WhhTP: usize, hs: usize,
  dH: usize, dh: usize, GHT: usize, ldght: i32): void {
  const G = Hp * 3;
  const gStep = <usize>B * <usize>G << 2;
  const hStep = <usize>B * <usize>Hp << 2;
  for (let t = T - 1; t >= 0; t--) {
    const gh = GH + <usize>t * gStep;
    cellBackward(B, Hp, X + <usize>t * gStep, gh, hs + <usize>t * hStep, dH + <usize>t * hStep, dh);
    gemmABtPacked(B, Hp, G, gh, G, WhhTP, dh, Hp, 0, 1);
    if (GHT) transpose(B, G, gh, G, GHT + (<usize>(t * B) << 2), ldght);
  }
}
