#include "kubelet/pod_syncer_impl.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "status/generate.h"
#include "util/log.h"

namespace cubelet::kubelet {

KubeletPodSyncer::KubeletPodSyncer(container::Runtime* runtime, container::PodCache* pod_cache,
                                   status::StatusManager* status_manager, const Clock* clock)
    : runtime_(runtime), pod_cache_(pod_cache), clock_(clock), status_manager_(status_manager) {}

api::PodStatus KubeletPodSyncer::Generate(const api::Pod& pod, const container::PodStatus& status,
                                          bool pod_is_terminal) {
  std::optional<api::PodStatus> previous = GetPodStatus(pod.metadata.uid);
  // Nothing stored yet (a new pod, or an agent restart): what the pod's
  // source last said, so an API pod keeps its start time and condition
  // transition times across restarts (upstream updateStatusInternal).
  if (!previous.has_value() && !pod.status.phase.empty()) previous = pod.status;
  status::GenerateOptions options;
  options.pod_is_terminal = pod_is_terminal;
  status::ProbeStatus probes;
  if (probe_status_) {
    probes = probe_status_(pod.metadata.uid);
    options.probes = &probes;
  }
  // The kubelet's activeDeadlineHandler (an eviction request honoured by
  // generateAPIPodStatus): the pod fails, and SyncPod's terminal check then
  // has the worker kill it.
  absl::Time now = clock_->Now();
  options.should_evict = [&pod, now](const std::optional<absl::Time>& start_time)
      -> std::optional<std::pair<std::string, std::string>> {
    if (!PastActiveDeadline(pod, start_time, now)) return std::nullopt;
    return std::make_pair(std::string(kDeadlineExceededReason),
                          std::string(kDeadlineExceededMessage));
  };
  return status::GeneratePodStatus(pod, status, reasons_, previous ? &*previous : nullptr, now,
                                   options);
}

bool PastActiveDeadline(const api::Pod& pod, const std::optional<absl::Time>& start_time,
                        absl::Time now) {
  if (!pod.spec.active_deadline_seconds.has_value() || !start_time.has_value()) return false;
  return now - *start_time >= absl::Seconds(*pod.spec.active_deadline_seconds);
}

void KubeletPodSyncer::SetPodStatus(const api::Pod& pod, api::PodStatus status) {
  absl::StatusOr<uint64_t> stored = status_manager_->SetPodStatus(pod, std::move(status));
  if (!stored.ok()) {
    LOG(WARNING) << "Status for pod " << pod.metadata.name << "_" << pod.metadata.namespace_ << "("
                 << pod.metadata.uid << ") not stored: " << stored.status().message();
  }
}

std::optional<api::PodStatus> KubeletPodSyncer::GetPodStatus(const std::string& uid) const {
  std::optional<status::VersionedPodStatus> s = status_manager_->GetPodStatus(uid);
  if (!s.has_value()) return std::nullopt;
  return std::move(s->status);
}

void KubeletPodSyncer::ForgetPod(const std::string& uid) {
  status_manager_->RemovePodStatus(uid);
  reasons_.RemovePod(uid);
}

absl::StatusOr<container::PodStatusPtr> KubeletPodSyncer::RefreshCache(const api::Pod& pod) {
  absl::StatusOr<container::PodStatusPtr> status =
      runtime_->GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
  if (!status.ok()) return status.status();
  // A pod just stopped keeps its IPs in its final status, as the PLEG keeps
  // them in the cache (upstream preserveDataFromBeforeStopping).
  *status = container::PreservePodIps(*std::move(status), *pod_cache_, pod.metadata.uid);
  // Stamped after the read: the worker's next step (which waits for data
  // newer than the end of this one) can then go on without a relist, and the
  // read already reflects everything this step did.
  pod_cache_->Set(pod.metadata.uid, *status, absl::OkStatus(), clock_->Now());
  return status;
}

absl::StatusOr<bool> KubeletPodSyncer::SyncPod(const CancelTokenPtr& cancel,
                                               podworkers::SyncPodType update_type,
                                               const api::PodPtr& pod,
                                               const api::PodPtr& mirror_pod,
                                               const container::PodStatusPtr& status) {
  api::PodStatus api_status = Generate(*pod, *status);
  const bool terminal = api::IsTerminalPhase(api_status.phase);
  SetPodStatus(*pod, std::move(api_status));
  if (terminal) return true;
  if (cancel->IsCancelled()) return CancelledError("pod sync cancelled");

  if (refresh_volumes_) refresh_volumes_(*pod, *status);
  container::PodSyncResult result = runtime_->SyncPod(*pod, *status, cancel);
  reasons_.Update(pod->metadata.uid, result);

  // Read back what this step did. A step that did nothing (a periodic
  // resync, or the sync a PLEG event for the pod's own start triggers) reads
  // nothing: the status it began from stands, as with the kubelet's cache.
  // At 1000 pods these reads were two of every three GetPodStatus calls, and
  // each filters containerd's whole container list.
  if (!result.results.empty() || !result.sync_error.ok()) {
    absl::StatusOr<container::PodStatusPtr> fresh = RefreshCache(*pod);
    if (fresh.ok()) SetPodStatus(*pod, Generate(*pod, **fresh));
  }

  if (!result.sync_error.ok()) return result.sync_error;
  if (std::optional<absl::Time> expiration = result.MinBackoffExpiration();
      expiration.has_value() && result.OnlyBackOffErrors()) {
    // Only back-offs: the pod workers come back exactly when the earliest
    // one expires (upstream #133066), so a crash-looping container restarts
    // 10 s, 20 s, 40 s ... after its exits, not at the next periodic resync.
    return container::WithBackoffExpiration(result.Error(), *expiration);
  }
  if (result.OnlyBackOffErrors()) return false;
  return result.Error();
}

absl::Status KubeletPodSyncer::SyncTerminatingPod(const CancelTokenPtr& cancel,
                                                  const api::PodPtr& pod,
                                                  const container::PodStatusPtr& status,
                                                  std::optional<int64_t> grace_period,
                                                  const podworkers::PodStatusFunc& pod_status_fn) {
  api::PodStatus api_status = Generate(*pod, *status);
  if (pod_status_fn) pod_status_fn(&api_status);
  SetPodStatus(*pod, std::move(api_status));

  container::Pod running = container::RunningPodFromStatus(*status);
  running.id = pod->metadata.uid;
  running.name = pod->metadata.name;
  running.namespace_ = pod->metadata.namespace_;
  container::PodSyncResult result = runtime_->KillPod(pod.get(), running, grace_period, cancel);
  if (absl::Status err = result.Error(); !err.ok()) return err;

  absl::StatusOr<container::PodStatusPtr> fresh = RefreshCache(*pod);
  if (!fresh.ok()) return fresh.status();
  if (!(*fresh)->RunningContainers().empty()) {
    return absl::InternalError(
        absl::StrCat("detected running containers after a successful KillPod, CRI violation: pod ",
                     pod->metadata.name));
  }
  api::PodStatus final_status = Generate(*pod, **fresh, /*pod_is_terminal=*/true);
  if (pod_status_fn) pod_status_fn(&final_status);
  SetPodStatus(*pod, std::move(final_status));
  return absl::OkStatus();
}

absl::Status KubeletPodSyncer::SyncTerminatingRuntimePod(const CancelTokenPtr& cancel,
                                                         const container::Pod& running_pod) {
  container::PodSyncResult result = runtime_->KillPod(nullptr, running_pod, 1, cancel);
  return result.Error();
}

absl::Status KubeletPodSyncer::SyncTerminatedPod(const CancelTokenPtr& cancel,
                                                 const api::PodPtr& pod,
                                                 const container::PodStatusPtr& status) {
  SetPodStatus(*pod, Generate(*pod, *status, /*pod_is_terminal=*/true));
  if (release_pod_resources_) {
    if (absl::Status s = release_pod_resources_(*pod); !s.ok()) return s;
  }
  status_manager_->TerminatePod(*pod);
  return absl::OkStatus();
}

}  // namespace cubelet::kubelet
