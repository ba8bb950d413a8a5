#include "container/pod_cache.h"

#include <condition_variable>
#include <memory>

namespace cubelet::container {

PodStatusPtr PreservePodIps(PodStatusPtr fresh, const PodCache& cache, const std::string& uid) {
  if (!fresh->ips.empty()) return fresh;
  // A ready sandbox without IPs (host network) really has none.
  for (const SandboxStatus& s : fresh->sandbox_statuses) {
    if (s.state == SandboxState::kReady) return fresh;
  }
  const CachedPodStatus previous = cache.Get(uid);
  if (!previous.error.ok() || previous.status->ips.empty()) return fresh;
  auto copy = std::make_shared<PodStatus>(*fresh);
  copy->ips = previous.status->ips;
  return copy;
}

CachedPodStatus PodCache::GetLocked(const std::string& uid) const {
  auto it = entries_.find(uid);
  if (it != entries_.end()) return it->second.data;
  auto empty = std::make_shared<PodStatus>();
  empty->id = uid;
  return CachedPodStatus{std::move(empty), absl::OkStatus()};
}

CachedPodStatus PodCache::Get(const std::string& uid) const {
  MutexLock lock(&mu_);
  return GetLocked(uid);
}

std::optional<CachedPodStatus> PodCache::GetIfNewerThanLocked(const std::string& uid,
                                                              absl::Time min_time) const {
  bool global_newer = global_timestamp_.has_value() && *global_timestamp_ > min_time;
  auto it = entries_.find(uid);
  if (it == entries_.end()) {
    if (global_newer) return GetLocked(uid);
    return std::nullopt;
  }
  if (it->second.modified > min_time || global_newer) return it->second.data;
  return std::nullopt;
}

void PodCache::CollectSatisfiedLocked(const std::string& uid, absl::Time timestamp,
                                      std::vector<std::pair<Callback, CachedPodStatus>>* out) {
  auto it = subscribers_.find(uid);
  if (it == subscribers_.end()) return;
  std::vector<Subscriber>& subs = it->second;
  // The kubelet notifies when timestamp >= min_time (slightly looser than the
  // strict "newer than" check of the lookup); keep that.
  size_t kept = 0;
  for (Subscriber& s : subs) {
    if (timestamp >= s.min_time) {
      out->emplace_back(std::move(s.done), GetLocked(uid));
    } else {
      subs[kept++] = std::move(s);
    }
  }
  subs.resize(kept);
  if (subs.empty()) subscribers_.erase(it);
}

void PodCache::Set(const std::string& uid, PodStatusPtr status, absl::Status error,
                   absl::Time timestamp) {
  std::vector<std::pair<Callback, CachedPodStatus>> ready;
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(uid);
    // An observation never replaces a newer one (a relist that began before
    // a pod worker's own refresh may finish after it).
    if (it != entries_.end() && it->second.modified > timestamp) return;
    entries_[uid] = Entry{CachedPodStatus{std::move(status), std::move(error)}, timestamp};
    CollectSatisfiedLocked(uid, timestamp, &ready);
  }
  for (auto& [cb, data] : ready) cb(std::move(data));
}

void PodCache::UpdateTime(absl::Time timestamp) {
  std::vector<std::pair<Callback, CachedPodStatus>> ready;
  {
    MutexLock lock(&mu_);
    global_timestamp_ = timestamp;
    std::vector<std::string> uids;
    uids.reserve(subscribers_.size());
    for (const auto& [uid, subs] : subscribers_) uids.push_back(uid);
    for (const std::string& uid : uids) CollectSatisfiedLocked(uid, timestamp, &ready);
  }
  for (auto& [cb, data] : ready) cb(std::move(data));
}

void PodCache::Delete(const std::string& uid) {
  MutexLock lock(&mu_);
  entries_.erase(uid);
}

void PodCache::SubscribeNewerThan(const std::string& uid, absl::Time min_time, Callback done) {
  std::optional<CachedPodStatus> now;
  {
    MutexLock lock(&mu_);
    now = GetIfNewerThanLocked(uid, min_time);
    if (!now.has_value()) {
      subscribers_[uid].push_back(Subscriber{min_time, std::move(done)});
      return;
    }
  }
  done(std::move(*now));
}

CachedPodStatus PodCache::GetNewerThan(const std::string& uid, absl::Time min_time) {
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<CachedPodStatus> result;
  };
  auto waiter = std::make_shared<Waiter>();
  SubscribeNewerThan(uid, min_time, [waiter](CachedPodStatus data) {
    {
      std::lock_guard<std::mutex> lock(waiter->mu);
      waiter->result = std::move(data);
    }
    waiter->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(waiter->mu);
  waiter->cv.wait(lock, [&] { return waiter->result.has_value(); });
  return std::move(*waiter->result);
}

size_t PodCache::Size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace cubelet::container
