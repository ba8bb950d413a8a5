#include "util/backoff.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet {
namespace {

constexpr absl::Duration kInitial = absl::Seconds(10);
constexpr absl::Duration kMax = absl::Seconds(300);

TEST(BackoffTest, DoublesUpToMax) {
  FakeClock clock;
  Backoff b(kInitial, kMax, &clock);
  EXPECT_EQ(b.Get("k"), absl::ZeroDuration());
  std::vector<int64_t> seen;
  for (int i = 0; i < 7; ++i) {
    b.Next("k", clock.Now());
    seen.push_back(absl::ToInt64Seconds(b.Get("k")));
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{10, 20, 40, 80, 160, 300, 300}));
}

TEST(BackoffTest, IsInBackOffSinceMeasuresFromEventTime) {
  FakeClock clock;
  Backoff b(kInitial, kMax, &clock);
  absl::Time finished = clock.Now();
  EXPECT_FALSE(b.IsInBackOffSince("k", finished));  // unknown key
  b.Next("k", finished);
  EXPECT_TRUE(b.IsInBackOffSince("k", finished));
  clock.Advance(absl::Seconds(9));
  EXPECT_TRUE(b.IsInBackOffSince("k", finished));
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(b.IsInBackOffSince("k", finished));
  EXPECT_FALSE(b.IsInBackOffSince("other", finished));
}

TEST(BackoffTest, IsInBackOffSinceUpdateMeasuresFromLastUpdate) {
  FakeClock clock;
  Backoff b(kInitial, kMax, &clock);
  b.Next("k", clock.Now());
  clock.Advance(absl::Seconds(5));
  EXPECT_TRUE(b.IsInBackOffSinceUpdate("k", clock.Now()));
  clock.Advance(absl::Seconds(5));
  EXPECT_FALSE(b.IsInBackOffSinceUpdate("k", clock.Now()));
}

TEST(BackoffTest, ExpiresAfterTwiceMax) {
  FakeClock clock;
  Backoff b(kInitial, kMax, &clock);
  for (int i = 0; i < 5; ++i) b.Next("k", clock.Now());
  EXPECT_EQ(b.Get("k"), absl::Seconds(160));
  // An event exactly 2·max after the last update is not yet expired...
  clock.Advance(2 * kMax);
  b.Next("k", clock.Now());
  EXPECT_EQ(b.Get("k"), absl::Seconds(300));
  // ...one more than that is, and starts over.
  clock.Advance(2 * kMax + absl::Seconds(1));
  EXPECT_FALSE(b.IsInBackOffSince("k", clock.Now()));
  b.Next("k", clock.Now());
  EXPECT_EQ(b.Get("k"), kInitial);
}

TEST(BackoffTest, ResetAndGC) {
  FakeClock clock;
  Backoff b(kInitial, kMax, &clock);
  b.Next("a", clock.Now());
  b.Next("b", clock.Now());
  b.Reset("a");
  EXPECT_EQ(b.Get("a"), absl::ZeroDuration());
  EXPECT_EQ(b.Size(), 1u);
  clock.Advance(2 * kMax);
  b.Next("c", clock.Now());
  b.GC();  // "b" is exactly 2·max old: kept
  EXPECT_EQ(b.Size(), 2u);
  clock.Advance(absl::Seconds(1));
  b.GC();
  EXPECT_EQ(b.Size(), 1u);
  EXPECT_EQ(b.Get("c"), kInitial);
}

TEST(BackoffTest, ConcurrentUse) {
  FakeClock clock;
  Backoff b(kInitial, kMax, &clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        std::string key = "k" + std::to_string((t + i) % 8);
        b.Next(key, clock.Now());
        b.IsInBackOffSince(key, clock.Now());
        if (i % 100 == 0) b.GC();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(b.Size(), 8u);
}

}  // namespace
}  // namespace cubelet
