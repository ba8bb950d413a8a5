// ContainerdEventSource: a cri::ContainerEventSource over containerd's own
// events service (containerd.services.events.v1.Events/Subscribe on the
// socket that also serves the CRI). containerd 1.6, Debian 12's, publishes
// /tasks/start, /tasks/exit, /tasks/oom and /containers/delete for every CRI
// container and sandbox in namespace "k8s.io", while its CRI plugin does not
// implement GetContainerEvents.
//
// A subscription in containerd sends nothing back until the first event, so
// to know when it is live (cri::ContainerEventSource's on_ready promise) the
// source publishes a marker event (topic /cubelet/subscribed, a payload
// unique to the call) and calls on_ready when its own marker comes back.
// Exec processes' exits (probes, kubectl exec) are not container exits and
// are dropped here.
//
// Ownership: owns its gRPC channel. Thread-safety: Watch runs one call at a
// time (cancel it from any thread through the token); Name from any thread.
#ifndef CUBELET_CRI_CONTAINERD_CONTAINERD_EVENTS_H_
#define CUBELET_CRI_CONTAINERD_CONTAINERD_EVENTS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/container_events.h"

namespace containerd::services::events::v1 {
class Envelope;
}  // namespace containerd::services::events::v1

namespace cubelet::cri::containerd {

struct ContainerdEventSourceOptions {
  // The containerd namespace the CRI plugin keeps its containers in.
  std::string namespace_ = "k8s.io";
  // How long to wait for the marker before declaring the stream live anyway
  // (a containerd that refuses Publish); the relist covers the gap.
  absl::Duration ready_timeout = absl::Seconds(2);
};

// The ContainerEvent an envelope carries, or nullopt for events of other
// topics or namespaces and for exec processes. Exposed for tests.
std::optional<ContainerEvent> DecodeEnvelope(
    const ::containerd::services::events::v1::Envelope& envelope, const std::string& namespace_);

class ContainerdEventSource final : public ContainerEventSource {
 public:
  using Options = ContainerdEventSourceOptions;

  // `endpoint` is containerd's socket ("unix:///run/containerd/containerd.sock"
  // or a bare path). Does not dial.
  static absl::StatusOr<std::unique_ptr<ContainerdEventSource>> Connect(const std::string& endpoint,
                                                                        Options options = {});
  ~ContainerdEventSource() override;

  absl::Status Watch(const CancelTokenPtr& cancel, const std::function<void()>& on_ready,
                     const std::function<void(const ContainerEvent&)>& on_event) override;
  std::string Name() const override { return "containerd events"; }

 private:
  struct Stubs;
  ContainerdEventSource(Options options, std::unique_ptr<Stubs> stubs);

  const Options options_;
  std::unique_ptr<Stubs> stubs_;
};

}  // namespace cubelet::cri::containerd

#endif  // CUBELET_CRI_CONTAINERD_CONTAINERD_EVENTS_H_
