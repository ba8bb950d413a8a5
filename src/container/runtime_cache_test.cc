// Runtime pod-list cache (C.8 #63).
#include "container/runtime_cache.h"

#include "gtest/gtest.h"

namespace cubelet::container {
namespace {

TEST(RuntimeCacheTest, GetPodsServesCacheForTwoSecondsThenRefreshes) {
  FakeClock clock;
  int lists = 0;
  RuntimeCache cache(
      [&]() -> absl::StatusOr<std::vector<Pod>> {
        ++lists;
        Pod p;
        p.id = "list-" + std::to_string(lists);
        return std::vector<Pod>{p};
      },
      &clock);
  auto pods = cache.GetPods();
  ASSERT_TRUE(pods.ok());
  EXPECT_EQ((**pods)[0].id, "list-1");
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ((**cache.GetPods())[0].id, "list-1");
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ((**cache.GetPods())[0].id, "list-2");
  EXPECT_EQ(lists, 2);
}

TEST(RuntimeCacheTest, ForceUpdateIfOlderRefreshesOnlyWhenOlder) {
  FakeClock clock;
  int lists = 0;
  RuntimeCache cache(
      [&]() -> absl::StatusOr<std::vector<Pod>> {
        ++lists;
        return std::vector<Pod>{};
      },
      &clock);
  ASSERT_TRUE(cache.GetPods().ok());
  absl::Time filled = clock.Now();
  ASSERT_TRUE(cache.ForceUpdateIfOlder(filled).ok());
  EXPECT_EQ(lists, 1) << "cache time == t is not older";
  ASSERT_TRUE(cache.ForceUpdateIfOlder(filled + absl::Milliseconds(1)).ok());
  EXPECT_EQ(lists, 2);
}

TEST(RuntimeCacheTest, ListErrorIsReturnedAndNothingCached) {
  FakeClock clock;
  RuntimeCache cache(
      []() -> absl::StatusOr<std::vector<Pod>> { return absl::UnavailableError("runtime down"); },
      &clock);
  EXPECT_EQ(cache.GetPods().status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cubelet::container
