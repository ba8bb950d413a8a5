// Removal of a pod's cgroup (`<cgroup_root>/pod<uid>`). runc creates it from
// the sandbox's cgroup_parent; containerd leaves it behind after
// RemovePodSandbox, in every hierarchy, so the agent removes it.
//
// Stateless free functions; safe from any thread.
#ifndef CUBELET_KUBERUNTIME_POD_CGROUP_H_
#define CUBELET_KUBERUNTIME_POD_CGROUP_H_

#include <string>

#include "absl/status/status.h"

namespace cubelet::kuberuntime {

// "<cgroup_root>/pod<uid>", the sandbox's cgroup_parent.
std::string PodCgroupParent(const std::string& cgroup_root, const std::string& pod_uid);

// Removes the pod's cgroup directory from every hierarchy mounted under
// `cgroup_fs` (cgroup v1: one per controller; v2: the unified tree). Missing
// directories are fine; a cgroup that still holds processes is an error
// (FailedPrecondition naming it) and is left in place.
absl::Status RemovePodCgroup(const std::string& cgroup_root, const std::string& pod_uid,
                             const std::string& cgroup_fs = "/sys/fs/cgroup");

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_POD_CGROUP_H_
