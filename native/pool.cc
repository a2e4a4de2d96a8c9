#include "pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
static inline void relax() { _mm_pause(); }
#elif defined(__aarch64__)
static inline void relax() { __asm__ __volatile__("yield"); }
#else
static inline void relax() {}
#endif

namespace charlab {

static inline uint32_t gen_of(uint64_t s) { return (uint32_t)(s >> 32); }

Pool::Pool(int threads, std::chrono::microseconds spin, std::chrono::microseconds joinSpin) : spin_(spin), joinSpin_(joinSpin) {
  state_.store(kClosed);  // generation 0: nothing to claim
  for (int id = 1; id < threads; id++) helpers_.emplace_back([this] { helper(); });
}

Pool::~Pool() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.store((uint64_t)(generation_ + 1) << 32 | kClosed);
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
}

bool Pool::work(uint32_t gen, bool caller) {
  for (;;) {
    uint64_t s = state_.load(std::memory_order_acquire);
    if (gen_of(s) != gen) return false;
    // The job's description as published with `gen` (release store of state_): if the claim below
    // succeeds, no later job was published in between, so these are that job's.
    const Job& job = ring_[gen % kRing];
    const auto fn = job.fn.load(std::memory_order_relaxed);
    void* const arg = job.arg.load(std::memory_order_relaxed);
    const int parts = job.parts.load(std::memory_order_relaxed);
    const uint64_t next = s & 0xffffffffu;
    if (next >= (uint64_t)parts) return true;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
    fn(arg, (int)next, parts);
    // The last part wakes the caller if it went to sleep. callerWaiting_ is read under the mutex, under
    // which the caller sets it and then checks remaining_: either that check comes after this decrement
    // (it sees 0 and does not sleep) or its sleep began before this lock was taken (callerWaiting_ is
    // then seen set). Without the mutex, "done; is the caller asleep?" against "going to sleep; are
    // they done?" is Dekker's pattern, where each side can read the other's old value and the caller
    // sleeps for good (a hang seen once in `charlab bench` on the busy 2-core machine).
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1 && !caller) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (callerWaiting_) done_.notify_one();
    }
  }
}

void Pool::helper() {
  uint32_t seen = 0;
  for (;;) {
    uint32_t g = gen_of(state_.load(std::memory_order_acquire));
    if (g == seen) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int spins = 1; (g = gen_of(state_.load(std::memory_order_acquire))) == seen; spins++) {
        relax();
        if ((spins & 255) == 0 && std::chrono::steady_clock::now() - t0 > spin_) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return gen_of(state_.load(std::memory_order_acquire)) != seen; });
        }
      }
    }
    seen = g;
    if (stop_.load()) return;
    work(g, false);
  }
}

void Pool::run(int parts, void (*fn)(void*, int, int), void* arg) {
  if (parts <= 1 || helpers_.empty()) {
    for (int p = 0; p < parts; p++) fn(arg, p, parts);
    return;
  }
  const uint32_t gen = ++generation_;
  Job& job = ring_[gen % kRing];
  job.fn.store(fn, std::memory_order_relaxed);
  job.arg.store(arg, std::memory_order_relaxed);
  job.parts.store(parts, std::memory_order_relaxed);
  remaining_.store(parts, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);  // a helper about to sleep sees the new generation or is woken
    state_.store((uint64_t)gen << 32, std::memory_order_release);
  }
  wake_.notify_all();
  work(gen, true);
  // Every part is claimed: wait for the ones still running on helpers.
  const auto t0 = std::chrono::steady_clock::now();
  for (int spins = 1; remaining_.load(std::memory_order_acquire) != 0; spins++) {
    relax();
    if ((spins & 255) == 0 && std::chrono::steady_clock::now() - t0 > joinSpin_) {
      std::unique_lock<std::mutex> lock(mutex_);
      callerWaiting_ = true;
      done_.wait(lock, [&] { return remaining_.load(std::memory_order_acquire) == 0; });
      callerWaiting_ = false;
    }
  }
}

}  // namespace charlab
