// EventedPleg over a hand-written runtime and a scripted event stream: exits
// seen without a relist, a runtime that shows the change late, duplicates,
// events out of order and for unknown ids, a broken stream and an outage,
// a source the runtime does not offer, and the cache kept fresh.
#include "pleg/evented_pleg.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cri/testing/fake_container_event_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pleg/testing/fake_runtime.h"

namespace cubelet::pleg {
namespace {

using container::ContainerState;
using cri::ContainerEvent;
using cri::testing::FakeContainerEventSource;
using testing::C;
using testing::FakeRuntime;
using testing::MakePod;
using Type = PodLifeCycleEventType;

std::string Describe(const PodLifecycleEvent& e) {
  return std::string(e.pod_uid) + " " + ToString(e.type) + " " + e.container_id;
}

ContainerEvent Exited(const std::string& id, int32_t code = 0) {
  return ContainerEvent{
      .type = ContainerEvent::Type::kExited, .container_id = id, .exit_code = code};
}
ContainerEvent Started(const std::string& id) {
  return ContainerEvent{.type = ContainerEvent::Type::kStarted, .container_id = id};
}
ContainerEvent Deleted(const std::string& id) {
  return ContainerEvent{.type = ContainerEvent::Type::kDeleted, .container_id = id};
}

class EventedPlegTest : public ::testing::Test {
 protected:
  EventedPlegTest()
      : relister_(&runtime_, &cache_, &events_, &clock_,
                  GenericPleg::Options{.relist_period = absl::Hours(1),
                                       .on_relist = [this](const RelistStats&) { ++relists_; }}) {
    runtime_.SetPod(
        MakePod("p1", {C("c1", ContainerState::kRunning)}, {C("s1", ContainerState::kRunning)}));
  }
  ~EventedPlegTest() override {
    if (evented_) evented_->Stop();
    relister_.Stop();
  }

  // Starts the relister's thread and the evented PLEG over `sources`. The
  // relister only relists when its durations change (start, stream live,
  // stream broken), so every relist in a test is one the PLEG asked for.
  void Start(std::vector<cri::ContainerEventSource*> sources, EventedPleg::Options options = {}) {
    options.relist_period = absl::Hours(2);
    options.fallback_relist_period = absl::Hours(1);
    options.cache_update_period = absl::Milliseconds(10);
    options.retry_initial = absl::Milliseconds(5);
    options.retry_max = absl::Milliseconds(20);
    if (!options.resolve_pod) {
      options.resolve_pod = [this](const std::string& id) -> absl::StatusOr<container::Pod> {
        ++resolves_;
        auto it = resolvable_.find(id);
        if (it == resolvable_.end()) return absl::NotFoundError(id);
        return MakePod(it->second, {});
      };
    }
    evented_ = std::make_unique<EventedPleg>(std::move(sources), &relister_, &cache_, &clock_,
                                             std::move(options));
    relister_.Start();
    evented_->Start();
  }

  // The next `n` PLEG events (waiting up to 5 s each), described.
  std::vector<std::string> Next(size_t n) {
    std::vector<std::string> out;
    while (out.size() < n) {
      std::optional<PodLifecycleEvent> e = events_.Pop(absl::Seconds(5));
      if (!e) break;
      out.push_back(Describe(*e));
    }
    return out;
  }
  // Whatever else arrives within `wait`.
  std::vector<std::string> Rest(absl::Duration wait = absl::Milliseconds(100)) {
    std::vector<std::string> out;
    while (std::optional<PodLifecycleEvent> e = events_.Pop(wait)) out.push_back(Describe(*e));
    return out;
  }

  bool WaitFor(const std::function<bool()>& cond) {
    for (int i = 0; i < 500; ++i) {
      if (cond()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return cond();
  }

  // Waits until the live stream's relist is done and its events drained.
  void StartAndSettle(FakeContainerEventSource* source, EventedPleg::Options options = {}) {
    Start({source}, std::move(options));
    ASSERT_TRUE(source->WaitLive());
    ASSERT_TRUE(WaitFor([&] { return relists_ >= 2; }));
    EXPECT_THAT(Next(2), ::testing::UnorderedElementsAre("p1 ContainerStarted c1",
                                                         "p1 ContainerStarted s1"));
  }

  // Before the PLEG: they must outlive its stream thread.
  FakeContainerEventSource source_;
  FakeContainerEventSource cri_events_{"CRI GetContainerEvents"};
  FakeContainerEventSource containerd_events_{"containerd events"};
  FakeClock clock_;
  FakeRuntime runtime_;
  container::PodCache cache_;
  EventChannel events_;
  std::atomic<int> relists_{0};
  std::atomic<int> resolves_{0};
  std::map<std::string, std::string> resolvable_;  // container id -> pod uid
  GenericPleg relister_;
  std::unique_ptr<EventedPleg> evented_;
};

TEST_F(EventedPlegTest, AnExitIsReportedWithoutARelist) {
  StartAndSettle(&source_);
  const int relists = relists_;

  runtime_.SetExitCode("c1", 3);
  runtime_.SetPod(
      MakePod("p1", {C("c1", ContainerState::kExited)}, {C("s1", ContainerState::kRunning)}));
  ASSERT_TRUE(source_.Publish(Exited("c1", 3)));
  std::optional<PodLifecycleEvent> died = events_.Pop(absl::Seconds(5));
  ASSERT_TRUE(died.has_value());
  EXPECT_EQ(Describe(*died), "p1 ContainerDied c1");
  EXPECT_EQ(died->exit_code, 3);
  EXPECT_EQ(relists_, relists) << "no relist: one pod re-read";
  EXPECT_EQ(cache_.Get("p1").status->FindContainerStatusByName("c-c1")->state,
            ContainerState::kExited);
  // Counted once the batch is done, just after the event went out.
  EXPECT_TRUE(WaitFor([&] { return evented_->Stats().pod_reads == 1; }));

  // The relist that comes later has nothing new to say.
  relister_.Relist();
  EXPECT_THAT(Rest(), ::testing::IsEmpty());
}

TEST_F(EventedPlegTest, AChangeTheRuntimeShowsLateIsRetriedUntilItShows) {
  StartAndSettle(&source_);
  // containerd publishes the exit before its CRI plugin marks the container
  // exited: the first re-read still sees it running.
  ASSERT_TRUE(source_.Publish(Exited("c1", 1)));
  absl::SleepFor(absl::Milliseconds(30));
  runtime_.SetPod(
      MakePod("p1", {C("c1", ContainerState::kExited)}, {C("s1", ContainerState::kRunning)}));
  EXPECT_THAT(Next(1), ::testing::ElementsAre("p1 ContainerDied c1"));
  EXPECT_TRUE(WaitFor([&] { return evented_->Stats().pod_reads >= 2; }));
  EXPECT_EQ(evented_->Stats().unsettled, 0u);
}

TEST_F(EventedPlegTest, AChangeThatNeverShowsIsLeftToTheRelist) {
  StartAndSettle(&source_, {.settle_timeout = absl::Milliseconds(200)});
  EXPECT_TRUE(source_.Publish(Exited("c1", 1)));
  ASSERT_TRUE(WaitFor([&] { return evented_->Stats().unsettled == 1; }));
  EXPECT_THAT(Rest(), ::testing::IsEmpty());
  EXPECT_TRUE(evented_->Healthy().ok());
}

TEST_F(EventedPlegTest, DuplicatesAndOutOfOrderEventsYieldEachTransitionOnce) {
  StartAndSettle(&source_);
  runtime_.SetPod(MakePod("p1", {}, {C("s1", ContainerState::kRunning)}));  // c1 exited and removed
  ASSERT_TRUE(source_.Publish(Deleted("c1")));
  ASSERT_TRUE(source_.Publish(Exited("c1", 0)));
  ASSERT_TRUE(source_.Publish(Exited("c1", 0)));
  EXPECT_THAT(Next(2), ::testing::ElementsAre("p1 ContainerDied c1", "p1 ContainerRemoved c1"));
  EXPECT_THAT(Rest(), ::testing::IsEmpty());
}

TEST_F(EventedPlegTest, UnknownIdsAreResolvedOrDropped) {
  StartAndSettle(&source_);
  // Another client's container: the runtime knows no pod for it.
  ASSERT_TRUE(source_.Publish(Started("not-a-pod")));
  ASSERT_TRUE(WaitFor([&] { return evented_->Stats().unresolved == 1; }));

  // A new pod whose sandbox started before the relist ever saw it (the
  // event can beat the create call's return).
  runtime_.SetPod(MakePod("p2", {}, {C("s2", ContainerState::kRunning)}));
  resolvable_["s2"] = "p2";
  ASSERT_TRUE(source_.Publish(Started("s2")));
  EXPECT_THAT(Next(1), ::testing::ElementsAre("p2 ContainerStarted s2"));
  EXPECT_EQ(cache_.Get("p2").status->sandbox_statuses.size(), 1u);
  // Known now: its next event needs no resolving.
  const int resolves = resolves_;
  runtime_.SetPod(MakePod("p2", {}, {C("s2", ContainerState::kExited)}));
  ASSERT_TRUE(source_.Publish(Exited("s2")));
  EXPECT_THAT(Next(1), ::testing::ElementsAre("p2 ContainerDied s2"));
  EXPECT_EQ(resolves_, resolves);
}

TEST_F(EventedPlegTest, AStartTheCacheAlreadyShowsNeedsNoRead) {
  StartAndSettle(&source_);
  // A pod worker started c2 and read the pod back into the cache.
  runtime_.SetPod(MakePod("p1",
                          {C("c1", ContainerState::kRunning), C("c2", ContainerState::kRunning)},
                          {C("s1", ContainerState::kRunning)}));
  absl::StatusOr<container::PodStatusPtr> read = runtime_.GetPodStatus("p1", "name-p1", "default");
  ASSERT_TRUE(read.ok());
  cache_.Set("p1", *read, absl::OkStatus(), clock_.Now());
  resolvable_["c2"] = "p1";
  const int status_calls = runtime_.StatusCalls("p1");
  ASSERT_TRUE(source_.Publish(Started("c2")));
  EXPECT_THAT(Next(1), ::testing::ElementsAre("p1 ContainerStarted c2"));
  EXPECT_EQ(runtime_.StatusCalls("p1"), status_calls) << "the cached read served";
  EXPECT_TRUE(WaitFor([&] { return evented_->Stats().cache_hits == 1; }));
  // Known now: the relist has nothing new to say.
  relister_.Relist();
  EXPECT_THAT(Rest(), ::testing::IsEmpty());
}

// An exit that arrives while a batch of other pods' reads is under way does
// not wait for the whole batch: the batch yields after the read in progress.
TEST_F(EventedPlegTest, AnExitArrivingMidBatchGoesBeforeTheRestOfIt) {
  for (const char* n : {"0", "2", "3"}) {
    runtime_.SetPod(MakePod(std::string("p") + n,
                            {C(std::string("c") + n, ContainerState::kRunning)},
                            {C(std::string("s") + n, ContainerState::kRunning)}));
  }
  std::mutex mu;
  std::vector<std::string> reads;
  std::atomic<bool> hold_p0{false}, exit_sent{true};  // both armed after the start
  runtime_.OnGetPodStatus([&](const std::string& uid) {
    {
      std::lock_guard<std::mutex> lock(mu);
      reads.push_back(uid);
    }
    if (uid == "p0") {
      while (hold_p0.load()) absl::SleepFor(absl::Milliseconds(1));
    }
    if (uid == "p2" && !exit_sent.exchange(true)) {
      // c1 exits while p2 is being read; wait until the PLEG has it.
      const uint64_t before = evented_->Stats().events;
      runtime_.SetPod(
          MakePod("p1", {C("c1", ContainerState::kExited)}, {C("s1", ContainerState::kRunning)}));
      ASSERT_TRUE(source_.Publish(Exited("c1")));
      ASSERT_TRUE(WaitFor([&] { return evented_->Stats().events > before; }));
    }
  });
  Start({&source_});
  ASSERT_TRUE(source_.WaitLive());
  ASSERT_TRUE(WaitFor([&] { return relists_ >= 2; }));
  EXPECT_EQ(Next(8).size(), 8u);  // four pods started
  {
    std::lock_guard<std::mutex> lock(mu);
    reads.clear();
  }

  // p0's read holds the processing thread while p2's and p3's containers
  // go, so those two come as one batch; c1's exit arrives during p2's read.
  hold_p0 = true;
  exit_sent = false;
  for (const char* n : {"0", "2", "3"}) {
    runtime_.SetPod(
        MakePod(std::string("p") + n, {}, {C(std::string("s") + n, ContainerState::kRunning)}));
  }
  const uint64_t before = evented_->Stats().events;
  ASSERT_TRUE(source_.Publish(Deleted("c0")));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !reads.empty();
  }));
  ASSERT_TRUE(source_.Publish(Deleted("c2")));
  ASSERT_TRUE(source_.Publish(Deleted("c3")));
  ASSERT_TRUE(WaitFor([&] { return evented_->Stats().events >= before + 3; }));
  hold_p0 = false;

  // A running container gone: died, then removed.
  EXPECT_THAT(Next(7), ::testing::ElementsAre("p0 ContainerDied c0", "p0 ContainerRemoved c0",
                                              "p2 ContainerDied c2", "p2 ContainerRemoved c2",
                                              "p1 ContainerDied c1", "p3 ContainerDied c3",
                                              "p3 ContainerRemoved c3"));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_THAT(reads, ::testing::ElementsAre("p0", "p2", "p1", "p3"));
  }
  EXPECT_EQ(evented_->Stats().yields, 1u);
}

TEST_F(EventedPlegTest, ABrokenStreamRelistsAtOnceAndAnExitDuringTheOutageIsReported) {
  StartAndSettle(&source_);
  const int relists = relists_;
  source_.Break(absl::UnavailableError("containerd restarted"));
  // The exit happens while the stream is down: no event for it, ever.
  runtime_.SetPod(
      MakePod("p1", {C("c1", ContainerState::kExited)}, {C("s1", ContainerState::kRunning)}));
  ASSERT_TRUE(source_.WaitLive(/*starts=*/2));
  EXPECT_THAT(Next(1), ::testing::ElementsAre("p1 ContainerDied c1"));
  ASSERT_TRUE(WaitFor([&] { return relists_ >= relists + 2; }))
      << "one relist when the stream broke, one when it was back";
  EXPECT_EQ(evented_->Stats().stream_breaks, 1u);
  EXPECT_EQ(evented_->Stats().stream_starts, 2u);
  EXPECT_TRUE(evented_->Stats().live);
}

TEST_F(EventedPlegTest, ASourceTheRuntimeDoesNotOfferIsSkipped) {
  cri_events_.RefuseWatches(absl::UnimplementedError("unknown method GetContainerEvents"));
  Start({&cri_events_, &containerd_events_});
  ASSERT_TRUE(containerd_events_.WaitLive());
  ASSERT_TRUE(WaitFor([&] { return evented_->Stats().source == "containerd events"; }));
  EXPECT_EQ(cri_events_.Watches(), 1) << "probed once, never again";
}

TEST_F(EventedPlegTest, NoSourceLeavesTheRelistAtItsNormalPeriod) {
  source_.RefuseWatches(absl::UnimplementedError("no"));
  std::vector<std::string> logs;
  std::mutex logs_mu;
  Start({&source_}, EventedPleg::Options{.log = [&](std::string_view line) {
          std::lock_guard<std::mutex> lock(logs_mu);
          logs.emplace_back(line);
        }});
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(logs_mu);
    return !logs.empty() && absl::StrContains(logs.back(), "no event stream");
  }));
  EXPECT_FALSE(evented_->Stats().live);
  EXPECT_EQ(evented_->Stats().source, "");
  evented_->Stop();  // before `logs` goes
}

TEST_F(EventedPlegTest, WhileLiveAndIdleTheCacheIsKeptFresh) {
  StartAndSettle(&source_);
  clock_.Advance(absl::Seconds(5));
  const absl::Time after = clock_.Now();
  // A pod worker waiting for a status newer than its last sync goes on
  // within the cache update period, with no event and no relist.
  std::atomic<bool> done{false};
  cache_.SubscribeNewerThan("p1", after, [&](container::CachedPodStatus) { done = true; });
  EXPECT_TRUE(WaitFor([&] { return done.load(); }));
}

// While an event waits (here: a change the runtime does not show yet), the
// cache is still marked fresh every period, as of that event's arrival: pod
// workers waiting for older data go on, none gets a promise past it.
TEST_F(EventedPlegTest, WhileEventsWaitTheCacheIsFreshUpToTheOldest) {
  StartAndSettle(&source_);
  clock_.Advance(absl::Seconds(1));
  const absl::Time published = clock_.Now();
  ASSERT_TRUE(source_.Publish(Exited("c1")));  // c1 still runs in the runtime
  std::atomic<bool> older{false}, newer{false};
  // Another pod: only the cache-wide time can satisfy these (p1's own
  // re-reads stamp its entry).
  cache_.SubscribeNewerThan("p9", published - absl::Milliseconds(500),
                            [&](container::CachedPodStatus) { older = true; });
  // Past the event, not at it: the stream thread hands the event over a
  // little later, and a marking made before that is fresh as of `published`
  // (the fake clock stands still), which is no promise past the event.
  cache_.SubscribeNewerThan("p9", published + absl::Nanoseconds(1),
                            [&](container::CachedPodStatus) { newer = true; });
  EXPECT_TRUE(WaitFor([&] { return older.load(); }));
  EXPECT_FALSE(newer.load()) << "fresh past an event still waiting";
}

}  // namespace
}  // namespace cubelet::pleg
