// PrometheusWriter: builds one scrape in the Prometheus text format 0.0.4 as
// client_golang renders it: families in name order, each with its HELP and
// TYPE once, labels in name order, an optional timestamp in milliseconds.
// The kubelet's /metrics/resource and /metrics/cadvisor bodies are written
// with it (the agent's own /metrics has its registry, metrics/registry.h).
//
// Not thread-safe: one writer per scrape.
#ifndef CUBELET_STATS_PROMETHEUS_WRITER_H_
#define CUBELET_STATS_PROMETHEUS_WRITER_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace cubelet::stats {

struct MetricFamily {
  const char* name;
  const char* help;
  const char* type;  // "counter" or "gauge"
};

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusWriter {
 public:
  // Adds a sample of `family`; `labels` in any order (sorted here).
  void Add(const MetricFamily& family, Labels labels, double value,
           std::optional<absl::Time> timestamp = std::nullopt);

  // Only the families that have a sample.
  std::string Render() const;

 private:
  std::map<std::string, std::pair<const MetricFamily*, std::string>> families_;
};

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_PROMETHEUS_WRITER_H_
