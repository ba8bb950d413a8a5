#include "kubelet/runtime_state.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "util/log.h"

namespace cubelet::kubelet {

void RuntimeState::AddHealthCheck(std::string name, std::function<absl::Status()> check) {
  MutexLock lock(&mu_);
  checks_.push_back(HealthCheck{std::move(name), std::move(check)});
}

bool RuntimeState::SetRuntimeStatus(const absl::StatusOr<cri::RuntimeStatus>& status) {
  absl::Status runtime_verdict;
  absl::Status network_verdict;
  if (!status.ok()) {
    runtime_verdict = absl::UnavailableError(
        absl::StrCat("container runtime is down: ", status.status().message()));
  } else {
    for (const cri::RuntimeCondition& c : status->conditions) {
      if (c.status) continue;
      if (c.type == "RuntimeReady") {
        runtime_verdict = absl::UnavailableError(
            absl::StrCat("container runtime not ready: ", c.reason, ": ", c.message));
      } else if (c.type == "NetworkReady") {
        network_verdict = absl::UnavailableError(
            absl::StrCat("container runtime network not ready: ", c.reason, ": ", c.message));
      }
    }
  }
  MutexLock lock(&mu_);
  if (runtime_verdict.ok() && !runtime_error_.ok()) {
    LOG(INFO) << "Container runtime is ready";
  } else if (!runtime_verdict.ok() && runtime_verdict != runtime_error_) {
    LOG(ERROR) << runtime_verdict.message();
  }
  if (!network_verdict.ok() && network_verdict != network_error_) {
    LOG(ERROR) << network_verdict.message();
  } else if (network_verdict.ok() && !network_error_.ok()) {
    LOG(INFO) << "Container runtime network is ready";
  }
  runtime_error_ = runtime_verdict;
  network_error_ = network_verdict;
  return runtime_error_.ok();
}

absl::Status RuntimeState::RuntimeError() const {
  MutexLock lock(&mu_);
  return runtime_error_;
}

absl::Status RuntimeState::NetworkError() const {
  MutexLock lock(&mu_);
  return network_error_;
}

absl::Status RuntimeState::Healthy() const {
  std::vector<HealthCheck> checks;
  {
    MutexLock lock(&mu_);
    if (!runtime_error_.ok()) return runtime_error_;
    checks = checks_;
  }
  for (const HealthCheck& hc : checks) {
    if (absl::Status s = hc.check(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(hc.name, " is not healthy: ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace cubelet::kubelet
