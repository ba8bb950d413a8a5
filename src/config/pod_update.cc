#include "config/pod_update.h"

namespace cubelet::config {

std::string_view PodOperationName(PodOperation op) {
  switch (op) {
    case PodOperation::kSet:
      return "SET";
    case PodOperation::kAdd:
      return "ADD";
    case PodOperation::kUpdate:
      return "UPDATE";
    case PodOperation::kRemove:
      return "REMOVE";
    case PodOperation::kDelete:
      return "DELETE";
    case PodOperation::kReconcile:
      return "RECONCILE";
  }
  return "UNKNOWN";
}

}  // namespace cubelet::config
