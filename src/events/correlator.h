// EventCorrelator: what stands between "something happened" and an API
// write, so a crash-looping pod or a flapping probe cannot flood the API
// server with events (client-go's record.EventCorrelator, events_cache.go).
// Each event goes through, in order:
//
//  1. The aggregator. Events that differ only in their message (same source,
//     object, type and reason) are "similar"; once `max_similar_events`
//     distinct messages were seen with less than `aggregate_interval` between
//     them, the event is replaced by one whose message is "(combined from
//     similar events): <message>", so the flood collapses into one counted
//     event instead of one per message.
//  2. The logger (dedup). An event seen before (same key, message included)
//     becomes a strategic merge PATCH of the first one's count, lastTimestamp
//     and message instead of a new object.
//  3. The spam filter. Each source+object has a token bucket (`spam_burst`
//     tokens, refilled at `spam_qps`); an event finding it empty is skipped.
//     The logger has already counted it, so the next event written carries
//     the count of everything that happened, as upstream's does.
//
// All three keep their state in LRU caches of `lru_cache_size` entries.
//
// Ownership: borrows the clock. Thread-safety: none (thread-compatible): the
// ApiEventRecorder calls it from the one thread that writes events.
#ifndef CUBELET_EVENTS_CORRELATOR_H_
#define CUBELET_EVENTS_CORRELATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "client/rate_limiter.h"
#include "events/event.h"
#include "events/lru_cache.h"
#include "nlohmann/json.hpp"
#include "util/clock.h"

namespace cubelet::events {

// client-go's CorrelatorOptions defaults (events_cache.go).
struct CorrelatorOptions {
  size_t lru_cache_size = 4096;
  // A source may burst 25 events about an object, then 1 every 5 minutes.
  int spam_burst = 25;
  double spam_qps = 1.0 / 300.0;  // <= 0: no spam filter
  // The 10th distinct message within 10 minutes starts aggregating.
  int max_similar_events = 10;
  absl::Duration aggregate_interval = absl::Minutes(10);
};

struct CorrelateResult {
  // What to write.
  ApiEvent event;
  // Non-null: PATCH this (strategic merge) onto event.name instead of
  // creating the event; set exactly when event.count > 1.
  nlohmann::json patch;
  // Spam-filtered: write nothing.
  bool skip = false;
};

class EventCorrelator {
 public:
  explicit EventCorrelator(Clock* clock, CorrelatorOptions options = {});

  EventCorrelator(const EventCorrelator&) = delete;
  EventCorrelator& operator=(const EventCorrelator&) = delete;

  // Filters, aggregates, counts and de-duplicates `event`.
  CorrelateResult Correlate(const ApiEvent& event);

  // Records what the API server returned for a written event (its name,
  // resourceVersion and count), so later duplicates patch that object.
  void UpdateState(const ApiEvent& written);

 private:
  struct AggregateRecord {
    // The distinct messages seen in the current interval.
    absl::flat_hash_set<std::string> local_keys;
    absl::Time last = absl::InfinitePast();
  };
  struct EventLog {
    int32_t count = 0;
    absl::Time first_timestamp;
    std::string name;
    std::string resource_version;
  };

  // Step 1: `event` or its aggregate, and the key the logger counts it under.
  ApiEvent Aggregate(const ApiEvent& event, absl::Time now, std::string* key);
  // Step 2: sets name, count and firstTimestamp from an earlier occurrence;
  // the patch when there was one.
  nlohmann::json Observe(ApiEvent& event, const std::string& key);
  // Step 3: true when `event` may be written.
  bool Allow(const ApiEvent& event);

  Clock* const clock_;
  const CorrelatorOptions options_;
  LruCache<AggregateRecord> aggregates_;
  LruCache<EventLog> logs_;
  // RateLimiter is neither copyable nor movable.
  LruCache<std::unique_ptr<client::RateLimiter>> spam_;
};

}  // namespace cubelet::events

#endif  // CUBELET_EVENTS_CORRELATOR_H_
