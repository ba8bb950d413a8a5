// Pod status cache (C.8 #61–62).
#include "container/pod_cache.h"

#include <thread>

#include "gtest/gtest.h"

namespace cubelet::container {
namespace {

PodStatusPtr StatusNamed(const std::string& name) {
  auto s = std::make_shared<PodStatus>();
  s->name = name;
  return s;
}

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(PodCacheTest, GetOfUnknownUidIsEmptyAndOk) {
  PodCache cache;
  CachedPodStatus c = cache.Get("u");
  EXPECT_TRUE(c.error.ok());
  EXPECT_EQ(c.status->id, "u");
  EXPECT_TRUE(c.status->container_statuses.empty());
}

TEST(PodCacheTest, SetStoresStatusAndError) {
  PodCache cache;
  cache.Set("u", StatusNamed("a"), absl::UnavailableError("x"), kT0);
  CachedPodStatus c = cache.Get("u");
  EXPECT_EQ(c.status->name, "a");
  EXPECT_EQ(c.error.code(), absl::StatusCode::kUnavailable);
}

TEST(PodCacheTest, SubscribeIsImmediateWhenEntryStrictlyNewer) {
  PodCache cache;
  cache.Set("u", StatusNamed("a"), absl::OkStatus(), kT0);
  int calls = 0;
  cache.SubscribeNewerThan("u", kT0 - absl::Seconds(1), [&](CachedPodStatus c) {
    ++calls;
    EXPECT_EQ(c.status->name, "a");
  });
  EXPECT_EQ(calls, 1);
  cache.SubscribeNewerThan("u", kT0, [&](CachedPodStatus) { ++calls; });
  EXPECT_EQ(calls, 1) << "modified == minTime is not newer";
}

TEST(PodCacheTest, SubscribeIsImmediateWhenGlobalTimestampNewer) {
  PodCache cache;
  cache.UpdateTime(kT0);
  int calls = 0;
  cache.SubscribeNewerThan("missing", kT0 - absl::Seconds(1), [&](CachedPodStatus c) {
    ++calls;
    EXPECT_EQ(c.status->id, "missing");
  });
  EXPECT_EQ(calls, 1);
}

TEST(PodCacheTest, SubscriberWokenBySetOrUpdateTimeAtOrAfterMinTime) {
  PodCache cache;
  std::vector<std::string> seen;
  cache.SubscribeNewerThan("u", kT0, [&](CachedPodStatus c) { seen.push_back(c.status->name); });
  cache.Set("u", StatusNamed("old"), absl::OkStatus(), kT0 - absl::Seconds(1));
  EXPECT_TRUE(seen.empty());
  cache.Set("u", StatusNamed("new"), absl::OkStatus(), kT0);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "new");

  cache.SubscribeNewerThan("v", kT0,
                           [&](CachedPodStatus c) { seen.push_back("v:" + c.status->id); });
  cache.UpdateTime(kT0 - absl::Seconds(1));
  EXPECT_EQ(seen.size(), 1u);
  cache.UpdateTime(kT0 + absl::Seconds(1));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], "v:v");
}

TEST(PodCacheTest, OlderObservationNeverReplacesNewer) {
  PodCache cache;
  cache.Set("u", StatusNamed("new"), absl::OkStatus(), kT0);
  cache.Set("u", StatusNamed("old"), absl::OkStatus(), kT0 - absl::Seconds(1));
  EXPECT_EQ(cache.Get("u").status->name, "new");
  cache.Set("u", StatusNamed("same-time"), absl::OkStatus(), kT0);
  EXPECT_EQ(cache.Get("u").status->name, "same-time");
}

TEST(PodCacheTest, DeleteDoesNotNotify) {
  PodCache cache;
  int calls = 0;
  cache.SubscribeNewerThan("u", kT0, [&](CachedPodStatus) { ++calls; });
  cache.Delete("u");
  EXPECT_EQ(calls, 0);
}

TEST(PodCacheTest, GetNewerThanBlocksUntilSet) {
  PodCache cache;
  std::thread writer([&] { cache.Set("u", StatusNamed("w"), absl::OkStatus(), kT0); });
  CachedPodStatus c = cache.GetNewerThan("u", kT0 - absl::Seconds(1));
  writer.join();
  EXPECT_EQ(c.status->name, "w");
}

}  // namespace
}  // namespace cubelet::container
