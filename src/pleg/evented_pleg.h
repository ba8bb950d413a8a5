// EventedPleg: the pod lifecycle event generator driven by the runtime's
// event stream (the kubelet's EventedPLEG, pkg/kubelet/pleg/evented.go, but
// over any cri::ContainerEventSource, so it runs on containerd 1.6 through
// containerd's own events service). A container's start, exit, OOM kill or
// removal makes it re-read just that container's pod
// (GenericPleg::RelistPod), which updates the cache and emits the same
// PodLifecycleEvents a relist would, milliseconds after the fact instead of
// up to a relist period later.
//
// The GenericPleg stays as the safety net: while the stream is live its
// period is loosened to `relist_period` (the kubelet uses 300 s); whenever
// the stream is not live it relists at its normal period, and each time a
// stream becomes live (first start, after a containerd restart) it relists
// at once, so an exit that happened during the outage is still reported.
//
// Events are hints: the runtime's CRI view of a container can lag the event
// (containerd publishes /tasks/exit before its CRI plugin marks the container
// exited), so an event whose change the re-read does not show yet is retried
// (every 5 ms for 250 ms, then doubling) until it shows or `settle_timeout` passes. Events for ids
// the relist never saw (a container whose create call has not returned yet)
// are resolved through `resolve_pod`; ids that resolve to nothing (another
// client's containers, already removed ones) are dropped.
//
// While the stream is live and no event is waiting, the whole cache is
// marked fresh every `cache_update_period` (what the relist did), so pod
// workers waiting for a status newer than their last sync go on.
//
// Ownership: borrows the sources, the GenericPleg, the cache and the clock
// (all must outlive it); owns its two threads (stream, processing).
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_PLEG_EVENTED_PLEG_H_
#define CUBELET_PLEG_EVENTED_PLEG_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "container/pod_cache.h"
#include "container/runtime_types.h"
#include "cri/container_events.h"
#include "pleg/generic_pleg.h"
#include "pleg/pleg.h"
#include "util/cancellation.h"
#include "util/clock.h"

namespace cubelet::pleg {

struct EventedPlegOptions {
  // The relist's period and threshold while the stream is live (the safety
  // net), and when it is not (the relist is then the only source).
  absl::Duration relist_period = absl::Seconds(60);
  absl::Duration relist_threshold = absl::Minutes(5);
  absl::Duration fallback_relist_period = absl::Seconds(1);
  absl::Duration fallback_relist_threshold = absl::Minutes(3);
  // How often the cache is marked fresh while the stream is live and idle.
  absl::Duration cache_update_period = absl::Seconds(1);
  // A start is handled this long after it arrives: by then the pod worker
  // that started the container has usually read the pod back into the
  // cache, and that read serves instead of another one (starts wake no one;
  // exits are handled at once).
  absl::Duration start_delay = absl::Milliseconds(200);
  // How long an event's change may take to show in the runtime's status.
  absl::Duration settle_timeout = absl::Seconds(2);
  // Back-off between attempts to (re)open a broken stream.
  absl::Duration retry_initial = absl::Milliseconds(100);
  absl::Duration retry_max = absl::Seconds(5);
  // The pod (uid, name, namespace) of a container or sandbox id the relist
  // has not seen; NotFound when the runtime knows no such id (or it is not
  // a pod's). Null: such events are dropped.
  std::function<absl::StatusOr<container::Pod>(const std::string& id)> resolve_pod;
  // Told of every event as it arrives, before the pod is re-read
  // (RuntimeManager::NoteRuntimeEvent, so the re-read shows an exit the
  // CRI has not caught up with). On the stream's thread; must not block.
  std::function<void(const cri::ContainerEvent&)> on_event;
  // Diagnostics (stream up/down, dropped events). Null: discarded.
  std::function<void(std::string_view)> log;
};

// Counters for /metrics.
struct EventedPlegStats {
  std::string source;          // the source in use ("containerd events"), empty if none
  bool live = false;           // the stream is live now
  uint64_t events = 0;         // events received
  uint64_t stream_starts = 0;  // streams that became live
  uint64_t stream_breaks = 0;  // streams that ended other than by Stop
  uint64_t pod_reads = 0;      // targeted re-reads of one pod
  uint64_t cache_hits = 0;     // events settled by a status already in the cache
  uint64_t unresolved = 0;     // events dropped: id of no known pod
  uint64_t unsettled = 0;      // events whose change never showed within settle_timeout
  uint64_t yields = 0;         // batches cut short so that an exit that came meanwhile goes first
};

class EventedPleg final : public PodLifecycleEventGenerator {
 public:
  using Options = EventedPlegOptions;

  // `sources` are tried in order at start: the first whose Watch does not
  // answer Unimplemented is used for good. None usable: the relist alone.
  EventedPleg(std::vector<cri::ContainerEventSource*> sources, GenericPleg* relister,
              container::PodCache* cache, const Clock* clock, Options options = {});
  ~EventedPleg() override;

  EventedPleg(const EventedPleg&) = delete;
  EventedPleg& operator=(const EventedPleg&) = delete;

  void Start() override;
  void Stop() override;
  // Unhealthy when an event has waited longer than fallback_relist_threshold
  // to be processed (the processing thread is stuck); a broken stream is
  // not unhealthy, the relist covers it.
  absl::Status Healthy() const override;

  EventedPlegStats Stats() const;

 private:
  struct Pending {
    cri::ContainerEvent event;
    absl::Time received;
    absl::Time not_before;
    absl::Duration retry_delay;
  };

  void StreamLoop();
  void ProcessLoop();
  void OnReady(cri::ContainerEventSource* source);
  void OnEvent(const cri::ContainerEvent& event);
  // Re-reads the pods of `batch`; returns the events to retry.
  std::vector<Pending> Process(std::vector<Pending> batch);
  void Log(std::string_view line) const;

  const std::vector<cri::ContainerEventSource*> sources_;
  GenericPleg* const relister_;
  container::PodCache* const cache_;
  const Clock* const clock_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Keyed by container id: a newer event for the same id replaces the
  // older (the re-read shows the latest state anyway).
  std::map<std::string, Pending> pending_;
  bool stopping_ = false;
  EventedPlegStats stats_;  // stats_.live: the stream is live
  // An exit arrived after the batch in progress was taken (set by OnEvent,
  // cleared when a batch is taken, both under mu_): the batch yields before
  // its next pod without an exit, so one exit waits for at most one read.
  std::atomic<bool> exit_arrived_{false};

  std::mutex lifecycle_mu_;
  CancelTokenPtr cancel_;
  std::thread stream_thread_;
  std::thread process_thread_;
};

}  // namespace cubelet::pleg

#endif  // CUBELET_PLEG_EVENTED_PLEG_H_
