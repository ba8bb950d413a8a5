#include "prober/prober_manager.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "events/testing/fake_recorder.h"
#include "gtest/gtest.h"
#include "prober/testing/fake_prober.h"

namespace cubelet::prober {
namespace {

api::Probe ExecProbe(int period = 10) {
  api::Probe p;
  p.handler.exec = api::ExecAction{.command = {"true"}};
  p.period_seconds = period;
  return p;
}

class ProberManagerTest : public ::testing::Test {
 protected:
  ProberManagerTest()
      : manager_(
            &prober_, &clock_, io_.get_executor(),
            [this](const std::string& uid) -> std::optional<api::PodStatus> {
              std::lock_guard<std::mutex> lock(mu_);
              auto it = statuses_.find(uid);
              if (it == statuses_.end()) return std::nullopt;
              return it->second;
            },
            [this](const std::string& uid) {
              std::lock_guard<std::mutex> lock(mu_);
              changes_.push_back(uid);
            }) {}

  api::PodPtr MakePod(api::Container c, std::string restart = api::kRestartAlways) {
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = "web";
    pod->metadata.namespace_ = "default";
    pod->metadata.uid = "uid-1";
    pod->spec.restart_policy = restart;
    c.name = c.name.empty() ? "app" : c.name;
    pod->spec.containers.push_back(std::move(c));
    return pod;
  }

  // The API status the status manager would hold: one running container.
  void SetRunning(const std::string& id, bool started = true,
                  absl::Time started_at = absl::InfinitePast()) {
    api::ContainerStatus cs;
    cs.name = "app";
    cs.container_id = "containerd://" + id;
    cs.state.running = api::ContainerStateRunning{.started_at = started_at};
    cs.started = started;
    api::PodStatus s;
    s.phase = api::kPodRunning;
    s.container_statuses = {cs};
    std::lock_guard<std::mutex> lock(mu_);
    statuses_["uid-1"] = s;
  }
  void SetExited(const std::string& id, std::string phase = api::kPodRunning) {
    api::ContainerStatus cs;
    cs.name = "app";
    cs.container_id = "containerd://" + id;
    cs.state.terminated = api::ContainerStateTerminated{.exit_code = 1};
    api::PodStatus s;
    s.phase = phase;
    s.container_statuses = {cs};
    std::lock_guard<std::mutex> lock(mu_);
    statuses_["uid-1"] = s;
  }
  // One period passes and the due probes run.
  void Tick(absl::Duration d = absl::Seconds(10)) {
    clock_.Advance(d);
    manager_.RunDueProbes();
    io_.restart();
    io_.poll();
  }
  size_t NumChanges() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_.size();
  }

  FakeClock clock_;
  asio::io_context io_;
  FakeProber prober_;
  std::mutex mu_;
  std::map<std::string, api::PodStatus> statuses_;
  std::vector<std::string> changes_;
  ProberManager manager_;
};

TEST_F(ProberManagerTest, FailedProbesRecordUnhealthyEvents) {
  events::testing::FakeRecorder recorder;
  ProberManager manager(
      &prober_, &clock_, io_.get_executor(),
      [this](const std::string& uid) -> std::optional<api::PodStatus> {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = statuses_.find(uid);
        if (it == statuses_.end()) return std::nullopt;
        return it->second;
      },
      [](const std::string&) {}, ProberManagerOptions{.recorder = &recorder});
  api::Container c;
  c.readiness_probe = ExecProbe();
  manager.AddPod(MakePod(c));
  SetRunning("c1");
  prober_.Set("app", ProbeType::kReadiness, probe::Result::kFailure);
  clock_.Advance(absl::Seconds(10));
  manager.RunDueProbes();
  io_.restart();
  io_.poll();
  std::vector<events::testing::FakeRecorder::Recorded> recorded = recorder.RecordedEvents();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].type, "Warning");
  EXPECT_EQ(recorded[0].reason, "Unhealthy");
  EXPECT_TRUE(absl::StartsWith(recorded[0].message, "Readiness probe failed: "))
      << recorded[0].message;
  EXPECT_EQ(recorded[0].object.field_path, "spec.containers{app}");
  EXPECT_EQ(recorded[0].object.uid, "uid-1");
  manager.RemovePod("uid-1");
}

TEST_F(ProberManagerTest, ReadinessNeedsThresholdsBothWays) {
  api::Container c;
  c.readiness_probe = ExecProbe();
  c.readiness_probe->success_threshold = 2;
  c.readiness_probe->failure_threshold = 3;
  manager_.AddPod(MakePod(c));
  SetRunning("c1");
  EXPECT_EQ(manager_.NumWorkers(), 1u);

  Tick(absl::ZeroDuration());  // first probe at once: 1 success of 2
  EXPECT_FALSE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
  Tick();
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
  EXPECT_EQ(NumChanges(), 1u);

  prober_.Set("app", ProbeType::kReadiness, probe::Result::kFailure);
  Tick();
  Tick();
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.at("c1")) << "2 failures of 3";
  Tick();
  EXPECT_FALSE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
  EXPECT_EQ(NumChanges(), 2u);
  // Readiness failures never hold the worker: probing goes on.
  Tick();
  EXPECT_EQ(prober_.Calls("app", ProbeType::kReadiness), 6);
}

TEST_F(ProberManagerTest, LivenessFailureHoldsUntilTheContainerIsReplaced) {
  api::Container c;
  c.liveness_probe = ExecProbe();
  manager_.AddPod(MakePod(c));
  SetRunning("c1");
  Tick(absl::ZeroDuration());
  EXPECT_EQ(manager_.Liveness("c1"), ProbeResult::kSuccess);

  prober_.Set("app", ProbeType::kLiveness, probe::Result::kFailure);
  for (int i = 0; i < 3; ++i) Tick();
  EXPECT_EQ(manager_.Liveness("c1"), ProbeResult::kFailure);
  EXPECT_EQ(NumChanges(), 1u);
  const int calls = prober_.Calls("app", ProbeType::kLiveness);
  Tick();
  Tick();
  EXPECT_EQ(prober_.Calls("app", ProbeType::kLiveness), calls) << "on hold";

  // The kubelet replaced the container: a fresh verdict, probing resumes.
  prober_.Set("app", ProbeType::kLiveness, probe::Result::kSuccess);
  SetRunning("c2");
  Tick();
  EXPECT_EQ(manager_.Liveness("c2"), ProbeResult::kSuccess);
  EXPECT_EQ(manager_.Liveness("c1"), ProbeResult::kUnknown) << "old verdict forgotten";
  EXPECT_EQ(prober_.Calls("app", ProbeType::kLiveness), calls + 1);
}

TEST_F(ProberManagerTest, InitialDelayCountsFromContainerStart) {
  api::Container c;
  c.liveness_probe = ExecProbe(1);
  c.liveness_probe->initial_delay_seconds = 5;
  manager_.AddPod(MakePod(c));
  SetRunning("c1", true, clock_.Now());
  for (int i = 0; i < 4; ++i) Tick(absl::Seconds(1));
  EXPECT_EQ(prober_.Calls("app", ProbeType::kLiveness), 0);
  Tick(absl::Seconds(1));
  EXPECT_EQ(prober_.Calls("app", ProbeType::kLiveness), 1);
}

TEST_F(ProberManagerTest, StartupProbeGatesLivenessAndReadiness) {
  api::Container c;
  c.startup_probe = ExecProbe();
  c.liveness_probe = ExecProbe();
  c.readiness_probe = ExecProbe();
  manager_.AddPod(MakePod(c));
  EXPECT_EQ(manager_.NumWorkers(), 3u);
  prober_.Set("app", ProbeType::kStartup, probe::Result::kFailure);
  SetRunning("c1", /*started=*/false);
  Tick(absl::ZeroDuration());
  Tick();
  EXPECT_EQ(prober_.Calls("app", ProbeType::kStartup), 2);
  EXPECT_EQ(prober_.Calls("app", ProbeType::kLiveness), 0);
  EXPECT_EQ(prober_.Calls("app", ProbeType::kReadiness), 0);
  EXPECT_EQ(manager_.Startup("c1"), ProbeResult::kUnknown);
  EXPECT_FALSE(manager_.GetProbeStatus("uid-1").started.at("c1"));

  prober_.Set("app", ProbeType::kStartup, probe::Result::kSuccess);
  Tick();
  EXPECT_EQ(manager_.Startup("c1"), ProbeResult::kSuccess);
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").started.at("c1"));
  // The next status says started: the startup probe stops, the others begin.
  SetRunning("c1", /*started=*/true);
  Tick();
  EXPECT_EQ(prober_.Calls("app", ProbeType::kStartup), 3);
  EXPECT_EQ(prober_.Calls("app", ProbeType::kLiveness), 1);
  EXPECT_EQ(prober_.Calls("app", ProbeType::kReadiness), 1);
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
}

TEST_F(ProberManagerTest, StartupFailureAfterThresholdKillsViaResults) {
  api::Container c;
  c.startup_probe = ExecProbe();
  c.startup_probe->failure_threshold = 2;
  manager_.AddPod(MakePod(c));
  prober_.Set("app", ProbeType::kStartup, probe::Result::kFailure);
  SetRunning("c1", false);
  Tick(absl::ZeroDuration());
  EXPECT_EQ(manager_.Startup("c1"), ProbeResult::kUnknown);
  Tick();
  EXPECT_EQ(manager_.Startup("c1"), ProbeResult::kFailure);
}

TEST_F(ProberManagerTest, UnknownOutcomeLeavesTheVerdict) {
  api::Container c;
  c.readiness_probe = ExecProbe();
  manager_.AddPod(MakePod(c));
  SetRunning("c1");
  Tick(absl::ZeroDuration());
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
  prober_.Set("app", ProbeType::kReadiness, probe::Result::kUnknown);
  for (int i = 0; i < 5; ++i) Tick();
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
}

TEST_F(ProberManagerTest, ExitedContainerIsNotReadyAndNeverPodsStopProbing) {
  api::Container c;
  c.readiness_probe = ExecProbe();
  manager_.AddPod(MakePod(c, api::kRestartNever));
  SetRunning("c1");
  Tick(absl::ZeroDuration());
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
  SetExited("c1");
  Tick();
  EXPECT_FALSE(manager_.GetProbeStatus("uid-1").ready.at("c1"));
  EXPECT_EQ(manager_.NumWorkers(), 0u) << "a Never pod's dead container is not probed again";
}

TEST_F(ProberManagerTest, TerminalPodStopsWorkersAndRemovePodForgets) {
  api::Container c;
  c.liveness_probe = ExecProbe();
  c.readiness_probe = ExecProbe();
  manager_.AddPod(MakePod(c));
  SetRunning("c1");
  Tick(absl::ZeroDuration());
  EXPECT_EQ(manager_.Liveness("c1"), ProbeResult::kSuccess);
  SetExited("c1", api::kPodFailed);
  Tick();
  EXPECT_EQ(manager_.NumWorkers(), 0u);
  manager_.RemovePod("uid-1");
  EXPECT_EQ(manager_.Liveness("c1"), ProbeResult::kUnknown);
  EXPECT_TRUE(manager_.GetProbeStatus("uid-1").ready.empty());
}

TEST_F(ProberManagerTest, CleanupPodsKeepsOnlyDesired) {
  api::Container c;
  c.liveness_probe = ExecProbe();
  manager_.AddPod(MakePod(c));
  manager_.AddPod(MakePod(c));  // known already: no second worker
  EXPECT_EQ(manager_.NumWorkers(), 1u);
  manager_.CleanupPods({"uid-1"});
  EXPECT_EQ(manager_.NumWorkers(), 1u);
  manager_.CleanupPods({});
  EXPECT_EQ(manager_.NumWorkers(), 0u);
  EXPECT_EQ(manager_.RunDueProbes(), absl::InfiniteFuture());
}

TEST_F(ProberManagerTest, SidecarInitContainersAreProbedPlainInitContainersAreNot) {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.uid = "uid-1";
  api::Container plain;
  plain.name = "setup";
  plain.readiness_probe = ExecProbe();
  api::Container sidecar;
  sidecar.name = "proxy";
  sidecar.restart_policy = api::kRestartAlways;
  sidecar.startup_probe = ExecProbe();
  pod->spec.init_containers = {plain, sidecar};
  manager_.AddPod(pod);
  EXPECT_EQ(manager_.NumWorkers(), 1u);
}

TEST_F(ProberManagerTest, TimerThreadRunsProbesOnItsOwn) {
  // Real time, short period: the timer thread alone must get a probe done.
  api::Container c;
  c.liveness_probe = ExecProbe(1);
  manager_.AddPod(MakePod(c));
  SetRunning("c1");
  auto guard = asio::make_work_guard(io_);
  manager_.Start();
  // The first tick of a pod added within one period of Start() is jittered
  // into that period (fake clock: never due until it moves).
  for (int i = 0; i < 50 && prober_.Calls("app", ProbeType::kLiveness) == 0; ++i) {
    clock_.Advance(absl::Milliseconds(100));
    io_.restart();
    io_.run_for(std::chrono::milliseconds(20));
  }
  manager_.Stop();
  EXPECT_GE(prober_.Calls("app", ProbeType::kLiveness), 1);
}

}  // namespace
}  // namespace cubelet::prober
