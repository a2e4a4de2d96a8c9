/*
 * The native kernels' interface: one table of functions per instruction set (isa_*.cc compile
 * kernels.inc once each), and the services the kernels take from the baseline code (threads,
 * scratch memory: pool.cc, addon.cc).
 *
 * Conventions (as the WebAssembly kernels', src/backend/kernels.ts): row-major f32 matrices, row
 * strides (ld) in floats and multiples of 16 (64 bytes), every matrix 64-byte aligned, padding
 * columns zero. A gated cell's pre-activations of H units are nG blocks of Hp = H rounded up to 16
 * (i f g o for the LSTM, r z n for the GRU). Weights used by many products are packed once per
 * optimizer step (pack) into the micro-kernel's panels: form 0 for Y = A·Wᵀ (W is N×K, PyTorch's
 * [out × in]), form 1 for Y = A·W (W is K×N).
 *
 * Determinism: every output element of a product is one chain of multiply-adds over k = 0..K-1,
 * started from 0 (or from the output's old value when accumulating) with any bias added last,
 * whichever micro-kernel tile or thread computes it; reductions (loss, norm, column sums) run over
 * fixed blocks in a fixed order. So a run's results do not depend on the number of threads.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace charlab {

/** What a kernel call runs on: the calling thread and a pool of helpers, and scratch memory. */
struct Ctx;

/** Threads a call may use (the calling thread included). */
int ctx_threads(const Ctx* ctx);
/**
 * Runs fn(arg, part, parts) on parts = min(ctx_threads, maxParts) threads (the caller is part 0)
 * and returns when all have finished.
 */
void ctx_parallel(Ctx* ctx, int maxParts, void (*fn)(void* arg, int part, int parts), void* arg);
/** A 64-byte aligned scratch buffer of at least `floats` floats, one per slot (0..3), kept between calls. */
float* ctx_scratch(Ctx* ctx, int slot, size_t floats);

/**
 * min-char-rnn's fused model (native/minCharRnn.inc: its layout and shapes are described there): the
 * shapes, the hyperparameters and the buffers, all in one arena laid out by native/minCharRnnAddon.cc.
 * Plain data, read and written by the kernels.
 */
struct McrModel {
  int H, V, T;     // hidden units, vocabulary, unroll
  int Hp, Vp;      // H and V rounded up to multiples of 16 (the widest vector): the row strides
  float lr, clip;  // learning rate, element-wise clipping bound
  int stamp;       // the training chunk's number, for marks
  float *WxhT, *Whh, *Why, *bh, *by;       // the parameters
  float *mWxhT, *mWhh, *mWhy, *mbh, *mby;  // Adagrad's memory
  float *gWxhT, *gWhh, *gWhy, *gbh, *gby;  // the gradients
  float *WhhT, *WhyT;                      // transposed copies for the forward products
  float *hs, *ys, *dhy, *dhraw, *tmp;      // a training chunk's workspace
  float *hcar, *he0, *he1, *pe;            // carried state; evaluation / sampling states and probabilities
  int32_t *ids, *marks;                    // symbol ids from the host; the chunk stamp of each Wxh row's last update
  float *ecur, *enext;                     // the evaluation state: he0 and he1 in turn
};

/** min-char-rnn's fused kernels (native/minCharRnn.inc), one set per ISA. */
struct McrKernels {
  /** One training chunk over ids[0..len]: forward, backward, clip, Adagrad; carries the hidden state. → nats */
  double (*train_chunk)(McrModel*, int len);
  /**
   * The loss and the raw gradients (into g*) of ids[0..len] from the state in hs row 0; updates nothing. → nats
   * train_chunk takes gWxhT as all zeros: the caller zeroes it after reading these gradients.
   */
  double (*loss_and_gradients)(McrModel*, int len);
  /** Starts a held-out pass or a sample from a copy of the carried state. */
  void (*begin_eval)(McrModel*);
  /** Scores ids[1..n] given ids[0..n), continuing the evaluation state. → nats */
  double (*eval_block)(McrModel*, int n);
  /** Feeds symbol x to the sampling state; if wantProbs, leaves softmax(y·invT) in pe. */
  void (*sample_step)(McrModel*, int x, float invT, int wantProbs);
};

struct KernelTable {
  const char* isa;
  /** Floats of a packed K×N weight (either form). */
  size_t (*packed_floats)(int K, int N);
  /** form 0: W is N×K (Y = A·Wᵀ); form 1: W is K×N (Y = A·W). */
  void (*pack)(Ctx*, int form, int N, int K, const float* W, long ldw, float* Bp);
  /** C[M×N] (+)= A[M×K]·B (+ bias[N]), B packed (ldb 0) or, in the form 1, read in place (its row stride ldb). */
  void (*gemm_packed)(Ctx*, int M, int N, int K, const float* A, long lda, const float* Bp, long ldb, float* C, long ldc, const float* bias, int accumulate);
  /** C[M×N] (+)= A[M×K]·B[K×N]. */
  void (*gemm_ab)(Ctx*, int M, int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int accumulate);
  /** C[M×N] (+)= A[K×M]ᵀ·B[K×N]. */
  void (*gemm_atb)(Ctx*, int M, int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int accumulate);

  void (*gather_rows)(Ctx*, int n, const int32_t* ids, const float* table, long ld, int cols, const float* bias, const float* scales, float* out);
  void (*scatter_add_rows)(Ctx*, int n, const int32_t* ids, const float* src, long ld, int cols, const float* scales, float* table);
  void (*sum_rows)(Ctx*, int M, int N, const float* A, long lda, float* out, int accumulate);
  double (*softmax_xent)(Ctx*, int M, int V, float* Y, long ld, const int32_t* targets, float scale);
  void (*softmax_row)(int V, float* y, float invT);
  double (*sum_squares)(Ctx*, const float* X, long n);
  void (*clip_values)(Ctx*, float* G, long n, float c);
  /** The optimizers (src/backend/kernels.ts OptimizerStep): g ← gscale·clamp(g, ±clip) first, in the same pass. */
  void (*adam)(Ctx*, float* W, float* G, float* M, float* V, long n, float stepSize, float b1, float b2, float eps, float bc2sqrt, float gscale, float clip, float decay);
  void (*adagrad)(Ctx*, float* W, float* G, float* M, long n, float lr, float eps, float gscale, float clip, float decay);
  void (*rmsprop)(Ctx*, float* W, float* G, float* M, long n, float lr, float alpha, float eps, float gscale, float clip, float decay);

  /**
   * Cells over a chunk of T steps of B streams (layouts of src/backend/cells.ts): Z (or X) T·B × nG·Hp
   * holds the input part on entry; hs, cs (T+1)·B × Hp hold the incoming state in block 0. Forward
   * leaves the gates in Z and the states in blocks 1..T. Backward reads dH (T·B × Hp), carries dh, dc
   * (B × Hp) from beyond the chunk to its start, leaves ∂loss/∂(pre-activations) in Z (and GH), and
   * writes gWh = Σ_t dzᵀ·h_{t−1} (nG·Hp × H, stride Hp; the rnn's rows of padding units left as they are:
   * zero) unless gWh is null. The backward's W_h is
   * packed (ldw 0) or W_h itself (ldw its row stride).
   */
  void (*lstm_forward)(Ctx*, int T, int B, int H, int Hp, float* Z, const float* WhP, float* hs, float* cs);
  void (*lstm_backward)(Ctx*, int T, int B, int H, int Hp, float* Z, const float* WhTP, long ldw, const float* hs, const float* cs,
                        const float* dH, float* dh, float* dc, float* gWh);
  void (*gru_forward)(Ctx*, int T, int B, int H, int Hp, float* X, float* GH, const float* WhP, const float* bh, float* hs);
  void (*gru_backward)(Ctx*, int T, int B, int H, int Hp, float* X, float* GH, const float* WhTP, long ldw, const float* hs,
                       const float* dH, float* dh, float* gWh);
  void (*rnn_forward)(Ctx*, int T, int B, int H, int Hp, float* Z, const float* WhP, float* hs);
  void (*rnn_backward)(Ctx*, int T, int B, int H, int Hp, float* Z, const float* WhTP, long ldw, const float* hs,
                       const float* dH, float* dh, float* gWh);

  /** The vector tanh (which 0), exp (1) or sigmoid (2) over n floats in place (n a multiple of 16). */
  void (*vector_math)(int which, float* x, long n);
  /** The peak probe: iters rounds of register-resident fused multiply-adds; returns the multiply-adds done. */
  double (*peak_probe)(long iters);

  McrKernels mcr;
};

/** The tables built into this addon (null where the ISA is not compiled for this architecture). */
extern const KernelTable* const kTableAvx512;
extern const KernelTable* const kTableAvx2;
extern const KernelTable* const kTableSse2;
extern const KernelTable* const kTableNeon;
extern const KernelTable* const kTableScalar;

}  // namespace charlab
