// Runtime: what the engine asks of "the container runtime" (the kubelet's
// kubecontainer.Runtime): list pods, inspect one, drive one to its spec, kill
// one. kuberuntime::RuntimeManager implements it over a CRI RuntimeService.
//
// Thread-safety: implementations are safe for concurrent calls on different
// pods; the pod workers guarantee that calls for one pod are serial.
#ifndef CUBELET_CONTAINER_RUNTIME_H_
#define CUBELET_CONTAINER_RUNTIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "container/runtime_types.h"
#include "util/cancellation.h"

namespace cubelet::container {

// Start of the error a sync returns while the runtime's pod network is not
// ready (upstream's wording); see NetworkNotReadyError.
inline constexpr char kNetworkNotReadyErrorMsg[] = "network is not ready";

// Reasons the kubelet reports in a waiting state after a failed start.
inline constexpr char kCrashLoopBackOff[] = "CrashLoopBackOff";
inline constexpr char kErrImagePull[] = "ErrImagePull";
inline constexpr char kImagePullBackOff[] = "ImagePullBackOff";
inline constexpr char kErrImageNeverPull[] = "ErrImageNeverPull";
inline constexpr char kCreateContainerError[] = "CreateContainerError";
inline constexpr char kRunContainerError[] = "RunContainerError";
inline constexpr char kPostStartHookError[] = "PostStartHookError";

// What one step of SyncPod did (kubecontainer.SyncResult).
struct SyncResult {
  enum class Action {
    kStartContainer,
    kKillContainer,
    kInitContainer,
    kCreatePodSandbox,
    kKillPodSandbox,
  };
  Action action;
  std::string target;  // container name, or pod full name for sandbox steps
  absl::Status error;  // OK on success
  std::string reason;  // e.g. kCrashLoopBackOff when error is set
  std::string message;
  // Set when the step failed only because of a back-off (crash loop, image
  // pull): when that back-off expires and the step is worth retrying.
  std::optional<absl::Time> backoff_expiration;
};

// The outcome of SyncPod/KillPod (kubecontainer.PodSyncResult).
struct PodSyncResult {
  std::vector<SyncResult> results;
  absl::Status sync_error;  // an error outside any single step

  // The first error of any step, or sync_error; OK if none.
  absl::Status Error() const;
  // True when every failed step is only a back-off (crash loop or image pull):
  // the kubelet does not treat those as sync errors.
  bool OnlyBackOffErrors() const;
  // The earliest back-off expiration of any step (upstream
  // MinBackoffExpiration); nullopt when no step is backing off.
  std::optional<absl::Time> MinBackoffExpiration() const;
};

// An error that also says when retrying it makes sense (upstream
// kubecontainer.BackoffError): the pod workers requeue such a pod at
// `expiration`, not after their fixed error back-off. Carried as a status
// payload, so it survives being passed along as an absl::Status.
absl::Status WithBackoffExpiration(absl::Status error, absl::Time expiration);
// The expiration attached by WithBackoffExpiration; nullopt for other errors.
std::optional<absl::Time> BackoffExpiration(const absl::Status& error);

// "network is not ready: <detail>", typed (a status payload) so the pod
// workers retry such pods after ~1 s instead of the error back-off without
// reading the message (upstream checks errors.Is(err, ErrNetworkNotReady)).
absl::Status NetworkNotReadyError(absl::string_view detail);
bool IsNetworkNotReady(const absl::Status& error);

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Pods with at least one sandbox or container; `all` includes exited ones.
  virtual absl::StatusOr<std::vector<Pod>> GetPods(bool all) = 0;
  // Every pod, as GetPods(/*all=*/true), for a relist. A pod whose containers
  // and sandboxes are the same, in the same states, as at the previous call
  // comes back as the same object, so the relister skips it by comparing
  // pointers: its cost follows what changed. One caller at a time. The
  // default wraps GetPods (every pod new each time).
  virtual absl::StatusOr<std::vector<PodPtr>> ListPodsForRelist();
  virtual absl::StatusOr<PodStatusPtr> GetPodStatus(const std::string& uid, const std::string& name,
                                                    const std::string& namespace_) = 0;
  // Starts, restarts and kills containers until the pod matches its spec.
  // Honours `cancel` between steps.
  virtual PodSyncResult SyncPod(const api::Pod& pod, const PodStatus& status,
                                const CancelTokenPtr& cancel) = 0;
  // Stops all containers (in parallel, with grace), then all sandboxes.
  // `pod` may be null for a runtime-only pod.
  virtual PodSyncResult KillPod(const api::Pod* pod, const Pod& running_pod,
                                std::optional<int64_t> grace_period_override,
                                const CancelTokenPtr& cancel) = 0;
};

}  // namespace cubelet::container

#endif  // CUBELET_CONTAINER_RUNTIME_H_
