// CadvisorMetrics: the kubelet's /metrics/cadvisor, the per-cgroup figures
// its embedded cAdvisor exports (the metric sets the kubelet enables: CPU,
// memory, disk I/O, disk usage, network, processes, OOM events, PSI) and its
// machine metrics, read from the cgroup filesystem and /proc when scraped.
// Names, help, types, labels and timestamps as cAdvisor's Prometheus
// collector; every series carries the kubelet's six labels (container, id,
// image, name, namespace, pod), empty where they do not apply. Series:
//   "/"                          the root cgroup, the node's filesystems
//                                (usage, inodes, /proc/diskstats) and the
//                                host's interfaces
//   system containers            --kubelet-cgroups (else this process's
//                                cgroup), --runtime-cgroups,
//                                --system-cgroups, --cgroup-root
//   each pod with a cgroup       namespace and pod set, container empty; the
//                                pod network namespace's interfaces
//   each running container       container, image and name (the runtime's
//                                id) set; its writable layer as
//                                container_fs_usage_bytes
// Only a cgroup's own processes count in container_processes (cAdvisor's
// rule), so a pod's series has none: its containers have them.
//
// Ownership: borrows the runtime, image service and clock (they must outlive
// it). Thread-safety: Render may be called from any thread concurrently.
#ifndef CUBELET_STATS_CADVISOR_METRICS_H_
#define CUBELET_STATS_CADVISOR_METRICS_H_

#include <string>

#include "cri/runtime_service.h"
#include "stats/cgroup_stats.h"
#include "stats/prometheus_writer.h"
#include "stats/summary_provider.h"
#include "util/clock.h"

namespace cubelet::stats {

class CadvisorMetrics {
 public:
  CadvisorMetrics(SummaryOptions options, SummaryProvider::PodsFn pods,
                  cri::RuntimeService* runtime, cri::ImageService* images, Clock* clock);
  CadvisorMetrics(const CadvisorMetrics&) = delete;
  CadvisorMetrics& operator=(const CadvisorMetrics&) = delete;

  // One scrape. A cgroup that cannot be read is left out; the root's
  // failure sets container_scrape_error to 1.
  std::string Render() const;

 private:
  struct Series;
  struct Scrape;
  // False when the cgroup could not be read (nothing added).
  bool AddCgroup(const Series& series, const Scrape& scrape, PrometheusWriter* w) const;
  void AddMachine(PrometheusWriter* w) const;

  const SummaryOptions options_;
  const SummaryProvider::PodsFn pods_;
  cri::RuntimeService* const runtime_;
  cri::ImageService* const images_;
  Clock* const clock_;
  const CgroupFs cgroups_;
};

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_CADVISOR_METRICS_H_
