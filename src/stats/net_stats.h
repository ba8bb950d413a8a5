// Network interface counters for /stats/summary and /metrics/cadvisor, from /proc/<pid>/net/dev
// (the network namespace of that process: a pod's, or the host's).
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_STATS_NET_STATS_H_
#define CUBELET_STATS_NET_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cubelet::stats {

struct InterfaceStats {
  std::string name;
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

// The interfaces of a net/dev file, in its order, without the ones cAdvisor
// leaves out (loopback, the host ends of veth pairs).
std::vector<InterfaceStats> ParseNetDev(absl::string_view text);

// ParseNetDev of `proc`/<pid>/net/dev; the error names the file.
absl::StatusOr<std::vector<InterfaceStats>> ReadNetDev(int pid, const std::string& proc = "/proc");

// The interface the summary names ("eth0", as the kubelet's default).
inline constexpr char kDefaultInterface[] = "eth0";

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_NET_STATS_H_
