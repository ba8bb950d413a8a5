#include "pleg/pleg.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace cubelet::pleg {

const char* ToString(PodLifeCycleEventType type) {
  switch (type) {
    case PodLifeCycleEventType::kContainerStarted:
      return "ContainerStarted";
    case PodLifeCycleEventType::kContainerDied:
      return "ContainerDied";
    case PodLifeCycleEventType::kContainerRemoved:
      return "ContainerRemoved";
    case PodLifeCycleEventType::kPodSync:
      return "PodSync";
    case PodLifeCycleEventType::kContainerChanged:
      return "ContainerChanged";
  }
  return "Unknown";
}

EventChannel::EventChannel(size_t capacity) : capacity_(capacity) {}

bool EventChannel::TryPush(PodLifecycleEvent event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    if (queue_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    queue_.push_back(std::move(event));
  }
  not_empty_.notify_one();
  return true;
}

std::optional<PodLifecycleEvent> EventChannel::TryPop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty()) return std::nullopt;
  PodLifecycleEvent e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

std::optional<PodLifecycleEvent> EventChannel::Pop(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (timeout < absl::ZeroDuration()) timeout = absl::ZeroDuration();
  // Saturates for InfiniteDuration, so "wait forever" works too.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::nanoseconds(
                      absl::ToInt64Nanoseconds(std::min(timeout, absl::Hours(24 * 365 * 100))));
  if (!not_empty_.wait_until(lock, deadline, [this] { return !queue_.empty() || closed_; })) {
    return std::nullopt;
  }
  if (queue_.empty()) return std::nullopt;  // closed
  PodLifecycleEvent e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

void EventChannel::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  not_empty_.notify_all();
}

size_t EventChannel::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

uint64_t EventChannel::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace cubelet::pleg
