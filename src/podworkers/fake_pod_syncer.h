// FakePodSyncer: a PodSyncer for tests of the pod workers. Records every call
// (kind, pod, update type, grace period, status func) and answers through
// optional per-kind hooks (default: success, not terminal). It also checks the
// workers' core promise: never two calls for one pod UID at the same time.
//
// Thread-safety: safe to call from any thread; hooks run without the fake's
// lock held, so they may block (e.g. on a latch the test releases).
#ifndef CUBELET_PODWORKERS_FAKE_POD_SYNCER_H_
#define CUBELET_PODWORKERS_FAKE_POD_SYNCER_H_

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "podworkers/pod_syncer.h"

namespace cubelet::podworkers {

class FakePodSyncer final : public PodSyncer {
 public:
  enum class Kind { kSync, kTerminating, kTerminatingRuntime, kTerminated };

  struct Record {
    Kind kind;
    std::string uid;
    std::string pod_name;
    SyncPodType update_type = SyncPodType::kSync;
    std::optional<int64_t> grace_period;
    PodStatusFunc pod_status_fn;
    api::PodPtr pod;
    container::PodStatusPtr status;
  };

  using SyncHook = std::function<absl::StatusOr<bool>(const Record&, const CancelTokenPtr&)>;
  using Hook = std::function<absl::Status(const Record&, const CancelTokenPtr&)>;

  void SetSyncPodHook(SyncHook h) { Set(&sync_hook_, std::move(h)); }
  void SetTerminatingHook(Hook h) { Set(&terminating_hook_, std::move(h)); }
  void SetTerminatingRuntimeHook(Hook h) { Set(&terminating_runtime_hook_, std::move(h)); }
  void SetTerminatedHook(Hook h) { Set(&terminated_hook_, std::move(h)); }

  absl::StatusOr<bool> SyncPod(const CancelTokenPtr& cancel, SyncPodType update_type,
                               const api::PodPtr& pod, const api::PodPtr& mirror_pod,
                               const container::PodStatusPtr& status) override {
    Record r{Kind::kSync, pod->metadata.uid, pod->metadata.name, update_type, std::nullopt, {}, pod,
             status};
    Enter(r);
    SyncHook hook = Get(sync_hook_);
    absl::StatusOr<bool> result = hook ? hook(r, cancel) : absl::StatusOr<bool>(false);
    Leave(r);
    return result;
  }

  absl::Status SyncTerminatingPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                  const container::PodStatusPtr& status,
                                  std::optional<int64_t> grace_period,
                                  const PodStatusFunc& pod_status_fn) override {
    Record r{Kind::kTerminating,
             pod->metadata.uid,
             pod->metadata.name,
             SyncPodType::kKill,
             grace_period,
             pod_status_fn,
             pod,
             status};
    return Call(r, terminating_hook_, cancel);
  }

  absl::Status SyncTerminatingRuntimePod(const CancelTokenPtr& cancel,
                                         const container::Pod& running_pod) override {
    Record r{Kind::kTerminatingRuntime,
             running_pod.id,
             running_pod.name,
             SyncPodType::kKill,
             std::nullopt,
             {},
             nullptr,
             nullptr};
    return Call(r, terminating_runtime_hook_, cancel);
  }

  absl::Status SyncTerminatedPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                 const container::PodStatusPtr& status) override {
    Record r{Kind::kTerminated,
             pod->metadata.uid,
             pod->metadata.name,
             SyncPodType::kSync,
             std::nullopt,
             {},
             pod,
             status};
    return Call(r, terminated_hook_, cancel);
  }

  std::vector<Record> Records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }
  std::vector<Record> RecordsFor(const std::string& uid) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Record> out;
    for (const Record& r : records_) {
      if (r.uid == uid) out.push_back(r);
    }
    return out;
  }
  void ClearRecords() {
    std::lock_guard<std::mutex> lock(mu_);
    records_.clear();
  }
  // Calls that overlapped another call for the same UID (must stay 0).
  int ConcurrentCalls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return concurrent_calls_;
  }

 private:
  template <typename H>
  void Set(H* slot, H h) {
    std::lock_guard<std::mutex> lock(mu_);
    *slot = std::move(h);
  }
  template <typename H>
  H Get(const H& slot) const {
    std::lock_guard<std::mutex> lock(mu_);
    return slot;
  }
  absl::Status Call(const Record& r, const Hook& slot, const CancelTokenPtr& cancel) {
    Enter(r);
    Hook hook = Get(slot);
    absl::Status s = hook ? hook(r, cancel) : absl::OkStatus();
    Leave(r);
    return s;
  }
  void Enter(const Record& r) {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(r);
    if (!in_flight_.insert(r.uid).second) ++concurrent_calls_;
  }
  void Leave(const Record& r) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(r.uid);
  }

  mutable std::mutex mu_;
  std::vector<Record> records_;
  absl::flat_hash_set<std::string> in_flight_;
  int concurrent_calls_ = 0;
  SyncHook sync_hook_;
  Hook terminating_hook_;
  Hook terminating_runtime_hook_;
  Hook terminated_hook_;
};

inline const char* ToString(FakePodSyncer::Kind k) {
  switch (k) {
    case FakePodSyncer::Kind::kSync:
      return "sync";
    case FakePodSyncer::Kind::kTerminating:
      return "terminating";
    case FakePodSyncer::Kind::kTerminatingRuntime:
      return "terminating-runtime";
    case FakePodSyncer::Kind::kTerminated:
      return "terminated";
  }
  return "?";
}

}  // namespace cubelet::podworkers

#endif  // CUBELET_PODWORKERS_FAKE_POD_SYNCER_H_
