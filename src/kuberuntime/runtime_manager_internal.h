// Helpers shared by the RuntimeManager's source files; not part of the
// package's interface.
#ifndef CUBELET_KUBERUNTIME_RUNTIME_MANAGER_INTERNAL_H_
#define CUBELET_KUBERUNTIME_RUNTIME_MANAGER_INTERNAL_H_

#include <string>

#include "api/pod.h"

namespace cubelet::kuberuntime::internal {

// The spec of the pod's container or init container called `name`; null if
// none.
// The legacy log symlink of a container (upstream logSymlink): in `dir`,
// <pod>_<namespace>_<container>-<id>.log, cut to ext4's 255 bytes.
inline std::string LegacyLogSymlink(const std::string& dir, const std::string& pod_name,
                                    const std::string& pod_namespace,
                                    const std::string& container_name,
                                    const std::string& container_id) {
  constexpr size_t kMaxFileName = 255;
  const std::string suffix = ".log";
  std::string name = pod_name + "_" + pod_namespace + "_" + container_name + "-" + container_id;
  if (name.size() > kMaxFileName - suffix.size()) name.resize(kMaxFileName - suffix.size());
  return dir + "/" + name + suffix;
}

inline const api::Container* FindSpec(const api::Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
    for (const api::Container& c : *list) {
      if (c.name == name) return &c;
    }
  }
  return nullptr;
}

}  // namespace cubelet::kuberuntime::internal

#endif  // CUBELET_KUBERUNTIME_RUNTIME_MANAGER_INTERNAL_H_
