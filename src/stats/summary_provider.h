// SummaryProvider: the kubelet's /stats/summary (the Summary of
// k8s.io/kubelet/pkg/apis/stats/v1alpha1, as JSON) from the cgroup
// filesystem, the runtime's filesystem figures (CRI ContainerStats and
// ImageFsInfo) and the pods the agent runs:
//   node               the root cgroup, the root dir's and image filesystems,
//                      the host's interfaces, pid limits; system containers
//                      "kubelet" (--kubelet-cgroups, else this process's
//                      cgroup), "runtime" (--runtime-cgroups), "misc"
//                      (--system-cgroups) and "pods" (--cgroup-root)
//   pods               each pod with a cgroup: its cgroup, its running
//                      containers' cgroups, writable layers and logs, its
//                      network namespace's interfaces, its volumes and its
//                      ephemeral storage
// CPU usage in nano-cores is the rate between two reads of a cgroup at
// least kMinRateInterval apart: the first read of a cgroup has none, a read
// sooner than that repeats the last rate.
//
// Ownership: borrows the runtime, image service and clock (they must outlive
// it). Thread-safety: Get may be called from any thread concurrently.
#ifndef CUBELET_STATS_SUMMARY_PROVIDER_H_
#define CUBELET_STATS_SUMMARY_PROVIDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "cri/runtime_service.h"
#include "nlohmann/json.hpp"
#include "stats/cgroup_stats.h"
#include "stats/fs_stats.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::stats {

struct SummaryOptions {
  std::string node_name;
  std::string root_dir = "/var/lib/cubelet";  // pods/<uid>/volumes; its filesystem is node.fs
  std::string pod_logs_dir = "/var/log/pods";
  std::string cgroup_root = "/cubelet";  // the pods' parent cgroup
  std::string kubelet_cgroups;           // empty: this process's own cgroup
  std::string runtime_cgroups;           // empty: no "runtime" system container
  std::string system_cgroups;            // empty: no "misc" system container
  uint64_t memory_capacity = 0;          // the node's memory, bytes
  absl::Time agent_start;                // the "kubelet" system container's start
  std::string cgroup_fs = "/sys/fs/cgroup";
  std::string proc = "/proc";
};

// The runtime's id in a status's containerID ("containerd://<id>").
std::string RuntimeContainerId(const std::string& status_id);

class SummaryProvider {
 public:
  using PodsFn = std::function<std::vector<api::Pod>()>;
  static constexpr absl::Duration kMinRateInterval = absl::Seconds(1);

  SummaryProvider(SummaryOptions options, PodsFn pods, cri::RuntimeService* runtime,
                  cri::ImageService* images, Clock* clock);

  SummaryProvider(const SummaryProvider&) = delete;
  SummaryProvider& operator=(const SummaryProvider&) = delete;

  // The summary; an error only when the node's own figures (the root cgroup)
  // cannot be read. A pod or container whose cgroup is gone is left out.
  absl::StatusOr<nlohmann::json> Get();

 private:
  struct RateState {
    uint64_t usage = 0;
    absl::Time at;
    std::optional<uint64_t> rate;
  };

  nlohmann::json Cpu(const std::string& key, const CgroupSample& s, absl::Time now);
  nlohmann::json Memory(const CgroupSample& s, std::optional<uint64_t> limit, absl::Time now) const;
  std::optional<uint64_t> NanoCores(const std::string& key, uint64_t usage, absl::Time now);
  nlohmann::json SystemContainer(const std::string& name, const CgroupPaths& paths,
                                 std::optional<absl::Time> start, std::optional<uint64_t> limit,
                                 absl::Time now);
  nlohmann::json PodStats(const api::Pod& pod, const nlohmann::json& image_fs,
                          const nlohmann::json& root_fs, const std::optional<FsInfo>& logs_fs,
                          absl::Time now);

  const SummaryOptions options_;
  const PodsFn pods_;
  cri::RuntimeService* const runtime_;
  cri::ImageService* const images_;
  Clock* const clock_;
  const CgroupFs cgroups_;

  Mutex mu_;
  absl::flat_hash_map<std::string, RateState> rates_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_SUMMARY_PROVIDER_H_
