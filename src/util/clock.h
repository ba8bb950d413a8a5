// Clock: the source of "now" for every time-dependent decision in cubelet.
//
// Components take a Clock* (not owned; it must outlive them) so tests drive
// time by hand with FakeClock and never sleep: waiting goes through
// SleepFor, which a FakeClock ends when advanced. Thread-safety: both
// implementations may be called from any thread.
#ifndef CUBELET_UTIL_CLOCK_H_
#define CUBELET_UTIL_CLOCK_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "util/cancellation.h"

namespace cubelet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Waits until `d` has passed on this clock or `cancel` (may be null) is
  // cancelled. True when the whole duration passed, false when cancelled
  // first.
  virtual bool SleepFor(absl::Duration d, const CancelTokenPtr& cancel) = 0;
};

// Wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool SleepFor(absl::Duration d, const CancelTokenPtr& cancel) override {
    if (cancel == nullptr) {
      absl::SleepFor(d);
      return true;
    }
    return !cancel->WaitFor(d);
  }
  static RealClock* Get() {
    static RealClock clock;
    return &clock;
  }
};

// A clock that moves only when told to. Starts at an arbitrary fixed instant.
// SleepFor blocks until Advance/Set reaches the deadline (or the token is
// cancelled); Waiters/AwaitWaiters let a test wait for a sleeper before it
// moves the clock.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : nanos_(absl::ToUnixNanos(start)), waits_(std::make_shared<Waits>()) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) {
    {
      std::lock_guard<std::mutex> lock(waits_->mu);
      nanos_.fetch_add(absl::ToInt64Nanoseconds(d));
    }
    waits_->cv.notify_all();
  }
  void Set(absl::Time t) {
    {
      std::lock_guard<std::mutex> lock(waits_->mu);
      nanos_.store(absl::ToUnixNanos(t));
    }
    waits_->cv.notify_all();
  }

  bool SleepFor(absl::Duration d, const CancelTokenPtr& cancel) override {
    const int64_t deadline = nanos_.load() + absl::ToInt64Nanoseconds(d);
    if (cancel != nullptr) {
      // The token may outlive the clock: the callback holds the shared state.
      cancel->OnCancel([waits = waits_] {
        { std::lock_guard<std::mutex> lock(waits->mu); }
        waits->cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(waits_->mu);
    ++waits_->sleepers;
    waits_->cv.notify_all();
    waits_->cv.wait(lock, [&] {
      return nanos_.load() >= deadline || (cancel != nullptr && cancel->IsCancelled());
    });
    --waits_->sleepers;
    waits_->cv.notify_all();
    return nanos_.load() >= deadline;
  }

  // How many callers are in SleepFor now.
  size_t Waiters() const {
    std::lock_guard<std::mutex> lock(waits_->mu);
    return waits_->sleepers;
  }
  // Blocks (in real time) until at least `n` callers are in SleepFor.
  void AwaitWaiters(size_t n) const {
    std::unique_lock<std::mutex> lock(waits_->mu);
    waits_->cv.wait(lock, [&] { return waits_->sleepers >= n; });
  }

 private:
  struct Waits {
    std::mutex mu;
    std::condition_variable cv;
    size_t sleepers = 0;
  };
  std::atomic<int64_t> nanos_;
  const std::shared_ptr<Waits> waits_;
};

}  // namespace cubelet

#endif  // CUBELET_UTIL_CLOCK_H_
