/**
 * The reference backend's operations, each a forward/backward pair side by side (llm.c style),
 * Float64, row-major, no allocation. Shapes in brackets; `+=` means the op accumulates into its
 * output (or gradient) buffer, so a sum of terms is built by calling several ops on one buffer.
 * Each pair states its equation; the backward pair of y = f(x) turns dy into dx (and dW).
 *
 * The order of floating-point operations is part of the contract: min-char-rnn's cell built from
 * these ops reproduces the original ReferenceRnn bit for bit (a = Wxh[:, x] + bh, then
 * a += Whh·h one term at a time; y = by, then y += Why·h; dh = dhnext, then dh += Whyᵀ·dy ...).
 */

// ---- matrix ops take whole vectors (views); the elementwise ops below take offsets into ----------
// ---- stacked gate vectors ------------------------------------------------------------------------

// ---- lookup: the one-hot product W·onehot(x) is column x of W -----------------------------------

/**
 * out[r] = W[r, x]·s  (W [rows × cols], out [rows]): W·(s·onehot(x)); s is 1, or an input-dropout
 * mask value (0: the character dropped, 1/(1 − p): kept)
 */
export function lookupForward(out: Float64Array, W: Float64Array, rows: number, cols: number, x: number, s = 1): void {
  if (s === 1) for (let r = 0; r < rows; r++) out[r] = W[r * cols + x];
  else for (let r = 0; r < rows; r++) out[r] = W[r * cols + x] * s;
}

/** dW[r, x] += dout[r]·s */
export function lookupBackward(
  dW: Float64Array,
  dout: Float64Array,
  rows: number,
  cols: number,
  x: number,
  s = 1,
): void {
  if (s === 1) for (let r = 0; r < rows; r++) dW[r * cols + x] += dout[r];
  else for (let r = 0; r < rows; r++) dW[r * cols + x] += dout[r] * s;
}

// ---- dropout: a fixed mask m (0, or 1/(1 − p) to keep the expectation) -----------------------------

/** out = x ⊙ m  ([n]; written) */
export function maskForward(
  out: Float64Array,
  o: number,
  x: Float64Array,
  xo: number,
  m: Float64Array,
  mo: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[o + i] = x[xo + i] * m[mo + i];
}

/** dx += dout ⊙ m */
export function maskBackward(
  dx: Float64Array,
  dxo: number,
  dout: Float64Array,
  d: number,
  m: Float64Array,
  mo: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) dx[dxo + i] += dout[d + i] * m[mo + i];
}

// ---- bias ----------------------------------------------------------------------------------------

/** out[r] += b[r]  ([n]) */
export function biasForward(out: Float64Array, b: Float64Array, n: number): void {
  for (let r = 0; r < n; r++) out[r] += b[r];
}

/** db[r] += dout[r] */
export function biasBackward(db: Float64Array, dout: Float64Array, n: number): void {
  for (let r = 0; r < n; r++) db[r] += dout[r];
}

// ---- linear: out += W·x --------------------------------------------------------------------------

/** out[r] += Σ_c W[r, c]·x[c], summed left to right onto out[r]  (W [rows × cols], x [cols], out [rows]) */
export function linearForward(out: Float64Array, W: Float64Array, x: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let a = out[r];
    const row = r * cols;
    for (let c = 0; c < cols; c++) a += W[row + c] * x[c];
    out[r] = a;
  }
}

/** dW[r, c] += dout[r]·x[c] ;  dx[c] += Σ_r W[r, c]·dout[r]  (rows in order; dx null: not wanted) */
export function linearBackward(
  dW: Float64Array,
  dx: Float64Array | null,
  W: Float64Array,
  x: Float64Array,
  dout: Float64Array,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g = dout[r];
    const row = r * cols;
    if (dx === null) {
      for (let c = 0; c < cols; c++) dW[row + c] += g * x[c];
    } else {
      for (let c = 0; c < cols; c++) {
        dW[row + c] += g * x[c];
        dx[c] += W[row + c] * g;
      }
    }
  }
}

// ---- activations (in place allowed: out may be the input) -----------------------------------------

/** out = tanh(a)  ([n]) */
export function tanhForward(out: Float64Array, o: number, a: Float64Array, ao: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = Math.tanh(a[ao + i]);
}

/** da = (1 − out²) ⊙ dout  (from the output; written, not accumulated) */
export function tanhBackward(
  da: Float64Array,
  dao: number,
  out: Float64Array,
  o: number,
  dout: Float64Array,
  d: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const y = out[o + i];
    da[dao + i] = (1 - y * y) * dout[d + i];
  }
}

/** out = σ(a) = 1 / (1 + e^−a)  ([n]) */
export function sigmoidForward(out: Float64Array, o: number, a: Float64Array, ao: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = 1 / (1 + Math.exp(-a[ao + i]));
}

/** da = out ⊙ (1 − out) ⊙ dout  (written) */
export function sigmoidBackward(
  da: Float64Array,
  dao: number,
  out: Float64Array,
  o: number,
  dout: Float64Array,
  d: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const s = out[o + i];
    da[dao + i] = s * (1 - s) * dout[d + i];
  }
}

// ---- elementwise gates -------------------------------------------------------------------------------

/** out += a ⊙ b  ([n]) */
export function mulForward(
  out: Float64Array,
  o: number,
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[o + i] += a[ao + i] * b[bo + i];
}

/** da += dout ⊙ b ;  db += dout ⊙ a  (either may be null) */
export function mulBackward(
  da: Float64Array | null,
  dao: number,
  db: Float64Array | null,
  dbo: number,
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  dout: Float64Array,
  d: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const g = dout[d + i];
    if (da !== null) da[dao + i] += g * b[bo + i];
    if (db !== null) db[dbo + i] += g * a[ao + i];
  }
}

// ---- softmax + cross-entropy ----------------------------------------------------------------------------

/**
 * p = softmax(y·invT) in place over y [n] (the max subtracted first), returns −ln p[target]
 * (0 when target < 0). invT = 1/T: sampling temperature; training and scoring use 1.
 */
export function softmaxCrossEntropyForward(y: Float64Array, o: number, n: number, target: number, invT = 1): number {
  let max = -Infinity;
  for (let k = 0; k < n; k++) if (y[o + k] > max) max = y[o + k];
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const e = Math.exp((y[o + k] - max) * invT);
    y[o + k] = e;
    sum += e;
  }
  for (let k = 0; k < n; k++) y[o + k] /= sum;
  return target < 0 ? 0 : -Math.log(y[o + target]);
}

/** dy = (p − onehot(target))·scale, in place over p [n] (scale 1/B for a mean over B streams) */
export function softmaxCrossEntropyBackward(
  p: Float64Array,
  o: number,
  n: number,
  target: number,
  scale: number,
): void {
  p[o + target] -= 1;
  if (scale !== 1) for (let k = 0; k < n; k++) p[o + k] *= scale;
}
