// The outcome of one health check (the kubelet's pkg/probe): what the
// protocol-level checks in this folder return and what the prober and the
// lifecycle-hook runner act on.
//
// Plain values; no thread-safety concerns.
#ifndef CUBELET_PROBE_PROBE_H_
#define CUBELET_PROBE_PROBE_H_

#include <string>

namespace cubelet::probe {

enum class Result {
  kSuccess,
  // Succeeded, with something worth logging (e.g. a redirect to another host).
  kWarning,
  kFailure,
  // The check could not be run (bad configuration, internal error).
  kUnknown,
};

struct Outcome {
  Result result = Result::kUnknown;
  // Why it failed, or the body/output worth logging; bounded in size.
  std::string output;

  bool ok() const { return result == Result::kSuccess || result == Result::kWarning; }
};

}  // namespace cubelet::probe

#endif  // CUBELET_PROBE_PROBE_H_
