// The kubelet's /metrics/resource (metrics-server's source, so `kubectl
// top`): CPU and working-set memory of the node, each pod and each container,
// and container start times, in the Prometheus text format, rendered from a
// Summary (SummaryProvider::Get). Names, help, stability prefixes and
// millisecond timestamps as upstream's resource metrics collector; a summary
// that could not be had gives only resource_scrape_error 1.
//
// Stateless; safe from any thread.
#ifndef CUBELET_STATS_RESOURCE_METRICS_H_
#define CUBELET_STATS_RESOURCE_METRICS_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cubelet::stats {

std::string RenderResourceMetrics(const absl::StatusOr<nlohmann::json>& summary);

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_RESOURCE_METRICS_H_
