// ApiEvent: a core/v1 Event as cubelet writes it (the fields client-go's
// recorder fills), and its wire form. The keys the EventCorrelator groups
// events by live here too, next to the fields they read.
//
// Plain values and pure functions; safe from any thread.
#ifndef CUBELET_EVENTS_EVENT_H_
#define CUBELET_EVENTS_EVENT_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "events/recorder.h"
#include "nlohmann/json.hpp"

namespace cubelet::events {

struct ApiEvent {
  // metadata: "<involvedObject.name>.<hex unix nanos>" in the object's
  // namespace ("default" for cluster-scoped objects such as the Node).
  std::string name;
  std::string namespace_;
  // What the API server last returned; never sent on creation.
  std::string resource_version;

  ObjectReference involved_object;
  std::string reason;
  std::string message;
  std::string type;
  // source {component, host}; also written as reportingComponent and
  // reportingInstance.
  std::string source_component;
  std::string source_host;
  absl::Time first_timestamp = absl::UnixEpoch();
  absl::Time last_timestamp = absl::UnixEpoch();
  int32_t count = 1;

  bool operator==(const ApiEvent&) const = default;
};

// A new event about `object` at `now` (count 1, first = last = now), as
// client-go's recorder makeEvent builds it.
ApiEvent MakeEvent(const ObjectReference& object, std::string_view type, std::string_view reason,
                   std::string_view message, absl::Time now, const std::string& component,
                   const std::string& host);

// The body of the POST: empty strings left out (omitempty), times in RFC 3339
// seconds, eventTime null.
nlohmann::json EventToJson(const ApiEvent& event);

// The involvedObject as the API writes it (empty fields left out).
nlohmann::json ObjectReferenceToJson(const ObjectReference& ref);

// client-go's getEventKey: everything that makes two events "the same" and
// so counted as one (source, involvedObject incl. fieldPath, type, reason,
// message).
std::string EventKey(const ApiEvent& event);
// getSpamKey: the source and the object (not fieldPath), whose events share
// one spam-filter budget.
std::string SpamKey(const ApiEvent& event);
// EventAggregatorByReasonFunc: events that differ only in their message
// (and fieldPath) aggregate together; the message is the local key.
std::string AggregateKey(const ApiEvent& event);

// How log lines name an event: `Pod default/web (spec.containers{c}):
// Warning BackOff "Back-off restarting failed container"`.
std::string FormatEvent(const ApiEvent& event);

}  // namespace cubelet::events

#endif  // CUBELET_EVENTS_EVENT_H_
