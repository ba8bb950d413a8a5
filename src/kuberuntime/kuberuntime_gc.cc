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
#include "kuberuntime/runtime_manager_internal.h"

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
  // directories of pods that are gone), and the legacy symlinks to them.
  std::error_code ec;
  if (!options_.container_logs_dir.empty()) {
    for (const container::Container& c : running_pod.containers) {
      std::filesystem::remove(
          internal::LegacyLogSymlink(options_.container_logs_dir, running_pod.name,
                                     running_pod.namespace_, c.name, c.id),
          ec);
    }
  }
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
      absl::Status s =
          RemoveContainerWithLogs(running_pod.name, running_pod.namespace_, name, instances[i]->id);
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

absl::Status RuntimeManager::RemoveContainerWithLogs(const std::string& pod_name,
                                                     const std::string& pod_namespace,
                                                     const std::string& container_name,
                                                     const std::string& container_id) {
  // The files go first: containerd does not remove the log.
  if (options_.manage_host_state) {
    std::error_code ec;
    absl::StatusOr<cri::ContainerStatus> status = runtime_->GetContainerStatus(container_id);
    if (status.ok() && !status->log_path.empty()) {
      std::filesystem::remove(status->log_path, ec);
    }
    if (!options_.container_logs_dir.empty()) {
      std::filesystem::remove(
          internal::LegacyLogSymlink(options_.container_logs_dir, pod_name, pod_namespace,
                                     container_name, container_id),
          ec);
    }
  }
  return runtime_->RemoveContainer(container_id);
}
}  // namespace cubelet::kuberuntime
