#include "kuberuntime/runtime_manager.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kuberuntime/hash.h"
#include "kuberuntime/labels.h"
#include "kuberuntime/pod_cgroup.h"
#include "kuberuntime/termination_message.h"
#include "probe/http.h"
#include "util/log.h"

namespace cubelet::kuberuntime {
namespace {

using container::PodSyncResult;
using container::SyncResult;

absl::Time FromNanos(int64_t ns) {
  return ns == 0 ? absl::InfinitePast() : absl::FromUnixNanos(ns);
}

container::ContainerState ToContainerState(cri::ContainerState s) {
  switch (s) {
    case cri::ContainerState::kCreated:
      return container::ContainerState::kCreated;
    case cri::ContainerState::kRunning:
      return container::ContainerState::kRunning;
    case cri::ContainerState::kExited:
      return container::ContainerState::kExited;
    case cri::ContainerState::kUnknown:
      break;
  }
  return container::ContainerState::kUnknown;
}

// "latest" tag or no tag at all: the API defaults such images to pull Always.
bool IsLatestOrUntagged(const std::string& image) {
  if (image.find('@') != std::string::npos) return false;
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return true;
  return image.substr(colon + 1) == "latest";
}

bool ShouldPullImage(const std::string& policy, bool present) {
  if (policy == api::kPullNever) return false;
  if (policy == api::kPullAlways) return true;
  return !present;
}

const api::Container* FindSpec(const api::Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
    for (const api::Container& c : *list) {
      if (c.name == name) return &c;
    }
  }
  return nullptr;
}

bool Cancelled(const CancelTokenPtr& cancel, PodSyncResult& result) {
  if (cancel == nullptr || !cancel->IsCancelled()) return false;
  result.sync_error = CancelledError("pod sync cancelled");
  return true;
}

void Append(PodSyncResult& into, PodSyncResult&& from) {
  for (SyncResult& r : from.results) into.results.push_back(std::move(r));
  if (into.sync_error.ok()) into.sync_error = from.sync_error;
}

}  // namespace

RuntimeManager::RuntimeManager(cri::RuntimeService* runtime, cri::ImageService* images,
                               Clock* clock, Options options)
    : runtime_(runtime),
      images_(images),
      clock_(clock),
      options_(std::move(options)),
      crash_loop_backoff_(options_.backoff_initial, options_.backoff_max, clock),
      image_pull_backoff_(options_.image_backoff_initial, options_.image_backoff_max, clock),
      volumes_(options_.root_dir,
               options_.mounter != nullptr ? options_.mounter : volume::SystemMounter()) {}

RuntimeManager::~RuntimeManager() {
  std::unique_lock<std::mutex> lock(inflight_mu_);
  inflight_cv_.wait(lock, [this] { return inflight_kills_ == 0; });
}

PodActions RuntimeManager::ComputePodActions(const api::Pod& pod,
                                             const container::PodStatus& status) const {
  return kuberuntime::ComputePodActions(pod, status, options_.probe_results);
}

// ---------------------------------------------------------------------------
// Listing and inspection.

absl::StatusOr<std::vector<container::Pod>> RuntimeManager::GetPods(bool all) {
  std::optional<cri::PodSandboxFilter> sandbox_filter;
  std::optional<cri::ContainerFilter> container_filter;
  if (!all) {
    sandbox_filter = cri::PodSandboxFilter{.state = cri::PodSandboxState::kReady};
    container_filter = cri::ContainerFilter{.state = cri::ContainerState::kRunning};
  }
  absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes = runtime_->ListPodSandbox(sandbox_filter);
  if (!sandboxes.ok()) return sandboxes.status();

  std::map<std::string, container::Pod> pods;  // by uid
  for (const cri::PodSandbox& s : *sandboxes) {
    if (s.metadata.uid.empty()) continue;
    container::Pod& p = pods[s.metadata.uid];
    p.id = s.metadata.uid;
    p.name = s.metadata.name;
    p.namespace_ = s.metadata.namespace_;
    absl::Time created = FromNanos(s.created_at);
    p.created_at = std::max(p.created_at, created);
    p.sandboxes.push_back(container::Container{.id = s.id,
                                               .state = s.state == cri::PodSandboxState::kReady
                                                            ? container::ContainerState::kRunning
                                                            : container::ContainerState::kExited,
                                               .created_at = created});
  }

  absl::StatusOr<std::vector<cri::Container>> containers =
      runtime_->ListContainers(container_filter);
  if (!containers.ok()) return containers.status();
  for (const cri::Container& c : *containers) {
    LabeledContainerInfo info = GetContainerInfoFromLabels(c.labels);
    if (info.pod_uid.empty()) continue;  // not created by a kubelet
    container::Pod& p = pods[info.pod_uid];
    if (p.id.empty()) {
      p.id = info.pod_uid;
      p.name = info.pod_name;
      p.namespace_ = info.pod_namespace;
    }
    p.containers.push_back(container::Container{
        .id = c.id,
        .name = info.container_name.empty() ? c.metadata.name : info.container_name,
        .image = c.image.image,
        .image_id = c.image_ref,
        .hash = GetContainerInfoFromAnnotations(c.annotations).hash,
        .state = ToContainerState(c.state),
        .created_at = FromNanos(c.created_at)});
  }

  std::vector<container::Pod> out;
  out.reserve(pods.size());
  for (auto& [uid, p] : pods) out.push_back(std::move(p));
  // Newest first, so a name lookup finds the current pod when an old one
  // with the same name is still terminating.
  std::stable_sort(out.begin(), out.end(), [](const container::Pod& a, const container::Pod& b) {
    return a.created_at > b.created_at;
  });
  return out;
}

absl::StatusOr<container::PodStatusPtr> RuntimeManager::GetPodStatus(
    const std::string& uid, const std::string& name, const std::string& namespace_) {
  auto status = std::make_shared<container::PodStatus>();
  status->id = uid;
  status->name = name;
  status->namespace_ = namespace_;
  status->timestamp = clock_->Now();

  absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes =
      runtime_->ListPodSandbox(cri::PodSandboxFilter{.label_selector = {{kPodUidLabel, uid}}});
  if (!sandboxes.ok()) return sandboxes.status();
  std::sort(sandboxes->begin(), sandboxes->end(),
            [](const cri::PodSandbox& a, const cri::PodSandbox& b) {
              if (a.created_at != b.created_at) return a.created_at > b.created_at;
              return a.metadata.attempt > b.metadata.attempt;
            });
  for (size_t i = 0; i < sandboxes->size(); ++i) {
    absl::StatusOr<cri::PodSandboxStatus> s = runtime_->GetPodSandboxStatus((*sandboxes)[i].id);
    // Removed between list and inspect: as if it had not been listed.
    if (absl::IsNotFound(s.status())) continue;
    if (!s.ok()) return s.status();
    container::SandboxStatus ss;
    ss.id = s->id;
    ss.state = s->state == cri::PodSandboxState::kReady ? container::SandboxState::kReady
                                                        : container::SandboxState::kNotReady;
    ss.attempt = s->metadata.attempt;
    ss.created_at = FromNanos(s->created_at);
    ss.ip = s->ip;
    ss.additional_ips = s->additional_ips;
    ss.host_network = s->network_mode == cri::NamespaceMode::kNode;
    // Only the latest sandbox, and only while ready, gives the pod its IPs.
    if (i == 0 && ss.state == container::SandboxState::kReady && !ss.ip.empty()) {
      status->ips.push_back(ss.ip);
      for (const std::string& ip : ss.additional_ips) status->ips.push_back(ip);
    }
    status->sandbox_statuses.push_back(std::move(ss));
  }

  absl::StatusOr<std::vector<cri::Container>> containers =
      runtime_->ListContainers(cri::ContainerFilter{.label_selector = {{kPodUidLabel, uid}}});
  if (!containers.ok()) return containers.status();
  for (const cri::Container& c : *containers) {
    absl::StatusOr<cri::ContainerStatus> s = runtime_->GetContainerStatus(c.id);
    if (absl::IsNotFound(s.status())) continue;
    if (!s.ok()) return s.status();
    LabeledContainerInfo labeled = GetContainerInfoFromLabels(s->labels);
    AnnotatedContainerInfo annotated = GetContainerInfoFromAnnotations(s->annotations);
    container::ContainerStatus cs;
    cs.id = s->id;
    cs.name = labeled.container_name.empty() ? s->metadata.name : labeled.container_name;
    cs.state = ToContainerState(s->state);
    cs.created_at = FromNanos(s->created_at);
    // Anything past Created has been started at least once.
    if (s->state != cri::ContainerState::kCreated) cs.started_at = FromNanos(s->started_at);
    if (s->state == cri::ContainerState::kExited) {
      cs.finished_at = FromNanos(s->finished_at);
      cs.exit_code = s->exit_code;
      cs.reason = s->reason;
      cs.message = s->message;
      // What the application left in its termination-message file (or its
      // log's tail) follows the runtime's own message, as upstream.
      std::string termination = TerminationMessage(*s, annotated.termination_message_path,
                                                   annotated.termination_message_policy);
      if (!termination.empty()) {
        if (!cs.message.empty()) cs.message += ": ";
        cs.message += termination;
      }
    }
    cs.image = s->image.image;
    cs.image_id = s->image_ref;
    cs.hash = annotated.hash;
    cs.restart_count = annotated.restart_count;
    status->container_statuses.push_back(std::move(cs));
  }
  // Newest first; equal creation times (a coarse or fake clock) fall back to
  // the restart count, which only grows.
  std::stable_sort(status->container_statuses.begin(), status->container_statuses.end(),
                   [](const container::ContainerStatus& a, const container::ContainerStatus& b) {
                     if (a.created_at != b.created_at) return a.created_at > b.created_at;
                     return a.restart_count > b.restart_count;
                   });
  return container::PodStatusPtr(std::move(status));
}

// ---------------------------------------------------------------------------
// SyncPod.

PodSyncResult RuntimeManager::SyncPod(const api::Pod& pod, const container::PodStatus& status,
                                      const CancelTokenPtr& cancel) {
  PodSyncResult result;
  if (Cancelled(cancel, result)) return result;
  const PodActions actions = ComputePodActions(pod, status);

  // Step 1: kill the pod (sandbox changed, or nothing should run), or only
  // the containers that must go.
  if (actions.kill_pod) {
    PodSyncResult kill =
        KillPodWithSyncResult(&pod, container::RunningPodFromStatus(status), std::nullopt, cancel);
    bool failed = !kill.Error().ok();
    Append(result, std::move(kill));
    if (failed) return result;
    // A new sandbox reruns initialization from the first init container.
    if (actions.create_sandbox) PurgeInitContainers(pod, status);
  } else {
    for (const ContainerToKill& k : actions.containers_to_kill) {
      if (Cancelled(cancel, result)) return result;
      SyncResult r{.action = SyncResult::Action::kKillContainer, .target = k.name};
      absl::Status s =
          KillContainer(&pod, k.id, k.name, FindSpec(pod, k.name), k.reason, std::nullopt);
      if (!s.ok()) {
        r.error = s;
        r.reason = kKillContainerError;
        r.message = std::string(s.message());
        result.results.push_back(std::move(r));
        return result;
      }
      result.results.push_back(std::move(r));
    }
  }

  // Step 2: keep only the latest instance of each init container.
  PruneInitContainersBeforeStart(pod, status);

  // Step 3: the sandbox.
  std::vector<std::string> pod_ips = status.ips;
  std::string sandbox_id = actions.sandbox_id;
  const cri::PodSandboxConfig sandbox_config = GeneratePodSandboxConfig(pod, actions.attempt);
  if (actions.create_sandbox) {
    if (Cancelled(cancel, result)) return result;
    // As the kubelet: a pod-network sandbox created while the network is not
    // ready fails and stays listed, so wait (the workers retry in ~1 s).
    if (!pod.spec.host_network) {
      if (absl::Status network = NetworkReady(); !network.ok()) {
        result.sync_error = network;
        return result;
      }
    }
    SyncResult r{.action = SyncResult::Action::kCreatePodSandbox, .target = FormatPod(pod)};
    if (options_.manage_host_state) {
      std::error_code ec;
      std::filesystem::create_directories(sandbox_config.log_directory, ec);
    }
    absl::StatusOr<std::string> id =
        runtime_->RunPodSandbox(sandbox_config, RuntimeHandlerFor(pod));
    if (!id.ok()) {
      r.error = id.status();
      r.reason = kCreatePodSandboxError;
      r.message = absl::StrCat("Failed to create pod sandbox: ", id.status().message());
      result.results.push_back(std::move(r));
      return result;
    }
    result.results.push_back(std::move(r));
    sandbox_id = *std::move(id);
    // A host-network pod's IPs are the node's: no need to ask (as upstream).
    if (!pod.spec.host_network) {
      absl::StatusOr<cri::PodSandboxStatus> s = runtime_->GetPodSandboxStatus(sandbox_id);
      if (!s.ok()) {
        result.sync_error = s.status();
        return result;
      }
      pod_ips.clear();
      if (!s->ip.empty()) pod_ips.push_back(s->ip);
      for (const std::string& ip : s->additional_ips) pod_ips.push_back(ip);
    }
  }

  // Step 4: init containers, in order; a regular one that fails to start
  // stops the sync (the next one must not run before it), a sidecar does not.
  for (size_t idx : actions.init_containers_to_start) {
    if (Cancelled(cancel, result)) return result;
    const api::Container& c = pod.spec.init_containers[idx];
    absl::Status s = StartContainer(pod, c, status, sandbox_id, sandbox_config, pod_ips, result);
    if (!s.ok() && !api::IsRestartableInitContainer(c)) return result;
  }

  // Step 5: regular containers; one failing does not hold back the others.
  for (size_t idx : actions.containers_to_start) {
    if (Cancelled(cancel, result)) return result;
    StartContainer(pod, pod.spec.containers[idx], status, sandbox_id, sandbox_config, pod_ips,
                   result)
        .IgnoreError();
  }
  return result;
}

std::optional<std::string> RuntimeManager::DoBackOff(const api::Pod& pod,
                                                     const api::Container& container,
                                                     const container::PodStatus& status,
                                                     absl::Time* expiration) {
  // The latest exited instance; its finish time starts the back-off window.
  const container::ContainerStatus* exited = nullptr;
  for (const container::ContainerStatus& cs : status.container_statuses) {
    if (cs.name == container.name && cs.state == container::ContainerState::kExited) {
      exited = &cs;
      break;
    }
  }
  if (exited == nullptr) return std::nullopt;
  std::string key = ContainerBackoffKey(pod, container);
  if (crash_loop_backoff_.IsInBackOffSince(key, exited->finished_at)) {
    const absl::Duration delay = crash_loop_backoff_.Get(key);
    // The restart is due `delay` after the exit: the pod workers requeue the
    // pod for exactly then (upstream #133066), not at the next resync.
    *expiration = exited->finished_at + delay;
    return absl::StrCat("back-off ", FormatGoDuration(delay),
                        " restarting failed container=", container.name, " pod=", FormatPod(pod));
  }
  crash_loop_backoff_.Next(key, exited->finished_at);
  return std::nullopt;
}

absl::StatusOr<std::string> RuntimeManager::EnsureImageExists(const api::Pod& pod,
                                                              const api::Container& container,
                                                              std::string& reason,
                                                              std::string& message) {
  const std::string& image = container.image;
  std::string policy = container.image_pull_policy;
  if (policy.empty())
    policy = IsLatestOrUntagged(image) ? api::kPullAlways : api::kPullIfNotPresent;

  absl::StatusOr<std::optional<cri::Image>> present = images_->GetImageStatus({.image = image});
  if (!present.ok()) {
    reason = kImageInspectError;
    message = absl::StrCat("Failed to inspect image \"", image, "\": ", present.status().message());
    return present.status();
  }
  if (!ShouldPullImage(policy, present->has_value())) {
    if (present->has_value()) return (*present)->id;
    reason = container::kErrImageNeverPull;
    message =
        absl::StrCat("Container image \"", image, "\" is not present with pull policy of Never");
    return absl::FailedPreconditionError(message);
  }

  // Failed pulls back off per (pod, image), so one bad image does not turn
  // every sync into a registry round trip.
  const std::string key = ImagePullBackoffKey(pod, image);
  if (image_pull_backoff_.IsInBackOffSinceUpdate(key, clock_->Now())) {
    reason = container::kImagePullBackOff;
    message = absl::StrCat("Back-off pulling image \"", image, "\"");
    return absl::UnavailableError(message);
  }
  absl::StatusOr<std::string> ref = images_->PullImage({.image = image});
  if (!ref.ok()) {
    image_pull_backoff_.Next(key, clock_->Now());
    reason = container::kErrImagePull;
    message = absl::StrCat("Failed to pull image \"", image, "\": ", ref.status().message());
    return absl::Status(ref.status().code(), message);
  }
  image_pull_backoff_.GC();
  return ref;
}

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
    if (absl::Status s = volumes_.SetUpPodVolumes(pod, NodeAllocatable()); !s.ok()) {
      return fail(s, kCreateContainerConfigError, std::string(s.message()));
    }
  }
  absl::StatusOr<cri::ContainerConfig> config =
      GenerateContainerConfig(container, pod, restart_count, pod_ips);
  if (!config.ok()) {
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
    return fail(id.status(), container::kCreateContainerError, std::string(id.status().message()));
  }
  if (absl::Status s = runtime_->StartContainer(*id); !s.ok()) {
    return fail(s, container::kRunContainerError, std::string(s.message()));
  }
  if (container.lifecycle && container.lifecycle->post_start) {
    int64_t grace = pod.spec.termination_grace_period_seconds.value_or(kMinimumGracePeriodSeconds);
    absl::Status hook =
        RunHandler(pod.metadata.uid, *id, container.ports, *container.lifecycle->post_start,
                   absl::Seconds(grace), &pod_ips);
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

absl::Status RuntimeManager::RunHandler(const std::string& pod_uid, const std::string& container_id,
                                        const std::vector<api::ContainerPort>& ports,
                                        const api::LifecycleHandler& handler,
                                        absl::Duration timeout,
                                        const std::vector<std::string>* pod_ips) {
  if (handler.exec.has_value()) {
    absl::StatusOr<cri::ExecSyncResponse> r =
        runtime_->ExecSync(container_id, handler.exec->command, timeout);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      return absl::UnknownError(absl::StrCat("command '", absl::StrJoin(handler.exec->command, " "),
                                             "' exited with ", r->exit_code, ": ", r->stdout_data,
                                             r->stderr_data));
    }
    return absl::OkStatus();
  }
  if (handler.http_get.has_value()) {
    const api::HTTPGetAction& g = *handler.http_get;
    probe::HttpTarget target;
    target.scheme = g.scheme.empty() ? "HTTP" : g.scheme;
    target.host = g.host;
    if (target.host.empty()) {
      std::vector<std::string> ips = pod_ips != nullptr ? *pod_ips : PodIps(pod_uid);
      // A host-network pod has no IP of its own: it shares the node's.
      target.host = ips.empty() ? "127.0.0.1" : ips.front();
    }
    target.port = api::ResolvePort(g.port, ports);
    target.path = g.path.empty() ? "/" : g.path;
    for (const api::HTTPHeader& h : g.http_headers) target.headers.emplace_back(h.name, h.value);
    probe::Outcome outcome = probe::HttpGet(target, timeout);
    if (!outcome.ok()) {
      return absl::UnknownError(
          absl::StrCat("HTTP lifecycle hook (", target.path, ") failed: ", outcome.output));
    }
    return absl::OkStatus();
  }
  if (handler.sleep.has_value()) {
    absl::SleepFor(std::min(absl::Seconds(handler.sleep->seconds), timeout));
    return absl::OkStatus();
  }
  // tcpSocket is accepted by the API for compatibility but never run (as
  // upstream).
  return absl::OkStatus();
}

std::vector<std::string> RuntimeManager::PodIps(const std::string& pod_uid) {
  std::vector<std::string> ips;
  absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes =
      runtime_->ListPodSandbox(cri::PodSandboxFilter{.state = cri::PodSandboxState::kReady,
                                                     .label_selector = {{kPodUidLabel, pod_uid}}});
  if (!sandboxes.ok() || sandboxes->empty()) return ips;
  absl::StatusOr<cri::PodSandboxStatus> s = runtime_->GetPodSandboxStatus(sandboxes->front().id);
  if (!s.ok() || s->ip.empty()) return ips;
  ips.push_back(s->ip);
  for (const std::string& ip : s->additional_ips) ips.push_back(ip);
  return ips;
}

void RuntimeManager::PurgeInitContainers(const api::Pod& pod, const container::PodStatus& status) {
  for (const api::Container& c : pod.spec.init_containers) {
    for (const container::ContainerStatus& cs : status.container_statuses) {
      // Best effort: container GC removes whatever is left.
      if (cs.name == c.name) runtime_->RemoveContainer(cs.id).IgnoreError();
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
      runtime_->RemoveContainer(cs.id).IgnoreError();
    }
  }
}

// ---------------------------------------------------------------------------
// Killing.

absl::Status RuntimeManager::KillContainer(const api::Pod* pod, const std::string& container_id,
                                           const std::string& container_name,
                                           const api::Container* spec, KillReason reason,
                                           std::optional<int64_t> grace_period_override) {
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
  // The hook runs on its own thread and is waited for at most the grace
  // period (upstream executePreStopHook): a hook that outlives it must not
  // hold back the TERM. containerd 1.6 answers ExecSync's timeout only once
  // the command's output pipes close, so the call may well outlast the
  // grace; it then ends in the background, at the latest when the stop
  // kills the container.
  struct HookRun {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool abandoned = false;
  };
  auto run = std::make_shared<HookRun>();
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    ++inflight_kills_;
  }
  std::thread([this, run, pod_uid, container_id, container_name, ports = std::move(ports), handler,
               grace] {
    absl::Status hook =
        RunHandler(pod_uid, container_id, ports, handler, absl::Seconds(grace), nullptr);
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
    std::lock_guard<std::mutex> lock(inflight_mu_);
    if (--inflight_kills_ == 0) inflight_cv_.notify_all();
  }).detach();

  std::unique_lock<std::mutex> lock(run->mu);
  if (!run->cv.wait_for(lock, std::chrono::seconds(grace), [&] { return run->done; })) {
    run->abandoned = true;
    LOG(INFO) << "PreStop hook for container \"" << container_name
              << "\" not completed within the grace period of " << grace
              << "s; stopping the container";
  }
}

PodSyncResult RuntimeManager::KillPod(const api::Pod* pod, const container::Pod& running_pod,
                                      std::optional<int64_t> grace_period_override,
                                      const CancelTokenPtr& cancel) {
  return KillPodWithSyncResult(pod, running_pod, grace_period_override, cancel);
}

// Containers being stopped on their own threads; the manager waits for them
// before it goes, since each uses it.
struct RuntimeManager::KillBatch {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  bool cancelled = false;
  std::vector<SyncResult> results;
};

std::optional<std::vector<SyncResult>> RuntimeManager::KillContainersInParallel(
    const api::Pod* pod, const std::vector<const container::Container*>& containers,
    std::optional<int64_t> grace_period_override, const CancelTokenPtr& cancel) {
  auto batch = std::make_shared<KillBatch>();
  batch->pending = containers.size();
  batch->results.resize(containers.size());
  // One copy of the pod for all the threads: they may outlive this call when
  // the kill is interrupted.
  std::shared_ptr<const api::Pod> pod_copy =
      pod == nullptr ? nullptr : std::make_shared<const api::Pod>(*pod);
  for (size_t i = 0; i < containers.size(); ++i) {
    {
      std::lock_guard<std::mutex> lock(inflight_mu_);
      ++inflight_kills_;
    }
    // Each stop may wait out its own grace period.
    std::thread([this, batch, i, c = *containers[i], pod_copy, grace_period_override] {
      const api::Container* spec = pod_copy == nullptr ? nullptr : FindSpec(*pod_copy, c.name);
      SyncResult r{.action = SyncResult::Action::kKillContainer, .target = c.name};
      absl::Status s = KillContainer(pod_copy.get(), c.id, c.name, spec, KillReason::kNone,
                                     grace_period_override);
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
      std::lock_guard<std::mutex> lock(inflight_mu_);
      if (--inflight_kills_ == 0) inflight_cv_.notify_all();
    }).detach();
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

PodSyncResult RuntimeManager::KillPodWithSyncResult(const api::Pod* pod,
                                                    const container::Pod& running_pod,
                                                    std::optional<int64_t> grace_period_override,
                                                    const CancelTokenPtr& cancel) {
  PodSyncResult result;
  if (Cancelled(cancel, result)) return result;
  const absl::Time start = clock_->Now();

  // Main containers stop together; sidecars (restartable init containers)
  // stop after them, in reverse order, with what is left of the grace period
  // (upstream killContainersWithSyncResult with sidecar containers).
  std::vector<const container::Container*> main_containers;
  std::vector<const container::Container*> sidecars;
  for (const container::Container& c : running_pod.containers) {
    if (c.state == container::ContainerState::kExited) continue;
    bool sidecar = false;
    if (pod != nullptr) {
      for (const api::Container& ic : pod->spec.init_containers) {
        if (ic.name == c.name && api::IsRestartableInitContainer(ic)) sidecar = true;
      }
    }
    (sidecar ? sidecars : main_containers).push_back(&c);
  }
  auto interrupted = [&] {
    result.sync_error = CancelledError("pod kill interrupted");
    return result;
  };
  if (!main_containers.empty()) {
    std::optional<std::vector<SyncResult>> kills =
        KillContainersInParallel(pod, main_containers, grace_period_override, cancel);
    if (!kills.has_value()) return interrupted();
    for (SyncResult& r : *kills) result.results.push_back(std::move(r));
  }
  if (!sidecars.empty()) {
    std::sort(sidecars.begin(), sidecars.end(),
              [pod](const container::Container* a, const container::Container* b) {
                auto index = [pod](const std::string& name) {
                  for (size_t i = 0; i < pod->spec.init_containers.size(); ++i) {
                    if (pod->spec.init_containers[i].name == name) return i;
                  }
                  return size_t{0};
                };
                return index(a->name) > index(b->name);
              });
    int64_t grace =
        grace_period_override.value_or(pod->metadata.deletion_grace_period_seconds.value_or(
            pod->spec.termination_grace_period_seconds.value_or(kMinimumGracePeriodSeconds)));
    for (const container::Container* c : sidecars) {
      if (Cancelled(cancel, result)) return result;
      int64_t left =
          std::max(grace - absl::ToInt64Seconds(clock_->Now() - start), kMinimumGracePeriodSeconds);
      std::optional<std::vector<SyncResult>> kills =
          KillContainersInParallel(pod, {c}, left, cancel);
      if (!kills.has_value()) return interrupted();
      for (SyncResult& r : *kills) result.results.push_back(std::move(r));
    }
  }

  if (Cancelled(cancel, result)) return result;
  // Then the sandboxes; they are removed later by garbage collection.
  SyncResult sandbox{.action = SyncResult::Action::kKillPodSandbox, .target = running_pod.id};
  for (const container::Container& s : running_pod.sandboxes) {
    absl::Status st = runtime_->StopPodSandbox(s.id);
    if (!st.ok() && !absl::IsNotFound(st)) {
      sandbox.error = st;
      sandbox.reason = kKillPodSandboxError;
      sandbox.message = std::string(st.message());
    }
  }
  result.results.push_back(std::move(sandbox));
  return result;
}

absl::Status RuntimeManager::NetworkReady() {
  absl::StatusOr<cri::RuntimeStatus> status = runtime_->GetStatus();
  if (!status.ok()) return status.status();
  for (const cri::RuntimeCondition& c : status->conditions) {
    if (c.type == "NetworkReady" && !c.status) {
      return container::NetworkNotReadyError(absl::StrCat(c.reason, ": ", c.message));
    }
  }
  return absl::OkStatus();
}

absl::Status RuntimeManager::RemovePod(const container::Pod& running_pod) {
  for (const container::Container& sandbox : running_pod.sandboxes) {
    absl::Status stopped = runtime_->StopPodSandbox(sandbox.id);
    if (!stopped.ok() && !absl::IsNotFound(stopped)) return stopped;
    if (absl::Status removed = runtime_->RemovePodSandbox(sandbox.id); !removed.ok()) {
      return removed;
    }
  }
  if (!options_.manage_host_state) return absl::OkStatus();
  // No container uses the pod's tmpfs emptyDirs any more.
  if (absl::Status s = volumes_.TearDownPodVolumes(running_pod.id); !s.ok()) return s;
  // The pod's logs go with it (upstream's container GC removes the log
  // directories of pods that are gone).
  std::error_code ec;
  const std::string pod_log_dir =
      absl::StrCat(running_pod.namespace_, "_", running_pod.name, "_", running_pod.id);
  std::filesystem::remove_all(std::filesystem::path(options_.pod_logs_dir) / pod_log_dir, ec);
  return RemovePodCgroup(options_.cgroup_root, running_pod.id);
}

absl::StatusOr<int> RuntimeManager::RemoveDeadContainers(const container::Pod& running_pod,
                                                         int keep_per_container) {
  // Exited instances of each container name, newest first.
  std::map<std::string, std::vector<const container::Container*>> dead;
  for (const container::Container& c : running_pod.containers) {
    if (c.state == container::ContainerState::kExited) dead[c.name].push_back(&c);
  }
  int removed = 0;
  absl::Status first_error;
  for (auto& [name, instances] : dead) {
    std::sort(instances.begin(), instances.end(),
              [](const container::Container* a, const container::Container* b) {
                return a->created_at > b->created_at;
              });
    for (size_t i = keep_per_container; i < instances.size(); ++i) {
      const std::string& id = instances[i]->id;
      // The log file goes first: containerd does not remove it.
      if (options_.manage_host_state) {
        absl::StatusOr<cri::ContainerStatus> status = runtime_->GetContainerStatus(id);
        if (status.ok() && !status->log_path.empty()) {
          std::error_code ec;
          std::filesystem::remove(status->log_path, ec);
        }
      }
      absl::Status s = runtime_->RemoveContainer(id);
      if (s.ok() || absl::IsNotFound(s)) {
        ++removed;
      } else if (first_error.ok()) {
        first_error = s;
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return removed;
}

}  // namespace cubelet::kuberuntime
