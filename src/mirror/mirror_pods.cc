#include "mirror/mirror_pods.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/format.h"
#include "api/json.h"
#include "util/log.h"

namespace cubelet::mirror {
namespace {

using nlohmann::json;

std::string PodsPath(const std::string& namespace_) {
  return absl::StrCat("/api/v1/namespaces/", namespace_, "/pods");
}

std::string PodPath(const std::string& full_name) {
  // Full names are "<name>_<namespace>"; names never hold '_'.
  const size_t sep = full_name.find('_');
  return absl::StrCat(PodsPath(full_name.substr(sep + 1)), "/", full_name.substr(0, sep));
}

}  // namespace

std::string StaticPodHash(const api::Pod& pod) {
  auto it = pod.metadata.annotations.find(api::kConfigHashAnnotation);
  return it == pod.metadata.annotations.end() ? pod.metadata.uid : it->second;
}

json MirrorPodObject(const api::Pod& static_pod, const std::string& node_name,
                     const std::string& node_uid) {
  json object = api::PodToJson(static_pod);
  object.erase("status");
  json& meta = object["metadata"];
  meta.erase("uid");
  meta.erase("creationTimestamp");
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta["annotations"][api::kConfigMirrorAnnotation] = StaticPodHash(static_pod);
  meta["ownerReferences"] = json::array({{{"apiVersion", "v1"},
                                          {"kind", "Node"},
                                          {"name", node_name},
                                          {"uid", node_uid},
                                          {"controller", true}}});
  return object;
}

MirrorPodController::MirrorPodController(client::ApiClient* client, Clock* clock,
                                         MirrorPodOptions options, MirrorPodDeps deps)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      deps_(std::move(deps)),
      wake_(CancelToken::Create()) {}

MirrorPodController::~MirrorPodController() { Stop(); }

void MirrorPodController::SetMirrorPods(const std::vector<api::PodPtr>& mirrors) {
  CancelTokenPtr wake;
  {
    MutexLock lock(&mu_);
    // The watch lags behind our own writes: a mirror we deleted may still
    // show (being deleted), one we created may not show yet. Neither is news.
    std::map<std::string, Mirror> seen;
    std::set<std::string> uids;
    for (const api::PodPtr& pod : mirrors) {
      auto hash = pod->metadata.annotations.find(api::kConfigMirrorAnnotation);
      if (hash == pod->metadata.annotations.end()) continue;
      uids.insert(pod->metadata.uid);
      created_unseen_.erase(pod->metadata.uid);
      if (deleted_.contains(pod->metadata.uid)) continue;
      seen[api::PodFullName(*pod)] =
          Mirror{.uid = pod->metadata.uid,
                 .hash = hash->second,
                 .deleting = pod->metadata.deletion_timestamp.has_value()};
    }
    for (const auto& [full_name, mirror] : mirrors_) {
      if (created_unseen_.contains(mirror.uid)) seen.try_emplace(full_name, mirror);
    }
    std::erase_if(deleted_, [&](const std::string& uid) { return !uids.contains(uid); });
    mirrors_ = std::move(seen);
    wake = wake_;
  }
  wake->Cancel();
}

void MirrorPodController::Touch() {
  CancelTokenPtr wake;
  {
    MutexLock lock(&mu_);
    wake = wake_;
  }
  wake->Cancel();
}

std::optional<std::string> MirrorPodController::MirrorUid(const api::Pod& static_pod) const {
  MutexLock lock(&mu_);
  auto it = mirrors_.find(api::PodFullName(static_pod));
  if (it == mirrors_.end() || it->second.deleting || it->second.hash != StaticPodHash(static_pod)) {
    return std::nullopt;
  }
  return it->second.uid;
}

int64_t MirrorPodController::Writes() const {
  MutexLock lock(&mu_);
  return writes_;
}

bool MirrorPodController::DeleteMirror(const std::string& full_name, const Mirror& mirror,
                                       std::string_view why) {
  absl::StatusOr<json> deleted =
      client_->Call({.verb = client::Verb::kDelete,
                     .path = PodPath(full_name),
                     .body = {{"kind", "DeleteOptions"},
                              {"apiVersion", "v1"},
                              {"gracePeriodSeconds", 0},
                              {"preconditions", {{"uid", mirror.uid}}}}});
  {
    MutexLock lock(&mu_);
    ++writes_;
  }
  // 409 on the UID precondition: that mirror is gone already, replaced.
  if (!deleted.ok() && !client::IsNotFound(deleted.status()) &&
      !client::IsConflict(deleted.status())) {
    LOG(WARNING) << "Failed to delete mirror pod " << full_name << " (" << why
                 << "): " << deleted.status().message();
    return false;
  }
  LOG(INFO) << "Deleted mirror pod " << full_name << " (uid " << mirror.uid << ", " << why << ")";
  MutexLock lock(&mu_);
  deleted_.insert(mirror.uid);
  created_unseen_.erase(mirror.uid);
  auto it = mirrors_.find(full_name);
  if (it != mirrors_.end() && it->second.uid == mirror.uid) mirrors_.erase(it);
  return true;
}

bool MirrorPodController::CreateMirror(const api::Pod& static_pod, const std::string& node_uid) {
  absl::StatusOr<json> created =
      client_->Call({.verb = client::Verb::kPost,
                     .path = PodsPath(static_pod.metadata.namespace_),
                     .body = MirrorPodObject(static_pod, options_.node_name, node_uid)});
  {
    MutexLock lock(&mu_);
    ++writes_;
  }
  const std::string full_name = api::PodFullName(static_pod);
  if (!created.ok()) {
    // Another write of ours already made it; the watch brings it.
    if (client::IsAlreadyExists(created.status())) return true;
    LOG(WARNING) << "Failed to create mirror pod for static pod " << api::FormatPod(static_pod)
                 << ": " << created.status().message();
    return false;
  }
  const json meta = created->value("metadata", json::object());
  LOG(INFO) << "Created mirror pod " << full_name << " (uid " << meta.value("uid", "") << ")";
  MutexLock lock(&mu_);
  // Known at once, so statuses can go to it before the watch reports it.
  mirrors_[full_name] = Mirror{.uid = meta.value("uid", ""), .hash = StaticPodHash(static_pod)};
  created_unseen_.insert(meta.value("uid", ""));
  return true;
}

void MirrorPodController::Backoff(const std::string& full_name, bool ok) {
  MutexLock lock(&mu_);
  if (ok) {
    retries_.erase(full_name);
    return;
  }
  auto [it, inserted] = retries_.try_emplace(full_name, Retry{options_.retry_initial, {}});
  if (!inserted) it->second.backoff = std::min(it->second.backoff * 2, options_.retry_max);
  it->second.at = clock_->Now() + it->second.backoff;
}

bool MirrorPodController::BackingOff(const std::string& full_name) const {
  MutexLock lock(&mu_);
  auto it = retries_.find(full_name);
  return it != retries_.end() && it->second.at > clock_->Now();
}

int MirrorPodController::SyncOnce() {
  const int64_t writes_before = Writes();
  std::map<std::string, api::PodPtr> statics;  // by full name
  for (const api::PodPtr& pod : deps_.list_pods()) {
    if (api::IsStaticPod(*pod)) statics[api::PodFullName(*pod)] = pod;
  }
  std::map<std::string, Mirror> mirrors;
  {
    MutexLock lock(&mu_);
    mirrors = mirrors_;
  }
  std::string node_uid;  // asked once per pass, and only when needed
  bool node_uid_asked = false;
  for (const auto& [full_name, pod] : statics) {
    if (BackingOff(full_name)) continue;
    auto it = mirrors.find(full_name);
    bool missing = it == mirrors.end();
    if (!missing) {
      const Mirror& mirror = it->second;
      if (mirror.deleting) {
        missing = DeleteMirror(full_name, mirror, "deleted in the API server");
        Backoff(full_name, missing);
      } else if (mirror.hash != StaticPodHash(*pod)) {
        // The changed static pod starts only once the one it replaces has
        // terminated; until then the mirror stays (upstream replaces it in
        // the new pod's syncPod, which waits for that).
        if (deps_.static_pod_terminating && deps_.static_pod_terminating(full_name)) continue;
        missing = DeleteMirror(full_name, mirror, "its static pod changed");
        Backoff(full_name, missing);
      }
    } else if (deps_.static_pod_terminating && deps_.static_pod_terminating(full_name)) {
      continue;  // the same: no mirror for a pod that cannot start yet
    }
    if (!missing) continue;
    if (!node_uid_asked) {
      node_uid = deps_.node_uid();
      node_uid_asked = true;
    }
    // Without the Node there is no owner; the pass after registration creates it.
    if (node_uid.empty()) continue;
    Backoff(full_name, CreateMirror(*pod, node_uid));
  }
  for (const auto& [full_name, mirror] : mirrors) {
    if (statics.contains(full_name) || BackingOff(full_name)) continue;
    if (deps_.static_pod_terminating && deps_.static_pod_terminating(full_name)) continue;
    Backoff(full_name, DeleteMirror(full_name, mirror, "its static pod is gone"));
  }
  {
    MutexLock lock(&mu_);
    std::erase_if(retries_, [&](const auto& entry) {
      return !statics.contains(entry.first) && !mirrors.contains(entry.first);
    });
  }
  return static_cast<int>(Writes() - writes_before);
}

void MirrorPodController::Start() {
  if (thread_.joinable()) return;
  cancel_ = CancelToken::Create();
  thread_ = std::thread([this] { Run(); });
}

void MirrorPodController::Stop() {
  if (!thread_.joinable()) return;
  cancel_->Cancel();
  Touch();
  thread_.join();
}

void MirrorPodController::Run() {
  while (!cancel_->IsCancelled()) {
    CancelTokenPtr wake;
    {
      MutexLock lock(&mu_);
      wake_ = CancelToken::Create();
      wake = wake_;
    }
    SyncOnce();
    if (cancel_->IsCancelled()) break;
    clock_->SleepFor(options_.resync_period, wake);
  }
}

}  // namespace cubelet::mirror
