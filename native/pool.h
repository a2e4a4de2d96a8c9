/*
 * A persistent pool of helper threads for the kernels (one pool per Node environment: each sweep
 * worker thread has its own). The thread that calls run() is part 0; helpers 1..parts−1 run the
 * other parts; every helper acknowledges every job (so the next job never races with a helper
 * still reading this one). Between calls the helpers spin for a short while (the next kernel call of a
 * training step follows within microseconds), then sleep on a condition variable; the caller waiting
 * for the helpers likewise spins briefly, then sleeps until the last one wakes it. On a busy machine
 * a thread the scheduler took away then costs its partner a sleep, not a spinning time slice.
 */
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace charlab {

class Pool {
 public:
  /**
   * A pool that can run `threads` parts at once (threads − 1 helpers). `spin`: how long an idle helper
   * spins before it sleeps; `joinSpin`: how long the caller spins for the helpers before it sleeps
   * (the defaults suit training steps; poolStress sets 0 to put every job through the sleeping paths).
   */
  explicit Pool(int threads, std::chrono::microseconds spin = std::chrono::microseconds(100),
                std::chrono::microseconds joinSpin = std::chrono::microseconds(50));
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int threads() const { return (int)helpers_.size() + 1; }
  /** fn(arg, part, parts) for part = 0..parts−1 (parts <= threads()), in parallel; returns when all are done. */
  void run(int parts, void (*fn)(void*, int, int), void* arg);

 private:
  void helper(int id);

  const std::chrono::microseconds spin_, joinSpin_;
  std::vector<std::thread> helpers_;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;      // helpers wait here for a job
  std::condition_variable done_;      // the caller waits here for the helpers
  bool callerWaiting_ = false;  // under mutex_: the caller sleeps on done_
  // The current job, published by the release store of generation_.
  void (*fn_)(void*, int, int) = nullptr;
  void* arg_ = nullptr;
  int parts_ = 0;
};

}  // namespace charlab
