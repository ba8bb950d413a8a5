// TCP connect checks (the kubelet's pkg/probe/tcp): success when a connection
// to host:port is established within the timeout; it is closed at once.
//
// Thread-safety: stateless; call from any thread. Blocks for at most `timeout`.
#ifndef CUBELET_PROBE_TCP_H_
#define CUBELET_PROBE_TCP_H_

#include <string>

#include "absl/time/time.h"
#include "probe/probe.h"

namespace cubelet::probe {

Outcome TcpConnect(const std::string& host, int port, absl::Duration timeout);

}  // namespace cubelet::probe

#endif  // CUBELET_PROBE_TCP_H_
