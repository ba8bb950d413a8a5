#include "status/reason_cache.h"

namespace cubelet::status {

ReasonCache::ReasonCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void ReasonCache::Update(const std::string& pod_uid, const container::PodSyncResult& result) {
  for (const container::SyncResult& r : result.results) {
    if (r.action != container::SyncResult::Action::kStartContainer) continue;
    if (r.error.ok()) {
      Remove(pod_uid, r.target);
    } else {
      // Upstream shows the error's text (which is the reason) as the waiting
      // reason; a result without one falls back to the status message.
      std::string reason = r.reason.empty() ? std::string(r.error.message()) : r.reason;
      Add(pod_uid, r.target, ReasonInfo{std::move(reason), r.message});
    }
  }
}

void ReasonCache::Add(const std::string& pod_uid, const std::string& container_name,
                      ReasonInfo info) {
  std::lock_guard<std::mutex> lock(mu_);
  Key key{pod_uid, container_name};
  RemoveLocked(key);
  lru_.push_front(key);
  entries_.emplace(std::move(key), Entry{std::move(info), lru_.begin()});
  while (entries_.size() > capacity_) {
    Key victim = lru_.back();  // a copy: RemoveLocked frees the list node
    RemoveLocked(victim);
  }
}

void ReasonCache::Remove(const std::string& pod_uid, const std::string& container_name) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveLocked(Key{pod_uid, container_name});
}

void ReasonCache::RemovePod(const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.lower_bound(Key{pod_uid, std::string()});
  while (it != entries_.end() && it->first.first == pod_uid) {
    lru_.erase(it->second.lru);
    it = entries_.erase(it);
  }
}

std::optional<ReasonInfo> ReasonCache::Get(const std::string& pod_uid,
                                           const std::string& container_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Key{pod_uid, container_name});
  if (it == entries_.end()) return std::nullopt;
  return it->second.info;
}

size_t ReasonCache::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void ReasonCache::RemoveLocked(const Key& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace cubelet::status
