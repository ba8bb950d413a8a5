// RuntimeManager's container operations (upstream kuberuntime_container.go):
// start a container (back-off, image, volumes, create, start, postStart),
// stop one with the kubelet's grace rules and its preStop hook, stop a batch
// in parallel, and prune init containers.
#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "kuberuntime/labels.h"
#include "kuberuntime/runtime_manager.h"
#include "kuberuntime/runtime_manager_internal.h"
#include "util/log.h"

namespace cubelet::kuberuntime {

using container::PodSyncResult;
using container::SyncResult;

absl::Status RuntimeManager::StartContainer(const api::Pod& pod, const api::Container& container,
                                            const container::PodStatus& status,
                                            const std::string& sandbox_id,
                                            const cri::PodSandboxConfig& sandbox_config,
                                            const std::vector<std::string>& pod_ips,
                                            PodSyncResult& result) {
  SyncResult r{.action = SyncResult::Action::kStartContainer, .target = container.name};
  auto fail = [&](absl::Status error, std::string reason, std::string message) {
    r.error = error;
    r.reason = std::move(reason);
    r.message = std::move(message);
    result.results.push_back(std::move(r));
    return error;
  };

  absl::Time backoff_expiration;
  if (std::optional<std::string> msg = DoBackOff(pod, container, status, &backoff_expiration)) {
    r.backoff_expiration = backoff_expiration;
    return fail(absl::UnavailableError(*msg), container::kCrashLoopBackOff, *msg);
  }

  std::string reason, message;
  absl::StatusOr<std::string> image = EnsureImageExists(pod, container, reason, message);
  if (!image.ok()) {
    if (reason == container::kImagePullBackOff) {
      r.backoff_expiration =
          image_pull_backoff_.UpdateExpiration(ImagePullBackoffKey(pod, container.image));
    }
    return fail(image.status(), reason, message);
  }

  // The restart count continues from the latest instance, so the new one
  // gets a fresh attempt number and log file.
  const container::ContainerStatus* latest = status.FindContainerStatusByName(container.name);
  int32_t restart_count = latest == nullptr ? 0 : latest->restart_count + 1;

  // Volumes before the config: hostPath checks may create what it mounts.
  if (options_.manage_host_state) {
    if (absl::Status s = helper_->PrepareVolumes(pod, NodeAllocatable()); !s.ok()) {
      // About the pod, not the container, as the kubelet's syncPod reports
      // a failed WaitForAttachAndMount.
      recorder_->Event(events::PodReference(pod), events::kWarning, "FailedMount",
                       absl::StrCat("Unable to attach or mount volumes: ", s.message()));
      return fail(s, kCreateContainerConfigError, std::string(s.message()));
    }
  }
  absl::StatusOr<cri::ContainerConfig> config =
      GenerateContainerConfig(container, pod, restart_count, pod_ips);
  if (config.ok() && !container.target_container_name.empty()) {
    // An ephemeral container joins its target's process namespace.
    const container::ContainerStatus* target =
        status.FindContainerStatusByName(container.target_container_name);
    if (target == nullptr) {
      config = absl::NotFoundError(
          absl::StrCat("unable to find target container ", container.target_container_name));
    } else {
      config->security_context.namespaces.pid = cri::NamespaceMode::kTarget;
      config->security_context.namespaces.target_id = target->id;
    }
  }
  if (!config.ok()) {
    Record(pod, container.name, events::kWarning, "Failed",
           absl::StrCat("Error: ", config.status().message()));
    return fail(config.status(), kCreateContainerConfigError,
                std::string(config.status().message()));
  }
  // The runtime writes the log file but, like the kubelet, we make its
  // directory (<pod log dir>/<container>/).
  if (options_.manage_host_state) {
    std::error_code ec;
    std::filesystem::create_directories(
        std::filesystem::path(sandbox_config.log_directory) / container.name, ec);
  }
  absl::StatusOr<std::string> id = runtime_->CreateContainer(sandbox_id, *config, sandbox_config);
  if (!id.ok()) {
    Record(pod, container.name, events::kWarning, "Failed",
           absl::StrCat("Error: ", id.status().message()));
    return fail(id.status(), container::kCreateContainerError, std::string(id.status().message()));
  }
  pod_ids_.NoteCreatedContainer(pod.metadata.uid, *id);
  Record(pod, container.name, events::kNormal, "Created",
         absl::StrCat("Created container: ", container.name));
  if (absl::Status s = runtime_->StartContainer(*id); !s.ok()) {
    Record(pod, container.name, events::kWarning, "Failed", absl::StrCat("Error: ", s.message()));
    return fail(s, container::kRunContainerError, std::string(s.message()));
  }
  Record(pod, container.name, events::kNormal, "Started",
         absl::StrCat("Started container ", container.name));
  // The legacy log path, for log shippers (upstream: only when the runtime
  // made the log file, so no dangling link is left).
  if (options_.manage_host_state && !options_.container_logs_dir.empty()) {
    const std::filesystem::path log =
        std::filesystem::path(sandbox_config.log_directory) / config->log_path;
    std::error_code ec;
    if (std::filesystem::exists(log, ec)) {
      std::filesystem::create_directories(options_.container_logs_dir, ec);
      const std::string link =
          internal::LegacyLogSymlink(options_.container_logs_dir, pod.metadata.name,
                                     pod.metadata.namespace_, container.name, *id);
      std::filesystem::create_symlink(log, link, ec);
      if (ec)
        LOG(WARNING) << "Failed to create legacy log symlink " << link << ": " << ec.message();
    }
  }
  if (container.lifecycle && container.lifecycle->post_start) {
    int64_t grace = pod.spec.termination_grace_period_seconds.value_or(kMinimumGracePeriodSeconds);
    absl::Status hook =
        handlers_.Run(pod.metadata.uid, *id, container.ports, *container.lifecycle->post_start,
                      absl::Seconds(grace), &pod_ips, nullptr);
    if (!hook.ok()) {
      KillContainer(&pod, *id, container.name, &container, KillReason::kNone, std::nullopt)
          .IgnoreError();
      return fail(hook, container::kPostStartHookError,
                  absl::StrCat("PostStartHook failed: ", hook.message()));
    }
  }
  result.results.push_back(std::move(r));
  return absl::OkStatus();
}

void RuntimeManager::PurgeInitContainers(const api::Pod& pod, const container::PodStatus& status) {
  for (const api::Container& c : pod.spec.init_containers) {
    for (const container::ContainerStatus& cs : status.container_statuses) {
      // Best effort: container GC removes whatever is left.
      if (cs.name == c.name) {
        RemoveContainerWithLogs(pod.metadata.name, pod.metadata.namespace_, cs.name, cs.id)
            .IgnoreError();
      }
    }
  }
}

void RuntimeManager::PruneInitContainersBeforeStart(const api::Pod& pod,
                                                    const container::PodStatus& status) {
  for (const api::Container& c : pod.spec.init_containers) {
    int exited = 0;
    for (const container::ContainerStatus& cs : status.container_statuses) {
      if (cs.name != c.name || (cs.state != container::ContainerState::kExited &&
                                cs.state != container::ContainerState::kUnknown)) {
        continue;
      }
      if (cs.state == container::ContainerState::kExited) ++exited;
      if (exited == 1 && cs.state == container::ContainerState::kExited) continue;  // the latest
      RemoveContainerWithLogs(pod.metadata.name, pod.metadata.namespace_, cs.name, cs.id)
          .IgnoreError();
    }
  }
}

// ---------------------------------------------------------------------------
// Killing.

absl::Status RuntimeManager::KillContainer(const api::Pod* pod, const std::string& container_id,
                                           const std::string& container_name,
                                           const api::Container* spec, KillReason reason,
                                           std::optional<int64_t> grace_period_override,
                                           TerminationOrdering* ordering) {
  // However this ends, containers waiting on this one go on.
  absl::Cleanup terminated = [ordering, &container_name] {
    if (ordering != nullptr) ordering->Terminated(container_name);
  };
  std::optional<int64_t> deletion_grace;
  std::optional<int64_t> termination_grace;
  std::optional<api::LifecycleHandler> pre_stop;
  std::vector<api::ContainerPort> ports;
  std::string pod_uid;
  const api::Probe* probe = nullptr;
  if (pod != nullptr && spec != nullptr) {
    deletion_grace = pod->metadata.deletion_grace_period_seconds;
    termination_grace = pod->spec.termination_grace_period_seconds;
    if (spec->lifecycle && spec->lifecycle->pre_stop) pre_stop = spec->lifecycle->pre_stop;
    ports = spec->ports;
    pod_uid = pod->metadata.uid;
    if (reason == KillReason::kLivenessProbe && spec->liveness_probe)
      probe = &*spec->liveness_probe;
    if (reason == KillReason::kStartupProbe && spec->startup_probe) probe = &*spec->startup_probe;
  } else {
    // No spec (agent restarted, or a runtime-only pod): the annotations
    // written at creation carry what the kill needs.
    absl::StatusOr<cri::ContainerStatus> s = runtime_->GetContainerStatus(container_id);
    if (absl::IsNotFound(s.status())) return absl::OkStatus();
    if (!s.ok()) return s.status();
    AnnotatedContainerInfo info = GetContainerInfoFromAnnotations(s->annotations);
    deletion_grace = info.pod_deletion_grace_period;
    termination_grace = info.pod_termination_grace_period;
    pre_stop = info.pre_stop_handler;
    ports = info.ports;
    pod_uid = GetContainerInfoFromLabels(s->labels).pod_uid;
  }

  if (pod != nullptr && spec != nullptr) {
    std::string message = absl::StrCat("Stopping container ", container_name);
    if (reason == KillReason::kLivenessProbe || reason == KillReason::kStartupProbe) {
      message = absl::StrCat("Container ", container_name, " failed ",
                             reason == KillReason::kLivenessProbe ? "liveness" : "startup",
                             " probe, will be restarted");
    }
    Record(*pod, container_name, events::kNormal, "Killing", message);
  }

  int64_t grace = kMinimumGracePeriodSeconds;
  if (deletion_grace.has_value()) {
    grace = *deletion_grace;
  } else if (termination_grace.has_value()) {
    grace = *termination_grace;
    if (probe != nullptr && probe->termination_grace_period_seconds.has_value()) {
      grace = *probe->termination_grace_period_seconds;
    }
  }
  if (grace_period_override.has_value()) grace = *grace_period_override;

  // A stop already in flight (an earlier, longer grace that was interrupted)
  // has run the preStop hook: this one only stops, with its own grace.
  bool first_stop;
  {
    std::lock_guard<std::mutex> lock(stopping_mu_);
    first_stop = ++stopping_[container_id] == 1;
  }
  absl::Cleanup done = [&] {
    std::lock_guard<std::mutex> lock(stopping_mu_);
    if (--stopping_[container_id] == 0) stopping_.erase(container_id);
  };
  // The preStop hook spends part of the grace period.
  if (first_stop && pre_stop.has_value() && grace > 0) {
    absl::Time start = clock_->Now();
    RunPreStopHook(pod_uid, container_id, container_name, std::move(ports), *pre_stop, grace);
    grace -= absl::ToInt64Seconds(clock_->Now() - start);
  }
  // A sidecar's turn comes once the containers it serves have stopped; the
  // wait spends grace too (whole seconds, as upstream truncates it).
  if (ordering != nullptr && grace > 0) {
    grace -= absl::ToInt64Seconds(ordering->WaitForTurn(container_name, absl::Seconds(grace)));
  }
  // Always leave a minimal window so a well-behaved process is not SIGKILLed.
  grace = std::max(grace, kMinimumGracePeriodSeconds);

  absl::Status s = runtime_->StopContainer(container_id, grace);
  if (!s.ok() && !absl::IsNotFound(s)) {
    return absl::Status(s.code(), absl::StrCat("failed to stop container \"", container_name,
                                               "\" (", container_id, "): ", s.message()));
  }
  return absl::OkStatus();
}

void RuntimeManager::RunPreStopHook(const std::string& pod_uid, const std::string& container_id,
                                    const std::string& container_name,
                                    std::vector<api::ContainerPort> ports,
                                    const api::LifecycleHandler& handler, int64_t grace) {
  // The hook runs on the hook pool and is waited for at most the grace
  // period (upstream executePreStopHook): a hook that outlives it must not
  // hold back the TERM. containerd 1.6 answers ExecSync's timeout only once
  // the command's output pipes close, so the call may well outlast the
  // grace; it then ends in the background, at the latest when the stop
  // kills the container. A hook given up at the grace is cancelled, which
  // ends a sleep action at once.
  struct HookRun {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool abandoned = false;
    CancelTokenPtr cancel = CancelToken::Create();
  };
  auto run = std::make_shared<HookRun>();
  hook_pool_.Submit(
      [this, run, pod_uid, container_id, container_name, ports = std::move(ports), handler, grace] {
        absl::Status hook = handlers_.Run(pod_uid, container_id, ports, handler,
                                          absl::Seconds(grace), nullptr, run->cancel);
        bool abandoned;
        {
          std::lock_guard<std::mutex> lock(run->mu);
          run->done = true;
          abandoned = run->abandoned;
        }
        run->cv.notify_all();
        // A failing hook does not prevent the stop.
        if (!hook.ok() && !abandoned) {
          LOG(WARNING) << "PreStop hook for container \"" << container_name
                       << "\" failed: " << hook.message();
        } else if (abandoned) {
          VLOG(2) << "PreStop hook for container \"" << container_name
                  << "\" ended after its grace period: "
                  << (hook.ok() ? std::string("completed") : std::string(hook.message()));
        }
      });

  {
    std::unique_lock<std::mutex> lock(run->mu);
    if (run->cv.wait_for(lock, std::chrono::seconds(grace), [&] { return run->done; })) return;
    run->abandoned = true;
  }
  LOG(INFO) << "PreStop hook for container \"" << container_name
            << "\" not completed within the grace period of " << grace
            << "s; stopping the container";
  run->cancel->Cancel();
}

// Containers being stopped on the stop pool; the manager drains the pool
// before it goes, since each stop uses it.
struct RuntimeManager::KillBatch {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  bool cancelled = false;
  std::vector<SyncResult> results;
};

std::optional<std::vector<SyncResult>> RuntimeManager::KillContainersInParallel(
    const api::Pod* pod, const std::vector<const container::Container*>& containers,
    std::optional<int64_t> grace_period_override, const CancelTokenPtr& cancel,
    std::shared_ptr<TerminationOrdering> ordering) {
  auto batch = std::make_shared<KillBatch>();
  batch->pending = containers.size();
  batch->results.resize(containers.size());
  // One copy of the pod for all the stops: they may outlive this call when
  // the kill is interrupted.
  std::shared_ptr<const api::Pod> pod_copy =
      pod == nullptr ? nullptr : std::make_shared<const api::Pod>(*pod);
  for (size_t i = 0; i < containers.size(); ++i) {
    // Each stop may wait out its own grace period, holding a pool thread;
    // beyond the pool's width, stops queue.
    stop_pool_.Submit(
        [this, batch, i, c = *containers[i], pod_copy, grace_period_override, ordering] {
          const api::Container* spec =
              pod_copy == nullptr ? nullptr : internal::FindSpec(*pod_copy, c.name);
          SyncResult r{.action = SyncResult::Action::kKillContainer, .target = c.name};
          absl::Status s = KillContainer(pod_copy.get(), c.id, c.name, spec, KillReason::kNone,
                                         grace_period_override, ordering.get());
          if (!s.ok()) {
            r.error = s;
            r.reason = kKillContainerError;
            r.message = std::string(s.message());
          }
          {
            std::lock_guard<std::mutex> lock(batch->mu);
            batch->results[i] = std::move(r);
            --batch->pending;
          }
          batch->cv.notify_all();
        });
  }
  if (cancel != nullptr) {
    cancel->OnCancel([batch] {
      {
        std::lock_guard<std::mutex> lock(batch->mu);
        batch->cancelled = true;
      }
      batch->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(batch->mu);
  batch->cv.wait(lock, [&] { return batch->pending == 0 || batch->cancelled; });
  // Interrupted (e.g. a shorter grace arrived): the stops keep running, and
  // the caller's next kill stops the same containers with the new grace.
  if (batch->pending != 0) return std::nullopt;
  return std::move(batch->results);
}
}  // namespace cubelet::kuberuntime
