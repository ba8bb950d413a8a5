#include "api/fieldpath.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "api/validation.h"

namespace cubelet::api {
namespace {

// metadata.labels['key'] -> key; nullopt unless `path` has that shape.
std::optional<std::string> Subscript(const std::string& path, const std::string& prefix) {
  const std::string open = prefix + "['";
  if (path.size() < open.size() + 2 || path.compare(0, open.size(), open) != 0 ||
      path.compare(path.size() - 2, 2, "']") != 0) {
    return std::nullopt;
  }
  return path.substr(open.size(), path.size() - open.size() - 2);
}

std::string Lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

// Rounds up as the kubelet's convertResourceCPUToString/MemoryToString.
int64_t CeilDiv(int64_t value, int64_t divisor) {
  if (divisor <= 0) return value;
  int64_t q = value / divisor;
  if (value % divisor != 0 && (value > 0) == (divisor > 0)) ++q;
  return q;
}

}  // namespace

std::string FormatMap(const std::map<std::string, std::string>& m) {
  std::vector<std::string> lines;
  lines.reserve(m.size());
  for (const auto& [key, value] : m) lines.push_back(absl::StrCat(key, "=", GoQuote(value)));
  return absl::StrJoin(lines, "\n");
}

absl::StatusOr<std::string> ExtractFieldPath(const Pod& pod, const std::string& path,
                                             const FieldContext& context) {
  if (path == "metadata.name") return pod.metadata.name;
  if (path == "metadata.namespace") return pod.metadata.namespace_;
  if (path == "metadata.uid") return pod.metadata.uid;
  if (path == "metadata.labels") return FormatMap(pod.metadata.labels);
  if (path == "metadata.annotations") return FormatMap(pod.metadata.annotations);
  if (auto key = Subscript(path, "metadata.labels")) return Lookup(pod.metadata.labels, *key);
  if (auto key = Subscript(path, "metadata.annotations")) {
    return Lookup(pod.metadata.annotations, *key);
  }
  if (path == "spec.nodeName") return pod.spec.node_name;
  if (path == "spec.serviceAccountName") return pod.spec.service_account_name;
  const std::string host_ip = pod.status.host_ip.empty() ? context.host_ip : pod.status.host_ip;
  if (path == "status.hostIP" || path == "status.hostIPs") return host_ip;
  // A host-network pod's IP is the node's, as its status reports.
  const std::vector<std::string> ips =
      context.pod_ips.empty() && pod.spec.host_network && !host_ip.empty()
          ? std::vector<std::string>{host_ip}
          : context.pod_ips;
  if (path == "status.podIP") return ips.empty() ? std::string() : ips.front();
  if (path == "status.podIPs") return absl::StrJoin(ips, ",");
  return absl::InvalidArgumentError(absl::StrCat("unsupported fieldPath: ", path));
}

absl::StatusOr<std::string> ExtractResourceValue(const ResourceFieldSelector& selector,
                                                 const Container& container,
                                                 const NodeAllocatable& node) {
  const std::string& resource = selector.resource;
  const bool limits = resource.rfind("limits.", 0) == 0;
  const bool requests = resource.rfind("requests.", 0) == 0;
  const std::string name = resource.substr(resource.find('.') + 1);
  if ((!limits && !requests) ||
      (name != "cpu" && name != "memory" && name != "ephemeral-storage")) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported container resource : ", resource));
  }
  const std::map<std::string, std::string>& list =
      limits ? container.resources.limits : container.resources.requests;
  const bool cpu = name == "cpu";
  int64_t value = 0;
  if (auto it = list.find(name); it != list.end()) {
    absl::StatusOr<int64_t> v = cpu ? ParseMilliValue(it->second) : ParseValue(it->second);
    if (!v.ok()) return v.status();
    value = *v;
  } else if (limits) {
    // MergeContainerResourceLimits: no limit means the node's allocatable.
    value = cpu ? node.milli_cpu : name == "memory" ? node.memory : node.ephemeral_storage;
  }
  int64_t divisor = cpu ? 1000 : 1;
  if (selector.divisor.has_value() && !selector.divisor->empty()) {
    absl::StatusOr<int64_t> d =
        cpu ? ParseMilliValue(*selector.divisor) : ParseValue(*selector.divisor);
    if (!d.ok()) return d.status();
    if (*d > 0) divisor = *d;
  }
  return absl::StrCat(CeilDiv(value, divisor));
}

const Container* FindContainer(const Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
    for (const Container& c : *list) {
      if (c.name == name) return &c;
    }
  }
  return nullptr;
}

}  // namespace cubelet::api
