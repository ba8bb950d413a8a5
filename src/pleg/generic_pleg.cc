#include "pleg/generic_pleg.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace cubelet::pleg {
namespace {

// The states PLEG distinguishes: the runtime's, with "created" folded into
// unknown (nothing consumes it) and "absent" added so that appearing and
// disappearing are transitions too.
enum class PlegState { kRunning, kExited, kUnknown, kNonExistent };

PlegState Convert(container::ContainerState s) {
  switch (s) {
    case container::ContainerState::kRunning:
      return PlegState::kRunning;
    case container::ContainerState::kExited:
      return PlegState::kExited;
    case container::ContainerState::kCreated:
    case container::ContainerState::kUnknown:
      return PlegState::kUnknown;
  }
  return PlegState::kUnknown;
}

PlegState StateIn(const container::Pod* pod, const std::string& id) {
  if (pod == nullptr) return PlegState::kNonExistent;
  for (const auto* list : {&pod->containers, &pod->sandboxes}) {
    for (const container::Container& c : *list) {
      if (c.id == id) return Convert(c.state);
    }
  }
  return PlegState::kNonExistent;
}

std::string FormatPodRef(const container::Pod& pod) {
  return absl::StrCat(pod.namespace_, "/", pod.name, " (", pod.id, ")");
}

}  // namespace

GenericPleg::GenericPleg(container::Runtime* runtime, container::PodCache* cache,
                         EventChannel* events, const Clock* clock, Options options)
    : runtime_(runtime),
      cache_(cache),
      events_(events),
      clock_(clock),
      log_(std::move(options.log)),
      on_relist_(std::move(options.on_relist)),
      relist_period_(options.relist_period),
      relist_threshold_(options.relist_threshold),
      failed_relist_retry_(options.failed_relist_retry) {}

GenericPleg::~GenericPleg() { Stop(); }

void GenericPleg::Start() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stop_requested_ = false;
  }
  thread_ = std::thread([this] { RelistLoop(); });
}

void GenericPleg::Stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stop_requested_ = true;
  }
  run_cv_.notify_all();
  thread_.join();
}

void GenericPleg::RelistLoop() {
  for (;;) {
    Relist();
    absl::Duration period;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      period =
          last_relist_failed_ ? std::min(relist_period_, failed_relist_retry_) : relist_period_;
    }
    std::unique_lock<std::mutex> lock(run_mu_);
    // The period is real time even under a FakeClock: it paces CPU use, it
    // is not part of any decision.
    run_cv_.wait_for(lock, std::chrono::nanoseconds(absl::ToInt64Nanoseconds(period)),
                     [this] { return stop_requested_ || durations_changed_; });
    if (stop_requested_) return;
    durations_changed_ = false;
  }
}

void GenericPleg::SetRelistDurations(absl::Duration relist_period,
                                     absl::Duration relist_threshold) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (relist_period_ == relist_period && relist_threshold_ == relist_threshold) return;
    relist_period_ = relist_period;
    relist_threshold_ = relist_threshold;
  }
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    durations_changed_ = true;
  }
  run_cv_.notify_all();
}

absl::Status GenericPleg::Healthy() const {
  absl::Time last;
  absl::Duration threshold;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last = last_relist_time_;
    threshold = relist_threshold_;
  }
  if (last == absl::InfinitePast()) return absl::UnavailableError("pleg has yet to be successful");
  absl::Duration elapsed = clock_->Now() - last;
  if (elapsed > threshold) {
    return absl::UnavailableError(absl::StrCat("pleg was last seen active ",
                                               FormatGoDuration(elapsed), " ago; threshold is ",
                                               FormatGoDuration(threshold)));
  }
  return absl::OkStatus();
}

absl::Time GenericPleg::LastRelistTime() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return last_relist_time_;
}

RelistStats GenericPleg::Stats() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return stats_;
}

void GenericPleg::Log(std::vector<std::string>& logs) const {
  if (log_) {
    for (const std::string& line : logs) log_(line);
  }
  logs.clear();
}

namespace {

// True when both views hold the same containers and sandboxes in the same
// PLEG states: the common case of a relist, decided without allocating.
bool SameStates(const container::Pod* a, const container::Pod* b) {
  if (a == nullptr || b == nullptr) return a == b;
  if (a->containers.size() != b->containers.size() || a->sandboxes.size() != b->sandboxes.size()) {
    return false;
  }
  for (const auto* list : {&b->containers, &b->sandboxes}) {
    for (const container::Container& c : *list) {
      if (StateIn(a, c.id) != Convert(c.state)) return false;
    }
  }
  return true;
}

}  // namespace

std::vector<PodLifecycleEvent> GenericPleg::ComputeEvents(const std::string& uid,
                                                          const container::Pod* old_pod,
                                                          const container::Pod* new_pod) {
  // Same sizes and every id of `new_pod` found in `old_pod`: the id sets are
  // equal (ids are unique within a pod), so no event can come out.
  if (SameStates(old_pod, new_pod)) return {};
  std::vector<std::string> ids;
  absl::flat_hash_set<std::string> seen;
  for (const container::Pod* p : {old_pod, new_pod}) {
    if (p == nullptr) continue;
    // Sandboxes count as containers: a sandbox dying must wake the pod's
    // worker just like a container dying.
    for (const auto* list : {&p->containers, &p->sandboxes}) {
      for (const container::Container& c : *list) {
        if (seen.insert(c.id).second) ids.push_back(c.id);
      }
    }
  }

  std::vector<PodLifecycleEvent> events;
  for (const std::string& id : ids) {
    PlegState before = StateIn(old_pod, id);
    PlegState after = StateIn(new_pod, id);
    if (before == after) continue;
    auto add = [&](PodLifeCycleEventType type) {
      events.push_back(PodLifecycleEvent{.pod_uid = uid, .type = type, .container_id = id});
    };
    switch (after) {
      case PlegState::kRunning:
        add(PodLifeCycleEventType::kContainerStarted);
        break;
      case PlegState::kExited:
        add(PodLifeCycleEventType::kContainerDied);
        break;
      case PlegState::kUnknown:
        add(PodLifeCycleEventType::kContainerChanged);
        break;
      case PlegState::kNonExistent:
        // A container that vanished without being seen exited still died.
        if (before != PlegState::kExited) add(PodLifeCycleEventType::kContainerDied);
        add(PodLifeCycleEventType::kContainerRemoved);
        break;
    }
  }
  return events;
}

absl::StatusOr<container::PodStatusPtr> GenericPleg::InspectAndStore(
    const std::string& uid, const container::Pod* pod, std::vector<std::string>& logs) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (pod == nullptr) {
    // No container or sandbox left: the runtime has nothing to say about the
    // pod any more, and an unknown uid reads as an empty status.
    cache_->Delete(uid);
    return container::PodStatusPtr(nullptr);
  }
  // Taken before inspecting, so the entry never claims to be fresher than
  // what was observed; it is per pod (not the relist's start) so that a pod
  // worker's own refresh made while the list ran does not hide this newer
  // observation from the cache.
  absl::Time timestamp = clock_->Now();
  absl::StatusOr<container::PodStatusPtr> status =
      runtime_->GetPodStatus(pod->id, pod->name, pod->namespace_);
  if (status.ok() && *status == nullptr) {
    status = absl::InternalError("runtime returned no pod status");
  }
  if (!status.ok()) {
    logs.push_back(absl::StrCat("PLEG: inspecting pod ", FormatPodRef(*pod),
                                " failed: ", status.status().ToString()));
    // The pod workers see the error and do not sync on a status they lack.
    auto empty = std::make_shared<container::PodStatus>();
    empty->id = pod->id;
    empty->name = pod->name;
    empty->namespace_ = pod->namespace_;
    cache_->Set(uid, std::move(empty), status.status(), timestamp);
    return status.status();
  }
  container::PodStatusPtr stored = container::PreservePodIps(*std::move(status), *cache_, uid);
  cache_->Set(uid, stored, absl::OkStatus(), timestamp);
  return stored;
}

absl::Status GenericPleg::UpdateCache(const container::Pod& pod) {
  std::vector<std::string> logs;
  absl::Status result = InspectAndStore(pod.id, &pod, logs).status();
  Log(logs);
  return result;
}

void GenericPleg::EmitEvents(const std::string& uid, std::vector<PodLifecycleEvent>& events,
                             const container::PodStatusPtr& status,
                             std::vector<std::string>& logs) {
  absl::flat_hash_map<std::string, int32_t> exit_codes;
  if (status != nullptr) {
    for (const container::ContainerStatus& cs : status->container_statuses) {
      exit_codes.emplace(cs.id, cs.exit_code);
    }
  }
  for (PodLifecycleEvent& e : events) {
    // Unknown states are unreliable and nothing acts on them.
    if (e.type == PodLifeCycleEventType::kContainerChanged) continue;
    if (e.type == PodLifeCycleEventType::kContainerDied) {
      if (auto code = exit_codes.find(e.container_id); code != exit_codes.end()) {
        e.exit_code = code->second;
        logs.push_back(absl::StrCat("GenericPLEG: container finished pod=", uid,
                                    " container=", e.container_id, " exitCode=", code->second));
      }
    }
    std::string description = absl::StrCat(ToString(e.type), " ", e.pod_uid, " ", e.container_id);
    if (!events_->TryPush(std::move(e))) {
      logs.push_back(absl::StrCat(
          "GenericPLEG: event channel is full, discarding this relist's event ", description));
    }
  }
}

void GenericPleg::SetDelivered(const std::string& uid, container::PodPtr pod) {
  auto it = records_.find(uid);
  if (it != records_.end() && it->second.old) {
    for (const auto* list : {&it->second.old->containers, &it->second.old->sandboxes}) {
      for (const container::Container& c : *list) pod_of_container_.erase(c.id);
    }
  }
  if (pod == nullptr) {
    if (it != records_.end()) it->second.old.reset();
    return;
  }
  for (const auto* list : {&pod->containers, &pod->sandboxes}) {
    for (const container::Container& c : *list) pod_of_container_[c.id] = uid;
  }
  records_[uid].old = std::move(pod);
}

std::optional<container::Pod> GenericPleg::PodOfContainer(const std::string& container_id) {
  std::lock_guard<std::mutex> relist_lock(relist_mu_);
  auto uid = pod_of_container_.find(container_id);
  if (uid == pod_of_container_.end()) return std::nullopt;
  auto record = records_.find(uid->second);
  if (record == records_.end() || !record->second.old) return std::nullopt;
  const container::Pod& pod = *record->second.old;
  return container::Pod{.id = pod.id, .name = pod.name, .namespace_ = pod.namespace_};
}

std::optional<std::vector<container::PodPtr>> GenericPleg::DeliveredPods() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (last_relist_time_ == absl::InfinitePast() || last_relist_failed_) return std::nullopt;
  }
  std::unique_lock<std::mutex> relist_lock(relist_mu_, std::try_to_lock);
  if (!relist_lock.owns_lock()) return std::nullopt;
  std::vector<container::PodPtr> pods;
  pods.reserve(records_.size());
  for (const auto& [uid, record] : records_) {
    if (record.old != nullptr) pods.push_back(record.old);
  }
  return pods;
}

void GenericPleg::DeliverLocked(const std::string& uid, const container::PodStatusPtr& status,
                                std::vector<std::string>& logs) {
  container::PodPtr now;
  if (status != nullptr) {
    container::Pod seen = container::PodFromStatus(*status);
    if (!seen.Empty()) now = std::make_shared<const container::Pod>(std::move(seen));
  }
  if (!now) {
    // Nothing left: as a relist that no longer lists the pod.
    std::lock_guard<std::mutex> lock(cache_mu_);
    cache_->Delete(uid);
  }
  auto record = records_.find(uid);
  const container::Pod* old_pod =
      record != records_.end() && record->second.old ? &*record->second.old : nullptr;
  std::vector<PodLifecycleEvent> events = ComputeEvents(uid, old_pod, now.get());
  EmitEvents(uid, events, status, logs);
  const bool gone = !now;
  SetDelivered(uid, std::move(now));
  if (gone && record != records_.end() && !record->second.current) records_.erase(record);
  pods_to_reinspect_.erase(uid);
}

absl::StatusOr<container::PodStatusPtr> GenericPleg::RelistPod(const container::Pod& pod) {
  std::vector<std::string> logs;
  absl::StatusOr<container::PodStatusPtr> result;
  {
    std::lock_guard<std::mutex> relist_lock(relist_mu_);
    container::Pod ref{.id = pod.id, .name = pod.name, .namespace_ = pod.namespace_};
    result = InspectAndStore(pod.id, &ref, logs);
    if (!result.ok()) {
      pods_to_reinspect_.insert(pod.id);
    } else {
      DeliverLocked(pod.id, *result, logs);
    }
  }
  Log(logs);
  return result;
}

void GenericPleg::AdoptStatus(const std::string& uid, const container::PodStatusPtr& status) {
  std::vector<std::string> logs;
  {
    std::lock_guard<std::mutex> relist_lock(relist_mu_);
    DeliverLocked(uid, status, logs);
  }
  Log(logs);
}

void GenericPleg::Relist() {
  std::vector<std::string> logs;
  {
    std::lock_guard<std::mutex> relist_lock(relist_mu_);
    absl::Time timestamp = clock_->Now();
    absl::StatusOr<std::vector<container::PodPtr>> pods = runtime_->ListPodsForRelist();
    if (!pods.ok()) {
      // The relist time stays put, so a runtime that keeps failing turns
      // Healthy() red after the threshold.
      std::lock_guard<std::mutex> lock(state_mu_);
      ++stats_.relists;
      ++stats_.failed_relists;
      last_relist_failed_ = true;
      stats_.last_duration = clock_->Now() - timestamp;
      logs.push_back(
          absl::StrCat("GenericPLEG: unable to retrieve pods: ", pods.status().ToString()));
    } else {
      {
        std::lock_guard<std::mutex> lock(state_mu_);
        if (last_relist_time_ != absl::InfinitePast()) {
          stats_.last_interval = timestamp - last_relist_time_;
        }
        last_relist_failed_ = false;
        last_relist_time_ = timestamp;
      }

      for (auto& [uid, record] : records_) record.current.reset();
      for (container::PodPtr& p : *pods) {
        auto record = records_.find(p->id);
        if (record == records_.end()) record = records_.try_emplace(p->id).first;
        record->second.current = std::move(p);
      }

      std::set<std::string> needs_reinspection;
      for (auto it = records_.begin(); it != records_.end();) {
        const std::string& uid = it->first;
        PodRecord& record = it->second;
        const container::Pod* old_pod = record.old.get();
        const container::Pod* pod = record.current.get();
        bool reinspect = pods_to_reinspect_.contains(uid);
        if (old_pod == pod && !reinspect) {  // the runtime changed nothing
          if (pod == nullptr) {
            it = records_.erase(it);
          } else {
            ++it;
          }
          continue;
        }
        std::vector<PodLifecycleEvent> events = ComputeEvents(uid, old_pod, pod);
        if (events.empty() && !reinspect) {
          // Same containers in the same states, another object (the view
          // was delivered from an event): take the runtime's, so the next
          // relist compares pointers.
          if (pod != nullptr) {
            record.old = record.current;
          }
          ++it;
          continue;
        }

        absl::StatusOr<container::PodStatusPtr> status = InspectAndStore(uid, pod, logs);
        if (!status.ok()) {
          // Keep `old` so the diff, and its events, come again next time;
          // reinspect even if nothing changes by then.
          logs.push_back(absl::StrCat("PLEG: ignoring ", events.size(), " events for pod ", uid,
                                      " until it can be inspected"));
          needs_reinspection.insert(uid);
          ++it;
          continue;
        }

        EmitEvents(uid, events, *status, logs);

        if (pod == nullptr) {
          SetDelivered(uid, nullptr);
          it = records_.erase(it);
        } else {
          SetDelivered(uid, record.current);
          ++it;
        }
      }

      // Only now is every entry at least as fresh as `timestamp`.
      cache_->UpdateTime(timestamp);
      pods_to_reinspect_ = std::move(needs_reinspection);

      std::lock_guard<std::mutex> lock(state_mu_);
      ++stats_.relists;
      stats_.last_duration = clock_->Now() - timestamp;
    }
  }
  Log(logs);
  if (on_relist_) on_relist_(Stats());
}

}  // namespace cubelet::pleg
