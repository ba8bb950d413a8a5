// GenericPleg against a scripted runtime (every transition and fault, by
// hand) and against the real in-memory engine (RuntimeManager over
// InMemoryRuntime). Time is a FakeClock and relists are called directly,
// except in the Start/Stop test, which runs the real thread.
#include "pleg/generic_pleg.h"

#include <functional>
#include <map>
#include <mutex>

#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kuberuntime/runtime_manager.h"
#include "pleg/testing/fake_runtime.h"

namespace cubelet::pleg {

// gtest finds it by ADL, so it lives beside PodLifecycleEvent.
void PrintTo(const PodLifecycleEvent& e, std::ostream* os) {
  *os << "{" << e.pod_uid << " " << ToString(e.type) << " " << e.container_id;
  if (e.exit_code) *os << " exit=" << *e.exit_code;
  *os << "}";
}

namespace {

using container::ContainerState;
using testing::C;
using ::testing::ElementsAre;
using testing::FakeRuntime;
using ::testing::IsEmpty;
using testing::MakePod;
using Type = PodLifeCycleEventType;

PodLifecycleEvent Ev(const std::string& uid, Type type, const std::string& cid,
                     std::optional<int32_t> exit_code = std::nullopt) {
  return PodLifecycleEvent{
      .pod_uid = uid, .type = type, .container_id = cid, .exit_code = exit_code};
}

class GenericPlegTest : public ::testing::Test {
 protected:
  GenericPlegTest() : pleg_(&runtime_, &cache_, &events_, &clock_, Options()) {}

  GenericPleg::Options Options() {
    return GenericPleg::Options{.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      logs_.emplace_back(line);
    }};
  }

  std::vector<PodLifecycleEvent> Drain() {
    std::vector<PodLifecycleEvent> out;
    while (auto e = events_.TryPop()) out.push_back(*e);
    return out;
  }

  // Relists one second after the previous step, as the thread would.
  std::vector<PodLifecycleEvent> RelistAndDrain() {
    clock_.Advance(absl::Seconds(1));
    pleg_.Relist();
    return Drain();
  }

  std::vector<std::string> Logs() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return logs_;
  }

  FakeClock clock_;
  FakeRuntime runtime_;
  container::PodCache cache_;
  EventChannel events_;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
  GenericPleg pleg_;
};

TEST_F(GenericPlegTest, NewRunningContainersAndSandboxStart) {
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kRunning)}, {C("s1", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerStarted, "c1"),
                                            Ev("u1", Type::kContainerStarted, "s1")));
  // Nothing changed: no events and no inspection.
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(runtime_.StatusCalls("u1"), 1);
}

TEST_F(GenericPlegTest, RunningToExitedIsDiedWithExitCode) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  RelistAndDrain();
  runtime_.SetExitCode("c1", 137);
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1", 137)));
  EXPECT_THAT(Logs(), ::testing::Contains(::testing::HasSubstr("exitCode=137")));
}

TEST_F(GenericPlegTest, ExitedToGoneIsRemoved) {
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kExited), C("c2", ContainerState::kRunning)}));
  RelistAndDrain();
  runtime_.SetPod(MakePod("u1", {C("c2", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerRemoved, "c1")));
}

TEST_F(GenericPlegTest, RunningToGoneIsDiedThenRemoved) {
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kRunning), C("c2", ContainerState::kRunning)}));
  RelistAndDrain();
  runtime_.SetPod(MakePod("u1", {C("c2", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1"),
                                            Ev("u1", Type::kContainerRemoved, "c1")));
}

TEST_F(GenericPlegTest, NewExitedContainerIsDied) {
  runtime_.SetExitCode("c1", 0);
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1", 0)));
}

TEST_F(GenericPlegTest, SandboxesAreTreatedAsContainers) {
  runtime_.SetPod(MakePod("u1", {}, {C("s1", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerStarted, "s1")));
  runtime_.SetPod(MakePod("u1", {}, {C("s1", ContainerState::kExited)}));
  // A sandbox has no exit code.
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "s1")));
  runtime_.SetPod(
      MakePod("u1", {}, {C("s2", ContainerState::kRunning), C("s1", ContainerState::kExited)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerStarted, "s2")));
  runtime_.SetPod(MakePod("u1", {}, {C("s2", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerRemoved, "s1")));
}

TEST_F(GenericPlegTest, UnknownStateIsInspectedButNotEmitted) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kCreated)}));
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  // The change still refreshed the cache.
  EXPECT_EQ(runtime_.StatusCalls("u1"), 1);
  EXPECT_EQ(cache_.Get("u1").status->container_statuses.size(), 1u);
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerStarted, "c1")));
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kUnknown)}));
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(runtime_.StatusCalls("u1"), 3);
}

TEST_F(GenericPlegTest, EventsFollowTheCacheWrite) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  RelistAndDrain();
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  RelistAndDrain();
  container::CachedPodStatus cached = cache_.Get("u1");
  ASSERT_TRUE(cached.error.ok());
  ASSERT_EQ(cached.status->container_statuses.size(), 1u);
  EXPECT_EQ(cached.status->container_statuses[0].state, ContainerState::kExited);
}

TEST_F(GenericPlegTest, CacheTimestampsAreThePreListTimeAndTheInspectionTime) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  absl::Time list_start = clock_.Now();
  // Listing takes 5 s; the pod is inspected after it.
  runtime_.OnGetPods([this] { clock_.Advance(absl::Seconds(5)); });

  bool global_at_start = false, global_after_start = false;
  cache_.SubscribeNewerThan("other", list_start,
                            [&](container::CachedPodStatus) { global_at_start = true; });
  cache_.SubscribeNewerThan("other", list_start + absl::Nanoseconds(1),
                            [&](container::CachedPodStatus) { global_after_start = true; });
  bool pod_at_inspection = false;
  cache_.SubscribeNewerThan("u1", list_start + absl::Seconds(5),
                            [&](container::CachedPodStatus) { pod_at_inspection = true; });

  pleg_.Relist();
  // UpdateTime got the time taken before listing, never a later one...
  EXPECT_TRUE(global_at_start);
  EXPECT_FALSE(global_after_start);
  // ...while the pod's entry is stamped when it was inspected.
  EXPECT_TRUE(pod_at_inspection);
  EXPECT_EQ(pleg_.LastRelistTime(), list_start);
  EXPECT_EQ(pleg_.Stats().last_duration, absl::Seconds(5));
}

TEST_F(GenericPlegTest, WorkerRefreshDuringListDoesNotHideNewerObservation) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  RelistAndDrain();
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  // While the list runs, a pod worker stores what it saw a moment earlier.
  runtime_.OnGetPods([this] {
    clock_.Advance(absl::Seconds(1));
    auto stale = std::make_shared<container::PodStatus>();
    stale->id = "u1";
    stale->container_statuses.push_back({.id = "c1", .state = ContainerState::kRunning});
    cache_.Set("u1", stale, absl::OkStatus(), clock_.Now());
    clock_.Advance(absl::Seconds(1));
  });
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1", 0)));
  container::CachedPodStatus cached = cache_.Get("u1");
  ASSERT_EQ(cached.status->container_statuses.size(), 1u);
  EXPECT_EQ(cached.status->container_statuses[0].state, ContainerState::kExited);
}

TEST_F(GenericPlegTest, DisappearedPodIsDeletedFromTheCache) {
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kExited)}, {C("s1", ContainerState::kExited)}));
  runtime_.SetPod(MakePod("u2", {C("c2", ContainerState::kRunning)}));
  RelistAndDrain();
  EXPECT_EQ(cache_.Size(), 2u);
  runtime_.RemovePod("u1");
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerRemoved, "c1"),
                                            Ev("u1", Type::kContainerRemoved, "s1")));
  EXPECT_EQ(cache_.Size(), 1u);
  EXPECT_TRUE(cache_.Get("u1").status->container_statuses.empty());
  // Gone pods are not inspected.
  EXPECT_EQ(runtime_.StatusCalls("u1"), 1);
  // The record is gone too: the pod coming back is new again.
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1", 0)));
}

TEST_F(GenericPlegTest, InspectionFailureWithholdsEventsUntilReinspected) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  runtime_.SetPod(MakePod("u2", {C("c2", ContainerState::kRunning)}));
  runtime_.SetStatusError("u1", absl::UnavailableError("inspect failed"));

  // The other pod is unaffected; u1's events are held back and its cache
  // entry carries the error.
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u2", Type::kContainerStarted, "c2")));
  container::CachedPodStatus cached = cache_.Get("u1");
  EXPECT_TRUE(absl::IsUnavailable(cached.error));
  EXPECT_EQ(cached.status->id, "u1");
  EXPECT_EQ(cached.status->name, "name-u1");

  // Nothing changed, yet u1 is inspected again; still failing: still held.
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(runtime_.StatusCalls("u1"), 2);
  EXPECT_EQ(runtime_.StatusCalls("u2"), 1);

  runtime_.SetStatusError("u1", absl::OkStatus());
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerStarted, "c1")));
  EXPECT_EQ(runtime_.StatusCalls("u1"), 3);
  EXPECT_TRUE(cache_.Get("u1").error.ok());
  // Back to normal: no more reinspection.
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(runtime_.StatusCalls("u1"), 3);
}

TEST_F(GenericPlegTest, FailedInspectionIsRetriedEvenWithoutStateChanges) {
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  RelistAndDrain();
  // The container exits; the inspection of that change fails once.
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  runtime_.SetStatusError("u1", absl::DeadlineExceededError("slow"));
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  runtime_.SetStatusError("u1", absl::OkStatus());
  // Same runtime state as last time: the diff against the kept old record
  // brings the event back.
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1", 0)));
}

TEST_F(GenericPlegTest, FailedInspectionOfPodThatThenDisappears) {
  runtime_.SetStatusError("u1", absl::UnavailableError("inspect failed"));
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(cache_.Size(), 1u);  // the error entry
  runtime_.RemovePod("u1");
  // Never reported started, so nothing to report: only the cache is cleaned.
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(cache_.Size(), 0u);
}

TEST_F(GenericPlegTest, HealthBeforeAnyRelist) {
  EXPECT_EQ(pleg_.Healthy(), absl::UnavailableError("pleg has yet to be successful"));
  EXPECT_EQ(pleg_.LastRelistTime(), absl::InfinitePast());
}

TEST_F(GenericPlegTest, RelistFailureKeepsRelistTimeAndHealthDegrades) {
  pleg_.Relist();
  absl::Time last = clock_.Now();
  EXPECT_TRUE(pleg_.Healthy().ok());

  runtime_.SetGetPodsError(absl::UnavailableError("runtime is down"));
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  for (int i = 0; i < 180; ++i) {
    clock_.Advance(absl::Seconds(1));
    pleg_.Relist();
  }
  EXPECT_EQ(pleg_.LastRelistTime(), last);
  EXPECT_THAT(Drain(), IsEmpty());
  // Exactly at the threshold: still healthy.
  EXPECT_TRUE(pleg_.Healthy().ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(pleg_.Healthy(),
            absl::UnavailableError("pleg was last seen active 3m1s ago; threshold is 3m0s"));
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(pleg_.Healthy().message(), "pleg was last seen active 3m1.5s ago; threshold is 3m0s");

  RelistStats stats = pleg_.Stats();
  EXPECT_EQ(stats.relists, 181u);
  EXPECT_EQ(stats.failed_relists, 180u);
  EXPECT_THAT(Logs(), ::testing::Contains(::testing::HasSubstr("runtime is down")));

  // Recovery: the first good relist reports what was missed and heals.
  runtime_.SetGetPodsError(absl::OkStatus());
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerStarted, "c1")));
  EXPECT_TRUE(pleg_.Healthy().ok());
  EXPECT_EQ(pleg_.LastRelistTime(), clock_.Now());
  EXPECT_EQ(pleg_.Stats().last_interval, clock_.Now() - last);
}

TEST_F(GenericPlegTest, RelistFailureDoesNotMarkTheCacheFresh) {
  runtime_.SetGetPodsError(absl::UnavailableError("down"));
  bool notified = false;
  cache_.SubscribeNewerThan("u1", clock_.Now(),
                            [&](container::CachedPodStatus) { notified = true; });
  pleg_.Relist();
  EXPECT_FALSE(notified);
  runtime_.SetGetPodsError(absl::OkStatus());
  pleg_.Relist();
  EXPECT_TRUE(notified);
}

TEST_F(GenericPlegTest, ThresholdCanBeChanged) {
  pleg_.Relist();
  pleg_.SetRelistDurations(absl::Seconds(300), absl::Minutes(10));
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(pleg_.Healthy().ok());
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(pleg_.Healthy().message(), "pleg was last seen active 11m0s ago; threshold is 10m0s");
}

TEST(GenericPlegChannelTest, FullChannelDropsEventsWithoutBlocking) {
  FakeClock clock;
  FakeRuntime runtime;
  container::PodCache cache;
  EventChannel events;  // default capacity 1000
  GenericPleg pleg(&runtime, &cache, &events, &clock);
  std::vector<container::Container> containers;
  for (int i = 0; i < 1001; ++i) {
    containers.push_back(C("c" + std::to_string(i), ContainerState::kRunning));
  }
  runtime.SetPod(MakePod("u1", containers));
  runtime.SetPod(MakePod("u2", {C("x", ContainerState::kRunning)}));
  pleg.Relist();  // must return although nobody consumes
  EXPECT_EQ(events.size(), 1000u);
  EXPECT_EQ(events.dropped(), 2u);  // u1's last and u2's only event
  // Dropped events are not replayed: the cache already holds the status.
  EXPECT_EQ(cache.Get("u2").status->container_statuses.size(), 1u);
  while (events.TryPop()) {
  }
  clock.Advance(absl::Seconds(1));
  pleg.Relist();
  EXPECT_EQ(events.size(), 0u);
}

TEST_F(GenericPlegTest, PreservesPodIpsOnceThePodIsDown) {
  runtime_.SetIps("u1", {"10.88.0.5", "fd00::5"});
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kRunning)}, {C("s1", ContainerState::kRunning)}));
  RelistAndDrain();
  EXPECT_THAT(cache_.Get("u1").status->ips, ElementsAre("10.88.0.5", "fd00::5"));

  // Sandbox stopped: the runtime reports no IP, the cache keeps the old one.
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kExited)}, {C("s1", ContainerState::kExited)}));
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev("u1", Type::kContainerDied, "c1", 0),
                                            Ev("u1", Type::kContainerDied, "s1")));
  EXPECT_THAT(cache_.Get("u1").status->ips, ElementsAre("10.88.0.5", "fd00::5"));
}

TEST_F(GenericPlegTest, ReadySandboxWithoutIpsIsNotGivenOldIps) {
  runtime_.SetIps("u1", {"10.88.0.5"});
  runtime_.SetPod(
      MakePod("u1", {C("c1", ContainerState::kRunning)}, {C("s1", ContainerState::kRunning)}));
  RelistAndDrain();
  // A new ready sandbox that has no IP (e.g. host network).
  runtime_.SetIps("u1", {});
  runtime_.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)},
                          {C("s2", ContainerState::kRunning), C("s1", ContainerState::kExited)}));
  RelistAndDrain();
  EXPECT_THAT(cache_.Get("u1").status->ips, IsEmpty());
}

TEST_F(GenericPlegTest, UpdateCacheInspectsOnePod) {
  runtime_.SetIps("u1", {"10.88.0.9"});
  container::Pod pod =
      MakePod("u1", {C("c1", ContainerState::kRunning)}, {C("s1", ContainerState::kRunning)});
  runtime_.SetPod(pod);
  EXPECT_TRUE(pleg_.UpdateCache(pod).ok());
  EXPECT_THAT(cache_.Get("u1").status->ips, ElementsAre("10.88.0.9"));
  EXPECT_THAT(Drain(), IsEmpty());  // no events: only the cache
  runtime_.SetStatusError("u1", absl::UnavailableError("x"));
  EXPECT_TRUE(absl::IsUnavailable(pleg_.UpdateCache(pod)));
  EXPECT_TRUE(absl::IsUnavailable(cache_.Get("u1").error));
}

TEST(GenericPlegThreadTest, StartRelistsPeriodicallyAndStopJoins) {
  FakeClock clock;
  FakeRuntime runtime;
  container::PodCache cache;
  EventChannel events;
  GenericPleg pleg(&runtime, &cache, &events, &clock,
                   GenericPleg::Options{.relist_period = absl::Milliseconds(5)});
  pleg.Start();
  pleg.Start();  // idempotent
  runtime.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  std::optional<PodLifecycleEvent> e = events.Pop(absl::Seconds(30));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, Ev("u1", Type::kContainerStarted, "c1"));
  // A later change is found by a later relist of the same thread.
  runtime.SetPod(MakePod("u1", {C("c1", ContainerState::kExited)}));
  e = events.Pop(absl::Seconds(30));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, Ev("u1", Type::kContainerDied, "c1", 0));
  EXPECT_TRUE(pleg.Healthy().ok());
  pleg.Stop();
  pleg.Stop();  // idempotent

  // Stopped: no more relists.
  uint64_t relists = pleg.Stats().relists;
  runtime.RemovePod("u1");
  EXPECT_EQ(events.Pop(absl::Milliseconds(20)), std::nullopt);
  EXPECT_EQ(pleg.Stats().relists, relists);

  // And it can run again; the destructor stops it.
  pleg.Start();
  e = events.Pop(absl::Seconds(30));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, Ev("u1", Type::kContainerRemoved, "c1"));
}

TEST(GenericPlegThreadTest, StopIsPromptWithALongPeriod) {
  FakeClock clock;
  FakeRuntime runtime;
  container::PodCache cache;
  EventChannel events;
  GenericPleg pleg(&runtime, &cache, &events, &clock,
                   GenericPleg::Options{.relist_period = absl::Hours(1)});
  runtime.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  pleg.Start();
  // The first relist happens at once, not after a period.
  ASSERT_TRUE(events.Pop(absl::Seconds(30)).has_value());
  pleg.Stop();  // would hang for an hour if the wait ignored Stop
  EXPECT_EQ(pleg.Stats().relists, 1u);
}

// Polls `cond` (real time) for up to 10 s: the relist thread's counters are
// updated just after its events go out, so a test waits for them.
bool Until(const std::function<bool()>& cond) {
  for (int i = 0; i < 2000 && !cond(); ++i) absl::SleepFor(absl::Milliseconds(5));
  return cond();
}

TEST(GenericPlegThreadTest, AFailedRelistIsRetriedSoonDespiteALongPeriod) {
  FakeClock clock;
  FakeRuntime runtime;
  container::PodCache cache;
  EventChannel events;
  GenericPleg pleg(&runtime, &cache, &events, &clock,
                   GenericPleg::Options{.relist_period = absl::Hours(1),
                                        .failed_relist_retry = absl::Milliseconds(10)});
  runtime.SetGetPodsError(absl::UnavailableError("containerd is restarting"));
  runtime.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  pleg.Start();
  EXPECT_TRUE(Until([&] { return pleg.Stats().failed_relists >= 3; }))
      << "retried at the short period, not an hour later";
  runtime.SetGetPodsError(absl::OkStatus());
  ASSERT_TRUE(events.Pop(absl::Seconds(30)).has_value());
  // The successful relist is counted once it is done.
  ASSERT_TRUE(Until([&] {
    RelistStats stats = pleg.Stats();
    return stats.relists == stats.failed_relists + 1;
  }));
  const uint64_t relists = pleg.Stats().relists;
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(pleg.Stats().relists, relists) << "back to the long period once it worked";
  pleg.Stop();
}

TEST(GenericPlegThreadTest, ChangingTheDurationsRelistsAtOnce) {
  FakeClock clock;
  FakeRuntime runtime;
  container::PodCache cache;
  EventChannel events;
  GenericPleg pleg(&runtime, &cache, &events, &clock,
                   GenericPleg::Options{.relist_period = absl::Hours(1)});
  pleg.Start();
  ASSERT_TRUE(Until([&] { return pleg.Stats().relists >= 1; }));
  runtime.SetPod(MakePod("u1", {C("c1", ContainerState::kRunning)}));
  pleg.SetRelistDurations(absl::Hours(2), absl::Hours(3));
  ASSERT_TRUE(events.Pop(absl::Seconds(30)).has_value()) << "not an hour later";
  ASSERT_TRUE(Until([&] { return pleg.Stats().relists >= 2; }));
  pleg.SetRelistDurations(absl::Hours(2), absl::Hours(3));  // unchanged: no relist
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(pleg.Stats().relists, 2u);
  pleg.Stop();
}

// ---------------------------------------------------------------------------
// Against the in-memory engine.

constexpr char kImage[] = "docker.io/library/busybox:1.36";

class GenericPlegEngineTest : public ::testing::Test {
 protected:
  GenericPlegEngineTest()
      : cri_(&clock_),
        manager_(&cri_, &cri_, &clock_,
                 kuberuntime::RuntimeManager::Options{.manage_host_state = false}),
        pleg_(&manager_, &cache_, &events_, &clock_) {
    cri_.AddImage(kImage);
  }

  api::Pod MakeApiPod(const std::string& name) {
    api::Pod pod;
    pod.metadata.name = name;
    pod.metadata.namespace_ = "default";
    pod.metadata.uid = "uid-" + name;
    pod.spec.restart_policy = api::kRestartAlways;
    pod.spec.termination_grace_period_seconds = 30;
    api::Container c;
    c.name = "app";
    c.image = kImage;
    c.image_pull_policy = api::kPullIfNotPresent;
    pod.spec.containers.push_back(c);
    return pod;
  }

  container::PodStatusPtr Status(const api::Pod& pod) {
    auto s = manager_.GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::make_shared<container::PodStatus>();
  }

  std::vector<PodLifecycleEvent> RelistAndDrain() {
    clock_.Advance(absl::Seconds(1));
    pleg_.Relist();
    std::vector<PodLifecycleEvent> out;
    while (auto e = events_.TryPop()) out.push_back(*e);
    return out;
  }

  FakeClock clock_;
  cri::InMemoryRuntime cri_;
  kuberuntime::RuntimeManager manager_;
  container::PodCache cache_;
  EventChannel events_;
  GenericPleg pleg_;
};

TEST_F(GenericPlegEngineTest, FollowsARealPodThroughItsLife) {
  api::Pod pod = MakeApiPod("web");
  const std::string uid = pod.metadata.uid;
  ASSERT_TRUE(manager_.SyncPod(pod, *Status(pod), nullptr).Error().ok());
  container::PodStatusPtr started = Status(pod);
  ASSERT_EQ(started->sandbox_statuses.size(), 1u);
  ASSERT_EQ(started->container_statuses.size(), 1u);
  const std::string sandbox = started->sandbox_statuses[0].id;
  const std::string app = started->container_statuses[0].id;
  ASSERT_EQ(started->ips.size(), 1u);
  const std::string ip = started->ips[0];

  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev(uid, Type::kContainerStarted, app),
                                            Ev(uid, Type::kContainerStarted, sandbox)));
  EXPECT_THAT(cache_.Get(uid).status->ips, ElementsAre(ip));

  ASSERT_TRUE(cri_.ExitContainer(app, 3).ok());
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev(uid, Type::kContainerDied, app, 3)));

  // Stopping the pod takes its IP away in the runtime, not in the cache.
  container::Pod running = container::RunningPodFromStatus(*Status(pod));
  ASSERT_TRUE(manager_.KillPod(&pod, running, std::nullopt, nullptr).Error().ok());
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev(uid, Type::kContainerDied, sandbox)));
  EXPECT_TRUE(Status(pod)->ips.empty());
  EXPECT_THAT(cache_.Get(uid).status->ips, ElementsAre(ip));

  ASSERT_TRUE(manager_.RemovePod(running).ok());
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev(uid, Type::kContainerRemoved, app),
                                            Ev(uid, Type::kContainerRemoved, sandbox)));
  EXPECT_EQ(cache_.Size(), 0u);
}

// A pod delivered from an event (RelistPod) and then unchanged costs the
// relist neither an event nor an inspection, then or later; a change after
// that is still seen.
TEST_F(GenericPlegEngineTest, UnchangedPodsAreNeitherDiffedNorInspectedAgain) {
  api::Pod pod = MakeApiPod("web");
  const std::string uid = pod.metadata.uid;
  ASSERT_TRUE(manager_.SyncPod(pod, *Status(pod), nullptr).Error().ok());
  ASSERT_TRUE(
      pleg_.RelistPod(container::Pod{.id = uid, .name = "web", .namespace_ = "default"}).ok());
  std::vector<PodLifecycleEvent> from_event;
  while (auto e = events_.TryPop()) from_event.push_back(*e);
  EXPECT_EQ(from_event.size(), 2u);  // container and sandbox started
  container::PodStatusPtr inspected = cache_.Get(uid).status;

  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(cache_.Get(uid).status, inspected);  // not inspected again

  const std::string app = inspected->container_statuses[0].id;
  ASSERT_TRUE(cri_.ExitContainer(app, 7).ok());
  EXPECT_THAT(RelistAndDrain(), ElementsAre(Ev(uid, Type::kContainerDied, app, 7)));
  EXPECT_NE(cache_.Get(uid).status, inspected);
}

TEST_F(GenericPlegEngineTest, RuntimeErrorsFailTheRelistOrTheInspection) {
  api::Pod pod = MakeApiPod("web");
  ASSERT_TRUE(manager_.SyncPod(pod, *Status(pod), nullptr).Error().ok());

  cri_.InjectError("ListPodSandbox", absl::UnavailableError("socket gone"));
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_EQ(pleg_.LastRelistTime(), absl::InfinitePast());

  // GetPods only lists; inspecting the pod then fails on a status call.
  cri_.ClearErrors();
  cri_.InjectError("GetContainerStatus", absl::UnavailableError("flaky"));
  EXPECT_THAT(RelistAndDrain(), IsEmpty());
  EXPECT_TRUE(absl::IsUnavailable(cache_.Get(pod.metadata.uid).error));
  EXPECT_EQ(RelistAndDrain().size(), 2u);  // both starts, once inspection works
  EXPECT_TRUE(cache_.Get(pod.metadata.uid).error.ok());
}

}  // namespace
}  // namespace cubelet::pleg
