// Node admission: may this pod run on this node at all? (the kubelet's
// pkg/kubelet/lifecycle predicateAdmitHandler over the scheduler's
// AdmissionCheck). A pod that is not admitted is never started: the kubelet
// marks it Failed with the returned reason and "Pod was rejected: <message>".
//
// First, cubelet's own check: a pod whose `unsupported` is set (fields cubelet
// does not implement) is refused with reason UnsupportedPodSpec. Then the
// checks, in upstream's order: sysctls (security_admission.h,
// SysctlForbidden); the `kubernetes.io/os` label selector and
// `spec.os`; then pod count, cpu and memory requests against allocatable; the
// nodeSelector and required node affinity; spec.nodeName; host ports already
// taken; AppArmor on a host without it (reason AppArmor). The first failure
// is the answer.
//
// Pure functions over values; safe from any thread.
#ifndef CUBELET_LIFECYCLE_PREDICATE_H_
#define CUBELET_LIFECYCLE_PREDICATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/pod.h"

namespace cubelet::lifecycle {

// What admission knows of the node (the kubelet's initial Node object).
struct NodeInfo {
  std::string name;
  std::map<std::string, std::string> labels;
  int64_t allocatable_milli_cpu = 0;
  int64_t allocatable_memory = 0;  // bytes
  int64_t allocatable_pods = 110;
  // Sysctl patterns allowed beside the safe ones (--allowed-unsafe-sysctls).
  std::vector<std::string> allowed_unsafe_sysctls;
  // Whether the kernel enforces AppArmor profiles.
  bool app_armor_enabled = false;
};

// The standalone node: kubernetes.io/hostname, os and arch labels (and their
// beta twins), every CPU and all of MemTotal allocatable (cubelet reserves
// nothing).
NodeInfo LocalNodeInfo(const std::string& node_name);

// The Go GOARCH name of this machine (amd64, arm64, ...).
std::string GoArch();

struct AdmitResult {
  bool admit = true;
  std::string reason;   // e.g. "NodeAffinity", "OutOfcpu", "PodOSNotSupported"
  std::string message;  // e.g. "Predicate NodeAffinity failed: node(s) didn't match ..."
};

// Judges `pod` against `node` with `other_pods` (the active pods already
// admitted) holding their share of it.
AdmitResult Admit(const api::Pod& pod, const std::vector<api::PodPtr>& other_pods,
                  const NodeInfo& node);

// The pod's effective requests (pod-level resources if set, else the larger
// of the regular containers' sum and any init container's), as milli-cpu
// and bytes. Limits stand in for missing requests, as API defaulting does.
struct PodRequests {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
};
PodRequests ComputePodRequests(const api::Pod& pod);

// Whether `node` satisfies the pod's nodeSelector and required node affinity.
bool MatchesNodeSelectorAndAffinity(const api::Pod& pod, const NodeInfo& node);

}  // namespace cubelet::lifecycle

#endif  // CUBELET_LIFECYCLE_PREDICATE_H_
