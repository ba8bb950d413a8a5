#include "client/rate_limiter.h"

#include <algorithm>

namespace cubelet::client {
namespace {

// Slack for refills that land a rounding error short of a whole token (a
// third of a second at 3 qps is 0.999999999 tokens in nanoseconds).
constexpr double kEpsilon = 1e-6;

}  // namespace

RateLimiter::RateLimiter(double qps, int burst, Clock* clock)
    : qps_(qps), burst_(std::max(burst, 1)), clock_(clock), tokens_(burst_), last_(clock->Now()) {}

void RateLimiter::Refill(absl::Time now) {
  if (now > last_) {
    tokens_ = std::min<double>(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
}

bool RateLimiter::TryAccept() {
  if (qps_ <= 0) return true;
  MutexLock lock(&mu_);
  Refill(clock_->Now());
  if (tokens_ < 1 - kEpsilon) return false;
  tokens_ -= 1;
  return true;
}

bool RateLimiter::Accept(const CancelTokenPtr& cancel) {
  if (cancel != nullptr && cancel->IsCancelled()) return false;
  if (qps_ <= 0) return true;
  absl::Duration wait;
  {
    MutexLock lock(&mu_);
    Refill(clock_->Now());
    tokens_ -= 1;
    if (tokens_ >= -kEpsilon) return true;
    wait = absl::Seconds(-tokens_ / qps_);
  }
  if (clock_->SleepFor(wait, cancel)) return true;
  // Cancelled: give the reservation back, as rate.Reservation.Cancel does.
  MutexLock lock(&mu_);
  Refill(clock_->Now());
  tokens_ = std::min<double>(burst_, tokens_ + 1);
  return false;
}

}  // namespace cubelet::client
