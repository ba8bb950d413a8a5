// The whole engine on the in-memory CRI: pod workers -> KubeletPodSyncer ->
// RuntimeManager -> InMemoryRuntime, with a fake clock and a manually run
// executor. These are the kubelet behaviours a user sees: pods start, crash
// loops back off, deletes stop containers with the right grace, terminal pods
// finish, orphans are cleaned up.
#include "kubelet/pod_syncer_impl.h"

#include <asio/io_context.hpp>

#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/test_pods.h"
#include "kuberuntime/runtime_manager.h"
#include "podworkers/pod_workers.h"

namespace cubelet::kubelet {
namespace {

using podworkers::SyncPodType;
using podworkers::UpdatePodOptions;

constexpr const char* kImage = testing::kTestImage;

using testing::MakePod;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : cri_(&clock_),
        runtime_(&cri_, &cri_, &clock_,
                 kuberuntime::RuntimeManager::Options{.manage_host_state = false}),
        syncer_(&runtime_, &cache_, &statuses_, &clock_),
        workers_(io_.get_executor(), &syncer_, &cache_, &queue_, &clock_, {}) {
    cri_.AddImage(kImage);
    cache_.UpdateTime(clock_.Now());
  }

  void Send(SyncPodType type, api::PodPtr pod) {
    UpdatePodOptions o;
    o.update_type = type;
    o.pod = std::move(pod);
    workers_.UpdatePod(std::move(o));
    Drain();
  }

  // What PLEG does after a container event: one second later, re-inspect the
  // pod and store its status with the relist's start time.
  void Relist(const api::Pod& pod) {
    clock_.Advance(absl::Seconds(1));
    absl::Time start = clock_.Now();
    auto status =
        runtime_.GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
    ASSERT_TRUE(status.ok());
    cache_.Set(pod.metadata.uid, *status, absl::OkStatus(), start);
    cache_.UpdateTime(start);
  }

  void Drain() {
    for (;;) {
      io_.restart();
      if (io_.poll() == 0) break;
    }
  }

  // The id of the pod's newest container named `name`, from the runtime.
  std::string LatestContainerId(const api::Pod& pod) {
    auto status =
        runtime_.GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
    EXPECT_TRUE(status.ok());
    const auto* c = (*status)->FindContainerStatusByName("app");
    return c == nullptr ? "" : c->id;
  }

  api::ContainerStatus AppStatus(const api::Pod& pod) {
    auto s = syncer_.GetPodStatus(pod.metadata.uid);
    EXPECT_TRUE(s.has_value());
    EXPECT_EQ(s->container_statuses.size(), 1u);
    return s->container_statuses.empty() ? api::ContainerStatus{} : s->container_statuses[0];
  }

  FakeClock clock_;
  asio::io_context io_;
  cri::InMemoryRuntime cri_;
  kuberuntime::RuntimeManager runtime_;
  container::PodCache cache_;
  status::StatusManager statuses_;
  KubeletPodSyncer syncer_;
  podworkers::WorkQueue queue_{&clock_};
  podworkers::PodWorkers workers_;
};

TEST_F(EngineTest, CreatedPodRunsAndReportsRunning) {
  auto pod = MakePod("web", api::kRestartAlways);
  Send(SyncPodType::kCreate, pod);
  EXPECT_EQ(cri_.RunningContainerCount(), 1u);
  auto status = syncer_.GetPodStatus(pod->metadata.uid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->phase, api::kPodRunning);
  api::ContainerStatus app = AppStatus(*pod);
  ASSERT_TRUE(app.state.running.has_value());
  EXPECT_EQ(app.container_id, "containerd://" + LatestContainerId(*pod));
  EXPECT_EQ(app.restart_count, 0);
  EXPECT_FALSE(status->pod_ip.empty());
}

TEST_F(EngineTest, CrashingContainerRestartsThenBacksOff) {
  auto pod = MakePod("crash", api::kRestartAlways);
  Send(SyncPodType::kCreate, pod);
  ASSERT_TRUE(cri_.ExitContainer(LatestContainerId(*pod), 1).ok());
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  EXPECT_EQ(AppStatus(*pod).restart_count, 1) << "first restart is immediate";
  EXPECT_EQ(cri_.RunningContainerCount(), 1u);

  ASSERT_TRUE(cri_.ExitContainer(LatestContainerId(*pod), 1).ok());
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  api::ContainerStatus app = AppStatus(*pod);
  ASSERT_TRUE(app.state.waiting.has_value());
  EXPECT_EQ(app.state.waiting->reason, "CrashLoopBackOff");
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  ASSERT_TRUE(app.last_state.terminated.has_value());
  EXPECT_EQ(app.last_state.terminated->exit_code, 1);
  // The pod is due again exactly when the 10 s back-off from that exit ends,
  // not at the next periodic resync (kubernetes#133066).
  std::optional<absl::Time> due = queue_.Deadline(pod->metadata.uid);
  ASSERT_TRUE(due.has_value());
  ASSERT_TRUE(app.last_state.terminated->finished_at.has_value());
  EXPECT_EQ(*due, *app.last_state.terminated->finished_at + absl::Seconds(10));

  clock_.Advance(absl::Seconds(9));
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  EXPECT_EQ(cri_.RunningContainerCount(), 1u) << "restarted once the back-off expired";
  EXPECT_EQ(AppStatus(*pod).restart_count, 2);
}

TEST_F(EngineTest, DeletedPodStopsWithDeletionGraceAndFinishes) {
  auto pod = MakePod("del", api::kRestartAlways);
  Send(SyncPodType::kCreate, pod);
  std::string id = LatestContainerId(*pod);
  auto deleted = std::make_shared<api::Pod>(*pod);
  deleted->metadata.deletion_timestamp = clock_.Now();
  deleted->metadata.deletion_grace_period_seconds = 5;
  Relist(*pod);
  Send(SyncPodType::kUpdate, deleted);
  EXPECT_EQ(cri_.LastStopTimeout(id), 5);
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  EXPECT_TRUE(workers_.ShouldPodBeFinished(pod->metadata.uid));
  EXPECT_TRUE(workers_.ShouldPodContentBeRemoved(pod->metadata.uid));
}

// The final status of a stopped pod keeps the IP it had: its sandbox is gone
// but the API keeps showing it (upstream preserveDataFromBeforeStopping; the
// "Pod IPs ... during termination" conformance spec).
TEST_F(EngineTest, StoppedPodKeepsItsPodIpInItsFinalStatus) {
  auto pod = MakePod("ips", api::kRestartAlways);
  Send(SyncPodType::kCreate, pod);
  Relist(*pod);
  const std::string ip = syncer_.GetPodStatus(pod->metadata.uid)->pod_ip;
  ASSERT_FALSE(ip.empty());
  auto deleted = std::make_shared<api::Pod>(*pod);
  deleted->metadata.deletion_timestamp = clock_.Now();
  deleted->metadata.deletion_grace_period_seconds = 1;
  Send(SyncPodType::kUpdate, deleted);
  ASSERT_TRUE(workers_.ShouldPodBeFinished(pod->metadata.uid));
  auto final_status = syncer_.GetPodStatus(pod->metadata.uid);
  ASSERT_TRUE(final_status.has_value());
  EXPECT_EQ(final_status->phase, api::kPodFailed);
  EXPECT_EQ(final_status->pod_ip, ip);
  ASSERT_EQ(final_status->pod_ips.size(), 1u);
  EXPECT_EQ(final_status->pod_ips[0].ip, ip);
}

TEST_F(EngineTest, NeverPodThatSucceedsFinishesAsSucceeded) {
  auto pod = MakePod("job", api::kRestartNever);
  Send(SyncPodType::kCreate, pod);
  ASSERT_TRUE(cri_.ExitContainer(LatestContainerId(*pod), 0).ok());
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  EXPECT_TRUE(workers_.ShouldPodBeFinished(pod->metadata.uid));
  auto status = syncer_.GetPodStatus(pod->metadata.uid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->phase, api::kPodSucceeded);
  ASSERT_TRUE(AppStatus(*pod).state.terminated.has_value());
  EXPECT_EQ(AppStatus(*pod).state.terminated->reason, "Completed");
}

TEST_F(EngineTest, TerminatedPodReleasesItsResourcesOnceItsContainersAreGone) {
  std::vector<std::string> released;
  int running_when_released = -1;
  syncer_.SetReleasePodResourcesFunc([&](const api::Pod& p) {
    released.push_back(p.metadata.uid);
    running_when_released = static_cast<int>(cri_.RunningContainerCount());
    return absl::OkStatus();
  });
  auto pod = MakePod("job", api::kRestartNever);
  Send(SyncPodType::kCreate, pod);
  EXPECT_TRUE(released.empty()) << "nothing is released while the pod runs";
  ASSERT_TRUE(cri_.ExitContainer(LatestContainerId(*pod), 0).ok());
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  EXPECT_EQ(released, std::vector<std::string>{pod->metadata.uid});
  EXPECT_EQ(running_when_released, 0);
  EXPECT_TRUE(workers_.ShouldPodBeFinished(pod->metadata.uid));
}

TEST_F(EngineTest, ReleaseFailureRetriesTheTerminatedStep) {
  int calls = 0;
  syncer_.SetReleasePodResourcesFunc([&](const api::Pod&) {
    return ++calls == 1 ? absl::InternalError("umount: device busy") : absl::OkStatus();
  });
  auto pod = MakePod("busy", api::kRestartNever);
  Send(SyncPodType::kCreate, pod);
  ASSERT_TRUE(cri_.ExitContainer(LatestContainerId(*pod), 0).ok());
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(workers_.ShouldPodBeFinished(pod->metadata.uid)) << "not finished until released";
  clock_.Advance(absl::Seconds(11));
  Relist(*pod);
  Send(SyncPodType::kSync, pod);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(workers_.ShouldPodBeFinished(pod->metadata.uid));
}

TEST_F(EngineTest, OrphanRuntimePodIsStopped) {
  auto pod = MakePod("orphan", api::kRestartAlways);
  Send(SyncPodType::kCreate, pod);
  auto pods = runtime_.GetPods(false);
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  // A second set of workers that never saw the pod: housekeeping would find it
  // only in the runtime and kill it.
  podworkers::WorkQueue queue(&clock_);
  podworkers::PodWorkers fresh(io_.get_executor(), &syncer_, &cache_, &queue, &clock_, {});
  UpdatePodOptions kill;
  kill.update_type = SyncPodType::kKill;
  kill.running_pod = std::make_shared<container::Pod>((*pods)[0]);
  kill.kill_pod_options.emplace();
  kill.kill_pod_options->grace_period_override = 1;
  fresh.UpdatePod(kill);
  Drain();
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  EXPECT_FALSE(fresh.IsPodKnownToWorker(pod->metadata.uid));
}

TEST_F(EngineTest, MissingImageReportsErrImagePullAndLeavesOtherPodsAlone) {
  auto good = MakePod("good", api::kRestartAlways);
  Send(SyncPodType::kCreate, good);
  auto bad = MakePod("bad", api::kRestartAlways);
  bad->spec.containers[0].image = "example.invalid/none:1";
  Send(SyncPodType::kCreate, bad);
  api::ContainerStatus app = AppStatus(*bad);
  ASSERT_TRUE(app.state.waiting.has_value());
  EXPECT_EQ(app.state.waiting->reason, "ErrImagePull");
  EXPECT_EQ(cri_.RunningContainerCount(), 1u);
  EXPECT_TRUE(AppStatus(*good).state.running.has_value());
}

}  // namespace
}  // namespace cubelet::kubelet
