// CgroupFs: reads one cgroup's CPU, memory, process count and pressure (PSI)
// from the cgroup filesystem, v1 (one hierarchy per controller) or v2 (one
// tree). What cAdvisor's cgroup handler gives the kubelet's /stats/summary:
//   cpu      cpuacct.usage (v1) or cpu.stat usage_usec (v2), in ns
//   memory   usage, working set (usage minus inactive file pages), RSS,
//            page faults of the cgroup itself, the limit when there is one
//   pids     pids.current
//   PSI      {cpu,memory,io}.pressure of the cgroup: v2's own files; on v1
//            the hybrid "unified" tree's, or /proc/pressure for the root
//
// CgroupPaths names the cgroup's directory in each hierarchy: the same path
// everywhere for a named cgroup ("/cubelet/pod<uid>"), possibly not for a
// process's own cgroup under v1 (read from /proc/<pid>/cgroup).
//
// Stateless apart from the root path; safe from any thread.
#ifndef CUBELET_STATS_CGROUP_STATS_H_
#define CUBELET_STATS_CGROUP_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cubelet::stats {

struct PsiData {
  uint64_t total = 0;  // µs stalled
  double avg10 = 0, avg60 = 0, avg300 = 0;
};
struct Psi {
  PsiData some, full;
};

// The text of a file (cgroup, /proc and /sys files); nullopt when unreadable.
std::optional<std::string> ReadTextFile(const std::string& path);

// The unsigned number a file holds (cgroup and /proc files); nullopt when
// unreadable or not a number.
std::optional<uint64_t> ReadUintFile(const std::string& path);

// Parses a pressure file ("some avg10=… avg60=… avg300=… total=…\nfull …").
// nullopt when it has no "some" line.
std::optional<Psi> ParsePsi(absl::string_view text);

struct CgroupPaths {
  std::string cpuacct;  // paths relative to each hierarchy's root, "/" for the root
  std::string memory;
  std::string pids;
  std::string cpu;      // shares, CFS quota and throttling (v1's "cpu" controller)
  std::string blkio;    // block I/O (v1's "blkio" controller)
  std::string unified;  // v2's tree, or v1's hybrid "unified" one (PSI only)
};

// The same path in every hierarchy.
CgroupPaths NamedCgroup(absl::string_view name);

// The cgroup of process `pid` in each hierarchy, from `proc`/<pid>/cgroup.
absl::StatusOr<CgroupPaths> ProcessCgroup(int pid, const std::string& proc = "/proc");

struct CgroupSample {
  std::optional<uint64_t> cpu_usage_ns;
  std::optional<uint64_t> memory_usage;
  std::optional<uint64_t> working_set;
  std::optional<uint64_t> rss;
  std::optional<uint64_t> page_faults;
  std::optional<uint64_t> major_page_faults;
  std::optional<uint64_t> memory_limit;  // unset: unlimited
  std::optional<uint64_t> pids;
  std::optional<Psi> cpu_psi, memory_psi, io_psi;
  std::optional<absl::Time> created;  // the cgroup directory's change time
};

// One block device's I/O as a cgroup accounts it: bytes and operations by
// kind ("Read", "Write", "Sync", "Async", "Discard", "Total"; v2 has only
// "Read", "Write" and "Discard").
struct BlkioDevice {
  uint32_t major = 0, minor = 0;
  std::vector<std::pair<std::string, uint64_t>> bytes;
  std::vector<std::pair<std::string, uint64_t>> ios;
};

// What cAdvisor's Prometheus collector reports of a cgroup beyond
// CgroupSample. Figures a hierarchy lacks are 0 (cAdvisor's zero values);
// limits a cgroup does not set are nullopt.
struct CgroupDetail {
  CgroupSample sample;
  uint64_t cpu_user_ns = 0, cpu_system_ns = 0;
  uint64_t cfs_periods = 0, cfs_throttled_periods = 0, cfs_throttled_ns = 0;
  std::optional<uint64_t> cpu_shares;  // v2's cpu.weight converted as cAdvisor does
  std::optional<uint64_t> cpu_period_us;
  std::optional<uint64_t> cpu_quota_us;  // unset: no quota
  uint64_t cache = 0, swap = 0, mapped_file = 0, kernel = 0, max_usage = 0, failcnt = 0;
  uint64_t active_file = 0, inactive_file = 0;
  uint64_t pgfault = 0, pgmajfault = 0;                      // the cgroup itself
  uint64_t hierarchy_pgfault = 0, hierarchy_pgmajfault = 0;  // with its descendants
  uint64_t events_high = 0, events_max = 0, oom_kills = 0;
  std::optional<uint64_t> memory_reservation, swap_limit;  // unset: unlimited
  std::optional<uint64_t> pids_max;                        // unset: "max"
  std::vector<BlkioDevice> blkio;                          // devices the cgroup did I/O on
};

// Moves process `pid` into cgroup `name` in every hierarchy mounted under
// `cgroup_fs` (made first when missing), as the kubelet's --kubelet-cgroups
// does for itself. The error names the hierarchy that refused.
absl::Status MoveProcessToCgroup(int pid, absl::string_view name,
                                 const std::string& cgroup_fs = "/sys/fs/cgroup");

class CgroupFs {
 public:
  explicit CgroupFs(std::string root = "/sys/fs/cgroup", std::string proc = "/proc");

  // v2: one tree with cgroup.controllers at its root.
  bool v2() const { return v2_; }

  // NotFound when the cgroup exists in none of the hierarchies read (gone or
  // never made); otherwise what could be read.
  absl::StatusOr<CgroupSample> Read(const CgroupPaths& paths) const;

  // Read and the rest of what cAdvisor reports of the cgroup.
  absl::StatusOr<CgroupDetail> ReadDetail(const CgroupPaths& paths) const;

  // The pids in the cgroup's own cgroup.procs (not its descendants').
  std::vector<int> OwnProcesses(const CgroupPaths& paths) const;

  // The pids of the processes in the cgroup and its descendants (the first
  // found, depth first, when `first_only`).
  std::vector<int> Processes(const CgroupPaths& paths, bool first_only) const;

 private:
  std::string Dir(absl::string_view hierarchy, absl::string_view path) const;

  std::string root_;
  std::string proc_;
  bool v2_ = false;
  std::string cpuacct_dir_;  // the v1 hierarchy holding cpuacct ("cpuacct", "cpu,cpuacct")
  std::string cpu_dir_;      // the v1 hierarchy holding cpu ("cpu", "cpu,cpuacct")
};

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_CGROUP_STATS_H_
