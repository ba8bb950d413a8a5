// RuntimeManager's garbage collection (upstream kuberuntime_gc.go): removing
// a finished pod from the runtime and host, and pruning a staying pod's dead
// containers.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kuberuntime/pod_cgroup.h"
#include "kuberuntime/runtime_manager.h"

namespace cubelet::kuberuntime {

absl::Status RuntimeManager::RemovePod(const container::Pod& running_pod) {
  for (const container::Container& sandbox : running_pod.sandboxes) {
    absl::Status stopped = runtime_->StopPodSandbox(sandbox.id);
    if (!stopped.ok() && !absl::IsNotFound(stopped)) return stopped;
    if (absl::Status removed = runtime_->RemovePodSandbox(sandbox.id); !removed.ok()) {
      return removed;
    }
  }
  if (!options_.manage_host_state) return absl::OkStatus();
  // No container uses the pod's tmpfs emptyDirs any more.
  if (absl::Status s = helper_->TearDownVolumes(running_pod.id); !s.ok()) return s;
  // The pod's logs go with it (upstream's container GC removes the log
  // directories of pods that are gone).
  std::error_code ec;
  const std::string pod_log_dir =
      absl::StrCat(running_pod.namespace_, "_", running_pod.name, "_", running_pod.id);
  std::filesystem::remove_all(std::filesystem::path(options_.pod_logs_dir) / pod_log_dir, ec);
  return RemovePodCgroup(options_.cgroup_root, running_pod.id);
}

absl::StatusOr<int> RuntimeManager::RemoveDeadContainers(const container::Pod& running_pod,
                                                         int keep_per_container) {
  // Exited instances of each container name, newest first.
  std::map<std::string, std::vector<const container::Container*>> dead;
  for (const container::Container& c : running_pod.containers) {
    if (c.state == container::ContainerState::kExited) dead[c.name].push_back(&c);
  }
  int removed = 0;
  absl::Status first_error;
  for (auto& [name, instances] : dead) {
    std::sort(instances.begin(), instances.end(),
              [](const container::Container* a, const container::Container* b) {
                return a->created_at > b->created_at;
              });
    for (size_t i = keep_per_container; i < instances.size(); ++i) {
      const std::string& id = instances[i]->id;
      // The log file goes first: containerd does not remove it.
      if (options_.manage_host_state) {
        absl::StatusOr<cri::ContainerStatus> status = runtime_->GetContainerStatus(id);
        if (status.ok() && !status->log_path.empty()) {
          std::error_code ec;
          std::filesystem::remove(status->log_path, ec);
        }
      }
      absl::Status s = runtime_->RemoveContainer(id);
      if (s.ok() || absl::IsNotFound(s)) {
        ++removed;
      } else if (first_error.ok()) {
        first_error = s;
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return removed;
}
}  // namespace cubelet::kuberuntime
