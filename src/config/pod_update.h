// PodUpdate: the unit of change that flows from pod sources (file, http) into
// PodConfig and from PodConfig to the kubelet's sync loop (upstream
// pkg/kubelet/types PodUpdate and PodOperation).
//
// A plain value; the pods it points at are immutable and shared, so copies are
// cheap and may cross threads freely.
#ifndef CUBELET_CONFIG_POD_UPDATE_H_
#define CUBELET_CONFIG_POD_UPDATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/pod.h"

namespace cubelet::config {

// Source names, as written into the kubernetes.io/config.source annotation.
inline constexpr char kFileSource[] = "file";
inline constexpr char kHttpSource[] = "http";
inline constexpr char kAllSources[] = "*";

enum class PodOperation {
  // Sources -> PodConfig: the complete current set of the source's pods.
  kSet,
  // PodConfig -> consumer (a source may also send kAdd/kUpdate/kDelete/kRemove
  // to change some pods without restating the others).
  kAdd,        // new pods
  kUpdate,     // pods whose spec, labels or annotations changed
  kRemove,     // pods gone from their source: stop them now
  kDelete,     // pods marked for graceful deletion (deletionTimestamp set)
  kReconcile,  // only the status differs: refresh the status, nothing to run
};

std::string_view PodOperationName(PodOperation op);

struct PodUpdate {
  std::vector<api::PodPtr> pods;
  PodOperation op = PodOperation::kSet;
  std::string source;
};

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_POD_UPDATE_H_
