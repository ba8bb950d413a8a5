// PodSyncer: what the pod workers call to make one pod match its desired
// state (the kubelet's podSyncer, implemented by the Kubelet). The four
// methods correspond to the worker's states: sync, terminating (config pod or
// runtime-only pod) and terminated.
//
// Thread-safety: the pod workers never call two methods for the same pod UID
// at once, but call them for different pods concurrently from the worker
// pool, so implementations must be safe across pods. Methods may block; they
// should watch `cancel` and return absl::CancelledError once it fires.
//
// Cache contract: a method that changes the pod in the runtime must, before
// returning, store the pod's status read after its last change in the
// PodCache (stamped no later than the read). The pod's next step only waits
// for a status observed after this step began, so it relies on that refresh.
#ifndef CUBELET_PODWORKERS_POD_SYNCER_H_
#define CUBELET_PODWORKERS_POD_SYNCER_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/pod.h"
#include "container/runtime_types.h"
#include "util/cancellation.h"

namespace cubelet::podworkers {

enum class SyncPodType { kSync = 0, kUpdate, kCreate, kKill };
const char* ToString(SyncPodType t);

// Lets the caller of a kill adjust the final API status (e.g. an eviction message).
using PodStatusFunc = std::function<void(api::PodStatus*)>;

class PodSyncer {
 public:
  virtual ~PodSyncer() = default;

  // Brings a running pod towards its spec. Returns true when the pod has
  // reached a terminal phase (the workers then terminate it).
  virtual absl::StatusOr<bool> SyncPod(const CancelTokenPtr& cancel, SyncPodType update_type,
                                       const api::PodPtr& pod, const api::PodPtr& mirror_pod,
                                       const container::PodStatusPtr& status) = 0;

  // Stops every container of the pod within `grace_period` seconds (nullopt:
  // the pod's own). Called again, with grace periods that only shrink, until
  // it succeeds.
  virtual absl::Status SyncTerminatingPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                          const container::PodStatusPtr& status,
                                          std::optional<int64_t> grace_period,
                                          const PodStatusFunc& pod_status_fn) = 0;

  // Stops a pod known only from the runtime; must not succeed while any of
  // its containers still runs.
  virtual absl::Status SyncTerminatingRuntimePod(const CancelTokenPtr& cancel,
                                                 const container::Pod& running_pod) = 0;

  // Releases what the stopped pod still holds (volumes, cgroups). Success
  // means the pod is finished on this node.
  virtual absl::Status SyncTerminatedPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                         const container::PodStatusPtr& status) = 0;
};

}  // namespace cubelet::podworkers

#endif  // CUBELET_PODWORKERS_POD_SYNCER_H_
