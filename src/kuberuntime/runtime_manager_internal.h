// Helpers shared by the RuntimeManager's source files; not part of the
// package's interface.
#ifndef CUBELET_KUBERUNTIME_RUNTIME_MANAGER_INTERNAL_H_
#define CUBELET_KUBERUNTIME_RUNTIME_MANAGER_INTERNAL_H_

#include <string>

#include "api/pod.h"

namespace cubelet::kuberuntime::internal {

// The spec of the pod's container or init container called `name`; null if
// none.
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
