// Table tests for ComputePodActions on hand-built runtime statuses.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kuberuntime/hash.h"
#include "kuberuntime/runtime_manager.h"

namespace cubelet::kuberuntime {
namespace {

using container::ContainerState;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

api::Container Spec(const std::string& name) {
  api::Container c;
  c.name = name;
  c.image = "busybox:1.36";
  return c;
}

api::Pod MakePod(const std::string& policy, std::vector<std::string> containers,
                 std::vector<std::string> inits = {}) {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "ns";
  pod.metadata.uid = "uid";
  pod.spec.restart_policy = policy;
  for (const auto& n : containers) pod.spec.containers.push_back(Spec(n));
  for (const auto& n : inits) pod.spec.init_containers.push_back(Spec(n));
  return pod;
}

class StatusBuilder {
 public:
  explicit StatusBuilder(const api::Pod& pod) : pod_(pod) { s_.id = pod.metadata.uid; }

  StatusBuilder& Sandbox(bool ready, uint32_t attempt = 0, std::string ip = "10.88.0.2",
                         std::string id = "") {
    container::SandboxStatus sb;
    sb.id = id.empty() ? "sb" + std::to_string(attempt) : id;
    sb.state = ready ? container::SandboxState::kReady : container::SandboxState::kNotReady;
    sb.attempt = attempt;
    sb.ip = std::move(ip);
    s_.sandbox_statuses.push_back(sb);
    return *this;
  }
  // Newest first: call in order newest → oldest.
  StatusBuilder& C(const std::string& name, ContainerState state, int exit_code = 0,
                   int restart_count = 0) {
    container::ContainerStatus cs;
    cs.id = name + "-" + std::to_string(restart_count);
    cs.name = name;
    cs.state = state;
    cs.exit_code = exit_code;
    cs.restart_count = restart_count;
    for (const auto* list : {&pod_.spec.containers, &pod_.spec.init_containers}) {
      for (const api::Container& c : *list) {
        if (c.name == name) cs.hash = HashContainer(c);
      }
    }
    s_.container_statuses.push_back(cs);
    return *this;
  }
  StatusBuilder& Running(const std::string& name) { return C(name, ContainerState::kRunning); }
  StatusBuilder& Exited(const std::string& name, int code) {
    return C(name, ContainerState::kExited, code);
  }
  container::PodStatus Build() const { return s_; }

 private:
  const api::Pod& pod_;
  container::PodStatus s_;
};

TEST(ComputePodActionsTest, NewPodCreatesSandboxAndStartsAll) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a", "b"});
  PodActions a = ComputePodActions(pod, StatusBuilder(pod).Build());
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_TRUE(a.kill_pod);
  EXPECT_EQ(a.attempt, 0u);
  EXPECT_EQ(a.sandbox_id, "");
  EXPECT_THAT(a.containers_to_start, ElementsAre(0, 1));
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
}

TEST(ComputePodActionsTest, NewPodWithInitContainersStartsOnlyTheFirstInit) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"}, {"i0", "i1"});
  PodActions a = ComputePodActions(pod, StatusBuilder(pod).Build());
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST(ComputePodActionsTest, SteadyStateDoesNothing) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a", "b"});
  PodActions a =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("a").Running("b").Build());
  EXPECT_EQ(a, (PodActions{.sandbox_id = "sb0"}));
}

TEST(ComputePodActionsTest, DeadSandboxIsRecreatedWithNextAttempt) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  PodActions a = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(false, 2).C("a", ContainerState::kExited, 137).Build());
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 3u);
  EXPECT_EQ(a.sandbox_id, "sb2");
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
}

TEST(ComputePodActionsTest, SandboxWithoutIpOrTwoReadySandboxesIsRecreated) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  PodActions no_ip =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true, 0, "").Running("a").Build());
  EXPECT_TRUE(no_ip.create_sandbox);
  EXPECT_EQ(no_ip.attempt, 1u);
  PodActions two = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true, 1).Sandbox(true, 0).Running("a").Build());
  EXPECT_TRUE(two.create_sandbox);
  EXPECT_EQ(two.attempt, 2u);
  // Host-network pods have no IP of their own: no recreation for that.
  pod.spec.host_network = true;
  container::PodStatus hs = StatusBuilder(pod).Sandbox(true, 0, "").Running("a").Build();
  hs.sandbox_statuses[0].host_network = true;
  EXPECT_FALSE(ComputePodActions(pod, hs).create_sandbox);
}

TEST(ComputePodActionsTest, NeverPodWithDeadSandboxIsOnlyKilled) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  PodActions a =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(false, 0).Exited("a", 0).Build());
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST(ComputePodActionsTest, NeverPodWhoseSandboxFailedBeforeAnyContainerRetries) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  PodActions a = ComputePodActions(pod, StatusBuilder(pod).Sandbox(false, 0).Build());
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 1u);
}

TEST(ComputePodActionsTest, OnFailurePodThatSucceededGetsNoNewSandbox) {
  api::Pod pod = MakePod(api::kRestartOnFailure, {"a", "b"});
  PodActions done = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(false, 0).Exited("a", 0).Exited("b", 0).Build());
  EXPECT_TRUE(done.kill_pod);
  EXPECT_FALSE(done.create_sandbox);
  PodActions one_failed = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(false, 0).Exited("a", 0).Exited("b", 1).Build());
  EXPECT_TRUE(one_failed.create_sandbox);
  EXPECT_THAT(one_failed.containers_to_start, ElementsAre(1));
}

struct RestartCase {
  const char* policy;
  int exit_code;
  bool restart;
};

class RestartPolicyTest : public ::testing::TestWithParam<RestartCase> {};

TEST_P(RestartPolicyTest, ExitedContainer) {
  const RestartCase& tc = GetParam();
  api::Pod pod = MakePod(tc.policy, {"a"});
  PodActions a =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", tc.exit_code).Build());
  EXPECT_FALSE(a.create_sandbox);
  if (tc.restart) {
    EXPECT_FALSE(a.kill_pod);
    EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  } else {
    // Nothing runs and nothing will: stop the pod (its sandbox).
    EXPECT_TRUE(a.kill_pod);
    EXPECT_THAT(a.containers_to_start, IsEmpty());
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, RestartPolicyTest,
                         ::testing::Values(RestartCase{api::kRestartAlways, 0, true},
                                           RestartCase{api::kRestartAlways, 1, true},
                                           RestartCase{api::kRestartOnFailure, 0, false},
                                           RestartCase{api::kRestartOnFailure, 1, true},
                                           RestartCase{api::kRestartNever, 0, false},
                                           RestartCase{api::kRestartNever, 1, false}));

TEST(ComputePodActionsTest, RunningSiblingKeepsNeverPodAlive) {
  api::Pod pod = MakePod(api::kRestartNever, {"a", "b"});
  PodActions a =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", 1).Running("b").Build());
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_kill, IsEmpty());
}

TEST(ComputePodActionsTest, SpecChangeRestartsEvenUnderNever) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  container::PodStatus s = StatusBuilder(pod).Sandbox(true).Running("a").Build();
  pod.spec.containers[0].image = "busybox:1.37";
  PodActions a = ComputePodActions(pod, s);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  ASSERT_EQ(a.containers_to_kill.size(), 1u);
  EXPECT_EQ(a.containers_to_kill[0].id, "a-0");
  EXPECT_EQ(a.containers_to_kill[0].message, "Container a definition changed, will be restarted");
}

class FakeProbes : public prober::ProbeResults {
 public:
  prober::ProbeResult Liveness(const std::string& id) const override {
    return id == liveness_failed ? prober::ProbeResult::kFailure : prober::ProbeResult::kUnknown;
  }
  prober::ProbeResult Startup(const std::string& id) const override {
    return id == startup_failed ? prober::ProbeResult::kFailure : prober::ProbeResult::kUnknown;
  }
  std::string liveness_failed;
  std::string startup_failed;
};

TEST(ComputePodActionsTest, LivenessFailureKillsAndRestartsUnlessNever) {
  FakeProbes probes;
  probes.liveness_failed = "a-0";
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  PodActions a =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("a").Build(), &probes);
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  ASSERT_EQ(a.containers_to_kill.size(), 1u);
  EXPECT_EQ(a.containers_to_kill[0].reason, KillReason::kLivenessProbe);

  pod.spec.restart_policy = api::kRestartNever;
  PodActions never =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("a").Build(), &probes);
  EXPECT_THAT(never.containers_to_start, IsEmpty());
  EXPECT_TRUE(never.kill_pod);
}

TEST(ComputePodActionsTest, ContainerRestartRulesOverrideThePodsPolicy) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  api::Container& a = pod.spec.containers[0];
  a.restart_policy = api::kRestartNever;
  a.restart_policy_rules.push_back(
      {.action = api::kRestartRuleActionRestart,
       .exit_codes = api::ContainerRestartRuleOnExitCodes{.operator_ = "In", .values = {42}}});
  PodActions matched =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", 42).Build());
  EXPECT_FALSE(matched.kill_pod);
  EXPECT_THAT(matched.containers_to_start, ElementsAre(0));
  PodActions other =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", 1).Build());
  EXPECT_TRUE(other.kill_pod);
  EXPECT_THAT(other.containers_to_start, IsEmpty());

  // The container's own Always beats the pod's Never, and its Never the pod's Always.
  a.restart_policy_rules.clear();
  a.restart_policy = api::kRestartAlways;
  EXPECT_THAT(ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", 0).Build())
                  .containers_to_start,
              ElementsAre(0));
  pod.spec.restart_policy = api::kRestartAlways;
  a.restart_policy = api::kRestartNever;
  EXPECT_TRUE(
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", 1).Build()).kill_pod);
  // A running container failing liveness: no exit code, so its own policy.
  FakeProbes probes;
  probes.liveness_failed = "a-0";
  PodActions liveness =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("a").Build(), &probes);
  EXPECT_THAT(liveness.containers_to_start, IsEmpty());
  ASSERT_EQ(liveness.containers_to_kill.size(), 1u);
  EXPECT_EQ(liveness.containers_to_kill[0].message, "Container a failed liveness probe");
}

TEST(ComputePodActionsTest, InitContainerRestartPolicyDecidesAFailedInit) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"}, {"i0"});
  pod.spec.init_containers[0].restart_policy = api::kRestartOnFailure;
  PodActions failed =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("i0", 2).Build());
  EXPECT_FALSE(failed.kill_pod);
  EXPECT_THAT(failed.init_containers_to_start, ElementsAre(0));
  pod.spec.restart_policy = api::kRestartAlways;
  pod.spec.init_containers[0].restart_policy = api::kRestartNever;
  EXPECT_TRUE(
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("i0", 2).Build()).kill_pod);
}

TEST(ComputePodActionsTest, NewSandboxSkipsContainersThatRanOnceAndSucceeded) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a", "b"});
  pod.spec.containers[0].restart_policy = api::kRestartOnFailure;
  PodActions a = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(false, 0).Exited("a", 0).Exited("b", 0).Build());
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_THAT(a.containers_to_start, ElementsAre(1));
}

TEST(ComputePodActionsTest, EphemeralContainersStartOnceEvenBeforeInitialization) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"}, {"i0"});
  pod.spec.ephemeral_containers.push_back(Spec("debug"));
  PodActions initializing =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("i0").Build());
  EXPECT_THAT(initializing.ephemeral_containers_to_start, ElementsAre(0));
  EXPECT_THAT(initializing.containers_to_start, IsEmpty());
  // Once it has an instance, whatever its state, it is never started again.
  PodActions exited = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("debug", 1).Running("a").Build());
  EXPECT_THAT(exited.ephemeral_containers_to_start, IsEmpty());
  EXPECT_FALSE(exited.kill_pod);
  // A finished pod is not kept alive for one.
  pod.spec.restart_policy = api::kRestartNever;
  PodActions done = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("a", 0).Exited("i0", 0).Build());
  EXPECT_TRUE(done.kill_pod);
  EXPECT_THAT(done.ephemeral_containers_to_start, IsEmpty());
}

TEST(ComputePodActionsTest, UnknownContainerIsKilledBeforeRestart) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  PodActions a = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).C("a", ContainerState::kUnknown).Build());
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  ASSERT_EQ(a.containers_to_kill.size(), 1u);
  EXPECT_EQ(a.containers_to_kill[0].reason, KillReason::kUnknownState);
}

TEST(ComputePodActionsTest, DeletedPodRestartsNothing) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  pod.metadata.deletion_timestamp = absl::UnixEpoch();
  PodActions a = ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("a", 1).Build());
  EXPECT_TRUE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST(ComputePodActionsTest, InitContainersRunInOrder) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"}, {"i0", "i1"});
  // i0 running: wait.
  PodActions running =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("i0").Build());
  EXPECT_FALSE(running.kill_pod);
  EXPECT_THAT(running.init_containers_to_start, IsEmpty());
  EXPECT_THAT(running.containers_to_start, IsEmpty());
  // i0 done: start i1 only.
  PodActions next =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Exited("i0", 0).Build());
  EXPECT_THAT(next.init_containers_to_start, ElementsAre(1));
  EXPECT_THAT(next.containers_to_start, IsEmpty());
  // Both done: the regular containers.
  PodActions done = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("i1", 0).Exited("i0", 0).Build());
  EXPECT_THAT(done.init_containers_to_start, IsEmpty());
  EXPECT_THAT(done.containers_to_start, ElementsAre(0));
  // Regular container running and init instances gone: still initialized.
  PodActions gone = ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("a").Build());
  EXPECT_EQ(gone, (PodActions{.sandbox_id = "sb0"}));
}

TEST(ComputePodActionsTest, FailedInitContainer) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"}, {"i0", "i1"});
  PodActions never = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("i1", 2).Exited("i0", 0).Build());
  EXPECT_TRUE(never.kill_pod);
  EXPECT_THAT(never.init_containers_to_start, IsEmpty());
  EXPECT_THAT(never.containers_to_start, IsEmpty());

  pod.spec.restart_policy = api::kRestartAlways;
  PodActions always = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("i1", 2).Exited("i0", 0).Build());
  EXPECT_FALSE(always.kill_pod);
  EXPECT_THAT(always.init_containers_to_start, ElementsAre(1));

  // An OOM-killed init container failed whatever its exit code says.
  pod.spec.restart_policy = api::kRestartNever;
  container::PodStatus oom = StatusBuilder(pod).Sandbox(true).Exited("i0", 0).Build();
  oom.container_statuses[0].reason = "OOMKilled";
  EXPECT_TRUE(ComputePodActions(pod, oom).kill_pod);
}

TEST(ComputePodActionsTest, SidecarStartsNextInitAndStaysRunning) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"}, {"side", "i1"});
  pod.spec.init_containers[0].restart_policy = api::kRestartAlways;
  PodActions first =
      ComputePodActions(pod, StatusBuilder(pod).Sandbox(true).Running("side").Build());
  EXPECT_THAT(first.init_containers_to_start, ElementsAre(1));
  PodActions main = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("i1", 0).Running("side").Build());
  EXPECT_THAT(main.init_containers_to_start, IsEmpty());
  EXPECT_THAT(main.containers_to_start, ElementsAre(0));
  // A sidecar that exits after initialization is restarted.
  PodActions restart = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Running("a").Exited("i1", 0).Exited("side", 1).Build());
  EXPECT_THAT(restart.init_containers_to_start, ElementsAre(0));
  EXPECT_THAT(restart.containers_to_start, IsEmpty());
  EXPECT_FALSE(restart.kill_pod);
}

TEST(ComputePodActionsTest, SidecarDoesNotKeepFinishedPodAlive) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"}, {"side"});
  pod.spec.init_containers[0].restart_policy = api::kRestartAlways;
  PodActions a = ComputePodActions(
      pod, StatusBuilder(pod).Sandbox(true).Exited("a", 0).Running("side").Build());
  EXPECT_TRUE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST(FormatTest, GoDurations) {
  EXPECT_EQ(FormatGoDuration(absl::Seconds(10)), "10s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(80)), "1m20s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(300)), "5m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
}

}  // namespace
}  // namespace cubelet::kuberuntime
