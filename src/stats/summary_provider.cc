#include "stats/summary_provider.h"

#include <sys/sysinfo.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/json.h"
#include "api/quantity.h"
#include "kuberuntime/pod_cgroup.h"
#include "logs/container_logs.h"
#include "stats/fs_stats.h"
#include "stats/net_stats.h"
#include "util/log.h"

namespace cubelet::stats {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Rates of cgroups not read for this long are forgotten (containers gone).
constexpr absl::Duration kForgetRateAfter = absl::Minutes(10);

std::string Time(absl::Time t) { return api::FormatApiTime(t); }

json PsiJson(const Psi& p) {
  auto data = [](const PsiData& d) {
    return json{{"total", d.total}, {"avg10", d.avg10}, {"avg60", d.avg60}, {"avg300", d.avg300}};
  };
  return json{{"full", data(p.full)}, {"some", data(p.some)}};
}

json FsJson(const FsInfo& info, uint64_t used, std::optional<uint64_t> inodes_used,
            absl::Time now) {
  json j{{"time", Time(now)}, {"availableBytes", info.available}, {"capacityBytes", info.capacity},
         {"usedBytes", used}, {"inodesFree", info.inodes_free},   {"inodes", info.inodes}};
  if (inodes_used) j["inodesUsed"] = *inodes_used;
  return j;
}

json Interface(const InterfaceStats& s) {
  return json{{"name", s.name},
              {"rxBytes", s.rx_bytes},
              {"rxErrors", s.rx_errors},
              {"txBytes", s.tx_bytes},
              {"txErrors", s.tx_errors}};
}

// The kubelet's NetworkStats: the default interface inline, every interface
// in "interfaces".
json NetworkJson(const std::vector<InterfaceStats>& interfaces, absl::Time now) {
  json j{{"time", Time(now)}, {"name", ""}};
  json all = json::array();
  for (const InterfaceStats& s : interfaces) {
    all.push_back(Interface(s));
    if (s.name == kDefaultInterface) j.update(Interface(s));
  }
  j["interfaces"] = std::move(all);
  return j;
}

absl::Time BootTime(const std::string& proc, absl::Time now) {
  std::ifstream in(proc + "/uptime");
  double uptime = 0;
  if (in >> uptime) return now - absl::Seconds(uptime);
  return now;
}

// The pod cgroup's memory limit as the kubelet would have set it: the sum of
// the containers' limits when every one has a limit.
std::optional<uint64_t> PodMemoryLimit(const api::Pod& pod) {
  uint64_t sum = 0;
  for (const api::Container& c : pod.spec.containers) {
    auto it = c.resources.limits.find("memory");
    if (it == c.resources.limits.end()) return std::nullopt;
    absl::StatusOr<int64_t> v = api::ParseValue(it->second);
    if (!v.ok() || *v <= 0) return std::nullopt;
    sum += static_cast<uint64_t>(*v);
  }
  if (pod.spec.containers.empty()) return std::nullopt;
  return sum;
}

}  // namespace

std::string RuntimeContainerId(const std::string& status_id) {
  absl::string_view id = status_id;
  if (size_t p = id.find("://"); p != absl::string_view::npos) id.remove_prefix(p + 3);
  return std::string(id);
}

SummaryProvider::SummaryProvider(SummaryOptions options, PodsFn pods, cri::RuntimeService* runtime,
                                 cri::ImageService* images, Clock* clock)
    : options_(std::move(options)),
      pods_(std::move(pods)),
      runtime_(runtime),
      images_(images),
      clock_(clock),
      cgroups_(options_.cgroup_fs, options_.proc) {}

std::optional<uint64_t> SummaryProvider::NanoCores(const std::string& key, uint64_t usage,
                                                   absl::Time now) {
  MutexLock l(&mu_);
  auto [it, fresh] = rates_.try_emplace(key);
  RateState& r = it->second;
  if (fresh || usage < r.usage) {  // first read, or a new cgroup under the same name
    r = RateState{.usage = usage, .at = now, .rate = std::nullopt};
    return std::nullopt;
  }
  if (now - r.at < kMinRateInterval) return r.rate;
  const double seconds = absl::ToDoubleSeconds(now - r.at);
  r.rate = static_cast<uint64_t>(static_cast<double>(usage - r.usage) / seconds);
  r.usage = usage;
  r.at = now;
  return r.rate;
}

json SummaryProvider::Cpu(const std::string& key, const CgroupSample& s, absl::Time now) {
  json j{{"time", Time(now)}};
  if (s.cpu_usage_ns) {
    j["usageCoreNanoSeconds"] = *s.cpu_usage_ns;
    if (std::optional<uint64_t> rate = NanoCores(key, *s.cpu_usage_ns, now)) {
      j["usageNanoCores"] = *rate;
    }
  }
  if (s.cpu_psi) j["psi"] = PsiJson(*s.cpu_psi);
  return j;
}

json SummaryProvider::Memory(const CgroupSample& s, std::optional<uint64_t> limit,
                             absl::Time now) const {
  json j{{"time", Time(now)}};
  if (s.memory_limit) limit = s.memory_limit;
  if (limit && s.working_set) {
    j["availableBytes"] = *limit > *s.working_set ? *limit - *s.working_set : 0;
  }
  if (s.memory_usage) j["usageBytes"] = *s.memory_usage;
  if (s.working_set) j["workingSetBytes"] = *s.working_set;
  if (s.rss) j["rssBytes"] = *s.rss;
  if (s.page_faults) j["pageFaults"] = *s.page_faults;
  if (s.major_page_faults) j["majorPageFaults"] = *s.major_page_faults;
  if (s.memory_psi) j["psi"] = PsiJson(*s.memory_psi);
  return j;
}

json SummaryProvider::SystemContainer(const std::string& name, const CgroupPaths& paths,
                                      std::optional<absl::Time> start,
                                      std::optional<uint64_t> limit, absl::Time now) {
  absl::StatusOr<CgroupSample> s = cgroups_.Read(paths);
  if (!s.ok()) {
    VLOG(2) << "stats: system container " << name << ": " << s.status();
    return nullptr;
  }
  json j{{"name", name},
         {"startTime", Time(start.value_or(s->created.value_or(now)))},
         {"cpu", Cpu("system/" + name, *s, now)},
         {"memory", Memory(*s, limit, now)}};
  if (s->io_psi) j["io"] = json{{"time", Time(now)}, {"psi", PsiJson(*s->io_psi)}};
  return j;
}

absl::StatusOr<json> SummaryProvider::Get() {
  const absl::Time now = clock_->Now();
  absl::StatusOr<CgroupSample> root = cgroups_.Read(NamedCgroup("/"));
  if (!root.ok()) return root.status();

  json node{{"nodeName", options_.node_name},
            {"startTime", Time(BootTime(options_.proc, now))},
            {"cpu", Cpu("node", *root, now)}};
  // The root cgroup has no limit: the machine's memory is.
  std::optional<uint64_t> capacity;
  if (options_.memory_capacity > 0) capacity = options_.memory_capacity;
  node["memory"] = Memory(*root, capacity, now);
  if (root->io_psi) node["io"] = json{{"time", Time(now)}, {"psi", PsiJson(*root->io_psi)}};
  if (absl::StatusOr<std::vector<InterfaceStats>> net = ReadNetDev(getpid(), options_.proc);
      net.ok()) {
    node["network"] = NetworkJson(*net, now);
  }
  json root_fs = nullptr;
  if (absl::StatusOr<FsInfo> info = StatFs(options_.root_dir); info.ok()) {
    root_fs = FsJson(*info, info->used, info->inodes - info->inodes_free, now);
    node["fs"] = root_fs;
  } else {
    VLOG(2) << "stats: " << info.status();
  }
  // The image filesystem as the runtime reports it; its size from statvfs.
  json image_fs = nullptr;
  if (images_ != nullptr) {
    absl::StatusOr<cri::ImageFsInfo> info = images_->GetImageFsInfo();
    if (info.ok() && !info->image_filesystems.empty()) {
      const cri::FilesystemUsage& u = info->image_filesystems.front();
      absl::StatusOr<FsInfo> fs_info =
          StatFs(u.mountpoint.empty() ? options_.root_dir : u.mountpoint);
      if (fs_info.ok()) {
        image_fs = FsJson(*fs_info, u.used_bytes.value_or(fs_info->used), u.inodes_used, now);
      }
    } else if (!info.ok()) {
      VLOG(2) << "stats: ImageFsInfo: " << info.status();
    }
  }
  if (!image_fs.is_null()) node["runtime"] = json{{"imageFs", image_fs}, {"containerFs", image_fs}};
  struct sysinfo si;
  json rlimit{{"time", Time(now)}};
  if (std::optional<uint64_t> max = ReadUintFile(options_.proc + "/sys/kernel/pid_max")) {
    rlimit["maxpid"] = *max;
  }
  if (sysinfo(&si) == 0) rlimit["curproc"] = si.procs;
  node["rlimit"] = std::move(rlimit);

  json system = json::array();
  auto add = [&](json c) {
    if (!c.is_null()) system.push_back(std::move(c));
  };
  if (options_.kubelet_cgroups.empty()) {
    if (absl::StatusOr<CgroupPaths> own = ProcessCgroup(getpid(), options_.proc); own.ok()) {
      add(SystemContainer("kubelet", *own, options_.agent_start, std::nullopt, now));
    }
  } else {
    add(SystemContainer("kubelet", NamedCgroup(options_.kubelet_cgroups), options_.agent_start,
                        std::nullopt, now));
  }
  if (!options_.runtime_cgroups.empty()) {
    add(SystemContainer("runtime", NamedCgroup(options_.runtime_cgroups), std::nullopt,
                        std::nullopt, now));
  }
  if (!options_.system_cgroups.empty()) {
    add(SystemContainer("misc", NamedCgroup(options_.system_cgroups), std::nullopt, std::nullopt,
                        now));
  }
  // The pods' cgroup is bounded by the node's allocatable memory.
  add(SystemContainer("pods", NamedCgroup(options_.cgroup_root), std::nullopt, capacity, now));
  node["systemContainers"] = std::move(system);

  // The filesystem of every container's logs, once for all pods.
  std::optional<FsInfo> logs_fs;
  if (absl::StatusOr<FsInfo> info = StatFs(options_.pod_logs_dir); info.ok()) logs_fs = *info;
  json pods = json::array();
  for (const api::Pod& pod : pods_()) {
    json p = PodStats(pod, image_fs, root_fs, logs_fs, now);
    if (!p.is_null()) pods.push_back(std::move(p));
  }
  {
    MutexLock l(&mu_);
    absl::erase_if(rates_, [&](const auto& kv) { return now - kv.second.at > kForgetRateAfter; });
  }
  return json{{"node", std::move(node)}, {"pods", std::move(pods)}};
}

json SummaryProvider::PodStats(const api::Pod& pod, const json& image_fs, const json& root_fs,
                               const std::optional<FsInfo>& logs_fs, absl::Time now) {
  const std::string& uid = pod.metadata.uid;
  const std::string pod_cgroup = kuberuntime::PodCgroupParent(options_.cgroup_root, uid);
  absl::StatusOr<CgroupSample> s = cgroups_.Read(NamedCgroup(pod_cgroup));
  if (!s.ok()) return nullptr;  // not running (or not yet)

  json p{{"podRef",
          {{"name", pod.metadata.name}, {"namespace", pod.metadata.namespace_}, {"uid", uid}}},
         {"startTime", Time(pod.status.start_time.value_or(s->created.value_or(now)))},
         {"cpu", Cpu("pod/" + uid, *s, now)},
         {"memory", Memory(*s, PodMemoryLimit(pod), now)}};
  if (s->io_psi) p["io"] = json{{"time", Time(now)}, {"psi", PsiJson(*s->io_psi)}};

  uint64_t ephemeral_bytes = 0, ephemeral_inodes = 0;

  json containers = json::array();
  for (const api::ContainerStatus& cs : pod.status.container_statuses) {
    if (!cs.state.running || cs.container_id.empty()) continue;
    const std::string id = RuntimeContainerId(cs.container_id);
    absl::StatusOr<CgroupSample> c = cgroups_.Read(NamedCgroup(pod_cgroup + "/" + id));
    if (!c.ok()) continue;
    std::optional<uint64_t> limit;
    for (const api::Container& spec : pod.spec.containers) {
      if (spec.name != cs.name) continue;
      if (auto it = spec.resources.limits.find("memory"); it != spec.resources.limits.end()) {
        if (absl::StatusOr<int64_t> v = api::ParseValue(it->second); v.ok() && *v > 0) limit = *v;
      }
    }
    json cj{{"name", cs.name},
            {"startTime", Time(cs.state.running->started_at.value_or(c->created.value_or(now)))},
            {"cpu", Cpu("container/" + id, *c, now)},
            {"memory", Memory(*c, limit, now)}};
    if (c->io_psi) cj["io"] = json{{"time", Time(now)}, {"psi", PsiJson(*c->io_psi)}};
    if (!image_fs.is_null()) {
      if (absl::StatusOr<cri::FilesystemUsage> layer = runtime_->GetContainerWritableLayer(id);
          layer.ok() && layer->used_bytes) {
        json rootfs = image_fs;
        rootfs["time"] = Time(now);
        rootfs["usedBytes"] = *layer->used_bytes;
        if (layer->inodes_used) {
          rootfs["inodesUsed"] = *layer->inodes_used;
        } else {
          rootfs.erase("inodesUsed");
        }
        ephemeral_bytes += *layer->used_bytes;
        ephemeral_inodes += layer->inodes_used.value_or(0);
        cj["rootfs"] = std::move(rootfs);
      }
    }
    if (logs_fs) {
      const DiskUsage du =
          MeasureDiskUsage(logs::ContainerLogDir(options_.pod_logs_dir, pod, cs.name));
      cj["logs"] = FsJson(*logs_fs, du.bytes, du.inodes, now);
      ephemeral_bytes += du.bytes;
      ephemeral_inodes += du.inodes;
    }
    containers.push_back(std::move(cj));
  }
  p["containers"] = std::move(containers);

  // The pod's network namespace, through any of its processes.
  if (std::vector<int> pids = cgroups_.Processes(NamedCgroup(pod_cgroup), true); !pids.empty()) {
    if (absl::StatusOr<std::vector<InterfaceStats>> net = ReadNetDev(pids[0], options_.proc);
        net.ok()) {
      p["network"] = NetworkJson(*net, now);
    }
  }

  // Volumes with a directory of their own under the pod (not host paths).
  json volumes = json::array();
  const fs::path volumes_dir = fs::path(options_.root_dir) / "pods" / uid / "volumes";
  for (const api::Volume& v : pod.spec.volumes) {
    if (v.host_path) continue;
    std::error_code ec;
    for (const auto& plugin : fs::directory_iterator(volumes_dir, ec)) {
      const fs::path dir = plugin.path() / v.name;
      if (!fs::is_directory(dir, ec)) continue;
      absl::StatusOr<FsInfo> info = StatFs(dir.string());
      if (!info.ok()) break;
      const DiskUsage du = MeasureDiskUsage(dir.string());
      json vj = FsJson(*info, du.bytes, du.inodes, now);
      vj["name"] = v.name;
      volumes.push_back(std::move(vj));
      ephemeral_bytes += du.bytes;
      ephemeral_inodes += du.inodes;
      break;
    }
  }
  if (!volumes.empty()) p["volume"] = std::move(volumes);

  if (!root_fs.is_null()) {
    json eph = root_fs;
    eph["usedBytes"] = ephemeral_bytes;
    eph["inodesUsed"] = ephemeral_inodes;
    p["ephemeral-storage"] = std::move(eph);
  }
  std::optional<uint64_t> processes = s->pids;
  if (!processes) processes = cgroups_.Processes(NamedCgroup(pod_cgroup), false).size();
  p["process_stats"] = json{{"process_count", *processes}};
  return p;
}

}  // namespace cubelet::stats
