#include "events/correlator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/json.h"

namespace cubelet::events {

using nlohmann::json;

EventCorrelator::EventCorrelator(Clock* clock, CorrelatorOptions options)
    : clock_(clock),
      options_(options),
      aggregates_(options.lru_cache_size),
      logs_(options.lru_cache_size),
      spam_(options.lru_cache_size) {}

CorrelateResult EventCorrelator::Correlate(const ApiEvent& event) {
  const absl::Time now = clock_->Now();
  std::string key;
  CorrelateResult result;
  result.event = Aggregate(event, now, &key);
  result.patch = Observe(result.event, key);
  if (!Allow(result.event)) return CorrelateResult{.skip = true};
  return result;
}

ApiEvent EventCorrelator::Aggregate(const ApiEvent& event, absl::Time now, std::string* key) {
  const std::string aggregate_key = AggregateKey(event);
  AggregateRecord* found = aggregates_.Get(aggregate_key);
  AggregateRecord record = found != nullptr ? std::move(*found) : AggregateRecord{};
  // A quiet spell longer than the interval starts the count afresh.
  if (now - record.last > options_.aggregate_interval) record = AggregateRecord{};
  record.local_keys.insert(event.message);
  record.last = now;
  const bool aggregate =
      record.local_keys.size() >= static_cast<size_t>(std::max(options_.max_similar_events, 1));
  // Keep the set from growing past the threshold: every further new message
  // lands on it again and stays aggregated (upstream's PopAny).
  if (aggregate) record.local_keys.erase(record.local_keys.begin());
  aggregates_.Put(aggregate_key, std::move(record));
  if (!aggregate) {
    *key = EventKey(event);
    return event;
  }
  // The aggregate is its own event (named at this instant), counted under
  // the aggregate key so that every later similar event patches it.
  *key = aggregate_key;
  ApiEvent combined = event;
  combined.name = absl::StrCat(event.involved_object.name, ".", absl::Hex(absl::ToUnixNanos(now)));
  combined.resource_version.clear();
  combined.message = absl::StrCat("(combined from similar events): ", event.message);
  combined.first_timestamp = now;
  combined.last_timestamp = now;
  combined.count = 1;
  return combined;
}

json EventCorrelator::Observe(ApiEvent& event, const std::string& key) {
  json patch;
  if (const EventLog* last = logs_.Get(key); last != nullptr && last->count > 0) {
    event.name = last->name;
    event.resource_version = last->resource_version;
    event.first_timestamp = last->first_timestamp;
    event.count = last->count + 1;
    // What strategicpatch.CreateTwoWayMergePatch gives between the event
    // with count 0, lastTimestamp at the epoch and no message, and the event:
    // only those three fields (message omitted when empty, as omitempty
    // drops it from both sides).
    patch = {{"count", event.count}, {"lastTimestamp", api::FormatApiTime(event.last_timestamp)}};
    if (!event.message.empty()) patch["message"] = event.message;
  }
  logs_.Put(key, EventLog{.count = event.count,
                          .first_timestamp = event.first_timestamp,
                          .name = event.name,
                          .resource_version = event.resource_version});
  return patch;
}

bool EventCorrelator::Allow(const ApiEvent& event) {
  const std::string key = SpamKey(event);
  std::unique_ptr<client::RateLimiter>* limiter = spam_.Get(key);
  if (limiter == nullptr) {
    limiter = &spam_.Put(
        key, std::make_unique<client::RateLimiter>(options_.spam_qps, options_.spam_burst, clock_));
  }
  return (*limiter)->TryAccept();
}

void EventCorrelator::UpdateState(const ApiEvent& written) {
  logs_.Put(EventKey(written), EventLog{.count = written.count,
                                        .first_timestamp = written.first_timestamp,
                                        .name = written.name,
                                        .resource_version = written.resource_version});
}

}  // namespace cubelet::events
