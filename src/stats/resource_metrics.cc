#include "stats/resource_metrics.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "metrics/registry.h"

namespace cubelet::stats {
namespace {

using nlohmann::json;

struct Family {
  const char* name;
  const char* help;
  const char* type;
};

constexpr Family kNodeCpu{"node_cpu_usage_seconds_total",
                          "[STABLE] Cumulative cpu time consumed by the node in core-seconds",
                          "counter"};
constexpr Family kNodeMemory{"node_memory_working_set_bytes",
                             "[STABLE] Current working set of the node in bytes", "gauge"};
constexpr Family kContainerStart{"container_start_time_seconds",
                                 "[STABLE] Start time of the container since unix epoch in seconds",
                                 "gauge"};
constexpr Family kContainerCpu{
    "container_cpu_usage_seconds_total",
    "[STABLE] Cumulative cpu time consumed by the container in core-seconds", "counter"};
constexpr Family kContainerMemory{"container_memory_working_set_bytes",
                                  "[STABLE] Current working set of the container in bytes",
                                  "gauge"};
constexpr Family kPodCpu{"pod_cpu_usage_seconds_total",
                         "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
                         "counter"};
constexpr Family kPodMemory{"pod_memory_working_set_bytes",
                            "[STABLE] Current working set of the pod in bytes", "gauge"};
constexpr Family kScrapeError{
    "resource_scrape_error",
    "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise", "gauge"};
constexpr Family kScrapeErrorAlpha{
    "scrape_error", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise",
    "gauge"};

// Samples per family, rendered in name order as client_golang does.
class Writer {
 public:
  void Add(const Family& f, const std::vector<std::pair<const char*, std::string>>& labels,
           double value, const json* time = nullptr) {
    std::string& out = families_[f.name].second;
    families_[f.name].first = &f;
    out.append(f.name);
    if (!labels.empty()) {
      out.push_back('{');
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out.push_back(',');
        absl::StrAppend(&out, labels[i].first, "=\"", metrics::EscapeLabelValue(labels[i].second),
                        "\"");
      }
      out.push_back('}');
    }
    absl::StrAppend(&out, " ", metrics::FormatValue(value));
    absl::Time t;
    std::string err;
    if (time != nullptr && time->is_string() &&
        absl::ParseTime(absl::RFC3339_full, time->get<std::string>(), &t, &err)) {
      absl::StrAppend(&out, " ", absl::ToUnixMillis(t));
    }
    out.push_back('\n');
  }

  std::string Render() const {
    std::string out;
    for (const auto& [name, family] : families_) {
      absl::StrAppend(&out, "# HELP ", name, " ", family.first->help, "\n# TYPE ", name, " ",
                      family.first->type, "\n", family.second);
    }
    return out;
  }

 private:
  std::map<std::string, std::pair<const Family*, std::string>> families_;
};

bool Has(const json& j, const char* object, const char* field) {
  return j.contains(object) && j[object].is_object() && j[object].contains(field) &&
         j[object][field].is_number();
}

double Seconds(const json& nanos) { return nanos.get<double>() / 1e9; }

}  // namespace

std::string RenderResourceMetrics(const absl::StatusOr<json>& summary) {
  Writer w;
  const double error = summary.ok() ? 0 : 1;
  w.Add(kScrapeError, {}, error);
  w.Add(kScrapeErrorAlpha, {}, error);
  if (!summary.ok()) return w.Render();
  const json& node = (*summary)["node"];
  if (Has(node, "cpu", "usageCoreNanoSeconds")) {
    w.Add(kNodeCpu, {}, Seconds(node["cpu"]["usageCoreNanoSeconds"]), &node["cpu"]["time"]);
  }
  if (Has(node, "memory", "workingSetBytes")) {
    w.Add(kNodeMemory, {}, node["memory"]["workingSetBytes"].get<double>(),
          &node["memory"]["time"]);
  }
  for (const json& pod : (*summary)["pods"]) {
    const std::string name = pod["podRef"].value("name", "");
    const std::string ns = pod["podRef"].value("namespace", "");
    for (const json& c : pod.value("containers", json::array())) {
      const std::string container = c.value("name", "");
      std::vector<std::pair<const char*, std::string>> labels = {
          {"container", container}, {"namespace", ns}, {"pod", name}};
      absl::Time start;
      std::string err;
      if (c.contains("startTime") &&
          absl::ParseTime(absl::RFC3339_full, c["startTime"].get<std::string>(), &start, &err) &&
          absl::ToUnixSeconds(start) > 0) {
        w.Add(kContainerStart, labels, absl::ToDoubleSeconds(start - absl::UnixEpoch()));
      }
      if (Has(c, "cpu", "usageCoreNanoSeconds")) {
        w.Add(kContainerCpu, labels, Seconds(c["cpu"]["usageCoreNanoSeconds"]), &c["cpu"]["time"]);
      }
      if (Has(c, "memory", "workingSetBytes")) {
        w.Add(kContainerMemory, labels, c["memory"]["workingSetBytes"].get<double>(),
              &c["memory"]["time"]);
      }
    }
    std::vector<std::pair<const char*, std::string>> labels = {{"namespace", ns}, {"pod", name}};
    if (Has(pod, "cpu", "usageCoreNanoSeconds")) {
      w.Add(kPodCpu, labels, Seconds(pod["cpu"]["usageCoreNanoSeconds"]), &pod["cpu"]["time"]);
    }
    if (Has(pod, "memory", "workingSetBytes")) {
      w.Add(kPodMemory, labels, pod["memory"]["workingSetBytes"].get<double>(),
            &pod["memory"]["time"]);
    }
  }
  return w.Render();
}

}  // namespace cubelet::stats
