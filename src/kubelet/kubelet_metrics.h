// KubeletMetrics: the kubelet's own metrics (upstream pkg/kubelet/metrics,
// same names, help texts and buckets), registered once per Kubelet. The
// gauges that are computed when /metrics is scraped read the agent's state
// through the callbacks in KubeletMetricSources.
//
// Ownership: the registry owns every metric; the pointers stay valid as long
// as it lives. The callbacks must stay callable as long as the registry may
// render (the Kubelet outlives its scrapes).
// Thread-safety: the metrics are safe from any thread; callbacks run on the
// scraping thread.
#ifndef CUBELET_KUBELET_KUBELET_METRICS_H_
#define CUBELET_KUBELET_KUBELET_METRICS_H_

#include <functional>
#include <string>

#include "metrics/registry.h"

namespace cubelet::kubelet {

struct KubeletMetricSources {
  std::string node_name;
  std::function<double()> pleg_discard_events;  // events the PLEG channel dropped
  std::function<double()> desired_pods;         // pods the sources ask for
  std::function<double()> working_pods;         // pods with a worker
};

struct KubeletMetrics {
  metrics::Histogram* pod_start_duration = nullptr;
  metrics::HistogramVec* pod_worker_duration = nullptr;
  metrics::Histogram* relist_duration = nullptr;
  metrics::Histogram* relist_interval = nullptr;
  metrics::Gauge* running_pods = nullptr;
  metrics::GaugeVec* running_containers = nullptr;
  metrics::Counter* housekeeping_runs = nullptr;

  static KubeletMetrics Register(metrics::Registry* registry, KubeletMetricSources sources);
};

}  // namespace cubelet::kubelet

#endif  // CUBELET_KUBELET_KUBELET_METRICS_H_
