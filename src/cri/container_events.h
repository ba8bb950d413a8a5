// ContainerEventSource: the runtime telling cubelet that a container started,
// exited, was OOM-killed or was deleted, as it happens, instead of cubelet
// finding out by listing (the relisting PLEG). Implementations:
// CriEventSource (the CRI's GetContainerEvents, containerd >= 1.7 and CRI-O),
// containerd::ContainerdEventSource (containerd's own events service, which
// containerd 1.6 has while its CRI lacks GetContainerEvents), and
// testing::FakeContainerEventSource (scripted streams: duplicates, reordering,
// breaks).
//
// Events are hints, in the order the runtime published them: a consumer
// re-reads the runtime's status of the container's pod, and an event may name
// a container it never heard of (not created by it, or whose create call has
// not returned yet).
//
// Thread-safety: Watch may run on any thread, one call at a time per source;
// `on_ready` and `on_event` run on the calling thread.
#ifndef CUBELET_CRI_CONTAINER_EVENTS_H_
#define CUBELET_CRI_CONTAINER_EVENTS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "util/cancellation.h"

namespace cubelet::cri {

struct ContainerEvent {
  enum class Type {
    kStarted,    // the container's (or sandbox's) process runs
    kExited,     // its process exited; exit_code set
    kOomKilled,  // the OOM killer hit it (its exit follows)
    kDeleted,    // the runtime forgot it
  };
  Type type = Type::kStarted;
  // The CRI id of the container or of the pod sandbox.
  std::string container_id;
  std::optional<int32_t> exit_code;
  // When it happened, by the runtime's clock (InfinitePast when unknown).
  absl::Time at = absl::InfinitePast();

  bool operator==(const ContainerEvent&) const = default;
};

const char* ToString(ContainerEvent::Type type);

class ContainerEventSource {
 public:
  virtual ~ContainerEventSource() = default;

  // Streams events until `cancel` fires or the stream breaks. `on_ready` runs
  // once the subscription is live: from then on nothing is missed until
  // Watch returns, so a consumer that relists in on_ready has seen
  // everything. Returns Cancelled once cancelled, Unimplemented when the
  // runtime has no such stream (the caller falls back), and otherwise why
  // the stream ended (the caller relists and watches again).
  virtual absl::Status Watch(const CancelTokenPtr& cancel, const std::function<void()>& on_ready,
                             const std::function<void(const ContainerEvent&)>& on_event) = 0;

  // For logs and /metrics: "containerd events", "in-memory", ...
  virtual std::string Name() const = 0;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_CONTAINER_EVENTS_H_
