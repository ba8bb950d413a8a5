// Pod lifecycle on the real runtime: preStop hooks run before TERM, probes
// restart and gate containers, sidecars start first and stop last. Each test
// runs its own `cubelet` against the private containerd (see agent_fixture.h).
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "agent_fixture.h"

namespace cubelet {
namespace {

// The lines a pod's containers appended to <shared>/order (a hostPath).
std::vector<std::string> ReadLines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A container that appends `name`-start, and `name`-term on SIGTERM, to the
// shared order file (sleeps in short steps so the trap runs promptly).
std::string Recorder(const std::string& name) {
  return absl::StrCat("echo ", name, "-start >> /shared/order; trap 'echo ", name,
                      "-term >> /shared/order; exit 0' TERM; while true; do sleep 0.2; done");
}

class LifecycleTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    fs::create_directories(shared());
  }
  fs::path shared() const { return dir_ / "shared"; }
  std::string SharedVolume() const {
    return absl::StrCat(
        "  volumes:\n  - name: shared\n    hostPath:\n      path: ", shared().string(), "\n");
  }
  // Deletes the manifest and waits until the agent has removed the pod.
  void DeleteAndWait(const std::string& file, const std::string& pod) {
    fs::remove(dir_ / "manifests" / file);
    EXPECT_TRUE(
        Eventually([&] { return !FindPod(pod).has_value() && NoRuntimePods(); }, absl::Seconds(60)))
        << pod << " not removed";
  }
  static const api::PodCondition* Condition(const api::Pod& pod, const std::string& type) {
    for (const api::PodCondition& c : pod.status.conditions) {
      if (c.type == type) return &c;
    }
    return nullptr;
  }
  bool Ready(const std::string& name) {
    std::optional<api::Pod> pod = FindPod(name);
    if (!pod.has_value()) return false;
    const api::PodCondition* c = Condition(*pod, api::kPodReady);
    return c != nullptr && c->status == api::kConditionTrue;
  }
};

TEST_F(LifecycleTest, PreStopHookRunsBeforeTerm) {
  WriteManifest("hook.yaml", absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: hook
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 20
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ")",
                                          Recorder("app"), R"("]
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop >> /shared/order; sleep 1"]
    volumeMounts:
    - name: shared
      mountPath: /shared
)",
                                          SharedVolume()));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("hook") == "Running"; })) << PodPhase("hook");
  ASSERT_TRUE(Eventually([&] { return ReadLines(shared() / "order").size() == 1; }));
  const absl::Time deleted = absl::Now();
  DeleteAndWait("hook.yaml", "hook-" + std::string(kNode));
  EXPECT_EQ(ReadLines(shared() / "order"),
            (std::vector<std::string>{"app-start", "prestop", "app-term"}));
  // The container handled TERM: nothing waited for the 20 s grace.
  EXPECT_LT(absl::Now() - deleted, absl::Seconds(15));
}

TEST_F(LifecycleTest, TermIgnoringContainerIsKilledAfterExactlyItsGrace) {
  // The container ignores TERM and touches a file every 100 ms: the file's
  // last modification is when SIGKILL came.
  WriteManifest("stubborn.yaml", absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: stubborn
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 3
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap '' TERM; while true; do touch /shared/alive; sleep 0.1; done"]
    volumeMounts:
    - name: shared
      mountPath: /shared
)",
                                              SharedVolume()));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return fs::exists(shared() / "alive"); }, absl::Seconds(30)));
  const auto deleted = fs::file_time_type::clock::now();
  DeleteAndWait("stubborn.yaml", "stubborn-" + std::string(kNode));
  const double lived =
      std::chrono::duration<double>(fs::last_write_time(shared() / "alive") - deleted).count();
  EXPECT_GE(lived, 2.8) << "killed before its grace";
  EXPECT_LE(lived, 4.0) << "killed late";
}

// The host's uptime in seconds; /proc/uptime is not namespaced, so container
// and test timestamps compare directly.
double Uptime() {
  std::ifstream in("/proc/uptime");
  double up = 0;
  in >> up;
  return up;
}

std::vector<double> ReadTimes(const fs::path& file) {
  std::vector<double> times;
  for (const std::string& line : ReadLines(file)) {
    double t = 0;
    if (absl::SimpleAtod(line.substr(line.find(' ') + 1), &t)) times.push_back(t);
  }
  return times;
}

// kubernetes#123602/#133066: a crash-looping container restarts when its
// back-off expires (at once, then 10 s, 20 s ... after each exit), not at the
// next periodic resync. Each start stamps the host's uptime.
TEST_F(LifecycleTest, CrashLoopRestartsFollowTheBackOffSequence) {
  WriteManifest("crash.yaml", absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: crash
spec:
  hostNetwork: true
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo start $(cut -d' ' -f1 /proc/uptime) >> /shared/starts; exit 1"]
    volumeMounts:
    - name: shared
      mountPath: /shared
)",
                                           SharedVolume()));
  StartAgent();
  ASSERT_TRUE(
      Eventually([&] { return ReadTimes(shared() / "starts").size() >= 4; }, absl::Seconds(60)))
      << ReadLines(shared() / "starts").size() << " starts";
  std::vector<double> starts = ReadTimes(shared() / "starts");
  // Each instance exits within milliseconds of its start, so the gap between
  // starts is the exit-to-restart delay.
  EXPECT_LT(starts[1] - starts[0], 3.0) << "the first restart is immediate";
  EXPECT_GE(starts[2] - starts[1], 10.0);
  EXPECT_LT(starts[2] - starts[1], 12.5) << "restarted late after the 10 s back-off";
  EXPECT_GE(starts[3] - starts[2], 20.0);
  EXPECT_LT(starts[3] - starts[2], 22.5) << "restarted late after the 20 s back-off";
  // The fourth instance writes its line as soon as it runs, a moment before
  // the agent has seen it: the status catches up within the exit latency.
  int restarts = -1;
  EXPECT_TRUE(Eventually(
      [&] {
        std::optional<api::Pod> pod = FindPod("crash");
        const api::ContainerStatus* app = pod ? StatusOf(*pod, "app") : nullptr;
        restarts = app != nullptr ? app->restart_count : -1;
        return restarts >= 3;
      },
      absl::Seconds(5)))
      << "restartCount " << restarts;
}

// upstream executePreStopHook: a preStop hook that outlives the grace period
// does not hold back the TERM: it comes at the grace period, the KILL at most
// 2 s later.
TEST_F(LifecycleTest, PreStopHookLongerThanGraceDoesNotDelayTerm) {
  WriteManifest("longhook.yaml", absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: longhook
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 4
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'echo term $(cut -d\" \" -f1 /proc/uptime) >> /shared/times' TERM; while true; do touch /shared/alive; sleep 0.1; done"]
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop $(cut -d' ' -f1 /proc/uptime) >> /shared/times; sleep 30"]
    volumeMounts:
    - name: shared
      mountPath: /shared
)",
                                              SharedVolume()));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return fs::exists(shared() / "alive"); }, absl::Seconds(30)));
  const double deleted = Uptime();
  const auto deleted_at = fs::file_time_type::clock::now();
  DeleteAndWait("longhook.yaml", "longhook-" + std::string(kNode));
  std::vector<std::string> lines = ReadLines(shared() / "times");
  std::vector<double> times = ReadTimes(shared() / "times");
  ASSERT_EQ(times.size(), 2u) << absl::StrJoin(lines, "\n");
  EXPECT_EQ(lines[0].substr(0, 7), "prestop");
  EXPECT_EQ(lines[1].substr(0, 4), "term");
  EXPECT_GE(times[1] - deleted, 3.8) << "TERM before the grace period";
  EXPECT_LT(times[1] - deleted, 5.5) << "TERM held back by the preStop hook";
  const double lived =
      std::chrono::duration<double>(fs::last_write_time(shared() / "alive") - deleted_at).count();
  EXPECT_LT(lived, 8.0) << "KILL more than 2 s after the TERM";
}

// SIGTERM to the agent never waits for pods: a preStop hook in flight is
// abandoned (the pod keeps running; the next agent finishes the kill).
TEST_F(LifecycleTest, AgentShutdownDoesNotWaitForHooksInFlight) {
  WriteManifest("busyhook.yaml", absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: busyhook
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 6
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ")",
                                              Recorder("app"), R"("]
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop >> /shared/order; sleep 30"]
    volumeMounts:
    - name: shared
      mountPath: /shared
)",
                                              SharedVolume()));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return ReadLines(shared() / "order").size() == 1; }));
  fs::remove(dir_ / "manifests" / "busyhook.yaml");
  ASSERT_TRUE(Eventually([&] { return ReadLines(shared() / "order").size() == 2; }))
      << "the preStop hook did not start";
  const absl::Time signalled = absl::Now();
  StopAgent(SIGTERM);
  EXPECT_LT(absl::Now() - signalled, absl::Milliseconds(2500)) << "shutdown waited for the hook";
  // The pod outlives the agent; a new agent finishes the deletion.
  StartAgent();
  EXPECT_TRUE(Eventually([&] { return NoRuntimePods(); }, absl::Seconds(60)));
}

TEST_F(LifecycleTest, FailingLivenessProbeRestartsTheContainer) {
  WriteManifest("live.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: live
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; exec sleep 3600"]
    livenessProbe:
      exec:
        command: ["cat", "/tmp/healthy"]
      periodSeconds: 1
      failureThreshold: 2
)");
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("live") == "Running"; })) << PodPhase("live");
  ASSERT_TRUE(Eventually(
      [&] {
        std::optional<api::Pod> pod = FindPod("live");
        return pod && !pod->status.container_statuses.empty() &&
               pod->status.container_statuses[0].restart_count >= 1;
      },
      absl::Seconds(40)))
      << "never restarted";
  const api::ContainerStatus cs = FindPod("live")->status.container_statuses[0];
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  // Killed by the kubelet: TERM (sh exits 143) or KILL after the grace (137).
  EXPECT_TRUE(cs.last_state.terminated->exit_code == 143 ||
              cs.last_state.terminated->exit_code == 137)
      << cs.last_state.terminated->exit_code;
}

TEST_F(LifecycleTest, ReadinessProbeFlipsReadyAndTcpLivenessKeepsItRunning) {
  WriteManifest("ready.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: ready
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www; (sleep 4; echo ok > /www/ready.html; sleep 5; rm /www/ready.html) & exec httpd -f -p 8080 -h /www"]
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /ready.html
        port: http
      periodSeconds: 1
      failureThreshold: 1
    livenessProbe:
      tcpSocket:
        port: 8080
      periodSeconds: 1
)");
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("ready") == "Running"; })) << PodPhase("ready");
  EXPECT_FALSE(Ready("ready")) << "ready before the probe passed";
  ASSERT_TRUE(Eventually([&] { return Ready("ready"); }, absl::Seconds(20))) << "never ready";
  std::optional<api::Pod> pod = FindPod("ready");
  EXPECT_TRUE(pod->status.container_statuses[0].ready);
  EXPECT_FALSE(pod->status.pod_ip.empty());
  ASSERT_TRUE(Eventually([&] { return !Ready("ready"); }, absl::Seconds(20)))
      << "still ready after the page went";
  pod = FindPod("ready");
  EXPECT_EQ(pod->status.phase, "Running");
  EXPECT_EQ(pod->status.container_statuses[0].restart_count, 0) << "tcp liveness kept passing";
}

TEST_F(LifecycleTest, SidecarStartsFirstAndStopsLast) {
  WriteManifest("sidecar.yaml", absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: sidecar
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 20
  initContainers:
  - name: proxy
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: ["sh", "-c", ")",
                                             Recorder("proxy"), R"("]
    startupProbe:
      exec:
        command: ["cat", "/shared/order"]
      periodSeconds: 1
    volumeMounts:
    - name: shared
      mountPath: /shared
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ")",
                                             Recorder("app"), R"("]
    volumeMounts:
    - name: shared
      mountPath: /shared
)",
                                             SharedVolume()));
  StartAgent();
  ASSERT_TRUE(
      Eventually([&] { return ReadLines(shared() / "order").size() == 2; }, absl::Seconds(40)))
      << "app never started";
  ASSERT_TRUE(Eventually([&] { return PodPhase("sidecar") == "Running"; }));
  std::optional<api::Pod> pod = FindPod("sidecar");
  ASSERT_EQ(pod->status.init_container_statuses.size(), 1u);
  EXPECT_TRUE(pod->status.init_container_statuses[0].state.running.has_value());
  DeleteAndWait("sidecar.yaml", "sidecar-" + std::string(kNode));
  EXPECT_EQ(ReadLines(shared() / "order"),
            (std::vector<std::string>{"proxy-start", "app-start", "app-term", "proxy-term"}));
}

}  // namespace
}  // namespace cubelet
