// What the container runtime reports about pods, in the engine's terms
// (the kubelet's pkg/kubelet/container types): the running-pod list used by
// housekeeping, and the per-pod status used by the pod
// status cache, the pod workers and status generation.
//
// Plain values; no thread-safety beyond that of plain values. Statuses are
// shared read-only as std::shared_ptr<const PodStatus>.
#ifndef CUBELET_CONTAINER_RUNTIME_TYPES_H_
#define CUBELET_CONTAINER_RUNTIME_TYPES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/pod.h"

namespace cubelet::container {

enum class ContainerState { kCreated, kRunning, kExited, kUnknown };
enum class SandboxState { kReady, kNotReady };

const char* ToString(ContainerState s);

// A container or sandbox as the runtime's list shows it.
struct Container {
  std::string id;  // runtime id, without the "containerd://" prefix
  std::string name;
  std::string image;
  std::string image_id;
  uint64_t hash = 0;  // io.kubernetes.container.hash
  ContainerState state = ContainerState::kUnknown;
  absl::Time created_at = absl::InfinitePast();
};

// A pod as the runtime's list shows it (kubecontainer.Pod).
struct Pod {
  std::string id;  // pod UID
  std::string name;
  std::string namespace_;
  absl::Time created_at = absl::InfinitePast();
  std::vector<Container> containers;
  std::vector<Container> sandboxes;  // state kRunning == sandbox READY

  // A synthetic API pod standing in for a runtime-only pod (name, namespace, uid).
  api::PodPtr ToAPIPod() const;
  bool Empty() const { return containers.empty() && sandboxes.empty(); }
};

struct ContainerStatus {
  std::string id;
  std::string name;
  ContainerState state = ContainerState::kUnknown;
  absl::Time created_at = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();
  absl::Time finished_at = absl::InfinitePast();
  int32_t exit_code = 0;
  std::string image;
  std::string image_id;
  uint64_t hash = 0;
  int32_t restart_count = 0;
  std::string reason;   // runtime's reason, e.g. "OOMKilled", "Completed", "Error"
  std::string message;  // termination message when the runtime has one
};

struct SandboxStatus {
  std::string id;
  SandboxState state = SandboxState::kNotReady;
  uint32_t attempt = 0;
  absl::Time created_at = absl::InfinitePast();
  std::string ip;
  std::vector<std::string> additional_ips;
  bool host_network = false;
};

// The runtime's view of one pod (kubecontainer.PodStatus). Containers are
// newest first per name, so the first match of a name is its latest instance.
struct PodStatus {
  std::string id;  // pod UID
  std::string name;
  std::string namespace_;
  std::vector<std::string> ips;
  std::vector<ContainerStatus> container_statuses;
  std::vector<SandboxStatus> sandbox_statuses;  // newest first
  absl::Time timestamp = absl::InfinitePast();

  // The latest instance of the named container, or nullptr.
  const ContainerStatus* FindContainerStatusByName(const std::string& name) const;
  // Running containers (any name).
  std::vector<const ContainerStatus*> RunningContainers() const;
};

using PodStatusPtr = std::shared_ptr<const PodStatus>;
using PodPtr = std::shared_ptr<const Pod>;

// The running part of a pod status (its running containers and all its
// sandboxes): what KillPod must stop (the kubelet's ConvertPodStatusToRunningPod).
Pod RunningPodFromStatus(const PodStatus& status);

// Every container and sandbox of a pod status as a list would show them:
// what a targeted re-read of one pod compares with the last relist's view.
Pod PodFromStatus(const PodStatus& status);

// Whether a pod needs a new sandbox (the kubelet's util.PodSandboxChanged):
// the attempt number to create, the sandbox to stop first (empty when none,
// or when only its network mode changed) and why, in the kubelet's words (the
// PodReadyToStartContainers condition's message).
struct SandboxChange {
  bool needed = false;
  uint32_t attempt = 0;
  std::string sandbox_id;
  std::string reason;
};
SandboxChange PodSandboxChanged(const api::Pod& pod, const PodStatus& status);

}  // namespace cubelet::container

#endif  // CUBELET_CONTAINER_RUNTIME_TYPES_H_
