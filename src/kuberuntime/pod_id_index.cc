#include "kuberuntime/pod_id_index.h"

#include <algorithm>

#include "absl/algorithm/container.h"

namespace cubelet::kuberuntime {

void PodIdIndex::Note(std::vector<Id>& ids, absl::string_view id, uint64_t seq) {
  for (Id& known : ids) {
    if (known.id == id) {
      known.noted = seq;
      return;
    }
  }
  ids.push_back(Id{.id = std::string(id), .noted = seq});
}

void PodIdIndex::Replace(std::vector<Id>& ids, const std::vector<std::string>& listed,
                         uint64_t list, uint64_t seq) {
  std::erase_if(ids, [&](const Id& known) {
    return known.noted < list && !absl::c_linear_search(listed, known.id);
  });
  for (const std::string& id : listed) Note(ids, id, seq);
}

void PodIdIndex::NoteCreatedSandbox(absl::string_view uid, absl::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  Note(pods_[uid].sandboxes, id, ++seq_);
}

void PodIdIndex::NoteCreatedContainer(absl::string_view uid, absl::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  Note(pods_[uid].containers, id, ++seq_);
}

uint64_t PodIdIndex::BeginList() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++seq_;
}

void PodIdIndex::SetListed(uint64_t list, absl::string_view uid,
                           const std::vector<std::string>& sandboxes,
                           const std::vector<std::string>& containers) {
  std::lock_guard<std::mutex> lock(mu_);
  // Listed ids are as old as the list: a later list that misses them drops them.
  Entry& entry = pods_[uid];
  Replace(entry.sandboxes, sandboxes, list, list);
  Replace(entry.containers, containers, list, list);
}

void PodIdIndex::EndList(uint64_t list, const std::function<bool(absl::string_view uid)>& listed) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::erase_if(pods_, [&](auto& kv) {
    if (listed(kv.first)) return false;
    Replace(kv.second.sandboxes, {}, list, list);
    Replace(kv.second.containers, {}, list, list);
    return kv.second.sandboxes.empty() && kv.second.containers.empty();
  });
  complete_ = true;
}

std::optional<PodIdIndex::PodIds> PodIdIndex::Lookup(absl::string_view uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!complete_) return std::nullopt;
  PodIds out;
  auto it = pods_.find(uid);
  if (it == pods_.end()) return out;
  for (const Id& id : it->second.sandboxes) out.sandboxes.push_back(id.id);
  for (const Id& id : it->second.containers) out.containers.push_back(id.id);
  return out;
}

void PodIdIndex::Forget(absl::string_view uid, absl::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  auto is_id = [&](const Id& known) { return known.id == id; };
  std::erase_if(it->second.sandboxes, is_id);
  std::erase_if(it->second.containers, is_id);
  if (it->second.sandboxes.empty() && it->second.containers.empty()) pods_.erase(it);
}

size_t PodIdIndex::pods() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pods_.size();
}

}  // namespace cubelet::kuberuntime
