#include "stats/cgroup_stats.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::optional<uint64_t> ReadUintFile(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  uint64_t v = 0;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v)) return std::nullopt;
  return v;
}

namespace {

// "key value" lines (memory.stat, cpu.stat).
absl::flat_hash_map<std::string, uint64_t> ReadKeyValues(const std::string& path) {
  absl::flat_hash_map<std::string, uint64_t> out;
  std::optional<std::string> text = ReadFile(path);
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
  std::optional<std::string> text = ReadFile(path);
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
  return CgroupPaths{.cpuacct = path, .memory = path, .pids = path, .unified = path};
}

absl::StatusOr<CgroupPaths> ProcessCgroup(int pid, const std::string& proc) {
  const std::string file = absl::StrCat(proc, "/", pid, "/cgroup");
  std::optional<std::string> text = ReadFile(file);
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
    }
  }
  // cgroup v2: every controller in the one tree.
  if (out.cpuacct.empty()) out.cpuacct = out.unified;
  if (out.memory.empty()) out.memory = out.unified;
  if (out.pids.empty()) out.pids = out.unified;
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
      std::optional<std::string> now = ReadFile(mine);
      if (!now || !absl::StripAsciiWhitespace(*now).empty()) continue;
      if (std::optional<std::string> parent =
              ReadFile(absl::StrCat(fs::path(dir).parent_path().string(), "/", file))) {
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
    if (std::optional<std::string> text = ReadFile(dir + "/cgroup.procs")) {
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

}  // namespace cubelet::stats
