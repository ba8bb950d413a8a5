#include "container/runtime_cache.h"

#include <utility>

namespace cubelet::container {

RuntimeCache::RuntimeCache(Getter getter, const Clock* clock, absl::Duration period)
    : getter_(std::move(getter)), clock_(clock), period_(period) {}

absl::Status RuntimeCache::RefreshLocked() {
  absl::Time timestamp = clock_->Now();
  absl::StatusOr<std::vector<Pod>> pods = getter_();
  if (!pods.ok()) return pods.status();
  // Only move forward: a slow listing must not overwrite a newer one.
  if (timestamp >= cache_time_) {
    pods_ = std::make_shared<const std::vector<Pod>>(*std::move(pods));
    cache_time_ = timestamp;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const std::vector<Pod>>> RuntimeCache::GetPods() {
  std::lock_guard<std::mutex> lock(mu_);
  if (pods_ == nullptr || clock_->Now() - cache_time_ > period_) {
    absl::Status s = RefreshLocked();
    if (!s.ok()) return s;
  }
  return pods_;
}

absl::Status RuntimeCache::ForceUpdateIfOlder(absl::Time min_time) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_time_ < min_time) return RefreshLocked();
  return absl::OkStatus();
}

}  // namespace cubelet::container
