// GeneratePodStatus: the API status of a pod (phase, conditions, container
// statuses, IPs) computed from its spec and the runtime's view, as the
// kubelet's generateAPIPodStatus does (getPhase, convertToAPIContainerStatuses
// and pkg/kubelet/status/generate.go).
//
// `previous` is the last status this agent generated (or the API's) and
// supplies what the runtime no longer knows: the state of containers whose
// instances were removed, condition transition times, the start time, and
// terminal phases (which never revert). Readiness probing is a later module:
// until it hooks in through GenerateOptions::probes, a running container is
// ready unless it has a readiness probe, and started unless it has a startup
// probe.
//
// Pure functions; safe from any thread (ReasonCache is itself thread-safe).
#ifndef CUBELET_STATUS_GENERATE_H_
#define CUBELET_STATUS_GENERATE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "api/pod.h"
#include "container/runtime_types.h"
#include "status/reason_cache.h"

namespace cubelet::status {

// Condition type added by the kubelet since v1.29 (sandbox ready with network).
inline constexpr char kPodReadyToStartContainers[] = "PodReadyToStartContainers";

// Condition reasons.
inline constexpr char kContainersNotReady[] = "ContainersNotReady";
inline constexpr char kContainersNotInitialized[] = "ContainersNotInitialized";
inline constexpr char kPodCompleted[] = "PodCompleted";
inline constexpr char kPodFailedReason[] = "PodFailed";
inline constexpr char kUnknownContainerStatuses[] = "UnknownContainerStatuses";

// Container waiting/terminated reasons.
inline constexpr char kContainerCreating[] = "ContainerCreating";
inline constexpr char kPodInitializing[] = "PodInitializing";
inline constexpr char kReasonCompleted[] = "Completed";
inline constexpr char kReasonError[] = "Error";
inline constexpr char kReasonOOMKilled[] = "OOMKilled";
inline constexpr char kContainerStatusUnknown[] = "ContainerStatusUnknown";

// The terminated state of a container the runtime lost track of, or that had
// none when its pod was terminated (exit 137, ContainerStatusUnknown).
api::ContainerStateTerminated NotLocatedAtTermination();

// The runtime prefix of container ids in the API ("containerd://<id>").
inline constexpr char kContainerIdPrefix[] = "containerd://";

// Probe verdicts by container id (runtime id, no prefix). A container with a
// readiness (startup) probe and no entry here is not ready (not started).
struct ProbeStatus {
  std::map<std::string, bool> ready;
  std::map<std::string, bool> started;
};

struct GenerateOptions {
  const ProbeStatus* probes = nullptr;  // not owned; may be null
  // Set once the pod worker decided the pod is terminal (its containers will
  // not run again): then a stopped pod is Succeeded/Failed whatever the
  // restart policy (getPhase's podIsTerminal).
  bool pod_is_terminal = false;
  // The kubelet's PodSyncHandlers.ShouldEvict (its active deadline handler):
  // given the pod's start time, a (reason, message) that fails the pod. As in
  // generateAPIPodStatus it overrides the phase before the conditions are
  // generated, so they say PodFailed too.
  std::function<std::optional<std::pair<std::string, std::string>>(
      const std::optional<absl::Time>& start_time)>
      should_evict;
};

// What the node adds to a pod's stored status before anyone sees it: hostIP
// (when the status has none) and, for a host-network pod past Pending, the
// node's address as its pod IP.
void ApplyNodeAddresses(const api::Pod& pod, const std::string& host_ip, api::PodStatus& status);

api::PodStatus GeneratePodStatus(const api::Pod& pod, const container::PodStatus& runtime_status,
                                 const ReasonCache& reasons, const api::PodStatus* previous,
                                 absl::Time now, const GenerateOptions& options = {});

// The pieces, exposed for tests and for the status manager.
std::string GetPhase(const api::Pod& pod, const std::vector<api::ContainerStatus>& init_statuses,
                     const std::vector<api::ContainerStatus>& statuses, bool pod_is_terminal);
api::PodCondition GeneratePodInitializedCondition(
    const api::Pod& pod, const std::vector<api::ContainerStatus>& init_statuses,
    const std::vector<api::ContainerStatus>& statuses, const std::string& phase);
api::PodCondition GenerateContainersReadyCondition(
    const api::Pod& pod, const std::vector<api::ContainerStatus>& init_statuses,
    const std::vector<api::ContainerStatus>& statuses, const std::string& phase);
// Ready: ContainersReady, then every readiness gate's condition (looked up
// in `conditions`, the ones others set) present and True, else False with
// reason ReadinessGatesNotReady.
api::PodCondition GeneratePodReadyCondition(const api::Pod& pod,
                                            const std::vector<api::PodCondition>& conditions,
                                            const std::vector<api::ContainerStatus>& init_statuses,
                                            const std::vector<api::ContainerStatus>& statuses,
                                            const std::string& phase);

}  // namespace cubelet::status

#endif  // CUBELET_STATUS_GENERATE_H_
