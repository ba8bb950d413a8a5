#include "status/api_status_syncer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/format.h"
#include "api/json.h"
#include "status/generate.h"
#include "util/log.h"

namespace cubelet::status {
namespace {

using nlohmann::json;

std::string PodPath(const api::Pod& pod) {
  return absl::StrCat("/api/v1/namespaces/", pod.metadata.namespace_, "/pods/", pod.metadata.name);
}

// Gone from the API server, or replaced by a pod of another UID.
bool IsGoneOrReplaced(const absl::Status& s) {
  return client::IsNotFound(s) || client::IsConflict(s);
}

}  // namespace

json StatusPatch(const api::Pod& pod, const api::PodStatus& status, std::string_view uid) {
  api::Pod copy;
  copy.status = status;
  json wire = api::PodToJson(copy).value("status", json::object());
  for (const char* key : {"message", "reason", "podIP"}) {
    if (!wire.contains(key)) wire[key] = nullptr;
  }
  // podIPs and hostIPs merge by "ip" in a strategic merge patch: without the
  // replace directive a new sandbox's IP would be added to the old one's
  // (upstream's two-way patch deletes what is gone).
  for (const char* key : {"podIPs", "hostIPs"}) {
    json list = json::array({{{"$patch", "replace"}}});
    if (wire.contains(key)) {
      for (json& ip : wire[key]) list.push_back(std::move(ip));
    }
    wire[key] = std::move(list);
  }
  if (wire.contains("conditions")) {
    for (json& c : wire["conditions"]) {
      for (const char* key : {"message", "reason"}) {
        if (!c.contains(key)) c[key] = nullptr;
      }
    }
  }
  return json{{"metadata", {{"uid", uid.empty() ? pod.metadata.uid : std::string(uid)}}},
              {"status", std::move(wire)}};
}

ApiStatusSyncer::ApiStatusSyncer(client::ApiClient* client, StatusManager* statuses, Clock* clock,
                                 std::function<std::vector<api::PodPtr>()> list_pods,
                                 std::function<api::PodPtr(const std::string&)> get_pod,
                                 ApiStatusSyncerOptions options)
    : client_(client),
      statuses_(statuses),
      clock_(clock),
      list_pods_(std::move(list_pods)),
      get_pod_(std::move(get_pod)),
      options_(options),
      wake_(CancelToken::Create()) {}

ApiStatusSyncer::~ApiStatusSyncer() { Stop(); }

void ApiStatusSyncer::Touch(const std::string& uid) {
  CancelTokenPtr wake;
  {
    MutexLock lock(&mu_);
    queued_.insert(uid);
    wake = wake_;
  }
  wake->Cancel();
}

int64_t ApiStatusSyncer::Writes() const {
  MutexLock lock(&mu_);
  return writes_;
}

std::optional<std::string> ApiStatusSyncer::ApiUid(const api::Pod& pod) const {
  if (!api::IsStaticPod(pod)) return pod.metadata.uid;
  if (!options_.mirror_uid) return std::nullopt;
  return options_.mirror_uid(pod);
}

namespace {

// Upstream mergePodStatus: a pod is not reported Failed or Succeeded while
// its containers could still run (a sidecar being stopped after an init
// container failed): while a container of it is running and its worker has
// not finished, the API keeps the phase it has. A pod refused at admission
// never ran anything and goes Failed at once. (A static pod's object here is its manifest's,
// without the mirror's status: its phase is sent as it is.)
api::PodStatus HoldTerminalPhase(const api::Pod& pod, const VersionedPodStatus& status) {
  api::PodStatus out = status.status;
  auto running = [](const std::vector<api::ContainerStatus>& list) {
    return std::any_of(list.begin(), list.end(),
                       [](const api::ContainerStatus& s) { return s.state.running.has_value(); });
  };
  const bool could_run = running(out.init_container_statuses) || running(out.container_statuses) ||
                         running(out.ephemeral_container_statuses);
  if (api::IsStaticPod(pod) || status.pod_is_finished || !could_run ||
      !api::IsTerminalPhase(out.phase) || api::IsTerminalPhase(pod.status.phase)) {
    return out;
  }
  out.phase = pod.status.phase.empty() ? std::string(api::kPodPending) : pod.status.phase;
  out.reason = pod.status.reason;
  out.message = pod.status.message;
  return out;
}

}  // namespace

bool ApiStatusSyncer::NeedsSync(const api::Pod& pod, const std::string& api_uid,
                                const VersionedPodStatus& status, const PodState& state) const {
  if (state.deleted) return false;
  if (state.synced_version < status.version || state.synced_uid != api_uid) return true;
  // Static pods leave the API server with their mirror, never through here.
  return !api::IsStaticPod(pod) && pod.metadata.deletion_timestamp.has_value() &&
         api::IsTerminalPhase(status.status.phase) && status.pod_is_finished;
}

int ApiStatusSyncer::SyncPod(const std::string& uid) {
  api::PodPtr pod = get_pod_(uid);
  const std::optional<std::string> api_uid = pod == nullptr ? std::nullopt : ApiUid(*pod);
  if (pod == nullptr || (!api_uid.has_value() && !api::IsStaticPod(*pod))) {
    MutexLock lock(&mu_);
    pods_.erase(uid);
    return 0;
  }
  // A static pod without its mirror yet: the resync after the mirror appears writes it.
  if (!api_uid.has_value()) return 0;
  std::optional<VersionedPodStatus> status = statuses_->GetPodStatus(uid);
  if (!status.has_value()) return 0;
  ApplyNodeAddresses(*pod, options_.host_ip, status->status);
  PodState state;
  {
    MutexLock lock(&mu_);
    state = pods_[uid];
  }
  if (!NeedsSync(*pod, *api_uid, *status, state)) return 0;

  int writes = 0;
  absl::Status result;
  if (state.synced_version < status->version || state.synced_uid != *api_uid) {
    absl::StatusOr<json> patched =
        client_->Call({.verb = client::Verb::kPatch,
                       .path = absl::StrCat(PodPath(*pod), "/status"),
                       .body = StatusPatch(*pod, HoldTerminalPhase(*pod, *status), *api_uid)});
    ++writes;
    result = patched.status();
    if (result.ok()) {
      state.synced_version = status->version;
      state.synced_uid = *api_uid;
    } else if (IsGoneOrReplaced(result) && api::IsStaticPod(*pod)) {
      // The mirror was deleted or recreated: written again once it is back.
      VLOG(2) << "Mirror pod of " << api::FormatPod(*pod) << " is gone: " << result.message();
      state.synced_uid.clear();
      result = absl::OkStatus();
    } else if (IsGoneOrReplaced(result)) {
      VLOG(2) << "Pod " << api::FormatPod(*pod)
              << " is gone from the API server: " << result.message();
      state.deleted = true;
    }
  }
  // Deleted with a terminal status and nothing left running or mounted: the
  // pod may leave the API server (upstream canBeDeleted).
  if (result.ok() && !state.deleted && !api::IsStaticPod(*pod) &&
      pod->metadata.deletion_timestamp.has_value() && api::IsTerminalPhase(status->status.phase) &&
      status->pod_is_finished) {
    absl::StatusOr<json> deleted =
        client_->Call({.verb = client::Verb::kDelete,
                       .path = PodPath(*pod),
                       .body = {{"kind", "DeleteOptions"},
                                {"apiVersion", "v1"},
                                {"gracePeriodSeconds", 0},
                                {"preconditions", {{"uid", pod->metadata.uid}}}}});
    ++writes;
    result = deleted.status();
    if (result.ok() || IsGoneOrReplaced(result)) {
      state.deleted = true;
      result = absl::OkStatus();
      LOG(INFO) << "Pod " << api::FormatPod(*pod)
                << " fully terminated and removed from the "
                   "API server";
    }
  }
  MutexLock lock(&mu_);
  writes_ += writes;
  if (result.ok() || state.deleted) {
    state.backoff = absl::ZeroDuration();
    state.retry_at = absl::InfinitePast();
  } else {
    state.backoff = state.backoff == absl::ZeroDuration()
                        ? options_.retry_initial
                        : std::min(state.backoff * 2, options_.retry_max);
    state.retry_at = clock_->Now() + state.backoff;
    queued_.insert(uid);
    LOG(WARNING) << "Failed to update status for pod " << api::FormatPod(*pod) << ": "
                 << result.message() << " (retrying in " << state.backoff << ")";
  }
  pods_[uid] = state;
  return writes;
}

int ApiStatusSyncer::SyncOnce(bool resync) {
  if (resync) {
    absl::flat_hash_set<std::string> desired;
    std::vector<std::string> due;
    for (const api::PodPtr& pod : list_pods_()) {
      if (api::IsStaticPod(*pod) && !options_.mirror_uid) continue;
      desired.insert(pod->metadata.uid);
      const std::optional<std::string> api_uid = ApiUid(*pod);
      if (!api_uid.has_value()) continue;
      std::optional<VersionedPodStatus> status = statuses_->GetPodStatus(pod->metadata.uid);
      if (!status.has_value()) continue;
      MutexLock lock(&mu_);
      auto it = pods_.find(pod->metadata.uid);
      if (NeedsSync(*pod, *api_uid, *status, it == pods_.end() ? PodState{} : it->second)) {
        queued_.insert(pod->metadata.uid);
      }
    }
    MutexLock lock(&mu_);
    absl::erase_if(pods_, [&](const auto& entry) { return !desired.contains(entry.first); });
  }
  std::vector<std::string> batch;
  {
    MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    for (auto it = queued_.begin(); it != queued_.end();) {
      auto state = pods_.find(*it);
      if (state != pods_.end() && state->second.retry_at > now) {
        ++it;
        continue;
      }
      batch.push_back(*it);
      queued_.erase(it++);
    }
  }
  int writes = 0;
  for (const std::string& uid : batch) writes += SyncPod(uid);
  return writes;
}

void ApiStatusSyncer::Start() {
  if (thread_.joinable()) return;
  cancel_ = CancelToken::Create();
  thread_ = std::thread([this] { Run(); });
}

void ApiStatusSyncer::Stop() {
  if (!thread_.joinable()) return;
  cancel_->Cancel();
  CancelTokenPtr wake;
  {
    MutexLock lock(&mu_);
    wake = wake_;
  }
  wake->Cancel();
  thread_.join();
}

void ApiStatusSyncer::Run() {
  absl::Time next_resync = clock_->Now();
  while (!cancel_->IsCancelled()) {
    const bool resync = clock_->Now() >= next_resync;
    if (resync) next_resync = clock_->Now() + options_.resync_period;
    SyncOnce(resync);
    CancelTokenPtr wake;
    absl::Duration wait = next_resync - clock_->Now();
    {
      MutexLock lock(&mu_);
      wake_ = CancelToken::Create();
      wake = wake_;
      const absl::Time now = clock_->Now();
      for (const std::string& uid : queued_) {
        auto it = pods_.find(uid);
        const absl::Time at = it == pods_.end() ? now : it->second.retry_at;
        wait = std::min(wait, std::max(absl::ZeroDuration(), at - now));
      }
    }
    if (cancel_->IsCancelled()) break;
    if (wait > absl::ZeroDuration()) clock_->SleepFor(wait, wake);
  }
}

}  // namespace cubelet::status
