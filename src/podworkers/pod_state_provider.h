// PodStateProvider: the one authority on what may happen to a pod's
// containers, runtime objects and content (upstream's podStateProvider and
// PodDeletionSafetyProvider). The pod workers implement it from their state
// machine; housekeeping, container GC, the status manager and, in cluster
// mode, pod deletion from the API server ask it instead of keeping their own
// sets.
//
// Each pod moves along one timeline, per UID:
//
//   unknown --UpdatePod--> syncing --kill/delete/terminal phase--> terminating
//     --SyncTerminatingPod done--> terminated --SyncTerminatedPod done--> finished
//     --SyncKnownPods, no longer desired--> purged (unknown again)
//
// A UID the workers do not know is answered from whether housekeeping has
// run once (SyncKnownPods): before it, an unknown pod may still be running
// something from before an agent restart; after it, an unknown pod owns
// nothing that may stay.
//
// Thread-safety: implementations answer from any thread; an answer may be
// stale by the time the caller acts, so callers act only on answers that
// stay true once true (every predicate below except CouldHaveRunningContainers
// only ever goes from false to true for one UID's worker).
#ifndef CUBELET_PODWORKERS_POD_STATE_PROVIDER_H_
#define CUBELET_PODWORKERS_POD_STATE_PROVIDER_H_

#include <string>

namespace cubelet::podworkers {

class PodStateProvider {
 public:
  virtual ~PodStateProvider() = default;

  // Termination was asked for (kill, deletion, a terminal phase, orphaned).
  virtual bool IsPodTerminationRequested(const std::string& uid) const = 0;
  // Containers must be stopped and none started: the worker began
  // terminating (unknown pods: once housekeeping has run).
  virtual bool ShouldPodContainersBeTerminating(const std::string& uid) const = 0;
  // False only once every container of the pod is known stopped; true for
  // unknown pods until housekeeping has run once.
  virtual bool CouldHaveRunningContainers(const std::string& uid) const = 0;
  // The pod's runtime objects (containers, sandboxes) may be removed: it is
  // terminated (unknown pods: once housekeeping has run).
  virtual bool ShouldPodRuntimeBeRemoved(const std::string& uid) const = 0;
  // The pod's content (volumes, pod directory, logs, status) may be removed:
  // it was evicted, or deleted and terminated (unknown pods: once
  // housekeeping has run). A terminated pod that is still desired keeps its
  // content, so `kubectl logs` and its final status stay.
  virtual bool ShouldPodContentBeRemoved(const std::string& uid) const = 0;
};

}  // namespace cubelet::podworkers

#endif  // CUBELET_PODWORKERS_POD_STATE_PROVIDER_H_
