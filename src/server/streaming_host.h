// StreamingHost: what the kubelet server asks the agent for exec, attach,
// port-forward and run (upstream server.HostInterface's streaming part). The
// agent implements it over the Kubelet; tests use FakeStreamingHost
// (server/fake_streaming_host.h).
//
// Thread-safety: implementations must be safe to call from any thread.
#ifndef CUBELET_SERVER_STREAMING_HOST_H_
#define CUBELET_SERVER_STREAMING_HOST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/types.h"

namespace cubelet::server {

// /exec/{namespace}/{pod}[/{uid}]/{container}
struct ContainerRef {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;  // empty: any
  std::string container;
};

class StreamingHost {
 public:
  virtual ~StreamingHost() = default;
  // The runtime's streaming URL for the session; NotFound when the pod or
  // its running container is not there.
  virtual absl::StatusOr<std::string> GetExec(const ContainerRef& ref,
                                              const std::vector<std::string>& cmd,
                                              const cri::StreamOptions& streams) = 0;
  virtual absl::StatusOr<std::string> GetAttach(const ContainerRef& ref,
                                                const cri::StreamOptions& streams) = 0;
  // ref.container is empty.
  virtual absl::StatusOr<std::string> GetPortForward(const ContainerRef& ref,
                                                     const std::vector<int32_t>& ports) = 0;
  // Runs `cmd` to completion: its stdout then stderr.
  virtual absl::StatusOr<std::string> RunInContainer(const ContainerRef& ref,
                                                     const std::vector<std::string>& cmd) = 0;
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_STREAMING_HOST_H_
