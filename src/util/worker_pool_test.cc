#include "util/worker_pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "gtest/gtest.h"

namespace cubelet {
namespace {

TEST(WorkerPoolTest, MoreTasksThanThreadsQueueAndAllRun) {
  WorkerPool pool(3);
  std::mutex mu;
  std::condition_variable cv;
  int running = 0, max_running = 0, done = 0;
  bool release = false;
  for (int i = 0; i < 10; ++i) {
    pool.Submit([&] {
      std::unique_lock<std::mutex> lock(mu);
      max_running = std::max(max_running, ++running);
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      --running;
      ++done;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return running == 3; });  // one task per thread, not one per task
    EXPECT_EQ(pool.threads(), 3u);
    release = true;
  }
  cv.notify_all();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == 10; });
  }
  EXPECT_EQ(max_running, 3);
  EXPECT_LE(pool.threads(), 3u);
}

TEST(WorkerPoolTest, ThreadsStartOnlyWhenNeeded) {
  WorkerPool pool(8);
  EXPECT_EQ(pool.threads(), 0u);
  std::atomic<int> ran{0};
  for (int i = 0; i < 5; ++i) {
    pool.Submit([&] { ++ran; });
    // Done, and its thread back to waiting (not merely past the task: a
    // Submit in between would rightly start a second thread).
    while (ran.load() != i + 1 || pool.idle_threads() != 1) std::this_thread::yield();
  }
  // Each task found the previous one's thread idle.
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(WorkerPoolTest, ShutdownDrainsQueuedAndNestedTasks) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2);
    for (int i = 0; i < 20; ++i) {
      pool.Submit([&pool, &ran] {
        ++ran;
        pool.Submit([&ran] { ++ran; });
      });
    }
  }  // the destructor runs everything
  EXPECT_EQ(ran.load(), 40);
}

}  // namespace
}  // namespace cubelet
