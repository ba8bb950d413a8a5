#include "events/recorder.h"

#include "absl/strings/str_cat.h"

namespace cubelet::events {
namespace {

// Debian's Abseil has its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

ObjectReference PodReference(const api::Pod& pod, std::string_view field_path) {
  return ObjectReference{.kind = "Pod",
                         .namespace_ = pod.metadata.namespace_,
                         .name = pod.metadata.name,
                         .uid = pod.metadata.uid,
                         .api_version = "v1",
                         .field_path = std::string(field_path)};
}

ObjectReference NodeReference(std::string_view node_name) {
  return ObjectReference{
      .kind = "Node", .name = std::string(node_name), .uid = std::string(node_name)};
}

std::string ContainerFieldPath(std::string_view container_name) {
  return absl::StrCat("spec.containers{", Sv(container_name), "}");
}

std::string InitContainerFieldPath(std::string_view container_name) {
  return absl::StrCat("spec.initContainers{", Sv(container_name), "}");
}

std::string EphemeralContainerFieldPath(std::string_view container_name) {
  return absl::StrCat("spec.ephemeralContainers{", Sv(container_name), "}");
}

}  // namespace cubelet::events
