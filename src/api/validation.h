// API-server validation of a (defaulted) pod, the subset of
// pkg/apis/core/validation that matters to a node agent, with the upstream
// wording so messages read like kubectl's: `spec.containers[1].image: Required
// value`, `metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain
// must ...`, `spec.restartPolicy: Unsupported value: "Sometimes": supported
// values: "Always", "Never", "OnFailure"`.
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_API_VALIDATION_H_
#define CUBELET_API_VALIDATION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/pod.h"

namespace cubelet::api {

// One problem at one field path (k8s.io/apimachinery's field.Error).
struct FieldError {
  std::string field;   // "spec.containers[0].image"; empty for the whole object
  std::string detail;  // "Required value", "Invalid value: \"x\": ..."

  // "<field>: <detail>", or just the detail when there is no field.
  std::string ToString() const;
  bool operator==(const FieldError&) const = default;
};

// Constructors with the upstream message shapes. String values are quoted like
// Go's %q; integers are printed bare.
FieldError RequiredError(std::string field, std::string_view detail = "");
FieldError ForbiddenError(std::string field, std::string_view detail);
FieldError InvalidError(std::string field, std::string_view value, std::string_view detail);
FieldError InvalidIntError(std::string field, int64_t value, std::string_view detail);
FieldError DuplicateError(std::string field, std::string_view value);
FieldError NotFoundError(std::string field, std::string_view value);
FieldError NotSupportedError(std::string field, std::string_view value,
                             const std::vector<std::string_view>& supported);
FieldError TooLongError(std::string field, int64_t max_bytes);
FieldError TooManyError(std::string field, int64_t actual, int64_t max_items);

// `s` quoted and escaped like Go's %q (for messages).
std::string GoQuote(std::string_view s);

// Empty when valid; otherwise the upstream messages (without the value prefix).
std::vector<std::string> IsDNS1123Label(std::string_view value);
std::vector<std::string> IsDNS1123Subdomain(std::string_view value);
// Upstream IsEnvVarName (relaxed: printable ASCII other than '='); the
// kubelet skips envFrom keys that fail it.
std::vector<std::string> IsEnvVarName(std::string_view name);

// Every problem with `pod`, in a stable order (metadata, volumes, containers,
// init containers, then pod-level fields). Expects ApplyDefaults to have run:
// fields that defaulting fills are reported as required when still empty.
std::vector<FieldError> ValidatePod(const Pod& pod);

}  // namespace cubelet::api

#endif  // CUBELET_API_VALIDATION_H_
