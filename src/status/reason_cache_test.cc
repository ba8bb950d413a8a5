#include "status/reason_cache.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace cubelet::status {
namespace {

using container::PodSyncResult;
using container::SyncResult;

SyncResult Start(const std::string& name, absl::Status error = absl::OkStatus(),
                 std::string reason = "", std::string message = "") {
  return SyncResult{.action = SyncResult::Action::kStartContainer,
                    .target = name,
                    .error = std::move(error),
                    .reason = std::move(reason),
                    .message = std::move(message)};
}

TEST(ReasonCacheTest, FailedStartSetsSuccessfulStartClears) {
  ReasonCache cache;
  PodSyncResult r;
  r.results.push_back(Start("a", absl::UnavailableError("x"), container::kCrashLoopBackOff,
                            "back-off 10s restarting failed container=a pod=p_ns(u)"));
  r.results.push_back(Start("b", absl::NotFoundError("x"), container::kErrImagePull, "no image"));
  r.results.push_back(SyncResult{.action = SyncResult::Action::kKillContainer,
                                 .target = "c",
                                 .error = absl::InternalError("boom"),
                                 .reason = "KillContainerError"});
  cache.Update("u", r);
  EXPECT_EQ(cache.Get("u", "a"),
            (ReasonInfo{container::kCrashLoopBackOff,
                        "back-off 10s restarting failed container=a pod=p_ns(u)"}));
  EXPECT_EQ(cache.Get("u", "b"), (ReasonInfo{container::kErrImagePull, "no image"}));
  EXPECT_FALSE(cache.Get("u", "c").has_value());  // only starts are recorded
  EXPECT_FALSE(cache.Get("other", "a").has_value());

  PodSyncResult ok;
  ok.results.push_back(Start("a"));
  cache.Update("u", ok);
  EXPECT_FALSE(cache.Get("u", "a").has_value());
  EXPECT_TRUE(cache.Get("u", "b").has_value());
}

TEST(ReasonCacheTest, ReasonFallsBackToErrorText) {
  ReasonCache cache;
  PodSyncResult r;
  r.results.push_back(Start("a", absl::InternalError("RunContainerError")));
  cache.Update("u", r);
  EXPECT_EQ(cache.Get("u", "a")->reason, "RunContainerError");
}

TEST(ReasonCacheTest, RemovePodAndCapacity) {
  ReasonCache cache(3);
  cache.Add("u1", "a", {"R", "1"});
  cache.Add("u1", "b", {"R", "2"});
  cache.Add("u2", "a", {"R", "3"});
  cache.Add("u1", "a", {"R", "1b"});  // refreshes u1/a
  cache.Add("u3", "a", {"R", "4"});   // evicts the least recently set: u1/b
  EXPECT_EQ(cache.Size(), 3u);
  EXPECT_FALSE(cache.Get("u1", "b").has_value());
  EXPECT_EQ(cache.Get("u1", "a")->message, "1b");
  cache.RemovePod("u1");
  EXPECT_FALSE(cache.Get("u1", "a").has_value());
  EXPECT_EQ(cache.Size(), 2u);
  cache.Remove("u2", "a");
  EXPECT_EQ(cache.Size(), 1u);
}

TEST(ReasonCacheTest, ConcurrentUse) {
  ReasonCache cache(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        std::string uid = "u" + std::to_string((i + t) % 10);
        cache.Add(uid, "c" + std::to_string(i % 10), {"R", "m"});
        cache.Get(uid, "c1");
        if (i % 50 == 0) cache.RemovePod(uid);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.Size(), 64u);
}

}  // namespace
}  // namespace cubelet::status
