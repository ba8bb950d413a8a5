// Concurrency stress: many pods, random updates and kills from several
// threads, on a real thread pool. Run under ThreadSanitizer in CI. Asserts
// the workers' promises: never two syncer calls for one pod at once, every
// kill ends in a finished pod, every surviving pod's last sync saw its last
// version.
#include <asio/thread_pool.hpp>
#include <random>
#include <thread>

#include "podworkers/pod_workers_test_util.h"

namespace cubelet::podworkers::testing {
namespace {

TEST(PodWorkersStressTest, RandomUpdatesAndKillsFromManyThreads) {
  constexpr int kPods = 200;
  constexpr int kThreads = 4;
  constexpr int kUpdatesPerThread = 2000;
  FakeClock clock;
  asio::thread_pool pool(3);
  container::PodCache cache;
  cache.UpdateTime(absl::InfiniteFuture());
  WorkQueue queue(&clock);
  FakePodSyncer syncer;
  PodWorkers workers(pool.get_executor(), &syncer, &cache, &queue, &clock, PodWorkers::Options{});

  std::vector<std::shared_ptr<api::Pod>> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back(NewPod("uid-" + std::to_string(i), "pod"));
  // Even pods get killed at the end; odd pods get a final, named version.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int n = 0; n < kUpdatesPerThread; ++n) {
        int i = static_cast<int>(rng() % kPods);
        auto pod = std::make_shared<api::Pod>(*pods[i]);
        pod->metadata.name = "v" + std::to_string(n);
        workers.UpdatePod(Update(n % 3 == 0 ? SyncPodType::kCreate : SyncPodType::kUpdate, pod));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kPods; ++i) {
    if (i % 2 == 0) {
      workers.UpdatePod(Kill(pods[i]));
    } else {
      auto last = std::make_shared<api::Pod>(*pods[i]);
      last->metadata.name = "final";
      workers.UpdatePod(Update(SyncPodType::kUpdate, last));
    }
  }
  ASSERT_TRUE(WaitUntil([&] { return !workers.AnyWorking(); }));
  pool.join();

  EXPECT_EQ(syncer.ConcurrentCalls(), 0);
  for (int i = 0; i < kPods; ++i) {
    const std::string uid = pods[i]->metadata.uid;
    auto records = syncer.RecordsFor(uid);
    ASSERT_FALSE(records.empty()) << uid;
    if (i % 2 == 0) {
      EXPECT_TRUE(workers.ShouldPodBeFinished(uid)) << uid;
      EXPECT_EQ(records.back().kind, FakePodSyncer::Kind::kTerminated) << uid;
    } else {
      EXPECT_EQ(records.back().kind, FakePodSyncer::Kind::kSync) << uid;
      EXPECT_EQ(records.back().pod_name, "final") << uid;
    }
  }
}

}  // namespace
}  // namespace cubelet::podworkers::testing
