#include "events/correlator.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "events/lru_cache.h"
#include "gtest/gtest.h"

namespace cubelet::events {
namespace {

ApiEvent MakeAt(FakeClock& clock, const std::string& object, const std::string& reason,
                const std::string& message) {
  ObjectReference ref{.kind = "Pod", .namespace_ = "default", .name = object, .uid = object};
  return MakeEvent(ref, kWarning, reason, message, clock.Now(), "kubelet", "node-1");
}

TEST(LruCacheTest, EvictsTheLeastRecentlyUsed) {
  LruCache<int> cache(2);
  cache.Put("a", 1);
  cache.Put("b", 2);
  ASSERT_NE(cache.Get("a"), nullptr);  // "b" is now the oldest
  cache.Put("c", 3);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_EQ(*cache.Get("a"), 1);
  cache.Put("a", 4);
  EXPECT_EQ(*cache.Get("a"), 4);
  EXPECT_EQ(*cache.Get("c"), 3);
}

TEST(EventCorrelatorTest, TheTenthDistinctMessageStartsAggregating) {
  FakeClock clock;
  EventCorrelator correlator(&clock);
  for (int i = 1; i <= 9; ++i) {
    CorrelateResult r = correlator.Correlate(MakeAt(clock, "web", "Failed", absl::StrCat("m", i)));
    ASSERT_FALSE(r.skip);
    EXPECT_EQ(r.event.message, absl::StrCat("m", i));
    EXPECT_TRUE(r.patch.is_null());
  }
  CorrelateResult tenth = correlator.Correlate(MakeAt(clock, "web", "Failed", "m10"));
  EXPECT_EQ(tenth.event.message, "(combined from similar events): m10");
  EXPECT_EQ(tenth.event.count, 1);
  EXPECT_TRUE(tenth.patch.is_null());
  CorrelateResult other_reason = correlator.Correlate(MakeAt(clock, "web", "BackOff", "m11"));
  EXPECT_EQ(other_reason.event.message, "m11") << "aggregation is per reason";
  CorrelateResult eleventh = correlator.Correlate(MakeAt(clock, "web", "Failed", "m11"));
  EXPECT_EQ(eleventh.event.name, tenth.event.name);
  EXPECT_EQ(eleventh.event.count, 2);
  EXPECT_EQ(eleventh.patch["message"], "(combined from similar events): m11");
}

TEST(EventCorrelatorTest, AQuietIntervalStartsAggregationAfresh) {
  FakeClock clock;
  EventCorrelator correlator(&clock);
  for (int i = 1; i <= 9; ++i) {
    correlator.Correlate(MakeAt(clock, "web", "Failed", absl::StrCat("m", i)));
  }
  clock.Advance(absl::Minutes(10) + absl::Seconds(1));
  EXPECT_EQ(correlator.Correlate(MakeAt(clock, "web", "Failed", "m10")).event.message, "m10");
}

TEST(EventCorrelatorTest, RepeatBecomesAPatchOfTheFirst) {
  FakeClock clock;
  EventCorrelator correlator(&clock);
  CorrelateResult first = correlator.Correlate(MakeAt(clock, "web", "BackOff", "back-off"));
  const absl::Time first_time = clock.Now();
  clock.Advance(absl::Seconds(30));
  CorrelateResult second = correlator.Correlate(MakeAt(clock, "web", "BackOff", "back-off"));
  EXPECT_EQ(second.event.name, first.event.name);
  EXPECT_EQ(second.event.count, 2);
  EXPECT_EQ(second.event.first_timestamp, first_time);
  EXPECT_EQ(second.event.last_timestamp, clock.Now());
  EXPECT_EQ(second.patch,
            (nlohmann::json{
                {"count", 2}, {"lastTimestamp", "2023-11-14T22:13:50Z"}, {"message", "back-off"}}));
}

TEST(EventCorrelatorTest, ForgottenEventsAreCreatedAgain) {
  FakeClock clock;
  EventCorrelator correlator(&clock, {.lru_cache_size = 1});
  correlator.Correlate(MakeAt(clock, "a", "BackOff", "x"));
  correlator.Correlate(MakeAt(clock, "b", "BackOff", "x"));
  CorrelateResult again = correlator.Correlate(MakeAt(clock, "a", "BackOff", "x"));
  EXPECT_EQ(again.event.count, 1);
  EXPECT_TRUE(again.patch.is_null());
}

TEST(EventCorrelatorTest, SpamFilteredEventsStillCount) {
  FakeClock clock;
  EventCorrelator correlator(&clock, {.spam_burst = 2});
  EXPECT_FALSE(correlator.Correlate(MakeAt(clock, "web", "BackOff", "x")).skip);
  EXPECT_FALSE(correlator.Correlate(MakeAt(clock, "web", "BackOff", "x")).skip);
  EXPECT_TRUE(correlator.Correlate(MakeAt(clock, "web", "BackOff", "x")).skip);
  clock.Advance(absl::Minutes(5));
  CorrelateResult next = correlator.Correlate(MakeAt(clock, "web", "BackOff", "x"));
  ASSERT_FALSE(next.skip);
  EXPECT_EQ(next.event.count, 4) << "the filtered occurrence is in the count";
}

TEST(EventCorrelatorTest, UpdateStateTakesTheServersName) {
  FakeClock clock;
  EventCorrelator correlator(&clock);
  CorrelateResult first = correlator.Correlate(MakeAt(clock, "web", "BackOff", "x"));
  ApiEvent written = first.event;
  written.name = "web.server-side";
  written.resource_version = "42";
  correlator.UpdateState(written);
  CorrelateResult second = correlator.Correlate(MakeAt(clock, "web", "BackOff", "x"));
  EXPECT_EQ(second.event.name, "web.server-side");
  EXPECT_EQ(second.event.resource_version, "42");
}

TEST(EventToJsonTest, LeavesEmptyFieldsOut) {
  FakeClock clock;
  ApiEvent event = MakeEvent({.kind = "Node", .name = "n", .uid = "n"}, kNormal, "Starting", "",
                             clock.Now(), "kubelet", "");
  nlohmann::json j = EventToJson(event);
  EXPECT_EQ(j["metadata"]["namespace"], "default");
  EXPECT_EQ(j["involvedObject"], (nlohmann::json{{"kind", "Node"}, {"name", "n"}, {"uid", "n"}}));
  EXPECT_FALSE(j.contains("message"));
  EXPECT_EQ(j["source"], (nlohmann::json{{"component", "kubelet"}}));
}

}  // namespace
}  // namespace cubelet::events
