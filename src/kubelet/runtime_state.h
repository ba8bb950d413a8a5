// RuntimeState: what the agent knows about its container runtime and its own
// liveness (upstream pkg/kubelet/runtime.go). The sync loop records each CRI
// Status answer; RuntimeError() says whether pods may be acted on, and
// Healthy() aggregates the runtime's state with the registered health checks
// (the PLEG, the sync loop, the pod sources ...) for /healthz.
//
// Ownership: owns its checks; the clock is borrowed and must outlive it.
// Thread-safety: every method may be called from any thread; checks run
// without the state's lock held, so they may take their own.
#ifndef CUBELET_KUBELET_RUNTIME_STATE_H_
#define CUBELET_KUBELET_RUNTIME_STATE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/types.h"
#include "util/mutex.h"

namespace cubelet::kubelet {

class RuntimeState {
 public:
  RuntimeState() = default;
  RuntimeState(const RuntimeState&) = delete;
  RuntimeState& operator=(const RuntimeState&) = delete;

  // Adds a named check to Healthy(); a failing one reads
  // "<name> is not healthy: <its message>" (upstream addHealthCheck).
  // Register checks before Healthy() is first called.
  void AddHealthCheck(std::string name, std::function<absl::Status()> check);

  // Records the runtime's answer to CRI Status: an error is "container
  // runtime is down", RuntimeReady=false "container runtime not ready",
  // NetworkReady=false a network error. Logs transitions; returns whether
  // the runtime is usable now.
  bool SetRuntimeStatus(const absl::StatusOr<cri::RuntimeStatus>& status);

  // OK once the runtime has answered and is ready; Unavailable with the
  // reason otherwise ("not checked yet" before the first answer).
  absl::Status RuntimeError() const;
  // OK unless the runtime reported NetworkReady=false.
  absl::Status NetworkError() const;

  // The runtime's error, else the first failing health check, else OK.
  absl::Status Healthy() const;

 private:
  struct HealthCheck {
    std::string name;
    std::function<absl::Status()> check;
  };

  mutable Mutex mu_;
  absl::Status runtime_error_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("container runtime not checked yet");
  absl::Status network_error_ ABSL_GUARDED_BY(mu_);
  std::vector<HealthCheck> checks_ ABSL_GUARDED_BY(mu_);  // run on a copy, without mu_
};

}  // namespace cubelet::kubelet

#endif  // CUBELET_KUBELET_RUNTIME_STATE_H_
