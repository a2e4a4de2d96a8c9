#include "pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
static inline void relax() { _mm_pause(); }
#elif defined(__aarch64__)
static inline void relax() { __asm__ __volatile__("yield"); }
#else
static inline void relax() {}
#endif

namespace charlab {

Pool::Pool(int threads, std::chrono::microseconds spin, std::chrono::microseconds joinSpin) : spin_(spin), joinSpin_(joinSpin) {
  for (int id = 1; id < threads; id++) helpers_.emplace_back([this, id] { helper(id); });
}

Pool::~Pool() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
}

void Pool::helper(int id) {
  unsigned seen = 0;
  for (;;) {
    unsigned g = generation_.load(std::memory_order_acquire);
    if (g == seen) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int spins = 1; (g = generation_.load(std::memory_order_acquire)) == seen; spins++) {
        relax();
        if ((spins & 255) == 0 && std::chrono::steady_clock::now() - t0 > spin_) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
      }
    }
    seen = g;
    if (stop_.load()) return;
    if (id < parts_) fn_(arg_, id, parts_);
    // Every helper acknowledges every job; the last wakes the caller if it went to sleep. It looks at
    // callerWaiting_ under the mutex, under which the caller sets it and then checks pending_: either the
    // caller's check comes after this decrement (it sees 0 and does not sleep) or its sleep began before
    // this lock was taken (then callerWaiting_ is seen set, and the caller is woken). Without the mutex,
    // "I am done; is the caller asleep?" against "I am going to sleep; are they done?" is Dekker's
    // pattern, where each side can read the other's old value: the caller then sleeps with nobody left
    // to wake it (a hang seen once in `charlab bench` on the busy 2-core machine).
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (callerWaiting_) done_.notify_one();
    }
  }
}

void Pool::run(int parts, void (*fn)(void*, int, int), void* arg) {
  if (parts > threads()) parts = threads();
  if (parts <= 1) {
    fn(arg, 0, 1);
    return;
  }
  fn_ = fn;
  arg_ = arg;
  parts_ = parts;
  pending_.store(threads() - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);  // a helper about to sleep sees the new generation or is woken
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  fn(arg, 0, parts);
  const auto t0 = std::chrono::steady_clock::now();
  for (int spins = 1; pending_.load(std::memory_order_acquire) != 0; spins++) {
    relax();
    if ((spins & 255) == 0 && std::chrono::steady_clock::now() - t0 > joinSpin_) {
      std::unique_lock<std::mutex> lock(mutex_);
      callerWaiting_ = true;
      done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
      callerWaiting_ = false;
    }
  }
}

}  // namespace charlab
