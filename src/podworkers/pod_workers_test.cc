// Pod worker lifecycle, grace-period, runtime-pod and SyncKnownPods scenarios.
// Test names follow the scenario checklist (C.2–C.6) and the upstream tests
// they stand in for (pod_workers_test.go).
#include <asio/thread_pool.hpp>
#include <future>

#include "gmock/gmock.h"
#include "podworkers/pod_workers_test_util.h"
#include "util/worker_pool.h"

namespace cubelet::podworkers::testing {
namespace {

using ::testing::ElementsAre;

class PodWorkersTest : public PodWorkersTestBase {};

// C.2 #8 (TestUpdatePod "a new pod is recorded and started").
TEST_F(PodWorkersTest, NewPodIsRecordedAndStarted) {
  absl::Time t0 = clock_.Now();
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "running-pod")));
  Drain();
  PodWorkerSnapshot s = Snap("1");
  EXPECT_EQ(s.fullname, "running-pod_ns");
  EXPECT_EQ(s.synced_at, t0);
  EXPECT_EQ(s.started_at, t0);
  EXPECT_EQ(s.active_pod->metadata.name, "running-pod");
  EXPECT_FALSE(s.working);
  auto records = syncer_.RecordsFor("1");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, Kind::kSync);
  EXPECT_EQ(records[0].update_type, SyncPodType::kCreate);
  EXPECT_FALSE(workers_->IsPodKnownTerminated("1"));
}

// C.0 TestUpdatePodParallel / C.2 #9: latest-wins coalescing.
TEST_F(PodWorkersTest, UpdatePodParallelCoalescesToLatest) {
  constexpr int kPods = 20;
  for (int i = 0; i < kPods; ++i) {
    for (int j = i; j < kPods; ++j) {
      workers_->UpdatePod(
          Update(SyncPodType::kUpdate, NewPod(std::to_string(j), std::to_string(i))));
    }
  }
  Drain();
  for (int j = 0; j < kPods; ++j) {
    auto records = syncer_.RecordsFor(std::to_string(j));
    ASSERT_GE(records.size(), 1u);
    EXPECT_LE(records.size(), static_cast<size_t>(j + 1));
    EXPECT_EQ(records.back().pod_name, std::to_string(j)) << "pod " << j;
  }
  // With a single-threaded executor nothing runs during UpdatePod: only the
  // newest version of each pod is synced.
  EXPECT_EQ(syncer_.Records().size(), static_cast<size_t>(kPods));
}

// C.2 #11 (TestUpdatePodForRuntimePod, non-kill case).
TEST_F(PodWorkersTest, RunningPodWithNonKillTypeIsIgnored) {
  UpdatePodOptions o = RuntimeKill("1", "orphan");
  o.update_type = SyncPodType::kCreate;
  workers_->UpdatePod(o);
  Drain();
  EXPECT_FALSE(workers_->Snapshot("1").has_value());
  EXPECT_TRUE(syncer_.Records().empty());
}

// C.2 #12.
TEST_F(PodWorkersTest, PodPlusRunningPodBehavesLikePod) {
  UpdatePodOptions o = Update(SyncPodType::kCreate, NewPod("1", "running-pod"));
  o.running_pod = std::make_shared<container::Pod>();
  workers_->UpdatePod(o);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync));
  EXPECT_EQ(Snap("1").started_at, clock_.Now());
}

// C.2 #13 (TestUpdatePod "a pod that is terminating via deletion").
TEST_F(PodWorkersTest, GracefulDeleteUsesDeletionGrace) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  clock_.Advance(absl::Seconds(2));
  absl::Time t_delete = clock_.Now();
  workers_->UpdatePod(Update(SyncPodType::kUpdate, Deleted(pod, 15, t_delete)));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
  EXPECT_EQ(syncer_.RecordsFor("1")[1].grace_period, 15);
  PodWorkerSnapshot s = Snap("1");
  EXPECT_EQ(s.terminating_at, t_delete);
  EXPECT_TRUE(s.deleted);
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.active_grace_override, 15);
  EXPECT_TRUE(workers_->IsPodKnownTerminated("1"));
}

// C.2 #14.
TEST_F(PodWorkersTest, EvictionMarksContentForRemoval) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(Kill(pod, std::nullopt, /*evict=*/true));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
  EXPECT_EQ(syncer_.RecordsFor("1")[1].grace_period, 30);
  PodWorkerSnapshot s = Snap("1");
  EXPECT_TRUE(s.evicted);
  EXPECT_TRUE(s.finished);
  EXPECT_TRUE(workers_->ShouldPodContentBeRemoved("1"));
}

// C.2 #15.
TEST_F(PodWorkersTest, PlainKillKeepsContent) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  workers_->UpdatePod(Kill(pod));
  Drain();
  EXPECT_TRUE(Snap("1").finished);
  EXPECT_FALSE(workers_->ShouldPodContentBeRemoved("1"));
  EXPECT_FALSE(workers_->CouldHaveRunningContainers("1"));
}

// C.2 #16: terminal in the API, but the runtime still shows something running.
TEST_F(PodWorkersTest, TerminalPhaseWithRunningRuntimeTerminatesFully) {
  auto running = std::make_shared<container::PodStatus>();
  container::ContainerStatus c;
  c.name = "main";
  c.state = container::ContainerState::kRunning;
  running->container_statuses.push_back(c);
  cache_->Set("1", running, absl::OkStatus(), clock_.Now());
  absl::Time t0 = clock_.Now();
  workers_->UpdatePod(
      Update(SyncPodType::kCreate, WithPhase(NewPod("1", "p"), api::kPodSucceeded)));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kTerminating, Kind::kTerminated));
  EXPECT_EQ(syncer_.RecordsFor("1")[0].grace_period, 30);
  EXPECT_EQ(Snap("1").terminating_at, t0);
  EXPECT_TRUE(Snap("1").finished);
}

// C.2 #17 (kubelet restart, PR #117019): only the terminated phase runs.
TEST_F(PodWorkersTest, TerminalPhaseWithTerminalRuntimeStartsTerminated) {
  auto stopped = std::make_shared<container::PodStatus>();
  container::ContainerStatus c;
  c.name = "main";
  c.state = container::ContainerState::kExited;
  stopped->container_statuses.push_back(c);
  cache_->Set("1", stopped, absl::OkStatus(), clock_.Now());
  absl::Time t0 = clock_.Now();
  workers_->UpdatePod(
      Update(SyncPodType::kCreate, WithPhase(NewPod("1", "p"), api::kPodSucceeded)));
  PodWorkerSnapshot before = Snap("1");
  EXPECT_EQ(before.terminating_at, t0);
  EXPECT_EQ(before.terminated_at, t0);
  EXPECT_EQ(before.synced_at, t0);
  EXPECT_TRUE(before.started_terminating);
  EXPECT_FALSE(before.finished);
  EXPECT_TRUE(before.working);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kTerminated));
  PodWorkerSnapshot after = Snap("1");
  EXPECT_TRUE(after.finished);
  EXPECT_FALSE(after.restart_requested);
  EXPECT_EQ(after.grace_period, 0);
}

// C.2 #18 (TestTerminalPhaseTransition).
TEST_F(PodWorkersTest, NaturalCompletionTerminatesWithoutFurtherUpdates) {
  int calls = 0;
  syncer_.SetSyncPodHook([&](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::StatusOr<bool>(++calls == 3);
  });
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(Update(SyncPodType::kSync, pod));
  Drain();
  EXPECT_FALSE(workers_->IsPodTerminationRequested("1"));
  EXPECT_EQ(QueuedDelay("1") >= absl::Seconds(60), true);
  workers_->UpdatePod(Update(SyncPodType::kSync, pod));
  // Run only the third SyncPod: stop the executor as soon as it is recorded.
  RunUntilRecords(3);
  EXPECT_TRUE(workers_->IsPodTerminationRequested("1"));
  EXPECT_EQ(QueuedDelay("1"), absl::ZeroDuration());
  RunUntilRecords(4);  // SyncTerminatingPod
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kSync, Kind::kSync, Kind::kTerminating));
  EXPECT_EQ(QueuedDelay("1"), absl::ZeroDuration());
  queue_.GetWork();  // clear
  clock_.Advance(absl::Seconds(1));
  queue_.GetWork();
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kSync, Kind::kSync, Kind::kTerminating,
                                      Kind::kTerminated));
  EXPECT_FALSE(queue_.Deadline("1").has_value()) << "a finished worker enqueues nothing";
  EXPECT_TRUE(Snap("1").finished);
}

// C.2 #19.
TEST_F(PodWorkersTest, FinishedIsFinal) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  workers_->UpdatePod(Kill(pod));
  Drain();
  ASSERT_TRUE(Snap("1").finished);
  syncer_.ClearRecords();
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  workers_->UpdatePod(Update(SyncPodType::kUpdate, pod));
  workers_->UpdatePod(Kill(pod));
  Drain();
  EXPECT_TRUE(syncer_.Records().empty());
  EXPECT_TRUE(Snap("1").finished);
}

// C.2 #20 (TestUpdatePod "a pod that is terminating ... create while terminating").
TEST_F(PodWorkersTest, UidReuseWhileTerminatingRestartsAfterTermination) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(Kill(pod));  // worker not yet run: "paused"
  auto labelled = std::make_shared<api::Pod>(*pod);
  labelled->metadata.labels["new"] = "label";
  workers_->UpdatePod(Update(SyncPodType::kCreate, labelled));
  EXPECT_TRUE(Snap("1").restart_requested);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
  for (const auto& r : syncer_.RecordsFor("1")) EXPECT_TRUE(r.pod->metadata.labels.empty());
  EXPECT_EQ(Snap("1").active_pod.get(), pod.get());
  auto known = workers_->SyncKnownPods({labelled});
  EXPECT_FALSE(known.contains("1"));
  EXPECT_FALSE(workers_->Snapshot("1").has_value());
  syncer_.ClearRecords();
  workers_->UpdatePod(Update(SyncPodType::kCreate, labelled));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync));
  EXPECT_EQ(syncer_.RecordsFor("1")[0].pod->metadata.labels.at("new"), "label");
}

// C.2 #21 (TestUpdatePodDoesNotForgetSyncPodKill).
TEST_F(PodWorkersTest, KillIsNeverForgotten) {
  for (int i = 0; i < 20; ++i) {
    auto pod = NewPod(std::to_string(i), "p" + std::to_string(i));
    workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
    if (i % 2 == 0) Drain();  // half the pods see their Create first
    workers_->UpdatePod(Kill(pod));
    workers_->UpdatePod(Update(SyncPodType::kUpdate, pod));
  }
  Drain();
  for (int i = 0; i < 20; ++i) {
    std::string uid = std::to_string(i);
    auto records = syncer_.RecordsFor(uid);
    std::vector<Kind> kinds = Kinds(uid);
    if (i % 2 == 0) {
      EXPECT_THAT(kinds, ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated)) << uid;
      EXPECT_EQ(records[0].update_type, SyncPodType::kCreate);
      EXPECT_EQ(records[1].grace_period, 30);
    } else {
      EXPECT_THAT(kinds, ElementsAre(Kind::kTerminating, Kind::kTerminated)) << uid;
      EXPECT_EQ(records[0].grace_period, 30);
    }
  }
}

// C.2 #22–24: requeue delays.
TEST_F(PodWorkersTest, ErrorRequeuesWithBackOff) {
  syncer_.SetSyncPodHook([](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::StatusOr<bool>(absl::InternalError("boom"));
  });
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  absl::Duration d = QueuedDelay("1");
  EXPECT_GE(d, absl::Seconds(10));
  EXPECT_LT(d, absl::Seconds(15));
  EXPECT_FALSE(Snap("1").working);
  EXPECT_EQ(syncer_.Records().size(), 1u) << "the worker does not retry by itself";
}

TEST_F(PodWorkersTest, NetworkNotReadyRequeuesAfterAboutOneSecond) {
  syncer_.SetSyncPodHook([](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::StatusOr<bool>(container::NetworkNotReadyError("cni not initialized"));
  });
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  absl::Duration d = QueuedDelay("1");
  EXPECT_GE(d, absl::Seconds(1));
  EXPECT_LT(d, absl::Milliseconds(1500));
}

// kubernetes#133066: a sync that failed only on back-offs comes back when
// the earliest back-off expires, not after the fixed error back-off.
TEST_F(PodWorkersTest, BackoffErrorRequeuesAtItsExpiration) {
  absl::Time expiration = clock_.Now() + absl::Seconds(37);
  syncer_.SetSyncPodHook([&](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::StatusOr<bool>(container::WithBackoffExpiration(
        absl::UnavailableError("back-off 40s restarting failed container"), expiration));
  });
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  EXPECT_EQ(QueuedDelay("1"), absl::Seconds(37));
}

TEST_F(PodWorkersTest, BackoffErrorRequeueIsCappedAtResyncAndNeverNegative) {
  absl::Time expiration = clock_.Now() + absl::Minutes(5);
  syncer_.SetSyncPodHook([&](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::StatusOr<bool>(
        container::WithBackoffExpiration(absl::UnavailableError("back-off 5m0s"), expiration));
  });
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  EXPECT_EQ(QueuedDelay("1"), absl::Minutes(1)) << "capped at the resync interval";

  expiration = clock_.Now() - absl::Seconds(3);
  workers_->UpdatePod(Update(SyncPodType::kSync, NewPod("1", "p")));
  Drain();
  EXPECT_EQ(QueuedDelay("1"), absl::ZeroDuration()) << "an expired back-off is due at once";
}

TEST_F(PodWorkersTest, SuccessRequeuesAtResyncInterval) {
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  absl::Duration d = QueuedDelay("1");
  EXPECT_GE(d, absl::Seconds(60));
  EXPECT_LT(d, absl::Seconds(90));
}

// C.2 #25.
TEST_F(PodWorkersTest, FailedTerminatingRetriesWithStoredGrace) {
  int calls = 0;
  syncer_.SetTerminatingHook([&](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return ++calls == 1 ? absl::InternalError("stop failed") : absl::OkStatus();
  });
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(Update(SyncPodType::kUpdate, Deleted(pod, 20, clock_.Now())));
  Drain();
  EXPECT_EQ(Snap("1").terminated_at, absl::InfinitePast());
  EXPECT_TRUE(workers_->CouldHaveRunningContainers("1"));
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating));
  workers_->UpdatePod(Update(SyncPodType::kSync, pod));
  Drain();
  EXPECT_THAT(Kinds("1"),
              ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminating, Kind::kTerminated));
  EXPECT_EQ(syncer_.RecordsFor("1")[2].grace_period, 20);
}

// C.2 #26.
TEST_F(PodWorkersTest, FailedTerminatedRetriesOnlyTerminated) {
  int calls = 0;
  syncer_.SetTerminatedHook([&](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return ++calls == 1 ? absl::InternalError("volumes busy") : absl::OkStatus();
  });
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  workers_->UpdatePod(Kill(pod));
  Drain();
  EXPECT_TRUE(workers_->IsPodKnownTerminated("1"));
  EXPECT_FALSE(workers_->ShouldPodBeFinished("1"));
  workers_->UpdatePod(Update(SyncPodType::kSync, pod));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kTerminating, Kind::kTerminated, Kind::kTerminated));
  EXPECT_TRUE(workers_->ShouldPodBeFinished("1"));
}

// C.2 #27: the worker waits for a status observed after its previous sync
// began (upstream: after it ended; see ContinueWork for why earlier is safe).
TEST_F(PodWorkersTest, CacheGatingWaitsForFreshStatus) {
  cache_ = std::make_unique<container::PodCache>();  // no global timestamp
  workers_ = std::make_unique<PodWorkers>(io_.get_executor(), &syncer_, cache_.get(), &queue_,
                                          &clock_, PodWorkers::Options{});
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  EXPECT_TRUE(syncer_.Records().empty());
  EXPECT_TRUE(Snap("1").working);
  cache_->UpdateTime(clock_.Now());
  clock_.Advance(absl::Seconds(1));
  Drain();
  ASSERT_EQ(syncer_.Records().size(), 1u);
  absl::Time first_sync_end = clock_.Now();

  clock_.Advance(absl::Seconds(1));
  workers_->UpdatePod(Update(SyncPodType::kSync, pod));
  Drain();
  EXPECT_EQ(syncer_.Records().size(), 1u) << "relist older than the previous sync";
  cache_->Set("1", std::make_shared<container::PodStatus>(), absl::OkStatus(),
              first_sync_end - absl::Milliseconds(1));
  Drain();
  EXPECT_EQ(syncer_.Records().size(), 1u) << "data older than the last sync";
  // As upstream, a waiter is woken by data at exactly its min time.
  cache_->Set("1", std::make_shared<container::PodStatus>(), absl::OkStatus(), first_sync_end);
  Drain();
  EXPECT_EQ(syncer_.Records().size(), 2u);
}

// C.2 #28.
TEST_F(PodWorkersTest, CacheErrorSkipsSyncAndBacksOff) {
  cache_->Set("1", std::make_shared<container::PodStatus>(), absl::UnavailableError("inspect"),
              clock_.Now());
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  EXPECT_TRUE(syncer_.Records().empty());
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], "FailedSync: error determining status: inspect");
  EXPECT_GE(QueuedDelay("1"), absl::Seconds(10));
}

// C.3 #29 (Test_calculateEffectiveGracePeriod).
TEST(CalculateEffectiveGracePeriodTest, Table) {
  auto pod = NewPod("1", "p");
  auto grace = [&](std::optional<int64_t> spec, std::optional<int64_t> deletion,
                   std::optional<int64_t> override) {
    api::Pod p = *pod;
    p.spec.termination_grace_period_seconds = spec;
    p.metadata.deletion_grace_period_seconds = deletion;
    KillPodOptions k;
    k.grace_period_override = override;
    bool shortened = false;
    return CalculateEffectiveGracePeriod(0, &p, &k, &shortened);
  };
  EXPECT_EQ(grace(30, std::nullopt, std::nullopt), 30);
  EXPECT_EQ(grace(30, 5, std::nullopt), 5);
  EXPECT_EQ(grace(30, 5, 2), 2);
  EXPECT_EQ(grace(30, 0, std::nullopt), 1);
  EXPECT_EQ(grace(30, 5, 0), 1);
  EXPECT_EQ(grace(std::nullopt, std::nullopt, std::nullopt), 1);
  bool shortened = false;
  api::Pod p = *pod;
  p.metadata.deletion_grace_period_seconds = 60;
  EXPECT_EQ(CalculateEffectiveGracePeriod(10, &p, nullptr, &shortened), 10);
  EXPECT_FALSE(shortened);
  p.metadata.deletion_grace_period_seconds = 5;
  EXPECT_EQ(CalculateEffectiveGracePeriod(10, &p, nullptr, &shortened), 5);
  EXPECT_TRUE(shortened);
}

// C.3 #32.
TEST_F(PodWorkersTest, NoCancelWithoutTransition) {
  CancelTokenPtr seen;
  syncer_.SetSyncPodHook([&](const FakePodSyncer::Record& r, const CancelTokenPtr& ctx) {
    if (seen == nullptr) {
      seen = ctx;
      // A plain update arriving while SyncPod runs does not cancel it.
      workers_->UpdatePod(Update(SyncPodType::kUpdate, r.pod));
      EXPECT_FALSE(ctx->IsCancelled());
    }
    return absl::StatusOr<bool>(false);
  });
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kSync));
  EXPECT_FALSE(seen->IsCancelled());
}

// C.3 #31: a kill during SyncPod cancels it; the worker then terminates the
// pod without another UpdatePod.
TEST_F(PodWorkersTest, KillDuringSetupCancelsSync) {
  bool was_cancelled = false;
  syncer_.SetSyncPodHook([&](const FakePodSyncer::Record& r, const CancelTokenPtr& ctx) {
    workers_->UpdatePod(Kill(r.pod));
    was_cancelled = ctx->IsCancelled();
    return absl::StatusOr<bool>(CancelledError());
  });
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("1", "p")));
  Drain();
  EXPECT_TRUE(was_cancelled);
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
}

// C.3 #30 on a real thread pool: the grace only shrinks, and shrinking it
// cancels a SyncTerminatingPod in flight.
TEST(PodWorkersThreadedTest, GraceOnlyDecreasesAndShorterGraceCancelsInFlightStop) {
  FakeClock clock;
  asio::thread_pool pool(2);
  container::PodCache cache;
  cache.UpdateTime(absl::InfiniteFuture());
  WorkQueue queue(&clock);
  FakePodSyncer syncer;
  std::promise<CancelTokenPtr> first_stop_started;
  std::atomic<int> stops{0};
  syncer.SetTerminatingHook([&](const FakePodSyncer::Record&, const CancelTokenPtr& ctx) {
    if (stops.fetch_add(1) == 0) {
      first_stop_started.set_value(ctx);
      // A stop that takes the whole grace unless interrupted.
      if (ctx->WaitFor(absl::Seconds(30))) return CancelledError("stop interrupted");
    }
    return absl::OkStatus();
  });
  PodWorkers workers(pool.get_executor(), &syncer, &cache, &queue, &clock, PodWorkers::Options{});
  auto pod = NewPod("1", "p");
  workers.UpdatePod(Update(SyncPodType::kCreate, pod));
  workers.UpdatePod(Update(SyncPodType::kUpdate, Deleted(pod, 30, clock.Now())));
  CancelTokenPtr ctx = first_stop_started.get_future().get();
  EXPECT_FALSE(ctx->IsCancelled());
  workers.UpdatePod(Update(SyncPodType::kUpdate, Deleted(pod, 10, clock.Now())));
  EXPECT_TRUE(ctx->IsCancelled());
  ASSERT_TRUE(WaitUntil([&] { return workers.ShouldPodBeFinished("1"); }));
  workers.UpdatePod(Update(SyncPodType::kUpdate, Deleted(pod, 60, clock.Now())));
  pool.join();
  std::vector<std::optional<int64_t>> graces;
  for (const auto& r : syncer.Records()) {
    if (r.kind == Kind::kTerminating) graces.push_back(r.grace_period);
  }
  ASSERT_EQ(graces.size(), 2u);
  EXPECT_EQ(graces[0], 30);
  EXPECT_EQ(graces[1], 10);
  EXPECT_EQ(workers.Snapshot("1")->grace_period, 10);
  EXPECT_EQ(syncer.ConcurrentCalls(), 0);
}

// With run_blocking, a stop that waits out its grace holds no executor
// thread: on a one-thread executor another pod still starts meanwhile, and
// the stopped pod still finishes in order once its stop returns.
TEST(PodWorkersThreadedTest, AStopWaitingOutItsGraceDoesNotHoldTheExecutor) {
  FakeClock clock;
  asio::thread_pool pool(1);
  WorkerPool blocking(4);
  container::PodCache cache;
  cache.UpdateTime(absl::InfiniteFuture());
  WorkQueue queue(&clock);
  FakePodSyncer syncer;
  std::promise<void> stop_started;
  std::promise<void> release_stop;
  std::shared_future<void> released = release_stop.get_future().share();
  syncer.SetTerminatingHook([&](const FakePodSyncer::Record& r, const CancelTokenPtr&) {
    if (r.uid == "slow") {
      stop_started.set_value();
      released.wait();
    }
    return absl::OkStatus();
  });
  PodWorkers::Options options;
  options.run_blocking = [&blocking](std::function<void()> fn) { blocking.Submit(std::move(fn)); };
  PodWorkers workers(pool.get_executor(), &syncer, &cache, &queue, &clock, options);
  auto slow = NewPod("slow", "slow");
  workers.UpdatePod(Update(SyncPodType::kCreate, slow));
  ASSERT_TRUE(WaitUntil([&] { return !syncer.RecordsFor("slow").empty(); }));
  workers.UpdatePod(Kill(slow, 30));
  stop_started.get_future().wait();

  workers.UpdatePod(Update(SyncPodType::kCreate, NewPod("fast", "fast")));
  EXPECT_TRUE(WaitUntil([&] { return !syncer.RecordsFor("fast").empty(); }))
      << "the other pod waited for the stop";
  EXPECT_FALSE(workers.IsPodTerminationRequested("fast"));
  EXPECT_FALSE(workers.ShouldPodBeFinished("slow"));

  release_stop.set_value();
  ASSERT_TRUE(WaitUntil([&] { return workers.ShouldPodBeFinished("slow"); }));
  blocking.Shutdown();
  pool.join();
  std::vector<Kind> kinds;
  for (const auto& r : syncer.RecordsFor("slow")) kinds.push_back(r.kind);
  EXPECT_THAT(kinds, ::testing::ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
  EXPECT_EQ(syncer.ConcurrentCalls(), 0);
}

// C.0 TestKillPodNowFunc / C.3 #34.
TEST(KillPodNowTest, ReturnsOnceTerminatedWithTheStatusFunc) {
  FakeClock clock;
  asio::thread_pool pool(2);
  container::PodCache cache;
  cache.UpdateTime(absl::InfiniteFuture());
  WorkQueue queue(&clock);
  FakePodSyncer syncer;
  PodWorkers workers(pool.get_executor(), &syncer, &cache, &queue, &clock, PodWorkers::Options{});
  auto pod = NewPod("1", "p");
  bool status_fn_called = false;
  absl::Status s = KillPodNow(workers, pod, /*evict=*/false, /*override=*/0,
                              [&](api::PodStatus*) { status_fn_called = true; });
  EXPECT_TRUE(s.ok()) << s;
  ASSERT_TRUE(WaitUntil([&] { return workers.ShouldPodBeFinished("1"); }));
  pool.join();
  auto records = syncer.RecordsFor("1");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, Kind::kTerminating);
  EXPECT_EQ(records[0].grace_period, 1);
  EXPECT_EQ(records[1].kind, Kind::kTerminated);
  records[0].pod_status_fn(nullptr);
  EXPECT_TRUE(status_fn_called);
}

TEST(KillPodNowTest, TimesOutWhenTerminationNeverSucceeds) {
  FakeClock clock;
  asio::thread_pool pool(2);
  container::PodCache cache;
  cache.UpdateTime(absl::InfiniteFuture());
  WorkQueue queue(&clock);
  FakePodSyncer syncer;
  syncer.SetTerminatingHook([](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::UnavailableError("runtime down");
  });
  PodWorkers workers(pool.get_executor(), &syncer, &cache, &queue, &clock, PodWorkers::Options{});
  absl::Status s =
      KillPodNow(workers, NewPod("1", "p"), false, std::nullopt, nullptr, absl::Milliseconds(50));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "timeout waiting to kill pod");
  pool.join();
}

TEST(KillPodNowTest, TimeoutIsMaxOfTenSecondsAndOneAndAHalfGrace) {
  auto pod = NewPod("1", "p");  // spec grace 30
  EXPECT_EQ(KillPodNowTimeout(*pod, std::nullopt), absl::Seconds(45));
  EXPECT_EQ(KillPodNowTimeout(*pod, 0), absl::Seconds(10));
  EXPECT_EQ(KillPodNowTimeout(*pod, 4), absl::Seconds(10));
  EXPECT_EQ(KillPodNowTimeout(*pod, 100), absl::Seconds(150));
}

// C.0 TestFakePodWorkers: SyncPod receives exactly the pod, mirror pod and
// cached status the caller and the cache hold.
TEST_F(PodWorkersTest, SyncPodReceivesThePodMirrorAndCachedStatus) {
  auto status = std::make_shared<container::PodStatus>();
  status->name = "from-cache";
  cache_ = std::make_unique<container::PodCache>();
  cache_->Set("1", status, absl::OkStatus(), clock_.Now());
  workers_ = std::make_unique<PodWorkers>(io_.get_executor(), &syncer_, cache_.get(), &queue_,
                                          &clock_, PodWorkers::Options{});
  auto pod = NewStaticPod("1", "p");
  auto mirror = NewPod("1", "p");
  mirror->metadata.annotations[api::kConfigMirrorAnnotation] = "hash";
  UpdatePodOptions o = Update(SyncPodType::kCreate, pod);
  o.mirror_pod = mirror;
  workers_->UpdatePod(o);
  Drain();
  auto records = syncer_.RecordsFor("1");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].pod.get(), pod.get());
  EXPECT_EQ(records[0].status.get(), status.get());
}

// C.3 #33.
TEST_F(PodWorkersTest, KillWithZeroOverrideUsesOneSecond) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(Kill(pod, 0));
  Drain();
  EXPECT_EQ(syncer_.RecordsFor("1")[1].grace_period, 1);
}

// C.3 #34-like: the completion callback of a kill fires once terminated.
TEST_F(PodWorkersTest, KillCompletionFiresAfterTermination) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  int completed = 0;
  PodStatusFunc fn = [](api::PodStatus* s) { s->reason = "Evicted"; };
  UpdatePodOptions kill = Kill(pod, 0);
  kill.kill_pod_options->on_completed = [&] { ++completed; };
  kill.kill_pod_options->pod_status_func = fn;
  workers_->UpdatePod(kill);
  EXPECT_EQ(completed, 0);
  Drain();
  EXPECT_EQ(completed, 1);
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
  api::PodStatus status;
  syncer_.RecordsFor("1")[1].pod_status_fn(&status);
  EXPECT_EQ(status.reason, "Evicted");
}

// C.3 #35.
TEST_F(PodWorkersTest, CompletionOnTerminatedPodFiresAtOnce) {
  syncer_.SetTerminatedHook([](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::InternalError("not yet");
  });
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  workers_->UpdatePod(Kill(pod));
  Drain();
  ASSERT_TRUE(workers_->IsPodKnownTerminated("1"));
  int completed = 0;
  UpdatePodOptions kill = Kill(pod);
  kill.kill_pod_options->on_completed = [&] { ++completed; };
  workers_->UpdatePod(kill);
  EXPECT_EQ(completed, 1);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kTerminating, Kind::kTerminated, Kind::kTerminated));
}

// C.3 #36.
TEST_F(PodWorkersTest, LastPodStatusFuncWins) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  UpdatePodOptions k1 = Kill(pod);
  k1.kill_pod_options->pod_status_func = [](api::PodStatus* s) { s->message = "f1"; };
  UpdatePodOptions k2 = Kill(pod);
  k2.kill_pod_options->pod_status_func = [](api::PodStatus* s) { s->message = "f2"; };
  workers_->UpdatePod(k1);
  workers_->UpdatePod(k2);
  EXPECT_EQ(Snap("1").pending_status_funcs, 2u);
  Drain();
  api::PodStatus status;
  syncer_.RecordsFor("1")[1].pod_status_fn(&status);
  EXPECT_EQ(status.message, "f2");
  EXPECT_EQ(Snap("1").pending_status_funcs, 0u);
  EXPECT_EQ(Snap("1").pending_notifications, 0u);
}

// C.3 #37.
TEST_F(PodWorkersTest, KillOptionsIgnoredWhileSyncing) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  int completed = 0;
  UpdatePodOptions update = Update(SyncPodType::kUpdate, pod);
  update.kill_pod_options.emplace();
  update.kill_pod_options->on_completed = [&] { ++completed; };
  workers_->UpdatePod(update);
  EXPECT_EQ(completed, 1);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kSync));
  EXPECT_FALSE(Snap("1").active_grace_override.has_value());
}

// C.4 #38 (TestUpdatePodForRuntimePod).
TEST_F(PodWorkersTest, UnknownRuntimePodIsKilledWithGraceOneAndForgotten) {
  workers_->UpdatePod(RuntimeKill("1", "orphan"));
  PodWorkerSnapshot s = Snap("1");
  EXPECT_TRUE(s.deleted);
  EXPECT_TRUE(s.observed_runtime);
  EXPECT_EQ(s.grace_period, 1);
  EXPECT_TRUE(s.has_pending_update);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kTerminatingRuntime));
  EXPECT_FALSE(workers_->Snapshot("1").has_value());
  EXPECT_FALSE(workers_->IsPodKnownTerminated("1"));
  EXPECT_EQ(workers_->NumWorkers(), 0u);
}

// C.4 #39 (TestUpdatePodForTerminatedRuntimePod).
TEST_F(PodWorkersTest, RuntimeKillOfTerminatedPodIsIgnored) {
  syncer_.SetTerminatedHook([](const FakePodSyncer::Record&, const CancelTokenPtr&) {
    return absl::InternalError("keep it terminated, not finished");
  });
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  workers_->UpdatePod(Kill(pod));
  Drain();
  syncer_.ClearRecords();
  workers_->UpdatePod(RuntimeKill("1", "p"));
  Drain();
  EXPECT_TRUE(syncer_.Records().empty());
}

// C.4 #40.
TEST_F(PodWorkersTest, RuntimeKillOfKnownConfigPodUsesTheSpec) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(RuntimeKill("1", "p"));
  EXPECT_TRUE(Snap("1").observed_runtime);
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync, Kind::kTerminating, Kind::kTerminated));
  EXPECT_EQ(syncer_.RecordsFor("1")[1].pod.get(), pod.get());
}

// C.6 #48–49 (TestSyncKnownPods, query defaults).
TEST_F(PodWorkersTest, UnknownUidQueriesFlipAfterFirstSyncKnownPods) {
  EXPECT_FALSE(workers_->ShouldPodContainersBeTerminating("x"));
  EXPECT_TRUE(workers_->CouldHaveRunningContainers("x"));
  EXPECT_FALSE(workers_->ShouldPodContentBeRemoved("x"));
  EXPECT_FALSE(workers_->ShouldPodRuntimeBeRemoved("x"));
  EXPECT_FALSE(workers_->ShouldPodBeFinished("x"));
  EXPECT_FALSE(workers_->IsPodTerminationRequested("x"));
  workers_->SyncKnownPods({});
  EXPECT_TRUE(workers_->ShouldPodContainersBeTerminating("x"));
  EXPECT_FALSE(workers_->CouldHaveRunningContainers("x"));
  EXPECT_TRUE(workers_->ShouldPodContentBeRemoved("x"));
  EXPECT_TRUE(workers_->ShouldPodRuntimeBeRemoved("x"));
  EXPECT_TRUE(workers_->ShouldPodBeFinished("x"));
  EXPECT_FALSE(workers_->IsPodTerminationRequested("x"));
}

// C.6 #50.
TEST_F(PodWorkersTest, KnownPodQueriesFollowTheWorker) {
  auto pod = NewPod("1", "p");
  workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  Drain();
  workers_->UpdatePod(Kill(pod));
  EXPECT_TRUE(workers_->IsPodTerminationRequested("1"));
  EXPECT_FALSE(workers_->ShouldPodContainersBeTerminating("1"));
  EXPECT_FALSE(workers_->ShouldPodRuntimeBeRemoved("1"));
  RunUntilRecords(2);  // SyncTerminatingPod acknowledges, then completes
  EXPECT_TRUE(workers_->ShouldPodContainersBeTerminating("1"));
  EXPECT_TRUE(workers_->ShouldPodRuntimeBeRemoved("1"));
}

// C.6 #51 (TestSyncKnownPods pruning / TestForgetNonExistingPodWorkers).
TEST_F(PodWorkersTest, SyncKnownPodsPrunesFinishedAndTerminatesOrphans) {
  std::vector<api::PodPtr> pods;
  for (int i = 0; i < 20; ++i) {
    auto pod = NewPod(std::to_string(i), "p" + std::to_string(i));
    pods.push_back(pod);
    workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
  }
  Drain();
  for (int i = 0; i < 20; ++i) {
    if (i == 2 || i == 14) continue;
    if (i % 2 == 0) {
      workers_->UpdatePod(
          Update(SyncPodType::kUpdate,
                 Deleted(std::const_pointer_cast<api::Pod>(pods[i]), 0, clock_.Now())));
    } else {
      workers_->UpdatePod(Kill(pods[i]));
    }
  }
  Drain();
  workers_->SyncKnownPods({pods[2], pods[14]});
  EXPECT_EQ(workers_->NumPods(), 2u);
  EXPECT_EQ(workers_->NumWorkers(), 2u);
  auto result = workers_->SyncKnownPods({});
  EXPECT_EQ(result.at("2").state, PodWorkerState::kTerminating);
  EXPECT_TRUE(result.at("2").orphan);
  EXPECT_TRUE(result.at("2").has_config);
  Drain();
  EXPECT_EQ(workers_->NumWorkers(), 0u);
  EXPECT_EQ(workers_->NumPods(), 2u);
  EXPECT_TRUE(Snap("2").finished);
  EXPECT_EQ(syncer_.RecordsFor("2").back().kind, Kind::kTerminated);
  workers_->SyncKnownPods({});
  EXPECT_EQ(workers_->NumPods(), 0u);
}

// C.6 #54 (Test_removeTerminatedWorker, the main rows).
TEST_F(PodWorkersTest, RemoveTerminatedWorkerTable) {
  // finished -> removed when orphaned
  auto a = NewPod("a", "a");
  workers_->UpdatePod(Update(SyncPodType::kCreate, a));
  workers_->UpdatePod(Kill(a));
  Drain();
  // started, not terminating, orphan -> kept, terminatingAt set, pending = active
  auto b = NewPod("b", "b");
  workers_->UpdatePod(Update(SyncPodType::kCreate, b));
  Drain();
  // static, never started (waiting on fullname), not orphan -> kept
  auto s1 = NewStaticPod("s1", "static");
  auto s2 = NewStaticPod("s2", "static");
  workers_->UpdatePod(Update(SyncPodType::kCreate, s1));
  workers_->UpdatePod(Update(SyncPodType::kCreate, s2));
  Drain();
  ASSERT_EQ(Snap("s2").started_at, absl::InfinitePast());

  auto result = workers_->SyncKnownPods({s1, s2});
  EXPECT_FALSE(workers_->Snapshot("a").has_value());
  PodWorkerSnapshot sb = Snap("b");
  EXPECT_EQ(sb.terminating_at, clock_.Now());
  EXPECT_TRUE(sb.deleted);
  EXPECT_EQ(sb.grace_period, 30);
  EXPECT_TRUE(sb.has_pending_update);
  EXPECT_TRUE(sb.working);
  EXPECT_EQ(result.at("b"), (PodWorkerSync{PodWorkerState::kTerminating, true, true, false}));
  EXPECT_EQ(result.at("s2"), (PodWorkerSync{PodWorkerState::kSync, false, true, true}));

  // not started, orphan -> removed at once
  workers_->SyncKnownPods({s1});
  EXPECT_FALSE(workers_->Snapshot("s2").has_value());
}

}  // namespace
}  // namespace cubelet::podworkers::testing
