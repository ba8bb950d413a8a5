#include "kuberuntime/termination_ordering.h"

#include <chrono>

namespace cubelet::kuberuntime {

TerminationOrdering::TerminationOrdering(const api::Pod& pod,
                                         const std::vector<std::string>& running)
    : running_(running.begin(), running.end()) {
  std::vector<std::string> mains;
  for (const api::Container& c : pod.spec.containers) mains.push_back(c.name);
  // A sidecar waits for the main containers and for the next sidecar after
  // it, which in turn waits for the one after it.
  const std::string* later_sidecar = nullptr;
  for (auto it = pod.spec.init_containers.rbegin(); it != pod.spec.init_containers.rend(); ++it) {
    if (!api::IsRestartableInitContainer(*it)) continue;
    std::vector<std::string>& wait_for = prereqs_[it->name];
    wait_for = mains;
    if (later_sidecar != nullptr) wait_for.push_back(*later_sidecar);
    later_sidecar = &it->name;
  }
}

absl::Duration TerminationOrdering::WaitForTurn(const std::string& name, absl::Duration max) {
  auto prereqs = prereqs_.find(name);
  if (max <= absl::ZeroDuration() || prereqs == prereqs_.end()) return absl::ZeroDuration();
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(max), [&] {
    for (const std::string& p : prereqs->second) {
      if (running_.count(p) != 0) return false;
    }
    return true;
  });
  return absl::FromChrono(std::chrono::steady_clock::now() - start);
}

void TerminationOrdering::Terminated(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(name);
  }
  cv_.notify_all();
}

}  // namespace cubelet::kuberuntime
