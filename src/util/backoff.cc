#include "util/backoff.h"

#include <algorithm>

namespace cubelet {

Backoff::Backoff(absl::Duration initial, absl::Duration max, Clock* clock)
    : initial_(initial), max_(std::max(initial, max)), clock_(clock) {}

void Backoff::Next(const std::string& key, absl::Time event_time) {
  absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) {
    entries_.insert_or_assign(key, Entry{initial_, now});
    return;
  }
  it->second.backoff = std::min(it->second.backoff * 2, max_);
  it->second.last_update = now;
}

bool Backoff::IsInBackOffSince(const std::string& key, absl::Time event_time) const {
  absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) return false;
  return now - event_time < it->second.backoff;
}

bool Backoff::IsInBackOffSinceUpdate(const std::string& key, absl::Time event_time) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) return false;
  return event_time - it->second.last_update < it->second.backoff;
}

absl::Duration Backoff::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? absl::ZeroDuration() : it->second.backoff;
}

std::optional<absl::Time> Backoff::UpdateExpiration(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.last_update + it->second.backoff;
}

void Backoff::Reset(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

void Backoff::GC() {
  absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last_update > 2 * max_; });
}

size_t Backoff::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace cubelet
