#include "status/status_manager.h"

#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cubelet::status {
namespace {

api::Pod MakePod(const std::string& restart_policy) {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-1";
  pod.spec.restart_policy = restart_policy;
  api::Container c;
  c.name = "app";
  pod.spec.containers.push_back(c);
  return pod;
}

api::ContainerStatus Running(const std::string& name) {
  api::ContainerStatus s;
  s.name = name;
  s.state.running = api::ContainerStateRunning{};
  return s;
}

api::ContainerStatus Terminated(const std::string& name, int32_t exit_code) {
  api::ContainerStatus s;
  s.name = name;
  api::ContainerStateTerminated t;
  t.exit_code = exit_code;
  s.state.terminated = t;
  return s;
}

TEST(StatusManagerTest, VersionBumpsOnlyOnChange) {
  StatusManager manager;
  api::Pod pod = MakePod("Always");
  api::PodStatus s;
  s.phase = "Pending";
  EXPECT_EQ(*manager.SetPodStatus(pod, s), 1u);
  EXPECT_EQ(*manager.SetPodStatus(pod, s), 1u);
  s.phase = "Running";
  EXPECT_EQ(*manager.SetPodStatus(pod, s), 2u);
  EXPECT_EQ(manager.GetPodStatus("uid-1")->status.phase, "Running");
  EXPECT_EQ(manager.GetPodStatus("uid-1")->version, 2u);
}

TEST(StatusManagerTest, StartTimeNeverChanges) {
  StatusManager manager;
  api::Pod pod = MakePod("Always");
  api::PodStatus s;
  s.start_time = absl::FromUnixSeconds(100);
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.start_time = absl::FromUnixSeconds(200);
  s.phase = "Running";
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  EXPECT_EQ(manager.GetPodStatus("uid-1")->status.start_time, absl::FromUnixSeconds(100));
}

TEST(StatusManagerTest, TerminalPhaseNeverReverts) {
  StatusManager manager;
  api::Pod pod = MakePod("Never");
  api::PodStatus s;
  s.phase = "Succeeded";
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.phase = "Running";
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  EXPECT_EQ(manager.GetPodStatus("uid-1")->status.phase, "Succeeded");
}

// A pod that never started (its image cannot be pulled) and is deleted: its
// final status is Failed with the container terminated "unknown", so the API
// server can delete it (upstream TerminatePod).
TEST(StatusManagerTest, TerminatePodMakesANeverStartedPodFailed) {
  StatusManager manager;
  api::Pod pod = MakePod("Never");
  api::PodStatus s;
  s.phase = "Pending";
  api::ContainerStatus waiting;
  waiting.name = "app";
  waiting.state.waiting = api::ContainerStateWaiting{.reason = "ImagePullBackOff"};
  s.container_statuses.push_back(waiting);
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  manager.TerminatePod(pod);
  std::optional<VersionedPodStatus> got = manager.GetPodStatus("uid-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->pod_is_finished);
  EXPECT_EQ(got->status.phase, "Failed");
  const api::ContainerState& st = got->status.container_statuses[0].state;
  ASSERT_TRUE(st.terminated.has_value());
  EXPECT_FALSE(st.waiting.has_value());
  EXPECT_EQ(st.terminated->reason, "ContainerStatusUnknown");
  EXPECT_EQ(st.terminated->exit_code, 137);

  // Init containers: only those that ever started are marked; a regular
  // container of a pod that never initialized stays waiting.
  api::Pod with_init = MakePod("Never");
  with_init.metadata.uid = "uid-2";
  with_init.spec.init_containers.push_back(api::Container{.name = "i1"});
  with_init.spec.init_containers.push_back(api::Container{.name = "i2"});
  api::PodStatus si;
  si.phase = "Pending";
  si.init_container_statuses = {Running("i1"), waiting, waiting};
  si.init_container_statuses[1].name = "i2";
  si.init_container_statuses.pop_back();
  si.container_statuses = {waiting};
  ASSERT_TRUE(manager.SetPodStatus(with_init, si).ok());
  manager.TerminatePod(with_init);
  got = manager.GetPodStatus("uid-2");
  EXPECT_EQ(got->status.init_container_statuses[0].state.terminated->reason,
            "ContainerStatusUnknown");
  EXPECT_TRUE(got->status.init_container_statuses[1].state.waiting.has_value());
  EXPECT_TRUE(got->status.container_statuses[0].state.waiting.has_value());
  EXPECT_EQ(got->status.phase, "Failed");

  // Static pods keep their phase (upstream TODO #116484).
  api::Pod static_pod = MakePod("Never");
  static_pod.metadata.uid = "uid-3";
  static_pod.metadata.annotations[api::kConfigSourceAnnotation] = "file";
  ASSERT_TRUE(manager.SetPodStatus(static_pod, s).ok());
  manager.TerminatePod(static_pod);
  EXPECT_EQ(manager.GetPodStatus("uid-3")->status.phase, "Pending");
}

TEST(StatusManagerTest, TerminatedContainerUnderNeverCannotRunAgain) {
  StatusManager manager;
  api::Pod pod = MakePod("Never");
  api::PodStatus s;
  s.container_statuses = {Terminated("app", 1)};
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  api::PodStatus bad;
  bad.container_statuses = {Running("app")};
  absl::StatusOr<uint64_t> v = manager.SetPodStatus(pod, bad);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(),
            "terminated container app attempted illegal transition to non-terminated state");
  EXPECT_TRUE(manager.GetPodStatus("uid-1")->status.container_statuses[0].state.terminated);
}

TEST(StatusManagerTest, OnFailureAllowsRestartAfterFailureOnly) {
  StatusManager manager;
  api::Pod pod = MakePod("OnFailure");
  api::PodStatus s;
  s.container_statuses = {Terminated("app", 2)};
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  api::PodStatus running;
  running.container_statuses = {Running("app")};
  EXPECT_TRUE(manager.SetPodStatus(pod, running).ok());

  api::Pod other = MakePod("OnFailure");
  other.metadata.uid = "uid-2";
  api::PodStatus done;
  done.container_statuses = {Terminated("app", 0)};
  ASSERT_TRUE(manager.SetPodStatus(other, done).ok());
  EXPECT_FALSE(manager.SetPodStatus(other, running).ok());
}

TEST(StatusManagerTest, SidecarMayRestartUnderNever) {
  StatusManager manager;
  api::Pod pod = MakePod("Never");
  api::Container sidecar;
  sidecar.name = "log";
  sidecar.restart_policy = "Always";
  pod.spec.init_containers.push_back(sidecar);
  api::PodStatus s;
  s.init_container_statuses = {Terminated("log", 1)};
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.init_container_statuses = {Running("log")};
  EXPECT_TRUE(manager.SetPodStatus(pod, s).ok());
}

TEST(StatusManagerTest, ContainerRestartRulesAllowARestartUnderNever) {
  StatusManager manager;
  api::Pod pod = MakePod("Never");
  pod.spec.containers[0].restart_policy = "Never";
  pod.spec.containers[0].restart_policy_rules.push_back(
      {.action = "Restart",
       .exit_codes = api::ContainerRestartRuleOnExitCodes{.operator_ = "In", .values = {42}}});
  api::PodStatus s;
  s.container_statuses = {Terminated("app", 42)};
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.container_statuses = {Running("app")};
  EXPECT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.container_statuses = {Terminated("app", 1)};
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.container_statuses = {Running("app")};
  EXPECT_FALSE(manager.SetPodStatus(pod, s).ok());  // exit 1: no rule, Never
}

TEST(StatusManagerTest, ListenerSeesOldAndNew) {
  std::vector<std::pair<std::string, std::string>> changes;
  StatusManager manager(
      [&](const api::Pod&, const api::PodStatus* old_status, const api::PodStatus& new_status) {
        changes.emplace_back(old_status ? old_status->phase : "<none>", new_status.phase);
      });
  api::Pod pod = MakePod("Always");
  api::PodStatus s;
  s.phase = "Pending";
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  s.phase = "Running";
  ASSERT_TRUE(manager.SetPodStatus(pod, s).ok());
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0], std::make_pair(std::string("<none>"), std::string("Pending")));
  EXPECT_EQ(changes[1], std::make_pair(std::string("Pending"), std::string("Running")));
}

TEST(StatusManagerTest, RemoveOrphanedStatuses) {
  StatusManager manager;
  api::Pod a = MakePod("Always");
  api::Pod b = MakePod("Always");
  b.metadata.uid = "uid-2";
  ASSERT_TRUE(manager.SetPodStatus(a, {}).ok());
  ASSERT_TRUE(manager.SetPodStatus(b, {}).ok());
  manager.RemoveOrphanedStatuses({"uid-2"});
  EXPECT_FALSE(manager.GetPodStatus("uid-1").has_value());
  EXPECT_TRUE(manager.GetPodStatus("uid-2").has_value());
  EXPECT_EQ(manager.Size(), 1u);
}

TEST(StatusManagerTest, VersionsIncreaseUnderConcurrentWriters) {
  StatusManager manager;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&manager, t] {
      api::Pod pod = MakePod("Always");
      pod.metadata.uid = "uid-" + std::to_string(t);
      uint64_t last = 0;
      for (int i = 0; i < 200; ++i) {
        api::PodStatus s;
        s.message = std::to_string(i);
        uint64_t v = *manager.SetPodStatus(pod, s);
        EXPECT_GT(v, last);
        last = v;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(manager.GetPodStatus("uid-3")->version, 200u);
}

}  // namespace
}  // namespace cubelet::status
