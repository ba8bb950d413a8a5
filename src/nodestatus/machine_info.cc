#include "nodestatus/machine_info.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lifecycle/predicate.h"

namespace cubelet::nodestatus {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (absl::ConsumePrefix(&v, "PRETTY_NAME=")) {
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
        v = v.substr(1, v.size() - 2);
      }
      return std::string(v);
    }
  }
  return "Linux";
}

int64_t MemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (!absl::ConsumePrefix(&v, "MemTotal:")) continue;
    v = absl::StripAsciiWhitespace(v);
    absl::ConsumeSuffix(&v, " kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(v, &kb)) return kb * 1024;
  }
  return 0;
}

}  // namespace

MachineInfo ReadMachineInfo(const std::string& root_dir) {
  MachineInfo info;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) info.hostname = absl::AsciiStrToLower(host);
  info.machine_id = ReadFirstLine("/etc/machine-id");
  info.system_uuid = ReadFirstLine("/sys/class/dmi/id/product_uuid");
  info.boot_id = ReadFirstLine("/proc/sys/kernel/random/boot_id");
  struct utsname uts = {};
  if (uname(&uts) == 0) info.kernel_version = uts.release;
  info.os_image = OsImage();
  info.architecture = lifecycle::GoArch();
  info.num_cores = static_cast<int64_t>(std::thread::hardware_concurrency());
  info.memory_capacity = MemTotal();
  struct statvfs fs = {};
  for (std::string dir = root_dir; !dir.empty();) {
    if (statvfs(dir.c_str(), &fs) == 0) {
      info.ephemeral_storage =
          static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
      break;
    }
    const size_t slash = dir.find_last_of('/');
    dir = slash == 0 ? (dir == "/" ? "" : "/")
                     : dir.substr(0, slash == std::string::npos ? 0 : slash);
  }
  return info;
}

}  // namespace cubelet::nodestatus
