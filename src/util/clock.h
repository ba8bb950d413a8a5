// Clock: the source of "now" for every time-dependent decision in cubelet.
//
// Components take a Clock* (not owned; it must outlive them) so tests drive
// time by hand with FakeClock and never sleep. Thread-safety: both
// implementations may be called from any thread.
#ifndef CUBELET_UTIL_CLOCK_H_
#define CUBELET_UTIL_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cubelet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  static RealClock* Get() {
    static RealClock clock;
    return &clock;
  }
};

// A clock that moves only when told to. Starts at an arbitrary fixed instant.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) { nanos_.fetch_add(absl::ToInt64Nanoseconds(d)); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace cubelet

#endif  // CUBELET_UTIL_CLOCK_H_
