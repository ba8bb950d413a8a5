#include "container/runtime_types.h"

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

}  // namespace cubelet::container
