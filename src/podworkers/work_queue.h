// WorkQueue: when each pod is next due for a periodic sync (the kubelet's
// pkg/kubelet/util/queue). The pod workers enqueue after every sync; the
// sync loop's 1 s tick takes what is due.
//
// Thread-safety: all methods may be called from any thread.
#ifndef CUBELET_PODWORKERS_WORK_QUEUE_H_
#define CUBELET_PODWORKERS_WORK_QUEUE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::podworkers {

class WorkQueue {
 public:
  explicit WorkQueue(const Clock* clock) : clock_(clock) {}

  // Due at now + delay; replaces any earlier deadline, sooner or later.
  void Enqueue(const std::string& uid, absl::Duration delay) {
    MutexLock lock(&mu_);
    deadlines_[uid] = clock_->Now() + delay;
  }

  // Removes and returns every uid whose deadline has passed.
  std::vector<std::string> GetWork() {
    MutexLock lock(&mu_);
    std::vector<std::string> due;
    absl::Time now = clock_->Now();
    for (auto it = deadlines_.begin(); it != deadlines_.end();) {
      if (it->second < now) {
        due.push_back(it->first);
        deadlines_.erase(it++);
      } else {
        ++it;
      }
    }
    return due;
  }

  // The pending deadline of `uid`, if any (for tests and diagnostics).
  std::optional<absl::Time> Deadline(const std::string& uid) const {
    MutexLock lock(&mu_);
    auto it = deadlines_.find(uid);
    if (it == deadlines_.end()) return std::nullopt;
    return it->second;
  }

  size_t Size() const {
    MutexLock lock(&mu_);
    return deadlines_.size();
  }

 private:
  const Clock* const clock_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::podworkers

#endif  // CUBELET_PODWORKERS_WORK_QUEUE_H_
