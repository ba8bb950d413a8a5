#include "lifecycle/predicate.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/quantity.h"
#include "lifecycle/security_admission.h"

namespace cubelet::lifecycle {
namespace {

constexpr char kLabelHostname[] = "kubernetes.io/hostname";
constexpr char kLabelOS[] = "kubernetes.io/os";
constexpr char kLabelArch[] = "kubernetes.io/arch";
constexpr char kNodeOS[] = "linux";

AdmitResult Reject(std::string reason, std::string message) {
  return AdmitResult{.admit = false, .reason = std::move(reason), .message = std::move(message)};
}

AdmitResult PredicateFailure(const std::string& name, const std::string& desc) {
  return Reject(name, absl::StrCat("Predicate ", name, " failed: ", desc));
}

AdmitResult Insufficient(const std::string& resource, int64_t requested, int64_t used,
                         int64_t capacity) {
  return Reject(absl::StrCat("OutOf", resource),
                absl::StrCat("Node didn't have enough resource: ", resource, ", requested: ",
                             requested, ", used: ", used, ", capacity: ", capacity));
}

// A request, or the limit when no request is given; 0 when neither parses.
int64_t Request(const api::ResourceRequirements& r, const std::string& name, bool milli) {
  const std::string* value = nullptr;
  if (auto it = r.requests.find(name); it != r.requests.end()) {
    value = &it->second;
  } else if (auto lim = r.limits.find(name); lim != r.limits.end()) {
    value = &lim->second;
  }
  if (value == nullptr) return 0;
  absl::StatusOr<int64_t> v = milli ? api::ParseMilliValue(*value) : api::ParseValue(*value);
  return v.ok() ? *v : 0;
}

bool MatchRequirement(const api::NodeSelectorRequirement& req,
                      const std::map<std::string, std::string>& labels) {
  auto it = labels.find(req.key);
  const bool has = it != labels.end();
  const auto in_values = [&] {
    return has && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
  };
  if (req.operator_ == "In") return in_values();
  if (req.operator_ == "NotIn") return !in_values();
  if (req.operator_ == "Exists") return has;
  if (req.operator_ == "DoesNotExist") return !has;
  if (req.operator_ == "Gt" || req.operator_ == "Lt") {
    int64_t label = 0, bound = 0;
    if (!has || req.values.size() != 1 || !absl::SimpleAtoi(it->second, &label) ||
        !absl::SimpleAtoi(req.values[0], &bound)) {
      return false;
    }
    return req.operator_ == "Gt" ? label > bound : label < bound;
  }
  return false;
}

// A term matches when every expression and field requirement does; an empty
// term matches nothing (upstream nodeaffinity).
bool MatchTerm(const api::NodeSelectorTerm& term, const NodeInfo& node) {
  if (term.match_expressions.empty() && term.match_fields.empty()) return false;
  for (const api::NodeSelectorRequirement& r : term.match_expressions) {
    if (!MatchRequirement(r, node.labels)) return false;
  }
  const std::map<std::string, std::string> fields = {{"metadata.name", node.name}};
  for (const api::NodeSelectorRequirement& r : term.match_fields) {
    if (!MatchRequirement(r, fields)) return false;
  }
  return true;
}

struct HostPort {
  std::string ip;
  std::string protocol;
  int32_t port;
  bool operator<(const HostPort& o) const {
    return std::tie(ip, protocol, port) < std::tie(o.ip, o.protocol, o.port);
  }
};

std::vector<HostPort> HostPorts(const api::Pod& pod) {
  std::vector<HostPort> out;
  for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const api::Container& c : *list) {
      for (const api::ContainerPort& p : c.ports) {
        if (p.host_port <= 0) continue;
        out.push_back({p.host_ip.empty() ? "0.0.0.0" : p.host_ip,
                       p.protocol.empty() ? "TCP" : p.protocol, p.host_port});
      }
    }
  }
  return out;
}

// Two host ports clash on the same protocol and port when either binds every
// address or both bind the same one.
bool PortsClash(const HostPort& a, const HostPort& b) {
  if (a.port != b.port || a.protocol != b.protocol) return false;
  return a.ip == "0.0.0.0" || b.ip == "0.0.0.0" || a.ip == b.ip;
}

int64_t ReadMemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") return kb * 1024;
    in.ignore(256, '\n');
  }
  return 0;
}

}  // namespace

std::string GoArch() {
  struct utsname u {};
  if (uname(&u) != 0) return "amd64";
  const std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "armv7l" || m == "armv6l") return "arm";
  if (m == "i686" || m == "i386") return "386";
  return m;  // ppc64le, s390x, riscv64 are the same in Go
}

NodeInfo LocalNodeInfo(const std::string& node_name) {
  NodeInfo node;
  node.name = node_name;
  const std::string arch = GoArch();
  node.labels = {{kLabelHostname, node_name},
                 {kLabelOS, kNodeOS},
                 {kLabelArch, arch},
                 {"beta.kubernetes.io/os", kNodeOS},
                 {"beta.kubernetes.io/arch", arch}};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  node.allocatable_milli_cpu = (cpus > 0 ? cpus : 1) * 1000;
  node.allocatable_memory = ReadMemTotal();
  node.app_armor_enabled = HostAppArmorEnabled();
  return node;
}

PodRequests ComputePodRequests(const api::Pod& pod) {
  PodRequests out;
  if (pod.spec.resources.has_value() &&
      (!pod.spec.resources->requests.empty() || !pod.spec.resources->limits.empty())) {
    out.milli_cpu = Request(*pod.spec.resources, "cpu", true);
    out.memory = Request(*pod.spec.resources, "memory", false);
    return out;
  }
  PodRequests sidecars;
  PodRequests init_peak;
  for (const api::Container& c : pod.spec.init_containers) {
    int64_t cpu = Request(c.resources, "cpu", true);
    int64_t mem = Request(c.resources, "memory", false);
    if (api::IsRestartableInitContainer(c)) {
      // A sidecar keeps running beside everything started after it.
      sidecars.milli_cpu += cpu;
      sidecars.memory += mem;
      init_peak.milli_cpu = std::max(init_peak.milli_cpu, sidecars.milli_cpu);
      init_peak.memory = std::max(init_peak.memory, sidecars.memory);
    } else {
      init_peak.milli_cpu = std::max(init_peak.milli_cpu, sidecars.milli_cpu + cpu);
      init_peak.memory = std::max(init_peak.memory, sidecars.memory + mem);
    }
  }
  for (const api::Container& c : pod.spec.containers) {
    out.milli_cpu += Request(c.resources, "cpu", true);
    out.memory += Request(c.resources, "memory", false);
  }
  out.milli_cpu = std::max(out.milli_cpu + sidecars.milli_cpu, init_peak.milli_cpu);
  out.memory = std::max(out.memory + sidecars.memory, init_peak.memory);
  return out;
}

bool MatchesNodeSelectorAndAffinity(const api::Pod& pod, const NodeInfo& node) {
  for (const auto& [key, value] : pod.spec.node_selector) {
    auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value) return false;
  }
  if (!pod.spec.affinity.has_value() || !pod.spec.affinity->node_affinity.has_value() ||
      !pod.spec.affinity->node_affinity->required_terms.has_value()) {
    return true;
  }
  const std::vector<api::NodeSelectorTerm>& terms =
      *pod.spec.affinity->node_affinity->required_terms;
  return std::any_of(terms.begin(), terms.end(),
                     [&](const api::NodeSelectorTerm& t) { return MatchTerm(t, node); });
}

AdmitResult Admit(const api::Pod& pod, const std::vector<api::PodPtr>& other_pods,
                  const NodeInfo& node) {
  // A pod that asks for what cubelet does not implement never starts, and
  // says why (the kubelet has no such check: it implements everything).
  if (!pod.unsupported.empty()) {
    return Reject("UnsupportedPodSpec",
                  absl::StrCat("cubelet does not implement ", pod.unsupported));
  }
  if (std::optional<std::string> forbidden = ForbiddenSysctl(pod, node.allowed_unsafe_sysctls)) {
    return Reject("SysctlForbidden", *std::move(forbidden));
  }
  // Checks that no preemption could help come first.
  if (auto it = pod.metadata.labels.find(kLabelOS); it != pod.metadata.labels.end()) {
    auto node_os = node.labels.find(kLabelOS);
    const std::string os = node_os == node.labels.end() ? kNodeOS : node_os->second;
    if (it->second != os) {
      return Reject("PodOSSelectorNodeLabelDoesNotMatch",
                    "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
    }
  }
  if (pod.spec.os.has_value() && pod.spec.os->name != kNodeOS) {
    return Reject("PodOSNotSupported", "Failed to admit pod as the OS field doesn't match node OS");
  }

  // The scheduler's AdmissionCheck: resources, node affinity, node name,
  // host ports.
  const int64_t used_pods = static_cast<int64_t>(other_pods.size());
  if (used_pods + 1 > node.allocatable_pods) {
    return Insufficient("pods", 1, used_pods, node.allocatable_pods);
  }
  PodRequests want = ComputePodRequests(pod);
  if (want.milli_cpu > 0 || want.memory > 0) {
    PodRequests used;
    for (const api::PodPtr& other : other_pods) {
      PodRequests r = ComputePodRequests(*other);
      used.milli_cpu += r.milli_cpu;
      used.memory += r.memory;
    }
    if (want.milli_cpu > 0 && node.allocatable_milli_cpu < want.milli_cpu + used.milli_cpu) {
      return Insufficient("cpu", want.milli_cpu, used.milli_cpu, node.allocatable_milli_cpu);
    }
    if (want.memory > 0 && node.allocatable_memory < want.memory + used.memory) {
      return Insufficient("memory", want.memory, used.memory, node.allocatable_memory);
    }
  }
  if (!MatchesNodeSelectorAndAffinity(pod, node)) {
    return PredicateFailure("NodeAffinity", "node(s) didn't match Pod's node affinity/selector");
  }
  if (!pod.spec.node_name.empty() && pod.spec.node_name != node.name) {
    return PredicateFailure("NodeName", "node(s) didn't match the requested node name");
  }
  std::vector<HostPort> wanted = HostPorts(pod);
  if (!wanted.empty()) {
    for (const api::PodPtr& other : other_pods) {
      for (const HostPort& taken : HostPorts(*other)) {
        for (const HostPort& want_port : wanted) {
          if (PortsClash(taken, want_port)) {
            return PredicateFailure("NodePorts",
                                    "node(s) didn't have free ports for the requested pod ports");
          }
        }
      }
    }
  }
  if (!node.app_armor_enabled && RequiresAppArmor(pod)) {
    return Reject("AppArmor", "Cannot enforce AppArmor: AppArmor is not enabled on the host");
  }
  return AdmitResult{};
}

}  // namespace cubelet::lifecycle
