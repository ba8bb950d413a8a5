#include "client/rate_limiter.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet::client {
namespace {

TEST(RateLimiterTest, BurstThenQps) {
  FakeClock clock;
  RateLimiter limiter(10, 3, &clock);
  EXPECT_TRUE(limiter.TryAccept());
  EXPECT_TRUE(limiter.TryAccept());
  EXPECT_TRUE(limiter.TryAccept());
  EXPECT_FALSE(limiter.TryAccept());
  clock.Advance(absl::Milliseconds(50));
  EXPECT_FALSE(limiter.TryAccept());
  clock.Advance(absl::Milliseconds(50));
  EXPECT_TRUE(limiter.TryAccept());
  EXPECT_FALSE(limiter.TryAccept());
  // Refills cap at burst.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAccept());
  EXPECT_FALSE(limiter.TryAccept());
}

TEST(RateLimiterTest, FractionalRate) {
  FakeClock clock;
  RateLimiter limiter(3, 1, &clock);
  EXPECT_TRUE(limiter.TryAccept());
  clock.Advance(absl::Seconds(1) / 3);
  EXPECT_TRUE(limiter.TryAccept());
}

TEST(RateLimiterTest, AcceptWaitsOnTheClock) {
  FakeClock clock;
  RateLimiter limiter(2, 1, &clock);
  EXPECT_TRUE(limiter.Accept());  // the burst: no wait
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    EXPECT_TRUE(limiter.Accept());
    done = true;
  });
  clock.AwaitWaiters(1);
  EXPECT_FALSE(done);
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(done);
  clock.Advance(absl::Milliseconds(1));
  waiter.join();
  EXPECT_TRUE(done);
  // The waiter used the refilled token.
  EXPECT_FALSE(limiter.TryAccept());
}

TEST(RateLimiterTest, WaitersAreServedInTurn) {
  FakeClock clock;
  RateLimiter limiter(1, 1, &clock);
  EXPECT_TRUE(limiter.Accept());
  std::atomic<int> done{0};
  std::thread a([&] {
    limiter.Accept();
    ++done;
  });
  clock.AwaitWaiters(1);
  std::thread b([&] {
    limiter.Accept();
    ++done;
  });
  clock.AwaitWaiters(2);
  clock.Advance(absl::Seconds(1));  // one token: the first reservation
  a.join();
  EXPECT_EQ(done, 1);
  clock.Advance(absl::Seconds(1));
  b.join();
  EXPECT_EQ(done, 2);
}

TEST(RateLimiterTest, CancelledAcceptGivesTheTokenBack) {
  FakeClock clock;
  RateLimiter limiter(1, 1, &clock);
  EXPECT_TRUE(limiter.TryAccept());
  CancelTokenPtr cancel = CancelToken::Create();
  std::thread waiter([&] { EXPECT_FALSE(limiter.Accept(cancel)); });
  clock.AwaitWaiters(1);
  cancel->Cancel();
  waiter.join();
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter.TryAccept());
  // Already cancelled: no token taken, no wait.
  EXPECT_FALSE(limiter.Accept(cancel));
}

TEST(RateLimiterTest, ZeroQpsIsUnlimited) {
  FakeClock clock;
  RateLimiter limiter(0, 0, &clock);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.TryAccept());
    EXPECT_TRUE(limiter.Accept());
  }
}

}  // namespace
}  // namespace cubelet::client
