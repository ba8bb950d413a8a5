#include "container/runtime_types.h"

#include <algorithm>

namespace cubelet::container {

const char* ToString(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated:
      return "created";
    case ContainerState::kRunning:
      return "running";
    case ContainerState::kExited:
      return "exited";
    case ContainerState::kUnknown:
      break;
  }
  return "unknown";
}

api::PodPtr Pod::ToAPIPod() const {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.uid = id;
  pod->metadata.name = name;
  pod->metadata.namespace_ = namespace_;
  for (const Container& c : containers) {
    api::Container spec;
    spec.name = c.name;
    spec.image = c.image;
    pod->spec.containers.push_back(std::move(spec));
  }
  return pod;
}

const ContainerStatus* PodStatus::FindContainerStatusByName(const std::string& name) const {
  for (const ContainerStatus& s : container_statuses) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<const ContainerStatus*> PodStatus::RunningContainers() const {
  std::vector<const ContainerStatus*> out;
  for (const ContainerStatus& s : container_statuses) {
    if (s.state == ContainerState::kRunning) out.push_back(&s);
  }
  return out;
}

namespace {

Container FromStatus(const ContainerStatus& c) {
  return Container{.id = c.id,
                   .name = c.name,
                   .image = c.image,
                   .image_id = c.image_id,
                   .hash = c.hash,
                   .state = c.state,
                   .created_at = c.created_at};
}

Container FromStatus(const SandboxStatus& s) {
  return Container{
      .id = s.id,
      .state = s.state == SandboxState::kReady ? ContainerState::kRunning : ContainerState::kExited,
      .created_at = s.created_at};
}

// The pod's identity and every sandbox; its containers only when `running_only`
// is false or they run.
Pod ToPod(const PodStatus& status, bool running_only) {
  Pod pod;
  pod.id = status.id;
  pod.name = status.name;
  pod.namespace_ = status.namespace_;
  for (const ContainerStatus& c : status.container_statuses) {
    if (running_only && c.state != ContainerState::kRunning) continue;
    pod.containers.push_back(FromStatus(c));
  }
  for (const SandboxStatus& s : status.sandbox_statuses) pod.sandboxes.push_back(FromStatus(s));
  return pod;
}

}  // namespace

Pod RunningPodFromStatus(const PodStatus& status) { return ToPod(status, /*running_only=*/true); }

Pod PodFromStatus(const PodStatus& status) {
  Pod pod = ToPod(status, /*running_only=*/false);
  for (const SandboxStatus& s : status.sandbox_statuses) {
    pod.created_at = std::max(pod.created_at, s.created_at);
  }
  return pod;
}

SandboxChange PodSandboxChanged(const api::Pod& pod, const PodStatus& status) {
  if (status.sandbox_statuses.empty()) return {true, 0, "", "no pod sandbox exists"};
  int ready = 0;
  for (const SandboxStatus& s : status.sandbox_statuses) {
    if (s.state == SandboxState::kReady) ++ready;
  }
  const SandboxStatus& latest = status.sandbox_statuses.front();
  if (ready > 1) {
    return {true, latest.attempt + 1, latest.id,
            "multiple pod sandboxes are ready and need to be reconciled"};
  }
  if (latest.state != SandboxState::kReady) {
    return {true, latest.attempt + 1, latest.id, "pod sandbox is not ready"};
  }
  if (latest.host_network != pod.spec.host_network) {
    return {true, latest.attempt + 1, "",
            "network namespace mode changed and sandbox needs to be recreated"};
  }
  if (!pod.spec.host_network && latest.ip.empty()) {
    return {true, latest.attempt + 1, latest.id, "pod sandbox has no IP address"};
  }
  return {false, latest.attempt, latest.id, ""};
}

}  // namespace cubelet::container
