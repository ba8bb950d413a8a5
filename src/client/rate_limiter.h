// RateLimiter: the client-side request limit of an API client, a token bucket
// like client-go's flowcontrol.NewTokenBucketRateLimiter(qps, burst).
//
// The bucket holds up to `burst` tokens, starts full and refills at `qps`
// tokens a second. Accept() takes one, waiting (on the injected clock) until
// its turn: callers are served in arrival order, each reserving the next
// token (golang.org/x/time/rate's reservations). TryAccept() takes one only if
// it is there now. qps <= 0 means no limit; burst < 1 counts as 1.
//
// Ownership: `clock` is not owned and must outlive the limiter.
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_CLIENT_RATE_LIMITER_H_
#define CUBELET_CLIENT_RATE_LIMITER_H_

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::client {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst, Clock* clock);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token, waiting for it through Clock::SleepFor. False (and no
  // token taken) when `cancel` (may be null) is cancelled first.
  bool Accept(const CancelTokenPtr& cancel = nullptr);

  // Takes a token if one is available now.
  bool TryAccept();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  // Brings tokens_ up to now.
  void Refill(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double qps_;
  const int burst_;
  Clock* const clock_;

  Mutex mu_;
  // May go negative: each waiter has reserved a token not yet refilled.
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::client

#endif  // CUBELET_CLIENT_RATE_LIMITER_H_
