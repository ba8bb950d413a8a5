// RuntimeManager's pod-level operations (upstream kuberuntime_manager.go):
// listing and inspecting pods, SyncPod, KillPod. Containers, images, garbage
// collection and lifecycle hooks live in kuberuntime_container.cc,
// kuberuntime_image.cc, kuberuntime_gc.cc and lifecycle_handlers.cc.
#include "kuberuntime/runtime_manager.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "kuberuntime/labels.h"
#include "kuberuntime/pod_dns.h"
#include "kuberuntime/pod_id_index.h"
#include "kuberuntime/runtime_manager_internal.h"
#include "kuberuntime/termination_message.h"

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
      own_volumes_(options_.runtime_helper != nullptr
                       ? nullptr
                       : std::make_unique<volume::VolumeManager>(options_.root_dir,
                                                                 options_.mounter != nullptr
                                                                     ? options_.mounter
                                                                     : volume::SystemMounter())),
      own_helper_(own_volumes_ == nullptr
                      ? nullptr
                      : std::make_unique<VolumeRuntimeHelper>(own_volumes_.get())),
      helper_(options_.runtime_helper != nullptr ? options_.runtime_helper : own_helper_.get()),
      handlers_(runtime, options_.http_getter, clock),
      recorder_(options_.recorder != nullptr ? options_.recorder : &null_recorder_),
      stop_pool_(options_.max_parallel_stops),
      hook_pool_(options_.max_parallel_stops) {}

RuntimeManager::~RuntimeManager() {
  // Stops first: one still waiting for its hook needs the hook pool.
  stop_pool_.Shutdown();
  hook_pool_.Shutdown();
}

PodActions RuntimeManager::ComputePodActions(const api::Pod& pod,
                                             const container::PodStatus& status) const {
  return kuberuntime::ComputePodActions(pod, status, options_.probe_results);
}

// ---------------------------------------------------------------------------
// Listing and inspection.

namespace {

// A listed container's pod, from its labels; null when a kubelet did not
// create it. The pointers view `c`'s labels.
struct ListedContainerPod {
  const std::string* uid = nullptr;
  const std::string* name = nullptr;
  const std::string* namespace_ = nullptr;
};

ListedContainerPod PodOfListed(const cri::Container& c) {
  auto label = [&c](const char* key) -> const std::string* {
    auto it = c.labels.find(key);
    return it == c.labels.end() ? nullptr : &it->second;
  };
  ListedContainerPod pod{.uid = label(kPodUidLabel)};
  if (pod.uid == nullptr || pod.uid->empty()) return {};
  pod.name = label(kPodNameLabel);
  pod.namespace_ = label(kPodNamespaceLabel);
  return pod;
}

container::ContainerState SandboxListState(const cri::PodSandbox& s) {
  return s.state == cri::PodSandboxState::kReady ? container::ContainerState::kRunning
                                                 : container::ContainerState::kExited;
}

// Adds listed sandbox `s` to `p` (named after it if new), moving its strings.
void AddListedSandbox(container::Pod& p, cri::PodSandbox& s) {
  if (p.id.empty()) {
    p.id = s.metadata.uid;
    p.name = std::move(s.metadata.name);
    p.namespace_ = std::move(s.metadata.namespace_);
  }
  absl::Time created = FromNanos(s.created_at);
  p.created_at = std::max(p.created_at, created);
  p.sandboxes.push_back(container::Container{
      .id = std::move(s.id), .state = SandboxListState(s), .created_at = created});
}

// Adds listed container `c` (of pod `of`, in list state `state`) to `p`,
// moving its strings; of the annotations only the hash is read.
void AddListedContainer(container::Pod& p, const ListedContainerPod& of, cri::Container& c,
                        container::ContainerState state) {
  if (p.id.empty()) {
    p.id = *of.uid;
    if (of.name != nullptr) p.name = *of.name;
    if (of.namespace_ != nullptr) p.namespace_ = *of.namespace_;
  }
  auto name = c.labels.find(kContainerNameLabel);
  p.containers.push_back(container::Container{
      .id = std::move(c.id),
      .name = name != c.labels.end() && !name->second.empty() ? name->second
                                                              : std::move(c.metadata.name),
      .image = std::move(c.image.image),
      .image_id = std::move(c.image_ref),
      .hash = GetContainerHashFromAnnotations(c.annotations),
      .state = state,
      .created_at = FromNanos(c.created_at)});
}

std::vector<std::string> ContainerIds(const std::vector<container::Container>& containers) {
  std::vector<std::string> ids;
  ids.reserve(containers.size());
  for (const container::Container& c : containers) ids.push_back(c.id);
  return ids;
}

// Newest first, so a name lookup finds the current pod when an old one with
// the same name is still terminating; then by uid, for a stable order.
bool NewerPodFirst(const container::Pod& a, const container::Pod& b) {
  if (a.created_at != b.created_at) return a.created_at > b.created_at;
  return a.id < b.id;
}

}  // namespace

absl::StatusOr<std::vector<container::Pod>> RuntimeManager::GetPods(bool all) {
  std::optional<cri::PodSandboxFilter> sandbox_filter;
  std::optional<cri::ContainerFilter> container_filter;
  if (!all) {
    sandbox_filter = cri::PodSandboxFilter{.state = cri::PodSandboxState::kReady};
    container_filter = cri::ContainerFilter{.state = cri::ContainerState::kRunning};
  }
  absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes = runtime_->ListPodSandbox(sandbox_filter);
  if (!sandboxes.ok()) return sandboxes.status();
  absl::StatusOr<std::vector<cri::Container>> containers =
      runtime_->ListContainers(container_filter);
  if (!containers.ok()) return containers.status();

  std::vector<container::Pod> out;
  absl::flat_hash_map<std::string, size_t> index;  // pod uid -> position in `out`
  out.reserve(sandboxes->size());
  index.reserve(sandboxes->size());
  auto pod = [&](const std::string& uid) -> container::Pod& {
    auto [it, added] = index.try_emplace(uid, out.size());
    if (added) out.emplace_back();
    return out[it->second];
  };
  for (cri::PodSandbox& s : *sandboxes) {
    if (!s.metadata.uid.empty()) AddListedSandbox(pod(s.metadata.uid), s);
  }
  std::lock_guard<std::mutex> announced_lock(announced_mu_);
  for (cri::Container& c : *containers) {
    ListedContainerPod of = PodOfListed(c);
    if (of.uid == nullptr) continue;
    container::ContainerState state = ToContainerState(AnnouncedStateLocked(c.id, c.state));
    AddListedContainer(pod(*of.uid), of, c, state);
  }
  std::sort(out.begin(), out.end(), NewerPodFirst);
  return out;
}

absl::StatusOr<std::vector<container::PodPtr>> RuntimeManager::ListPodsForRelist() {
  const uint64_t list = pod_ids_.BeginList();
  absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes = runtime_->ListPodSandbox(std::nullopt);
  if (!sandboxes.ok()) return sandboxes.status();
  absl::StatusOr<std::vector<cri::Container>> containers = runtime_->ListContainers(std::nullopt);
  if (!containers.ok()) return containers.status();

  std::lock_guard<std::mutex> view_lock(relist_view_mu_);
  const uint64_t generation = ++relist_generation_;
  // Pods to rebuild from the lists. The views point into the lists or into
  // relist_view_'s keys, both left alone until the rebuild is done.
  absl::flat_hash_set<absl::string_view> changed;
  // Counts `id` against the pod's previous view: a match adds to `seen`, a
  // new id or another state marks the pod changed.
  auto compare = [&](absl::string_view uid, const std::string& id, container::ContainerState state,
                     bool sandbox) {
    auto it = relist_view_.find(uid);
    if (it == relist_view_.end()) {
      changed.insert(uid);
      return;
    }
    RelistViewEntry& entry = it->second;
    if (entry.generation != generation) {
      entry.generation = generation;
      entry.seen = 0;
    }
    for (const container::Container& c : sandbox ? entry.pod->sandboxes : entry.pod->containers) {
      if (c.id != id) continue;
      if (c.state == state) {
        ++entry.seen;
        return;
      }
      break;
    }
    changed.insert(uid);
  };

  std::vector<container::ContainerState> container_states;
  container_states.reserve(containers->size());
  {
    std::lock_guard<std::mutex> announced_lock(announced_mu_);
    for (const cri::Container& c : *containers) {
      container_states.push_back(ToContainerState(AnnouncedStateLocked(c.id, c.state)));
    }
  }
  for (const cri::PodSandbox& s : *sandboxes) {
    if (!s.metadata.uid.empty()) compare(s.metadata.uid, s.id, SandboxListState(s), true);
  }
  for (size_t i = 0; i < containers->size(); ++i) {
    const cri::Container& c = (*containers)[i];
    ListedContainerPod of = PodOfListed(c);
    if (of.uid != nullptr) compare(*of.uid, c.id, container_states[i], false);
  }
  // Gone from the lists: forget. Something of it gone: rebuild.
  absl::erase_if(relist_view_,
                 [generation](const auto& kv) { return kv.second.generation != generation; });
  for (const auto& [uid, entry] : relist_view_) {
    if (entry.seen != entry.pod->sandboxes.size() + entry.pod->containers.size()) {
      changed.insert(uid);
    }
  }

  if (!changed.empty()) {
    absl::flat_hash_map<absl::string_view, container::Pod> rebuilt;  // keys view the lists
    for (cri::PodSandbox& s : *sandboxes) {
      if (s.metadata.uid.empty() || !changed.contains(s.metadata.uid)) continue;
      AddListedSandbox(rebuilt[s.metadata.uid], s);
    }
    for (size_t i = 0; i < containers->size(); ++i) {
      cri::Container& c = (*containers)[i];
      ListedContainerPod of = PodOfListed(c);
      if (of.uid == nullptr || !changed.contains(*of.uid)) continue;
      AddListedContainer(rebuilt[*of.uid], of, c, container_states[i]);
    }
    changed.clear();  // its views into relist_view_'s keys end here
    for (auto& [uid, pod] : rebuilt) {
      pod_ids_.SetListed(list, uid, ContainerIds(pod.sandboxes), ContainerIds(pod.containers));
      RelistViewEntry& entry = relist_view_[uid];
      entry.pod = std::make_shared<const container::Pod>(std::move(pod));
      entry.generation = generation;
    }
  }

  pod_ids_.EndList(list, [this](absl::string_view uid) { return relist_view_.contains(uid); });

  std::vector<container::PodPtr> out;
  out.reserve(relist_view_.size());
  for (const auto& [uid, entry] : relist_view_) out.push_back(entry.pod);
  std::sort(out.begin(), out.end(), [](const container::PodPtr& a, const container::PodPtr& b) {
    return NewerPodFirst(*a, *b);
  });
  return out;
}

void RuntimeManager::NoteRuntimeEvent(const cri::ContainerEvent& event) {
  using Type = cri::ContainerEvent::Type;
  std::lock_guard<std::mutex> lock(announced_mu_);
  const absl::Time now = clock_->Now();
  // Old entries (the CRI never agreed, or no one asked again) go.
  for (auto it = announced_.begin(); it != announced_.end();) {
    it = now - it->second.noted > absl::Minutes(1) ? announced_.erase(it) : std::next(it);
  }
  switch (event.type) {
    case Type::kExited: {
      AnnouncedExit& e = announced_[event.container_id];
      e.exited = true;
      e.exit_code = event.exit_code.value_or(0);
      e.finished_at = event.at == absl::InfinitePast() ? absl::ToUnixNanos(absl::Now())
                                                       : absl::ToUnixNanos(event.at);
      e.noted = now;
      break;
    }
    case Type::kOomKilled: {
      AnnouncedExit& e = announced_[event.container_id];
      e.oom_killed = true;
      e.noted = now;
      break;
    }
    case Type::kDeleted:
      announced_.erase(event.container_id);
      break;
    case Type::kStarted:
      break;
  }
}

void RuntimeManager::ApplyAnnouncedExit(cri::ContainerStatus& status) {
  std::lock_guard<std::mutex> lock(announced_mu_);
  auto it = announced_.find(status.id);
  if (it == announced_.end()) return;
  if (status.state == cri::ContainerState::kExited) {
    announced_.erase(it);  // the CRI caught up; its record is the truth
    return;
  }
  const AnnouncedExit& e = it->second;
  if (!e.exited || status.state != cri::ContainerState::kRunning) return;
  status.state = cri::ContainerState::kExited;
  status.exit_code = e.exit_code;
  status.finished_at = std::max(e.finished_at, status.started_at);
  // What containerd's CRI plugin will say once it catches up.
  status.reason = e.oom_killed ? "OOMKilled" : e.exit_code == 0 ? "Completed" : "Error";
}

cri::ContainerState RuntimeManager::AnnouncedState(const std::string& id,
                                                   cri::ContainerState listed) {
  if (listed != cri::ContainerState::kRunning) return listed;
  std::lock_guard<std::mutex> lock(announced_mu_);
  return AnnouncedStateLocked(id, listed);
}

cri::ContainerState RuntimeManager::AnnouncedStateLocked(const std::string& id,
                                                         cri::ContainerState listed) {
  if (listed != cri::ContainerState::kRunning) return listed;
  auto it = announced_.find(id);
  return it != announced_.end() && it->second.exited ? cri::ContainerState::kExited : listed;
}

absl::StatusOr<container::Pod> RuntimeManager::PodOfContainer(const std::string& id) {
  absl::StatusOr<cri::ContainerStatus> c = runtime_->GetContainerStatus(id);
  if (c.ok()) {
    auto uid = c->labels.find(kPodUidLabel);
    if (uid == c->labels.end() || uid->second.empty()) {
      return absl::NotFoundError(absl::StrCat("container ", id, " belongs to no pod"));
    }
    auto label = [&](const char* key) {
      auto it = c->labels.find(key);
      return it == c->labels.end() ? std::string() : it->second;
    };
    return container::Pod{
        .id = uid->second, .name = label(kPodNameLabel), .namespace_ = label(kPodNamespaceLabel)};
  }
  if (!absl::IsNotFound(c.status())) return c.status();
  absl::StatusOr<cri::PodSandboxStatus> s = runtime_->GetPodSandboxStatus(id);
  if (!s.ok()) return s.status();
  if (s->metadata.uid.empty()) {
    return absl::NotFoundError(absl::StrCat("sandbox ", id, " belongs to no pod"));
  }
  return container::Pod{
      .id = s->metadata.uid, .name = s->metadata.name, .namespace_ = s->metadata.namespace_};
}

absl::StatusOr<container::PodStatusPtr> RuntimeManager::GetPodStatus(
    const std::string& uid, const std::string& name, const std::string& namespace_) {
  auto status = std::make_shared<container::PodStatus>();
  status->id = uid;
  status->name = name;
  status->namespace_ = namespace_;
  status->timestamp = clock_->Now();

  // The pod's ids: from the index when it can tell, else (before the first
  // relist) from lists filtered by the pod's label.
  std::optional<PodIdIndex::PodIds> ids = pod_ids_.Lookup(uid);
  const bool indexed = ids.has_value();
  if (!indexed) {
    ids.emplace();
    absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes =
        runtime_->ListPodSandbox(cri::PodSandboxFilter{.label_selector = {{kPodUidLabel, uid}}});
    if (!sandboxes.ok()) return sandboxes.status();
    for (cri::PodSandbox& s : *sandboxes) ids->sandboxes.push_back(std::move(s.id));
    absl::StatusOr<std::vector<cri::Container>> containers =
        runtime_->ListContainers(cri::ContainerFilter{.label_selector = {{kPodUidLabel, uid}}});
    if (!containers.ok()) return containers.status();
    for (cri::Container& c : *containers) ids->containers.push_back(std::move(c.id));
  }

  std::vector<cri::PodSandboxStatus> sandboxes;
  sandboxes.reserve(ids->sandboxes.size());
  for (const std::string& id : ids->sandboxes) {
    absl::StatusOr<cri::PodSandboxStatus> s = runtime_->GetPodSandboxStatus(id);
    // Removed since it was listed or created: as if it had never been.
    if (absl::IsNotFound(s.status())) {
      if (indexed) pod_ids_.Forget(uid, id);
      continue;
    }
    if (!s.ok()) return s.status();
    sandboxes.push_back(*std::move(s));
  }
  std::sort(sandboxes.begin(), sandboxes.end(),
            [](const cri::PodSandboxStatus& a, const cri::PodSandboxStatus& b) {
              if (a.created_at != b.created_at) return a.created_at > b.created_at;
              return a.metadata.attempt > b.metadata.attempt;
            });
  for (size_t i = 0; i < sandboxes.size(); ++i) {
    cri::PodSandboxStatus& s = sandboxes[i];
    container::SandboxStatus ss;
    ss.id = std::move(s.id);
    ss.state = s.state == cri::PodSandboxState::kReady ? container::SandboxState::kReady
                                                       : container::SandboxState::kNotReady;
    ss.attempt = s.metadata.attempt;
    ss.created_at = FromNanos(s.created_at);
    ss.ip = std::move(s.ip);
    ss.additional_ips = std::move(s.additional_ips);
    ss.host_network = s.network_mode == cri::NamespaceMode::kNode;
    // Only the latest sandbox, and only while ready, gives the pod its IPs.
    if (i == 0 && ss.state == container::SandboxState::kReady && !ss.ip.empty()) {
      status->ips.push_back(ss.ip);
      for (const std::string& ip : ss.additional_ips) status->ips.push_back(ip);
    }
    status->sandbox_statuses.push_back(std::move(ss));
  }

  for (const std::string& id : ids->containers) {
    absl::StatusOr<cri::ContainerStatus> s = runtime_->GetContainerStatus(id);
    if (absl::IsNotFound(s.status())) {
      if (indexed) pod_ids_.Forget(uid, id);
      continue;
    }
    if (!s.ok()) return s.status();
    ApplyAnnouncedExit(*s);
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
      absl::Status s = KillContainer(&pod, k.id, k.name, internal::FindSpec(pod, k.name), k.reason,
                                     std::nullopt);
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
    // The sandbox's config may be impossible (an FQDN hostname too long):
    // the sandbox then fails as one the runtime refused (upstream
    // createPodSandbox with generatePodSandboxConfig's error).
    absl::StatusOr<std::string> id = pod.spec.host_network
                                         ? absl::StatusOr<std::string>("")
                                         : SandboxHostname(pod, options_.cluster_domain);
    if (id.ok()) id = runtime_->RunPodSandbox(sandbox_config, RuntimeHandlerFor(pod));
    if (!id.ok()) {
      r.error = id.status();
      r.reason = kCreatePodSandboxError;
      r.message = absl::StrCat("Failed to create pod sandbox: ", id.status().message());
      recorder_->Event(events::PodReference(pod), events::kWarning, "FailedCreatePodSandBox",
                       r.message);
      result.results.push_back(std::move(r));
      return result;
    }
    result.results.push_back(std::move(r));
    pod_ids_.NoteCreatedSandbox(pod.metadata.uid, *id);
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

  // Ephemeral containers first (upstream step 7), so that a debugger starts
  // even while an init container keeps failing.
  for (size_t idx : actions.ephemeral_containers_to_start) {
    if (Cancelled(cancel, result)) return result;
    StartContainer(pod, pod.spec.ephemeral_containers[idx], status, sandbox_id, sandbox_config,
                   pod_ips, result)
        .IgnoreError();
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
void RuntimeManager::Record(const api::Pod& pod, const std::string& container_name,
                            std::string_view type, std::string_view reason,
                            std::string_view message) {
  bool init = false;
  bool ephemeral = false;
  for (const api::Container& c : pod.spec.init_containers) init = init || c.name == container_name;
  for (const api::Container& c : pod.spec.ephemeral_containers) {
    ephemeral = ephemeral || c.name == container_name;
  }
  std::string field_path = init        ? events::InitContainerFieldPath(container_name)
                           : ephemeral ? events::EphemeralContainerFieldPath(container_name)
                                       : events::ContainerFieldPath(container_name);
  recorder_->Event(events::PodReference(pod, std::move(field_path)), type, reason, message);
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
    Record(pod, container.name, events::kWarning, "BackOff",
           absl::StrCat("Back-off restarting failed container ", container.name, " in pod ",
                        FormatPod(pod)));
    return absl::StrCat("back-off ", FormatGoDuration(delay),
                        " restarting failed container=", container.name, " pod=", FormatPod(pod));
  }
  crash_loop_backoff_.Next(key, exited->finished_at);
  return std::nullopt;
}

PodSyncResult RuntimeManager::KillPod(const api::Pod* pod, const container::Pod& running_pod,
                                      std::optional<int64_t> grace_period_override,
                                      const CancelTokenPtr& cancel) {
  return KillPodWithSyncResult(pod, running_pod, grace_period_override, cancel);
}

PodSyncResult RuntimeManager::KillPodWithSyncResult(const api::Pod* pod,
                                                    const container::Pod& running_pod,
                                                    std::optional<int64_t> grace_period_override,
                                                    const CancelTokenPtr& cancel) {
  PodSyncResult result;
  if (Cancelled(cancel, result)) return result;

  // Every container stops at once, preStop hooks included; sidecars
  // (restartable init containers) then wait for their turn: after the main
  // containers, in reverse order (upstream killContainersWithSyncResult with
  // its terminationOrdering). Submitted main containers first, then sidecars
  // from the last, so a full stop pool runs them in the order they finish.
  std::vector<const container::Container*> to_stop;  // main containers, then sidecars
  std::vector<std::pair<size_t, const container::Container*>> sidecars;  // by init index
  for (const container::Container& c : running_pod.containers) {
    if (c.state == container::ContainerState::kExited) continue;
    std::optional<size_t> sidecar;
    if (pod != nullptr) {
      for (size_t i = 0; i < pod->spec.init_containers.size(); ++i) {
        const api::Container& ic = pod->spec.init_containers[i];
        if (ic.name == c.name && api::IsRestartableInitContainer(ic)) sidecar = i;
      }
    }
    if (sidecar.has_value()) {
      sidecars.emplace_back(*sidecar, &c);
    } else {
      to_stop.push_back(&c);
    }
  }
  std::sort(sidecars.begin(), sidecars.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [index, c] : sidecars) to_stop.push_back(c);
  std::shared_ptr<TerminationOrdering> ordering;
  if (!sidecars.empty()) {
    std::vector<std::string> names;
    for (const container::Container* c : to_stop) names.push_back(c->name);
    ordering = std::make_shared<TerminationOrdering>(*pod, names);
  }
  if (!to_stop.empty()) {
    std::optional<std::vector<SyncResult>> kills =
        KillContainersInParallel(pod, to_stop, grace_period_override, cancel, ordering);
    if (!kills.has_value()) {
      result.sync_error = CancelledError("pod kill interrupted");
      return result;
    }
    for (SyncResult& r : *kills) result.results.push_back(std::move(r));
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

}  // namespace cubelet::kuberuntime
