// The kubelet's security admit handlers, which run beside the predicate
// checks (predicate.h calls them in upstream's order):
//
//  - the sysctl allowlist (pkg/kubelet/sysctl): every spec.securityContext
//    sysctl must be a safe one (namespaced and isolated: the kubelet's fixed
//    list) or match --allowed-unsafe-sysctls; a safe sysctl of a namespace
//    the pod shares with the host (hostNetwork, hostIPC, host users) is not
//    allowed either. Refusal: reason SysctlForbidden.
//  - AppArmor (lifecycle appArmorAdmitHandler): a pod that asks for an
//    AppArmor profile other than Unconfined (field or the deprecated
//    annotation) on a host without AppArmor is refused: reason AppArmor.
//
// Pure functions over values (HostAppArmorEnabled reads /sys once per call);
// safe from any thread.
#ifndef CUBELET_LIFECYCLE_SECURITY_ADMISSION_H_
#define CUBELET_LIFECYCLE_SECURITY_ADMISSION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/pod.h"

namespace cubelet::lifecycle {

// OK if every pattern (a sysctl name, or a prefix ending in '*') is valid and
// known to be namespaced; otherwise the kubelet's error for the first bad one.
absl::Status ValidateUnsafeSysctlPatterns(const std::vector<std::string>& patterns);

// Why the pod's sysctls are forbidden ("forbidden sysctl: ..."), or nullopt.
std::optional<std::string> ForbiddenSysctl(const api::Pod& pod,
                                           const std::vector<std::string>& allowed_unsafe);

// Whether the pod needs AppArmor (upstream apparmor isRequired).
bool RequiresAppArmor(const api::Pod& pod);

// The profile a container runs with: its own, the deprecated annotation's,
// then the pod's (upstream apparmor.GetProfile); nullopt: the runtime's
// default.
std::optional<api::AppArmorProfile> AppArmorProfileFor(const api::Pod& pod,
                                                       const api::Container& container);

// Whether the kernel has AppArmor enabled (/sys/module/apparmor).
bool HostAppArmorEnabled();

}  // namespace cubelet::lifecycle

#endif  // CUBELET_LIFECYCLE_SECURITY_ADMISSION_H_
