#include "config/config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace cubelet::config {
namespace {

bool AnnotationsEqualIgnoringLocal(const std::map<std::string, std::string>& a,
                                   const std::map<std::string, std::string>& b) {
  auto next = [](const std::map<std::string, std::string>& m, auto it) {
    while (it != m.end() && IsLocalAnnotation(it->first)) ++it;
    return it;
  };
  auto ia = next(a, a.begin());
  auto ib = next(b, b.begin());
  while (ia != a.end() && ib != b.end()) {
    if (*ia != *ib) return false;
    ia = next(a, std::next(ia));
    ib = next(b, std::next(ib));
  }
  return ia == a.end() && ib == b.end();
}

}  // namespace

bool IsLocalAnnotation(const std::string& key) {
  return key == api::kConfigSourceAnnotation || key == api::kConfigMirrorAnnotation ||
         key == api::kConfigSeenAnnotation;
}

bool PodsDifferSemantically(const api::Pod& a, const api::Pod& b) {
  return !(a.spec == b.spec && a.metadata.labels == b.metadata.labels &&
           a.metadata.deletion_timestamp == b.metadata.deletion_timestamp &&
           a.metadata.deletion_grace_period_seconds == b.metadata.deletion_grace_period_seconds &&
           AnnotationsEqualIgnoringLocal(a.metadata.annotations, b.metadata.annotations));
}

std::string FormatSeenTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

PodConfig::PodConfig(Clock* clock, UpdateCallback on_update, ErrorCallback on_error)
    : clock_(clock), on_update_(std::move(on_update)), on_error_(std::move(on_error)) {}

void PodConfig::Upsert(const std::string& source, const std::vector<api::PodPtr>& incoming,
                       const SourcePods& old_pods, SourcePods& pods, Changes& changes) {
  // Full names held by the other sources: the first source to bring a name
  // keeps it while it still has the pod.
  std::map<std::string, const std::string*> other_owners;
  for (const auto& [other, other_pods] : pods_) {
    if (other == source) continue;
    for (const auto& [uid, pod] : other_pods) other_owners.emplace(api::PodFullName(*pod), &other);
  }
  std::set<std::string> names;  // full names taken in this update
  for (const api::PodPtr& in : incoming) {
    if (in == nullptr) continue;
    std::string full_name = api::PodFullName(*in);
    if (in->metadata.uid.empty()) {
      changes.errors.push_back(
          absl::StrCat("source \"", source, "\": pod \"", full_name, "\" has no UID; ignored"));
      continue;
    }
    if (auto it = other_owners.find(full_name); it != other_owners.end()) {
      changes.errors.push_back(absl::StrCat("source \"", source, "\": pod \"", full_name,
                                            "\" is already defined by source \"", *it->second,
                                            "\"; ignored"));
      continue;
    }
    if (!names.insert(full_name).second) {
      changes.errors.push_back(absl::StrCat("source \"", source, "\": duplicate pod \"", full_name,
                                            "\" in one update; the later one ignored"));
      continue;
    }

    api::Pod ref = *in;
    // Stamped before comparing, so a source that leaves it out does not look
    // like a change.
    ref.metadata.annotations[api::kConfigSourceAnnotation] = source;

    auto old = old_pods.find(ref.metadata.uid);
    if (old == old_pods.end()) {
      ref.metadata.annotations[api::kConfigSeenAnnotation] = FormatSeenTimestamp(clock_->Now());
      auto pod = std::make_shared<const api::Pod>(std::move(ref));
      pods[pod->metadata.uid] = pod;
      changes.adds.push_back(std::move(pod));
      continue;
    }
    const api::Pod& existing = *old->second;
    if (!PodsDifferSemantically(existing, ref)) {
      if (existing.status == ref.status) {
        pods[existing.metadata.uid] = old->second;
        continue;
      }
      // The kubelet is the source of truth for status; a source that states
      // one only asks for a refresh.
      api::Pod merged = existing;
      merged.status = ref.status;
      auto pod = std::make_shared<const api::Pod>(std::move(merged));
      pods[pod->metadata.uid] = pod;
      changes.reconciles.push_back(std::move(pod));
      continue;
    }
    api::Pod merged = existing;
    merged.spec = ref.spec;
    merged.metadata.labels = ref.metadata.labels;
    merged.metadata.deletion_timestamp = ref.metadata.deletion_timestamp;
    merged.metadata.deletion_grace_period_seconds = ref.metadata.deletion_grace_period_seconds;
    merged.status = ref.status;
    // The source's annotations, except that the local ones stay ours (above
    // all config.seen: the pod was first seen when it was added).
    std::map<std::string, std::string> annotations = ref.metadata.annotations;
    for (const auto& [key, value] : existing.metadata.annotations) {
      if (IsLocalAnnotation(key)) annotations[key] = value;
    }
    merged.metadata.annotations = std::move(annotations);
    auto pod = std::make_shared<const api::Pod>(std::move(merged));
    pods[pod->metadata.uid] = pod;
    if (pod->metadata.deletion_timestamp.has_value()) {
      changes.deletes.push_back(std::move(pod));
    } else {
      changes.updates.push_back(std::move(pod));
    }
  }
}

void PodConfig::Merge(const PodUpdate& update) {
  std::lock_guard<std::mutex> merge_lock(merge_mu_);
  const std::string& source = update.source;
  Changes changes;
  bool first_set = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SourcePods& pods = pods_[source];
    switch (update.op) {
      case PodOperation::kSet: {
        first_set = sources_seen_.insert(source).second;
        SourcePods old_pods = std::move(pods);
        pods.clear();
        Upsert(source, update.pods, old_pods, pods, changes);
        for (const auto& [uid, pod] : old_pods) {
          if (!pods.contains(uid)) changes.removes.push_back(pod);
        }
        break;
      }
      case PodOperation::kAdd:
      case PodOperation::kUpdate:
      case PodOperation::kDelete: {
        // The pods being changed are their own previous versions.
        SourcePods old_pods = pods;
        Upsert(source, update.pods, old_pods, pods, changes);
        break;
      }
      case PodOperation::kRemove:
        for (const api::PodPtr& pod : update.pods) {
          if (pod == nullptr) continue;
          auto it = pods.find(pod->metadata.uid);
          if (it == pods.end()) continue;
          changes.removes.push_back(it->second);
          pods.erase(it);
        }
        break;
      case PodOperation::kReconcile:
        break;
    }
  }

  if (on_error_) {
    for (const std::string& e : changes.errors) on_error_(e);
  }
  if (!on_update_) return;
  auto emit = [&](std::vector<api::PodPtr>& pods, PodOperation op) {
    if (!pods.empty()) on_update_(PodUpdate{std::move(pods), op, source});
  };
  bool nothing_to_run = changes.adds.empty() && changes.updates.empty() && changes.deletes.empty();
  emit(changes.removes, PodOperation::kRemove);
  emit(changes.adds, PodOperation::kAdd);
  emit(changes.updates, PodOperation::kUpdate);
  emit(changes.deletes, PodOperation::kDelete);
  if (first_set && nothing_to_run) on_update_(PodUpdate{{}, PodOperation::kAdd, source});
  emit(changes.reconciles, PodOperation::kReconcile);
}

bool PodConfig::SeenAllSources(const std::set<std::string>& expected) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& s : expected) {
    if (!sources_seen_.contains(s)) return false;
  }
  return true;
}

std::vector<api::PodPtr> PodConfig::GetPods() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<api::PodPtr> out;
  for (const auto& [source, pods] : pods_) {
    for (const auto& [uid, pod] : pods) out.push_back(pod);
  }
  return out;
}

}  // namespace cubelet::config
