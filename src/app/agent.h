// Agent: the node agent's parts wired together (upstream cmd/kubelet/app's
// RunKubelet over kubelet.Dependencies): the CRI client behind the metrics
// decorators -> kubelet::Kubelet <- config::PodConfig <- the file and HTTP
// sources; the read-only HTTP API reads the Kubelet, whose health includes
// the file source's. main.cc keeps only flags and signals; tests build an
// Agent over the in-memory CRI.
//
// Ownership: owns every part; borrows what AgentDeps holds.
// Thread-safety: Create, Start and Stop from one thread; kubelet() and
// server_port() from any thread while the agent lives.
#ifndef CUBELET_APP_AGENT_H_
#define CUBELET_APP_AGENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "app/options.h"
#include "client/api_client.h"
#include "cri/container_events.h"
#include "cri/runtime_service.h"
#include "kubelet/kubelet.h"
#include "util/clock.h"

namespace cubelet::app {

struct AgentDeps {
  // The runtime to drive; null connects to options.container_runtime_endpoint
  // over gRPC. Borrowed.
  cri::RuntimeService* runtime_service = nullptr;
  cri::ImageService* image_service = nullptr;
  Clock* clock = nullptr;  // RealClock when null
  std::string host_ip;     // detected from the routing table when empty
  bool manage_host_state = true;
  // Cluster mode over this client instead of one built from --kubeconfig
  // (tests pass a fake). Borrowed.
  client::ApiClient* api_client = nullptr;
  // Container event streams to drive the PLEG from, before containerd's own
  // (which is used when the runtime is containerd over gRPC and
  // --runtime-events is on). Borrowed.
  std::vector<cri::ContainerEventSource*> event_sources;
};

class Agent {
 public:
  // Builds every part (connecting to the runtime unless deps give one);
  // errors name the flag at fault.
  static absl::StatusOr<std::unique_ptr<Agent>> Create(const AgentOptions& options,
                                                       AgentDeps deps = {});
  ~Agent();  // Stop()s

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Binds the read-only API, then starts the Kubelet and the sources.
  absl::Status Start();
  // Stops the sources, the API, the Kubelet and the worker pools, in that
  // order; pods keep running. May wait for hooks and stops in flight:
  // callers that must not (SIGTERM) bound it. Idempotent.
  void Stop();

  kubelet::Kubelet& kubelet() { return *kubelet_; }
  int server_port() const;  // 0 when the API is off
  int secure_port() const;  // the kubelet server's; 0 when off

 private:
  struct Parts;
  explicit Agent(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
  kubelet::Kubelet* kubelet_ = nullptr;  // in parts_
  bool stopped_ = false;
};

// The IPv4 address of the interface that holds the default route, else the
// first non-loopback one (the kubelet's node InternalIP, shown as hostIP).
std::string DetectHostIp();

}  // namespace cubelet::app

#endif  // CUBELET_APP_AGENT_H_
