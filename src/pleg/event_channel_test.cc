#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pleg/generic_pleg.h"
#include "pleg/pleg.h"

namespace cubelet::pleg {
namespace {

PodLifecycleEvent Event(const std::string& uid, const std::string& cid) {
  return PodLifecycleEvent{
      .pod_uid = uid, .type = PodLifeCycleEventType::kContainerStarted, .container_id = cid};
}

TEST(EventChannelTest, DeliversInOrder) {
  EventChannel ch;
  EXPECT_EQ(ch.capacity(), 1000u);
  EXPECT_TRUE(ch.TryPush(Event("u", "a")));
  EXPECT_TRUE(ch.TryPush(Event("u", "b")));
  EXPECT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch.TryPop(), Event("u", "a"));
  EXPECT_EQ(ch.Pop(absl::Seconds(10)), Event("u", "b"));
  EXPECT_EQ(ch.TryPop(), std::nullopt);
  EXPECT_EQ(ch.dropped(), 0u);
}

TEST(EventChannelTest, FullChannelDropsAndCountsWithoutBlocking) {
  EventChannel ch(2);
  EXPECT_TRUE(ch.TryPush(Event("u", "a")));
  EXPECT_TRUE(ch.TryPush(Event("u", "b")));
  EXPECT_FALSE(ch.TryPush(Event("u", "c")));
  EXPECT_FALSE(ch.TryPush(Event("u", "d")));
  EXPECT_EQ(ch.dropped(), 2u);
  EXPECT_EQ(ch.size(), 2u);
  // Room again after a pop: the queue is bounded, not latched.
  EXPECT_EQ(ch.TryPop(), Event("u", "a"));
  EXPECT_TRUE(ch.TryPush(Event("u", "e")));
  EXPECT_EQ(ch.dropped(), 2u);
}

TEST(EventChannelTest, PopTimesOutWhenEmpty) {
  EventChannel ch;
  EXPECT_EQ(ch.Pop(absl::Milliseconds(1)), std::nullopt);
  EXPECT_EQ(ch.Pop(absl::ZeroDuration()), std::nullopt);
  EXPECT_EQ(ch.Pop(-absl::Seconds(1)), std::nullopt);
}

TEST(EventChannelTest, PopWakesOnPushFromAnotherThread) {
  EventChannel ch;
  std::thread producer([&] { ch.TryPush(Event("u", "a")); });
  EXPECT_EQ(ch.Pop(absl::Seconds(30)), Event("u", "a"));
  producer.join();
}

TEST(EventChannelTest, CloseWakesWaitersAndRefusesPushes) {
  EventChannel ch;
  ASSERT_TRUE(ch.TryPush(Event("u", "a")));
  std::thread closer([&] { ch.Close(); });
  closer.join();
  EXPECT_FALSE(ch.TryPush(Event("u", "b")));
  EXPECT_EQ(ch.dropped(), 0u);  // refused, not dropped for lack of room
  EXPECT_EQ(ch.Pop(absl::InfiniteDuration()), Event("u", "a"));
  EXPECT_EQ(ch.Pop(absl::InfiniteDuration()), std::nullopt);
}

TEST(EventChannelTest, BlockedPopReturnsOnClose) {
  EventChannel ch;
  std::thread consumer([&] { EXPECT_EQ(ch.Pop(absl::InfiniteDuration()), std::nullopt); });
  ch.Close();
  consumer.join();
}

TEST(PlegTypesTest, EventTypeNamesAreTheKubelets) {
  EXPECT_STREQ(ToString(PodLifeCycleEventType::kContainerStarted), "ContainerStarted");
  EXPECT_STREQ(ToString(PodLifeCycleEventType::kContainerDied), "ContainerDied");
  EXPECT_STREQ(ToString(PodLifeCycleEventType::kContainerRemoved), "ContainerRemoved");
  EXPECT_STREQ(ToString(PodLifeCycleEventType::kPodSync), "PodSync");
  EXPECT_STREQ(ToString(PodLifeCycleEventType::kContainerChanged), "ContainerChanged");
}

}  // namespace
}  // namespace cubelet::pleg
