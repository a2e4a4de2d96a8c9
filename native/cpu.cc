#include "cpu.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define CHARLAB_X86 1
#endif

namespace charlab {

#if !CHARLAB_X86
const KernelTable* const kTableAvx512 = nullptr;
const KernelTable* const kTableAvx2 = nullptr;
const KernelTable* const kTableSse2 = nullptr;
#endif
#if !defined(__aarch64__)
const KernelTable* const kTableNeon = nullptr;
#endif

namespace {

struct Features {
  bool sse2 = false, avx2 = false, fma = false, avx512 = false, neon = false;
};

#if CHARLAB_X86
/** XCR0: which register states the OS saves (xgetbv, valid when OSXSAVE is set). */
unsigned long long xcr0() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}
#endif

Features detect() {
  Features f;
#if CHARLAB_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.sse2 = (d >> 26) & 1;
  const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  const unsigned long long xcr = osxsave ? xcr0() : 0;
  const bool ymm = (xcr & 0x6) == 0x6;      // SSE and AVX state
  const bool zmm = (xcr & 0xe6) == 0xe6;    // and opmask, ZMM_Hi256, Hi16_ZMM
  unsigned b7 = 0, c7 = 0, d7 = 0, a7 = 0;
  if (__get_cpuid_max(0, nullptr) >= 7) __cpuid_count(7, 0, a7, b7, c7, d7);
  f.avx2 = avx && ymm && ((b7 >> 5) & 1);
  f.fma = f.fma && ymm;
  f.avx512 = zmm && ((b7 >> 16) & 1);  // AVX-512F
#elif defined(__aarch64__)
  f.neon = true;
#endif
  return f;
}

}  // namespace

std::vector<const KernelTable*> usable_tables() {
  static const Features f = detect();
  std::vector<const KernelTable*> out;
  if (kTableAvx512 && f.avx512 && f.fma) out.push_back(kTableAvx512);
  if (kTableAvx2 && f.avx2 && f.fma) out.push_back(kTableAvx2);
  if (kTableSse2 && f.sse2) out.push_back(kTableSse2);
  if (kTableNeon && f.neon) out.push_back(kTableNeon);
  if (kTableScalar) out.push_back(kTableScalar);
  return out;
}

const KernelTable* table_named(const std::string& isa) {
  for (const KernelTable* t : usable_tables())
    if (isa == t->isa) return t;
  return nullptr;
}

const KernelTable* table_for(const std::string& isa, std::string& error) {
  const auto usable = usable_tables();
  const KernelTable* k = isa.empty() ? (usable.empty() ? nullptr : usable[0]) : table_named(isa);
  if (k) return k;
  error = "the native kernels for " + (isa.empty() ? std::string("this CPU") : isa) + " are not usable here (usable:";
  for (const KernelTable* t : usable) error += std::string(" ") + t->isa;
  error += ")";
  return nullptr;
}

std::vector<std::string> known_isas() { return {"avx512", "avx2", "sse2", "neon", "scalar"}; }

std::string cpu_features() {
  const Features f = detect();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx512, "avx512f");
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.sse2, "sse2");
  add(f.neon, "neon");
  return s.empty() ? "none" : s;
}

}  // namespace charlab
