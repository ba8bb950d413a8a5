// The process collector: client_golang's process metrics from /proc/self.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "metrics/registry.h"

namespace cubelet::metrics {
namespace {

std::optional<std::string> ReadWholeFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// /proc/self/stat, the fields after "pid (comm)" (man 5 proc).
struct ProcStat {
  uint64_t utime_ticks = 0;      // field 14
  uint64_t stime_ticks = 0;      // field 15
  int64_t num_threads = 0;       // field 20
  uint64_t starttime_ticks = 0;  // field 22, since boot
  uint64_t vsize_bytes = 0;      // field 23
  int64_t rss_pages = 0;         // field 24
};

std::optional<ProcStat> ReadProcStat() {
  std::optional<std::string> text = ReadWholeFile("/proc/self/stat");
  if (!text) return std::nullopt;
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  size_t paren = text->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::vector<std::string> f =
      absl::StrSplit(text->substr(paren + 1), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  // f[0] is field 3 (state), so field n is f[n - 3].
  if (f.size() < 22) return std::nullopt;
  ProcStat s;
  if (!absl::SimpleAtoi(f[11], &s.utime_ticks) || !absl::SimpleAtoi(f[12], &s.stime_ticks) ||
      !absl::SimpleAtoi(f[17], &s.num_threads) || !absl::SimpleAtoi(f[19], &s.starttime_ticks) ||
      !absl::SimpleAtoi(f[20], &s.vsize_bytes) || !absl::SimpleAtoi(f[21], &s.rss_pages)) {
    return std::nullopt;
  }
  return s;
}

std::optional<double> BootTimeSeconds() {
  std::optional<std::string> text = ReadWholeFile("/proc/stat");
  if (!text) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double v;
      if (absl::SimpleAtod(line, &v)) return v;
    }
  }
  return std::nullopt;
}

double TicksPerSecond() {
  long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : 100.0;
}

std::optional<double> OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  const std::string own = std::to_string(::dirfd(dir));
  double n = 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.' || own == e->d_name) continue;
    ++n;
  }
  ::closedir(dir);
  return n;
}

Registry::Samples One(std::optional<double> v) {
  if (!v) return {};
  return {{{}, *v}};
}

}  // namespace

void RegisterProcessMetrics(Registry* registry) {
  registry->NewCounterFunc(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {}, [] {
        std::optional<ProcStat> s = ReadProcStat();
        if (!s) return Registry::Samples{};
        return One(static_cast<double>(s->utime_ticks + s->stime_ticks) / TicksPerSecond());
      });
  registry->NewGaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.", {}, [] {
    std::optional<ProcStat> s = ReadProcStat();
    if (!s) return Registry::Samples{};
    return One(static_cast<double>(s->rss_pages) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  });
  registry->NewGaugeFunc("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, [] {
    std::optional<ProcStat> s = ReadProcStat();
    if (!s) return Registry::Samples{};
    return One(static_cast<double>(s->vsize_bytes));
  });
  registry->NewGaugeFunc(
      "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", {},
      [] {
        std::optional<ProcStat> s = ReadProcStat();
        std::optional<double> boot = BootTimeSeconds();
        if (!s || !boot) return Registry::Samples{};
        return One(*boot + static_cast<double>(s->starttime_ticks) / TicksPerSecond());
      });
  registry->NewGaugeFunc("process_open_fds", "Number of open file descriptors.", {},
                         [] { return One(OpenFds()); });
  registry->NewGaugeFunc("process_max_fds", "Maximum number of open file descriptors.", {}, [] {
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return Registry::Samples{};
    return One(rl.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(rl.rlim_cur));
  });
  registry->NewGaugeFunc("process_threads", "Number of OS threads in the process.", {}, [] {
    std::optional<ProcStat> s = ReadProcStat();
    if (!s) return Registry::Samples{};
    return One(static_cast<double>(s->num_threads));
  });
}

}  // namespace cubelet::metrics
