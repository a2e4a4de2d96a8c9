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

/** How long an idle helper spins before it sleeps, and how long the caller spins for the helpers before it does. */
constexpr auto kSpin = std::chrono::microseconds(100);
constexpr auto kJoinSpin = std::chrono::microseconds(50);

Pool::Pool(int threads) {
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
        if ((spins & 255) == 0 && std::chrono::steady_clock::now() - t0 > kSpin) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
      }
    }
    seen = g;
    if (stop_.load()) return;
    if (id < parts_) fn_(arg_, id, parts_);
    // Every helper acknowledges every job; the last wakes the caller if it went to sleep.
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1 && callerWaiting_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
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
    if ((spins & 255) == 0 && std::chrono::steady_clock::now() - t0 > kJoinSpin) {
      std::unique_lock<std::mutex> lock(mutex_);
      callerWaiting_.store(true, std::memory_order_release);
      done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
      callerWaiting_.store(false, std::memory_order_release);
    }
  }
}

}  // namespace charlab
