#include "cli/printers.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/pod.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cubelet::cli {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

api::Container MakeContainer(std::string name) {
  api::Container c;
  c.name = std::move(name);
  c.image = "busybox";
  return c;
}

api::ContainerStatus Running(std::string name, bool ready) {
  api::ContainerStatus s;
  s.name = std::move(name);
  s.ready = ready;
  s.started = true;
  s.state.running = api::ContainerStateRunning{kNow - absl::Minutes(5)};
  return s;
}

api::ContainerStatus Waiting(std::string name, std::string reason) {
  api::ContainerStatus s;
  s.name = std::move(name);
  s.state.waiting = api::ContainerStateWaiting{std::move(reason), ""};
  return s;
}

api::ContainerStatus Terminated(std::string name, int exit_code, std::string reason,
                                int signal = 0) {
  api::ContainerStatus s;
  s.name = std::move(name);
  api::ContainerStateTerminated t;
  t.exit_code = exit_code;
  t.reason = std::move(reason);
  t.signal = signal;
  s.state.terminated = t;
  return s;
}

// A pod with the named main containers (and init containers), phase Running.
api::Pod MakePod(std::string name, std::vector<std::string> containers,
                 std::vector<std::string> init_containers = {}) {
  api::Pod pod;
  pod.metadata.name = std::move(name);
  pod.metadata.namespace_ = "default";
  pod.metadata.creation_timestamp = kNow - absl::Minutes(5);
  for (std::string& c : containers) pod.spec.containers.push_back(MakeContainer(std::move(c)));
  for (std::string& c : init_containers) {
    pod.spec.init_containers.push_back(MakeContainer(std::move(c)));
  }
  pod.status.phase = api::kPodRunning;
  return pod;
}

void SetCondition(api::Pod& pod, const char* type, const char* status, std::string reason = "") {
  pod.status.conditions.push_back({type, status, std::nullopt, std::nullopt, reason, ""});
}

// --- HumanDuration / TimestampSince -------------------------------------------

TEST(HumanDurationTest, MatchesApimachinery) {
  struct Case {
    absl::Duration d;
    const char* want;
  } cases[] = {
      {absl::Seconds(-3), "<invalid>"},
      {absl::Seconds(-2), "<invalid>"},
      {absl::Seconds(-1), "0s"},
      {absl::Milliseconds(-1500), "0s"},
      {absl::ZeroDuration(), "0s"},
      {absl::Seconds(5), "5s"},
      {absl::Milliseconds(5900), "5s"},
      {absl::Seconds(119), "119s"},
      {absl::Seconds(120), "2m"},
      {absl::Seconds(182), "3m2s"},
      {absl::Seconds(599), "9m59s"},
      {absl::Minutes(10), "10m"},
      {absl::Minutes(10) + absl::Seconds(30), "10m"},
      {absl::Minutes(179), "179m"},
      {absl::Hours(3), "3h"},
      {absl::Hours(7) + absl::Minutes(59), "7h59m"},
      {absl::Hours(8) + absl::Minutes(30), "8h"},
      {absl::Hours(47), "47h"},
      {absl::Hours(48), "2d"},
      {absl::Hours(51), "2d3h"},
      {absl::Hours(7 * 24 + 23), "7d23h"},
      {absl::Hours(8 * 24 + 5), "8d"},
      {absl::Hours(729 * 24), "729d"},
      {absl::Hours(730 * 24), "2y"},
      {absl::Hours(733 * 24), "2y3d"},
      {absl::Hours(8 * 365 * 24), "8y"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HumanDuration(c.d), c.want) << absl::FormatDuration(c.d);
  }
}

TEST(TimestampSinceTest, UnsetIsUnknown) {
  EXPECT_EQ(TimestampSince(std::nullopt, kNow), "<unknown>");
  EXPECT_EQ(TimestampSince(kNow - absl::Seconds(42), kNow), "42s");
}

// --- STATUS / READY / RESTARTS (printPod) -----------------------------------

TEST(SummarizePodTest, RunningAndReady) {
  api::Pod pod = MakePod("web", {"app", "sidecar"});
  pod.status.container_statuses = {Running("app", true), Running("sidecar", true)};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Running");
  EXPECT_EQ(s.ready, 2);
  EXPECT_EQ(s.total, 2);
  EXPECT_EQ(s.restarts, 0);
}

TEST(SummarizePodTest, RunningButNotReadyCountsOnlyReady) {
  api::Pod pod = MakePod("web", {"app", "sidecar"});
  pod.status.container_statuses = {Running("app", true), Running("sidecar", false)};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Running");
  EXPECT_EQ(s.ready, 1);
}

TEST(SummarizePodTest, PendingWithoutStatusesShowsPhase) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.phase = api::kPodPending;
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Pending");
  EXPECT_EQ(s.ready, 0);
  EXPECT_EQ(s.total, 1);
}

TEST(SummarizePodTest, StatusReasonOverridesPhase) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.phase = api::kPodFailed;
  pod.status.reason = "Evicted";
  EXPECT_EQ(SummarizePod(pod).status, "Evicted");
}

TEST(SummarizePodTest, SchedulingGated) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.phase = api::kPodPending;
  SetCondition(pod, api::kPodScheduled, api::kConditionFalse, "SchedulingGated");
  EXPECT_EQ(SummarizePod(pod).status, "SchedulingGated");
}

TEST(SummarizePodTest, WaitingReason) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.phase = api::kPodPending;
  pod.status.container_statuses = {Waiting("app", "ContainerCreating")};
  EXPECT_EQ(SummarizePod(pod).status, "ContainerCreating");
}

TEST(SummarizePodTest, WaitingWithoutReasonKeepsPhase) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.phase = api::kPodPending;
  pod.status.container_statuses = {Waiting("app", "")};
  EXPECT_EQ(SummarizePod(pod).status, "Pending");
}

TEST(SummarizePodTest, FirstContainerReasonWins) {
  api::Pod pod = MakePod("web", {"a", "b"});
  pod.status.container_statuses = {Waiting("a", "ImagePullBackOff"),
                                   Waiting("b", "CrashLoopBackOff")};
  EXPECT_EQ(SummarizePod(pod).status, "ImagePullBackOff");
}

TEST(SummarizePodTest, TerminatedReasonAndCompleted) {
  api::Pod pod = MakePod("job", {"app"});
  pod.status.phase = api::kPodSucceeded;
  pod.status.container_statuses = {Terminated("app", 0, "Completed")};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Completed");
  EXPECT_EQ(s.ready, 0);

  pod.status.phase = api::kPodFailed;
  pod.status.container_statuses = {Terminated("app", 1, "Error")};
  EXPECT_EQ(SummarizePod(pod).status, "Error");
}

TEST(SummarizePodTest, TerminatedWithoutReasonShowsExitCodeOrSignal) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.container_statuses = {Terminated("app", 137, "")};
  EXPECT_EQ(SummarizePod(pod).status, "ExitCode:137");
  pod.status.container_statuses = {Terminated("app", 137, "", 9)};
  EXPECT_EQ(SummarizePod(pod).status, "Signal:9");
}

TEST(SummarizePodTest, CompletedWithARunningContainerIsRunningOrNotReady) {
  api::Pod pod = MakePod("web", {"done", "server"});
  pod.status.container_statuses = {Terminated("done", 0, "Completed"), Running("server", true)};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "NotReady");  // no Ready condition
  EXPECT_EQ(s.ready, 1);
  SetCondition(pod, api::kPodReady, api::kConditionTrue);
  EXPECT_EQ(SummarizePod(pod).status, "Running");
}

TEST(SummarizePodTest, InitProgress) {
  api::Pod pod = MakePod("web", {"app"}, {"first", "second"});
  pod.status.phase = api::kPodPending;
  pod.status.init_container_statuses = {Running("first", false),
                                        Waiting("second", "PodInitializing")};
  pod.status.container_statuses = {Waiting("app", "PodInitializing")};
  EXPECT_EQ(SummarizePod(pod).status, "Init:0/2");

  pod.status.init_container_statuses = {Terminated("first", 0, "Completed"),
                                        Running("second", false)};
  EXPECT_EQ(SummarizePod(pod).status, "Init:1/2");
}

TEST(SummarizePodTest, InitWaitingReason) {
  api::Pod pod = MakePod("web", {"app"}, {"init"});
  pod.status.phase = api::kPodPending;
  api::ContainerStatus init = Waiting("init", "CrashLoopBackOff");
  init.restart_count = 4;
  pod.status.init_container_statuses = {init};
  pod.status.container_statuses = {Waiting("app", "PodInitializing")};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Init:CrashLoopBackOff");
  EXPECT_EQ(s.restarts, 4);  // init restarts count while initializing
}

TEST(SummarizePodTest, InitTerminated) {
  api::Pod pod = MakePod("web", {"app"}, {"init"});
  pod.status.phase = api::kPodPending;
  pod.status.init_container_statuses = {Terminated("init", 1, "Error")};
  EXPECT_EQ(SummarizePod(pod).status, "Init:Error");
  pod.status.init_container_statuses = {Terminated("init", 3, "")};
  EXPECT_EQ(SummarizePod(pod).status, "Init:ExitCode:3");
  pod.status.init_container_statuses = {Terminated("init", 137, "", 9)};
  EXPECT_EQ(SummarizePod(pod).status, "Init:Signal:9");
}

TEST(SummarizePodTest, InitDoneMainContainerPodInitializing) {
  api::Pod pod = MakePod("web", {"app"}, {"init"});
  pod.status.phase = api::kPodPending;
  api::ContainerStatus init = Terminated("init", 0, "Completed");
  init.restart_count = 2;  // no longer counted once initialized
  pod.status.init_container_statuses = {init};
  pod.status.container_statuses = {Waiting("app", "PodInitializing")};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "PodInitializing");
  EXPECT_EQ(s.restarts, 0);
}

TEST(SummarizePodTest, InitializedConditionLetsMainContainersDecide) {
  // The Initialized condition is True although an init status looks unfinished
  // (e.g. after a node restart): the main containers' reasons and restarts count.
  api::Pod pod = MakePod("web", {"app"}, {"init"});
  api::ContainerStatus init = Waiting("init", "");
  init.restart_count = 3;
  pod.status.init_container_statuses = {init};
  api::ContainerStatus app = Waiting("app", "CrashLoopBackOff");
  app.restart_count = 2;
  pod.status.container_statuses = {app};
  SetCondition(pod, api::kPodInitialized, api::kConditionTrue);
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "CrashLoopBackOff");
  EXPECT_EQ(s.restarts, 2);

  // A running main container sets no reason, so the init one stays (as upstream).
  pod.status.container_statuses = {Running("app", true)};
  s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Init:0/1");
  EXPECT_EQ(s.ready, 1);
}

TEST(SummarizePodTest, SidecarCountsTowardReadyAndRestarts) {
  api::Pod pod = MakePod("web", {"app"}, {"setup", "proxy"});
  pod.spec.init_containers[1].restart_policy = api::kRestartAlways;
  api::ContainerStatus proxy = Running("proxy", true);
  proxy.restart_count = 1;
  proxy.last_state.terminated = api::ContainerStateTerminated{};
  proxy.last_state.terminated->finished_at = kNow - absl::Minutes(7);
  api::ContainerStatus setup = Terminated("setup", 0, "Completed");
  setup.restart_count = 3;  // a finished regular init container's restarts are dropped
  pod.status.init_container_statuses = {setup, proxy};
  pod.status.container_statuses = {Running("app", true)};
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Running");
  EXPECT_EQ(s.ready, 2);
  EXPECT_EQ(s.total, 2);
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.last_restart, kNow - absl::Minutes(7));
}

TEST(SummarizePodTest, SidecarNotStartedBlocksInit) {
  api::Pod pod = MakePod("web", {"app"}, {"proxy"});
  pod.spec.init_containers[0].restart_policy = api::kRestartAlways;
  api::ContainerStatus proxy = Running("proxy", false);
  proxy.started = false;
  pod.status.init_container_statuses = {proxy};
  pod.status.phase = api::kPodPending;
  PodSummary s = SummarizePod(pod);
  EXPECT_EQ(s.status, "Init:0/1");
  EXPECT_EQ(s.total, 2);
}

TEST(SummarizePodTest, Terminating) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.container_statuses = {Running("app", true)};
  pod.metadata.deletion_timestamp = kNow;
  EXPECT_EQ(SummarizePod(pod).status, "Terminating");

  // A finished pod keeps its final status.
  pod.status.phase = api::kPodSucceeded;
  pod.status.container_statuses = {Terminated("app", 0, "Completed")};
  EXPECT_EQ(SummarizePod(pod).status, "Completed");
}

TEST(SummarizePodTest, NodeLostIsUnknown) {
  api::Pod pod = MakePod("web", {"app"});
  pod.status.reason = "NodeLost";
  pod.metadata.deletion_timestamp = kNow;
  EXPECT_EQ(SummarizePod(pod).status, "Unknown");
}

// --- Rows ----------------------------------------------------------------------

TEST(MakePodRowTest, RestartsShowLatestTermination) {
  api::Pod pod = MakePod("db", {"a", "b"});
  api::ContainerStatus a = Waiting("a", "CrashLoopBackOff");
  a.restart_count = 5;
  a.last_state.terminated = api::ContainerStateTerminated{};
  a.last_state.terminated->finished_at = kNow - absl::Minutes(3);
  api::ContainerStatus b = Running("b", true);
  b.restart_count = 1;
  b.last_state.terminated = api::ContainerStateTerminated{};
  b.last_state.terminated->finished_at = kNow - absl::Hours(2);
  pod.status.container_statuses = {a, b};
  PodRow row = MakePodRow(pod, kNow);
  EXPECT_EQ(row.ready, "1/2");
  EXPECT_EQ(row.status, "CrashLoopBackOff");
  EXPECT_EQ(row.restarts, "6 (3m ago)");
}

TEST(MakePodRowTest, RestartsWithoutFinishTimeArePlain) {
  api::Pod pod = MakePod("db", {"a"});
  api::ContainerStatus a = Running("a", true);
  a.restart_count = 2;
  pod.status.container_statuses = {a};
  EXPECT_EQ(MakePodRow(pod, kNow).restarts, "2");
}

TEST(MakePodRowTest, AgeFromCreationElseStartTime) {
  api::Pod pod = MakePod("web", {"app"});
  pod.metadata.creation_timestamp = kNow - absl::Hours(51);
  pod.status.start_time = kNow - absl::Seconds(10);
  EXPECT_EQ(MakePodRow(pod, kNow).age, "2d3h");
  pod.metadata.creation_timestamp.reset();
  EXPECT_EQ(MakePodRow(pod, kNow).age, "10s");
  pod.status.start_time.reset();
  EXPECT_EQ(MakePodRow(pod, kNow).age, "<unknown>");
}

TEST(MakePodRowTest, WideCells) {
  api::Pod pod = MakePod("web", {"app"});
  PodRow row = MakePodRow(pod, kNow);
  EXPECT_EQ(row.ip, "<none>");
  EXPECT_EQ(row.node, "<none>");
  pod.spec.node_name = "node-1";
  pod.status.pod_ip = "10.0.0.9";
  row = MakePodRow(pod, kNow);
  EXPECT_EQ(row.ip, "10.0.0.9");
  pod.status.pod_ips = {{"10.0.0.7"}, {"fd00::7"}};
  row = MakePodRow(pod, kNow);
  EXPECT_EQ(row.ip, "10.0.0.7");
  EXPECT_EQ(row.node, "node-1");
}

// --- Table -------------------------------------------------------------------

std::vector<api::Pod> TwoPods() {
  api::Pod web = MakePod("web", {"app"});
  web.status.container_statuses = {Running("app", true)};
  web.status.pod_ips = {{"10.88.0.4"}};
  web.spec.node_name = "node-1";

  api::Pod db = MakePod("db-0", {"db"});
  db.metadata.namespace_ = "storage";
  db.metadata.creation_timestamp = kNow - absl::Hours(51);
  api::ContainerStatus s = Waiting("db", "CrashLoopBackOff");
  s.restart_count = 5;
  s.last_state.terminated = api::ContainerStateTerminated{};
  s.last_state.terminated->finished_at = kNow - absl::Minutes(3);
  db.status.container_statuses = {s};
  db.spec.node_name = "node-1";
  return {web, db};
}

TEST(PrintPodTableTest, DefaultColumns) {
  EXPECT_EQ(PrintPodTable(TwoPods(), {}, kNow),
            "NAME   READY   STATUS             RESTARTS     AGE\n"
            "web    1/1     Running            0            5m\n"
            "db-0   0/1     CrashLoopBackOff   5 (3m ago)   2d3h\n");
}

TEST(PrintPodTableTest, AllNamespacesAndWide) {
  EXPECT_EQ(
      PrintPodTable(TwoPods(), {.wide = true, .show_namespace = true}, kNow),
      "NAMESPACE   NAME   READY   STATUS             RESTARTS     AGE    IP          NODE\n"
      "default     web    1/1     Running            0            5m     10.88.0.4   node-1\n"
      "storage     db-0   0/1     CrashLoopBackOff   5 (3m ago)   2d3h   <none>      node-1\n");
}

TEST(PrintPodTableTest, MinimumColumnWidth) {
  api::Pod pod = MakePod("a", {"app"});
  pod.status.container_statuses = {Running("app", true)};
  // NAME is padded to kubectl's minimum width of 6, not just len("NAME")+3.
  EXPECT_EQ(PrintPodTable({pod}, {}, kNow),
            "NAME   READY   STATUS    RESTARTS   AGE\n"
            "a      1/1     Running   0          5m\n");
}

// --- YAML --------------------------------------------------------------------

TEST(ToYamlTest, BlockStyleWithQuotedAmbiguousStrings) {
  nlohmann::json j = {
      {"kind", "Pod"},
      {"metadata",
       {{"name", "web"},
        {"labels", {{"version", "1.0"}, {"enabled", "true"}, {"empty", ""}}},
        {"creationTimestamp", "2024-01-02T03:04:05Z"}}},
      {"spec", {{"containers", {{{"name", "app"}, {"args", {"-v", "--port=80"}}}}}}},
      {"status", nlohmann::json::object()},
      {"count", 3},
      {"ready", true},
  };
  EXPECT_EQ(ToYaml(j),
            "count: 3\n"
            "kind: Pod\n"
            "metadata:\n"
            "  creationTimestamp: \"2024-01-02T03:04:05Z\"\n"
            "  labels:\n"
            "    empty: \"\"\n"
            "    enabled: \"true\"\n"
            "    version: \"1.0\"\n"
            "  name: web\n"
            "ready: true\n"
            "spec:\n"
            "  containers:\n"
            "    - args:\n"
            "        - -v\n"
            "        - --port=80\n"
            "      name: app\n"
            "status: {}\n");
}

}  // namespace
}  // namespace cubelet::cli
