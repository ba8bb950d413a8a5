#include "lifecycle/security_admission.h"

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/sysctl.h"

namespace cubelet::lifecycle {
namespace {

constexpr char kAppArmorAnnotationPrefix[] = "container.apparmor.security.beta.kubernetes.io/";

// The kubelet's safe sysctls (pkg/kubelet/sysctl SafeSysctlAllowlist); the
// kernel versions some need are all older than Debian 12's.
const std::vector<std::string>& SafeSysctls() {
  static const auto* const kSafe = new std::vector<std::string>{
      "kernel.shm_rmid_forced",
      "net.ipv4.ip_local_port_range",
      "net.ipv4.tcp_syncookies",
      "net.ipv4.ping_group_range",
      "net.ipv4.ip_unprivileged_port_start",
      "net.ipv4.ip_local_reserved_ports",
      "net.ipv4.tcp_keepalive_time",
      "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_keepalive_intvl",
      "net.ipv4.tcp_keepalive_probes",
      "net.ipv4.tcp_rmem",
      "net.ipv4.tcp_wmem",
      "net.ipv4.tcp_slow_start_after_idle",
      "net.ipv4.tcp_notsent_lowat",
  };
  return *kSafe;
}

}  // namespace

absl::Status ValidateUnsafeSysctlPatterns(const std::vector<std::string>& patterns) {
  // policy validation IsValidSysctlPattern (with '/' allowed).
  static const std::regex kPattern(
      R"(^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]$)");
  for (const std::string& p : patterns) {
    if (p.size() > 253 || !std::regex_match(p, kPattern)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sysctl \"", p,
                       "\" must have at most 253 characters and match regex "
                       "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"));
    }
    std::string name = api::NormalizeSysctlName(p);
    if (size_t star = name.find('*'); star != std::string::npos) name.resize(star);
    if (api::SysctlNamespace(p).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the sysctls \"", name, "\" are not known to be namespaced"));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> ForbiddenSysctl(const api::Pod& pod,
                                           const std::vector<std::string>& allowed_unsafe) {
  if (!pod.spec.security_context.has_value()) return std::nullopt;
  const bool host_users = pod.spec.host_users.value_or(true);
  for (const api::Sysctl& s : pod.spec.security_context->sysctls) {
    const std::string name = api::NormalizeSysctlName(s.name);
    bool allowed = false;
    for (const std::string& safe : SafeSysctls()) allowed = allowed || safe == name;
    for (const std::string& pattern : allowed_unsafe) {
      std::string p = api::NormalizeSysctlName(pattern);
      if (size_t star = p.find('*'); star != std::string::npos) {
        allowed = allowed || absl::StartsWith(name, p.substr(0, star));
      } else {
        allowed = allowed || p == name;
      }
    }
    if (!allowed) return absl::StrCat("forbidden sysctl: \"", name, "\" not allowlisted");
    // Even an allowed sysctl may not change a namespace shared with the host.
    const std::string ns(api::SysctlNamespace(name));
    if ((ns == "IPC" && pod.spec.host_ipc) || (ns == "Net" && pod.spec.host_network) ||
        (ns == "User" && host_users)) {
      return absl::StrCat("forbidden sysctl: \"", name, "\" not allowed with host ", ns,
                          " enabled");
    }
  }
  return std::nullopt;
}

bool RequiresAppArmor(const api::Pod& pod) {
  auto confines = [](const std::optional<api::AppArmorProfile>& p) {
    return p.has_value() && p->type != api::kSeccompUnconfined;
  };
  if (pod.spec.security_context.has_value() &&
      confines(pod.spec.security_context->app_armor_profile)) {
    return true;
  }
  for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const api::Container& c : *list) {
      if (c.security_context.has_value() && confines(c.security_context->app_armor_profile)) {
        return true;
      }
    }
  }
  // As upstream: the first annotation found decides.
  for (const auto& [key, value] : pod.metadata.annotations) {
    if (absl::StartsWith(key, kAppArmorAnnotationPrefix)) return value != "unconfined";
  }
  return false;
}

std::optional<api::AppArmorProfile> AppArmorProfileFor(const api::Pod& pod,
                                                       const api::Container& container) {
  if (container.security_context.has_value() &&
      container.security_context->app_armor_profile.has_value()) {
    return container.security_context->app_armor_profile;
  }
  if (auto it = pod.metadata.annotations.find(kAppArmorAnnotationPrefix + container.name);
      it != pod.metadata.annotations.end()) {
    const std::string& v = it->second;
    if (v == "runtime/default") return api::AppArmorProfile{.type = api::kSeccompRuntimeDefault};
    if (v == "unconfined") return api::AppArmorProfile{.type = api::kSeccompUnconfined};
    if (absl::StartsWith(v, "localhost/")) {
      return api::AppArmorProfile{.type = api::kSeccompLocalhost,
                                  .localhost_profile = v.substr(10)};
    }
    return std::nullopt;  // unknown: ignored, as upstream
  }
  if (pod.spec.security_context.has_value()) return pod.spec.security_context->app_armor_profile;
  return std::nullopt;
}

bool HostAppArmorEnabled() {
  struct stat st;
  if (::stat("/sys/kernel/security/apparmor", &st) != 0) return false;
  std::ifstream in("/sys/module/apparmor/parameters/enabled");
  std::string value;
  return static_cast<bool>(std::getline(in, value)) && !value.empty() && value[0] == 'Y';
}

}  // namespace cubelet::lifecycle
