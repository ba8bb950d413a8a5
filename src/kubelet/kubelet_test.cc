// The sync loop on the in-memory CRI, driven by hand: config updates and PLEG
// events go through the inbox, housekeeping runs when asked, the executor is
// an io_context drained by the test, and the clock is fake. No sleeps.
#include "kubelet/kubelet.h"

#include <asio/io_context.hpp>

#include "cri/inmemory/in_memory_runtime.h"
#include "events/testing/fake_recorder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/test_pods.h"
#include "metrics/registry.h"
#include "prober/testing/fake_prober.h"

namespace cubelet::kubelet {
namespace {

constexpr const char* kImage = testing::kTestImage;

using testing::MakePod;

config::PodUpdate Update(config::PodOperation op, std::vector<api::PodPtr> pods) {
  config::PodUpdate u;
  u.op = op;
  u.source = config::kFileSource;
  u.pods = std::move(pods);
  return u;
}

class KubeletTest : public ::testing::Test {
 protected:
  KubeletTest() : cri_(&clock_) {
    cri_.AddImage(kImage);
    kubelet_ = NewKubelet();
  }

  std::unique_ptr<Kubelet> NewKubelet() {
    registry_ = std::make_unique<metrics::Registry>();
    return std::make_unique<Kubelet>(Deps(), options_);
  }

  void Drain() {
    for (;;) {
      io_.restart();
      if (io_.poll() == 0) break;
    }
  }

  // One turn of the world: time passes, the PLEG relists, the loop handles
  // what came in (with the tick and, if asked, housekeeping), workers run.
  void Turn(bool housekeeping = false) {
    clock_.Advance(absl::Seconds(1));
    kubelet_->RelistNow();
    kubelet_->prober_manager().RunDueProbes();
    Drain();
    kubelet_->SyncLoopIteration(/*tick=*/true, housekeeping);
    Drain();
  }
  void Settle(int turns = 4, bool housekeeping = false) {
    kubelet_->SyncLoopIteration(false, housekeeping);
    Drain();
    for (int i = 0; i < turns; ++i) Turn(housekeeping);
  }

  std::optional<api::Pod> FindPod(const std::string& name) {
    for (api::Pod& p : kubelet_->GetPods()) {
      if (p.metadata.name == name) return p;
    }
    return std::nullopt;
  }

  int RunningContainers() {
    int n = 0;
    for (const std::string& id : cri_.ContainerIds()) {
      auto s = cri_.GetContainerStatus(id);
      if (s.ok() && s->state == cri::ContainerState::kRunning) ++n;
    }
    return n;
  }

  static KubeletOptions DefaultOptions() {
    KubeletOptions options;
    options.node_name = "node1";
    options.host_ip = "192.0.2.10";
    options.manage_host_state = false;
    return options;
  }

  KubeletDeps Deps() {
    return KubeletDeps{.runtime_service = &cri_,
                       .image_service = &cri_,
                       .clock = &clock_,
                       .executor = io_.get_executor(),
                       .registry = registry_.get(),
                       .prober = &prober_,
                       .recorder = &recorder_,
                       .pleg_generators = pleg_generators_};
  }

  prober::FakeProber prober_;
  events::testing::FakeRecorder recorder_;
  std::vector<PlegFactory> pleg_generators_;
  KubeletOptions options_ = DefaultOptions();
  FakeClock clock_;
  asio::io_context io_;
  cri::InMemoryRuntime cri_;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<Kubelet> kubelet_;
};

TEST_F(KubeletTest, AddedPodsRunAndReportStatus) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web"), MakePod("db")}));
  Settle();
  std::vector<api::Pod> pods = kubelet_->GetPods();
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[0].metadata.name, "db");  // sorted
  for (const api::Pod& pod : pods) {
    EXPECT_EQ(pod.status.phase, "Running") << pod.metadata.name;
    EXPECT_EQ(pod.status.host_ip, "192.0.2.10");
    ASSERT_EQ(pod.status.container_statuses.size(), 1u);
    EXPECT_THAT(pod.status.container_statuses[0].container_id,
                ::testing::StartsWith("containerd://"));
    EXPECT_TRUE(pod.status.start_time.has_value());
  }
  EXPECT_EQ(RunningContainers(), 2);
  EXPECT_GE(kubelet_->status_manager().GetPodStatus("uid-web")->version, 1u);
  std::string metrics = registry_->Render();
  EXPECT_THAT(metrics, ::testing::HasSubstr("kubelet_pod_start_duration_seconds_count 2"));
  EXPECT_THAT(metrics, ::testing::HasSubstr("kubelet_pod_worker_duration_seconds_count{"
                                            "operation_type=\"create\"}"));
}

// The kubelet's canAdmitPod/rejectPod: a pod the node does not fit is Failed
// with the predicate's reason, never started, and housekeeping leaves it be.
TEST_F(KubeletTest, PodTheNodeRefusesIsFailedAndNeverStarted) {
  auto wrong_node = std::make_shared<api::Pod>(*MakePod("picky"));
  wrong_node->spec.node_selector = {{"disktype", "ssd"}};
  auto windows = std::make_shared<api::Pod>(*MakePod("win"));
  windows->spec.os = api::PodOS{"windows"};
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {wrong_node, windows, MakePod("web")}));
  Settle(4, /*housekeeping=*/true);
  std::optional<api::Pod> picky = FindPod("picky");
  ASSERT_TRUE(picky.has_value());
  EXPECT_EQ(picky->status.phase, api::kPodFailed);
  EXPECT_EQ(picky->status.reason, "NodeAffinity");
  EXPECT_EQ(picky->status.message,
            "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node "
            "affinity/selector");
  EXPECT_EQ(picky->status.qos_class, "BestEffort");
  std::optional<api::Pod> win = FindPod("win");
  ASSERT_TRUE(win.has_value());
  EXPECT_EQ(win->status.phase, api::kPodFailed);
  EXPECT_EQ(win->status.reason, "PodOSNotSupported");
  EXPECT_EQ(RunningContainers(), 1) << "only web runs";
  EXPECT_EQ(FindPod("web")->status.phase, "Running");
  // Housekeeping restarts workers of admitted pods only.
  EXPECT_FALSE(kubelet_->pod_workers().IsPodKnownToWorker(wrong_node->metadata.uid));
  // rejectPod's Warning event, and the started pod's container events.
  std::vector<std::string> events = recorder_.Events();
  EXPECT_THAT(events, ::testing::Contains(
                          "Warning NodeAffinity Predicate NodeAffinity failed: node(s) didn't "
                          "match Pod's node affinity/selector"));
  EXPECT_THAT(events, ::testing::Contains(::testing::StartsWith("Warning PodOSNotSupported ")));
  EXPECT_THAT(events, ::testing::Contains("Normal Started Started container app"));

  // Removing a rejected pod forgets it; nothing was running to stop.
  kubelet_->OnPodUpdate(Update(config::PodOperation::kRemove, {wrong_node}));
  Settle(2, /*housekeeping=*/true);
  EXPECT_FALSE(FindPod("picky").has_value());
  EXPECT_EQ(RunningContainers(), 1);
}

TEST_F(KubeletTest, PodIsPendingBeforeItsFirstSync) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web")}));
  kubelet_->SyncLoopIteration(false, false);  // no drain: the worker has not run
  std::optional<api::Pod> pod = FindPod("web");
  ASSERT_TRUE(pod.has_value());
  EXPECT_EQ(pod->status.phase, "Pending");
}

TEST_F(KubeletTest, ExitNoticedThroughPlegAndRestarted) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web")}));
  Settle();
  std::string first = FindPod("web")->status.container_statuses[0].container_id;
  ASSERT_TRUE(cri_.ExitContainer(first.substr(strlen("containerd://")), 1).ok());
  Settle(2);
  api::ContainerStatus s = FindPod("web")->status.container_statuses[0];
  EXPECT_EQ(s.restart_count, 1);
  EXPECT_NE(s.container_id, first);
  ASSERT_TRUE(s.last_state.terminated.has_value());
  EXPECT_EQ(s.last_state.terminated->exit_code, 1);
}

TEST_F(KubeletTest, RemovedPodIsKilledThenCleanedUp) {
  api::PodPtr web = MakePod("web");
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {web, MakePod("db")}));
  Settle();
  ASSERT_EQ(RunningContainers(), 2);
  kubelet_->OnPodUpdate(Update(config::PodOperation::kRemove, {web}));
  Settle(3, /*housekeeping=*/true);
  EXPECT_FALSE(FindPod("web").has_value());
  EXPECT_EQ(RunningContainers(), 1);  // db untouched
  EXPECT_FALSE(kubelet_->status_manager().GetPodStatus("uid-web").has_value());
  EXPECT_FALSE(kubelet_->pod_workers().IsPodKnownToWorker("uid-web"));
  // The dead sandbox was removed from the runtime.
  auto pods = kubelet_->runtime_manager().GetPods(true);
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].id, "uid-db");
}

TEST_F(KubeletTest, OrphanedRuntimePodIsKilledOnlyOnceSourcesAreSeen) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("old")}));
  Settle();
  ASSERT_EQ(RunningContainers(), 1);

  // A new agent whose sources have not reported yet must not touch it.
  kubelet_.reset();
  kubelet_ = NewKubelet();
  bool ready = false;
  kubelet_->SetSourcesReady([&ready] { return ready; });
  Settle(3, /*housekeeping=*/true);
  EXPECT_EQ(RunningContainers(), 1);

  ready = true;  // the sources were seen, without the pod: it is an orphan
  Settle(3, /*housekeeping=*/true);
  EXPECT_EQ(RunningContainers(), 0);
  auto pods = kubelet_->runtime_manager().GetPods(true);
  ASSERT_TRUE(pods.ok());
  EXPECT_TRUE(pods->empty());
}

TEST_F(KubeletTest, RestartedAgentAdoptsRunningPodsWithoutRestarts) {
  api::PodPtr web = MakePod("web");
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {web}));
  Settle();
  std::string id = FindPod("web")->status.container_statuses[0].container_id;
  ASSERT_TRUE(cri_.ExitContainer(id.substr(strlen("containerd://")), 2).ok());
  Settle(2);
  api::ContainerStatus before = FindPod("web")->status.container_statuses[0];
  ASSERT_EQ(before.restart_count, 1);
  const int creates = cri_.CallCount("CreateContainer");
  const int stops = cri_.CallCount("StopContainer");

  kubelet_.reset();  // the agent goes away; containers stay
  kubelet_ = NewKubelet();
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {web}));
  Settle(4, /*housekeeping=*/true);
  api::ContainerStatus after = FindPod("web")->status.container_statuses[0];
  EXPECT_EQ(after.container_id, before.container_id);
  EXPECT_EQ(after.restart_count, 1);  // read back from the CRI annotations
  EXPECT_EQ(cri_.CallCount("CreateContainer"), creates);
  EXPECT_EQ(cri_.CallCount("StopContainer"), stops);
  EXPECT_EQ(FindPod("web")->status.phase, "Running");
}

TEST_F(KubeletTest, DesiredPodWhosePurgedWorkerIsGoneStartsAgain) {
  api::PodPtr job = MakePod("job", "Never");
  cri_.SetExitOnStart("app", 0);
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {job}));
  Settle(4, /*housekeeping=*/true);
  EXPECT_EQ(FindPod("job")->status.phase, "Succeeded");
  // Removed and added back with the same UID (same file content): a new run.
  kubelet_->OnPodUpdate(Update(config::PodOperation::kRemove, {job}));
  Settle(3, /*housekeeping=*/true);
  cri_.ClearExitOnStart("app");
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {job}));
  Settle(4, /*housekeeping=*/true);
  EXPECT_EQ(FindPod("job")->status.phase, "Running");
  EXPECT_EQ(RunningContainers(), 1);
}

TEST_F(KubeletTest, RuntimeDownIsUnhealthyAndNothingIsKilled) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web")}));
  Settle();
  cri_.SetDown(true);
  kubelet_->Start();  // checks the runtime at once
  absl::Status health = kubelet_->Healthy();
  EXPECT_EQ(health.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(health.message()), ::testing::HasSubstr("container runtime is down"));
  kubelet_->Stop();
  cri_.SetDown(false);
  EXPECT_EQ(RunningContainers(), 1);
}

TEST_F(KubeletTest, HealthyOnceRuntimeAndPlegAreUp) {
  kubelet_->Start();
  // Start() checked the runtime; the PLEG's first relist ran on its thread or
  // runs here.
  kubelet_->RelistNow();
  EXPECT_TRUE(kubelet_->Healthy().ok()) << kubelet_->Healthy();
  kubelet_->Stop();
}

TEST_F(KubeletTest, ContainerGcKeepsTheNewestDeadContainerPerName) {
  options_.backoff_initial = absl::Seconds(1);
  options_.backoff_max = absl::Seconds(1);
  options_.container_gc_period = absl::Seconds(3);
  kubelet_ = NewKubelet();
  cri_.SetExitOnStart("app", 1);
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("crashy")}));
  Settle(20, /*housekeeping=*/true);
  const int restarts = FindPod("crashy")->status.container_statuses[0].restart_count;
  EXPECT_GE(restarts, 4);
  // It stops crashing; the next GC pass leaves one dead instance.
  cri_.ClearExitOnStart("app");
  Settle(4, /*housekeeping=*/true);
  clock_.Advance(options_.container_gc_period);
  Turn(/*housekeeping=*/true);
  auto pods = kubelet_->runtime_manager().GetPods(true);
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  int exited = 0, running = 0;
  for (const container::Container& c : (*pods)[0].containers) {
    if (c.state == container::ContainerState::kExited) ++exited;
    if (c.state == container::ContainerState::kRunning) ++running;
  }
  EXPECT_EQ(exited, 1);
  EXPECT_EQ(running, 1);
  // The kept instance carries the restart count.
  api::ContainerStatus s = FindPod("crashy")->status.container_statuses[0];
  EXPECT_GE(s.restart_count, restarts);
  ASSERT_TRUE(s.last_state.terminated.has_value());
  EXPECT_EQ(s.last_state.terminated->exit_code, 1);
}

TEST_F(KubeletTest, ActiveDeadlineFailsAndStopsThePod) {
  auto pod = std::make_shared<api::Pod>(*MakePod("deadline"));
  pod->spec.active_deadline_seconds = 10;
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {pod, MakePod("other")}));
  Settle();
  ASSERT_EQ(FindPod("deadline")->status.phase, "Running");
  absl::Time started = *FindPod("deadline")->status.start_time;
  // Just before the deadline nothing happens.
  clock_.Advance(started + absl::Seconds(10) - clock_.Now() - absl::Milliseconds(1500));
  Turn();
  EXPECT_EQ(FindPod("deadline")->status.phase, "Running");
  // At the deadline the next tick syncs it: Failed, DeadlineExceeded, killed.
  Settle(2);
  api::Pod failed = *FindPod("deadline");
  EXPECT_EQ(failed.status.phase, "Failed");
  EXPECT_EQ(failed.status.reason, "DeadlineExceeded");
  EXPECT_EQ(failed.status.message, "Pod was active on the node longer than the specified deadline");
  EXPECT_EQ(RunningContainers(), 1);  // only "other"
  EXPECT_EQ(FindPod("other")->status.phase, "Running");
}

TEST(ActiveDeadlineTest, PastActiveDeadline) {
  api::Pod pod;
  absl::Time start = absl::FromUnixSeconds(1000);
  EXPECT_FALSE(PastActiveDeadline(pod, start, start + absl::Hours(1)));  // no deadline
  pod.spec.active_deadline_seconds = 30;
  EXPECT_FALSE(PastActiveDeadline(pod, std::nullopt, start + absl::Hours(1)));  // not started
  EXPECT_FALSE(PastActiveDeadline(pod, start, start + absl::Seconds(29)));
  EXPECT_TRUE(PastActiveDeadline(pod, start, start + absl::Seconds(30)));
}

TEST_F(KubeletTest, MetricsCountRunningPodsAndContainers) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web"), MakePod("db")}));
  Settle(3, /*housekeeping=*/true);
  std::string metrics = registry_->Render();
  EXPECT_THAT(metrics, ::testing::HasSubstr("kubelet_running_pods 2"));
  EXPECT_THAT(metrics,
              ::testing::HasSubstr("kubelet_running_containers{container_state=\"running\"} 2"));
  EXPECT_THAT(metrics, ::testing::HasSubstr("kubelet_node_name{node=\"node1\"} 1"));
}

// Housekeeping takes the runtime's pods from the PLEG's view (the runtime
// cache), not from a CRI list every 2 s; it asks the CRI when the view is not
// to be trusted: before the first relist and after a failed one.
TEST_F(KubeletTest, HousekeepingReadsThePlegViewNotTheCri) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web")}));
  kubelet_->SyncLoopIteration(false, /*housekeeping=*/false);
  Drain();
  int lists = cri_.CallCount("ListPodSandbox");
  kubelet_->SyncLoopIteration(false, /*housekeeping=*/true);  // no relist yet
  Drain();
  EXPECT_EQ(cri_.CallCount("ListPodSandbox"), lists + 1);

  Settle(3);
  lists = cri_.CallCount("ListPodSandbox");
  kubelet_->SyncLoopIteration(false, /*housekeeping=*/true);
  Drain();
  EXPECT_EQ(cri_.CallCount("ListPodSandbox"), lists);
  EXPECT_THAT(registry_->Render(), ::testing::HasSubstr("kubelet_running_pods 1"));

  cri_.InjectError("ListPodSandbox", absl::UnavailableError("socket gone"));
  kubelet_->RelistNow();
  lists = cri_.CallCount("ListPodSandbox");
  kubelet_->SyncLoopIteration(false, /*housekeeping=*/true);
  Drain();
  EXPECT_EQ(cri_.CallCount("ListPodSandbox"), lists + 1);
}

// A sync that changes nothing (the periodic resync) reads nothing back from
// the runtime; one that acts (a restart) does.
TEST_F(KubeletTest, ASyncThatDoesNothingReadsNothingBack) {
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {MakePod("web")}));
  Settle(3);
  ASSERT_EQ(RunningContainers(), 1);
  const int reads = cri_.CallCount("GetPodSandboxStatus");
  const std::string before = registry_->Render();
  clock_.Advance(options_.sync_frequency + absl::Seconds(5));  // the resync is due
  Turn();
  Turn();
  EXPECT_NE(registry_->Render(), before) << "no resync ran";
  EXPECT_EQ(cri_.CallCount("GetPodSandboxStatus"), reads);

  for (const std::string& id : cri_.ContainerIds()) ASSERT_TRUE(cri_.ExitContainer(id, 1).ok());
  Settle(2);
  EXPECT_EQ(RunningContainers(), 1);  // restarted (RestartAlways)
  EXPECT_GT(cri_.CallCount("GetPodSandboxStatus"), reads);
}

api::Probe EveryTurn() {
  api::Probe p;
  p.handler.exec = api::ExecAction{.command = {"check"}};
  p.period_seconds = 1;
  p.failure_threshold = 2;
  return p;
}

const api::PodCondition* Condition(const api::Pod& pod, const std::string& type) {
  for (const api::PodCondition& c : pod.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST_F(KubeletTest, ReadinessProbeDrivesReadyConditions) {
  auto pod = MakePod("web");
  pod->spec.containers[0].readiness_probe = EveryTurn();
  prober_.Set("app", prober::ProbeType::kReadiness, probe::Result::kFailure);
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {pod}));
  Settle();
  std::optional<api::Pod> got = FindPod("web");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status.phase, api::kPodRunning);
  EXPECT_FALSE(got->status.container_statuses[0].ready);
  EXPECT_EQ(Condition(*got, api::kPodReady)->status, api::kConditionFalse);
  EXPECT_EQ(Condition(*got, api::kContainersReady)->reason, "ContainersNotReady");

  prober_.Set("app", prober::ProbeType::kReadiness, probe::Result::kSuccess);
  Settle(2);
  got = FindPod("web");
  EXPECT_TRUE(got->status.container_statuses[0].ready);
  EXPECT_EQ(Condition(*got, api::kPodReady)->status, api::kConditionTrue);
  EXPECT_EQ(Condition(*got, api::kContainersReady)->status, api::kConditionTrue);

  // Not ready again after failureThreshold (2) failures; nothing restarts.
  prober_.Set("app", prober::ProbeType::kReadiness, probe::Result::kFailure);
  Settle(1);
  EXPECT_TRUE(FindPod("web")->status.container_statuses[0].ready) << "one failure of two";
  Settle(2);
  got = FindPod("web");
  EXPECT_FALSE(got->status.container_statuses[0].ready);
  EXPECT_EQ(Condition(*got, api::kPodReady)->status, api::kConditionFalse);
  EXPECT_EQ(got->status.container_statuses[0].restart_count, 0);
}

TEST_F(KubeletTest, LivenessProbeFailureRestartsTheContainer) {
  auto pod = MakePod("web");
  pod->spec.containers[0].liveness_probe = EveryTurn();
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {pod}));
  Settle();
  std::optional<api::Pod> got = FindPod("web");
  const std::string first_id = got->status.container_statuses[0].container_id;
  EXPECT_EQ(got->status.container_statuses[0].restart_count, 0);

  prober_.Set("app", prober::ProbeType::kLiveness, probe::Result::kFailure);
  Settle(3);
  prober_.Set("app", prober::ProbeType::kLiveness, probe::Result::kSuccess);
  Settle(3);
  got = FindPod("web");
  const api::ContainerStatus& cs = got->status.container_statuses[0];
  EXPECT_EQ(cs.restart_count, 1);
  EXPECT_NE(cs.container_id, first_id);
  ASSERT_TRUE(cs.state.running.has_value());
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  EXPECT_EQ(cs.last_state.terminated->container_id, first_id);
  EXPECT_EQ(RunningContainers(), 1);
  // The new container is probed from a fresh verdict and stays.
  Settle(3);
  EXPECT_EQ(FindPod("web")->status.container_statuses[0].restart_count, 1);
}

TEST_F(KubeletTest, StartupProbeHoldsLivenessAndStartedUntilItPasses) {
  auto pod = MakePod("web");
  pod->spec.containers[0].startup_probe = EveryTurn();
  pod->spec.containers[0].liveness_probe = EveryTurn();
  prober_.Set("app", prober::ProbeType::kStartup, probe::Result::kUnknown);
  prober_.Set("app", prober::ProbeType::kLiveness, probe::Result::kFailure);
  kubelet_->OnPodUpdate(Update(config::PodOperation::kAdd, {pod}));
  Settle();
  std::optional<api::Pod> got = FindPod("web");
  EXPECT_EQ(got->status.container_statuses[0].started, false);
  EXPECT_EQ(prober_.Calls("app", prober::ProbeType::kLiveness), 0) << "liveness waits";

  prober_.Set("app", prober::ProbeType::kStartup, probe::Result::kSuccess);
  prober_.Set("app", prober::ProbeType::kLiveness, probe::Result::kSuccess);
  Settle(3);
  got = FindPod("web");
  EXPECT_EQ(got->status.container_statuses[0].started, true);
  EXPECT_GE(prober_.Calls("app", prober::ProbeType::kLiveness), 1);
  EXPECT_EQ(got->status.container_statuses[0].restart_count, 0);
}

// An extra event source (issue 13's evented PLEG will be one) is built over
// the Kubelet's cache and channel, runs with it, and its health is the
// Kubelet's.
class ScriptedPleg final : public pleg::PodLifecycleEventGenerator {
 public:
  explicit ScriptedPleg(const PlegContext& context) : events(context.events) {}
  void Start() override { ++starts; }
  void Stop() override { ++stops; }
  absl::Status Healthy() const override { return health; }
  int starts = 0;
  int stops = 0;
  absl::Status health;
  pleg::EventChannel* events;  // the Kubelet's
};

TEST_F(KubeletTest, ExtraPlegGeneratorsRunWithTheKubeletAndCountInItsHealth) {
  ScriptedPleg* scripted = nullptr;
  pleg_generators_.push_back([&](const PlegContext& context) {
    auto p = std::make_unique<ScriptedPleg>(context);
    scripted = p.get();
    return p;
  });
  kubelet_ = NewKubelet();
  ASSERT_NE(scripted, nullptr);
  kubelet_->Start();  // checks the runtime at once
  EXPECT_EQ(scripted->starts, 1);
  kubelet_->RelistNow();
  EXPECT_TRUE(kubelet_->Healthy().ok()) << kubelet_->Healthy();
  scripted->health = absl::UnavailableError("event stream broken");
  EXPECT_EQ(kubelet_->Healthy().message(), "PLEG 1 is not healthy: event stream broken");
  kubelet_->Stop();
  EXPECT_EQ(scripted->stops, 1);
}

}  // namespace
}  // namespace cubelet::kubelet
