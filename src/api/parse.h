// Reading pod manifests (static pod files, HTTP manifests): YAML or JSON, one
// or more documents, each decoded, defaulted (api/defaults.h) and validated
// (api/validation.h). Problems come back as data, one ManifestError per
// problem, so a bad document never hides the good ones beside it.
//
// Stateless functions; safe from any thread. The returned values are owned by
// the caller.
#ifndef CUBELET_API_PARSE_H_
#define CUBELET_API_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/pod.h"
#include "nlohmann/json.hpp"

namespace cubelet::api {

// Manifests larger than this are refused unread.
inline constexpr int64_t kMaxManifestBytes = 10 * 1024 * 1024;
// Deepest nesting of mappings and lists a document may have (JSON and YAML).
inline constexpr int kMaxManifestDepth = 100;
// Most bytes of keys and scalar values a YAML document may expand to once its
// aliases are resolved.
inline constexpr int64_t kMaxManifestExpandedBytes = 20 * 1024 * 1024;

struct ManifestError {
  std::string source;  // file path or URL, as given
  int document = 0;    // 1-based position in the stream; 0 when not about one
  std::string pod;     // metadata.name when known
  std::string field;   // "spec.containers[1].image"; empty when not about one
  std::string detail;  // "Required value", "Invalid value: \"x\": ..."

  // `<source>: document <n>: pod "<pod>": <field>: <detail>`, leaving out the
  // parts that are unknown.
  std::string ToString() const;
  bool operator==(const ManifestError&) const = default;
};

struct ParsedManifest {
  std::vector<Pod> pods;  // the valid pods, defaulted, in document order
  std::vector<ManifestError> errors;
};

// Parses `content` (YAML documents separated by `---`, or one JSON object).
// Empty documents are skipped but still counted. Each document must be a
// mapping with apiVersion "v1" and kind "Pod" (a document of another kind gets
// one error saying what it is); unknown fields are ignored, known ones cubelet
// does not implement are refused (api/unsupported.h).
// Decoding is bounded and strict like the API server's: nesting depth
// (kMaxManifestDepth), expanded size (kMaxManifestExpandedBytes), valid UTF-8
// in every string, no duplicate keys, no numbers or booleans (YAML 1.1
// "yes"/"on" included) where a string belongs. Never throws.
ParsedManifest ParseManifest(std::string_view content, std::string_view source);

// Parses one JSON text, refusing more nesting than kMaxManifestDepth and
// duplicate keys in an object: then `*error` (and `*field`, where) are set.
// A text that is not JSON leaves `*error` empty. Both give a discarded value.
nlohmann::json ParseJsonStrict(std::string_view content, std::string* error,
                               std::string* field = nullptr);

// Reads `path` and parses it with the path as source. A file without a single
// non-empty document gets the error "file was empty". InvalidArgument for files
// over kMaxManifestBytes (checked before reading) or that are not regular
// files; the errno-derived status when the file cannot be opened or read.
absl::StatusOr<ParsedManifest> ParseManifestFile(const std::string& path);

}  // namespace cubelet::api

#endif  // CUBELET_API_PARSE_H_
