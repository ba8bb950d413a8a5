#include "status/generate.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::status {
namespace {

using container::ContainerState;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

api::Pod MakePod(const std::string& policy, std::vector<std::string> containers,
                 std::vector<std::string> inits = {}) {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "ns";
  pod.metadata.uid = "uid";
  pod.spec.restart_policy = policy;
  for (const auto& n : containers) pod.spec.containers.push_back({.name = n, .image = "img:" + n});
  for (const auto& n : inits) pod.spec.init_containers.push_back({.name = n, .image = "img:" + n});
  return pod;
}

// Builds a runtime status; containers are added newest first.
class RS {
 public:
  RS() {
    s_.id = "uid";
    s_.sandbox_statuses.push_back(
        {.id = "sb", .state = container::SandboxState::kReady, .ip = "10.88.0.5"});
    s_.ips = {"10.88.0.5"};
  }
  RS& C(const std::string& name, ContainerState state, int exit_code = 0, int restart_count = 0,
        std::string reason = "") {
    container::ContainerStatus cs;
    cs.id = name + std::to_string(restart_count);
    cs.name = name;
    cs.state = state;
    cs.exit_code = exit_code;
    cs.restart_count = restart_count;
    cs.reason = std::move(reason);
    cs.image = "img:" + name;
    cs.image_id = "sha256:" + name;
    cs.created_at = kT0;
    if (state != ContainerState::kCreated) cs.started_at = kT0 + absl::Seconds(1);
    if (state == ContainerState::kExited) cs.finished_at = kT0 + absl::Seconds(2);
    s_.container_statuses.push_back(cs);
    return *this;
  }
  RS& Running(const std::string& name, int restart_count = 0) {
    return C(name, ContainerState::kRunning, 0, restart_count);
  }
  RS& Exited(const std::string& name, int code, int restart_count = 0) {
    return C(name, ContainerState::kExited, code, restart_count);
  }
  RS& NoSandbox() {
    s_.sandbox_statuses.clear();
    s_.ips.clear();
    return *this;
  }
  container::PodStatus Build() const { return s_; }

 private:
  container::PodStatus s_;
};

const api::PodCondition* Cond(const api::PodStatus& s, const std::string& type) {
  for (const api::PodCondition& c : s.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

api::PodStatus Gen(const api::Pod& pod, const container::PodStatus& rs,
                   const ReasonCache* reasons = nullptr, const api::PodStatus* prev = nullptr,
                   absl::Time now = kT0, GenerateOptions opts = {}) {
  static ReasonCache empty;
  return GeneratePodStatus(pod, rs, reasons ? *reasons : empty, prev, now, opts);
}

struct PhaseCase {
  std::string name;
  std::string policy;
  std::vector<std::pair<ContainerState, int>> states;  // per container a, b, ...
  std::string want;
  bool terminal = false;
};

class PhaseTest : public ::testing::TestWithParam<PhaseCase> {};

TEST_P(PhaseTest, Phase) {
  const PhaseCase& tc = GetParam();
  std::vector<std::string> names;
  RS rs;
  for (size_t i = 0; i < tc.states.size(); ++i) {
    names.push_back(std::string(1, static_cast<char>('a' + i)));
    if (tc.states[i].first != ContainerState::kUnknown) {
      rs.C(names.back(), tc.states[i].first, tc.states[i].second);
    }
  }
  api::Pod pod = MakePod(tc.policy, names);
  EXPECT_EQ(Gen(pod, rs.Build(), nullptr, nullptr, kT0, {.pod_is_terminal = tc.terminal}).phase,
            tc.want);
}

constexpr auto kRun = ContainerState::kRunning;
constexpr auto kExit = ContainerState::kExited;
constexpr auto kNone = ContainerState::kUnknown;  // here: no instance at all

INSTANTIATE_TEST_SUITE_P(
    Phases, PhaseTest,
    ::testing::Values(
        PhaseCase{"NotStarted", api::kRestartAlways, {{kNone, 0}}, api::kPodPending},
        PhaseCase{
            "Created", api::kRestartAlways, {{ContainerState::kCreated, 0}}, api::kPodPending},
        PhaseCase{"Running", api::kRestartAlways, {{kRun, 0}}, api::kPodRunning},
        PhaseCase{"AlwaysExit0", api::kRestartAlways, {{kExit, 0}}, api::kPodRunning},
        PhaseCase{"AlwaysExit1", api::kRestartAlways, {{kExit, 1}}, api::kPodRunning},
        PhaseCase{"OnFailureExit0", api::kRestartOnFailure, {{kExit, 0}}, api::kPodSucceeded},
        PhaseCase{"OnFailureExit1", api::kRestartOnFailure, {{kExit, 1}}, api::kPodRunning},
        PhaseCase{"NeverExit0", api::kRestartNever, {{kExit, 0}}, api::kPodSucceeded},
        PhaseCase{"NeverExit1", api::kRestartNever, {{kExit, 1}}, api::kPodFailed},
        PhaseCase{"NeverMixed", api::kRestartNever, {{kExit, 0}, {kExit, 1}}, api::kPodFailed},
        PhaseCase{"NeverOneRunning", api::kRestartNever, {{kExit, 1}, {kRun, 0}}, api::kPodRunning},
        PhaseCase{"OneMissing", api::kRestartAlways, {{kRun, 0}, {kNone, 0}}, api::kPodPending},
        PhaseCase{
            "TerminalAlwaysExit0", api::kRestartAlways, {{kExit, 0}}, api::kPodSucceeded, true},
        PhaseCase{
            "TerminalAlwaysExit1", api::kRestartAlways, {{kExit, 137}}, api::kPodFailed, true}),
    [](const auto& info) { return info.param.name; });

TEST(GenerateTest, FreshPodIsPendingAndContainerCreating) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  api::PodStatus s = Gen(pod, RS().NoSandbox().Build());
  EXPECT_EQ(s.phase, api::kPodPending);
  ASSERT_EQ(s.container_statuses.size(), 1u);
  const api::ContainerStatus& cs = s.container_statuses[0];
  EXPECT_EQ(cs.name, "a");
  EXPECT_EQ(cs.image, "img:a");
  ASSERT_TRUE(cs.state.waiting.has_value());
  EXPECT_EQ(cs.state.waiting->reason, kContainerCreating);
  EXPECT_FALSE(cs.ready);
  EXPECT_EQ(cs.started, false);
  EXPECT_EQ(Cond(s, kPodReadyToStartContainers)->status, api::kConditionFalse);
  EXPECT_EQ(Cond(s, api::kPodScheduled)->status, api::kConditionTrue);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->status, api::kConditionTrue);
  const api::PodCondition* ready = Cond(s, api::kPodReady);
  EXPECT_EQ(ready->status, api::kConditionFalse);
  EXPECT_EQ(ready->reason, kContainersNotReady);
  EXPECT_EQ(ready->message, "containers with unready status: [a]");
  EXPECT_EQ(s.start_time, kT0);
  EXPECT_TRUE(s.pod_ip.empty());
}

// GeneratePodReadyToStartContainersCondition: false with the reason a new
// sandbox would be made (util.PodSandboxChanged's message).
TEST(GenerateTest, PodReadyToStartContainersSaysWhyNot) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  api::PodStatus s = Gen(pod, RS().NoSandbox().Build());
  const api::PodCondition* c = Cond(s, kPodReadyToStartContainers);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, api::kConditionFalse);
  EXPECT_EQ(c->reason, "PodSandboxNotReady");
  EXPECT_EQ(c->message, "no pod sandbox exists");
  container::PodStatus stopped = RS().Exited("a", 1).Build();
  stopped.sandbox_statuses[0].state = container::SandboxState::kNotReady;
  api::PodStatus s2 = Gen(pod, stopped);
  c = Cond(s2, kPodReadyToStartContainers);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->message, "pod sandbox is not ready");
  container::PodStatus no_ip = RS().Running("a").Build();
  no_ip.sandbox_statuses[0].ip.clear();
  api::PodStatus s3 = Gen(pod, no_ip);
  c = Cond(s3, kPodReadyToStartContainers);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->message, "pod sandbox has no IP address");
}

// An eviction (the active deadline) overrides the phase before the
// conditions are generated: they say PodFailed, not PodCompleted, even when
// the containers exited 0 on their SIGTERM (found by oracle/differential.py).
TEST(GenerateTest, EvictionFailsThePodBeforeConditions) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  GenerateOptions opts;
  std::optional<absl::Time> seen_start;
  opts.should_evict = [&seen_start](const std::optional<absl::Time>& start)
      -> std::optional<std::pair<std::string, std::string>> {
    seen_start = start;
    return std::make_pair(std::string("DeadlineExceeded"), std::string("too long"));
  };
  api::PodStatus s = Gen(pod, RS().Exited("a", 0).Build(), nullptr, nullptr, kT0, opts);
  EXPECT_EQ(seen_start, kT0);
  EXPECT_EQ(s.phase, api::kPodFailed);
  EXPECT_EQ(s.reason, "DeadlineExceeded");
  for (const char* type : {api::kPodReady, api::kContainersReady}) {
    ASSERT_NE(Cond(s, type), nullptr) << type;
    EXPECT_EQ(Cond(s, type)->reason, "PodFailed") << type;
  }
  ASSERT_NE(Cond(s, api::kPodInitialized), nullptr);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->reason, "");
}

TEST(GenerateTest, RunningPodIsReady) {
  api::Pod pod = MakePod(api::kRestartAlways, {"b", "a"});
  api::PodStatus s = Gen(pod, RS().Running("b").Running("a").Build());
  EXPECT_EQ(s.phase, api::kPodRunning);
  ASSERT_EQ(s.container_statuses.size(), 2u);
  EXPECT_EQ(s.container_statuses[0].name, "a");  // sorted by name
  const api::ContainerStatus& a = s.container_statuses[0];
  EXPECT_TRUE(a.ready);
  EXPECT_EQ(a.started, true);
  EXPECT_EQ(a.container_id, "containerd://a0");
  EXPECT_EQ(a.image_id, "sha256:a");
  ASSERT_TRUE(a.state.running.has_value());
  EXPECT_EQ(a.state.running->started_at, kT0 + absl::Seconds(1));
  for (const char* type : {api::kPodReady, api::kContainersReady, api::kPodInitialized,
                           api::kPodScheduled, kPodReadyToStartContainers}) {
    ASSERT_NE(Cond(s, type), nullptr) << type;
    EXPECT_EQ(Cond(s, type)->status, api::kConditionTrue) << type;
    EXPECT_EQ(Cond(s, type)->last_transition_time, kT0) << type;
  }
  EXPECT_EQ(s.pod_ip, "10.88.0.5");
  ASSERT_EQ(s.pod_ips.size(), 1u);
}

TEST(GenerateTest, StartedContainersReportTheirVolumeMounts) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a", "b"});
  pod.spec.containers[0].volume_mounts = {
      {.name = "v", .mount_path = "/ro", .read_only = true, .recursive_read_only = "IfPossible"},
      {.name = "v", .mount_path = "/rw"}};
  pod.spec.containers[1].volume_mounts = {{.name = "v", .mount_path = "/x"}};
  api::PodStatus s = Gen(pod, RS().Running("a").Build());
  ASSERT_EQ(s.container_statuses.size(), 2u);
  // Without runtime support for recursive read-only mounts, a read-only one
  // is reported Disabled; a read-write one has no mode.
  EXPECT_EQ(
      s.container_statuses[0].volume_mounts,
      (std::vector<api::VolumeMountStatus>{
          {.name = "v", .mount_path = "/ro", .read_only = true, .recursive_read_only = "Disabled"},
          {.name = "v", .mount_path = "/rw"}}));
  EXPECT_TRUE(s.container_statuses[1].volume_mounts.empty())
      << "a container never created has none, as upstream";
}

TEST(GenerateTest, ReadinessProbeGatesReady) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a", "b"});
  pod.spec.containers[1].readiness_probe = api::Probe{};
  container::PodStatus rs = RS().Running("a").Running("b").Build();
  api::PodStatus s = Gen(pod, rs);
  EXPECT_TRUE(s.container_statuses[0].ready);
  EXPECT_FALSE(s.container_statuses[1].ready);
  EXPECT_EQ(Cond(s, api::kContainersReady)->message, "containers with unready status: [b]");
  EXPECT_EQ(Cond(s, api::kPodReady)->reason, kContainersNotReady);

  ProbeStatus probes;
  probes.ready["b0"] = true;
  s = Gen(pod, rs, nullptr, nullptr, kT0, {.probes = &probes});
  EXPECT_TRUE(s.container_statuses[1].ready);
  EXPECT_EQ(Cond(s, api::kPodReady)->status, api::kConditionTrue);
}

TEST(GenerateTest, TransitionTimeKeptWhileStatusUnchanged) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  api::PodStatus s1 = Gen(pod, RS().Running("a").Build());
  api::PodStatus s2 = Gen(pod, RS().Running("a").Build(), nullptr, &s1, kT0 + absl::Minutes(1));
  EXPECT_EQ(Cond(s2, api::kPodReady)->last_transition_time, kT0);
  EXPECT_EQ(s2.start_time, kT0);

  api::PodStatus s3 = Gen(pod, RS().Exited("a", 1).Build(), nullptr, &s2, kT0 + absl::Minutes(2));
  EXPECT_EQ(Cond(s3, api::kPodReady)->status, api::kConditionFalse);
  EXPECT_EQ(Cond(s3, api::kPodReady)->last_transition_time, kT0 + absl::Minutes(2));
  EXPECT_EQ(Cond(s3, api::kPodScheduled)->last_transition_time, kT0);
  EXPECT_EQ(s3.start_time, kT0);
}

TEST(GenerateTest, LastStateFromPreviousInstance) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  api::PodStatus s = Gen(pod, RS().Running("a", 1).Exited("a", 2, 0).Build());
  const api::ContainerStatus& cs = s.container_statuses[0];
  EXPECT_EQ(cs.restart_count, 1);
  EXPECT_TRUE(cs.state.running.has_value());
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  EXPECT_EQ(cs.last_state.terminated->exit_code, 2);
  EXPECT_EQ(cs.last_state.terminated->reason, kReasonError);
  EXPECT_EQ(cs.last_state.terminated->container_id, "containerd://a0");
  EXPECT_EQ(cs.last_state.terminated->finished_at, kT0 + absl::Seconds(2));
}

TEST(GenerateTest, TerminatedReasons) {
  api::Pod pod = MakePod(api::kRestartNever, {"a", "b", "c"});
  api::PodStatus s = Gen(pod, RS().Exited("a", 0)
                                  .Exited("b", 1)
                                  .C("c", ContainerState::kExited, 137, 0, kReasonOOMKilled)
                                  .Build());
  EXPECT_EQ(s.container_statuses[0].state.terminated->reason, kReasonCompleted);
  EXPECT_EQ(s.container_statuses[1].state.terminated->reason, kReasonError);
  EXPECT_EQ(s.container_statuses[2].state.terminated->reason, kReasonOOMKilled);
  EXPECT_EQ(s.container_statuses[2].state.terminated->exit_code, 137);
  EXPECT_EQ(s.phase, api::kPodFailed);
  EXPECT_EQ(Cond(s, api::kContainersReady)->reason, kPodFailedReason);
}

TEST(GenerateTest, SucceededPodConditions) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  api::PodStatus s = Gen(pod, RS().Exited("a", 0).Build());
  EXPECT_EQ(s.phase, api::kPodSucceeded);
  EXPECT_EQ(Cond(s, api::kPodReady)->status, api::kConditionFalse);
  EXPECT_EQ(Cond(s, api::kPodReady)->reason, kPodCompleted);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->reason, kPodCompleted);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->status, api::kConditionTrue);
}

TEST(GenerateTest, CrashLoopBackOffWaitingReason) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  ReasonCache reasons;
  reasons.Add(
      "uid", "a",
      {container::kCrashLoopBackOff, "back-off 20s restarting failed container=a pod=p_ns(uid)"});
  api::PodStatus s = Gen(pod, RS().Exited("a", 1, 2).Exited("a", 1, 1).Build(), &reasons);
  const api::ContainerStatus& cs = s.container_statuses[0];
  ASSERT_TRUE(cs.state.waiting.has_value());
  EXPECT_EQ(cs.state.waiting->reason, container::kCrashLoopBackOff);
  EXPECT_EQ(cs.state.waiting->message, "back-off 20s restarting failed container=a pod=p_ns(uid)");
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  EXPECT_EQ(cs.last_state.terminated->container_id, "containerd://a2");
  EXPECT_EQ(cs.restart_count, 2);
  EXPECT_FALSE(cs.ready);
  EXPECT_EQ(s.phase, api::kPodRunning);  // waiting with a last termination counts as stopped

  // Not restartable (Never): the terminated state stays, no waiting reason.
  pod.spec.restart_policy = api::kRestartNever;
  s = Gen(pod, RS().Exited("a", 1).Build(), &reasons);
  EXPECT_TRUE(s.container_statuses[0].state.terminated.has_value());
}

TEST(GenerateTest, ImagePullErrorWithoutInstance) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  ReasonCache reasons;
  reasons.Add("uid", "a", {container::kErrImagePull, "Failed to pull image \"img:a\": nope"});
  api::PodStatus s = Gen(pod, RS().Build(), &reasons);
  const api::ContainerStatus& cs = s.container_statuses[0];
  EXPECT_EQ(cs.state.waiting->reason, container::kErrImagePull);
  EXPECT_FALSE(cs.last_state.terminated.has_value());
  EXPECT_EQ(s.phase, api::kPodPending);
}

TEST(GenerateTest, InitContainers) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"}, {"i1", "i0"});
  // i1 (first in spec) running.
  api::PodStatus s = Gen(pod, RS().Running("i1").Build());
  EXPECT_EQ(s.phase, api::kPodPending);
  ASSERT_EQ(s.init_container_statuses.size(), 2u);
  EXPECT_EQ(s.init_container_statuses[0].name, "i1");  // spec order
  EXPECT_EQ(s.init_container_statuses[1].state.waiting->reason, kPodInitializing);
  EXPECT_EQ(s.container_statuses[0].state.waiting->reason, kPodInitializing);
  const api::PodCondition* init = Cond(s, api::kPodInitialized);
  EXPECT_EQ(init->status, api::kConditionFalse);
  EXPECT_EQ(init->reason, kContainersNotInitialized);
  EXPECT_EQ(init->message, "containers with incomplete status: [i1 i0]");

  // Both done, app running.
  s = Gen(pod, RS().Running("a").Exited("i0", 0).Exited("i1", 0).Build());
  EXPECT_EQ(s.phase, api::kPodRunning);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->status, api::kConditionTrue);
  EXPECT_TRUE(s.init_container_statuses[0].ready);  // completed init containers are ready
  EXPECT_EQ(Cond(s, api::kPodReady)->status, api::kConditionTrue);
}

TEST(GenerateTest, FailedInitContainer) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"}, {"i0"});
  api::PodStatus s = Gen(pod, RS().Exited("i0", 1).Build());
  EXPECT_EQ(s.phase, api::kPodFailed);
  EXPECT_EQ(s.init_container_statuses[0].state.terminated->exit_code, 1);

  // Under Always it is retried: Pending, waiting with the back-off reason.
  pod.spec.restart_policy = api::kRestartAlways;
  ReasonCache reasons;
  reasons.Add("uid", "i0", {container::kCrashLoopBackOff, "back-off 10s ..."});
  s = Gen(pod, RS().Exited("i0", 1).Build(), &reasons);
  EXPECT_EQ(s.phase, api::kPodPending);
  EXPECT_EQ(s.init_container_statuses[0].state.waiting->reason, container::kCrashLoopBackOff);
  EXPECT_EQ(s.init_container_statuses[0].last_state.terminated->exit_code, 1);
}

TEST(GenerateTest, ContainerRestartRulesDecideThePhase) {
  api::Pod pod = MakePod(api::kRestartNever, {"a", "b"});
  pod.spec.containers[0].restart_policy = api::kRestartNever;
  pod.spec.containers[0].restart_policy_rules.push_back(
      {.action = api::kRestartRuleActionRestart,
       .exit_codes = api::ContainerRestartRuleOnExitCodes{.operator_ = "In", .values = {42}}});
  // a will be restarted (exit 42 matches its rule): the pod still runs.
  EXPECT_EQ(Gen(pod, RS().Exited("a", 42).Exited("b", 0).Build()).phase, api::kPodRunning);
  EXPECT_EQ(Gen(pod, RS().Exited("a", 1).Exited("b", 0).Build()).phase, api::kPodFailed);
  // b's own Always in a Never pod: restarting, so Running.
  pod.spec.containers[1].restart_policy = api::kRestartAlways;
  EXPECT_EQ(Gen(pod, RS().Exited("a", 0).Exited("b", 0).Build()).phase, api::kPodRunning);
  // And a's own Never in an Always pod: once b is done too, the pod is done.
  pod.spec.restart_policy = api::kRestartAlways;
  pod.spec.containers[1].restart_policy = api::kRestartNever;
  EXPECT_EQ(Gen(pod, RS().Exited("a", 0).Exited("b", 0).Build()).phase, api::kPodSucceeded);

  // A failed init container the pod's policy would not retry, but its own does.
  api::Pod init = MakePod(api::kRestartNever, {"a"}, {"i0"});
  init.spec.init_containers[0].restart_policy = api::kRestartOnFailure;
  EXPECT_EQ(Gen(init, RS().Exited("i0", 1).Build()).phase, api::kPodPending);
}

TEST(GenerateTest, EphemeralContainersHaveTheirOwnStatusesOutsideThePhase) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  api::Container debug;
  debug.name = "debugger";
  debug.image = "busybox";
  pod.spec.ephemeral_containers.push_back(debug);
  api::PodStatus s = Gen(pod, RS().Running("debugger").Exited("a", 0).Build());
  ASSERT_EQ(s.ephemeral_container_statuses.size(), 1u);
  EXPECT_EQ(s.ephemeral_container_statuses[0].name, "debugger");
  EXPECT_TRUE(s.ephemeral_container_statuses[0].state.running.has_value());
  EXPECT_FALSE(s.ephemeral_container_statuses[0].started.has_value());  // never probed
  EXPECT_FALSE(s.ephemeral_container_statuses[0].ready);
  ASSERT_EQ(s.container_statuses.size(), 1u);
  // A running debugger does not keep the pod Running: a is done.
  EXPECT_EQ(s.phase, api::kPodSucceeded);
}

TEST(GenerateTest, SidecarMustStartBeforeInitialized) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"}, {"side"});
  pod.spec.init_containers[0].restart_policy = api::kRestartAlways;
  pod.spec.init_containers[0].startup_probe = api::Probe{};
  api::PodStatus s = Gen(pod, RS().Running("side").Build());
  EXPECT_EQ(s.init_container_statuses[0].started, false);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->status, api::kConditionFalse);
  EXPECT_EQ(s.phase, api::kPodPending);

  ProbeStatus probes;
  probes.started["side0"] = true;
  s = Gen(pod, RS().Running("a").Running("side").Build(), nullptr, nullptr, kT0,
          {.probes = &probes});
  EXPECT_EQ(s.init_container_statuses[0].started, true);
  EXPECT_TRUE(s.init_container_statuses[0].ready);
  EXPECT_EQ(Cond(s, api::kPodInitialized)->status, api::kConditionTrue);
  EXPECT_EQ(s.phase, api::kPodRunning);
}

TEST(GenerateTest, TerminalPhaseIsFinal) {
  api::Pod pod = MakePod(api::kRestartNever, {"a"});
  api::PodStatus failed = Gen(pod, RS().Exited("a", 1).Build());
  failed.reason = "Evicted";
  ASSERT_EQ(failed.phase, api::kPodFailed);
  // The containers vanished (GC): without memory this would read Pending.
  api::PodStatus later = Gen(pod, RS().NoSandbox().Build(), nullptr, &failed);
  EXPECT_EQ(later.phase, api::kPodFailed);
  EXPECT_EQ(later.reason, "Evicted");
  EXPECT_TRUE(later.container_statuses[0].state.terminated.has_value());
}

TEST(GenerateTest, VanishedRunningContainerCountsAsTerminated) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  api::PodStatus running = Gen(pod, RS().Running("a", 3).Build());
  api::PodStatus s = Gen(pod, RS().Build(), nullptr, &running);
  const api::ContainerStatus& cs = s.container_statuses[0];
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  EXPECT_EQ(cs.last_state.terminated->reason, kContainerStatusUnknown);
  EXPECT_EQ(cs.last_state.terminated->exit_code, 137);
  EXPECT_EQ(cs.restart_count, 4);
  EXPECT_EQ(s.phase, api::kPodRunning);
}

TEST(GenerateTest, ForeignConditionsKept) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  api::PodStatus prev;
  prev.conditions.push_back({.type = "DisruptionTarget", .status = api::kConditionTrue});
  api::PodStatus s = Gen(pod, RS().Running("a").Build(), nullptr, &prev);
  ASSERT_NE(Cond(s, "DisruptionTarget"), nullptr);
  EXPECT_EQ(s.conditions.size(), 6u);
}

TEST(GenerateTest, ReadinessGatesHoldReadyUntilTheirConditionsAreTrue) {
  api::Pod pod = MakePod(api::kRestartAlways, {"a"});
  pod.spec.readiness_gates = {"k8s.io/test-condition1", "k8s.io/test-condition2"};
  container::PodStatus rs = RS().Running("a").Build();
  api::PodStatus s = Gen(pod, rs);
  EXPECT_EQ(Cond(s, api::kContainersReady)->status, api::kConditionTrue);
  EXPECT_EQ(Cond(s, api::kPodReady)->status, api::kConditionFalse);
  EXPECT_EQ(Cond(s, api::kPodReady)->reason, "ReadinessGatesNotReady");
  EXPECT_EQ(Cond(s, api::kPodReady)->message,
            "corresponding condition of pod readiness gate \"k8s.io/test-condition1\" does not "
            "exist., corresponding condition of pod readiness gate \"k8s.io/test-condition2\" "
            "does not exist.");
  // Someone patches the conditions in the API server (the pod as it comes back).
  pod.status.conditions = {{.type = "k8s.io/test-condition1", .status = api::kConditionTrue},
                           {.type = "k8s.io/test-condition2", .status = api::kConditionFalse}};
  s = Gen(pod, rs, nullptr, &s);
  EXPECT_EQ(Cond(s, api::kPodReady)->message,
            "the status of pod readiness gate \"k8s.io/test-condition2\" is not \"True\", but "
            "False");
  ASSERT_NE(Cond(s, "k8s.io/test-condition1"), nullptr) << "kept as the API server has it";
  pod.status.conditions[1].status = api::kConditionTrue;
  s = Gen(pod, rs, nullptr, &s);
  EXPECT_EQ(Cond(s, api::kPodReady)->status, api::kConditionTrue);
}

}  // namespace
}  // namespace cubelet::status
