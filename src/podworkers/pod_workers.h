// PodWorkers: one serialized worker per pod UID that drives the pod through
// sync -> terminating -> terminated -> finished by calling a PodSyncer (the
// kubelet's pkg/kubelet/pod_workers.go, modern state machine). Its state is
// the agent's only authority on teardown (PodStateProvider, with the
// timeline in pod_state_provider.h).
//
// UpdatePod() never blocks on a sync: it records the newest update for the
// pod (older undelivered ones are coalesced, a requested termination is never
// lost) and wakes the pod's worker. Workers are not threads: each pod has an
// asio strand on a shared executor (a bounded pool in production, a manually
// run io_context in tests), so thousands of idle pods cost map entries only.
// While a worker waits for a fresh runtime status from the PodCache it holds
// no thread either.
//
// Ownership: borrows the executor, syncer, pod cache, work queue and clock;
// all must outlive this object. Destroy it only after the executor has
// stopped running handlers. Thread-safety: every public method may be called
// from any thread; one internal mutex guards all per-pod records; syncer
// calls are made without it held.
#ifndef CUBELET_PODWORKERS_POD_WORKERS_H_
#define CUBELET_PODWORKERS_POD_WORKERS_H_

#include <asio/any_io_executor.hpp>
#include <asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "container/pod_cache.h"
#include "container/runtime.h"
#include "container/runtime_types.h"
#include "podworkers/pod_state_provider.h"
#include "podworkers/pod_syncer.h"
#include "podworkers/work_queue.h"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::podworkers {

enum class PodWorkerState { kSync = 0, kTerminating, kTerminated };
const char* ToString(PodWorkerState s);

struct KillPodOptions {
  // Called once when the pod has terminated (the kubelet's CompletedCh), or
  // at once when the kill does not apply (pod still syncing or already done).
  std::function<void()> on_completed;
  bool evict = false;
  PodStatusFunc pod_status_func;
  std::optional<int64_t> grace_period_override;
};

struct UpdatePodOptions {
  SyncPodType update_type = SyncPodType::kSync;
  absl::Time start_time = absl::InfinitePast();
  api::PodPtr pod;
  api::PodPtr mirror_pod;
  // A pod known only from the runtime; only a kill makes sense for it.
  std::shared_ptr<const container::Pod> running_pod;
  std::optional<KillPodOptions> kill_pod_options;
};

// Per-UID summary returned by SyncKnownPods.
struct PodWorkerSync {
  PodWorkerState state = PodWorkerState::kSync;
  bool orphan = false;
  bool has_config = false;
  bool is_static = false;
  bool operator==(const PodWorkerSync&) const = default;
};

// A copy of one pod's record, for tests and diagnostics.
struct PodWorkerSnapshot {
  std::string fullname;
  bool working = false;
  bool has_worker = false;
  bool has_pending_update = false;
  bool has_active_update = false;
  api::PodPtr active_pod;
  std::optional<int64_t> active_grace_override;
  absl::Time synced_at = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();
  absl::Time terminating_at = absl::InfinitePast();
  absl::Time terminated_at = absl::InfinitePast();
  int64_t grace_period = 0;
  size_t pending_notifications = 0;
  size_t pending_status_funcs = 0;
  bool started_terminating = false;
  bool deleted = false;
  bool evicted = false;
  bool finished = false;
  bool restart_requested = false;
  bool observed_runtime = false;
};

class PodWorkers final : public PodStateProvider {
 public:
  struct Options {
    absl::Duration resync_interval = absl::Minutes(1);
    absl::Duration back_off_period = absl::Seconds(10);
    // Receives Warning events (reason, message) such as FailedSync.
    std::function<void(const std::string& uid, const std::string& reason,
                       const std::string& message)>
        event_sink;
    // Runs a terminating sync (which may wait out a grace period) away from
    // the executor, so a mass deletion holds none of the threads other pods
    // sync on; its completion comes back on the pod's strand, so the pod's
    // steps stay serial. Unset: on the strand like every other sync (tests).
    std::function<void(std::function<void()>)> run_blocking;
  };

  PodWorkers(asio::any_io_executor executor, PodSyncer* syncer, container::PodCache* pod_cache,
             WorkQueue* work_queue, const Clock* clock, Options options);
  ~PodWorkers() override;
  PodWorkers(const PodWorkers&) = delete;
  PodWorkers& operator=(const PodWorkers&) = delete;

  // Hands the pod's worker its newest desired state (see file comment).
  void UpdatePod(UpdatePodOptions options);

  // Purges finished workers that are no longer desired (or whose UID is to be
  // reused), starts terminating the orphans, and reports every pod still
  // known. Callers re-send Create for desired pods missing from the result.
  absl::flat_hash_map<std::string, PodWorkerSync> SyncKnownPods(
      const std::vector<api::PodPtr>& desired_pods);

  bool IsPodKnownTerminated(const std::string& uid) const;
  bool IsPodKnownToWorker(const std::string& uid) const;
  bool ShouldPodBeFinished(const std::string& uid) const;
  // PodStateProvider (contracts in pod_state_provider.h).
  bool IsPodTerminationRequested(const std::string& uid) const override;
  bool ShouldPodContainersBeTerminating(const std::string& uid) const override;
  bool CouldHaveRunningContainers(const std::string& uid) const override;
  bool ShouldPodRuntimeBeRemoved(const std::string& uid) const override;
  bool ShouldPodContentBeRemoved(const std::string& uid) const override;
  bool IsPodForMirrorPodTerminatingByFullName(const std::string& fullname) const;

  // Introspection (tests, metrics, debugging).
  std::optional<PodWorkerSnapshot> Snapshot(const std::string& uid) const;
  size_t NumPods() const;
  size_t NumWorkers() const;  // pods with a live worker ("channel")
  bool AnyWorking() const;
  absl::flat_hash_map<std::string, std::string> StartedStaticPods() const;
  absl::flat_hash_map<std::string, std::vector<std::string>> WaitingStaticPods() const;

 private:
  struct PodSyncStatus;
  struct Work;
  using Strand = asio::strand<asio::any_io_executor>;

  struct ReadyWorker {
    std::string uid;
    uint64_t generation;
    Strand strand;
  };

  PodSyncStatus* Find(const std::string& uid) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeLocked(const std::string& uid, PodSyncStatus& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Posts every woken worker to its strand (see WakeLocked).
  void DispatchReady();
  void RunWorker(const std::string& uid, uint64_t generation);
  void ContinueWork(const std::string& uid, uint64_t generation, Work work,
                    container::CachedPodStatus cached);
  // What one sync call gave.
  struct SyncOutcome {
    absl::Status err;
    bool is_terminal = false;
    bool ran = false;
  };
  // The syncer call of `work` (no lock held).
  SyncOutcome RunSync(const std::string& uid, uint64_t generation, const Work& work,
                      const container::CachedPodStatus& cached);
  // The state transition after it, on the pod's strand.
  void FinishWork(const std::string& uid, uint64_t generation, const Work& work,
                  absl::Time sync_start, const SyncOutcome& outcome);
  // startPodSync: consumes the pending update; nullopt when nothing may run.
  std::optional<Work> StartPodSyncLocked(const std::string& uid, PodSyncStatus& status,
                                         bool* worker_ended) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AllowStaticPodStartLocked(const std::string& fullname, const std::string& uid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MergeLastUpdateLocked(PodSyncStatus& status, const UpdatePodOptions& update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequeueLastPodUpdateLocked(const std::string& uid, PodSyncStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndWorkerLocked(PodSyncStatus& status, const std::string& uid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteWorkLocked(const std::string& uid, PodSyncStatus& status, bool phase_transition,
                          const absl::Status& error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RemoveTerminatedWorkerLocked(const std::string& uid, PodSyncStatus& status, bool orphan,
                                    std::vector<std::function<void()>>* notify)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Event(const std::string& uid, const std::string& reason, const std::string& message);

  const asio::any_io_executor executor_;
  PodSyncer* const syncer_;
  container::PodCache* const pod_cache_;
  WorkQueue* const work_queue_;
  const Clock* const clock_;
  const Options options_;
  // Guards against callbacks (cache subscriptions) outliving this object.
  const std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  mutable Mutex mu_;
  bool pods_synced_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, std::unique_ptr<PodSyncStatus>> statuses_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> started_static_pods_by_fullname_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::string>> waiting_static_pods_by_fullname_
      ABSL_GUARDED_BY(mu_);
  std::vector<ReadyWorker> ready_ ABSL_GUARDED_BY(mu_);
  bool dispatch_posted_ ABSL_GUARDED_BY(mu_) = false;
};

// Kills `pod` through the workers and blocks until it has terminated (the
// kubelet's killPodNow, used for eviction and shutdown). Returns
// DeadlineExceeded "timeout waiting to kill pod" if that takes longer than
// `timeout` (default: KillPodNowTimeout). Must not be called from a worker.
absl::Status KillPodNow(PodWorkers& workers, const api::PodPtr& pod, bool evict,
                        std::optional<int64_t> grace_period_override, PodStatusFunc status_fn,
                        std::optional<absl::Duration> timeout = std::nullopt);
// max(10 s, 1.5 x grace), grace = override, else the pod's spec, else 0.
absl::Duration KillPodNowTimeout(const api::Pod& pod, std::optional<int64_t> grace_override);

// Effective grace period of a terminating pod: the deletion grace and kill
// overrides may only shorten it, the spec value applies when nothing else
// does, and it is never below 1 s. `shortened` when it replaced a set value.
int64_t CalculateEffectiveGracePeriod(int64_t current, const api::Pod* pod,
                                      const KillPodOptions* options, bool* shortened);

}  // namespace cubelet::podworkers

#endif  // CUBELET_PODWORKERS_POD_WORKERS_H_
