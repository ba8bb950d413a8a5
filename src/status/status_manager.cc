#include "status/status_manager.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/fieldpath.h"
#include "api/restart_policy.h"
#include "status/generate.h"

namespace cubelet::status {
namespace {

const api::ContainerStatus* FindStatus(const std::vector<api::ContainerStatus>& statuses,
                                       const std::string& name) {
  for (const api::ContainerStatus& s : statuses) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Upstream checkContainerStateTransition: a terminated container may leave
// that state only if it is allowed to run again (a sidecar, or its restart
// rules and policies say so).
absl::Status CheckTransitions(const std::vector<api::ContainerStatus>& old_statuses,
                              const std::vector<api::ContainerStatus>& new_statuses,
                              const api::PodSpec& spec, const std::vector<api::Container>& specs) {
  if (spec.restart_policy == api::kRestartAlways) return absl::OkStatus();
  for (const api::ContainerStatus& old : old_statuses) {
    if (!old.state.terminated.has_value()) continue;
    const int32_t exit_code = old.state.terminated->exit_code;
    if (exit_code != 0 && spec.restart_policy == api::kRestartOnFailure) continue;
    bool restartable = false;
    for (const api::Container& c : specs) {
      if (c.name != old.name) continue;
      restartable =
          api::IsRestartableInitContainer(c) || api::ContainerShouldRestart(c, spec, exit_code);
    }
    if (restartable) continue;
    const api::ContainerStatus* now = FindStatus(new_statuses, old.name);
    if (now != nullptr && !now->state.terminated.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("terminated container ", old.name,
                                                     " attempted illegal transition to "
                                                     "non-terminated state"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

StatusManager::StatusManager(Listener on_change) : on_change_(std::move(on_change)) {}

absl::StatusOr<uint64_t> StatusManager::SetPodStatus(const api::Pod& pod, api::PodStatus status) {
  std::optional<api::PodStatus> old_copy;
  uint64_t version = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = statuses_.find(pod.metadata.uid);
    if (it != statuses_.end()) {
      const api::PodStatus& old = it->second.status;
      if (absl::Status s = CheckTransitions(old.container_statuses, status.container_statuses,
                                            pod.spec, pod.spec.containers);
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              CheckTransitions(old.init_container_statuses, status.init_container_statuses,
                               pod.spec, pod.spec.init_containers);
          !s.ok()) {
        return s;
      }
      if (old.start_time.has_value()) status.start_time = old.start_time;
      if (api::IsTerminalPhase(old.phase) && !api::IsTerminalPhase(status.phase)) {
        status.phase = old.phase;
      }
      if (status == old) return it->second.version;
      old_copy = old;
      version = it->second.version + 1;
      it->second = VersionedPodStatus{status, version, it->second.pod_is_finished};
    } else {
      version = 1;
      statuses_.emplace(pod.metadata.uid, VersionedPodStatus{status, version});
    }
  }
  if (on_change_) on_change_(pod, old_copy ? &*old_copy : nullptr, status);
  return version;
}

std::optional<VersionedPodStatus> StatusManager::GetPodStatus(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = statuses_.find(uid);
  if (it == statuses_.end()) return std::nullopt;
  return it->second;
}

namespace {

// Upstream hasPodInitialized: no init containers, a regular container that
// ever left waiting, or a last init container that completed (or, as a
// sidecar, started).
bool HasPodInitialized(const api::Pod& pod, const api::PodStatus& status) {
  if (pod.spec.init_containers.empty()) return true;
  for (const api::ContainerStatus& s : status.container_statuses) {
    if (s.last_state.terminated.has_value() || !s.state.waiting.has_value()) return true;
  }
  if (status.init_container_statuses.empty()) return false;
  const api::ContainerStatus& last = status.init_container_statuses.back();
  const api::Container* spec = api::FindContainer(pod, last.name);
  if (spec == nullptr) return false;
  if (api::IsRestartableInitContainer(*spec)) {
    return last.state.running.has_value() && last.started.value_or(false);
  }
  auto completed = [](const api::ContainerState& st) {
    return st.terminated.has_value() && st.terminated->exit_code == 0;
  };
  return completed(last.last_state) || completed(last.state);
}

void MarkUnknownTerminated(api::ContainerStatus& s) {
  s.state = api::ContainerState{.terminated = NotLocatedAtTermination()};
}

}  // namespace

void StatusManager::TerminatePod(const api::Pod& pod) {
  api::PodStatus status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = statuses_.find(pod.metadata.uid);
    if (it == statuses_.end() || it->second.pod_is_finished) return;
    // Upstream TerminatePod: a container with no final state never will have
    // one, and the pod is terminal (a pod that never started, e.g. its image
    // missing, is Failed, so the API server may delete it).
    api::PodStatus& s = it->second.status;
    if (HasPodInitialized(pod, s)) {
      for (api::ContainerStatus& cs : s.container_statuses) {
        if (!cs.state.terminated.has_value()) MarkUnknownTerminated(cs);
      }
    }
    // All but the final suffix of init containers still waiting to start.
    std::vector<api::ContainerStatus>& inits = s.init_container_statuses;
    size_t started = inits.empty() ? 0 : 1;
    for (size_t i = inits.size(); i > 0; --i) {
      if (!inits[i - 1].state.waiting.has_value() ||
          inits[i - 1].last_state.terminated.has_value()) {
        started = i;
        break;
      }
    }
    for (size_t i = 0; i < started; ++i) {
      if (!inits[i].state.terminated.has_value()) MarkUnknownTerminated(inits[i]);
    }
    if (!api::IsStaticPod(pod) && !api::IsTerminalPhase(s.phase)) s.phase = api::kPodFailed;
    it->second.pod_is_finished = true;
    ++it->second.version;
    status = it->second.status;
  }
  if (on_change_) on_change_(pod, &status, status);
}

void StatusManager::RemovePodStatus(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  statuses_.erase(uid);
}

void StatusManager::RemoveOrphanedStatuses(const absl::flat_hash_set<std::string>& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = statuses_.begin(); it != statuses_.end();) {
    if (keep.contains(it->first)) {
      ++it;
    } else {
      statuses_.erase(it++);
    }
  }
}

size_t StatusManager::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return statuses_.size();
}

}  // namespace cubelet::status
