#include "pleg/evented_pleg.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/go_duration.h"

namespace cubelet::pleg {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Pacing is real time even under a FakeClock (as the relist's period): it
// paces work, it decides nothing a test asserts on.
absl::Time SteadyNow() {
  return absl::UnixEpoch() + absl::FromChrono(SteadyClock::now().time_since_epoch());
}

constexpr absl::Duration kFirstRetry = absl::Milliseconds(5);
constexpr absl::Duration kSteadyRetries = absl::Milliseconds(250);

// Whether `status` already shows what `event` announced about its container
// or sandbox; nullopt when `status` does not list it (or is null: nothing
// left of the pod).
std::optional<bool> ShowsChange(const cri::ContainerEvent& event,
                                const container::PodStatusPtr& status) {
  using Type = cri::ContainerEvent::Type;
  if (status == nullptr) return std::nullopt;
  for (const container::ContainerStatus& c : status->container_statuses) {
    if (c.id != event.container_id) continue;
    switch (event.type) {
      case Type::kStarted:
        return c.state == container::ContainerState::kRunning ||
               c.state == container::ContainerState::kExited;
      case Type::kExited:
        return c.state == container::ContainerState::kExited;
      case Type::kDeleted:
        return false;
      case Type::kOomKilled:
        return true;
    }
  }
  for (const container::SandboxStatus& s : status->sandbox_statuses) {
    if (s.id != event.container_id) continue;
    switch (event.type) {
      case Type::kStarted:
      case Type::kOomKilled:
        return true;
      case Type::kExited:
        return s.state == container::SandboxState::kNotReady;
      case Type::kDeleted:
        return false;
    }
  }
  return std::nullopt;
}

// Whether a re-read `status` settles `event`: it shows the change, or no
// longer lists the container (whatever was announced is over). An OOM kill
// settles at once; its exit is an event of its own.
bool Settled(const cri::ContainerEvent& event, const container::PodStatusPtr& status) {
  return event.type == cri::ContainerEvent::Type::kOomKilled ||
         ShowsChange(event, status).value_or(true);
}

}  // namespace

EventedPleg::EventedPleg(std::vector<cri::ContainerEventSource*> sources, GenericPleg* relister,
                         container::PodCache* cache, const Clock* clock, Options options)
    : sources_(std::move(sources)),
      relister_(relister),
      cache_(cache),
      clock_(clock),
      options_(std::move(options)) {}

EventedPleg::~EventedPleg() { Stop(); }

void EventedPleg::Start() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (process_thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  cancel_ = CancelToken::Create();
  process_thread_ = std::thread([this] { ProcessLoop(); });
  stream_thread_ = std::thread([this] { StreamLoop(); });
}

void EventedPleg::Stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
  if (!process_thread_.joinable()) return;
  cancel_->Cancel();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    stats_.live = false;
  }
  cv_.notify_all();
  stream_thread_.join();
  process_thread_.join();
  relister_->SetRelistDurations(options_.fallback_relist_period,
                                options_.fallback_relist_threshold);
}

absl::Status EventedPleg::Healthy() const {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& [id, p] : pending_) oldest = std::min(oldest, p.received);
  if (oldest == absl::InfiniteFuture()) return absl::OkStatus();
  const absl::Duration waited = SteadyNow() - oldest;
  if (waited <= options_.fallback_relist_threshold) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "EventedPLEG: ", pending_.size(), " runtime events waiting for ", FormatGoDuration(waited),
      "; threshold is ", FormatGoDuration(options_.fallback_relist_threshold)));
}

EventedPlegStats EventedPleg::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void EventedPleg::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

void EventedPleg::StreamLoop() {
  cri::ContainerEventSource* chosen = nullptr;
  size_t next = 0;
  absl::Duration backoff = options_.retry_initial;
  while (!cancel_->IsCancelled()) {
    cri::ContainerEventSource* source = chosen;
    if (source == nullptr) {
      if (next >= sources_.size()) {
        Log(absl::StrCat("EventedPLEG: the runtime offers no event stream; relisting every ",
                         FormatGoDuration(options_.fallback_relist_period)));
        return;
      }
      source = sources_[next];
    }
    absl::Status ended = source->Watch(
        cancel_, [this, source] { OnReady(source); },
        [this](const cri::ContainerEvent& e) { OnEvent(e); });
    bool was_live;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_live = stats_.live;
      stats_.live = false;
    }
    if (cancel_->IsCancelled()) return;
    if (chosen == nullptr && ended.code() == absl::StatusCode::kUnimplemented) {
      Log(absl::StrCat("EventedPLEG: ", source->Name(),
                       " not offered by the runtime: ", ended.message()));
      ++next;
      continue;
    }
    chosen = source;
    if (was_live) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.stream_breaks;
      }
      Log(absl::StrCat("EventedPLEG: ", source->Name(), " stream ended (", ended.ToString(),
                       "); relisting every ", FormatGoDuration(options_.fallback_relist_period),
                       " until it is back"));
      // Also relists at once: nothing that happened is missed.
      relister_->SetRelistDurations(options_.fallback_relist_period,
                                    options_.fallback_relist_threshold);
      backoff = options_.retry_initial;
    } else {
      backoff = std::min(backoff * 2, options_.retry_max);
    }
    if (cancel_->WaitFor(backoff)) return;
  }
}

void EventedPleg::OnReady(cri::ContainerEventSource* source) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stats_.live = true;
    stats_.source = source->Name();
    ++stats_.stream_starts;
  }
  Log(absl::StrCat("EventedPLEG: ", source->Name(), " stream is live; relisting every ",
                   FormatGoDuration(options_.relist_period), " as a safety net"));
  // Relists once now (so what happened before the stream was live is seen),
  // then only at the loose period.
  relister_->SetRelistDurations(options_.relist_period, options_.relist_threshold);
  cv_.notify_all();
}

void EventedPleg::OnEvent(const cri::ContainerEvent& event) {
  if (options_.on_event) options_.on_event(event);
  const absl::Time now = SteadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.events;
    auto [it, inserted] = pending_.try_emplace(event.container_id);
    Pending& p = it->second;
    if (inserted) p.received = now;
    p.event = event;
    p.not_before =
        event.type == cri::ContainerEvent::Type::kStarted ? now + options_.start_delay : now;
    p.retry_delay = kFirstRetry;
    if (event.type == cri::ContainerEvent::Type::kExited) exit_arrived_.store(true);
  }
  cv_.notify_all();
}

std::vector<EventedPleg::Pending> EventedPleg::Process(std::vector<Pending> batch) {
  struct PodWork {
    container::Pod ref;
    std::vector<Pending> events;
  };
  std::map<std::string, PodWork> pods;
  std::vector<Pending> retry;
  uint64_t unresolved = 0, unsettled = 0, reads = 0, hits = 0;
  auto retry_or_give_up = [&](Pending p, const std::string& why) {
    const absl::Time now = SteadyNow();
    if (now - p.received >= options_.settle_timeout) {
      ++unsettled;
      Log(absl::StrCat("EventedPLEG: container ", p.event.container_id, " ",
                       cri::ToString(p.event.type), ": ", why, " after ",
                       FormatGoDuration(now - p.received), "; left to the relist"));
      return;
    }
    p.not_before = now + p.retry_delay;
    // Every 5 ms while the runtime's usual lag lasts (containerd's CRI
    // plugin deletes the task before it marks the container exited: tens of
    // milliseconds), then backing off.
    if (now - p.received >= kSteadyRetries) p.retry_delay = p.retry_delay * 2;
    retry.push_back(std::move(p));
  };

  for (Pending& p : batch) {
    std::optional<container::Pod> ref = relister_->PodOfContainer(p.event.container_id);
    if (!ref && options_.resolve_pod) {
      absl::StatusOr<container::Pod> resolved = options_.resolve_pod(p.event.container_id);
      if (resolved.ok()) {
        ref = *std::move(resolved);
      } else if (!absl::IsNotFound(resolved.status())) {
        retry_or_give_up(std::move(p), resolved.status().ToString());
        continue;
      }
    }
    if (!ref || ref->id.empty()) {
      ++unresolved;
      continue;
    }
    PodWork& work = pods[ref->id];
    work.ref = *std::move(ref);
    work.events.push_back(std::move(p));
  }

  // Pods with an exit first: an exit is what someone waits for (a restart,
  // a phase); starts and removals are bookkeeping.
  auto has_exit = [](const PodWork* w) {
    return std::any_of(w->events.begin(), w->events.end(), [](const Pending& p) {
      return p.event.type == cri::ContainerEvent::Type::kExited;
    });
  };
  std::vector<PodWork*> order;
  for (auto& [uid, work] : pods) order.push_back(&work);
  std::stable_partition(order.begin(), order.end(), has_exit);
  uint64_t yields = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    PodWork& work = *order[i];
    if (!has_exit(&work) && exit_arrived_.load()) {
      // A newer exit waits in pending_: it goes before the rest of this
      // batch, which comes back due at once.
      for (size_t j = i; j < order.size(); ++j) {
        for (Pending& p : order[j]->events) retry.push_back(std::move(p));
      }
      ++yields;
      break;
    }
    // Only starts, all of them already shown by the cached status (the pod
    // worker's own read): no read.
    const bool only_starts = std::all_of(
        work.events.begin(), work.events.end(),
        [](const Pending& p) { return p.event.type == cri::ContainerEvent::Type::kStarted; });
    if (only_starts) {
      container::CachedPodStatus cached = cache_->Get(work.ref.id);
      if (cached.error.ok() &&
          std::all_of(work.events.begin(), work.events.end(), [&](const Pending& p) {
            return ShowsChange(p.event, cached.status).value_or(false);
          })) {
        ++hits;
        relister_->AdoptStatus(work.ref.id, cached.status);
        continue;
      }
    }
    ++reads;
    absl::StatusOr<container::PodStatusPtr> status = relister_->RelistPod(work.ref);
    for (Pending& p : work.events) {
      if (!status.ok()) {
        retry_or_give_up(std::move(p), status.status().ToString());
      } else if (!Settled(p.event, *status)) {
        retry_or_give_up(std::move(p), "the runtime does not show it yet");
      }
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  stats_.unresolved += unresolved;
  stats_.unsettled += unsettled;
  stats_.pod_reads += reads;
  stats_.cache_hits += hits;
  stats_.yields += yields;
  return retry;
}

void EventedPleg::ProcessLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  absl::Time last_fresh = SteadyNow();
  while (!stopping_) {
    const absl::Time now = SteadyNow();
    std::vector<Pending> due;
    absl::Time next_due = absl::InfiniteFuture();
    exit_arrived_.store(false);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.not_before <= now) {
        due.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        next_due = std::min(next_due, it->second.not_before);
        ++it;
      }
    }
    if (!due.empty()) {
      lock.unlock();
      std::vector<Pending> retry = Process(std::move(due));
      lock.lock();
      for (Pending& p : retry) {
        // A newer event for the same id arrived meanwhile: it supersedes.
        pending_.try_emplace(p.event.container_id, std::move(p));
      }
      continue;
    }
    if (stats_.live && now - last_fresh >= options_.cache_update_period) {
      // Every event received before the oldest one still waiting is in the
      // cache: it is as fresh as that (as now when none waits). Pod workers
      // waiting for a newer status than their last step go on, even while
      // events keep coming.
      absl::Time oldest = now;
      for (const auto& [id, p] : pending_) oldest = std::min(oldest, p.received);
      const absl::Time fresh = clock_->Now() - (now - oldest);
      last_fresh = now;
      lock.unlock();
      cache_->UpdateTime(fresh);
      lock.lock();
      continue;
    }
    absl::Time wake = std::min(next_due, last_fresh + options_.cache_update_period);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wake - now, absl::ZeroDuration())));
  }
}

}  // namespace cubelet::pleg
