/*
 * The Node-API face of min-char-rnn's fused kernels (native/minCharRnn.inc); its only caller is
 * src/backend/minCharRnnNative.ts, through the fused host model (src/backend/minCharRnnFused.ts).
 *
 *   new MinCharRnn(isa, hidden, vocab, unroll, idsCapacity)
 *       the kernels of one ISA ("" = the best usable here) and every buffer in one arena, laid out here
 *       once (64-byte aligned, zeroed, never grown); its properties:
 *       memory  an ArrayBuffer over the arena, which the host reads and writes through typed arrays
 *       layout  {WxhT: byte offset, Whh: …}: every buffer the host may read or write (native/minCharRnn.inc)
 *       Hp      the row stride in floats (H rounded up to 16);  isa  the kernels' ISA
 *   setHyper(lr, clip), trainChunk(len) → nats, lossAndGradients(len) → nats, resetHidden(),
 *   beginEval(), evalBlock(n) → nats, sampleStep(x, invT, wantProbs)
 *
 * The symbol ids a call reads are checked first (an id outside the vocabulary would address memory
 * outside the arena): a RangeError, never a crash. The kernels run on the calling thread.
 */
#include "minCharRnnAddon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "cpu.h"
#include "kernels.h"
#include "napi_util.h"

namespace charlab {
namespace {

/** One model: its kernels, its buffers (pointers into the arena) and how many ids the host may stage. */
struct Fused {
  const KernelTable* k = nullptr;
  McrModel m{};
  long idsCapacity = 0;
};

/** A buffer of the arena: its name (as the host sees it, in `layout`), where the model keeps it, its size. */
struct Region {
  const char* name;
  float* McrModel::*field;
  size_t floats;
};

/** The arena's layout: byte offsets, each buffer 64-byte aligned, in the order of native/minCharRnn.inc's header. */
struct Layout {
  static constexpr int kRegions = 26;
  Region regions[kRegions];
  size_t offsets[kRegions + 2];  // then ids and marks
  size_t bytes = 0;
};

inline size_t up16(size_t n) { return (n + 15) / 16 * 16; }

Layout lay_out(McrModel& m, long idsCapacity) {
  const size_t H = (size_t)m.Hp, V = (size_t)m.V, Vp = (size_t)m.Vp, T = (size_t)m.T;
  Layout l{{
      {"WxhT", &McrModel::WxhT, V * H}, {"Whh", &McrModel::Whh, H * H}, {"Why", &McrModel::Why, Vp * H},
      {"bh", &McrModel::bh, H}, {"by", &McrModel::by, Vp},
      {"mWxhT", &McrModel::mWxhT, V * H}, {"mWhh", &McrModel::mWhh, H * H}, {"mWhy", &McrModel::mWhy, Vp * H},
      {"mbh", &McrModel::mbh, H}, {"mby", &McrModel::mby, Vp},
      {"gWxhT", &McrModel::gWxhT, V * H}, {"gWhh", &McrModel::gWhh, H * H}, {"gWhy", &McrModel::gWhy, Vp * H},
      {"gbh", &McrModel::gbh, H}, {"gby", &McrModel::gby, Vp},
      {"WhhT", &McrModel::WhhT, H * H}, {"WhyT", &McrModel::WhyT, H * Vp},
      {"hs", &McrModel::hs, (T + 1) * H}, {"ys", &McrModel::ys, T * Vp}, {"dhy", &McrModel::dhy, T * H},
      {"dhraw", &McrModel::dhraw, T * H}, {"tmp", &McrModel::tmp, H}, {"hcar", &McrModel::hcar, H},
      {"he0", &McrModel::he0, H}, {"he1", &McrModel::he1, H}, {"pe", &McrModel::pe, Vp},
  }, {}, 0};
  size_t cursor = 0;
  auto take = [&](size_t floats) {
    const size_t at = cursor;
    cursor += (floats * 4 + 63) / 64 * 64;
    return at;
  };
  for (int r = 0; r < Layout::kRegions; r++) l.offsets[r] = take(l.regions[r].floats);
  l.offsets[Layout::kRegions] = take((size_t)idsCapacity);  // ids (i32)
  l.offsets[Layout::kRegions + 1] = take(V);                // marks (i32)
  l.bytes = cursor;
  return l;
}

/** Points the model's buffers into the arena at `base`. */
void attach(McrModel& m, const Layout& l, char* base) {
  for (int r = 0; r < Layout::kRegions; r++) m.*(l.regions[r].field) = reinterpret_cast<float*>(base + l.offsets[r]);
  m.ids = reinterpret_cast<int32_t*>(base + l.offsets[Layout::kRegions]);
  m.marks = reinterpret_cast<int32_t*>(base + l.offsets[Layout::kRegions + 1]);
  m.ecur = m.he0;
  m.enext = m.he1;
}

void free_arena(napi_env, void* data, void*) { free(data); }
void finalize_model(napi_env, void* data, void*) { delete static_cast<Fused*>(data); }

/** `layout`: {name: byte offset} of every buffer, ids and marks included. */
napi_value layout_object(napi_env env, const Layout& l) {
  napi_value o;
  napi_create_object(env, &o);
  for (int r = 0; r < Layout::kRegions + 2; r++) {
    const char* name = r < Layout::kRegions ? l.regions[r].name : r == Layout::kRegions ? "ids" : "marks";
    napi_set_named_property(env, o, name, number(env, (double)l.offsets[r]));
  }
  return o;
}

/** An integer argument in [lo, hi], else a RangeError naming it (false). */
bool int_arg(napi_env env, napi_value v, const char* what, long lo, long hi, long& out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= lo && d <= hi) || d != floor(d)) {
    const std::string msg =
        std::string(what) + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
    napi_throw_range_error(env, nullptr, msg.c_str());
    return false;
  }
  out = (long)d;
  return true;
}

/** new MinCharRnn(isa, hidden, vocab, unroll, idsCapacity) */
napi_value New(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, nullptr) != napi_ok || argc < 5) {
    napi_throw_type_error(env, nullptr, "MinCharRnn(isa, hidden, vocab, unroll, idsCapacity)");
    return nullptr;
  }
  long H, V, T, cap;
  if (!int_arg(env, argv[1], "hidden", 1, 1 << 16, H) || !int_arg(env, argv[2], "vocab", 1, 1 << 20, V) ||
      !int_arg(env, argv[3], "unroll", 1, 1 << 20, T) || !int_arg(env, argv[4], "idsCapacity", T + 1, 1 << 26, cap))
    return nullptr;
  std::string error;
  const KernelTable* k = table_for(str_arg(env, argv[0]), error);
  if (!k) {
    napi_throw_range_error(env, nullptr, error.c_str());
    return nullptr;
  }
  Fused* f = new Fused();
  f->k = k;
  f->idsCapacity = cap;
  McrModel& m = f->m;
  m.H = (int)H, m.V = (int)V, m.T = (int)T, m.Hp = (int)up16(H), m.Vp = (int)up16(V);
  m.lr = 0.1f, m.clip = 5.0f;
  const Layout l = lay_out(m, cap);
  char* base = static_cast<char*>(aligned_alloc(64, l.bytes));
  napi_value memory;
  if (!base || napi_create_external_arraybuffer(env, base, l.bytes, free_arena, nullptr, &memory) != napi_ok) {
    free(base);
    delete f;
    napi_throw_error(env, nullptr, "min-char-rnn (native): out of memory for its buffers");
    return nullptr;
  }
  memset(base, 0, l.bytes);
  attach(m, l, base);
  napi_value isa;
  napi_create_string_utf8(env, k->isa, NAPI_AUTO_LENGTH, &isa);
  // `memory` keeps the arena alive as long as the object (and longer, while the host holds views of it).
  napi_set_named_property(env, self, "memory", memory);
  napi_set_named_property(env, self, "layout", layout_object(env, l));
  napi_set_named_property(env, self, "Hp", number(env, m.Hp));
  napi_set_named_property(env, self, "isa", isa);
  if (napi_wrap(env, self, f, finalize_model, nullptr, nullptr) != napi_ok) {
    delete f;
    napi_throw_error(env, nullptr, "min-char-rnn (native): cannot wrap the model");
    return nullptr;
  }
  return self;
}

/** A method call: the model and up to 3 arguments; null (with an error pending) if `this` is not a model. */
struct Call {
  Fused* f = nullptr;
  napi_value argv[3];
  size_t argc = 3;
  Call(napi_env env, napi_callback_info info) {
    napi_value self;
    if (napi_get_cb_info(env, info, &argc, argv, &self, nullptr) != napi_ok ||
        napi_unwrap(env, self, reinterpret_cast<void**>(&f)) != napi_ok) {
      f = nullptr;
      napi_throw_type_error(env, nullptr, "not a MinCharRnn");
    }
  }
};

/** Whether ids[0..n) are symbols of the vocabulary (else a RangeError). */
bool ids_ok(napi_env env, const McrModel& m, long n) {
  for (long i = 0; i < n; i++) {
    if (m.ids[i] < 0 || m.ids[i] >= m.V) {
      napi_throw_range_error(env, nullptr, "min-char-rnn (native): a symbol id is outside the vocabulary");
      return false;
    }
  }
  return true;
}

/** setHyper(lr, clip) */
napi_value SetHyper(napi_env env, napi_callback_info info) {
  Call c(env, info);
  double lr = 0, clip = 0;
  if (!c.f) return nullptr;
  if (c.argc < 2 || napi_get_value_double(env, c.argv[0], &lr) != napi_ok ||
      napi_get_value_double(env, c.argv[1], &clip) != napi_ok) {
    napi_throw_type_error(env, nullptr, "setHyper(lr, clip)");
    return nullptr;
  }
  c.f->m.lr = (float)lr;
  c.f->m.clip = (float)clip;
  return undefined(env);
}

/** trainChunk(len) and lossAndGradients(len): len in 1..unroll over ids[0..len]. */
napi_value Chunk(napi_env env, napi_callback_info info, bool train) {
  Call c(env, info);
  long len;
  if (!c.f || c.argc < 1 || !int_arg(env, c.argv[0], "len", 1, c.f->m.T, len) || !ids_ok(env, c.f->m, len + 1))
    return nullptr;
  McrModel* m = &c.f->m;
  return number(env, train ? c.f->k->mcr.train_chunk(m, (int)len) : c.f->k->mcr.loss_and_gradients(m, (int)len));
}
napi_value TrainChunk(napi_env env, napi_callback_info info) { return Chunk(env, info, true); }
napi_value LossAndGradients(napi_env env, napi_callback_info info) { return Chunk(env, info, false); }

napi_value ResetHidden(napi_env env, napi_callback_info info) {
  Call c(env, info);
  if (!c.f) return nullptr;
  memset(c.f->m.hcar, 0, (size_t)c.f->m.Hp * 4);
  return undefined(env);
}

napi_value BeginEval(napi_env env, napi_callback_info info) {
  Call c(env, info);
  if (!c.f) return nullptr;
  c.f->k->mcr.begin_eval(&c.f->m);
  return undefined(env);
}

/** evalBlock(n): n in 0..idsCapacity − 1 over ids[0..n]. */
napi_value EvalBlock(napi_env env, napi_callback_info info) {
  Call c(env, info);
  long n;
  if (!c.f || c.argc < 1 || !int_arg(env, c.argv[0], "n", 0, c.f->idsCapacity - 1, n) || !ids_ok(env, c.f->m, n + 1))
    return nullptr;
  return number(env, c.f->k->mcr.eval_block(&c.f->m, (int)n));
}

/** sampleStep(x, invT, wantProbs) */
napi_value SampleStep(napi_env env, napi_callback_info info) {
  Call c(env, info);
  long x;
  double invT = 1;
  bool want = false;
  if (!c.f || c.argc < 3 || !int_arg(env, c.argv[0], "x", 0, c.f->m.V - 1, x)) return nullptr;
  if (napi_get_value_double(env, c.argv[1], &invT) != napi_ok ||
      napi_get_value_bool(env, c.argv[2], &want) != napi_ok) {
    napi_throw_type_error(env, nullptr, "sampleStep(x, invT, wantProbs)");
    return nullptr;
  }
  c.f->k->mcr.sample_step(&c.f->m, (int)x, (float)invT, want ? 1 : 0);
  return undefined(env);
}

}  // namespace

bool define_min_char_rnn(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {
      {"setHyper", nullptr, SetHyper, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trainChunk", nullptr, TrainChunk, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lossAndGradients", nullptr, LossAndGradients, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"resetHidden", nullptr, ResetHidden, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"beginEval", nullptr, BeginEval, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"evalBlock", nullptr, EvalBlock, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sampleStep", nullptr, SampleStep, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value cls;
  if (napi_define_class(env, "MinCharRnn", NAPI_AUTO_LENGTH, New, nullptr, sizeof methods / sizeof methods[0], methods,
                        &cls) != napi_ok ||
      napi_set_named_property(env, exports, "MinCharRnn", cls) != napi_ok) {
    napi_throw_error(env, nullptr, "native kernels: cannot define the MinCharRnn class");
    return false;
  }
  return true;
}

}  // namespace charlab
