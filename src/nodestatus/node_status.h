// The Node object a cubelet node reports (upstream pkg/kubelet/nodestatus's
// setters and kubelet_node_status.go's initialNode): pure functions from what
// the agent knows (its config, the machine, the runtime's readiness) to the
// Node's JSON, so the manager that talks to the API server stays small and
// the field-by-field rules are unit-tested.
//
// Conditions follow the kubelet: MemoryPressure, DiskPressure, PIDPressure
// (False: cubelet does no eviction yet) and Ready (KubeletReady, or
// KubeletNotReady with the reason); lastTransitionTime moves only when the
// status flips, lastHeartbeatTime on every report.
//
// Stateless; safe from any thread.
#ifndef CUBELET_NODESTATUS_NODE_STATUS_H_
#define CUBELET_NODESTATUS_NODE_STATUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "nodestatus/machine_info.h"

namespace cubelet::nodestatus {

// The version a cubelet node reports as kubeletVersion: the Kubernetes
// release whose kubelet it follows, marked as cubelet.
inline constexpr char kKubeletVersion[] = "v1.37.2-cubelet";

struct NodeConfig {
  std::string name;
  std::string node_ip;                        // the InternalIP address
  std::map<std::string, std::string> labels;  // --node-labels, over the defaults
  int kubelet_port = 10250;                   // daemonEndpoints.kubeletEndpoint
  int64_t max_pods = 110;
};

// What the setters read each time: the runtime's name and version (CRI
// Version: "containerd", "1.6.20") and why the node is not ready (OK when it
// is: the runtime, its network and the agent's health checks all fine).
struct NodeInputs {
  std::string runtime_name;
  std::string runtime_version;
  absl::Status readiness;
  // Device plugins' resources: name -> {capacity, allocatable}.
  std::map<std::string, std::pair<int64_t, int64_t>> extended_resources;
};

// The labels the kubelet always sets: kubernetes.io/hostname, os, arch and
// their beta.kubernetes.io twins.
std::map<std::string, std::string> DefaultLabels(const NodeConfig& config,
                                                 const MachineInfo& machine);

// The Node to register: metadata (name, default labels with config.labels
// over them, the controller-managed attach/detach annotation) and an empty
// spec; no status.
nlohmann::json InitialNode(const NodeConfig& config, const MachineInfo& machine);

// The node's status as of `now`, carrying over the transition times of
// `old_status` (the last status reported; null for none).
nlohmann::json BuildNodeStatus(const NodeConfig& config, const MachineInfo& machine,
                               const NodeInputs& inputs, absl::Time now,
                               const nlohmann::json& old_status);

// Whether `a` and `b` differ in anything but the conditions' heartbeat times
// (upstream nodeStatusHasChanged).
bool NodeStatusChanged(const nlohmann::json& a, const nlohmann::json& b);

// A byte count in the canonical binary form a resource.Quantity prints
// ("24591928Ki", "2Gi", "1000").
std::string FormatBinaryQuantity(int64_t bytes);

// The message of an aggregated error as Go's utilerrors.Aggregate prints it.
std::string ReadinessMessage(const absl::Status& readiness);

}  // namespace cubelet::nodestatus

#endif  // CUBELET_NODESTATUS_NODE_STATUS_H_
