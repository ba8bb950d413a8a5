// KubeletPodSyncer: what one pod-worker step does (the kubelet's SyncPod,
// SyncTerminatingPod, SyncTerminatingRuntimePod and SyncTerminatedPod): turn
// the runtime's view of a pod into an API status (stored through the status
// manager), ask the runtime manager to act, record why starts failed, and
// refresh the pod cache after acting.
//
// Ownership: borrows the runtime, pod cache, status manager and clock (they
// must outlive it). Thread-safety: safe for concurrent calls on different pods
// (the pod workers never call it twice at once for one pod).
#ifndef CUBELET_KUBELET_POD_SYNCER_IMPL_H_
#define CUBELET_KUBELET_POD_SYNCER_IMPL_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "container/pod_cache.h"
#include "container/runtime.h"
#include "podworkers/pod_syncer.h"
#include "status/generate.h"
#include "status/reason_cache.h"
#include "status/status_manager.h"
#include "util/clock.h"

namespace cubelet::kubelet {

// The status reason and message of a pod failed for running past
// spec.activeDeadlineSeconds (upstream pkg/kubelet/active_deadline.go).
inline constexpr char kDeadlineExceededReason[] = "DeadlineExceeded";
inline constexpr char kDeadlineExceededMessage[] =
    "Pod was active on the node longer than the specified deadline";

// Whether the pod has run for spec.activeDeadlineSeconds since `start_time`
// (false without a deadline or before the pod started).
bool PastActiveDeadline(const api::Pod& pod, const std::optional<absl::Time>& start_time,
                        absl::Time now);

class KubeletPodSyncer final : public podworkers::PodSyncer {
 public:
  KubeletPodSyncer(container::Runtime* runtime, container::PodCache* pod_cache,
                   status::StatusManager* status_manager, const Clock* clock);

  absl::StatusOr<bool> SyncPod(const CancelTokenPtr& cancel, podworkers::SyncPodType update_type,
                               const api::PodPtr& pod, const api::PodPtr& mirror_pod,
                               const container::PodStatusPtr& status) override;
  absl::Status SyncTerminatingPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                  const container::PodStatusPtr& status,
                                  std::optional<int64_t> grace_period,
                                  const podworkers::PodStatusFunc& pod_status_fn) override;
  absl::Status SyncTerminatingRuntimePod(const CancelTokenPtr& cancel,
                                         const container::Pod& running_pod) override;
  absl::Status SyncTerminatedPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                 const container::PodStatusPtr& status) override;

  // Where status generation reads the pod's readiness/startup verdicts
  // (the prober manager); none means no probe has passed. Call before use.
  void SetProbeStatusFunc(std::function<status::ProbeStatus(const std::string& uid)> fn) {
    probe_status_ = std::move(fn);
  }

  // What SyncTerminatedPod releases once the pod's containers are gone:
  // its volumes and its pod cgroup (upstream syncTerminatedPod waits for the
  // volumes to be unmounted, then destroys the pod cgroup). An error makes
  // the worker retry the step. Call before use; none releases nothing.
  void SetReleasePodResourcesFunc(std::function<absl::Status(const api::Pod& pod)> fn) {
    release_pod_resources_ = std::move(fn);
  }

  // Called at each sync of a pod that keeps running, before the runtime's
  // SyncPod: re-publishes its configMap, secret and downwardAPI volumes
  // (upstream's volume reconciler remounts them on every pod sync). Must not
  // fail the sync: running containers keep what they have. Call before use;
  // none refreshes nothing.
  void SetRefreshVolumesFunc(
      std::function<void(const api::Pod& pod, const container::PodStatus& status)> fn) {
    refresh_volumes_ = std::move(fn);
  }

  // The newest API status generated for the pod, if any.
  std::optional<api::PodStatus> GetPodStatus(const std::string& uid) const;
  // Drops what the syncer remembers of a pod that is gone (its status and
  // the reasons of its failed starts). For housekeeping.
  void ForgetPod(const std::string& uid);

 private:
  // Reads the pod's runtime status after acting on it and stores it in the
  // pod cache, so the worker's next step need not wait for a relist.
  absl::StatusOr<container::PodStatusPtr> RefreshCache(const api::Pod& pod);
  api::PodStatus Generate(const api::Pod& pod, const container::PodStatus& status,
                          bool pod_is_terminal = false);
  void SetPodStatus(const api::Pod& pod, api::PodStatus status);

  container::Runtime* const runtime_;
  container::PodCache* const pod_cache_;
  const Clock* const clock_;
  status::StatusManager* const status_manager_;
  status::ReasonCache reasons_;
  std::function<status::ProbeStatus(const std::string& uid)> probe_status_;
  std::function<absl::Status(const api::Pod& pod)> release_pod_resources_;
  std::function<void(const api::Pod& pod, const container::PodStatus& status)> refresh_volumes_;
};

}  // namespace cubelet::kubelet

#endif  // CUBELET_KUBELET_POD_SYNCER_IMPL_H_
