// The Pod's Kubernetes wire form (JSON): encoding for the read-only API and the
// status module, and decoding shared by the manifest parser (which turns YAML
// into JSON first, so there is a single decoder).
//
// Encoding follows the Go struct tags: camelCase keys, `omitempty` fields left
// out when empty, times as RFC 3339 UTC seconds ("2024-01-02T03:04:05Z").
// Decoding ignores unknown fields and treats null as absent; numbers and
// booleans where a string is expected are refused as the API server refuses
// them ("name: 12345"), except in quantities ("cpu: 1" becomes "1").
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_API_JSON_H_
#define CUBELET_API_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/pod.h"
#include "api/validation.h"
#include "nlohmann/json.hpp"

namespace cubelet::api {

nlohmann::json PodToJson(const Pod& pod);

// Decodes `j` as-is (no defaulting, no validation). Absent apiVersion/kind are
// allowed (list items omit them); present ones must be "v1"/"Pod". On failure
// the InvalidArgument message lists every problem, joined with "; ".
absl::StatusOr<Pod> PodFromJson(const nlohmann::json& j);

// PodToJson(pod) as compact text (invalid UTF-8 replaced), one PodList item.
std::string PodJson(const Pod& pod);

// `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[...]}`.
std::string PodListJson(const std::vector<Pod>& pods);

// The decoder under PodFromJson: fills `out` from `j` and returns the type
// problems found (e.g. `spec.containers[0].ports[0].containerPort: Invalid
// value: "abc": must be an integer`). Does not look at apiVersion/kind.
// With `unread`, the paths of the members the decoder did not read are
// appended to it ("spec.containers[0].imagePullPolice", "spec.overhead"):
// unknown fields and known ones cubelet does not model alike.
std::vector<FieldError> DecodePod(const nlohmann::json& j, Pod& out,
                                  std::vector<std::string>* unread = nullptr);

// At most `max` bytes of `s` (cut at a UTF-8 character boundary), with "..."
// appended when cut.
std::string TruncateUtf8(std::string_view s, size_t max);

// The offset of the first byte of `s` that is not part of valid UTF-8
// (overlong forms and surrogates are invalid), or npos when all of it is.
size_t InvalidUtf8At(std::string_view s);

// How a value is quoted in error messages: strings Go-quoted, others as
// compact JSON; at most about `max` bytes of it, however large or deep the
// value (the walk stops once `max` bytes are written).
std::string RenderJsonPrefix(const nlohmann::json& v, size_t max = 64);

// A time in the wire form, "2024-01-02T03:04:05Z" (sub-seconds dropped).
std::string FormatApiTime(absl::Time t);

}  // namespace cubelet::api

#endif  // CUBELET_API_JSON_H_
