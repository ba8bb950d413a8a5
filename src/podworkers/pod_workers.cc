#include "podworkers/pod_workers.h"

#include <algorithm>
#include <asio/post.hpp>
#include <condition_variable>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/random.h"

namespace cubelet::podworkers {
namespace {

constexpr double kResyncJitterFactor = 0.5;
constexpr double kBackOffJitterFactor = 0.5;
constexpr absl::Duration kBackOffOnTransientError = absl::Seconds(1);
constexpr absl::Time kZeroTime = absl::InfinitePast();

bool IsZero(absl::Time t) { return t == kZeroTime; }

// True when the runtime shows nothing that could still run for the pod.
bool IsPodStatusCacheTerminal(const container::PodStatus& status) {
  for (const auto& c : status.container_statuses) {
    if (c.state == container::ContainerState::kRunning) return false;
  }
  for (const auto& s : status.sandbox_statuses) {
    if (s.state == container::SandboxState::kReady) return false;
  }
  return true;
}

}  // namespace

const char* ToString(SyncPodType t) {
  switch (t) {
    case SyncPodType::kSync:
      return "sync";
    case SyncPodType::kUpdate:
      return "update";
    case SyncPodType::kCreate:
      return "create";
    case SyncPodType::kKill:
      return "kill";
  }
  return "unknown";
}

const char* ToString(PodWorkerState s) {
  switch (s) {
    case PodWorkerState::kSync:
      return "sync";
    case PodWorkerState::kTerminating:
      return "terminating";
    case PodWorkerState::kTerminated:
      return "terminated";
  }
  return "unknown";
}

// One pod's record. Field meanings follow the kubelet's podSyncStatus; the
// goroutine and its channel are replaced by `strand`, `generation`,
// `wake_pending` and `in_iteration`.
struct PodWorkers::PodSyncStatus {
  CancelTokenPtr ctx;
  std::string fullname;
  bool working = false;
  std::optional<UpdatePodOptions> pending_update;
  std::optional<UpdatePodOptions> active_update;
  absl::Time synced_at = kZeroTime;
  absl::Time started_at = kZeroTime;
  absl::Time terminating_at = kZeroTime;
  absl::Time terminated_at = kZeroTime;
  int64_t grace_period = 0;
  std::vector<std::function<void()>> notify_post_terminating;
  std::vector<PodStatusFunc> status_post_terminating;
  bool started_terminating = false;
  bool deleted = false;
  bool evicted = false;
  bool finished = false;
  bool restart_requested = false;
  bool observed_runtime = false;

  // The worker: present from the first UpdatePod until the pod finishes.
  std::optional<Strand> strand;
  uint64_t generation = 0;    // identifies this worker's posted handlers
  bool wake_pending = false;  // a RunWorker is posted and not yet started
  bool in_iteration = false;  // between consuming an update and completing it
  absl::Time last_sync_time = kZeroTime;

  bool IsTerminationRequested() const { return !IsZero(terminating_at); }
  bool IsTerminated() const { return !IsZero(terminated_at); }
  bool IsStarted() const { return !IsZero(started_at); }
  PodWorkerState WorkType() const {
    if (IsTerminated()) return PodWorkerState::kTerminated;
    if (IsTerminationRequested()) return PodWorkerState::kTerminating;
    return PodWorkerState::kSync;
  }
};

// One consumed update, as the worker processes it.
struct PodWorkers::Work {
  PodWorkerState work_type = PodWorkerState::kSync;
  UpdatePodOptions options;
  CancelTokenPtr ctx;
};

int64_t CalculateEffectiveGracePeriod(int64_t current, const api::Pod* pod,
                                      const KillPodOptions* options, bool* shortened) {
  int64_t gp = current;
  bool overridden = false;
  if (pod != nullptr && pod->metadata.deletion_grace_period_seconds.has_value()) {
    int64_t v = *pod->metadata.deletion_grace_period_seconds;
    if (gp == 0 || v < gp) {
      gp = v;
      overridden = true;
    }
  }
  if (options != nullptr && options->grace_period_override.has_value()) {
    int64_t v = *options->grace_period_override;
    if (gp == 0 || v < gp) {
      gp = v;
      overridden = true;
    }
  }
  if (!overridden && gp == 0 && pod != nullptr &&
      pod->spec.termination_grace_period_seconds.has_value()) {
    gp = *pod->spec.termination_grace_period_seconds;
  }
  if (gp < 1) gp = 1;
  if (shortened != nullptr) *shortened = current != 0 && current != gp;
  return gp;
}

absl::Duration KillPodNowTimeout(const api::Pod& pod, std::optional<int64_t> grace_override) {
  int64_t grace = 0;
  if (grace_override.has_value()) {
    grace = *grace_override;
  } else if (pod.spec.termination_grace_period_seconds.has_value()) {
    grace = *pod.spec.termination_grace_period_seconds;
  }
  return std::max(absl::Seconds(10), absl::Seconds(grace) + absl::Seconds(grace) / 2);
}

absl::Status KillPodNow(PodWorkers& workers, const api::PodPtr& pod, bool evict,
                        std::optional<int64_t> grace_period_override, PodStatusFunc status_fn,
                        std::optional<absl::Duration> timeout) {
  struct Done {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto done = std::make_shared<Done>();
  UpdatePodOptions options;
  options.update_type = SyncPodType::kKill;
  options.pod = pod;
  KillPodOptions kill;
  kill.evict = evict;
  kill.grace_period_override = grace_period_override;
  kill.pod_status_func = std::move(status_fn);
  kill.on_completed = [done] {
    std::lock_guard<std::mutex> lock(done->mu);
    done->done = true;
    done->cv.notify_all();
  };
  options.kill_pod_options = std::move(kill);
  workers.UpdatePod(std::move(options));
  absl::Duration wait = timeout.value_or(KillPodNowTimeout(*pod, grace_period_override));
  std::unique_lock<std::mutex> lock(done->mu);
  if (!done->cv.wait_for(lock, absl::ToChronoNanoseconds(wait), [&] { return done->done; })) {
    return absl::DeadlineExceededError("timeout waiting to kill pod");
  }
  return absl::OkStatus();
}

PodWorkers::PodWorkers(asio::any_io_executor executor, PodSyncer* syncer,
                       container::PodCache* pod_cache, WorkQueue* work_queue, const Clock* clock,
                       Options options)
    : executor_(std::move(executor)),
      syncer_(syncer),
      pod_cache_(pod_cache),
      work_queue_(work_queue),
      clock_(clock),
      options_(std::move(options)) {}

PodWorkers::~PodWorkers() = default;

PodWorkers::PodSyncStatus* PodWorkers::Find(const std::string& uid) const {
  auto it = statuses_.find(uid);
  return it == statuses_.end() ? nullptr : it->second.get();
}

void PodWorkers::Event(const std::string& uid, const std::string& reason,
                       const std::string& message) {
  if (options_.event_sink) options_.event_sink(uid, reason, message);
}

void PodWorkers::UpdatePod(UpdatePodOptions options) {
  // Runtime-only pods can only be killed.
  bool is_runtime_pod = false;
  std::string uid, name, ns;
  if (options.running_pod != nullptr) {
    if (options.pod == nullptr) {
      if (options.update_type != SyncPodType::kKill) return;  // "runtime pods can only be killed"
      is_runtime_pod = true;
      uid = options.running_pod->id;
      name = options.running_pod->name;
      ns = options.running_pod->namespace_;
    } else {
      options.running_pod = nullptr;
    }
  }
  if (!is_runtime_pod) {
    if (options.pod == nullptr) return;
    uid = options.pod->metadata.uid;
    name = options.pod->metadata.name;
    ns = options.pod->metadata.namespace_;
  }

  std::vector<std::function<void()>> notify;  // run after unlocking
  CancelTokenPtr to_cancel;
  {
    MutexLock lock(&mu_);
    absl::Time now = clock_->Now();
    bool first_time = false;
    PodSyncStatus* status = Find(uid);
    if (status == nullptr) {
      first_time = true;
      auto fresh = std::make_unique<PodSyncStatus>();
      fresh->synced_at = now;
      fresh->fullname = absl::StrCat(name, "_", ns);
      // A pod that is terminal in the API and whose runtime state is already
      // stopped (agent restart) only needs its terminated phase.
      if (!is_runtime_pod && api::IsTerminalPhase(options.pod->status.phase)) {
        container::CachedPodStatus cached = pod_cache_->Get(uid);
        if (cached.error.ok() && IsPodStatusCacheTerminal(*cached.status)) {
          fresh->terminating_at = now;
          fresh->terminated_at = now;
          fresh->started_terminating = true;
        }
      }
      status = fresh.get();
      statuses_[uid] = std::move(fresh);
    }

    if (is_runtime_pod) {
      status->observed_runtime = true;
      if (status->pending_update.has_value() && status->pending_update->pod != nullptr) {
        options.pod = status->pending_update->pod;
        options.running_pod = nullptr;
      } else if (status->active_update.has_value() && status->active_update->pod != nullptr) {
        options.pod = status->active_update->pod;
        options.running_pod = nullptr;
      }
      // else keep the runtime pod; options.pod stays null
    }

    if (!first_time && status->IsTerminationRequested() &&
        options.update_type == SyncPodType::kCreate) {
      status->restart_requested = true;
      return;
    }
    if (status->finished) return;

    bool became_terminating = false;
    if (!status->IsTerminationRequested()) {
      if (is_runtime_pod) {
        status->deleted = true;
        status->terminating_at = now;
        became_terminating = true;
      } else if (options.pod != nullptr && options.pod->metadata.deletion_timestamp.has_value()) {
        status->deleted = true;
        status->terminating_at = now;
        became_terminating = true;
      } else if (options.pod != nullptr && api::IsTerminalPhase(options.pod->status.phase)) {
        status->terminating_at = now;
        became_terminating = true;
      } else if (options.update_type == SyncPodType::kKill) {
        if (options.kill_pod_options.has_value() && options.kill_pod_options->evict) {
          status->evicted = true;
        }
        status->terminating_at = now;
        became_terminating = true;
      }
    }

    bool shortened = false;
    if (status->IsTerminated()) {
      if (is_runtime_pod) return;  // stale housekeeping view of a terminated pod
      if (options.kill_pod_options.has_value()) {
        if (options.kill_pod_options->on_completed) {
          notify.push_back(std::move(options.kill_pod_options->on_completed));
        }
        options.kill_pod_options.reset();
      }
    } else if (status->IsTerminationRequested()) {
      if (!options.kill_pod_options.has_value()) options.kill_pod_options.emplace();
      KillPodOptions& kill = *options.kill_pod_options;
      if (kill.on_completed) status->notify_post_terminating.push_back(kill.on_completed);
      if (kill.pod_status_func) status->status_post_terminating.push_back(kill.pod_status_func);
      kill.on_completed = nullptr;
      kill.pod_status_func = nullptr;
      int64_t gp =
          CalculateEffectiveGracePeriod(status->grace_period, options.pod.get(), &kill, &shortened);
      status->grace_period = gp;
      kill.grace_period_override = gp;
    } else if (options.kill_pod_options.has_value()) {
      // Kill options mean nothing while the pod is syncing.
      if (options.kill_pod_options->on_completed) {
        notify.push_back(std::move(options.kill_pod_options->on_completed));
      }
      options.kill_pod_options.reset();
    }

    if (!status->strand.has_value()) {
      status->strand.emplace(asio::make_strand(executor_));
      status->generation = next_generation_++;
      if (options.pod != nullptr && api::IsStaticPod(*options.pod)) {
        waiting_static_pods_by_fullname_[status->fullname].push_back(uid);
      }
    }

    // Keep the oldest start time of the updates this one replaces.
    if (status->pending_update.has_value() &&
        status->pending_update->start_time < options.start_time) {
      options.start_time = status->pending_update->start_time;
    }
    status->pending_update = std::move(options);
    status->working = true;
    WakeLocked(uid, *status);

    if ((became_terminating || shortened) && status->ctx != nullptr) {
      // Detach the token now, cancel it after unlocking: the worker's next
      // step must get a fresh token, never this one about to be cancelled.
      to_cancel = std::move(status->ctx);
    }
  }
  if (to_cancel != nullptr) to_cancel->Cancel();
  for (auto& fn : notify) fn();
}

void PodWorkers::WakeLocked(const std::string& uid, PodSyncStatus& status) {
  if (!status.strand.has_value() || status.wake_pending) return;
  status.wake_pending = true;
  // Wake-ups are batched: posting to an idle pool wakes a thread (a futex
  // call) per post, which would dominate UpdatePod for idle pods.
  ready_.push_back(ReadyWorker{uid, status.generation, *status.strand});
  if (!dispatch_posted_) {
    dispatch_posted_ = true;
    asio::post(executor_, [this] { DispatchReady(); });
  }
}

void PodWorkers::DispatchReady() {
  std::vector<ReadyWorker> batch;
  {
    MutexLock lock(&mu_);
    batch.swap(ready_);
    dispatch_posted_ = false;
  }
  for (ReadyWorker& w : batch) {
    asio::post(w.strand,
               [this, uid = std::move(w.uid), gen = w.generation] { RunWorker(uid, gen); });
  }
}

std::optional<PodWorkers::Work> PodWorkers::StartPodSyncLocked(const std::string& uid,
                                                               PodSyncStatus& status,
                                                               bool* worker_ended) {
  *worker_ended = false;
  if (!status.pending_update.has_value()) {
    status.working = false;
    return std::nullopt;
  }
  Work work;
  work.work_type = status.WorkType();
  work.options = std::move(*status.pending_update);
  status.pending_update.reset();

  if (status.ctx == nullptr || status.ctx->IsCancelled()) status.ctx = CancelToken::Create();
  work.ctx = status.ctx;

  if (status.IsStarted()) {
    MergeLastUpdateLocked(status, work.options);
    return work;
  }
  if (work.options.running_pod != nullptr && work.work_type == PodWorkerState::kTerminating) {
    MergeLastUpdateLocked(status, work.options);
    return work;
  }
  if (work.options.pod == nullptr) {
    // Cannot start a pod without a spec; programmer error upstream.
    MergeLastUpdateLocked(status, work.options);
    EndWorkerLocked(status, uid);
    *worker_ended = true;
    return std::nullopt;
  }

  // allowPodStart
  bool can_start = true, can_ever_start = true;
  const api::Pod& pod = *work.options.pod;
  if (api::IsStaticPod(pod)) {
    if (status.IsTerminationRequested()) {
      can_start = can_ever_start = false;
    } else if (!AllowStaticPodStartLocked(status.fullname, uid)) {
      work_queue_->Enqueue(uid, Jitter(options_.back_off_period, kBackOffJitterFactor));
      can_start = false;
    }
  }
  if (!can_ever_start) {
    // cleanupUnstartedPod: never synced, so nothing to stop or release.
    EndWorkerLocked(status, uid);
    status.finished = true;
    status.working = false;
    status.terminated_at = clock_->Now();
    *worker_ended = true;
    return std::nullopt;
  }
  if (!can_start) {
    status.pending_update = std::move(work.options);
    status.working = false;
    return std::nullopt;
  }
  status.started_at = clock_->Now();
  MergeLastUpdateLocked(status, work.options);
  return work;
}

bool PodWorkers::AllowStaticPodStartLocked(const std::string& fullname, const std::string& uid) {
  auto started = started_static_pods_by_fullname_.find(fullname);
  if (started != started_static_pods_by_fullname_.end()) return started->second == uid;

  auto waiting_it = waiting_static_pods_by_fullname_.find(fullname);
  std::vector<std::string> waiting;
  if (waiting_it != waiting_static_pods_by_fullname_.end()) waiting = waiting_it->second;
  size_t i = 0;
  for (; i < waiting.size(); ++i) {
    const std::string& candidate = waiting[i];
    PodSyncStatus* s = Find(candidate);
    if (s == nullptr || s->IsTerminationRequested() || s->IsTerminated()) continue;
    if (candidate != uid) {
      // Another pod is first in line; drop the invalid entries before it.
      waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(i));
      waiting_static_pods_by_fullname_[fullname] = std::move(waiting);
      return false;
    }
    ++i;  // this uid: remove it too
    break;
  }
  waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(i));
  if (waiting.empty()) {
    waiting_static_pods_by_fullname_.erase(fullname);
  } else {
    waiting_static_pods_by_fullname_[fullname] = std::move(waiting);
  }
  started_static_pods_by_fullname_[fullname] = uid;
  return true;
}

void PodWorkers::MergeLastUpdateLocked(PodSyncStatus& status, const UpdatePodOptions& update) {
  if (!status.active_update.has_value()) status.active_update.emplace();
  UpdatePodOptions& active = *status.active_update;
  // A runtime-only update never replaces a known spec.
  if (update.pod != nullptr) active.pod = update.pod;
  active.running_pod = update.running_pod;
  if (update.mirror_pod != nullptr) active.mirror_pod = update.mirror_pod;
  if (update.kill_pod_options.has_value()) {
    KillPodOptions kept;
    kept.evict = update.kill_pod_options->evict;
    kept.grace_period_override = update.kill_pod_options->grace_period_override;
    active.kill_pod_options = std::move(kept);
  }
}

void PodWorkers::EndWorkerLocked(PodSyncStatus& status, const std::string& uid) {
  status.strand.reset();
  status.generation = 0;
  status.wake_pending = false;
  status.in_iteration = false;
  auto it = started_static_pods_by_fullname_.find(status.fullname);
  if (it != started_static_pods_by_fullname_.end() && it->second == uid) {
    started_static_pods_by_fullname_.erase(it);
  }
}

void PodWorkers::RequeueLastPodUpdateLocked(const std::string& uid, PodSyncStatus& status) {
  if (status.pending_update.has_value() || !status.active_update.has_value()) return;
  status.pending_update = *status.active_update;
  status.working = true;
  WakeLocked(uid, status);
}

void PodWorkers::RunWorker(const std::string& uid, uint64_t generation) {
  std::optional<Work> work;
  absl::Time last_sync_time;
  std::optional<Strand> strand;
  {
    MutexLock lock(&mu_);
    PodSyncStatus* status = Find(uid);
    if (status == nullptr || status->generation != generation) return;
    status->wake_pending = false;
    if (status->in_iteration) return;  // completion re-wakes if an update is pending
    bool worker_ended = false;
    work = StartPodSyncLocked(uid, *status, &worker_ended);
    if (!work.has_value()) return;
    status->in_iteration = true;
    last_sync_time = status->last_sync_time;
    strand = status->strand;
  }

  if (work->options.running_pod != nullptr) {
    ContinueWork(uid, generation, std::move(*work), container::CachedPodStatus{});
    return;
  }
  // Wait (without a thread) until the cache reflects the previous sync.
  auto shared_work = std::make_shared<Work>(std::move(*work));
  std::weak_ptr<int> alive = alive_;
  pod_cache_->SubscribeNewerThan(
      uid, last_sync_time,
      [this, alive, uid, generation, shared_work, strand = *strand](container::CachedPodStatus c) {
        if (strand.running_in_this_thread()) {
          // Fresh enough already: go on synchronously, still on our strand.
          ContinueWork(uid, generation, std::move(*shared_work), std::move(c));
          return;
        }
        if (alive.expired()) return;
        asio::post(strand, [this, alive, uid, generation, shared_work, c = std::move(c)]() mutable {
          if (alive.expired()) return;
          ContinueWork(uid, generation, std::move(*shared_work), std::move(c));
        });
      });
}

void PodWorkers::ContinueWork(const std::string& uid, uint64_t generation, Work work,
                              container::CachedPodStatus cached) {
  // The next step of this pod waits for a status observed after this one
  // began (the kubelet waits for one newer than its end, i.e. for the next
  // relist). That is safe because the syncer refreshes the pod's cache entry
  // after acting and the cache never lets an older observation replace a
  // newer one; it saves a relist period per lifecycle transition.
  const absl::Time sync_start = clock_->Now() - absl::Nanoseconds(1);
  if (work.work_type == PodWorkerState::kTerminating && options_.run_blocking) {
    std::optional<Strand> strand;
    {
      MutexLock lock(&mu_);
      PodSyncStatus* status = Find(uid);
      if (status == nullptr || status->generation != generation) return;
      strand = status->strand;
    }
    // in_iteration stays set meanwhile: no other step of this pod starts.
    auto shared_work = std::make_shared<Work>(std::move(work));
    options_.run_blocking([this, alive = std::weak_ptr<int>(alive_), uid, generation, shared_work,
                           cached = std::move(cached), sync_start, strand = *strand] {
      if (alive.expired()) return;
      SyncOutcome outcome = RunSync(uid, generation, *shared_work, cached);
      asio::post(strand, [this, alive, uid, generation, shared_work, sync_start, outcome] {
        if (alive.expired()) return;
        FinishWork(uid, generation, *shared_work, sync_start, outcome);
      });
    });
    return;
  }
  SyncOutcome outcome = RunSync(uid, generation, work, cached);
  FinishWork(uid, generation, work, sync_start, outcome);
}

PodWorkers::SyncOutcome PodWorkers::RunSync(const std::string& uid, uint64_t generation,
                                            const Work& work,
                                            const container::CachedPodStatus& cached) {
  const bool is_runtime_pod = work.options.running_pod != nullptr;
  absl::Status err;
  bool is_terminal = false;
  bool ran = false;
  if (!is_runtime_pod && !cached.error.ok()) {
    err = cached.error;
    Event(uid, "FailedSync", absl::StrCat("error determining status: ", err.message()));
  } else {
    ran = true;
    switch (work.work_type) {
      case PodWorkerState::kTerminated:
        err = syncer_->SyncTerminatedPod(work.ctx, work.options.pod, cached.status);
        break;
      case PodWorkerState::kTerminating: {
        std::optional<int64_t> grace;
        if (work.options.kill_pod_options.has_value()) {
          grace = work.options.kill_pod_options->grace_period_override;
        }
        if (is_runtime_pod) {
          err = syncer_->SyncTerminatingRuntimePod(work.ctx, *work.options.running_pod);
        } else {
          PodStatusFunc status_fn;
          {
            // acknowledgeTerminating
            MutexLock lock(&mu_);
            PodSyncStatus* status = Find(uid);
            if (status != nullptr && status->generation == generation) {
              if (status->IsTerminationRequested()) status->started_terminating = true;
              if (!status->status_post_terminating.empty()) {
                status_fn = status->status_post_terminating.back();
              }
            }
          }
          err = syncer_->SyncTerminatingPod(work.ctx, work.options.pod, cached.status, grace,
                                            status_fn);
        }
        break;
      }
      case PodWorkerState::kSync: {
        absl::StatusOr<bool> result =
            syncer_->SyncPod(work.ctx, work.options.update_type, work.options.pod,
                             work.options.mirror_pod, cached.status);
        if (result.ok()) {
          is_terminal = *result;
        } else {
          err = result.status();
        }
        break;
      }
    }
  }

  return SyncOutcome{.err = err, .is_terminal = is_terminal, .ran = ran};
}

void PodWorkers::FinishWork(const std::string& uid, uint64_t generation, const Work& work,
                            absl::Time sync_start, const SyncOutcome& outcome) {
  const bool is_runtime_pod = work.options.running_pod != nullptr;
  const absl::Status& err = outcome.err;
  const bool is_terminal = outcome.is_terminal;
  const bool ran = outcome.ran;
  std::vector<std::function<void()>> notify;
  {
    MutexLock lock(&mu_);
    PodSyncStatus* status = Find(uid);
    if (status == nullptr || status->generation != generation) return;
    status->last_sync_time = sync_start;
    status->in_iteration = false;
    bool phase_transition = false;
    if (ran && err.ok()) {
      switch (work.work_type) {
        case PodWorkerState::kTerminated:
          // completeTerminated: the worker ends; the record stays until purged.
          EndWorkerLocked(*status, uid);
          status->finished = true;
          status->working = false;
          status->pending_update.reset();
          return;
        case PodWorkerState::kTerminating:
          if (is_runtime_pod) {
            // completeTerminatingRuntimePod: runtime pods leave no history.
            EndWorkerLocked(*status, uid);
            statuses_.erase(uid);
            return;
          }
          // completeTerminating
          status->terminated_at = clock_->Now();
          notify.swap(status->notify_post_terminating);
          status->status_post_terminating.clear();
          RequeueLastPodUpdateLocked(uid, *status);
          phase_transition = true;
          break;
        case PodWorkerState::kSync:
          if (is_terminal) {
            // completeSync
            if (!status->IsTerminationRequested()) status->terminating_at = clock_->Now();
            status->started_terminating = true;
            RequeueLastPodUpdateLocked(uid, *status);
            phase_transition = true;
          }
          break;
      }
    }
    CompleteWorkLocked(uid, *status, phase_transition, err);
  }
  for (auto& fn : notify) fn();
}

void PodWorkers::CompleteWorkLocked(const std::string& uid, PodSyncStatus& status,
                                    bool phase_transition, const absl::Status& error) {
  if (phase_transition) {
    work_queue_->Enqueue(uid, absl::ZeroDuration());
  } else if (error.ok()) {
    work_queue_->Enqueue(uid, Jitter(options_.resync_interval, kResyncJitterFactor));
  } else if (container::IsNetworkNotReady(error)) {
    work_queue_->Enqueue(uid, Jitter(kBackOffOnTransientError, kBackOffJitterFactor));
  } else if (std::optional<absl::Time> expiration = container::BackoffExpiration(error)) {
    // The error says when a retry is due (a container or image back-off):
    // come back exactly then, no later than the resync interval.
    absl::Duration delay =
        std::clamp(*expiration - clock_->Now(), absl::ZeroDuration(), options_.resync_interval);
    work_queue_->Enqueue(uid, delay);
  } else {
    work_queue_->Enqueue(uid, Jitter(options_.back_off_period, kBackOffJitterFactor));
  }
  if (status.pending_update.has_value()) {
    WakeLocked(uid, status);
  } else {
    status.working = false;
  }
}

bool PodWorkers::RemoveTerminatedWorkerLocked(const std::string& uid, PodSyncStatus& status,
                                              bool orphan,
                                              std::vector<std::function<void()>>* notify) {
  if (!status.finished) {
    if (!orphan) return false;  // restartRequested waits for completion
    status.deleted = true;
    if (!status.IsStarted() && !status.observed_runtime) {
      // Never started: nothing ran, forget it now.
    } else {
      if (!status.IsTerminationRequested()) {
        status.terminating_at = clock_->Now();
        if (status.active_update.has_value() && status.active_update->pod != nullptr) {
          status.grace_period = CalculateEffectiveGracePeriod(
              status.grace_period, status.active_update->pod.get(), nullptr, nullptr);
        } else {
          status.grace_period = 1;
        }
      }
      RequeueLastPodUpdateLocked(uid, status);
      return false;
    }
  }
  EndWorkerLocked(status, uid);
  for (auto& fn : status.notify_post_terminating) notify->push_back(std::move(fn));
  statuses_.erase(uid);
  return true;
}

absl::flat_hash_map<std::string, PodWorkerSync> PodWorkers::SyncKnownPods(
    const std::vector<api::PodPtr>& desired_pods) {
  absl::flat_hash_map<std::string, PodWorkerSync> result;
  std::vector<std::function<void()>> notify;
  {
    MutexLock lock(&mu_);
    pods_synced_ = true;
    absl::flat_hash_map<std::string, bool> desired;
    for (const auto& pod : desired_pods) desired[pod->metadata.uid] = true;
    std::vector<std::string> uids;
    uids.reserve(statuses_.size());
    for (const auto& [uid, s] : statuses_) uids.push_back(uid);
    for (const std::string& uid : uids) {
      PodSyncStatus& status = *statuses_[uid];
      bool orphan = !desired.contains(uid);
      if ((status.restart_requested || orphan) &&
          RemoveTerminatedWorkerLocked(uid, status, orphan, &notify)) {
        continue;
      }
      PodWorkerSync sync;
      sync.state = status.WorkType();
      sync.orphan = orphan;
      const api::Pod* pod = nullptr;
      if (status.active_update.has_value()) {
        pod = status.active_update->pod.get();
      } else if (status.pending_update.has_value()) {
        pod = status.pending_update->pod.get();
      }
      if (pod != nullptr) {
        sync.has_config = true;
        sync.is_static = api::IsStaticPod(*pod);
      }
      result[uid] = sync;
    }
  }
  for (auto& fn : notify) fn();
  return result;
}

bool PodWorkers::IsPodKnownTerminated(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr && s->IsTerminated();
}

bool PodWorkers::IsPodKnownToWorker(const std::string& uid) const {
  MutexLock lock(&mu_);
  return Find(uid) != nullptr;
}

bool PodWorkers::CouldHaveRunningContainers(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr ? !s->IsTerminated() : !pods_synced_;
}

bool PodWorkers::ShouldPodBeFinished(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr ? s->finished : pods_synced_;
}

bool PodWorkers::IsPodTerminationRequested(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr && s->IsTerminationRequested();
}

bool PodWorkers::ShouldPodContainersBeTerminating(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr ? s->started_terminating : pods_synced_;
}

bool PodWorkers::ShouldPodRuntimeBeRemoved(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr ? s->IsTerminated() : pods_synced_;
}

bool PodWorkers::ShouldPodContentBeRemoved(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  return s != nullptr ? (s->evicted || (s->deleted && s->IsTerminated())) : pods_synced_;
}

bool PodWorkers::IsPodForMirrorPodTerminatingByFullName(const std::string& fullname) const {
  MutexLock lock(&mu_);
  auto it = started_static_pods_by_fullname_.find(fullname);
  if (it == started_static_pods_by_fullname_.end()) return false;
  const PodSyncStatus* s = Find(it->second);
  return s != nullptr && s->IsTerminationRequested() && !s->IsTerminated();
}

std::optional<PodWorkerSnapshot> PodWorkers::Snapshot(const std::string& uid) const {
  MutexLock lock(&mu_);
  const PodSyncStatus* s = Find(uid);
  if (s == nullptr) return std::nullopt;
  PodWorkerSnapshot snap;
  snap.fullname = s->fullname;
  snap.working = s->working;
  snap.has_worker = s->strand.has_value();
  snap.has_pending_update = s->pending_update.has_value();
  snap.has_active_update = s->active_update.has_value();
  if (s->active_update.has_value()) {
    snap.active_pod = s->active_update->pod;
    if (s->active_update->kill_pod_options.has_value()) {
      snap.active_grace_override = s->active_update->kill_pod_options->grace_period_override;
    }
  }
  snap.synced_at = s->synced_at;
  snap.started_at = s->started_at;
  snap.terminating_at = s->terminating_at;
  snap.terminated_at = s->terminated_at;
  snap.grace_period = s->grace_period;
  snap.pending_notifications = s->notify_post_terminating.size();
  snap.pending_status_funcs = s->status_post_terminating.size();
  snap.started_terminating = s->started_terminating;
  snap.deleted = s->deleted;
  snap.evicted = s->evicted;
  snap.finished = s->finished;
  snap.restart_requested = s->restart_requested;
  snap.observed_runtime = s->observed_runtime;
  return snap;
}

size_t PodWorkers::NumPods() const {
  MutexLock lock(&mu_);
  return statuses_.size();
}

size_t PodWorkers::NumWorkers() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [uid, s] : statuses_) n += s->strand.has_value() ? 1 : 0;
  return n;
}

bool PodWorkers::AnyWorking() const {
  MutexLock lock(&mu_);
  for (const auto& [uid, s] : statuses_) {
    if (s->working) return true;
  }
  return false;
}

absl::flat_hash_map<std::string, std::string> PodWorkers::StartedStaticPods() const {
  MutexLock lock(&mu_);
  return started_static_pods_by_fullname_;
}

absl::flat_hash_map<std::string, std::vector<std::string>> PodWorkers::WaitingStaticPods() const {
  MutexLock lock(&mu_);
  return waiting_static_pods_by_fullname_;
}

}  // namespace cubelet::podworkers
