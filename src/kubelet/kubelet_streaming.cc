// The Kubelet's side of the kubelet server's exec, attach, run and
// port-forward: find the pod and its running container, ask the runtime.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/fieldpath.h"
#include "kubelet/kubelet.h"

namespace cubelet::kubelet {
namespace {

// How long /run waits for its command (the kubelet's RunInContainer passes
// no timeout; the runtime's ExecSync then has none either).
constexpr absl::Duration kRunTimeout = absl::ZeroDuration();

std::string PodFullName(const StreamTarget& target) {
  return absl::StrCat(target.pod_name, "_", target.pod_namespace);
}

// The id of the running container named `name` in `status`.
absl::StatusOr<std::string> RunningContainerId(const container::PodStatus& status,
                                               const std::string& name) {
  for (const container::ContainerStatus* c : status.RunningContainers()) {
    if (c->name == name) return c->id;
  }
  return absl::NotFoundError(absl::StrCat("container not found (\"", name, "\")"));
}

}  // namespace

absl::StatusOr<std::pair<api::PodPtr, container::PodStatusPtr>> Kubelet::FindStreamPod(
    const StreamTarget& target) const {
  for (const api::PodPtr& pod : pod_manager_.GetPods()) {
    if (pod->metadata.namespace_ != target.pod_namespace || pod->metadata.name != target.pod_name) {
      continue;
    }
    if (!target.pod_uid.empty() && pod->metadata.uid != target.pod_uid) break;
    return std::make_pair(pod, pod_cache_.Get(pod->metadata.uid).status);
  }
  return absl::NotFoundError(absl::StrCat("pod not found (\"", PodFullName(target), "\")"));
}

absl::StatusOr<std::string> Kubelet::FindRunningContainer(const StreamTarget& target) const {
  absl::StatusOr<std::pair<api::PodPtr, container::PodStatusPtr>> found = FindStreamPod(target);
  if (!found.ok()) return found.status();
  return RunningContainerId(*found->second, target.container);
}

absl::StatusOr<std::string> Kubelet::GetExec(const StreamTarget& target,
                                             const std::vector<std::string>& cmd,
                                             const cri::StreamOptions& streams) const {
  absl::StatusOr<std::string> id = FindRunningContainer(target);
  if (!id.ok()) return id.status();
  return runtime_service_->Exec(*id, cmd, streams);
}

absl::StatusOr<std::string> Kubelet::GetAttach(const StreamTarget& target,
                                               cri::StreamOptions streams) const {
  absl::StatusOr<std::pair<api::PodPtr, container::PodStatusPtr>> found = FindStreamPod(target);
  if (!found.ok()) return found.status();
  absl::StatusOr<std::string> id = RunningContainerId(*found->second, target.container);
  if (!id.ok()) return id.status();
  // Whether the process has a terminal was fixed when it started: attach
  // follows the container's spec, not the request.
  const api::Container* spec = api::FindContainer(*found->first, target.container);
  for (const api::Container& c : found->first->spec.ephemeral_containers) {
    if (spec == nullptr && c.name == target.container) spec = &c;  // kubectl debug -it
  }
  if (spec == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container ", target.container, " not found in pod ", PodFullName(target)));
  }
  streams.tty = spec->tty;
  return runtime_service_->Attach(*id, streams);
}

absl::StatusOr<std::string> Kubelet::RunInContainer(const StreamTarget& target,
                                                    const std::vector<std::string>& cmd) const {
  absl::StatusOr<std::string> id = FindRunningContainer(target);
  if (!id.ok()) return id.status();
  absl::StatusOr<cri::ExecSyncResponse> r = runtime_service_->ExecSync(*id, cmd, kRunTimeout);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnknownError(absl::StrCat("command '", absl::StrJoin(cmd, " "), "' exited with ",
                                           r->exit_code, ": ", r->stderr_data));
  }
  return r->stdout_data + r->stderr_data;
}

absl::StatusOr<std::string> Kubelet::GetPortForward(const StreamTarget& target,
                                                    const std::vector<int32_t>& ports) const {
  absl::StatusOr<std::pair<api::PodPtr, container::PodStatusPtr>> found = FindStreamPod(target);
  if (!found.ok()) return found.status();
  const container::PodStatus& status = *found->second;
  if (status.sandbox_statuses.empty()) {
    return absl::NotFoundError(
        absl::StrCat("failed to find sandboxID for pod ", PodFullName(target)));
  }
  return runtime_service_->PortForward(status.sandbox_statuses.front().id, ports);
}

}  // namespace cubelet::kubelet
