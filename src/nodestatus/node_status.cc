#include "nodestatus/node_status.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/json.h"

namespace cubelet::nodestatus {
namespace {

using nlohmann::json;

struct ConditionSpec {
  const char* type;
  const char* reason;
  const char* message;
};

// The pressure conditions, in the kubelet's order; cubelet reports no
// pressure (it does no eviction).
constexpr ConditionSpec kPressure[] = {
    {"MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
    {"DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
    {"PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
};

const json* FindCondition(const json& status, const std::string& type) {
  if (!status.is_object()) return nullptr;
  auto it = status.find("conditions");
  if (it == status.end() || !it->is_array()) return nullptr;
  for (const json& c : *it) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

json Condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message, const std::string& now, const json& old_status) {
  std::string transition = now;
  if (const json* old = FindCondition(old_status, type);
      old != nullptr && old->value("status", "") == status && old->contains("lastTransitionTime")) {
    transition = (*old)["lastTransitionTime"].get<std::string>();
  }
  return json{{"type", type},
              {"status", status},
              {"lastHeartbeatTime", now},
              {"lastTransitionTime", transition},
              {"reason", reason},
              {"message", message}};
}

}  // namespace

std::string FormatBinaryQuantity(int64_t bytes) {
  static constexpr const char* kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  size_t i = 0;
  while (bytes != 0 && bytes % 1024 == 0 && i + 1 < std::size(kSuffixes)) {
    bytes /= 1024;
    ++i;
  }
  return absl::StrCat(bytes, kSuffixes[i]);
}

std::string ReadinessMessage(const absl::Status& readiness) {
  return std::string(readiness.message());
}

std::map<std::string, std::string> DefaultLabels(const NodeConfig& config,
                                                 const MachineInfo& machine) {
  return {
      {"kubernetes.io/hostname", config.name},
      {"kubernetes.io/os", machine.operating_system},
      {"kubernetes.io/arch", machine.architecture},
      {"beta.kubernetes.io/os", machine.operating_system},
      {"beta.kubernetes.io/arch", machine.architecture},
  };
}

json InitialNode(const NodeConfig& config, const MachineInfo& machine) {
  std::map<std::string, std::string> labels = DefaultLabels(config, machine);
  for (const auto& [k, v] : config.labels) labels[k] = v;
  return json{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata",
       {{"name", config.name},
        {"labels", labels},
        {"annotations", {{"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
      {"spec", json::object()},
  };
}

json BuildNodeStatus(const NodeConfig& config, const MachineInfo& machine, const NodeInputs& inputs,
                     absl::Time now, const json& old_status) {
  const std::string now_text = api::FormatApiTime(now);
  json resources = {
      {"cpu", absl::StrCat(machine.num_cores)},
      {"memory", FormatBinaryQuantity(machine.memory_capacity)},
      {"ephemeral-storage", FormatBinaryQuantity(machine.ephemeral_storage)},
      {"pods", absl::StrCat(config.max_pods)},
  };
  json capacity = resources, allocatable = resources;
  for (const auto& [name, counts] : inputs.extended_resources) {
    capacity[name] = absl::StrCat(counts.first);
    allocatable[name] = absl::StrCat(counts.second);
  }
  json conditions = json::array();
  for (const ConditionSpec& c : kPressure) {
    conditions.push_back(Condition(c.type, "False", c.reason, c.message, now_text, old_status));
  }
  if (inputs.readiness.ok()) {
    conditions.push_back(Condition("Ready", "True", "KubeletReady",
                                   "kubelet is posting ready status", now_text, old_status));
  } else {
    conditions.push_back(Condition("Ready", "False", "KubeletNotReady",
                                   ReadinessMessage(inputs.readiness), now_text, old_status));
  }
  json addresses = json::array();
  if (!config.node_ip.empty()) {
    addresses.push_back({{"type", "InternalIP"}, {"address", config.node_ip}});
  }
  addresses.push_back({{"type", "Hostname"},
                       {"address", machine.hostname.empty() ? config.name : machine.hostname}});
  std::string runtime = inputs.runtime_name.empty()
                            ? ""
                            : absl::StrCat(inputs.runtime_name, "://", inputs.runtime_version);
  return json{
      {"capacity", capacity},
      {"allocatable", allocatable},
      {"conditions", conditions},
      {"addresses", addresses},
      {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", config.kubelet_port}}}}},
      {"nodeInfo",
       {{"machineID", machine.machine_id},
        {"systemUUID", machine.system_uuid},
        {"bootID", machine.boot_id},
        {"kernelVersion", machine.kernel_version},
        {"osImage", machine.os_image},
        {"containerRuntimeVersion", runtime},
        {"kubeletVersion", kKubeletVersion},
        {"operatingSystem", machine.operating_system},
        {"architecture", machine.architecture}}},
  };
}

bool NodeStatusChanged(const json& a, const json& b) {
  auto strip = [](json s) {
    if (s.is_object() && s.contains("conditions") && s["conditions"].is_array()) {
      for (json& c : s["conditions"]) {
        if (c.is_object()) c.erase("lastHeartbeatTime");
      }
    }
    return s;
  };
  return strip(a) != strip(b);
}

}  // namespace cubelet::nodestatus
