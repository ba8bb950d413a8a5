#include "pod/pod_manager.h"

namespace cubelet::pod {

void PodManager::AddPod(const api::PodPtr& pod, absl::Time now) {
  MutexLock lock(&mu_);
  pods_[pod->metadata.uid] = pod;
  first_seen_.try_emplace(pod->metadata.uid, now);
}

void PodManager::UpdatePod(const api::PodPtr& pod) {
  MutexLock lock(&mu_);
  pods_[pod->metadata.uid] = pod;
}

bool PodManager::RemovePod(const std::string& uid) {
  MutexLock lock(&mu_);
  pods_.erase(uid);
  started_.erase(uid);
  return rejected_.erase(uid) > 0;
}

api::PodPtr PodManager::GetPodByUID(const std::string& uid) const {
  MutexLock lock(&mu_);
  auto it = pods_.find(uid);
  return it == pods_.end() ? nullptr : it->second;
}

std::vector<api::PodPtr> PodManager::GetPods() const {
  MutexLock lock(&mu_);
  std::vector<api::PodPtr> out;
  out.reserve(pods_.size());
  for (const auto& [uid, pod] : pods_) out.push_back(pod);
  return out;
}

size_t PodManager::NumPods() const {
  MutexLock lock(&mu_);
  return pods_.size();
}

std::optional<absl::Time> PodManager::FirstSeen(const std::string& uid) const {
  MutexLock lock(&mu_);
  auto it = first_seen_.find(uid);
  if (it == first_seen_.end()) return std::nullopt;
  return it->second;
}

std::optional<absl::Time> PodManager::MarkStarted(const std::string& uid) {
  MutexLock lock(&mu_);
  auto it = first_seen_.find(uid);
  if (it == first_seen_.end() || !started_.insert(uid).second) return std::nullopt;
  return it->second;
}

void PodManager::Forget(const std::string& uid) {
  MutexLock lock(&mu_);
  first_seen_.erase(uid);
  started_.erase(uid);
}

void PodManager::MarkRejected(const std::string& uid) {
  MutexLock lock(&mu_);
  rejected_.insert(uid);
}

bool PodManager::IsRejected(const std::string& uid) const {
  MutexLock lock(&mu_);
  return rejected_.contains(uid);
}

}  // namespace cubelet::pod
