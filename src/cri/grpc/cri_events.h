// CriEventSource: a cri::ContainerEventSource over the CRI's own event stream,
// RuntimeService/GetContainerEvents (the call behind the kubelet's evented
// PLEG), which containerd >= 1.7 and CRI-O implement and containerd 1.6 does
// not: there the call fails with Unimplemented at once, and the evented PLEG
// moves on to the next source (containerd's events service).
//
// CONTAINER_STARTED becomes kStarted, CONTAINER_STOPPED kExited with the exit
// code from the event's container status (preceded by kOomKilled when its
// reason is "OOMKilled"), CONTAINER_DELETED kDeleted; CONTAINER_CREATED says
// nothing a PLEG acts on and is dropped.
//
// A CRI stream sends nothing back until the first event, so "live" is
// declared once the call has stood for Options::ready_after without failing:
// a runtime that lacks the call refuses it well within that, and one that has
// it subscribes as the call arrives.
//
// Ownership: owns its gRPC channel. Thread-safety: Watch runs one call at a
// time (cancel it from any thread through the token); Name from any thread.
#ifndef CUBELET_CRI_GRPC_CRI_EVENTS_H_
#define CUBELET_CRI_GRPC_CRI_EVENTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/container_events.h"
#include "util/cancellation.h"

namespace runtime::v1 {
class ContainerEventResponse;
}  // namespace runtime::v1

namespace cubelet::cri {

struct CriEventSourceOptions {
  absl::Duration ready_after = absl::Milliseconds(200);
};

// The events one CRI event response stands for (none, one, or an OOM kill
// and its exit). Exposed for tests.
std::vector<ContainerEvent> DecodeContainerEventResponse(
    const ::runtime::v1::ContainerEventResponse& response);

class CriEventSource final : public ContainerEventSource {
 public:
  using Options = CriEventSourceOptions;

  // `endpoint`: the CRI socket, as for GrpcRuntime::Connect. Does not dial.
  static absl::StatusOr<std::unique_ptr<CriEventSource>> Connect(const std::string& endpoint,
                                                                 Options options = {});
  ~CriEventSource() override;

  absl::Status Watch(const CancelTokenPtr& cancel, const std::function<void()>& on_ready,
                     const std::function<void(const ContainerEvent&)>& on_event) override;
  std::string Name() const override { return "CRI GetContainerEvents"; }

 private:
  struct Stubs;
  CriEventSource(Options options, std::unique_ptr<Stubs> stubs);

  const Options options_;
  std::unique_ptr<Stubs> stubs_;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_GRPC_CRI_EVENTS_H_
