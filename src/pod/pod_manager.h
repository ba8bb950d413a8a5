// PodManager: the pods the sources want on this node (upstream
// pkg/kubelet/pod.Manager), keyed by UID, with what the agent remembers of
// each: when it was first seen (pod start latency, the workers' start time),
// whether its start was measured, and whether admission refused it. Mirror
// pods will live here in cluster mode.
//
// The pod workers, not this manager, decide when a pod's resources may go;
// this is only the desired state.
//
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_POD_POD_MANAGER_H_
#define CUBELET_POD_POD_MANAGER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "util/mutex.h"

namespace cubelet::pod {

class PodManager {
 public:
  PodManager() = default;
  PodManager(const PodManager&) = delete;
  PodManager& operator=(const PodManager&) = delete;

  // Adds or replaces the pod; `now` becomes its first-seen time only if it
  // has none yet (an ADD after a REMOVE of the same UID keeps the first).
  void AddPod(const api::PodPtr& pod, absl::Time now);
  // Replaces the pod's spec (UPDATE, RECONCILE, DELETE); first sight stays.
  void UpdatePod(const api::PodPtr& pod);
  // Forgets the pod as desired; returns true if admission had refused it
  // (such a pod never ran, so nothing needs stopping).
  bool RemovePod(const std::string& uid);

  api::PodPtr GetPodByUID(const std::string& uid) const;  // null if unknown
  std::vector<api::PodPtr> GetPods() const;               // no order
  size_t NumPods() const;

  std::optional<absl::Time> FirstSeen(const std::string& uid) const;
  // The pod started running: returns its first-seen time the first time
  // only (so its start is measured once), nullopt afterwards.
  std::optional<absl::Time> MarkStarted(const std::string& uid);
  // Drops the first-seen time and start mark of a pod nobody knows any more.
  void Forget(const std::string& uid);

  void MarkRejected(const std::string& uid);
  bool IsRejected(const std::string& uid) const;

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, api::PodPtr> pods_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> first_seen_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> started_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> rejected_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::pod

#endif  // CUBELET_POD_POD_MANAGER_H_
