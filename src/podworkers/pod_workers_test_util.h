// Shared harness for the pod worker tests: a fake clock, a manually run
// io_context as the executor (deterministic, single-threaded), a pod cache that
// is always fresh unless a test says otherwise, and pod builders.
#ifndef CUBELET_PODWORKERS_POD_WORKERS_TEST_UTIL_H_
#define CUBELET_PODWORKERS_POD_WORKERS_TEST_UTIL_H_

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "podworkers/fake_pod_syncer.h"
#include "podworkers/pod_workers.h"

namespace cubelet::podworkers::testing {

inline std::shared_ptr<api::Pod> NewPod(const std::string& uid, const std::string& name,
                                        const std::string& ns = "ns") {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.uid = uid;
  pod->metadata.name = name;
  pod->metadata.namespace_ = ns;
  pod->spec.termination_grace_period_seconds = 30;
  pod->spec.restart_policy = api::kRestartAlways;
  api::Container c;
  c.name = "main";
  c.image = "busybox";
  pod->spec.containers.push_back(c);
  return pod;
}

inline std::shared_ptr<api::Pod> NewStaticPod(const std::string& uid, const std::string& name,
                                              const std::string& ns = "ns") {
  auto pod = NewPod(uid, name, ns);
  pod->metadata.annotations[api::kConfigSourceAnnotation] = "file";
  return pod;
}

inline std::shared_ptr<api::Pod> Deleted(std::shared_ptr<api::Pod> pod, int64_t grace,
                                         absl::Time when) {
  auto copy = std::make_shared<api::Pod>(*pod);
  copy->metadata.deletion_timestamp = when;
  copy->metadata.deletion_grace_period_seconds = grace;
  return copy;
}

inline std::shared_ptr<api::Pod> WithPhase(std::shared_ptr<api::Pod> pod,
                                           const std::string& phase) {
  auto copy = std::make_shared<api::Pod>(*pod);
  copy->status.phase = phase;
  return copy;
}

inline UpdatePodOptions Update(SyncPodType type, api::PodPtr pod) {
  UpdatePodOptions o;
  o.update_type = type;
  o.pod = std::move(pod);
  return o;
}

inline UpdatePodOptions Kill(api::PodPtr pod, std::optional<int64_t> override = std::nullopt,
                             bool evict = false) {
  UpdatePodOptions o = Update(SyncPodType::kKill, std::move(pod));
  KillPodOptions k;
  k.evict = evict;
  k.grace_period_override = override;
  o.kill_pod_options = std::move(k);
  return o;
}

inline UpdatePodOptions RuntimeKill(const std::string& uid, const std::string& name) {
  auto running = std::make_shared<container::Pod>();
  running->id = uid;
  running->name = name;
  running->namespace_ = "ns";
  UpdatePodOptions o;
  o.update_type = SyncPodType::kKill;
  o.running_pod = running;
  KillPodOptions k;
  k.grace_period_override = 1;
  o.kill_pod_options = std::move(k);
  return o;
}

class PodWorkersTestBase : public ::testing::Test {
 protected:
  PodWorkersTestBase() { ResetWorkers(); }

  void ResetWorkers() {
    workers_.reset();
    // Always fresh: the worker never waits for the cache unless a test resets it.
    cache_ = std::make_unique<container::PodCache>();
    cache_->UpdateTime(absl::InfiniteFuture());
    PodWorkers::Options options;
    options.resync_interval = absl::Seconds(60);
    options.back_off_period = absl::Seconds(10);
    options.event_sink = [this](const std::string& uid, const std::string& reason,
                                const std::string& message) {
      events_.push_back(reason + ": " + message);
    };
    workers_ = std::make_unique<PodWorkers>(io_.get_executor(), &syncer_, cache_.get(), &queue_,
                                            &clock_, options);
  }

  // Runs every ready handler until none is left.
  void Drain() {
    for (;;) {
      io_.restart();
      if (io_.poll() == 0) break;
    }
  }

  // Runs handlers one at a time until the syncer has seen `n` calls in all.
  void RunUntilRecords(size_t n) {
    while (syncer_.Records().size() < n) {
      io_.restart();
      if (io_.run_one() == 0) {
        ADD_FAILURE() << "no handler left before call " << n;
        return;
      }
    }
  }

  std::vector<FakePodSyncer::Kind> Kinds(const std::string& uid) {
    std::vector<FakePodSyncer::Kind> out;
    for (const auto& r : syncer_.RecordsFor(uid)) out.push_back(r.kind);
    return out;
  }

  PodWorkerSnapshot Snap(const std::string& uid) {
    auto s = workers_->Snapshot(uid);
    EXPECT_TRUE(s.has_value()) << uid;
    return s.value_or(PodWorkerSnapshot{});
  }

  // Requeue delay recorded for uid, relative to now.
  absl::Duration QueuedDelay(const std::string& uid) {
    auto d = queue_.Deadline(uid);
    EXPECT_TRUE(d.has_value()) << uid;
    return d.has_value() ? *d - clock_.Now() : absl::InfiniteDuration();
  }

  FakeClock clock_;
  asio::io_context io_;
  std::unique_ptr<container::PodCache> cache_;
  WorkQueue queue_{&clock_};
  FakePodSyncer syncer_;
  std::vector<std::string> events_;
  std::unique_ptr<PodWorkers> workers_;
};

// Spins (yielding) until pred() holds or ~10 s of real time pass. For tests
// whose executor is a real thread pool.
template <typename Pred>
bool WaitUntil(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

using Kind = FakePodSyncer::Kind;

}  // namespace cubelet::podworkers::testing

#endif  // CUBELET_PODWORKERS_POD_WORKERS_TEST_UTIL_H_
