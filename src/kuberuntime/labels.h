// The labels and annotations the kubelet puts on the CRI sandboxes and
// containers it creates, and their parsing back. They are how the agent
// recognises its own objects after a restart (pod uid/name/namespace,
// container name) and how it remembers per-instance facts the runtime does
// not keep (spec hash, restart count, grace periods, the preStop hook), so a
// runtime-only pod can still be killed the way its spec asked.
//
// Keys and encodings match the kubelet's (pkg/kubelet/kuberuntime/labels.go),
// so crictl-style tools read cubelet's objects the same way.
//
// Pure functions over values; safe from any thread.
#ifndef CUBELET_KUBERUNTIME_LABELS_H_
#define CUBELET_KUBERUNTIME_LABELS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/pod.h"
#include "cri/types.h"

namespace cubelet::kuberuntime {

// Labels (on sandboxes: the pod's own labels plus the three pod keys; on
// containers: the three pod keys plus the container name).
inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";

// Container annotations.
inline constexpr char kContainerHashAnnotation[] = "io.kubernetes.container.hash";
inline constexpr char kContainerRestartCountAnnotation[] = "io.kubernetes.container.restartCount";
inline constexpr char kContainerTerminationMessagePathAnnotation[] =
    "io.kubernetes.container.terminationMessagePath";
inline constexpr char kContainerTerminationMessagePolicyAnnotation[] =
    "io.kubernetes.container.terminationMessagePolicy";
inline constexpr char kPodDeletionGracePeriodAnnotation[] = "io.kubernetes.pod.deletionGracePeriod";
inline constexpr char kPodTerminationGracePeriodAnnotation[] =
    "io.kubernetes.pod.terminationGracePeriod";
inline constexpr char kContainerPreStopHandlerAnnotation[] =
    "io.kubernetes.container.preStopHandler";
inline constexpr char kContainerPortsAnnotation[] = "io.kubernetes.container.ports";

cri::Labels NewPodLabels(const api::Pod& pod);
cri::Labels NewPodAnnotations(const api::Pod& pod);
cri::Labels NewContainerLabels(const api::Container& container, const api::Pod& pod);
cri::Labels NewContainerAnnotations(const api::Container& container, const api::Pod& pod,
                                    int32_t restart_count);

struct LabeledPodSandboxInfo {
  cri::Labels labels;  // the pod's own labels (kubelet keys removed)
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
};

struct LabeledContainerInfo {
  std::string container_name;
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
};

// Missing or malformed annotations read as zero/absent, as in the kubelet
// (objects created by older agents or by hand must not break listing).
struct AnnotatedContainerInfo {
  uint64_t hash = 0;
  int32_t restart_count = 0;
  std::optional<int64_t> pod_deletion_grace_period;
  std::optional<int64_t> pod_termination_grace_period;
  std::string termination_message_path;
  std::string termination_message_policy;
  std::optional<api::LifecycleHandler> pre_stop_handler;
  std::vector<api::ContainerPort> ports;
};

LabeledPodSandboxInfo GetPodSandboxInfoFromLabels(const cri::Labels& labels);
LabeledContainerInfo GetContainerInfoFromLabels(const cri::Labels& labels);
AnnotatedContainerInfo GetContainerInfoFromAnnotations(const cri::Labels& annotations);
// Just the spec hash (0 when missing or malformed): the relist needs nothing
// else and must not parse the JSON annotations of every container.
uint64_t GetContainerHashFromAnnotations(const cri::Labels& annotations);

// The JSON forms used in the annotations (the v1 API's wire form).
std::string LifecycleHandlerToJson(const api::LifecycleHandler& handler);
std::optional<api::LifecycleHandler> LifecycleHandlerFromJson(const std::string& json);
std::string ContainerPortsToJson(const std::vector<api::ContainerPort>& ports);
std::optional<std::vector<api::ContainerPort>> ContainerPortsFromJson(const std::string& json);

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_LABELS_H_
