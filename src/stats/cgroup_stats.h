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

  // The pids of the processes in the cgroup and its descendants (the first
  // found, depth first, when `first_only`).
  std::vector<int> Processes(const CgroupPaths& paths, bool first_only) const;

 private:
  std::string Dir(absl::string_view hierarchy, absl::string_view path) const;

  std::string root_;
  std::string proc_;
  bool v2_ = false;
  std::string cpuacct_dir_;  // the v1 hierarchy holding cpuacct ("cpuacct", "cpu,cpuacct")
};

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_CGROUP_STATS_H_
