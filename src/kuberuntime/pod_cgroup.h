// Pod cgroups (`<cgroup_root>/pod<uid>`): runc creates them from the
// sandbox's cgroup_parent; containerd leaves them behind after
// RemovePodSandbox, in every hierarchy, so the agent removes them, one at a
// time or the orphans of a housekeeping pass.
//
// Stateless free functions; safe from any thread.
#ifndef CUBELET_KUBERUNTIME_POD_CGROUP_H_
#define CUBELET_KUBERUNTIME_POD_CGROUP_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
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

// The uids of the pod cgroups under `cgroup_root` in every hierarchy
// mounted under `cgroup_fs`, each once, sorted.
std::vector<std::string> ListPodCgroups(const std::string& cgroup_root,
                                        const std::string& cgroup_fs = "/sys/fs/cgroup");

// Removes the pod cgroups whose uid is not in `keep` (housekeeping's
// cleanupOrphanedPodCgroups); returns the uids removed. A cgroup that still
// holds processes stays and is tried again on the next pass.
std::vector<std::string> RemoveOrphanedPodCgroups(const std::string& cgroup_root,
                                                  const absl::flat_hash_set<std::string>& keep,
                                                  const std::string& cgroup_fs = "/sys/fs/cgroup");

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_POD_CGROUP_H_
