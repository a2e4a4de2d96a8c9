/*
 * The Node-API face of the native kernels (src/backend/nativeKernels.ts and minCharRnnNative.ts call it).
 *
 *   new Context(isa, threads)   kernels of one ISA ("" = the best usable here, or CHARLAB_NATIVE_ISA),
 *                               `threads` threads per call, and a growable memory arena
 *   ctx.grow(bytes)             → an ArrayBuffer over the (new) arena, old contents kept
 *   ctx.<kernel>(…)             matrices are byte offsets into the arena (checked against its size)
 *   usableIsas(), cpuFeatures(), peakProbe(isa, iters), poolStress(jobs, threads)
 *   new MinCharRnn(…)           min-char-rnn's fused model (native/minCharRnnAddon.cc)
 *
 * Every Node environment (the main thread, each sweep worker) has its own thread pool, sized to
 * the largest `threads` a context of that environment asked for.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "cpu.h"
#include "kernels.h"
#include "minCharRnnAddon.h"
#include "napi_util.h"
#include "pool.h"

namespace charlab {

struct Ctx {
  Pool* pool = nullptr;
  int threads = 1;
  float* scratch[4] = {nullptr, nullptr, nullptr, nullptr};
  size_t scratchFloats[4] = {0, 0, 0, 0};
};

int ctx_threads(const Ctx* ctx) { return ctx ? ctx->threads : 1; }

void ctx_parallel(Ctx* ctx, int maxParts, void (*fn)(void*, int, int), void* arg) {
  int parts = ctx ? ctx->threads : 1;
  if (maxParts < parts) parts = maxParts;
  if (parts <= 1 || ctx->pool == nullptr) fn(arg, 0, 1);
  else ctx->pool->run(parts, fn, arg);
}

static void* aligned_zeroed(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (p) memset(p, 0, rounded == 0 ? 64 : rounded);
  return p;
}

float* ctx_scratch(Ctx* ctx, int slot, size_t floats) {
  if (ctx->scratchFloats[slot] < floats) {
    free(ctx->scratch[slot]);
    const size_t grown = floats + floats / 4;
    ctx->scratch[slot] = static_cast<float*>(aligned_zeroed(grown * sizeof(float)));
    ctx->scratchFloats[slot] = ctx->scratch[slot] ? grown : 0;
  }
  return ctx->scratch[slot];
}

namespace {

/**
 * Per environment: the thread pool of its widest context so far. A context keeps the pool it was made
 * with (shared): a wider context's new pool replaces this one for later contexts without pulling it
 * from under the earlier ones.
 */
struct EnvData {
  std::shared_ptr<Pool> pool;
};

/** A context: the ISA's kernels, the threads, the arena. */
struct Context {
  const KernelTable* k = nullptr;
  Ctx ctx;
  EnvData* env = nullptr;
  std::shared_ptr<Pool> pool;  // ctx.pool's owner
  char* base = nullptr;  // the arena (owned by the ArrayBuffer that grow() last returned)
  size_t bytes = 0;
};

#define NAPI_OK(call)                                    \
  do {                                                   \
    if ((call) != napi_ok) {                             \
      napi_throw_error(env, nullptr, "N-API call failed: " #call); \
      return nullptr;                                    \
    }                                                    \
  } while (0)

/** The arguments of a call on a context, read one by one; the first failure throws and sets ok = false. */
struct Args {
  napi_env env;
  napi_value argv[16];
  size_t argc = 16;
  Context* c = nullptr;
  bool ok = true;

  Args(napi_env e, napi_callback_info info) : env(e) {
    napi_value self;
    if (napi_get_cb_info(env, info, &argc, argv, &self, nullptr) != napi_ok ||
        napi_unwrap(env, self, reinterpret_cast<void**>(&c)) != napi_ok) {
      fail("not a native kernels context");
    }
  }
  void fail(const char* msg) {
    if (ok) napi_throw_range_error(env, nullptr, msg);
    ok = false;
  }
  double num(size_t i) {
    double v = 0;
    if (!ok) return 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail("expected a number argument");
    return v;
  }
  long i(size_t i) { return (long)num(i); }
  /** The arena pointer at byte offset arg[i], checked to hold `floats` floats (offset −1: null). */
  float* f(size_t i, double floats) {
    const double off = num(i);
    if (!ok) return nullptr;
    if (off == -1) return nullptr;
    if (!(off >= 0 && floats >= 0 && off + floats * 4 <= (double)c->bytes) || ((long)off & 3) != 0) {
      fail("a matrix lies outside the native kernels' memory");
      return nullptr;
    }
    return reinterpret_cast<float*>(c->base + (size_t)off);
  }
  int32_t* ids(size_t i, double n) { return reinterpret_cast<int32_t*>(f(i, n)); }
};

/** Floats a rows × cols matrix of stride ld spans (0 for no rows). */
inline double span(long rows, long cols, long ld) { return rows <= 0 ? 0 : (double)(rows - 1) * ld + cols; }
inline long up16(long n) { return (n + 15) / 16 * 16; }

// ---- memory ---------------------------------------------------------------------------------------

void free_arena(napi_env, void* data, void*) { free(data); }

/** grow(bytes): a new arena of `bytes` (at least the old size) with the old contents; returns its ArrayBuffer. */
napi_value Grow(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const double want = a.num(0);
  if (!a.ok) return nullptr;
  if (!(want >= (double)a.c->bytes && want < 1e15)) {
    napi_throw_range_error(env, nullptr, "grow: the arena cannot shrink");
    return nullptr;
  }
  const size_t bytes = (size_t)want;
  char* mem = static_cast<char*>(aligned_zeroed(bytes));
  if (!mem) {
    napi_throw_error(env, nullptr, "native kernels: out of memory");
    return nullptr;
  }
  if (a.c->base) memcpy(mem, a.c->base, a.c->bytes);
  napi_value ab;
  if (napi_create_external_arraybuffer(env, mem, bytes, free_arena, nullptr, &ab) != napi_ok) {
    free(mem);
    napi_throw_error(env, nullptr, "native kernels: cannot wrap the arena in an ArrayBuffer");
    return nullptr;
  }
  a.c->base = mem;  // the old arena stays alive (and unused) until its ArrayBuffer is collected
  a.c->bytes = bytes;
  return ab;
}

// ---- products ---------------------------------------------------------------------------------------

napi_value PackedFloats(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long K = a.i(0), N = a.i(1);
  if (!a.ok) return nullptr;
  return number(env, (double)a.c->k->packed_floats((int)K, (int)N));
}

/** pack(form, N, K, W, ldw, Bp) */
napi_value Pack(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long form = a.i(0), N = a.i(1), K = a.i(2), ldw = a.i(4);
  const float* Wm = form == 0 ? a.f(3, span(N, K, ldw)) : a.f(3, span(K, N, ldw));
  float* Bp = a.f(5, (double)a.c->k->packed_floats((int)K, (int)N));
  if (!a.ok) return nullptr;
  a.c->k->pack(&a.c->ctx, (int)form, (int)N, (int)K, Wm, ldw, Bp);
  return undefined(env);
}

/** gemmPacked(M, N, K, A, lda, Bp, ldb, C, ldc, bias, accumulate): ldb 0, B packed; else B in place (K × N, stride ldb). */
napi_value GemmPacked(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long M = a.i(0), N = a.i(1), K = a.i(2), lda = a.i(4), ldb = a.i(6), ldc = a.i(8);
  const float* A = a.f(3, span(M, K, lda));
  const float* Bp = a.f(5, ldb ? span(K, up16(N), ldb) : (double)a.c->k->packed_floats((int)K, (int)N));
  float* C = a.f(7, span(M, up16(N), ldc));
  const float* bias = a.f(9, (double)up16(N));
  const long acc = a.i(10);
  if (!a.ok) return nullptr;
  a.c->k->gemm_packed(&a.c->ctx, (int)M, (int)N, (int)K, A, lda, Bp, ldb, C, ldc, bias, (int)acc);
  return undefined(env);
}

/** gemmAB / gemmAtB(M, N, K, A, lda, B, ldb, C, ldc, accumulate) */
napi_value GemmPlain(napi_env env, napi_callback_info info, bool transposed) {
  Args a(env, info);
  const long M = a.i(0), N = a.i(1), K = a.i(2), lda = a.i(4), ldb = a.i(6), ldc = a.i(8);
  const float* A = transposed ? a.f(3, span(K, M, lda)) : a.f(3, span(M, K, lda));
  const float* B = a.f(5, span(K, N, ldb));
  float* C = a.f(7, span(M, up16(N), ldc));
  const long acc = a.i(9);
  if (!a.ok) return nullptr;
  (transposed ? a.c->k->gemm_atb : a.c->k->gemm_ab)(&a.c->ctx, (int)M, (int)N, (int)K, A, lda, B, ldb, C, ldc, (int)acc);
  return undefined(env);
}
napi_value GemmAB(napi_env env, napi_callback_info info) { return GemmPlain(env, info, false); }
napi_value GemmAtB(napi_env env, napi_callback_info info) { return GemmPlain(env, info, true); }

// ---- rows and optimizers ------------------------------------------------------------------------------

/** Checks that every id is a row of a `rows`-row table. */
bool ids_in(Args& a, const int32_t* ids, long n, long rows) {
  if (!a.ok) return false;
  for (long r = 0; r < n; r++) {
    if (ids[r] < 0 || ids[r] >= rows) {
      a.fail("a symbol id is outside the table");
      return false;
    }
  }
  return true;
}

/** gatherRows(n, ids, table, tableRows, ld, cols, bias, out, scales) */
napi_value GatherRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(0), rows = a.i(3), ld = a.i(4), cols = a.i(5);
  const int32_t* ids = a.ids(1, (double)n);
  const float* table = a.f(2, span(rows, up16(cols), ld));
  const float* bias = a.f(6, (double)up16(cols));
  float* out = a.f(7, span(n, up16(cols), ld));
  const float* scales = a.f(8, (double)n);
  if (!ids_in(a, ids, n, rows)) return nullptr;
  a.c->k->gather_rows(&a.c->ctx, (int)n, ids, table, ld, (int)cols, bias, scales, out);
  return undefined(env);
}

/** scatterAddRows(n, ids, src, ld, cols, table, tableRows, scales) */
napi_value ScatterAddRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(0), ld = a.i(3), cols = a.i(4), rows = a.i(6);
  const int32_t* ids = a.ids(1, (double)n);
  const float* src = a.f(2, span(n, up16(cols), ld));
  float* table = a.f(5, span(rows, up16(cols), ld));
  const float* scales = a.f(7, (double)n);
  if (!ids_in(a, ids, n, rows)) return nullptr;
  a.c->k->scatter_add_rows(&a.c->ctx, (int)n, ids, src, ld, (int)cols, scales, table);
  return undefined(env);
}

/** sumRows(M, N, A, lda, out, accumulate) */
napi_value SumRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long M = a.i(0), N = a.i(1), lda = a.i(3);
  const float* A = a.f(2, span(M, up16(N), lda));
  float* out = a.f(4, (double)up16(N));
  const long acc = a.i(5);
  if (!a.ok) return nullptr;
  a.c->k->sum_rows(&a.c->ctx, (int)M, (int)N, A, lda, out, (int)acc);
  return undefined(env);
}

/** softmaxXent(M, V, Y, ld, targets, scale) → nats */
napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long M = a.i(0), V = a.i(1), ld = a.i(3);
  float* Y = a.f(2, span(M, up16(V), ld));
  const int32_t* targets = a.ids(4, (double)M);
  const double scale = a.num(5);
  if (!ids_in(a, targets, M, V)) return nullptr;
  if (M == 0) return number(env, 0);
  return number(env, a.c->k->softmax_xent(&a.c->ctx, (int)M, (int)V, Y, ld, targets, (float)scale));
}

/** softmaxRow(V, y, invT) */
napi_value SoftmaxRow(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long V = a.i(0);
  float* y = a.f(1, (double)up16(V));
  const double invT = a.num(2);
  if (!a.ok) return nullptr;
  a.c->k->softmax_row((int)V, y, (float)invT);
  return undefined(env);
}

/** sumSquares(X, n) → Σ x² */
napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(1);
  const float* X = a.f(0, (double)n);
  if (!a.ok) return nullptr;
  if (n % 16 != 0) {
    napi_throw_range_error(env, nullptr, "sumSquares: n must be a multiple of 16");
    return nullptr;
  }
  return number(env, a.c->k->sum_squares(&a.c->ctx, X, n));
}

/** clipValues(G, n, c) */
napi_value ClipValues(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(1);
  float* G = a.f(0, (double)n);
  const double c = a.num(2);
  if (!a.ok) return nullptr;
  a.c->k->clip_values(&a.c->ctx, G, n, (float)c);
  return undefined(env);
}

/** adam(W, G, M, V, n, stepSize, b1, b2, eps, bc2sqrt, gscale, clip, decay) */
napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(4);
  float *Wt = a.f(0, (double)n), *G = a.f(1, (double)n), *M = a.f(2, (double)n), *V = a.f(3, (double)n);
  const double st = a.num(5), b1 = a.num(6), b2 = a.num(7), eps = a.num(8), bc = a.num(9), gs = a.num(10), clip = a.num(11), dk = a.num(12);
  if (!a.ok) return nullptr;
  a.c->k->adam(&a.c->ctx, Wt, G, M, V, n, (float)st, (float)b1, (float)b2, (float)eps, (float)bc, (float)gs, (float)clip, (float)dk);
  return undefined(env);
}

/** adagrad(W, G, M, n, lr, eps, gscale, clip, decay) */
napi_value Adagrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(3);
  float *Wt = a.f(0, (double)n), *G = a.f(1, (double)n), *M = a.f(2, (double)n);
  const double lr = a.num(4), eps = a.num(5), gs = a.num(6), clip = a.num(7), dk = a.num(8);
  if (!a.ok) return nullptr;
  a.c->k->adagrad(&a.c->ctx, Wt, G, M, n, (float)lr, (float)eps, (float)gs, (float)clip, (float)dk);
  return undefined(env);
}

/** rmsprop(W, G, M, n, lr, alpha, eps, gscale, clip, decay) */
napi_value Rmsprop(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long n = a.i(3);
  float *Wt = a.f(0, (double)n), *G = a.f(1, (double)n), *M = a.f(2, (double)n);
  const double lr = a.num(4), alpha = a.num(5), eps = a.num(6), gs = a.num(7), clip = a.num(8), dk = a.num(9);
  if (!a.ok) return nullptr;
  a.c->k->rmsprop(&a.c->ctx, Wt, G, M, n, (float)lr, (float)alpha, (float)eps, (float)gs, (float)clip, (float)dk);
  return undefined(env);
}

// ---- cells ---------------------------------------------------------------------------------------------

/**
 * cellForward(kind, T, B, H, Hp, Z, GH, WhP, bh, hs, cs) and
 * cellBackward(kind, T, B, H, Hp, Z, GH, WhTP, ldw, hs, cs, dH, dh, dc, gWh); kind 0 rnn, 1 gru, 2 lstm;
 * ldw 0: WhTP packed, else W_h itself with that row stride.
 */
napi_value CellForward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long kind = a.i(0), T = a.i(1), B = a.i(2), H = a.i(3), Hp = a.i(4);
  const long nG = kind == 2 ? 4 : kind == 1 ? 3 : 1, G = nG * Hp;
  if (a.ok && !(kind >= 0 && kind <= 2 && T >= 0 && B >= 1 && H >= 1 && Hp >= H && Hp % 16 == 0)) a.fail("cellForward: bad shape");
  float* Z = a.f(5, (double)T * B * G);
  float* GH = kind == 1 ? a.f(6, (double)T * B * G) : nullptr;
  const float* WhP = a.f(7, (double)a.c->k->packed_floats((int)H, (int)G));
  const float* bh = kind == 1 ? a.f(8, (double)G) : nullptr;
  float* hs = a.f(9, (double)(T + 1) * B * Hp);
  float* cs = kind == 2 ? a.f(10, (double)(T + 1) * B * Hp) : nullptr;
  if (!a.ok) return nullptr;
  Ctx* x = &a.c->ctx;
  if (kind == 2) a.c->k->lstm_forward(x, (int)T, (int)B, (int)H, (int)Hp, Z, WhP, hs, cs);
  else if (kind == 1) a.c->k->gru_forward(x, (int)T, (int)B, (int)H, (int)Hp, Z, GH, WhP, bh, hs);
  else a.c->k->rnn_forward(x, (int)T, (int)B, (int)H, (int)Hp, Z, WhP, hs);
  return undefined(env);
}

napi_value CellBackward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long kind = a.i(0), T = a.i(1), B = a.i(2), H = a.i(3), Hp = a.i(4);
  const long nG = kind == 2 ? 4 : kind == 1 ? 3 : 1, G = nG * Hp;
  if (a.ok && !(kind >= 0 && kind <= 2 && T >= 0 && B >= 1 && H >= 1 && Hp >= H && Hp % 16 == 0)) a.fail("cellBackward: bad shape");
  float* Z = a.f(5, (double)T * B * G);
  float* GH = kind == 1 ? a.f(6, (double)T * B * G) : nullptr;
  const long ldw = a.i(8);
  const float* WhTP = a.f(7, ldw ? span(G, up16(H), ldw) : (double)a.c->k->packed_floats((int)G, (int)H));
  const float* hs = a.f(9, (double)(T + 1) * B * Hp);
  const float* cs = kind == 2 ? a.f(10, (double)(T + 1) * B * Hp) : nullptr;
  const float* dH = a.f(11, (double)T * B * Hp);
  float* dh = a.f(12, (double)B * Hp);
  float* dc = kind == 2 ? a.f(13, (double)B * Hp) : nullptr;
  float* gWh = a.f(14, span(G, Hp, Hp));
  if (!a.ok) return nullptr;
  Ctx* x = &a.c->ctx;
  const int t = (int)T, b = (int)B, h = (int)H, hp = (int)Hp;
  if (kind == 2) a.c->k->lstm_backward(x, t, b, h, hp, Z, WhTP, ldw, hs, cs, dH, dh, dc, gWh);
  else if (kind == 1) a.c->k->gru_backward(x, t, b, h, hp, Z, GH, WhTP, ldw, hs, dH, dh, gWh);
  else a.c->k->rnn_backward(x, t, b, h, hp, Z, WhTP, ldw, hs, dH, dh, gWh);
  return undefined(env);
}

// ---- dropout masks ------------------------------------------------------------------------------------

/**
 * seedrandom's generator, exactly (node_modules/seedrandom/seedrandom.js): ARC4 with the state S, i, j,
 * and its double(): 48 bits from 6 bytes, topped up byte by byte to 52 significant bits, every
 * operation exact in doubles, so the native draws are the reference's draws bit for bit.
 */
struct Arc4 {
  uint8_t S[256];
  unsigned i, j;
  double g(int count) {
    double r = 0;
    while (count--) {
      i = (i + 1) & 255;
      const uint8_t t = S[i];
      j = (j + t) & 255;
      S[i] = S[j];
      S[j] = t;
      r = r * 256 + S[(S[i] + S[j]) & 255];
    }
    return r;
  }
  double next() {
    double n = g(6), d = 281474976710656.0, x = 0;  // n < 2^48, d = 2^48
    while (n < 4503599627370496.0) {                // 2^52
      n = (n + x) * 256;
      d *= 256;
      x = g(1);
    }
    while (n >= 9007199254740992.0) {  // 2^53
      n /= 2;
      d /= 2;
      x = (double)((unsigned)x >> 1);
    }
    return (n + x) / d;
  }
};

/**
 * dropoutMask(state, out, rows, cols, ld, p): rows × cols floats of out (row stride ld), in row-major
 * order, each 0 if the generator's next double is below p, else 1/(1 − p) (rounded to f32); the
 * generator's state (S[256], i, j as int32) is read from and written back to `state`.
 */
napi_value DropoutMask(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long rows = a.i(2), cols = a.i(3), ld = a.i(4);
  int32_t* st = a.ids(0, 258);
  float* out = a.f(1, span(rows, cols, ld));
  const double p = a.num(5);
  if (!a.ok) return nullptr;
  if (!(p >= 0 && p < 1)) {
    napi_throw_range_error(env, nullptr, "dropoutMask: p must be in [0, 1)");
    return nullptr;
  }
  Arc4 g;
  for (int k = 0; k < 258; k++) {
    if (st[k] < 0 || st[k] > 255) {
      napi_throw_range_error(env, nullptr, "dropoutMask: not a generator state (values 0..255)");
      return nullptr;
    }
    if (k < 256) g.S[k] = (uint8_t)st[k];
  }
  g.i = (unsigned)st[256];
  g.j = (unsigned)st[257];
  const float keep = (float)(1.0 / (1.0 - p));
  for (long r = 0; r < rows; r++) {
    float* o = out + r * ld;
    for (long c = 0; c < cols; c++) o[c] = g.next() < p ? 0.0f : keep;
  }
  for (int k = 0; k < 256; k++) st[k] = g.S[k];
  st[256] = (int32_t)g.i;
  st[257] = (int32_t)g.j;
  return undefined(env);
}

/** vectorMath(which, X, n): tanh (0), exp of x <= 0 (1) or sigmoid (2) in place; n a multiple of 16. */
napi_value VectorMath(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const long which = a.i(0), n = a.i(2);
  float* X = a.f(1, (double)n);
  if (!a.ok) return nullptr;
  if (n % 16 != 0) {
    napi_throw_range_error(env, nullptr, "vectorMath: n must be a multiple of 16");
    return nullptr;
  }
  a.c->k->vector_math((int)which, X, n);
  return undefined(env);
}

// ---- the context ----------------------------------------------------------------------------------------

void finalize_context(napi_env, void* data, void*) {
  Context* c = static_cast<Context*>(data);
  for (float* s : c->ctx.scratch) free(s);
  delete c;
}

void finalize_env(napi_env, void* data, void*) {
  EnvData* d = static_cast<EnvData*>(data);
  delete d;
}

/** new Context(isa, threads): isa "" picks the best usable ISA. */
napi_value NewContext(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, &self, nullptr));
  const std::string isa = argc > 0 ? str_arg(env, argv[0]) : "";
  int32_t threads = 1;
  if (argc > 1) napi_get_value_int32(env, argv[1], &threads);
  if (threads < 1 || threads > 256) {
    napi_throw_range_error(env, nullptr, "threads must be in 1..256");
    return nullptr;
  }
  std::string error;
  const KernelTable* k = table_for(isa, error);
  if (!k) {
    napi_throw_range_error(env, nullptr, error.c_str());
    return nullptr;
  }
  EnvData* data = nullptr;
  NAPI_OK(napi_get_instance_data(env, reinterpret_cast<void**>(&data)));
  if (threads > 1 && (!data->pool || data->pool->threads() < threads)) data->pool = std::make_shared<Pool>(threads);
  Context* c = new Context();
  c->k = k;
  c->env = data;
  c->ctx.threads = threads;
  if (threads > 1) c->pool = data->pool;
  c->ctx.pool = c->pool.get();
  NAPI_OK(napi_wrap(env, self, c, finalize_context, nullptr, nullptr));
  napi_value name;
  NAPI_OK(napi_create_string_utf8(env, k->isa, NAPI_AUTO_LENGTH, &name));
  NAPI_OK(napi_set_named_property(env, self, "isa", name));
  return self;
}

// ---- module functions ------------------------------------------------------------------------------------

napi_value UsableIsas(napi_env env, napi_callback_info) {
  const auto usable = usable_tables();
  napi_value arr;
  NAPI_OK(napi_create_array_with_length(env, usable.size(), &arr));
  for (size_t i = 0; i < usable.size(); i++) {
    napi_value s;
    NAPI_OK(napi_create_string_utf8(env, usable[i]->isa, NAPI_AUTO_LENGTH, &s));
    NAPI_OK(napi_set_element(env, arr, (uint32_t)i, s));
  }
  return arr;
}

napi_value CpuFeatures(napi_env env, napi_callback_info) {
  napi_value s;
  NAPI_OK(napi_create_string_utf8(env, cpu_features().c_str(), NAPI_AUTO_LENGTH, &s));
  return s;
}

/** peakProbe(isa, iters) → multiply-adds done (time it from JavaScript). */
napi_value PeakProbe(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  const KernelTable* k = argc > 0 ? table_named(str_arg(env, argv[0])) : nullptr;
  double iters = 0;
  if (argc > 1) napi_get_value_double(env, argv[1], &iters);
  if (!k || !(iters >= 1)) {
    napi_throw_range_error(env, nullptr, "peakProbe(isa, iters): a usable ISA and a positive count");
    return nullptr;
  }
  return number(env, k->peak_probe((long)iters));
}

/**
 * poolStress(jobs, threads) → {ok, byHelpers}: a pool of `threads` that never spins runs `jobs` small
 * jobs (about 1 µs a part) of 1 to 2·threads parts, so
 * that every job goes through the helpers' and the caller's sleep and wake-up (the paths where a lost
 * wake-up hangs the caller). For the tests, in a child process with a time limit.
 */
napi_value PoolStress(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  double jobs = 0, threads = 0;
  if (argc > 1) {
    napi_get_value_double(env, argv[0], &jobs);
    napi_get_value_double(env, argv[1], &threads);
  }
  if (!(jobs >= 1 && threads >= 2 && threads <= 64)) {
    napi_throw_range_error(env, nullptr, "poolStress(jobs, threads): jobs >= 1, threads 2..64");
    return nullptr;
  }
  // Each job of p parts adds part + 1 for each part, and the parts of a job check in a mask that each
  // runs once: the sum is jobs·p(p + 1)/2 when every part of every job ran exactly once.
  struct Count {
    std::atomic<long> sum{0};
    std::atomic<uint64_t> mask{0};
    std::atomic<long> twice{0};
    std::atomic<long> byHelpers{0};
    std::thread::id caller = std::this_thread::get_id();
  } count;
  {
    Pool pool((int)threads, std::chrono::microseconds(0), std::chrono::microseconds(0));
    for (long j = 0; j < (long)jobs; j++) {
      count.mask.store(0);
      const int parts = 1 + (int)(j % std::min(64L, (long)threads * 2));  // fewer, as many and more parts than threads
      pool.run(parts, [](void* a, int part, int) {
        Count& c = *static_cast<Count*>(a);
        volatile long spin = 0;
        for (int i = 0; i < 2000; i++) spin = spin + i;  // ~1 us: time for a woken helper to claim a part
        c.sum.fetch_add(part + 1);
        if (std::this_thread::get_id() != c.caller) c.byHelpers.fetch_add(1);
        if (c.mask.fetch_or(1ull << part) & (1ull << part)) c.twice.fetch_add(1);
      }, &count);
      if (count.mask.load() != (parts == 64 ? ~0ull : (1ull << parts) - 1)) count.twice.fetch_add(1);
    }
  }
  long want = 0;
  for (long j = 0; j < (long)jobs; j++) {
    const long p = 1 + j % std::min(64L, (long)threads * 2);
    want += p * (p + 1) / 2;
  }
  // → {ok, byHelpers}: ok when every part of every job ran exactly once; byHelpers: parts the helpers ran.
  napi_value out, ok, helped;
  napi_create_object(env, &out);
  napi_get_boolean(env, count.twice.load() == 0 && count.sum.load() == want, &ok);
  napi_create_double(env, (double)count.byHelpers.load(), &helped);
  napi_set_named_property(env, out, "ok", ok);
  napi_set_named_property(env, out, "byHelpers", helped);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  EnvData* data = new EnvData();
  if (napi_set_instance_data(env, data, finalize_env, nullptr) != napi_ok) {
    delete data;
    napi_throw_error(env, nullptr, "native kernels: cannot keep per-environment data");
    return nullptr;
  }
  const napi_property_descriptor methods[] = {
      {"grow", nullptr, Grow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packedFloats", nullptr, PackedFloats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pack", nullptr, Pack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmPacked", nullptr, GemmPacked, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmAB", nullptr, GemmAB, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmAtB", nullptr, GemmAtB, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAddRows", nullptr, ScatterAddRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumRows", nullptr, SumRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxXent", nullptr, SoftmaxXent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxRow", nullptr, SoftmaxRow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"clipValues", nullptr, ClipValues, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adagrad", nullptr, Adagrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsprop", nullptr, Rmsprop, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cellForward", nullptr, CellForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cellBackward", nullptr, CellBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"vectorMath", nullptr, VectorMath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dropoutMask", nullptr, DropoutMask, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value cls;
  if (napi_define_class(env, "Context", NAPI_AUTO_LENGTH, NewContext, nullptr, sizeof methods / sizeof methods[0], methods,
                        &cls) != napi_ok) {
    napi_throw_error(env, nullptr, "native kernels: cannot define the Context class");
    return nullptr;
  }
  napi_set_named_property(env, exports, "Context", cls);
  if (!define_min_char_rnn(env, exports)) return nullptr;
  const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"usableIsas", UsableIsas}, {"cpuFeatures", CpuFeatures}, {"peakProbe", PeakProbe}, {"poolStress", PoolStress}};
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}

}  // namespace
}  // namespace charlab

NAPI_MODULE_INIT() { return charlab::Init(env, exports); }
