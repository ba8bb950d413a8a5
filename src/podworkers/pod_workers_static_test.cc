// Static pods: one started UID per full name, first come first served
// (TestStaticPodExclusion, Test_allowPodStart; scenarios C.5 and C.6 #52).
#include "gmock/gmock.h"
#include "podworkers/pod_workers_test_util.h"

namespace cubelet::podworkers::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class StaticPodTest : public PodWorkersTestBase {};

// C.5 #41–43.
TEST_F(StaticPodTest, ExclusionKillBeforeStartAndHandOver) {
  auto normal = NewPod("1", "pod1", "test1");
  auto s2 = NewStaticPod("2", "pod1", "test1");
  workers_->UpdatePod(Update(SyncPodType::kCreate, normal));
  workers_->UpdatePod(Update(SyncPodType::kCreate, s2));
  Drain();
  EXPECT_THAT(Kinds("1"), ElementsAre(Kind::kSync));
  EXPECT_THAT(Kinds("2"), ElementsAre(Kind::kSync));

  auto s3 = NewStaticPod("3", "pod1", "test1");
  auto s4 = NewStaticPod("4", "pod1", "test1");
  workers_->UpdatePod(Update(SyncPodType::kCreate, s3));
  workers_->UpdatePod(Update(SyncPodType::kCreate, s4));
  Drain();
  EXPECT_THAT(Kinds("3"), IsEmpty());
  EXPECT_THAT(Kinds("4"), IsEmpty());
  EXPECT_THAT(workers_->StartedStaticPods(), UnorderedElementsAre(Pair("pod1_test1", "2")));
  EXPECT_THAT(workers_->WaitingStaticPods(),
              UnorderedElementsAre(Pair("pod1_test1", ElementsAre("3", "4"))));
  EXPECT_GE(QueuedDelay("3"), absl::Seconds(10));
  EXPECT_GE(QueuedDelay("4"), absl::Seconds(10));

  // #42: killing a pod that never started finishes it without any sync call.
  queue_.GetWork();
  clock_.Advance(absl::Seconds(20));
  queue_.GetWork();
  workers_->UpdatePod(Kill(s3));
  Drain();
  EXPECT_THAT(Kinds("3"), IsEmpty());
  EXPECT_TRUE(Snap("3").finished);
  EXPECT_TRUE(workers_->IsPodKnownTerminated("3"));
  EXPECT_FALSE(queue_.Deadline("3").has_value());
  EXPECT_THAT(workers_->WaitingStaticPods(),
              UnorderedElementsAre(Pair("pod1_test1", ElementsAre("3", "4"))));

  // #46: the mirror guard is up only while the started pod terminates.
  EXPECT_FALSE(workers_->IsPodForMirrorPodTerminatingByFullName("pod1_test1"));
  workers_->UpdatePod(Kill(s2));
  EXPECT_TRUE(workers_->IsPodForMirrorPodTerminatingByFullName("pod1_test1"));
  Drain();
  EXPECT_FALSE(workers_->IsPodForMirrorPodTerminatingByFullName("pod1_test1"));
  EXPECT_THAT(workers_->StartedStaticPods(), IsEmpty());

  // #43: the next update of 4 starts it, skipping the killed 3.
  workers_->UpdatePod(Update(SyncPodType::kUpdate, s4));
  Drain();
  EXPECT_THAT(Kinds("4"), ElementsAre(Kind::kSync));
  EXPECT_THAT(workers_->StartedStaticPods(), UnorderedElementsAre(Pair("pod1_test1", "4")));
  EXPECT_THAT(workers_->WaitingStaticPods(), IsEmpty());
}

// C.5 #44.
TEST_F(StaticPodTest, StartOrderIsFirstComeFirstServed) {
  auto s6 = NewStaticPod("6", "pod", "ns");
  auto s7 = NewStaticPod("7", "pod", "ns");
  auto s8 = NewStaticPod("8", "pod", "ns");
  auto s9 = NewStaticPod("9", "pod", "ns");
  for (const auto& p : {s6, s7, s8, s9}) workers_->UpdatePod(Update(SyncPodType::kCreate, p));
  Drain();
  workers_->UpdatePod(Kill(s6));
  Drain();
  EXPECT_THAT(Kinds("7"), IsEmpty()) << "nothing starts by itself";
  workers_->UpdatePod(Update(SyncPodType::kUpdate, s8));
  Drain();
  EXPECT_THAT(Kinds("8"), IsEmpty()) << "7 is still first in line";
  workers_->UpdatePod(Kill(s7));
  workers_->UpdatePod(Update(SyncPodType::kUpdate, s8));
  Drain();
  EXPECT_THAT(Kinds("8"), ElementsAre(Kind::kSync));
  EXPECT_THAT(Kinds("9"), IsEmpty());
}

// C.5 #45: a kill requested but not yet seen by its worker makes the pod lose
// its place; it later terminates without syncing.
TEST_F(StaticPodTest, DelayedDeliverySkipsPodWithRequestedTermination) {
  auto s4 = NewStaticPod("4", "pod", "ns");
  auto s5 = NewStaticPod("5", "pod", "ns");
  workers_->UpdatePod(Update(SyncPodType::kCreate, s4));
  workers_->UpdatePod(Update(SyncPodType::kCreate, s5));
  Drain();
  workers_->UpdatePod(Kill(s5));  // not delivered yet: no Drain
  auto s6 = NewStaticPod("6", "pod", "ns");
  workers_->UpdatePod(Update(SyncPodType::kCreate, s6));
  EXPECT_THAT(workers_->WaitingStaticPods(),
              UnorderedElementsAre(Pair("pod_ns", ElementsAre("5", "6"))));
  workers_->UpdatePod(Kill(s4));
  Drain();
  workers_->UpdatePod(Update(SyncPodType::kUpdate, s6));
  Drain();
  EXPECT_THAT(Kinds("6"), ElementsAre(Kind::kSync));
  EXPECT_THAT(Kinds("5"), IsEmpty());
  EXPECT_TRUE(Snap("5").finished);
  EXPECT_THAT(workers_->WaitingStaticPods(), IsEmpty());
}

// C.5 #47: non-static pods with the same full name never wait.
TEST_F(StaticPodTest, NonStaticPodsNeverWait) {
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewStaticPod("1", "pod", "ns")));
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("2", "pod", "ns")));
  workers_->UpdatePod(Update(SyncPodType::kCreate, NewPod("3", "pod", "ns")));
  Drain();
  EXPECT_THAT(Kinds("2"), ElementsAre(Kind::kSync));
  EXPECT_THAT(Kinds("3"), ElementsAre(Kind::kSync));
}

// C.6 #52.
TEST_F(StaticPodTest, SyncKnownPodsResultMap) {
  auto p1 = NewPod("1", "normal", "ns");
  auto p2 = NewStaticPod("2", "static", "ns");
  auto p3 = NewStaticPod("3", "static", "ns");
  auto p4 = NewStaticPod("4", "static", "ns");
  workers_->UpdatePod(Update(SyncPodType::kCreate, p1));
  workers_->UpdatePod(Update(SyncPodType::kCreate, p2));
  workers_->UpdatePod(Update(SyncPodType::kCreate, p3));
  Drain();
  workers_->UpdatePod(Kill(p3));  // never started
  workers_->UpdatePod(Kill(p2));
  Drain();
  workers_->UpdatePod(Update(SyncPodType::kCreate, p4));
  Drain();
  ASSERT_THAT(Kinds("4"), ElementsAre(Kind::kSync));
  auto result = workers_->SyncKnownPods({p1, p2, p3, p4});
  EXPECT_EQ(result.size(), 4u);
  EXPECT_EQ(result.at("1"), (PodWorkerSync{PodWorkerState::kSync, false, true, false}));
  EXPECT_EQ(result.at("2"), (PodWorkerSync{PodWorkerState::kTerminated, false, true, true}));
  // 3 never started: it has no active update, only the pending one it kept.
  EXPECT_EQ(result.at("3").state, PodWorkerState::kTerminated);
  EXPECT_EQ(result.at("4"), (PodWorkerSync{PodWorkerState::kSync, false, true, true}));
  EXPECT_TRUE(Snap("3").finished);
  EXPECT_FALSE(Snap("3").working);
  result = workers_->SyncKnownPods({p1, p2, p4});
  EXPECT_FALSE(result.contains("3"));
}

}  // namespace
}  // namespace cubelet::podworkers::testing
