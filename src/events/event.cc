#include "events/event.h"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/json.h"

namespace cubelet::events {
namespace {

using nlohmann::json;

// Go's strings.Join(parts, ""), as client-go builds its keys: fields run
// together without a separator. Two different events could in principle
// share a key ("ab"+"c" vs "a"+"bc"); upstream accepts that, and so do we, so
// that the same events fold together.
std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

void SetIfNotEmpty(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

}  // namespace

ApiEvent MakeEvent(const ObjectReference& object, std::string_view type, std::string_view reason,
                   std::string_view message, absl::Time now, const std::string& component,
                   const std::string& host) {
  ApiEvent event;
  event.name = absl::StrCat(object.name, ".", absl::Hex(absl::ToUnixNanos(now)));
  event.namespace_ = object.namespace_.empty() ? "default" : object.namespace_;
  event.involved_object = object;
  event.type = std::string(type);
  event.reason = std::string(reason);
  event.message = std::string(message);
  event.source_component = component;
  event.source_host = host;
  event.first_timestamp = now;
  event.last_timestamp = now;
  event.count = 1;
  return event;
}

json ObjectReferenceToJson(const ObjectReference& ref) {
  json j = json::object();
  SetIfNotEmpty(j, "kind", ref.kind);
  SetIfNotEmpty(j, "namespace", ref.namespace_);
  SetIfNotEmpty(j, "name", ref.name);
  SetIfNotEmpty(j, "uid", ref.uid);
  SetIfNotEmpty(j, "apiVersion", ref.api_version);
  SetIfNotEmpty(j, "resourceVersion", ref.resource_version);
  SetIfNotEmpty(j, "fieldPath", ref.field_path);
  return j;
}

json EventToJson(const ApiEvent& event) {
  json metadata = {{"name", event.name}, {"namespace", event.namespace_}};
  SetIfNotEmpty(metadata, "resourceVersion", event.resource_version);
  json source = json::object();
  SetIfNotEmpty(source, "component", event.source_component);
  SetIfNotEmpty(source, "host", event.source_host);
  json j = {{"apiVersion", "v1"},
            {"kind", "Event"},
            {"metadata", std::move(metadata)},
            {"involvedObject", ObjectReferenceToJson(event.involved_object)},
            {"source", std::move(source)},
            {"firstTimestamp", api::FormatApiTime(event.first_timestamp)},
            {"lastTimestamp", api::FormatApiTime(event.last_timestamp)},
            {"count", event.count},
            // A v1 (core) event: eventTime belongs to events.k8s.io's series
            // and stays null, as Go's MicroTime marshals its zero value.
            {"eventTime", nullptr},
            {"reportingComponent", event.source_component},
            {"reportingInstance", event.source_host}};
  SetIfNotEmpty(j, "reason", event.reason);
  SetIfNotEmpty(j, "message", event.message);
  SetIfNotEmpty(j, "type", event.type);
  return j;
}

std::string EventKey(const ApiEvent& e) {
  const ObjectReference& o = e.involved_object;
  return Join({e.source_component, e.source_host, o.kind, o.namespace_, o.name, o.field_path, o.uid,
               o.api_version, e.type, e.reason, e.message});
}

std::string SpamKey(const ApiEvent& e) {
  const ObjectReference& o = e.involved_object;
  return Join(
      {e.source_component, e.source_host, o.kind, o.namespace_, o.name, o.uid, o.api_version});
}

std::string AggregateKey(const ApiEvent& e) {
  const ObjectReference& o = e.involved_object;
  // Upstream also appends reportingController and reportingInstance; here
  // they are always the source's component and host, already in the key.
  return Join({e.source_component, e.source_host, o.kind, o.namespace_, o.name, o.uid,
               o.api_version, e.type, e.reason});
}

std::string FormatEvent(const ApiEvent& e) {
  const ObjectReference& o = e.involved_object;
  std::string object = o.namespace_.empty() ? o.name : absl::StrCat(o.namespace_, "/", o.name);
  std::string field = o.field_path.empty() ? "" : absl::StrCat(" (", o.field_path, ")");
  return absl::StrCat(o.kind, " ", object, field, ": ", e.type, " ", e.reason, " \"",
                      api::TruncateUtf8(e.message, 200), "\"");
}

}  // namespace cubelet::events
