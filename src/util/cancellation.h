// CancelToken: a one-way "stop what you are doing" signal shared between the
// pod workers (who cancel) and a running sync (who observes).
//
// The pod workers own a token per pod sync and hand the syncer a shared_ptr;
// the syncer polls IsCancelled() between steps, or registers a callback that
// interrupts a blocking call (e.g. a container stop that must restart with a
// shorter grace). Thread-safety: all methods may be called from any thread.
// Callbacks run once, on the thread that calls Cancel() (or at once on the
// registering thread if already cancelled), and must not block.
#ifndef CUBELET_UTIL_CANCELLATION_H_
#define CUBELET_UTIL_CANCELLATION_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cubelet {

class CancelToken {
 public:
  static std::shared_ptr<CancelToken> Create() { return std::make_shared<CancelToken>(); }

  void Cancel() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_.exchange(true)) return;
      callbacks.swap(callbacks_);
    }
    cv_.notify_all();
    for (auto& cb : callbacks) cb();
  }

  bool IsCancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // Runs `cb` when cancelled (now, if already cancelled).
  void OnCancel(std::function<void()> cb) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_.load()) {
        callbacks_.push_back(std::move(cb));
        return;
      }
    }
    cb();
  }

  // Blocks up to `timeout` of real time; true if cancelled.
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return cancelled_.load(); });
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> callbacks_;
};

using CancelTokenPtr = std::shared_ptr<CancelToken>;

// The status a cancelled operation returns (context.Canceled in Go).
inline absl::Status CancelledError(const char* what = "operation cancelled") {
  return absl::CancelledError(what);
}

}  // namespace cubelet

#endif  // CUBELET_UTIL_CANCELLATION_H_
