/**
 * The LSTM cell over a chunk of T steps for B streams, forward and backward, in f32x4, with
 * PyTorch's equations (gates i, f, g, o in that order):
 *
 *   z_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh        [B×4H]
 *   i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
 *   c_t = f⊙c_{t-1} + i⊙g        h_t = o⊙tanh(c_t)
 *
 * Layout (f32, row-major; Hp = H rounded up to a multiple of 4, G = 4·Hp; padding is zero and
 * stays zero: a padded unit has z = 0, so g = 0 and c, h stay 0, and its gradients are 0):
 *   WhhP             PyTorch's W_hh (G×Hp: gate blocks of Hp rows each, rows H..Hp-1 of a block
 *                    zero) packed by gemm.ts packRows4 for gemmABtPacked
 *   WhhTP            its transpose (Hp×G) packed likewise; the host repacks both after each update
 *   Z    T×B×G       in: the input part x_t·W_ihᵀ + b (all steps at once: a gather of W_ihᵀ rows for
 *                    a one-hot input, gemmABt for a dense one); forward leaves the activated gates
 *                    i, f, g, o there, backward replaces them by dz = ∂loss/∂z
 *   hs   (T+1)×B×Hp  block 0 = the incoming h, block t+1 = h_t;  cs likewise for c
 *   dH   T×B×Hp      ∂loss/∂h_t from above (the output layer); backward adds the recurrent part
 *   dh, dc  B×Hp     in: ∂loss/∂h_T, ∂loss/∂c_T from beyond the chunk (zero for truncated BPTT);
 *                    out: ∂loss/∂h_0, ∂loss/∂c_0
 *   hT   Hp×(T·B)    optional (0 = none): forward also writes h_{t-1} transposed, column t·B + b
 *   ZT   G×(T·B)     optional: backward also writes dz transposed. These are the operands of
 *                    dW_hh = dzᵀ·h as rows with rows (gemmABtPacked); each step transposes its own
 *                    B rows while they are still in cache, instead of one cold transpose at the end
 *
 * The recurrence is the only sequential part: per step one B×G×Hp product and the element-wise
 * cell. Both products are gemmABtPacked, rows with rows (h·W_hhᵀ forward, dz·(W_hhᵀ)ᵀ backward):
 * its dot-product blocks measure faster at these shapes than the broadcast form of gemmAB. What does not depend on it is left to the caller,
 * batched over all T·B rows: the input projection, dW_hh += Σ_t dz_tᵀ·h_{t-1} (one gemmAtB),
 * dW_ih, the bias gradient Σ dz (sumRows), and dX = dz·W_ih for a layer below.
 *
 * σ(x) = ½ + ½·tanh(x/2), exactly, so both activations share vmath's tanh (absolute error ~1e-7).
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

/**
 * The element-wise cell at one step: z (B×G) holds the pre-activations and is overwritten by
 * the gates i, f, g, o; c1 = f⊙c0 + i⊙g; h1 = o⊙tanh(c1).
 */
function cellForward(B: i32, Hp: i32, z: usize, c0: usize, c1: usize, h1: usize): void {
  const hb = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const zb = z + <usize>b * (hb << 2);
    const ob = <usize>b * hb;
    for (let j: usize = 0; j < hb; j += 16) {
      const zi = zb + j;
      const i = sigmoidv(v128.load(zi));
      const f = sigmoidv(v128.load(zi + hb));
      const g = tanhv(v128.load(zi + 2 * hb));
      const o = sigmoidv(v128.load(zi + 3 * hb));
      v128.store(zi, i);
      v128.store(zi + hb, f);
      v128.store(zi + 2 * hb, g);
      v128.store(zi + 3 * hb, o);
      const c = f32x4.add(f32x4.mul(f, v128.load(c0 + ob + j)), f32x4.mul(i, g));
      v128.store(c1 + ob + j, c);
      v128.store(h1 + ob + j, f32x4.mul(o, tanhv(c)));
    }
  }
}

/**
 * Forward over T steps from hs/cs block 0: z_t += h_{t-1}·W_hhᵀ, then the cell. Leaves the gates
 * in Z and h_t, c_t in block t+1 of hs, cs.
 */
export function lstmForward(T: i32, B: i32, Hp: i32, Z: usize, WhhP: usize, hs: usize, cs: usize,
  hT: usize, ldht: i32): void {
  const G = Hp << 2;
  const zStep = <usize>B * <usize>G << 2;
  const hStep = <usize>B * <usize>Hp << 2;
  for (let t = 0; t < T; t++) {
    const z = Z + <usize>t * zStep;
    const h0 = hs + <usize>t * hStep;
    const c0 = cs + <usize>t * hStep;
    gemmABtPacked(B, G, Hp, h0, Hp, WhhP, z, G, 0, 1);
    if (hT) transpose(B, Hp, h0, Hp, hT + (<usize>(t * B) << 2), ldht);
    cellForward(B, Hp, z, c0, c0 + hStep, h0 + hStep);
  }
}

/**
 * The element-wise cell backwards at one step. With dh = dH_t + dh (the recurrent part) and
 * tc = tanh(c1):
 *   do = dh⊙tc              dc = dc + dh⊙o⊙(1 - tc²)
 *   di = dc⊙g   df = dc⊙c0   dg = dc⊙i   dc ← dc⊙f   (the gradient carried to c_{t-1})
 *   dz_i = di⊙i⊙(1-i)   dz_f = df⊙f⊙(1-f)   dz_g = dg⊙(1-g²)   dz_o = do⊙o⊙(1-o)
 * z holds the gates on entry and dz on exit.
 */
function cellBackward(B: i32, Hp: i32, z: usize, c0: usize, c1: usize, dH: usize, dh: usize, dc: usize): void {
  const hb = <usize>Hp << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const zb = z + <usize>b * (hb << 2);
    const ob = <usize>b * hb;
    for (let j: usize = 0; j < hb; j += 16) {
      const zi = zb + j;
      const i = v128.load(zi);
      const f = v128.load(zi + hb);
      const g = v128.load(zi + 2 * hb);
      const o = v128.load(zi + 3 * hb);
      const tc = tanhv(v128.load(c1 + ob + j));
      const dhv = f32x4.add(v128.load(dH + ob + j), v128.load(dh + ob + j));
      const dov = f32x4.mul(dhv, tc);
      const dcv = f32x4.add(v128.load(dc + ob + j), f32x4.mul(f32x4.mul(dhv, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(zi, f32x4.mul(f32x4.mul(dcv, g), f32x4.mul(i, f32x4.sub(one, i))));
      v128.store(zi + hb, f32x4.mul(f32x4.mul(dcv, v128.load(c0 + ob + j)), f32x4.mul(f, f32x4.sub(one, f))));
      v128.store(zi + 2 * hb, f32x4.mul(f32x4.mul(dcv, i), f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(zi + 3 * hb, f32x4.mul(dov, f32x4.mul(o, f32x4.sub(one, o))));
      v128.store(dc + ob + j, f32x4.mul(dcv, f));
    }
  }
}

/**
 * Backward over the T steps lstmForward saw, from t = T-1 down: the cell, then dh = dz_t·W_hh
 * (the gradient into h_{t-1}). Leaves dz in Z and ∂loss/∂h_0, ∂loss/∂c_0 in dh, dc.
 */
export function lstmBackward(T: i32, B: i32, Hp: i32, Z: usize, WhhTP: usize, hs: usize, cs: usize,
  dH: usize, dh: usize, dc: usize, ZT: usize, ldzt: i32): void {
  const G = Hp << 2;
  const zStep = <usize>B * <usize>G << 2;
  const hStep = <usize>B * <usize>Hp << 2;
  for (let t = T - 1; t >= 0; t--) {
    const z = Z + <usize>t * zStep;
    const c0 = cs + <usize>t * hStep;
    cellBackward(B, Hp, z, c0, c0 + hStep, dH + <usize>t * hStep, dh, dc);
    if (ZT) transpose(B, G, z, G, ZT + (<usize>(t * B) << 2), ldzt);
    gemmABtPacked(B, Hp, G, z, G, WhhTP, dh, Hp, 0, 0);
  }
}
