// StatusManager: the single writer of the pods' API statuses (the kubelet's
// pkg/kubelet/status/status_manager.go, without the API-server sync, which
// comes with cluster mode). Every status the agent shows goes through
// SetPodStatus, which keeps the kubelet's invariants:
//   - each stored status gets a version, bumped only when something changed,
//     so readers can tell newer from older and never see an older status
//     after a newer one;
//   - startTime, once set, never changes;
//   - a terminal phase (Succeeded/Failed) never reverts;
//   - a container that terminated and may not restart (restartPolicy Never,
//     or OnFailure after exit 0) never goes back to running: such an update
//     is refused (upstream checkContainerStateTransition).
//
// Ownership: borrows the clock; owns copies of the statuses. Thread-safety:
// every method may be called from any thread. The listener runs after the
// store, outside the lock, on the caller's thread; calls for one pod come
// from its pod worker, one at a time.
#ifndef CUBELET_STATUS_STATUS_MANAGER_H_
#define CUBELET_STATUS_STATUS_MANAGER_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "api/pod.h"

namespace cubelet::status {

struct VersionedPodStatus {
  api::PodStatus status;
  uint64_t version = 0;  // 1 for the first status of a pod
  // The pod's worker finished (SyncTerminatedPod completed): nothing of it
  // runs or holds resources, so a deleted pod may leave the API server.
  bool pod_is_finished = false;
};

class StatusManager {
 public:
  // Told of every stored change: `old_status` is null for a pod's first one.
  using Listener = std::function<void(const api::Pod& pod, const api::PodStatus* old_status,
                                      const api::PodStatus& new_status)>;

  explicit StatusManager(Listener on_change = nullptr);

  StatusManager(const StatusManager&) = delete;
  StatusManager& operator=(const StatusManager&) = delete;

  // Stores `status` for `pod` after applying the invariants above; returns
  // the version now stored (unchanged if the status was equal), or
  // InvalidArgument naming the container for a forbidden transition.
  absl::StatusOr<uint64_t> SetPodStatus(const api::Pod& pod, api::PodStatus status);

  std::optional<VersionedPodStatus> GetPodStatus(const std::string& uid) const;

  // Marks the pod's stored status final (upstream TerminatePod, called when
  // SyncTerminatedPod completes): sets pod_is_finished, bumps the version
  // and tells the listener (old and new status equal). No-op for a pod with
  // no status or already marked.
  void TerminatePod(const api::Pod& pod);

  // Forgets the pod's status (the pod is gone from the agent).
  void RemovePodStatus(const std::string& uid);
  // Forgets every status whose pod is not in `keep`.
  void RemoveOrphanedStatuses(const absl::flat_hash_set<std::string>& keep);

  size_t Size() const;

 private:
  const Listener on_change_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, VersionedPodStatus> statuses_;  // by pod UID
};

}  // namespace cubelet::status

#endif  // CUBELET_STATUS_STATUS_MANAGER_H_
