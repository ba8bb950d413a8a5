// PodConfig: merges the pod sources (file, http, ...) into one stream of
// incremental changes for the sync loop: upstream pkg/kubelet/config/config.go
// in PodConfigNotificationIncremental mode.
//
// Each source's pods are kept by UID. A source's kSet snapshot is compared
// with what it said before and becomes, in this order: REMOVE (gone), ADD
// (new; stamped with kubernetes.io/config.seen), UPDATE (spec, labels,
// deletion fields or non-local annotations changed), DELETE (changed and
// deletionTimestamp set), RECONCILE (only the status changed). A source's
// first kSet with nothing to add, update or delete produces an empty ADD so the
// consumer learns the source is seen. Pods whose full name is already taken —
// earlier in the same update, or by another source's current pod — are dropped
// and reported (first seen wins).
//
// Ownership: borrows the clock (must outlive this object); owns copies of the
// pods it has seen and hands out shared immutable PodPtrs. Thread-safety: every
// method may be called from any thread. Merge() calls are serialized, and each
// one delivers its updates to `on_update` before the next merge starts, so the
// consumer sees a consistent order; callbacks run on the Merge() caller's
// thread and may call the const methods, but must not call Merge().
#ifndef CUBELET_CONFIG_CONFIG_H_
#define CUBELET_CONFIG_CONFIG_H_

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/pod.h"
#include "config/pod_update.h"
#include "util/clock.h"

namespace cubelet::config {

// Annotations the kubelet itself manages, left out of change detection
// (upstream localAnnotations).
bool IsLocalAnnotation(const std::string& key);

// Whether `a` and `b` differ in what the sync loop must act on (upstream
// podsDifferSemantically): spec, labels, deletionTimestamp,
// deletionGracePeriodSeconds or annotations other than the local ones.
bool PodsDifferSemantically(const api::Pod& a, const api::Pod& b);

// kubernetes.io/config.seen's value for `t`: Go's RFC3339Nano in UTC
// ("2023-11-14T22:13:20.123456789Z", trailing zeros dropped).
std::string FormatSeenTimestamp(absl::Time t);

class PodConfig {
 public:
  using UpdateCallback = std::function<void(const PodUpdate&)>;
  using ErrorCallback = std::function<void(const std::string& message)>;

  PodConfig(Clock* clock, UpdateCallback on_update, ErrorCallback on_error = nullptr);

  PodConfig(const PodConfig&) = delete;
  PodConfig& operator=(const PodConfig&) = delete;

  // Applies one update from source `update.source`: kSet replaces the
  // source's pods; kAdd, kUpdate and kDelete add or change the pods given;
  // kRemove removes them (by UID). kReconcile is ignored.
  void Merge(const PodUpdate& update);

  // True once every source in `expected` has sent a kSet.
  bool SeenAllSources(const std::set<std::string>& expected) const;

  // Every pod of every source, by source name then UID.
  std::vector<api::PodPtr> GetPods() const;

 private:
  struct Changes {
    std::vector<api::PodPtr> adds, updates, deletes, removes, reconciles;
    std::vector<std::string> errors;
  };
  using SourcePods = std::map<std::string, api::PodPtr>;  // by UID

  // Folds `incoming` into `pods` (whose earlier contents are `old_pods`).
  // Requires mu_.
  void Upsert(const std::string& source, const std::vector<api::PodPtr>& incoming,
              const SourcePods& old_pods, SourcePods& pods, Changes& changes);

  Clock* const clock_;
  const UpdateCallback on_update_;
  const ErrorCallback on_error_;

  std::mutex merge_mu_;                     // held across a whole Merge(), delivery included
  mutable std::mutex mu_;                   // guards the state below; never held in callbacks
  std::map<std::string, SourcePods> pods_;  // by source
  std::set<std::string> sources_seen_;
};

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_CONFIG_H_
