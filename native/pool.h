/*
 * A persistent pool of helper threads for the kernels (one pool per Node environment: each sweep
 * worker thread has its own, shared by the contexts made in it). run(parts, fn, arg) publishes a job
 * of `parts` parts; the caller and the helpers claim parts one at a time (an atomic counter tagged
 * with the job's generation) until none is left, so a helper the scheduler has taken away on a busy
 * machine costs nothing but its share: the caller runs the parts nobody claimed, and waits only for
 * parts actually running. What a part computes depends on its index alone (the kernels' fixed
 * blocks), never on the thread that runs it, so results do not depend on who claims what.
 * Between jobs the helpers spin for a short while (the next kernel call of a training step follows
 * within microseconds), then sleep on a condition variable; the caller likewise spins briefly for
 * parts still running, then sleeps until the last one wakes it.
 */
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace charlab {

class Pool {
 public:
  /**
   * A pool that can run `threads` parts at once (threads − 1 helpers). `spin`: how long an idle helper
   * spins before it sleeps; `joinSpin`: how long the caller spins for parts still running before it
   * sleeps (the defaults suit training steps; poolStress sets 0 to put every job through the sleeping
   * paths).
   */
  explicit Pool(int threads, std::chrono::microseconds spin = std::chrono::microseconds(100),
                std::chrono::microseconds joinSpin = std::chrono::microseconds(50));
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int threads() const { return (int)helpers_.size() + 1; }
  /** fn(arg, part, parts) for part = 0..parts−1, each exactly once, on the caller and the helpers; returns when all are done. */
  void run(int parts, void (*fn)(void*, int, int), void* arg);

 private:
  /** A job's description, in a ring indexed by its generation (a late helper's claim of an old one fails). */
  struct Job {
    std::atomic<void (*)(void*, int, int)> fn{nullptr};
    std::atomic<void*> arg{nullptr};
    std::atomic<int> parts{0};
  };
  static constexpr unsigned kRing = 4;
  static constexpr uint64_t kClosed = 0xffffffffu;  // no part to claim (the pool is stopping)

  void helper();
  /** Claims and runs parts of job `gen` while there are any; false once that job is no longer current. */
  bool work(uint32_t gen, bool caller);

  const std::chrono::microseconds spin_, joinSpin_;
  std::vector<std::thread> helpers_;
  Job ring_[kRing];
  std::atomic<uint64_t> state_{0};  // generation << 32 | the next part to claim
  std::atomic<int> remaining_{0};   // parts of the current job not finished yet
  std::atomic<bool> stop_{false};
  uint32_t generation_ = 0;         // the caller's: the current job's
  std::mutex mutex_;
  std::condition_variable wake_;    // helpers wait here for a new generation
  std::condition_variable done_;    // the caller waits here for the parts still running
  bool callerWaiting_ = false;      // under mutex_
};

}  // namespace charlab
