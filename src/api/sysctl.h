// Sysctl names as the kubelet and the API server read them (component-helpers
// node/util/sysctl): the slash form normalized to the dotted one, and the
// Linux namespace a sysctl belongs to. Validation (hostNetwork/hostIPC
// conflicts) and the kubelet's sysctl admission both ask here.
//
// Pure functions; thread-safe.
#ifndef CUBELET_API_SYSCTL_H_
#define CUBELET_API_SYSCTL_H_

#include <string>
#include <string_view>

namespace cubelet::api {

// net/ipv4/conf/eno2.100/rp_filter -> net.ipv4.conf.eno2/100.rp_filter
// (NormalizeName): when '/' comes first the separators swap; else unchanged.
std::string NormalizeSysctlName(std::string name);

// "IPC", "Net", "UTS" or "User" for a sysctl name or pattern, normalized and
// cut at its '*' first; empty when none is known (GetNamespace).
std::string_view SysctlNamespace(std::string name);

}  // namespace cubelet::api

#endif  // CUBELET_API_SYSCTL_H_
