// ProbeResults: the liveness and startup verdicts the runtime manager reads
// when it computes a pod's actions (upstream pkg/kubelet/prober/results).
// The prober manager implements it; kuberuntime depends only on this header,
// never on the prober.
//
// Thread-safety: implementations answer from any thread.
#ifndef CUBELET_PROBER_RESULTS_H_
#define CUBELET_PROBER_RESULTS_H_

#include <string>

namespace cubelet::prober {

enum class ProbeResult { kUnknown, kSuccess, kFailure };

// Verdicts by container id; kUnknown when the probe has not produced a
// result yet.
class ProbeResults {
 public:
  virtual ~ProbeResults() = default;
  virtual ProbeResult Liveness(const std::string& container_id) const = 0;
  virtual ProbeResult Startup(const std::string& container_id) const = 0;
};

}  // namespace cubelet::prober

#endif  // CUBELET_PROBER_RESULTS_H_
