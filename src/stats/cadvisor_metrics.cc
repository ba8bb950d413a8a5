#include "stats/cadvisor_metrics.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kuberuntime/pod_cgroup.h"
#include "stats/fs_stats.h"
#include "stats/net_stats.h"
#include "util/log.h"

namespace cubelet::stats {
namespace {

namespace fs = std::filesystem;

constexpr char kCounter[] = "counter";
constexpr char kGauge[] = "gauge";

// cAdvisor's families, with its help texts.
constexpr MetricFamily kScrapeError{
    "container_scrape_error",
    "1 if there was an error while getting container metrics, 0 otherwise", kGauge};
constexpr MetricFamily kLastSeen{"container_last_seen",
                                 "Last time a container was seen by the exporter", kGauge};
constexpr MetricFamily kCreationTime{"container_creation_time_seconds",
                                     "Container creation time since unix epoch in seconds.",
                                     kGauge};
constexpr MetricFamily kStartTime{"container_start_time_seconds",
                                  "Start time of the container since unix epoch in seconds.",
                                  kGauge};
constexpr MetricFamily kSpecCpuPeriod{"container_spec_cpu_period", "CPU period of the container.",
                                      kGauge};
constexpr MetricFamily kSpecCpuQuota{"container_spec_cpu_quota", "CPU quota of the container.",
                                     kGauge};
constexpr MetricFamily kSpecCpuShares{"container_spec_cpu_shares", "CPU share of the container.",
                                      kGauge};
constexpr MetricFamily kSpecMemoryLimit{"container_spec_memory_limit_bytes",
                                        "Memory limit for the container.", kGauge};
constexpr MetricFamily kSpecSwapLimit{"container_spec_memory_swap_limit_bytes",
                                      "Memory swap limit for the container.", kGauge};
constexpr MetricFamily kSpecReservation{"container_spec_memory_reservation_limit_bytes",
                                        "Memory reservation limit for the container.", kGauge};
constexpr MetricFamily kCpuUser{"container_cpu_user_seconds_total",
                                "Cumulative user cpu time consumed in seconds.", kCounter};
constexpr MetricFamily kCpuSystem{"container_cpu_system_seconds_total",
                                  "Cumulative system cpu time consumed in seconds.", kCounter};
constexpr MetricFamily kCpuUsage{"container_cpu_usage_seconds_total",
                                 "Cumulative cpu time consumed in seconds.", kCounter};
constexpr MetricFamily kCfsPeriods{"container_cpu_cfs_periods_total",
                                   "Number of elapsed enforcement period intervals.", kCounter};
constexpr MetricFamily kCfsThrottledPeriods{"container_cpu_cfs_throttled_periods_total",
                                            "Number of throttled period intervals.", kCounter};
constexpr MetricFamily kCfsThrottledSeconds{"container_cpu_cfs_throttled_seconds_total",
                                            "Total time duration the container has been throttled.",
                                            kCounter};
constexpr MetricFamily kMemoryCache{"container_memory_cache",
                                    "Number of bytes of page cache memory.", kGauge};
constexpr MetricFamily kMemoryRss{"container_memory_rss", "Size of RSS in bytes.", kGauge};
constexpr MetricFamily kMemoryKernel{"container_memory_kernel_usage",
                                     "Size of kernel memory allocated in bytes.", kGauge};
constexpr MetricFamily kMemoryMapped{"container_memory_mapped_file",
                                     "Size of memory mapped files in bytes.", kGauge};
constexpr MetricFamily kMemorySwap{"container_memory_swap", "Container swap usage in bytes.",
                                   kGauge};
constexpr MetricFamily kMemoryFailcnt{"container_memory_failcnt",
                                      "Number of memory usage hits limits", kCounter};
constexpr MetricFamily kMemoryUsage{
    "container_memory_usage_bytes",
    "Current memory usage in bytes, including all memory regardless of when it was accessed",
    kGauge};
constexpr MetricFamily kMemoryMaxUsage{"container_memory_max_usage_bytes",
                                       "Maximum memory usage recorded in bytes", kGauge};
constexpr MetricFamily kMemoryWorkingSet{"container_memory_working_set_bytes",
                                         "Current working set in bytes.", kGauge};
constexpr MetricFamily kMemoryActiveFile{"container_memory_total_active_file_bytes",
                                         "Current total active file in bytes.", kGauge};
constexpr MetricFamily kMemoryInactiveFile{"container_memory_total_inactive_file_bytes",
                                           "Current total inactive file in bytes.", kGauge};
constexpr MetricFamily kMemoryFailures{"container_memory_failures_total",
                                       "Cumulative count of memory allocation failures.", kCounter};
constexpr MetricFamily kMemoryEventsHigh{
    "container_memory_events_high_total",
    "Cumulative count of memory.high throttle events for the container", kCounter};
constexpr MetricFamily kMemoryEventsMax{
    "container_memory_events_max_total",
    "Cumulative count of memory.max limit hit events for the container", kCounter};
constexpr MetricFamily kOomEvents{"container_oom_events_total",
                                  "Count of out of memory events observed for the container",
                                  kCounter};
constexpr MetricFamily kProcesses{"container_processes",
                                  "Number of processes running inside the container.", kGauge};
constexpr MetricFamily kFileDescriptors{
    "container_file_descriptors", "Number of open file descriptors for the container.", kGauge};
constexpr MetricFamily kSockets{"container_sockets", "Number of open sockets for the container.",
                                kGauge};
constexpr MetricFamily kThreads{"container_threads",
                                "Number of threads running inside the container", kGauge};
constexpr MetricFamily kThreadsMax{
    "container_threads_max",
    "Maximum number of threads allowed inside the container, infinity if value is zero", kGauge};
constexpr MetricFamily kUlimitsSoft{
    "container_ulimits_soft",
    "Soft ulimit values for the container root process. Unlimited if -1, except priority and nice",
    kGauge};
constexpr MetricFamily kBlkioDeviceUsage{"container_blkio_device_usage_total",
                                         "Blkio Device bytes usage", kCounter};
constexpr MetricFamily kFsReadsBytes{"container_fs_reads_bytes_total",
                                     "Cumulative count of bytes read", kCounter};
constexpr MetricFamily kFsWritesBytes{"container_fs_writes_bytes_total",
                                      "Cumulative count of bytes written", kCounter};
constexpr MetricFamily kFsReads{"container_fs_reads_total", "Cumulative count of reads completed",
                                kCounter};
constexpr MetricFamily kFsWrites{"container_fs_writes_total",
                                 "Cumulative count of writes completed", kCounter};
constexpr MetricFamily kFsReadsMerged{"container_fs_reads_merged_total",
                                      "Cumulative count of reads merged", kCounter};
constexpr MetricFamily kFsWritesMerged{"container_fs_writes_merged_total",
                                       "Cumulative count of writes merged", kCounter};
constexpr MetricFamily kFsSectorReads{"container_fs_sector_reads_total",
                                      "Cumulative count of sector reads completed", kCounter};
constexpr MetricFamily kFsSectorWrites{"container_fs_sector_writes_total",
                                       "Cumulative count of sector writes completed", kCounter};
constexpr MetricFamily kFsReadSeconds{"container_fs_read_seconds_total",
                                      "Cumulative count of seconds spent reading", kCounter};
constexpr MetricFamily kFsWriteSeconds{"container_fs_write_seconds_total",
                                       "Cumulative count of seconds spent writing", kCounter};
constexpr MetricFamily kFsIoCurrent{"container_fs_io_current",
                                    "Number of I/Os currently in progress", kGauge};
constexpr MetricFamily kFsIoTime{"container_fs_io_time_seconds_total",
                                 "Cumulative count of seconds spent doing I/Os", kCounter};
constexpr MetricFamily kFsIoTimeWeighted{"container_fs_io_time_weighted_seconds_total",
                                         "Cumulative weighted I/O time in seconds", kCounter};
constexpr MetricFamily kFsUsage{
    "container_fs_usage_bytes",
    "Number of bytes that are consumed by the container on this filesystem.", kGauge};
constexpr MetricFamily kFsLimit{
    "container_fs_limit_bytes",
    "Number of bytes that can be consumed by the container on this filesystem.", kGauge};
constexpr MetricFamily kFsInodes{"container_fs_inodes_total", "Number of Inodes", kGauge};
constexpr MetricFamily kFsInodesFree{"container_fs_inodes_free", "Number of available Inodes",
                                     kGauge};
constexpr MetricFamily kNetRxBytes{"container_network_receive_bytes_total",
                                   "Cumulative count of bytes received", kCounter};
constexpr MetricFamily kNetRxPackets{"container_network_receive_packets_total",
                                     "Cumulative count of packets received", kCounter};
constexpr MetricFamily kNetRxDropped{"container_network_receive_packets_dropped_total",
                                     "Cumulative count of packets dropped while receiving",
                                     kCounter};
constexpr MetricFamily kNetRxErrors{"container_network_receive_errors_total",
                                    "Cumulative count of errors encountered while receiving",
                                    kCounter};
constexpr MetricFamily kNetTxBytes{"container_network_transmit_bytes_total",
                                   "Cumulative count of bytes transmitted", kCounter};
constexpr MetricFamily kNetTxPackets{"container_network_transmit_packets_total",
                                     "Cumulative count of packets transmitted", kCounter};
constexpr MetricFamily kNetTxDropped{"container_network_transmit_packets_dropped_total",
                                     "Cumulative count of packets dropped while transmitting",
                                     kCounter};
constexpr MetricFamily kNetTxErrors{"container_network_transmit_errors_total",
                                    "Cumulative count of errors encountered while transmitting",
                                    kCounter};
constexpr MetricFamily kPressure[3][2] = {
    {{"container_pressure_cpu_stalled_seconds_total",
      "Total time duration no tasks in the container could make progress due to CPU congestion.",
      kCounter},
     {"container_pressure_cpu_waiting_seconds_total",
      "Total time duration tasks in the container have waited due to CPU congestion.", kCounter}},
    {{"container_pressure_memory_stalled_seconds_total",
      "Total time duration no tasks in the container could make progress due to memory "
      "congestion.",
      kCounter},
     {"container_pressure_memory_waiting_seconds_total",
      "Total time duration tasks in the container have waited due to memory congestion.",
      kCounter}},
    {{"container_pressure_io_stalled_seconds_total",
      "Total time duration no tasks in the container could make progress due to IO congestion.",
      kCounter},
     {"container_pressure_io_waiting_seconds_total",
      "Total time duration tasks in the container have waited due to IO congestion.", kCounter}}};
constexpr MetricFamily kMachineCores{"machine_cpu_cores", "Number of logical CPU cores.", kGauge};
constexpr MetricFamily kMachinePhysicalCores{"machine_cpu_physical_cores",
                                             "Number of physical CPU cores.", kGauge};
constexpr MetricFamily kMachineSockets{"machine_cpu_sockets", "Number of CPU sockets.", kGauge};
constexpr MetricFamily kMachineMemory{"machine_memory_bytes",
                                      "Amount of memory installed on the machine.", kGauge};
constexpr MetricFamily kMachineSwap{"machine_swap_bytes",
                                    "Amount of swap memory available on the machine.", kGauge};

double Seconds(absl::Time t) { return static_cast<double>(absl::ToUnixSeconds(t)); }

// "/dev/vda" for a block device number, as cAdvisor names disks; empty when
// sysfs does not know it.
std::string DeviceName(uint32_t major, uint32_t minor) {
  std::optional<std::string> uevent =
      ReadTextFile(absl::StrCat("/sys/dev/block/", major, ":", minor, "/uevent"));
  if (!uevent) return "";
  for (absl::string_view line : absl::StrSplit(*uevent, '\n')) {
    if (absl::ConsumePrefix(&line, "DEVNAME=")) return absl::StrCat("/dev/", line);
  }
  return "";
}

// One line of /proc/diskstats (fields 4.. of the kernel's documentation).
struct DiskStats {
  uint64_t reads = 0, reads_merged = 0, sectors_read = 0, read_ms = 0;
  uint64_t writes = 0, writes_merged = 0, sectors_written = 0, write_ms = 0;
  uint64_t in_progress = 0, io_ms = 0, weighted_io_ms = 0;
};

std::optional<DiskStats> ReadDiskStats(const std::string& proc, uint32_t major, uint32_t minor) {
  std::optional<std::string> text = ReadTextFile(proc + "/diskstats");
  if (!text) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint32_t ma = 0, mi = 0;
    if (f.size() < 14 || !absl::SimpleAtoi(f[0], &ma) || !absl::SimpleAtoi(f[1], &mi) ||
        ma != major || mi != minor) {
      continue;
    }
    DiskStats d;
    uint64_t* fields[] = {&d.reads,       &d.reads_merged,  &d.sectors_read,    &d.read_ms,
                          &d.writes,      &d.writes_merged, &d.sectors_written, &d.write_ms,
                          &d.in_progress, &d.io_ms,         &d.weighted_io_ms};
    for (size_t i = 0; i < std::size(fields); ++i) (void)absl::SimpleAtoi(f[3 + i], fields[i]);
    return d;
  }
  return std::nullopt;
}

// A filesystem as cAdvisor reports it on the root series.
struct Filesystem {
  std::string device;
  uint32_t major = 0, minor = 0;
  FsInfo info;
};

std::optional<Filesystem> FilesystemOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  absl::StatusOr<FsInfo> info = StatFs(path);
  if (!info.ok()) return std::nullopt;
  Filesystem f{.major = major(st.st_dev), .minor = minor(st.st_dev), .info = *info};
  f.device = DeviceName(f.major, f.minor);
  return f;
}

struct ProcessFigures {
  uint64_t processes = 0, fds = 0, sockets = 0;
  std::optional<uint64_t> max_open_files_soft;
};

// The open files and sockets of `pids`; the soft open-files limit of the
// lowest pid (the container's first process) when `ulimits`.
ProcessFigures ReadProcesses(const std::vector<int>& pids, const std::string& proc, bool ulimits) {
  ProcessFigures out;
  out.processes = pids.size();
  std::error_code ec;
  for (int pid : pids) {
    const std::string dir = absl::StrCat(proc, "/", pid, "/fd");
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      ++out.fds;
      fs::path target = fs::read_symlink(entry.path(), ec);
      if (!ec && absl::StartsWith(target.string(), "socket:")) ++out.sockets;
    }
  }
  if (ulimits && !pids.empty()) {
    const int first = *std::min_element(pids.begin(), pids.end());
    if (std::optional<std::string> limits =
            ReadTextFile(absl::StrCat(proc, "/", first, "/limits"))) {
      for (absl::string_view line : absl::StrSplit(*limits, '\n')) {
        if (!absl::ConsumePrefix(&line, "Max open files")) continue;
        std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
        uint64_t soft = 0;
        if (!f.empty() && absl::SimpleAtoi(f[0], &soft)) out.max_open_files_soft = soft;
      }
    }
  }
  return out;
}

}  // namespace

// One cgroup to report, with the kubelet's labels.
struct CadvisorMetrics::Series {
  CgroupPaths paths;
  std::string id, name, image, pod, namespace_, container;
  std::optional<absl::Time> start;
  bool root = false;
  bool is_container = false;            // a runtime container: ulimits, writable layer
  std::optional<uint64_t> layer_bytes;  // the writable layer, when the runtime gave it
  std::optional<int> netns_pid;         // whose network namespace to report
};

// What one scrape reads once for every series: its time and the
// filesystems (the root dir's, the image filesystem's).
struct CadvisorMetrics::Scrape {
  absl::Time now;
  std::vector<Filesystem> node_filesystems;  // each device once
  std::optional<Filesystem> image_fs;        // where writable layers live
};

CadvisorMetrics::CadvisorMetrics(SummaryOptions options, SummaryProvider::PodsFn pods,
                                 cri::RuntimeService* runtime, cri::ImageService* images,
                                 Clock* clock)
    : options_(std::move(options)),
      pods_(std::move(pods)),
      runtime_(runtime),
      images_(images),
      clock_(clock),
      cgroups_(options_.cgroup_fs, options_.proc) {}

void CadvisorMetrics::AddMachine(PrometheusWriter* w) const {
  auto first_line = [](const std::string& path) {
    std::optional<std::string> text = ReadTextFile(path);
    return text ? std::string(absl::StripAsciiWhitespace(*text)) : std::string();
  };
  const Labels labels = {{"boot_id", first_line(options_.proc + "/sys/kernel/random/boot_id")},
                         {"machine_id", first_line("/etc/machine-id")},
                         {"system_uuid", first_line("/sys/class/dmi/id/product_uuid")}};
  uint64_t logical = 0;
  std::set<std::pair<std::string, std::string>> cores;
  std::set<std::string> sockets;
  if (std::optional<std::string> cpuinfo = ReadTextFile(options_.proc + "/cpuinfo")) {
    std::string physical_id;
    for (absl::string_view line : absl::StrSplit(*cpuinfo, '\n')) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ':');
      const absl::string_view key = absl::StripAsciiWhitespace(kv.first);
      const std::string value(absl::StripAsciiWhitespace(kv.second));
      if (key == "processor") ++logical;
      if (key == "physical id") {
        physical_id = value;
        sockets.insert(value);
      }
      if (key == "core id") cores.emplace(physical_id, value);
    }
  }
  if (logical == 0) logical = static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_ONLN));
  w->Add(kMachineCores, labels, static_cast<double>(logical));
  w->Add(kMachinePhysicalCores, labels,
         static_cast<double>(cores.empty() ? logical : cores.size()));
  w->Add(kMachineSockets, labels, static_cast<double>(sockets.empty() ? 1 : sockets.size()));
  uint64_t memory = options_.memory_capacity, swap = 0;
  if (std::optional<std::string> meminfo = ReadTextFile(options_.proc + "/meminfo")) {
    for (absl::string_view line : absl::StrSplit(*meminfo, '\n')) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint64_t kib = 0;
      if (f.size() < 2 || !absl::SimpleAtoi(f[1], &kib)) continue;
      if (f[0] == "MemTotal:" && memory == 0) memory = kib * 1024;
      if (f[0] == "SwapTotal:") swap = kib * 1024;
    }
  }
  w->Add(kMachineMemory, labels, static_cast<double>(memory));
  w->Add(kMachineSwap, labels, static_cast<double>(swap));
}

bool CadvisorMetrics::AddCgroup(const Series& s, const Scrape& scrape, PrometheusWriter* w) const {
  const absl::Time now = scrape.now;
  absl::StatusOr<CgroupDetail> read = cgroups_.ReadDetail(s.paths);
  if (!read.ok()) {
    VLOG(2) << "cadvisor metrics: " << s.id << ": " << read.status();
    return false;
  }
  const CgroupDetail& d = *read;
  const CgroupSample& c = d.sample;
  const Labels base = {{"container", s.container},  {"id", s.id},
                       {"image", s.image},          {"name", s.name},
                       {"namespace", s.namespace_}, {"pod", s.pod}};
  auto with = [&](std::initializer_list<std::pair<std::string, std::string>> extra) {
    Labels l = base;
    l.insert(l.end(), extra.begin(), extra.end());
    return l;
  };
  auto add = [&](const MetricFamily& f, double v) { w->Add(f, base, v, now); };
  auto num = [](uint64_t v) { return static_cast<double>(v); };

  const absl::Time created = c.created.value_or(now);
  w->Add(kCreationTime, base, Seconds(created));
  w->Add(kStartTime, base, Seconds(s.start.value_or(created)));
  if (d.cpu_period_us) w->Add(kSpecCpuPeriod, base, num(*d.cpu_period_us));
  if (d.cpu_quota_us && *d.cpu_quota_us != 0) w->Add(kSpecCpuQuota, base, num(*d.cpu_quota_us));
  if (d.cpu_shares) w->Add(kSpecCpuShares, base, num(*d.cpu_shares));
  if (c.memory_usage) {
    w->Add(kSpecMemoryLimit, base, num(c.memory_limit.value_or(0)));
    w->Add(kSpecSwapLimit, base, num(d.swap_limit.value_or(0)));
    w->Add(kSpecReservation, base, num(d.memory_reservation.value_or(0)));
  }
  w->Add(kLastSeen, base, Seconds(now), now);

  if (c.cpu_usage_ns) {
    add(kCpuUser, num(d.cpu_user_ns) / 1e9);
    add(kCpuSystem, num(d.cpu_system_ns) / 1e9);
    w->Add(kCpuUsage, with({{"cpu", "total"}}), num(*c.cpu_usage_ns) / 1e9, now);
    if (d.cpu_quota_us && *d.cpu_quota_us != 0) {
      add(kCfsPeriods, num(d.cfs_periods));
      add(kCfsThrottledPeriods, num(d.cfs_throttled_periods));
      add(kCfsThrottledSeconds, num(d.cfs_throttled_ns) / 1e9);
    }
  }
  if (c.memory_usage) {
    add(kMemoryCache, num(d.cache));
    add(kMemoryRss, num(c.rss.value_or(0)));
    add(kMemoryKernel, num(d.kernel));
    add(kMemoryMapped, num(d.mapped_file));
    add(kMemorySwap, num(d.swap));
    add(kMemoryFailcnt, num(d.failcnt));
    add(kMemoryUsage, num(*c.memory_usage));
    add(kMemoryMaxUsage, num(d.max_usage));
    add(kMemoryWorkingSet, num(c.working_set.value_or(0)));
    add(kMemoryActiveFile, num(d.active_file));
    add(kMemoryInactiveFile, num(d.inactive_file));
    w->Add(kMemoryFailures, with({{"failure_type", "pgfault"}, {"scope", "container"}}),
           num(d.pgfault), now);
    w->Add(kMemoryFailures, with({{"failure_type", "pgmajfault"}, {"scope", "container"}}),
           num(d.pgmajfault), now);
    w->Add(kMemoryFailures, with({{"failure_type", "pgfault"}, {"scope", "hierarchy"}}),
           num(d.hierarchy_pgfault), now);
    w->Add(kMemoryFailures, with({{"failure_type", "pgmajfault"}, {"scope", "hierarchy"}}),
           num(d.hierarchy_pgmajfault), now);
    add(kMemoryEventsHigh, num(d.events_high));
    add(kMemoryEventsMax, num(d.events_max));
  }
  add(kOomEvents, num(d.oom_kills));

  const ProcessFigures p =
      ReadProcesses(cgroups_.OwnProcesses(s.paths), options_.proc, s.is_container);
  add(kProcesses, num(p.processes));
  add(kFileDescriptors, num(p.fds));
  add(kSockets, num(p.sockets));
  add(kThreads, num(c.pids.value_or(0)));
  add(kThreadsMax, num(d.pids_max.value_or(0)));
  if (p.max_open_files_soft) {
    w->Add(kUlimitsSoft, with({{"ulimit", "max_open_files"}}), num(*p.max_open_files_soft), now);
  }

  // Block I/O the cgroup did, by device.
  std::set<std::pair<uint32_t, uint32_t>> io_devices;
  for (const BlkioDevice& dev : d.blkio) {
    const std::string name = DeviceName(dev.major, dev.minor);
    io_devices.emplace(dev.major, dev.minor);
    for (const auto& [op, v] : dev.bytes) {
      w->Add(kBlkioDeviceUsage,
             with({{"device", name},
                   {"major", absl::StrCat(dev.major)},
                   {"minor", absl::StrCat(dev.minor)},
                   {"operation", op}}),
             num(v), now);
    }
    auto find = [](const std::vector<std::pair<std::string, uint64_t>>& ops, const char* op) {
      for (const auto& [name, v] : ops) {
        if (name == op) return v;
      }
      return uint64_t{0};
    };
    const Labels device = with({{"device", name}});
    w->Add(kFsReadsBytes, device, num(find(dev.bytes, "Read")), now);
    w->Add(kFsWritesBytes, device, num(find(dev.bytes, "Write")), now);
    w->Add(kFsReads, device, num(find(dev.ios, "Read")), now);
    w->Add(kFsWrites, device, num(find(dev.ios, "Write")), now);
  }

  if (s.root) {
    for (const Filesystem& f : scrape.node_filesystems) {
      const Labels device = with({{"device", f.device}});
      w->Add(kFsUsage, device, num(f.info.used), now);
      w->Add(kFsLimit, device, num(f.info.capacity), now);
      w->Add(kFsInodes, device, num(f.info.inodes), now);
      w->Add(kFsInodesFree, device, num(f.info.inodes_free), now);
      std::optional<DiskStats> ds = ReadDiskStats(options_.proc, f.major, f.minor);
      if (!ds) continue;
      // Counted already from the cgroup's own accounting.
      if (!io_devices.contains({f.major, f.minor})) {
        w->Add(kFsReads, device, num(ds->reads), now);
        w->Add(kFsWrites, device, num(ds->writes), now);
      }
      w->Add(kFsReadsMerged, device, num(ds->reads_merged), now);
      w->Add(kFsWritesMerged, device, num(ds->writes_merged), now);
      w->Add(kFsSectorReads, device, num(ds->sectors_read), now);
      w->Add(kFsSectorWrites, device, num(ds->sectors_written), now);
      w->Add(kFsReadSeconds, device, num(ds->read_ms) / 1e3, now);
      w->Add(kFsWriteSeconds, device, num(ds->write_ms) / 1e3, now);
      w->Add(kFsIoCurrent, device, num(ds->in_progress), now);
      w->Add(kFsIoTime, device, num(ds->io_ms) / 1e3, now);
      w->Add(kFsIoTimeWeighted, device, num(ds->weighted_io_ms) / 1e3, now);
    }
  }
  if (s.layer_bytes && scrape.image_fs) {
    // A container's writable layer, on the image filesystem.
    const Labels device = with({{"device", scrape.image_fs->device}});
    w->Add(kFsUsage, device, num(*s.layer_bytes), now);
    w->Add(kFsLimit, device, num(scrape.image_fs->info.capacity), now);
  }

  if (s.netns_pid) {
    if (absl::StatusOr<std::vector<InterfaceStats>> net = ReadNetDev(*s.netns_pid, options_.proc);
        net.ok()) {
      for (const InterfaceStats& i : *net) {
        const Labels l = with({{"interface", i.name}});
        w->Add(kNetRxBytes, l, num(i.rx_bytes), now);
        w->Add(kNetRxPackets, l, num(i.rx_packets), now);
        w->Add(kNetRxDropped, l, num(i.rx_dropped), now);
        w->Add(kNetRxErrors, l, num(i.rx_errors), now);
        w->Add(kNetTxBytes, l, num(i.tx_bytes), now);
        w->Add(kNetTxPackets, l, num(i.tx_packets), now);
        w->Add(kNetTxDropped, l, num(i.tx_dropped), now);
        w->Add(kNetTxErrors, l, num(i.tx_errors), now);
      }
    }
  }

  const std::optional<Psi>* psi[] = {&c.cpu_psi, &c.memory_psi, &c.io_psi};
  for (size_t i = 0; i < std::size(psi); ++i) {
    if (!*psi[i]) continue;
    add(kPressure[i][0], num((*psi[i])->full.total) / 1e6);
    add(kPressure[i][1], num((*psi[i])->some.total) / 1e6);
  }
  return true;
}

std::string CadvisorMetrics::Render() const {
  Scrape scrape{.now = clock_->Now()};
  // The image filesystem as the runtime names it (the root dir's when it
  // does not), asked once per scrape.
  std::string image_mountpoint = options_.root_dir;
  if (images_ != nullptr) {
    if (absl::StatusOr<cri::ImageFsInfo> info = images_->GetImageFsInfo();
        info.ok() && !info->image_filesystems.empty() &&
        !info->image_filesystems.front().mountpoint.empty()) {
      image_mountpoint = info->image_filesystems.front().mountpoint;
    }
  }
  scrape.image_fs = FilesystemOf(image_mountpoint);
  if (std::optional<Filesystem> root_fs = FilesystemOf(options_.root_dir)) {
    scrape.node_filesystems.push_back(*root_fs);
  }
  if (scrape.image_fs && (scrape.node_filesystems.empty() ||
                          scrape.node_filesystems[0].major != scrape.image_fs->major ||
                          scrape.node_filesystems[0].minor != scrape.image_fs->minor)) {
    scrape.node_filesystems.push_back(*scrape.image_fs);
  }
  PrometheusWriter w;
  AddMachine(&w);

  std::vector<Series> series;
  series.push_back(Series{
      .paths = NamedCgroup("/"), .id = "/", .root = true, .netns_pid = static_cast<int>(getpid())});
  auto named = [&](const std::string& name) {
    if (name.empty()) return;
    const std::string id = absl::StrCat("/", absl::StripPrefix(name, "/"));
    series.push_back(Series{.paths = NamedCgroup(id), .id = id});
  };
  if (options_.kubelet_cgroups.empty()) {
    if (absl::StatusOr<CgroupPaths> own = ProcessCgroup(getpid(), options_.proc); own.ok()) {
      series.push_back(Series{.paths = *own, .id = own->memory});
    }
  } else {
    named(options_.kubelet_cgroups);
  }
  named(options_.runtime_cgroups);
  named(options_.system_cgroups);
  named(options_.cgroup_root);

  for (const api::Pod& pod : pods_()) {
    const std::string pod_cgroup =
        kuberuntime::PodCgroupParent(options_.cgroup_root, pod.metadata.uid);
    Series ps{.paths = NamedCgroup(pod_cgroup),
              .id = pod_cgroup,
              .pod = pod.metadata.name,
              .namespace_ = pod.metadata.namespace_};
    if (std::vector<int> pids = cgroups_.Processes(ps.paths, true); !pids.empty()) {
      ps.netns_pid = pids[0];
    }
    series.push_back(std::move(ps));
    for (const api::ContainerStatus& cs : pod.status.container_statuses) {
      if (!cs.state.running || cs.container_id.empty()) continue;
      const std::string id = RuntimeContainerId(cs.container_id);
      Series s{.paths = NamedCgroup(pod_cgroup + "/" + id),
               .id = pod_cgroup + "/" + id,
               .name = id,
               .image = cs.image,
               .pod = pod.metadata.name,
               .namespace_ = pod.metadata.namespace_,
               .container = cs.name,
               .start = cs.state.running->started_at,
               .is_container = true};
      if (absl::StatusOr<cri::FilesystemUsage> layer = runtime_->GetContainerWritableLayer(id);
          layer.ok()) {
        s.layer_bytes = layer->used_bytes;
      }
      series.push_back(std::move(s));
    }
  }

  bool root_ok = true;
  for (const Series& s : series) {
    if (!AddCgroup(s, scrape, &w) && s.root) root_ok = false;
  }
  w.Add(kScrapeError, {}, root_ok ? 0 : 1);
  return w.Render();
}

}  // namespace cubelet::stats
