// WorkerPool: a bounded set of threads that run submitted tasks in FIFO
// order. Threads start on demand (a task that finds no idle thread starts
// one) up to `max_threads`; beyond that, tasks queue until a thread frees.
// An idle pool holds only the threads it has needed so far.
//
// For blocking work that must not take a thread each (e.g. container stops
// that wait on the runtime for a grace period).
//
// Thread-safety: Submit may be called from any thread, including from a
// task. Shutdown (and the destructor) runs every task already queued, waits
// for them and joins the threads; tasks submitted while it drains still run.
#ifndef CUBELET_UTIL_WORKER_POOL_H_
#define CUBELET_UTIL_WORKER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cubelet {

class WorkerPool {
 public:
  // `max_threads` >= 1.
  explicit WorkerPool(size_t max_threads);
  ~WorkerPool() { Shutdown(); }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);

  // Drains the queue, waits for running tasks and joins the threads. Must
  // not be called from a task of this pool.
  void Shutdown();

  size_t max_threads() const { return max_threads_; }
  // Threads running now, busy or idle (at most max_threads()).
  size_t threads() const;
  // Of those, the ones waiting for a task.
  size_t idle_threads() const;

 private:
  void Work();

  const size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;  // started, not yet joined
  size_t alive_ = 0;                  // threads not yet returned
  size_t idle_ = 0;                   // threads waiting for a task
  bool stopping_ = false;
};

}  // namespace cubelet

#endif  // CUBELET_UTIL_WORKER_POOL_H_
