#include "prober/prober_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/restart_policy.h"
#include "asio/post.hpp"
#include "util/random.h"

namespace cubelet::prober {
namespace {

std::string StripPrefix(const std::string& id) {
  size_t sep = id.find("://");
  return sep == std::string::npos ? id : id.substr(sep + 3);
}

ProbeResult InitialResult(ProbeType type) {
  switch (type) {
    case ProbeType::kLiveness:
      return ProbeResult::kSuccess;
    case ProbeType::kReadiness:
      return ProbeResult::kFailure;
    case ProbeType::kStartup:
      break;
  }
  return ProbeResult::kUnknown;
}

const api::Probe* ProbeOf(const api::Container& c, ProbeType type) {
  const std::optional<api::Probe>* p = nullptr;
  switch (type) {
    case ProbeType::kLiveness:
      p = &c.liveness_probe;
      break;
    case ProbeType::kReadiness:
      p = &c.readiness_probe;
      break;
    case ProbeType::kStartup:
      p = &c.startup_probe;
      break;
  }
  return p->has_value() ? &**p : nullptr;
}

absl::Duration PeriodOf(const api::Probe& probe) {
  return absl::Seconds(std::max(probe.period_seconds, 1));
}

}  // namespace

// Mutable fields are guarded by the manager's mu_; the rest is fixed.
struct ProberManager::Worker {
  api::PodPtr pod;
  const api::Container* container = nullptr;  // points into *pod
  bool is_init = false;
  ProbeType type = ProbeType::kLiveness;
  const api::Probe* probe = nullptr;  // points into *pod

  bool stopped = false;
  bool in_flight = false;
  std::string container_id;  // runtime id, no prefix
  ProbeResult last = ProbeResult::kUnknown;
  int result_run = 0;
  bool on_hold = false;
};

ProberManager::ProberManager(Prober* prober, Clock* clock, asio::any_io_executor executor,
                             StatusFunc status_of, ChangeFunc on_change, Options options)
    : prober_(prober),
      clock_(clock),
      executor_(std::move(executor)),
      status_of_(std::move(status_of)),
      on_change_(std::move(on_change)),
      options_(std::move(options)) {}

ProberManager::~ProberManager() { Stop(); }

void ProberManager::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (timer_.joinable()) return;
  stopping_ = false;
  started_at_ = clock_->Now();
  timer_ = std::thread([this] { TimerLoop(); });
}

void ProberManager::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void ProberManager::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::Time next = RunDueProbes();
    lock.lock();
    if (stopping_) break;
    if (next == absl::InfiniteFuture()) {
      cv_.wait(lock);
    } else {
      absl::Duration wait = std::max(next - clock_->Now(), absl::ZeroDuration());
      cv_.wait_for(lock, absl::ToChronoNanoseconds(wait));
    }
  }
}

void ProberManager::AddPod(const api::PodPtr& pod) {
  const absl::Time now = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (workers_.contains(pod->metadata.uid)) return;
    workers_[pod->metadata.uid];  // known, even without probes
    for (const api::Container& c : pod->spec.init_containers) {
      // Only sidecars are probed among init containers (upstream AddPod).
      if (!api::IsRestartableInitContainer(c)) continue;
      for (ProbeType t : {ProbeType::kStartup, ProbeType::kLiveness, ProbeType::kReadiness}) {
        if (ProbeOf(c, t) != nullptr) AddWorkerLocked(pod, c, t, now, true);
      }
    }
    for (const api::Container& c : pod->spec.containers) {
      for (ProbeType t : {ProbeType::kStartup, ProbeType::kLiveness, ProbeType::kReadiness}) {
        if (ProbeOf(c, t) != nullptr) AddWorkerLocked(pod, c, t, now, false);
      }
    }
  }
  cv_.notify_all();
}

void ProberManager::AddWorkerLocked(const api::PodPtr& pod, const api::Container& container,
                                    ProbeType type, absl::Time now, bool is_init) {
  auto w = std::make_shared<Worker>();
  w->pod = pod;
  w->container = &container;
  w->is_init = is_init;
  w->type = type;
  w->probe = ProbeOf(container, type);
  absl::Time first = now;
  const absl::Duration period = PeriodOf(*w->probe);
  if (options_.jitter_after_start && now - started_at_ < period) {
    first = now + RandomUnit() * period;
  }
  workers_[pod->metadata.uid].push_back(w);
  heap_.push(Due{first, seq_++, std::move(w)});
}

void ProberManager::RemovePod(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  RemovePodLocked(uid);
}

void ProberManager::RemovePodLocked(const std::string& uid) {
  auto it = workers_.find(uid);
  if (it == workers_.end()) return;
  for (const WorkerPtr& w : it->second) {
    w->stopped = true;  // its heap entry is dropped when it comes due
    if (!w->container_id.empty()) results_[static_cast<int>(w->type)].erase(w->container_id);
  }
  workers_.erase(it);
}

void ProberManager::CleanupPods(const absl::flat_hash_set<std::string>& desired) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> gone;
  for (const auto& [uid, unused] : workers_) {
    if (!desired.contains(uid)) gone.push_back(uid);
  }
  for (const std::string& uid : gone) RemovePodLocked(uid);
}

size_t ProberManager::NumWorkers() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [uid, ws] : workers_) {
    for (const WorkerPtr& w : ws) n += w->stopped ? 0 : 1;
  }
  return n;
}

status::ProbeStatus ProberManager::GetProbeStatus(const std::string& uid) const {
  status::ProbeStatus out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(uid);
  if (it == workers_.end()) return out;
  for (const WorkerPtr& w : it->second) {
    if (w->container_id.empty()) continue;
    const auto& results = results_[static_cast<int>(w->type)];
    auto r = results.find(w->container_id);
    bool success = r != results.end() && r->second.result == ProbeResult::kSuccess;
    if (w->type == ProbeType::kReadiness) out.ready[w->container_id] = success;
    if (w->type == ProbeType::kStartup) out.started[w->container_id] = success;
  }
  return out;
}

ProbeResult ProberManager::Liveness(const std::string& container_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& m = results_[static_cast<int>(ProbeType::kLiveness)];
  auto it = m.find(container_id);
  return it == m.end() ? ProbeResult::kUnknown : it->second.result;
}

ProbeResult ProberManager::Startup(const std::string& container_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& m = results_[static_cast<int>(ProbeType::kStartup)];
  auto it = m.find(container_id);
  return it == m.end() ? ProbeResult::kUnknown : it->second.result;
}

bool ProberManager::SetResultLocked(ProbeType type, const std::string& container_id,
                                    const std::string& uid, ProbeResult result) {
  Verdict& v = results_[static_cast<int>(type)][container_id];
  bool changed = v.uid.empty() || v.result != result;
  v.uid = uid;
  v.result = result;
  return changed;
}

absl::Time ProberManager::RunDueProbes() {
  std::vector<WorkerPtr> due;
  absl::Time next = absl::InfiniteFuture();
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Time now = clock_->Now();
    // Probes due within the batching window run now: thousands of workers
    // on their own phases would otherwise wake the timer thousands of times
    // a second.
    while (!heap_.empty() && heap_.top().at <= now + options_.batch_window) {
      Due d = heap_.top();
      heap_.pop();
      if (d.worker->stopped) continue;
      // The next tick is one period after this one (not after the probe
      // ends), so probes keep their rhythm; a busy worker skips a tick.
      absl::Time again = d.at + PeriodOf(*d.worker->probe);
      if (again <= now) again = now + PeriodOf(*d.worker->probe);
      heap_.push(Due{again, seq_++, d.worker});
      if (d.worker->in_flight) continue;
      d.worker->in_flight = true;
      due.push_back(std::move(d.worker));
    }
    if (!heap_.empty()) next = heap_.top().at;
  }
  for (WorkerPtr& w : due) {
    asio::post(executor_, [this, w = std::move(w), alive = std::weak_ptr<int>(alive_)] {
      if (alive.expired()) return;
      DoProbe(w);
    });
  }
  return next;
}

void ProberManager::DoProbe(const WorkerPtr& w) {
  const std::string& uid = w->pod->metadata.uid;
  auto finish = [&](bool keep_going) {
    std::lock_guard<std::mutex> lock(mu_);
    w->in_flight = false;
    if (!keep_going) w->stopped = true;
  };
  std::optional<api::PodStatus> status = status_of_(uid);
  if (!status.has_value()) return finish(true);  // not synced yet
  if (api::IsTerminalPhase(status->phase)) return finish(false);

  const std::vector<api::ContainerStatus>& statuses =
      w->is_init ? status->init_container_statuses : status->container_statuses;
  const api::ContainerStatus* cs = nullptr;
  for (const api::ContainerStatus& s : statuses) {
    if (s.name == w->container->name) cs = &s;
  }
  if (cs == nullptr || cs->container_id.empty()) return finish(true);
  const std::string id = StripPrefix(cs->container_id);

  {
    std::lock_guard<std::mutex> lock(mu_);
    if (w->stopped) {
      w->in_flight = false;
      return;
    }
    if (id != w->container_id) {
      // A new container: its verdict starts over.
      if (!w->container_id.empty()) results_[static_cast<int>(w->type)].erase(w->container_id);
      w->container_id = id;
      SetResultLocked(w->type, id, uid, InitialResult(w->type));
      w->last = ProbeResult::kUnknown;
      w->result_run = 0;
      w->on_hold = false;
    }
    if (w->on_hold) {
      w->in_flight = false;
      return;
    }
  }

  if (!cs->state.running.has_value()) {
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      changed = SetResultLocked(w->type, id, uid, ProbeResult::kFailure);
    }
    if (changed && w->type == ProbeType::kReadiness) on_change_(uid);
    // A terminated container that will not run again (its restart rules and
    // policies; sidecars always do) needs no more probing.
    if (!cs->state.terminated.has_value()) return finish(true);
    return finish(
        api::IsRestartableInitContainer(*w->container) ||
        api::ContainerShouldRestart(*w->container, w->pod->spec, cs->state.terminated->exit_code));
  }
  // A terminating pod is not killed for failing probes.
  if (w->pod->metadata.deletion_timestamp.has_value() && w->type != ProbeType::kReadiness) {
    return finish(true);
  }
  const bool started = cs->started.value_or(false);
  if (w->type == ProbeType::kStartup ? started : !started) return finish(true);
  const absl::Time now = clock_->Now();
  if (cs->state.running->started_at.has_value() &&
      now < *cs->state.running->started_at + absl::Seconds(w->probe->initial_delay_seconds)) {
    return finish(true);
  }

  probe::Outcome outcome = prober_->Probe(w->type, *w->pod, *status, *w->container, *w->probe, id);
  auto record = [&](const char* what, const char* reason = "Unhealthy") {
    if (options_.recorder == nullptr) return;
    options_.recorder->Event(
        events::PodReference(*w->pod, w->is_init
                                          ? events::InitContainerFieldPath(w->container->name)
                                          : events::ContainerFieldPath(w->container->name)),
        events::kWarning, reason,
        absl::StrCat(ProbeTypeName(w->type), " probe ", what, ": ", outcome.output));
  };
  // A passing probe with something to say (an HTTP redirect elsewhere).
  if (outcome.result == probe::Result::kWarning) record("warning", "ProbeWarning");
  if (outcome.result == probe::Result::kUnknown) {
    record("errored");
    // Not a verdict on the container (upstream: an error leaves the result).
    if (options_.log) {
      options_.log(absl::StrCat(ProbeTypeName(w->type), " probe errored for ", w->container->name,
                                " of pod ", w->pod->metadata.name, ": ", outcome.output));
    }
    return finish(true);
  }
  const ProbeResult result = outcome.ok() ? ProbeResult::kSuccess : ProbeResult::kFailure;
  if (result == ProbeResult::kFailure) record("failed");
  if (result == ProbeResult::kFailure && options_.log) {
    options_.log(absl::StrCat(ProbeTypeName(w->type), " probe failed for container ",
                              w->container->name, " of pod ", w->pod->metadata.name, "_",
                              w->pod->metadata.namespace_, ": ", outcome.output));
  }
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (w->stopped || w->container_id != id) {
      w->in_flight = false;
      return;
    }
    if (w->last == result) {
      ++w->result_run;
    } else {
      w->last = result;
      w->result_run = 1;
    }
    const int threshold =
        result == ProbeResult::kFailure ? w->probe->failure_threshold : w->probe->success_threshold;
    if (w->result_run >= std::max(threshold, 1)) {
      changed = SetResultLocked(w->type, id, uid, result);
      if (result == ProbeResult::kFailure && w->type != ProbeType::kReadiness) {
        // The container will be killed: no more probing until it is replaced.
        w->on_hold = true;
        w->result_run = 0;
      }
    }
    w->in_flight = false;
  }
  if (changed) on_change_(uid);
}

}  // namespace cubelet::prober
