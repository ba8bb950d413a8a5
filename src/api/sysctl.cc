#include "api/sysctl.h"

#include <string>
#include <utility>

namespace cubelet::api {

std::string NormalizeSysctlName(std::string name) {
  const size_t first = name.find_first_of("./");
  if (first == std::string::npos || name[first] == '.') return name;
  for (char& c : name) {
    if (c == '.') {
      c = '/';
    } else if (c == '/') {
      c = '.';
    }
  }
  return name;
}

std::string_view SysctlNamespace(std::string name) {
  std::string normalized = NormalizeSysctlName(std::move(name));
  if (size_t star = normalized.find('*'); star != std::string::npos) normalized.resize(star);
  static constexpr std::pair<std::string_view, std::string_view> kByName[] = {
      {"kernel.domainname", "UTS"}, {"kernel.sem", "IPC"},    {"kernel.shmall", "IPC"},
      {"kernel.shmmax", "IPC"},     {"kernel.shmmni", "IPC"}, {"kernel.shm_rmid_forced", "IPC"},
      {"kernel.shm", "IPC"},        {"kernel.msgmax", "IPC"}, {"kernel.msgmnb", "IPC"},
      {"kernel.msgmni", "IPC"},     {"kernel.msg", "IPC"},
  };
  for (const auto& [known, ns] : kByName) {
    if (normalized == known) return ns;
  }
  static constexpr std::pair<std::string_view, std::string_view> kByPrefix[] = {
      {"net.", "Net"}, {"fs.mqueue.", "IPC"}, {"user.", "User"}};
  for (const auto& [prefix, ns] : kByPrefix) {
    if (normalized.starts_with(prefix)) return ns;
  }
  return {};
}

}  // namespace cubelet::api
