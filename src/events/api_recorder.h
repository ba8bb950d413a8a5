// ApiEventRecorder: the EventRecorder of cluster mode. It writes events to
// the API server as the kubelet's client-go broadcaster and sink do
// (tools/record: NewBroadcaster + StartRecordingToSink + NewRecorder): Event
// stamps the event and queues it; one thread takes the queue in order, runs
// each event through the EventCorrelator (aggregation, dedup, spam filter;
// correlator.h) and POSTs it to /api/v1/namespaces/<ns>/events, or PATCHes
// the earlier event's count when it is a repeat (a PATCH answered 404 falls
// back to creating it).
//
// Back-pressure: at most `queue_capacity` events wait; Event drops (and
// counts) the rest rather than block its caller, as the broadcaster's
// DropIfChannelFull does. A write that fails for a reason that may pass (no
// connection, 5xx, 429) is tried again `retry_sleep` later (the first wait
// randomized, so nodes that lost the API server together do not retry in
// step), up to `max_tries`
// attempts; meanwhile later events wait behind it, as upstream's single
// sink goroutine makes them, so an unreachable API server costs one request
// per `retry_sleep`. Other refusals (AlreadyExists, 4xx) are final.
//
// Ownership: borrows the client and the clock; owns its thread.
// Thread-safety: Event, Writes and Dropped from any thread; Start and Stop
// from one. SyncOnce is for tests that drive the recorder without Start
// (it may also run beside the thread: calls are serialized).
#ifndef CUBELET_EVENTS_API_RECORDER_H_
#define CUBELET_EVENTS_API_RECORDER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "events/correlator.h"
#include "events/event.h"
#include "events/recorder.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::events {

struct ApiEventRecorderOptions {
  // The event source (source.component/host, reportingComponent/Instance).
  std::string component = "kubelet";
  std::string host;  // the node name
  // client-go's maxQueuedEvents, maxTriesPerEvent and defaultSleepDuration.
  size_t queue_capacity = 1000;
  int max_tries = 12;
  absl::Duration retry_sleep = absl::Seconds(10);
  CorrelatorOptions correlator;
};

class ApiEventRecorder final : public EventRecorder {
 public:
  ApiEventRecorder(client::ApiClient* client, Clock* clock, ApiEventRecorderOptions options = {});
  // Stops the thread (Stop).
  ~ApiEventRecorder() override;

  ApiEventRecorder(const ApiEventRecorder&) = delete;
  ApiEventRecorder& operator=(const ApiEventRecorder&) = delete;

  // Queues the event, stamped now; an unsupported type is logged and
  // dropped. Events queued before Start wait for it.
  void Event(const ObjectReference& object, std::string_view type, std::string_view reason,
             std::string_view message) override;

  void Start();
  // Prompt: waits only for a request in flight. What is still queued or
  // waiting to be retried is dropped (and counted), and later events are
  // dropped too; Stop is final.
  void Stop();

  // Correlates and writes the events queued now, in order, stopping at one
  // whose retry time has not come. Returns the number of API requests made.
  int SyncOnce();

  // API requests made so far (POST and PATCH, failed ones included).
  int64_t Writes() const;
  // Events that were not and will not be written: queue full, spam-filtered,
  // refused by the API server, out of tries, discarded by Stop or recorded
  // after it. (An unsupported type is refused before it counts as an event.)
  int64_t Dropped() const;

 private:
  // An event out of the correlator, being written.
  struct Pending {
    ApiEvent event;
    nlohmann::json patch;  // null: create
    int tries = 0;         // failed attempts
    absl::Time retry_at = absl::InfinitePast();
  };
  enum class Outcome { kWritten, kRetry, kRefused };

  // One attempt at writing `pending`: PATCH, or POST (also after a PATCH
  // found the event gone).
  Outcome Write(Pending& pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  absl::StatusOr<nlohmann::json> Call(client::Request request);
  void CountDropped(int64_t n);
  void Run();

  client::ApiClient* const client_;
  Clock* const clock_;
  const ApiEventRecorderOptions options_;

  // Serializes SyncOnce (the writer's side); taken before mu_.
  Mutex sync_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  EventCorrelator correlator_ ABSL_GUARDED_BY(sync_mu_);
  // The event being written; nothing after it is taken off the queue until
  // it is written or given up.
  std::optional<Pending> head_ ABSL_GUARDED_BY(sync_mu_);

  mutable Mutex mu_;
  std::deque<ApiEvent> queue_ ABSL_GUARDED_BY(mu_);
  // head_'s retry time, for the thread's wait (InfiniteFuture: none).
  absl::Time next_retry_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Cancelled to wake the thread early (an event queued, Stop).
  CancelTokenPtr wake_ ABSL_GUARDED_BY(mu_);

  // Set by Stop (before it reads wake_): the thread ends, and a SyncOnce in
  // progress ends after its current request.
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace cubelet::events

#endif  // CUBELET_EVENTS_API_RECORDER_H_
