#include "stats/resource_metrics.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "stats/prometheus_writer.h"

namespace cubelet::stats {
namespace {

using nlohmann::json;

constexpr MetricFamily kNodeCpu{"node_cpu_usage_seconds_total",
                                "[STABLE] Cumulative cpu time consumed by the node in core-seconds",
                                "counter"};
constexpr MetricFamily kNodeMemory{"node_memory_working_set_bytes",
                                   "[STABLE] Current working set of the node in bytes", "gauge"};
constexpr MetricFamily kContainerStart{
    "container_start_time_seconds",
    "[STABLE] Start time of the container since unix epoch in seconds", "gauge"};
constexpr MetricFamily kContainerCpu{
    "container_cpu_usage_seconds_total",
    "[STABLE] Cumulative cpu time consumed by the container in core-seconds", "counter"};
constexpr MetricFamily kContainerMemory{"container_memory_working_set_bytes",
                                        "[STABLE] Current working set of the container in bytes",
                                        "gauge"};
constexpr MetricFamily kPodCpu{"pod_cpu_usage_seconds_total",
                               "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
                               "counter"};
constexpr MetricFamily kPodMemory{"pod_memory_working_set_bytes",
                                  "[STABLE] Current working set of the pod in bytes", "gauge"};
constexpr MetricFamily kScrapeError{
    "resource_scrape_error",
    "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise", "gauge"};
constexpr MetricFamily kScrapeErrorAlpha{
    "scrape_error", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise",
    "gauge"};

// The summary's time of a figure, when it has one.
std::optional<absl::Time> At(const json& time) {
  absl::Time t;
  std::string err;
  if (time.is_string() && absl::ParseTime(absl::RFC3339_full, time.get<std::string>(), &t, &err)) {
    return t;
  }
  return std::nullopt;
}

bool Has(const json& j, const char* object, const char* field) {
  return j.contains(object) && j[object].is_object() && j[object].contains(field) &&
         j[object][field].is_number();
}

double Seconds(const json& nanos) { return nanos.get<double>() / 1e9; }

}  // namespace

std::string RenderResourceMetrics(const absl::StatusOr<json>& summary) {
  PrometheusWriter w;
  const double error = summary.ok() ? 0 : 1;
  w.Add(kScrapeError, {}, error);
  w.Add(kScrapeErrorAlpha, {}, error);
  if (!summary.ok()) return w.Render();
  const json& node = (*summary)["node"];
  if (Has(node, "cpu", "usageCoreNanoSeconds")) {
    w.Add(kNodeCpu, {}, Seconds(node["cpu"]["usageCoreNanoSeconds"]), At(node["cpu"]["time"]));
  }
  if (Has(node, "memory", "workingSetBytes")) {
    w.Add(kNodeMemory, {}, node["memory"]["workingSetBytes"].get<double>(),
          At(node["memory"]["time"]));
  }
  for (const json& pod : (*summary)["pods"]) {
    const std::string name = pod["podRef"].value("name", "");
    const std::string ns = pod["podRef"].value("namespace", "");
    for (const json& c : pod.value("containers", json::array())) {
      const std::string container = c.value("name", "");
      Labels labels = {{"container", container}, {"namespace", ns}, {"pod", name}};
      absl::Time start;
      std::string err;
      if (c.contains("startTime") &&
          absl::ParseTime(absl::RFC3339_full, c["startTime"].get<std::string>(), &start, &err) &&
          absl::ToUnixSeconds(start) > 0) {
        w.Add(kContainerStart, labels, absl::ToDoubleSeconds(start - absl::UnixEpoch()));
      }
      if (Has(c, "cpu", "usageCoreNanoSeconds")) {
        w.Add(kContainerCpu, labels, Seconds(c["cpu"]["usageCoreNanoSeconds"]),
              At(c["cpu"]["time"]));
      }
      if (Has(c, "memory", "workingSetBytes")) {
        w.Add(kContainerMemory, labels, c["memory"]["workingSetBytes"].get<double>(),
              At(c["memory"]["time"]));
      }
    }
    Labels labels = {{"namespace", ns}, {"pod", name}};
    if (Has(pod, "cpu", "usageCoreNanoSeconds")) {
      w.Add(kPodCpu, labels, Seconds(pod["cpu"]["usageCoreNanoSeconds"]), At(pod["cpu"]["time"]));
    }
    if (Has(pod, "memory", "workingSetBytes")) {
      w.Add(kPodMemory, labels, pod["memory"]["workingSetBytes"].get<double>(),
            At(pod["memory"]["time"]));
    }
  }
  return w.Render();
}

}  // namespace cubelet::stats
