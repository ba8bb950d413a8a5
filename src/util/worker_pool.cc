#include "util/worker_pool.h"

#include <algorithm>
#include <utility>

namespace cubelet {

WorkerPool::WorkerPool(size_t max_threads) : max_threads_(std::max<size_t>(max_threads, 1)) {}

void WorkerPool::Submit(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(task));
  // Each idle thread takes one queued task; start another thread only for
  // a task none of them will take.
  if (queue_.size() > idle_ && alive_ < max_threads_) {
    ++alive_;
    threads_.emplace_back([this] { Work(); });
  } else {
    cv_.notify_one();
  }
}

void WorkerPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    --idle_;
    if (queue_.empty()) {  // stopping, and nothing left to run
      --alive_;
      return;
    }
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // whatever it captured goes before the pool may
    lock.lock();
  }
}

void WorkerPool::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // Tasks may submit more while the pool drains; their threads are joined
  // too.
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (threads_.empty()) break;
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
    threads.clear();
  }
}

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return alive_;
}

size_t WorkerPool::idle_threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_;
}

}  // namespace cubelet
