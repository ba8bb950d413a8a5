// The pod lifecycle event generator interface (the kubelet's
// pkg/kubelet/pleg/pleg.go): what a PLEG emits (PodLifecycleEvent), the
// bounded queue the events go to (EventChannel), and the interface every
// generator implements (PodLifecycleEventGenerator).
//
// A generator owns no consumer: it writes the pod status cache first and then
// pushes events into an EventChannel it does not own, so the consumer (the
// sync loop) always finds a cache entry at least as fresh as the event. Any
// number of generators may share one channel and one cache (the periodic
// relister and, later, an event-driven source fed by containerd's events),
// because the cache keeps the newest observation and the channel is
// multi-producer.
//
// Thread-safety: EventChannel may be used from any number of threads.
// PodLifecycleEvent is a plain value.
#ifndef CUBELET_PLEG_PLEG_H_
#define CUBELET_PLEG_PLEG_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cubelet::pleg {

enum class PodLifeCycleEventType {
  kContainerStarted,  // a container (or sandbox) is now running
  kContainerDied,     // a container (or sandbox) is now exited
  kContainerRemoved,  // an exited container (or sandbox) is gone
  kPodSync,           // sync the pod; the change could not be pinned to one container
  kContainerChanged,  // a container went to an unknown state; never delivered
};

// The kubelet's names ("ContainerStarted", ...), for logs.
const char* ToString(PodLifeCycleEventType type);

struct PodLifecycleEvent {
  std::string pod_uid;
  PodLifeCycleEventType type = PodLifeCycleEventType::kPodSync;
  std::string container_id;  // runtime id of the container or sandbox; may be empty
  // For kContainerDied of a container the inspection saw: its exit code.
  // Informational (logs); consumers re-read the cache for decisions.
  std::optional<int32_t> exit_code;

  bool operator==(const PodLifecycleEvent&) const = default;
};

// A bounded multi-producer queue of events: the kubelet's buffered channel
// (capacity plegChannelCapacity = 1000). Producers never block: a push into a
// full queue drops the event and counts it, because a stalled consumer must
// not stall relisting (and with it the cache the consumer reads). Dropped
// events are safe to lose: the periodic sync re-reads the cache.
class EventChannel {
 public:
  static constexpr size_t kDefaultCapacity = 1000;

  explicit EventChannel(size_t capacity = kDefaultCapacity);

  EventChannel(const EventChannel&) = delete;
  EventChannel& operator=(const EventChannel&) = delete;

  // Enqueues `event`; false (and counted in dropped()) when full; false (not
  // counted) once closed.
  bool TryPush(PodLifecycleEvent event);
  std::optional<PodLifecycleEvent> TryPop();
  // Waits up to `timeout` (real time) for an event; nullopt on timeout, or
  // once closed and drained.
  std::optional<PodLifecycleEvent> Pop(absl::Duration timeout);
  // Wakes every waiting Pop and refuses further pushes; queued events can
  // still be popped. For shutting the consumer down.
  void Close();

  size_t size() const;
  size_t capacity() const { return capacity_; }
  // Events refused because the queue was full (the kubelet's
  // pleg_discard_events metric).
  uint64_t dropped() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::deque<PodLifecycleEvent> queue_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
};

class PodLifecycleEventGenerator {
 public:
  virtual ~PodLifecycleEventGenerator() = default;

  // Begins producing events in the background; idempotent.
  virtual void Start() = 0;
  // Stops producing; returns once no more events will come from it. Idempotent.
  virtual void Stop() = 0;
  // OK while the generator keeps up with the runtime; otherwise why not
  // (the kubelet reports the node NotReady and pauses pod syncs).
  virtual absl::Status Healthy() const = 0;
};

}  // namespace cubelet::pleg

#endif  // CUBELET_PLEG_PLEG_H_
