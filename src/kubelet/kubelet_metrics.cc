#include "kubelet/kubelet_metrics.h"

#include <utility>
#include <vector>

namespace cubelet::kubelet {
namespace {

using Samples = std::vector<std::pair<std::vector<std::string>, double>>;

}  // namespace

KubeletMetrics KubeletMetrics::Register(metrics::Registry* registry, KubeletMetricSources sources) {
  KubeletMetrics m;
  // Buckets as upstream's (pkg/kubelet/metrics).
  m.pod_start_duration = registry->NewHistogram(
      "kubelet_pod_start_duration_seconds",
      "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to "
      "run",
      {0.5, 1,   2,   3,   4,   5,   6,   8,   10,   20,   30,   45,  60,
       120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600});
  m.pod_worker_duration = registry->NewHistogramVec(
      "kubelet_pod_worker_duration_seconds",
      "Duration in seconds to sync a single pod. Broken down by operation type: create, update, "
      "or sync",
      {"operation_type"}, metrics::ExponentialBuckets(0.005, 2, 10));
  m.relist_duration = registry->NewHistogram("kubelet_pleg_relist_duration_seconds",
                                             "Duration in seconds for relisting pods in PLEG.",
                                             metrics::ExponentialBuckets(0.005, 2, 10));
  m.relist_interval = registry->NewHistogram("kubelet_pleg_relist_interval_seconds",
                                             "Interval in seconds between relisting in PLEG.",
                                             metrics::ExponentialBuckets(0.005, 2, 10));
  m.running_pods =
      registry->NewGauge("kubelet_running_pods", "Number of pods that have a running pod sandbox");
  m.running_containers = registry->NewGaugeVec(
      "kubelet_running_containers", "Number of containers currently running", {"container_state"});
  m.housekeeping_runs = registry->NewCounter("cubelet_housekeeping_runs_total",
                                             "Housekeeping passes run by the sync loop");
  registry->NewGaugeFunc("kubelet_node_name", "The node's name. The count is always 1.", {"node"},
                         [node = sources.node_name] {
                           return Samples{{{node}, 1.0}};
                         });
  registry->NewGaugeFunc("kubelet_pleg_discard_events", "The number of discard events in PLEG.", {},
                         [fn = std::move(sources.pleg_discard_events)] {
                           return Samples{{{}, fn()}};
                         });
  registry->NewGaugeFunc("kubelet_desired_pods",
                         "The number of pods the kubelet is being instructed to run.", {"static"},
                         [fn = std::move(sources.desired_pods)] {
                           return Samples{{{"true"}, fn()}};
                         });
  registry->NewGaugeFunc(
      "kubelet_working_pods",
      "Number of pods the kubelet is actually running, broken down by lifecycle phase", {},
      [fn = std::move(sources.working_pods)] {
        return Samples{{{}, fn()}};
      });
  return m;
}

}  // namespace cubelet::kubelet
