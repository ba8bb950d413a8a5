// RuntimeCache: a cached list of the pods the runtime is running (the
// kubelet's runtime_cache.go). GetPods() answers from the cache while it is at
// most `period` old; ForceUpdateIfOlder(t) refreshes it if it was filled
// before t. The cache timestamp is taken before listing, so it never claims
// to be fresher than the data.
//
// Owns nothing but the cached list; the getter (usually Runtime::GetPods)
// must outlive it. Thread-safety: all methods may be called from any thread;
// refreshes are serialized (concurrent callers wait for one listing).
#ifndef CUBELET_CONTAINER_RUNTIME_CACHE_H_
#define CUBELET_CONTAINER_RUNTIME_CACHE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "container/runtime_types.h"
#include "util/clock.h"

namespace cubelet::container {

class RuntimeCache {
 public:
  using Getter = std::function<absl::StatusOr<std::vector<Pod>>()>;
  static constexpr absl::Duration kDefaultPeriod = absl::Seconds(2);

  RuntimeCache(Getter getter, const Clock* clock, absl::Duration period = kDefaultPeriod);

  absl::StatusOr<std::shared_ptr<const std::vector<Pod>>> GetPods();
  absl::Status ForceUpdateIfOlder(absl::Time min_time);

 private:
  absl::Status RefreshLocked();

  const Getter getter_;
  const Clock* const clock_;
  const absl::Duration period_;
  std::mutex mu_;
  std::shared_ptr<const std::vector<Pod>> pods_;
  absl::Time cache_time_ = absl::InfinitePast();
};

}  // namespace cubelet::container

#endif  // CUBELET_CONTAINER_RUNTIME_CACHE_H_
