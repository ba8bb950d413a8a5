#include "stats/cgroup_stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cubelet::stats {
namespace {

namespace fs = std::filesystem;

// v1 writes this (PAGE_COUNTER_MAX rounded) for "no limit"; anything at or
// above it is unlimited.
constexpr uint64_t kUnlimited = uint64_t{1} << 62;

}  // namespace

std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<uint64_t> ReadUintFile(const std::string& path) {
  std::optional<std::string> text = ReadTextFile(path);
  uint64_t v = 0;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v)) return std::nullopt;
  return v;
}

namespace {

// "key value" lines (memory.stat, cpu.stat).
absl::flat_hash_map<std::string, uint64_t> ReadKeyValues(const std::string& path) {
  absl::flat_hash_map<std::string, uint64_t> out;
  std::optional<std::string> text = ReadTextFile(path);
  if (!text) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t v = 0;
    if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &v)) out[std::string(kv[0])] = v;
  }
  return out;
}

std::optional<uint64_t> Get(const absl::flat_hash_map<std::string, uint64_t>& m,
                            const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::optional<Psi> ReadPsi(const std::string& path) {
  std::optional<std::string> text = ReadTextFile(path);
  if (!text) return std::nullopt;
  return ParsePsi(*text);
}

std::string Join(absl::string_view dir, absl::string_view path) {
  absl::string_view rel = absl::StripPrefix(path, "/");
  if (rel.empty()) return std::string(dir);
  return absl::StrCat(dir, "/", rel);
}

}  // namespace

std::optional<Psi> ParsePsi(absl::string_view text) {
  std::optional<Psi> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.empty() || (fields[0] != "some" && fields[0] != "full")) continue;
    if (!out) out.emplace();
    PsiData& d = fields[0] == "some" ? out->some : out->full;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(fields[i], '=');
      if (kv.first == "total") {
        (void)absl::SimpleAtoi(kv.second, &d.total);
      } else if (kv.first == "avg10") {
        (void)absl::SimpleAtod(kv.second, &d.avg10);
      } else if (kv.first == "avg60") {
        (void)absl::SimpleAtod(kv.second, &d.avg60);
      } else if (kv.first == "avg300") {
        (void)absl::SimpleAtod(kv.second, &d.avg300);
      }
    }
  }
  return out;
}

CgroupPaths NamedCgroup(absl::string_view name) {
  std::string path = absl::StrCat("/", absl::StripPrefix(name, "/"));
  return CgroupPaths{
      .cpuacct = path, .memory = path, .pids = path, .cpu = path, .blkio = path, .unified = path};
}

absl::StatusOr<CgroupPaths> ProcessCgroup(int pid, const std::string& proc) {
  const std::string file = absl::StrCat(proc, "/", pid, "/cgroup");
  std::optional<std::string> text = ReadTextFile(file);
  if (!text) return absl::NotFoundError(absl::StrCat("cannot read ", file));
  CgroupPaths out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    // "4:memory:/x", "2:cpu,cpuacct:/x", "0::/x"
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    const std::string path(parts[2]);
    if (parts[1].empty()) {
      out.unified = path;
      continue;
    }
    for (absl::string_view controller : absl::StrSplit(parts[1], ',')) {
      if (controller == "cpuacct") out.cpuacct = path;
      if (controller == "memory") out.memory = path;
      if (controller == "pids") out.pids = path;
      if (controller == "cpu") out.cpu = path;
      if (controller == "blkio") out.blkio = path;
    }
  }
  // cgroup v2: every controller in the one tree.
  if (out.cpuacct.empty()) out.cpuacct = out.unified;
  if (out.memory.empty()) out.memory = out.unified;
  if (out.pids.empty()) out.pids = out.unified;
  if (out.cpu.empty()) out.cpu = out.unified;
  if (out.blkio.empty()) out.blkio = out.unified;
  return out;
}

absl::Status MoveProcessToCgroup(int pid, absl::string_view name, const std::string& cgroup_fs) {
  std::error_code ec;
  std::vector<std::string> hierarchies;
  if (fs::exists(cgroup_fs + "/cgroup.controllers", ec)) {
    hierarchies.push_back(cgroup_fs);  // v2: the one tree
  } else {
    for (const auto& entry : fs::directory_iterator(cgroup_fs, ec)) {
      // "cpu" and "cpuacct" are often links to "cpu,cpuacct": each tree once.
      if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
      if (!fs::exists(entry.path() / "cgroup.procs", ec)) continue;
      hierarchies.push_back(entry.path().string());
    }
  }
  if (hierarchies.empty())
    return absl::NotFoundError(absl::StrCat("no cgroup hierarchy under ", cgroup_fs));
  for (const std::string& h : hierarchies) {
    const std::string dir = Join(h, absl::StrCat("/", absl::StripPrefix(name, "/")));
    fs::create_directories(dir, ec);
    // A new cpuset cgroup has no CPUs or memory nodes, and no process may
    // join it until it has: the parent's.
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      const std::string mine = absl::StrCat(dir, "/", file);
      std::optional<std::string> now = ReadTextFile(mine);
      if (!now || !absl::StripAsciiWhitespace(*now).empty()) continue;
      if (std::optional<std::string> parent =
              ReadTextFile(absl::StrCat(fs::path(dir).parent_path().string(), "/", file))) {
        std::ofstream(mine) << *parent << std::flush;
      }
    }
    std::ofstream procs(dir + "/cgroup.procs");
    procs << pid << std::flush;
    if (!procs) {
      return absl::PermissionDeniedError(absl::StrCat("cannot move process ", pid, " into ", dir));
    }
  }
  return absl::OkStatus();
}

CgroupFs::CgroupFs(std::string root, std::string proc)
    : root_(std::move(root)), proc_(std::move(proc)) {
  std::error_code ec;
  v2_ = fs::exists(root_ + "/cgroup.controllers", ec);
  cpuacct_dir_ = "cpuacct";
  for (const char* candidate : {"cpuacct", "cpu,cpuacct", "cpuacct,cpu"}) {
    if (fs::exists(absl::StrCat(root_, "/", candidate, "/cpuacct.usage"), ec)) {
      cpuacct_dir_ = candidate;
      break;
    }
  }
  cpu_dir_ = "cpu";
  for (const char* candidate : {"cpu", "cpu,cpuacct", "cpuacct,cpu"}) {
    if (fs::exists(absl::StrCat(root_, "/", candidate, "/cpu.shares"), ec)) {
      cpu_dir_ = candidate;
      break;
    }
  }
}

std::string CgroupFs::Dir(absl::string_view hierarchy, absl::string_view path) const {
  if (v2_) return Join(root_, path);
  return Join(absl::StrCat(root_, "/", hierarchy), path);
}

absl::StatusOr<CgroupSample> CgroupFs::Read(const CgroupPaths& paths) const {
  CgroupSample s;
  std::error_code ec;
  const std::string cpu = Dir(cpuacct_dir_, paths.cpuacct);
  const std::string mem = Dir("memory", paths.memory);
  const std::string pids = Dir("pids", paths.pids);
  const std::string unified =
      v2_ ? Dir("", paths.unified) : Join(root_ + "/unified", paths.unified);
  bool found = false;
  for (const std::string& dir : {cpu, mem}) {
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) continue;
    found = true;
    const absl::Time t = absl::FromTimeT(st.st_ctime);
    if (!s.created || t < *s.created) s.created = t;
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("cgroup ", paths.memory, " not found under ", root_));
  }
  if (v2_) {
    if (std::optional<uint64_t> usec = Get(ReadKeyValues(cpu + "/cpu.stat"), "usage_usec")) {
      s.cpu_usage_ns = *usec * 1000;
    }
    const bool root = absl::StripPrefix(paths.memory, "/").empty();
    auto stat = ReadKeyValues(mem + "/memory.stat");
    s.memory_usage = ReadUintFile(mem + "/memory.current");
    if (!s.memory_usage && root) {
      // The v2 root has no memory.current: what the stat file counts.
      if (auto anon = Get(stat, "anon"), file = Get(stat, "file"); anon && file) {
        s.memory_usage = *anon + *file + Get(stat, "kernel").value_or(0);
      }
    }
    s.rss = Get(stat, "anon");
    s.page_faults = Get(stat, "pgfault");
    s.major_page_faults = Get(stat, "pgmajfault");
    if (s.memory_usage) {
      const uint64_t inactive = Get(stat, "inactive_file").value_or(0);
      s.working_set = *s.memory_usage > inactive ? *s.memory_usage - inactive : 0;
    }
    if (std::optional<uint64_t> max = ReadUintFile(mem + "/memory.max"); max && *max < kUnlimited) {
      s.memory_limit = max;
    }
  } else {
    s.cpu_usage_ns = ReadUintFile(cpu + "/cpuacct.usage");
    auto stat = ReadKeyValues(mem + "/memory.stat");
    s.memory_usage = ReadUintFile(mem + "/memory.usage_in_bytes");
    // The hierarchy's RSS, as cAdvisor reports; the faults of the cgroup
    // itself (cAdvisor's container data).
    s.rss = Get(stat, "total_rss");
    if (!s.rss) s.rss = Get(stat, "rss");
    s.page_faults = Get(stat, "pgfault");
    s.major_page_faults = Get(stat, "pgmajfault");
    if (s.memory_usage) {
      std::optional<uint64_t> inactive = Get(stat, "total_inactive_file");
      if (!inactive) inactive = Get(stat, "inactive_file");
      const uint64_t i = inactive.value_or(0);
      s.working_set = *s.memory_usage > i ? *s.memory_usage - i : 0;
    }
    if (std::optional<uint64_t> limit = ReadUintFile(mem + "/memory.limit_in_bytes");
        limit && *limit < kUnlimited) {
      s.memory_limit = limit;
    }
  }
  s.pids = ReadUintFile(pids + "/pids.current");
  const bool root = absl::StripPrefix(paths.unified, "/").empty();
  for (auto [name, field] : {std::pair{"cpu", &s.cpu_psi}, std::pair{"memory", &s.memory_psi},
                             std::pair{"io", &s.io_psi}}) {
    *field = ReadPsi(absl::StrCat(unified, "/", name, ".pressure"));
    if (!*field && root) *field = ReadPsi(absl::StrCat(proc_, "/pressure/", name));
  }
  return s;
}

std::vector<int> CgroupFs::Processes(const CgroupPaths& paths, bool first_only) const {
  std::vector<int> out;
  const std::string top = Dir(v2_ ? "" : "memory", paths.memory);
  std::vector<std::string> stack = {top};
  std::error_code ec;
  while (!stack.empty()) {
    const std::string dir = stack.back();
    stack.pop_back();
    if (std::optional<std::string> text = ReadTextFile(dir + "/cgroup.procs")) {
      for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
        int pid = 0;
        if (absl::SimpleAtoi(line, &pid)) {
          out.push_back(pid);
          if (first_only) return out;
        }
      }
    }
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_directory(ec)) stack.push_back(entry.path().string());
    }
  }
  return out;
}

namespace {

// v1's "MAJ:MIN Op value" lines (blkio.*_recursive) into `devices`, `field`
// choosing bytes or ios; "Total N" alone (every device) is left out.
void ParseBlkioV1(absl::string_view text,
                  std::vector<std::pair<std::string, uint64_t>> BlkioDevice::*field,
                  std::vector<BlkioDevice>* devices) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() != 3) continue;
    std::pair<absl::string_view, absl::string_view> mm = absl::StrSplit(f[0], ':');
    uint32_t major = 0, minor = 0;
    uint64_t v = 0;
    if (!absl::SimpleAtoi(mm.first, &major) || !absl::SimpleAtoi(mm.second, &minor) ||
        !absl::SimpleAtoi(f[2], &v)) {
      continue;
    }
    auto it = std::find_if(devices->begin(), devices->end(), [&](const BlkioDevice& d) {
      return d.major == major && d.minor == minor;
    });
    if (it == devices->end()) {
      devices->push_back(BlkioDevice{.major = major, .minor = minor});
      it = devices->end() - 1;
    }
    ((*it).*field).emplace_back(std::string(f[1]), v);
  }
}

bool HasDeviceLine(const std::optional<std::string>& text) {
  return text && absl::StrContains(*text, ':');
}

// v2's io.stat: "MAJ:MIN rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…".
std::vector<BlkioDevice> ParseIoStat(absl::string_view text) {
  std::vector<BlkioDevice> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.empty()) continue;
    std::pair<absl::string_view, absl::string_view> mm = absl::StrSplit(f[0], ':');
    BlkioDevice d;
    if (!absl::SimpleAtoi(mm.first, &d.major) || !absl::SimpleAtoi(mm.second, &d.minor)) continue;
    for (size_t i = 1; i < f.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(f[i], '=');
      uint64_t v = 0;
      if (!absl::SimpleAtoi(kv.second, &v)) continue;
      static constexpr std::pair<const char*, const char*> kOps[] = {
          {"rbytes", "Read"}, {"wbytes", "Write"}, {"dbytes", "Discard"}};
      static constexpr std::pair<const char*, const char*> kIos[] = {
          {"rios", "Read"}, {"wios", "Write"}, {"dios", "Discard"}};
      for (auto [key, op] : kOps) {
        if (kv.first == key) d.bytes.emplace_back(op, v);
      }
      for (auto [key, op] : kIos) {
        if (kv.first == key) d.ios.emplace_back(op, v);
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

// cAdvisor's conversion of v2's cpu.weight (1..10000) to v1 shares.
uint64_t WeightToShares(uint64_t weight) { return 2 + ((weight - 1) * 262142) / 9999; }

std::optional<uint64_t> Limited(std::optional<uint64_t> v) {
  if (v && *v >= kUnlimited) return std::nullopt;
  return v;
}

}  // namespace

absl::StatusOr<CgroupDetail> CgroupFs::ReadDetail(const CgroupPaths& paths) const {
  absl::StatusOr<CgroupSample> sample = Read(paths);
  if (!sample.ok()) return sample.status();
  CgroupDetail d;
  d.sample = *std::move(sample);
  const std::string mem = Dir("memory", paths.memory);
  auto stat = ReadKeyValues(mem + "/memory.stat");
  auto at = [&](const char* key) { return Get(stat, key).value_or(0); };
  if (v2_) {
    const std::string cpu = Dir("", paths.cpu);
    auto cpu_stat = ReadKeyValues(cpu + "/cpu.stat");
    d.cpu_user_ns = Get(cpu_stat, "user_usec").value_or(0) * 1000;
    d.cpu_system_ns = Get(cpu_stat, "system_usec").value_or(0) * 1000;
    d.cfs_periods = Get(cpu_stat, "nr_periods").value_or(0);
    d.cfs_throttled_periods = Get(cpu_stat, "nr_throttled").value_or(0);
    d.cfs_throttled_ns = Get(cpu_stat, "throttled_usec").value_or(0) * 1000;
    if (std::optional<uint64_t> w = ReadUintFile(cpu + "/cpu.weight"); w && *w > 0) {
      d.cpu_shares = WeightToShares(*w);
    }
    if (std::optional<std::string> max = ReadTextFile(cpu + "/cpu.max")) {
      std::vector<absl::string_view> f =
          absl::StrSplit(absl::StripAsciiWhitespace(*max), ' ', absl::SkipEmpty());
      uint64_t v = 0;
      if (f.size() == 2 && absl::SimpleAtoi(f[1], &v)) d.cpu_period_us = v;
      if (!f.empty() && absl::SimpleAtoi(f[0], &v)) d.cpu_quota_us = v;
    }
    d.cache = at("file");
    d.mapped_file = at("file_mapped");
    d.kernel = at("kernel");
    d.active_file = at("active_file");
    d.inactive_file = at("inactive_file");
    d.pgfault = d.hierarchy_pgfault = at("pgfault");
    d.pgmajfault = d.hierarchy_pgmajfault = at("pgmajfault");
    d.swap = ReadUintFile(mem + "/memory.swap.current").value_or(0);
    d.max_usage = ReadUintFile(mem + "/memory.peak").value_or(0);
    auto events = ReadKeyValues(mem + "/memory.events");
    d.events_high = Get(events, "high").value_or(0);
    d.events_max = Get(events, "max").value_or(0);
    d.failcnt = d.events_max;
    d.oom_kills = Get(events, "oom_kill").value_or(0);
    d.memory_reservation = Limited(ReadUintFile(mem + "/memory.min"));
    d.swap_limit = Limited(ReadUintFile(mem + "/memory.swap.max"));
    if (std::optional<std::string> io = ReadTextFile(Dir("", paths.blkio) + "/io.stat")) {
      d.blkio = ParseIoStat(*io);
    }
  } else {
    const std::string cpu = Dir(cpu_dir_, paths.cpu);
    // cpuacct.stat counts in USER_HZ ticks.
    auto ticks = ReadKeyValues(Dir(cpuacct_dir_, paths.cpuacct) + "/cpuacct.stat");
    const long hz = sysconf(_SC_CLK_TCK);
    const uint64_t ns_per_tick = hz > 0 ? 1'000'000'000 / static_cast<uint64_t>(hz) : 10'000'000;
    d.cpu_user_ns = Get(ticks, "user").value_or(0) * ns_per_tick;
    d.cpu_system_ns = Get(ticks, "system").value_or(0) * ns_per_tick;
    auto cpu_stat = ReadKeyValues(cpu + "/cpu.stat");
    d.cfs_periods = Get(cpu_stat, "nr_periods").value_or(0);
    d.cfs_throttled_periods = Get(cpu_stat, "nr_throttled").value_or(0);
    d.cfs_throttled_ns = Get(cpu_stat, "throttled_time").value_or(0);
    d.cpu_shares = ReadUintFile(cpu + "/cpu.shares");
    d.cpu_period_us = ReadUintFile(cpu + "/cpu.cfs_period_us");
    // -1 (no quota) is not an unsigned number: left unset.
    d.cpu_quota_us = ReadUintFile(cpu + "/cpu.cfs_quota_us");
    d.cache = at("total_cache");
    d.swap = at("total_swap");
    d.mapped_file = at("total_mapped_file");
    d.active_file = at("total_active_file");
    d.inactive_file = at("total_inactive_file");
    d.pgfault = at("pgfault");
    d.pgmajfault = at("pgmajfault");
    d.hierarchy_pgfault = at("total_pgfault");
    d.hierarchy_pgmajfault = at("total_pgmajfault");
    d.kernel = ReadUintFile(mem + "/memory.kmem.usage_in_bytes").value_or(0);
    d.max_usage = ReadUintFile(mem + "/memory.max_usage_in_bytes").value_or(0);
    d.failcnt = ReadUintFile(mem + "/memory.failcnt").value_or(0);
    d.oom_kills = Get(ReadKeyValues(mem + "/memory.oom_control"), "oom_kill").value_or(0);
    d.memory_reservation = Limited(ReadUintFile(mem + "/memory.soft_limit_in_bytes"));
    d.swap_limit = Limited(ReadUintFile(mem + "/memory.memsw.limit_in_bytes"));
    // CFQ/BFQ's own statistics when the scheduler keeps them, else the
    // throttling layer's (as runc reads them).
    const std::string blkio = Dir("blkio", paths.blkio);
    std::optional<std::string> bytes = ReadTextFile(blkio + "/blkio.io_service_bytes_recursive");
    std::optional<std::string> ios = ReadTextFile(blkio + "/blkio.io_serviced_recursive");
    if (!HasDeviceLine(bytes)) {
      bytes = ReadTextFile(blkio + "/blkio.throttle.io_service_bytes_recursive");
      ios = ReadTextFile(blkio + "/blkio.throttle.io_serviced_recursive");
    }
    if (bytes) ParseBlkioV1(*bytes, &BlkioDevice::bytes, &d.blkio);
    if (ios) ParseBlkioV1(*ios, &BlkioDevice::ios, &d.blkio);
  }
  d.pids_max = ReadUintFile(Dir("pids", paths.pids) + "/pids.max");
  return d;
}

std::vector<int> CgroupFs::OwnProcesses(const CgroupPaths& paths) const {
  std::vector<int> out;
  if (std::optional<std::string> text = ReadTextFile(Dir("pids", paths.pids) + "/cgroup.procs")) {
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(line, &pid)) out.push_back(pid);
    }
  }
  return out;
}

}  // namespace cubelet::stats
