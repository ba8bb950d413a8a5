#include "kubelet/kubelet.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/format.h"
#include "asio/post.hpp"
#include "kubelet/instrumented_pod_syncer.h"
#include "kubelet/kubelet_metrics.h"
#include "kuberuntime/pod_cgroup.h"
#include "status/generate.h"
#include "util/go_duration.h"
#include "util/log.h"

namespace cubelet::kubelet {
namespace {

// The sync loop's back-off while the runtime is down (upstream syncLoop:
// 100 ms doubling to 5 s).
constexpr absl::Duration kRuntimeBackoffInitial = absl::Milliseconds(100);
constexpr absl::Duration kRuntimeBackoffMax = absl::Seconds(5);
// Healthy() fails when the loop has not turned for this long (upstream
// syncLoop health: the PLEG's relist threshold).
constexpr absl::Duration kSyncLoopThreshold = absl::Minutes(3);

}  // namespace

Kubelet::Kubelet(KubeletDeps deps, KubeletOptions options)
    : runtime_service_(deps.runtime_service),
      clock_(deps.clock),
      registry_(deps.registry),
      options_(std::move(options)),
      device_manager_(deps.device_manager),
      runtime_prober_(std::make_unique<prober::RuntimeProber>(deps.runtime_service)),
      prober_manager_(std::make_unique<prober::ProberManager>(
          deps.prober != nullptr ? deps.prober : runtime_prober_.get(), deps.clock,
          deps.probe_executor.value_or(deps.executor),
          [this](const std::string& uid) -> std::optional<api::PodStatus> {
            std::optional<status::VersionedPodStatus> s = status_manager_.GetPodStatus(uid);
            if (!s.has_value()) return std::nullopt;
            return std::move(s->status);
          },
          [this](const std::string& uid) {
            {
              std::lock_guard<std::mutex> lock(inbox_mu_);
              inbox_.push_back(ProbeUpdate{uid});
            }
            inbox_cv_.notify_one();
          },
          prober::ProberManagerOptions{
              .log = [](const std::string& line) { LOG(INFO) << line; },
              .recorder = deps.recorder,
          })),
      volume_manager_(options_.root_dir, volume::SystemMounter(), std::nullopt, deps.objects,
                      deps.tokens),
      runtime_helper_(
          &volume_manager_,
          [devices = deps.device_manager](const api::Pod& pod, const api::Container& container,
                                          cri::ContainerConfig* config) {
            if (devices == nullptr) return;
            devicemanager::DeviceRunOptions o =
                devices->RunOptions(pod.metadata.uid, container.name);
            config->envs.insert(config->envs.begin(), o.envs.begin(), o.envs.end());
            config->mounts.insert(config->mounts.end(), o.mounts.begin(), o.mounts.end());
            config->devices.insert(config->devices.end(), o.devices.begin(), o.devices.end());
            for (auto& [k, v] : o.annotations) config->annotations[k] = v;
          }),
      runtime_manager_(deps.runtime_service, deps.image_service, deps.clock,
                       kuberuntime::RuntimeManagerOptions{
                           .pod_logs_dir = options_.pod_logs_dir,
                           .root_dir = options_.root_dir,
                           .cgroup_root = options_.cgroup_root,
                           .host_ip = options_.host_ip,
                           .cluster_domain = options_.cluster_domain,
                           .manage_host_state = options_.manage_host_state,
                           .backoff_initial = options_.backoff_initial,
                           .backoff_max = options_.backoff_max,
                           .probe_results = prober_manager_.get(),
                           .runtime_helper = &runtime_helper_,
                           .recorder = deps.recorder,
                           .objects = deps.objects,
                           .services = deps.services,
                       }),
      status_manager_([this](const api::Pod& pod, const api::PodStatus* old_status,
                             const api::PodStatus& new_status) {
        OnStatusChange(pod, old_status, new_status);
      }),
      syncer_(&runtime_manager_, &pod_cache_, &status_manager_, deps.clock),
      work_queue_(deps.clock),
      executor_(deps.executor),
      node_info_(deps.node_info.value_or(lifecycle::LocalNodeInfo(options_.node_name))),
      status_listener_(std::move(deps.status_listener)),
      recorder_(deps.recorder) {
  metrics_ = KubeletMetrics::Register(
      registry_,
      KubeletMetricSources{
          .node_name = options_.node_name,
          .pleg_discard_events = [this] { return static_cast<double>(events_.dropped()); },
          .desired_pods = [this] { return static_cast<double>(pod_manager_.NumPods()); },
          .working_pods = [this] { return static_cast<double>(pod_workers_->NumWorkers()); },
      });
  syncer_.SetProbeStatusFunc(
      [this](const std::string& uid) { return prober_manager_->GetProbeStatus(uid); });
  if (options_.manage_host_state) {
    syncer_.SetRefreshVolumesFunc([this](const api::Pod& pod, const container::PodStatus& status) {
      RefreshVolumes(pod, status);
    });
    syncer_.SetReleasePodResourcesFunc([this](const api::Pod& pod) {
      const std::string& uid = pod.metadata.uid;
      if (absl::Status s = volume_manager_.TearDownPodVolumes(uid); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("unmounting volumes of terminated pod ",
                                                   api::FormatPod(pod), ": ", s.message()));
      }
      // A cgroup still busy is no reason to hold the worker: housekeeping
      // removes it as an orphan once the pod is gone.
      if (absl::Status s =
              kuberuntime::RemovePodCgroup(options_.cgroup_root, uid, options_.cgroup_fs);
          !s.ok()) {
        VLOG(1) << "Pod cgroup of terminated pod " << api::FormatPod(pod)
                << " not removed yet: " << s.message();
      }
      return absl::OkStatus();
    });
  }
  instrumented_syncer_ =
      std::make_unique<InstrumentedPodSyncer>(&syncer_, metrics_.pod_worker_duration, clock_);
  podworkers::PodWorkers::Options worker_options;
  worker_options.resync_interval = options_.sync_frequency;
  worker_options.event_sink = [](const std::string& uid, const std::string& reason,
                                 const std::string& message) {
    LOG(WARNING) << "Pod " << uid << ": " << reason << ": " << message;
  };
  if (options_.terminating_threads > 0) {
    terminating_pool_ =
        std::make_unique<WorkerPool>(static_cast<size_t>(options_.terminating_threads));
    worker_options.run_blocking = [pool = terminating_pool_.get()](std::function<void()> fn) {
      pool->Submit(std::move(fn));
    };
  }
  pod_workers_ = std::make_unique<podworkers::PodWorkers>(deps.executor, instrumented_syncer_.get(),
                                                          &pod_cache_, &work_queue_, clock_,
                                                          std::move(worker_options));
  pleg::GenericPleg::Options pleg_options;
  pleg_options.relist_period = options_.relist_period;
  pleg_options.log = [](std::string_view line) { LOG(INFO) << line; };
  pleg_options.on_relist = [this](const pleg::RelistStats& stats) {
    metrics_.relist_duration->Observe(absl::ToDoubleSeconds(stats.last_duration));
    if (stats.last_interval > absl::ZeroDuration()) {
      metrics_.relist_interval->Observe(absl::ToDoubleSeconds(stats.last_interval));
    }
  };
  pleg_ = std::make_unique<pleg::GenericPleg>(&runtime_manager_, &pod_cache_, &events_, clock_,
                                              std::move(pleg_options));
  if (!deps.event_sources.empty()) {
    pleg::EventedPleg::Options evented_options;
    evented_options.relist_period = options_.evented_relist_period;
    evented_options.relist_threshold =
        std::max(absl::Minutes(3), 2 * options_.evented_relist_period + absl::Minutes(1));
    evented_options.fallback_relist_period = options_.relist_period;
    evented_options.resolve_pod = [this](const std::string& id) {
      return runtime_manager_.PodOfContainer(id);
    };
    evented_options.on_event = [this](const cri::ContainerEvent& event) {
      runtime_manager_.NoteRuntimeEvent(event);
    };
    evented_options.log = [](std::string_view line) { LOG(INFO) << line; };
    evented_pleg_ = std::make_unique<pleg::EventedPleg>(deps.event_sources, pleg_.get(),
                                                        &pod_cache_, clock_, evented_options);
    pleg::EventedPleg* evented = evented_pleg_.get();
    registry_->NewGaugeFunc(
        "cubelet_pleg_event_stream_live",
        "1 while the runtime's container event stream drives the PLEG (label: the source).",
        {"source"}, [evented] {
          pleg::EventedPlegStats stats = evented->Stats();
          return metrics::Registry::Samples{{{stats.source}, stats.live ? 1.0 : 0.0}};
        });
    struct Counter {
      const char* name;
      const char* help;
      uint64_t pleg::EventedPlegStats::*value;
    };
    for (const Counter& c : {
             Counter{"cubelet_pleg_runtime_events_total",
                     "Container events received from the runtime's event stream.",
                     &pleg::EventedPlegStats::events},
             Counter{"cubelet_pleg_event_stream_breaks_total",
                     "Times the runtime's event stream ended and the relist took over until it "
                     "was back.",
                     &pleg::EventedPlegStats::stream_breaks},
             Counter{"cubelet_pleg_pod_reads_total",
                     "Single-pod re-reads made for runtime events (not relists).",
                     &pleg::EventedPlegStats::pod_reads},
         }) {
      registry_->NewCounterFunc(c.name, c.help, {}, [evented, value = c.value] {
        return metrics::Registry::Samples{{{}, static_cast<double>(evented->Stats().*value)}};
      });
    }
  }
  const PlegContext pleg_context{&runtime_manager_, &pod_cache_, &events_, clock_};
  for (const PlegFactory& factory : deps.pleg_generators) {
    extra_plegs_.push_back(factory(pleg_context));
  }
  runtime_state_.AddHealthCheck("sync loop", [this] { return SyncLoopHealthy(); });
  runtime_state_.AddHealthCheck("PLEG", [this] { return pleg_->Healthy(); });
  if (evented_pleg_) {
    runtime_state_.AddHealthCheck("PLEG events", [this] { return evented_pleg_->Healthy(); });
  }
  for (size_t i = 0; i < extra_plegs_.size(); ++i) {
    pleg::PodLifecycleEventGenerator* generator = extra_plegs_[i].get();
    runtime_state_.AddHealthCheck(absl::StrCat("PLEG ", i + 1),
                                  [generator] { return generator->Healthy(); });
  }
}

Kubelet::~Kubelet() { Stop(); }

void Kubelet::Start() {
  std::lock_guard<std::mutex> lock(inbox_mu_);
  if (started_threads_) return;
  started_threads_ = true;
  stopping_ = false;
  UpdateRuntimeState();
  pleg_->Start();
  if (evented_pleg_) evented_pleg_->Start();
  for (const auto& generator : extra_plegs_) generator->Start();
  prober_manager_->Start();
  events_thread_ = std::thread([this] { ForwardPlegEvents(); });
  loop_thread_ = std::thread([this] { SyncLoop(); });
}

void Kubelet::Stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    if (!started_threads_) return;
    started_threads_ = false;
    stopping_ = true;
  }
  inbox_cv_.notify_all();
  prober_manager_->Stop();
  if (evented_pleg_) evented_pleg_->Stop();
  pleg_->Stop();
  for (const auto& generator : extra_plegs_) generator->Stop();
  events_.Close();
  if (events_thread_.joinable()) events_thread_.join();
  if (loop_thread_.joinable()) loop_thread_.join();
}

void Kubelet::OnPodUpdate(const config::PodUpdate& update) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.push_back(update);
  }
  inbox_cv_.notify_one();
}

void Kubelet::SetSourcesReady(std::function<bool()> sources_ready) {
  std::lock_guard<std::mutex> lock(loop_mu_);
  sources_ready_ = std::move(sources_ready);
}

void Kubelet::ForwardPlegEvents() {
  while (std::optional<pleg::PodLifecycleEvent> event = events_.Pop(absl::InfiniteDuration())) {
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      inbox_.push_back(std::move(*event));
    }
    inbox_cv_.notify_one();
  }
}

void Kubelet::RelistNow() {
  pleg_->Relist();
  while (std::optional<pleg::PodLifecycleEvent> event = events_.TryPop()) {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.push_back(std::move(*event));
  }
}

void Kubelet::UpdateRuntimeState() {
  runtime_state_.SetRuntimeStatus(runtime_service_->GetStatus());
}

void Kubelet::SyncLoop() {
  LOG(INFO) << "Starting kubelet main sync loop";
  const absl::Time start = clock_->Now();
  absl::Time next_tick = start + options_.sync_tick;
  absl::Time next_housekeeping = start + options_.housekeeping_period;
  absl::Time next_runtime_check = start + options_.runtime_check_period;
  absl::Duration backoff = kRuntimeBackoffInitial;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(inbox_mu_);
      absl::Time wake = std::min(next_tick, next_housekeeping);
      absl::Duration wait = std::max(wake - clock_->Now(), absl::ZeroDuration());
      inbox_cv_.wait_for(lock, absl::ToChronoNanoseconds(wait),
                         [this] { return stopping_ || !inbox_.empty(); });
      if (stopping_) return;
    }
    absl::Time now = clock_->Now();
    if (now >= next_runtime_check) {
      UpdateRuntimeState();
      next_runtime_check = now + options_.runtime_check_period;
    }
    {
      std::lock_guard<std::mutex> lock(health_mu_);
      last_loop_time_ = now;
    }
    const bool runtime_down = !runtime_state_.RuntimeError().ok();
    if (runtime_down) {
      // Nothing is acted on while the runtime is down; config updates and
      // events wait in the inbox. Poll the runtime with a back-off.
      std::unique_lock<std::mutex> lock(inbox_mu_);
      inbox_cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff), [this] { return stopping_; });
      if (stopping_) return;
      lock.unlock();
      backoff = std::min(backoff * 2, kRuntimeBackoffMax);
      UpdateRuntimeState();
      next_runtime_check = clock_->Now() + options_.runtime_check_period;
      continue;
    }
    backoff = kRuntimeBackoffInitial;
    bool tick = now >= next_tick;
    bool housekeeping = now >= next_housekeeping;
    SyncLoopIteration(tick, housekeeping);
    if (tick) next_tick = now + options_.sync_tick;
    if (housekeeping) next_housekeeping = now + options_.housekeeping_period;
  }
}

void Kubelet::SyncLoopIteration(bool tick, bool housekeeping) {
  std::deque<InboxItem> items;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    items.swap(inbox_);
  }
  std::lock_guard<std::mutex> loop_lock(loop_mu_);
  for (const InboxItem& item : items) Handle(item);
  if (tick) {
    std::vector<api::PodPtr> due;
    absl::flat_hash_set<std::string> uids;
    for (const std::string& uid : work_queue_.GetWork()) {
      api::PodPtr pod = pod_manager_.GetPodByUID(uid);
      if (pod != nullptr && uids.insert(uid).second) due.push_back(std::move(pod));
    }
    // Pods past their active deadline are synced at once, so they fail and
    // stop without waiting for their resync (upstream getPodsToSync).
    const absl::Time now = clock_->Now();
    for (const api::PodPtr& pod : pod_manager_.GetPods()) {
      const std::string& uid = pod->metadata.uid;
      if (!pod->spec.active_deadline_seconds.has_value() || uids.contains(uid)) continue;
      std::optional<status::VersionedPodStatus> s = status_manager_.GetPodStatus(uid);
      if (s.has_value() && !api::IsTerminalPhase(s->status.phase) &&
          PastActiveDeadline(*pod, s->status.start_time, now)) {
        due.push_back(pod);
      }
    }
    HandlePodSyncs(due);
  }
  if (housekeeping && (!sources_ready_ || sources_ready_())) HandlePodCleanups();
}

void Kubelet::Handle(const InboxItem& item) {
  if (const auto* update = std::get_if<config::PodUpdate>(&item)) {
    HandlePodUpdate(*update);
  } else if (const auto* probe = std::get_if<ProbeUpdate>(&item)) {
    api::PodPtr pod = pod_manager_.GetPodByUID(probe->uid);
    if (pod == nullptr) return;
    HandlePodSyncs({pod});
  } else {
    HandlePlegEvent(std::get<pleg::PodLifecycleEvent>(item));
  }
}

void Kubelet::DispatchWork(podworkers::SyncPodType type, const api::PodPtr& pod) {
  podworkers::UpdatePodOptions options;
  options.update_type = type;
  options.pod = pod;
  // A rejected pod never runs: nothing to start, nothing to stop.
  if (pod_manager_.IsRejected(pod->metadata.uid)) return;
  if (std::optional<absl::Time> seen = pod_manager_.FirstSeen(pod->metadata.uid)) {
    options.start_time = *seen;
  }
  pod_workers_->UpdatePod(std::move(options));
}

bool Kubelet::AdmitPod(const api::PodPtr& pod) {
  std::vector<api::PodPtr> active;
  for (const api::PodPtr& other : pod_manager_.GetPods()) {
    const std::string& uid = other->metadata.uid;
    if (uid == pod->metadata.uid || pod_manager_.IsRejected(uid)) continue;
    // Pods that finished hold nothing (filterOutInactivePods).
    if (pod_workers_->IsPodKnownTerminated(uid)) continue;
    if (std::optional<status::VersionedPodStatus> s = status_manager_.GetPodStatus(uid);
        s.has_value() && api::IsTerminalPhase(s->status.phase)) {
      continue;
    }
    active.push_back(other);
  }
  lifecycle::AdmitResult result = lifecycle::Admit(*pod, active, node_info_);
  if (result.admit && device_manager_ != nullptr) {
    // The devices its containers request (upstream's resource allocation
    // admit handler).
    std::set<std::string> active_uids;
    for (const api::PodPtr& other : active) active_uids.insert(other->metadata.uid);
    if (absl::Status s = device_manager_->Allocate(*pod, active_uids); !s.ok()) {
      result = lifecycle::AdmitResult{
          .admit = false,
          .reason = "UnexpectedAdmissionError",
          .message = absl::StrCat("Allocate failed due to ", s.message(), ", which is unexpected")};
    }
  }
  if (result.admit) return true;
  pod_manager_.MarkRejected(pod->metadata.uid);
  // rejectPod: a Warning event and a terminal status; no worker ever starts.
  LOG(WARNING) << "Pod " << FormatPod(*pod) << " rejected: " << result.reason << ": "
               << result.message;
  if (recorder_ != nullptr) {
    recorder_->Event(events::PodReference(*pod), events::kWarning, result.reason, result.message);
  }
  api::PodStatus status;
  status.phase = api::kPodFailed;
  status.reason = result.reason;
  status.message = absl::StrCat("Pod was rejected: ", result.message);
  status.qos_class = status::GetPodQOS(*pod);
  status.host_ip = options_.host_ip;
  if (absl::StatusOr<uint64_t> stored = status_manager_.SetPodStatus(*pod, std::move(status));
      !stored.ok()) {
    LOG(WARNING) << "Status for rejected pod " << FormatPod(*pod)
                 << " not stored: " << stored.status().message();
  }
  return false;
}

void Kubelet::HandlePodUpdate(const config::PodUpdate& update) {
  using config::PodOperation;
  if (update.pods.empty()) return;
  VLOG(2) << "SyncLoop " << config::PodOperationName(update.op) << " source=\"" << update.source
          << "\" pods=" << update.pods.size();
  switch (update.op) {
    case PodOperation::kAdd: {
      // Oldest first, as the kubelet admits pods (here: by first sight).
      absl::Time now = clock_->Now();
      for (const api::PodPtr& pod : update.pods) {
        pod_manager_.AddPod(pod, now);
        LOG(INFO) << "SyncLoop ADD source=\"" << update.source << "\" pod=\"" << FormatPod(*pod)
                  << "\"";
        if (!AdmitPod(pod)) continue;
        // getPullSecretsForPod: without an API server no secret can be read;
        // the pull goes on without credentials, as the kubelet's does.
        for (const std::string& secret : pod->spec.image_pull_secrets) {
          LOG(WARNING) << "Unable to retrieve pull secret " << pod->metadata.namespace_ << "/"
                       << secret << " for pod " << FormatPod(*pod)
                       << ": no API server in standalone mode; the image pull may not succeed";
        }
        prober_manager_->AddPod(pod);
        DispatchWork(podworkers::SyncPodType::kCreate, pod);
      }
      break;
    }
    case PodOperation::kUpdate:
    case PodOperation::kReconcile:
      for (const api::PodPtr& pod : update.pods) {
        pod_manager_.UpdatePod(pod);
        if (update.op == PodOperation::kUpdate) {
          LOG(INFO) << "SyncLoop UPDATE source=\"" << update.source << "\" pod=\""
                    << FormatPod(*pod) << "\"";
          DispatchWork(podworkers::SyncPodType::kUpdate, pod);
        } else if (!pod->spec.readiness_gates.empty()) {
          // A readiness gate's condition may have changed: Ready is worked
          // out again (upstream HandlePodReconcile).
          DispatchWork(podworkers::SyncPodType::kSync, pod);
        }
      }
      break;
    case PodOperation::kDelete:
      // Graceful deletion: the pod stays known while it terminates; the
      // workers read the grace from deletionGracePeriodSeconds.
      for (const api::PodPtr& pod : update.pods) {
        pod_manager_.UpdatePod(pod);
        LOG(INFO) << "SyncLoop DELETE source=\"" << update.source << "\" pod=\"" << FormatPod(*pod)
                  << "\"";
        DispatchWork(podworkers::SyncPodType::kUpdate, pod);
      }
      break;
    case PodOperation::kRemove:
      for (const api::PodPtr& pod : update.pods) {
        if (pod_manager_.IsRejected(pod->metadata.uid)) {  // it never ran
          pod_manager_.RemovePod(pod->metadata.uid);
          continue;
        }
        LOG(INFO) << "SyncLoop REMOVE source=\"" << update.source << "\" pod=\"" << FormatPod(*pod)
                  << "\"";
        prober_manager_->RemovePod(pod->metadata.uid);
        // The grace period comes from the pod's spec (the worker computes it).
        // The kill goes first: other threads (the mirror pod controller) must
        // never see the pod neither desired nor terminating, or a static pod
        // being replaced would lose its mirror mid-grace.
        DispatchWork(podworkers::SyncPodType::kKill, pod);
        pod_manager_.RemovePod(pod->metadata.uid);
      }
      break;
    case PodOperation::kSet:
      LOG(ERROR) << "SyncLoop got a SET update from PodConfig; ignored";
      break;
  }
}

void Kubelet::HandlePlegEvent(const pleg::PodLifecycleEvent& event) {
  if (event.type == pleg::PodLifeCycleEventType::kContainerDied && event.exit_code.has_value()) {
    VLOG(1) << "Container " << event.container_id << " of pod " << event.pod_uid
            << " died with exit code " << *event.exit_code;
  }
  api::PodPtr pod = pod_manager_.GetPodByUID(event.pod_uid);
  if (pod == nullptr) return;  // housekeeping deals with runtime-only pods
  VLOG(3) << "SyncLoop (PLEG) pod=\"" << FormatPod(*pod) << "\" event=" << ToString(event.type);
  HandlePodSyncs({pod});
}

void Kubelet::HandlePodSyncs(const std::vector<api::PodPtr>& pods) {
  for (const api::PodPtr& pod : pods) DispatchWork(podworkers::SyncPodType::kSync, pod);
}

void Kubelet::RefreshVolumes(const api::Pod& pod, const container::PodStatus& status) {
  const bool refreshable =
      std::any_of(pod.spec.volumes.begin(), pod.spec.volumes.end(), [](const api::Volume& v) {
        return v.config_map.has_value() || v.secret.has_value() || v.downward_api.has_value() ||
               v.projected.has_value();
      });
  // Before a container runs, its start sets the volumes up anyway.
  const bool running =
      std::any_of(status.container_statuses.begin(), status.container_statuses.end(),
                  [](const container::ContainerStatus& c) {
                    return c.state == container::ContainerState::kRunning;
                  });
  if (!refreshable || !running) return;
  if (absl::Status s = volume_manager_.SetUpPodVolumes(pod, runtime_manager_.NodeAllocatable());
      !s.ok()) {
    LOG(WARNING) << "Pod " << api::FormatPod(pod) << ": " << s.message();
    if (recorder_ != nullptr) {
      recorder_->Event(events::PodReference(pod), events::kWarning, "FailedMount",
                       std::string(s.message()));
    }
  }
}

void Kubelet::OnStatusChange(const api::Pod& pod, const api::PodStatus* old_status,
                             const api::PodStatus& new_status) {
  if (status_listener_) status_listener_(pod);
  const bool was_running = old_status != nullptr && old_status->phase == api::kPodRunning;
  if (was_running || new_status.phase != api::kPodRunning) return;
  std::optional<absl::Time> first_seen = pod_manager_.MarkStarted(pod.metadata.uid);
  if (!first_seen.has_value()) return;
  metrics_.pod_start_duration->Observe(absl::ToDoubleSeconds(clock_->Now() - *first_seen));
}

std::vector<api::Pod> Kubelet::GetPods() const {
  const std::vector<api::PodPtr> pods = pod_manager_.GetPods();
  std::vector<api::Pod> out;
  out.reserve(pods.size());
  for (const api::PodPtr& pod : pods) {
    api::Pod copy = *pod;
    if (std::optional<status::VersionedPodStatus> s =
            status_manager_.GetPodStatus(pod->metadata.uid)) {
      copy.status = std::move(s->status);
    } else {
      copy.status.phase = api::kPodPending;
    }
    status::ApplyNodeAddresses(copy, options_.host_ip, copy.status);
    out.push_back(std::move(copy));
  }
  std::sort(out.begin(), out.end(), [](const api::Pod& a, const api::Pod& b) {
    return std::tie(a.metadata.namespace_, a.metadata.name) <
           std::tie(b.metadata.namespace_, b.metadata.name);
  });
  return out;
}

absl::Status Kubelet::SyncLoopHealthy() const {
  std::lock_guard<std::mutex> lock(health_mu_);
  if (last_loop_time_ != absl::InfinitePast() &&
      clock_->Now() - last_loop_time_ > kSyncLoopThreshold) {
    return absl::UnavailableError(absl::StrCat(
        "sync loop was last seen active ", FormatGoDuration(clock_->Now() - last_loop_time_),
        " ago; threshold is ", FormatGoDuration(kSyncLoopThreshold)));
  }
  return absl::OkStatus();
}

absl::Status Kubelet::Healthy() const { return runtime_state_.Healthy(); }

}  // namespace cubelet::kubelet
