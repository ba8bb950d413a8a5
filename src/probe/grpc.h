// gRPC health checks (the kubelet's pkg/probe/grpc): calls
// grpc.health.v1.Health/Check on host:port over plaintext with the given
// service name; success only when the server answers SERVING.
//
// Thread-safety: stateless; call from any thread. Blocks for at most `timeout`.
#ifndef CUBELET_PROBE_GRPC_H_
#define CUBELET_PROBE_GRPC_H_

#include <string>

#include "absl/time/time.h"
#include "probe/probe.h"

namespace cubelet::probe {

Outcome GrpcHealthCheck(const std::string& host, int port, const std::string& service,
                        absl::Duration timeout);

}  // namespace cubelet::probe

#endif  // CUBELET_PROBE_GRPC_H_
