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

TEST(FormatGoDurationTest, MatchesGoDurationString) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(5)), "5ns");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(1500)), "1.5ms");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(2500)), "2.5\u00b5s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(250)), "250ms");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(1)), "1s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(3)), "3m0s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(3) + absl::Seconds(1)), "3m1s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(3) + absl::Nanoseconds(1)), "3m0.000000001s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(26) + absl::Seconds(5)), "26h0m5s");
  EXPECT_EQ(FormatGoDuration(-absl::Seconds(90)), "-1m30s");
}

}  // namespace
}  // namespace cubelet::pleg
