// The downward API: the values a pod may read about itself through env
// (fieldRef, resourceFieldRef) and downwardAPI volume files (the kubelet's
// pkg/fieldpath ExtractFieldPathAsString, podFieldSelectorRuntimeValue and
// pkg/api/v1/resource ExtractContainerResourceValue).
//
// Pure functions over values; safe from any thread.
#ifndef CUBELET_API_FIELDPATH_H_
#define CUBELET_API_FIELDPATH_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/pod.h"

namespace cubelet::api {

// What the pod's fieldRefs resolve against besides the pod itself.
struct FieldContext {
  std::vector<std::string> pod_ips;  // the pod's (or, host network, the node's) IPs
  std::string host_ip;               // the node's IP
};

// metadata.name/namespace/uid, metadata.labels and metadata.annotations (whole,
// as FormatMap lines, or one key as ['key']), spec.nodeName,
// spec.serviceAccountName, status.hostIP(s), status.podIP(s).
absl::StatusOr<std::string> ExtractFieldPath(const Pod& pod, const std::string& path,
                                             const FieldContext& context);

// `key="value"` lines in key order, values quoted as Go's %q.
std::string FormatMap(const std::map<std::string, std::string>& m);

// The node's allocatable amounts that stand in for a missing limit.
struct NodeAllocatable {
  int64_t milli_cpu = 0;
  int64_t memory = 0;             // bytes
  int64_t ephemeral_storage = 0;  // bytes
};

// limits./requests. cpu, memory or ephemeral-storage of `container`, divided
// by the selector's divisor (default 1) and rounded up; a missing limit is
// the node's allocatable amount.
absl::StatusOr<std::string> ExtractResourceValue(const ResourceFieldSelector& selector,
                                                 const Container& container,
                                                 const NodeAllocatable& node);

// The container named `name` among the pod's containers and init containers.
const Container* FindContainer(const Pod& pod, const std::string& name);

}  // namespace cubelet::api

#endif  // CUBELET_API_FIELDPATH_H_
