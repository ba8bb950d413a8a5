#include "status/qos.h"

#include <map>
#include <set>

#include "api/quantity.h"

namespace cubelet::status {
namespace {

// Only cpu and memory decide the class; quantities compare as milli-units.
bool QosResource(const std::string& name) { return name == "cpu" || name == "memory"; }

int64_t Milli(const std::string& quantity) {
  absl::StatusOr<int64_t> v = api::ParseMilliValue(quantity);
  return v.ok() ? *v : 0;
}

// Adds the positive cpu/memory quantities of `list` to `sum`; returns which
// resources it held.
std::set<std::string> Accumulate(const std::map<std::string, std::string>& list,
                                 std::map<std::string, int64_t>& sum) {
  std::set<std::string> found;
  for (const auto& [name, quantity] : list) {
    if (!QosResource(name)) continue;
    int64_t v = Milli(quantity);
    if (v <= 0) continue;
    found.insert(name);
    sum[name] += v;
  }
  return found;
}

}  // namespace

std::string GetPodQOS(const api::Pod& pod) {
  std::map<std::string, int64_t> requests, limits;
  bool guaranteed = true;
  const std::set<std::string> both = {"cpu", "memory"};
  if (pod.spec.resources.has_value()) {
    Accumulate(pod.spec.resources->requests, requests);
    if (Accumulate(pod.spec.resources->limits, limits) != both) guaranteed = false;
  } else {
    for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
      for (const api::Container& c : *list) {
        Accumulate(c.resources.requests, requests);
        if (Accumulate(c.resources.limits, limits) != both) guaranteed = false;
      }
    }
  }
  if (requests.empty() && limits.empty()) return kQOSBestEffort;
  if (guaranteed) {
    for (const auto& [name, request] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second != request) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.size() == limits.size()) return kQOSGuaranteed;
  return kQOSBurstable;
}

}  // namespace cubelet::status
