// PodCache: the latest runtime status of every pod (the kubelet's
// pkg/kubelet/container/cache.go), written by PLEG (and by pod syncs that
// just acted on a pod), read by the pod workers.
//
// Each entry carries the time its data was observed; a global timestamp says
// "every pod's entry is at least this fresh" (set after a full relist).
// GetNewerThan() blocks a thread; SubscribeNewerThan() is its non-blocking
// form used by the pod workers so that waiting for fresh status costs a map
// entry, not a thread.
//
// Thread-safety: all methods may be called from any thread. Subscription
// callbacks run on the thread that made the data available (Set/UpdateTime)
// or inline in SubscribeNewerThan, never under the cache's lock.
#ifndef CUBELET_CONTAINER_POD_CACHE_H_
#define CUBELET_CONTAINER_POD_CACHE_H_

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "container/runtime_types.h"
#include "util/mutex.h"

namespace cubelet::container {

struct CachedPodStatus {
  PodStatusPtr status;  // never null
  absl::Status error;   // the error of the inspection that produced it
};

class PodCache {
 public:
  using Callback = std::function<void(CachedPodStatus)>;

  // The entry for `uid`; an unknown uid gives an empty status ("no visible
  // pod or containers") and OK.
  CachedPodStatus Get(const std::string& uid) const;

  // Stores the status observed at `timestamp` and wakes waiters it satisfies.
  // Ignored if the entry holds an observation newer than `timestamp`.
  void Set(const std::string& uid, PodStatusPtr status, absl::Status error, absl::Time timestamp);

  // Records that every entry is at least as fresh as `timestamp`.
  void UpdateTime(absl::Time timestamp);

  // Drops the entry without waking anyone.
  void Delete(const std::string& uid);

  // Blocks until the entry is newer than `min_time` (see SubscribeNewerThan).
  CachedPodStatus GetNewerThan(const std::string& uid, absl::Time min_time);

  // Calls `done` once the entry was modified after `min_time` or the global
  // timestamp is after it: inline if that is already so, else later from
  // Set()/UpdateTime() (whose timestamp is >= min_time).
  void SubscribeNewerThan(const std::string& uid, absl::Time min_time, Callback done);

  size_t Size() const;

 private:
  struct Entry {
    CachedPodStatus data;
    absl::Time modified;
  };
  struct Subscriber {
    absl::Time min_time;
    Callback done;
  };

  // Data for `uid` if fresher than `min_time`; requires mu_.
  std::optional<CachedPodStatus> GetIfNewerThanLocked(const std::string& uid,
                                                      absl::Time min_time) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  CachedPodStatus GetLocked(const std::string& uid) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes and returns the callbacks of `uid` satisfied by data at `timestamp`.
  void CollectSatisfiedLocked(const std::string& uid, absl::Time timestamp,
                              std::vector<std::pair<Callback, CachedPodStatus>>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> global_timestamp_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<Subscriber>> subscribers_ ABSL_GUARDED_BY(mu_);
};

// Upstream GenericPLEG.getPodIPs: a pod with no IPs and no ready sandbox (it
// was torn down) keeps the IPs `cache` holds for it, so a finished pod still
// shows the IP it had (the API keeps showing it). `fresh` itself when it has
// IPs, a ready sandbox, or the cache has none; the cache is read only then.
PodStatusPtr PreservePodIps(PodStatusPtr fresh, const PodCache& cache, const std::string& uid);

}  // namespace cubelet::container

#endif  // CUBELET_CONTAINER_POD_CACHE_H_
