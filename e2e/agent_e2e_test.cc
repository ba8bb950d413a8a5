// The real `cubelet` binary against the project's private containerd: pods
// from a manifest folder run, restart and stop as under a kubelet; the HTTP
// API and the CLI report them; kill -9 and a restart of the agent leave
// running containers alone.
//
// Each test runs its own agent (own manifest dir, root dir, logs dir, cgroup
// root and port) and leaves nothing behind: at the end it deletes its
// manifests, waits for the agent to remove the pods, then stops it.
#include "agent_fixture.h"

namespace cubelet {
namespace {

TEST_F(AgentTest, PodsFromFolderRunAndCliShowsThem) {
  WriteManifest("web.yaml", PodYaml("web", "echo hello from web; exec sleep 3600"));
  WriteManifest("db.yaml", PodYaml("db", "exec sleep 3600", "Always", 30, false));
  StartAgent();
  ASSERT_TRUE(Eventually([&] {
    return PodPhase("web") == "Running" && PodPhase("db") == "Running";
  })) << PodPhase("web")
      << " " << PodPhase("db");
  api::Pod db = *FindPod("db");
  EXPECT_FALSE(db.status.pod_ip.empty());
  EXPECT_TRUE(absl::StartsWith(db.status.container_statuses[0].container_id, "containerd://"));
  EXPECT_EQ(db.metadata.annotations["kubernetes.io/config.source"], "file");

  std::string server = absl::StrCat("http://127.0.0.1:", port_);
  auto [code, table] = RunCommand({CUBELET_BINARY, "get", "pods", "--server", server});
  EXPECT_EQ(code, 0) << table;
  EXPECT_TRUE(absl::StrContains(table, "NAME")) << table;
  EXPECT_TRUE(absl::StrContains(table, "web-e2e-node")) << table;
  EXPECT_TRUE(absl::StrContains(table, "Running")) << table;

  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(
        RunCommand({CUBELET_BINARY, "logs", "web-e2e-node", "--server", server}).second,
        "hello from web");
  }));
  auto [missing_code, missing] =
      RunCommand({CUBELET_BINARY, "get", "pods", "nope", "--server", server});
  EXPECT_EQ(missing_code, 1);
  EXPECT_TRUE(absl::StrContains(missing, "not found")) << missing;
  EXPECT_EQ(Get("/containerLogs/default/nope/app").first, 404);
}

TEST_F(AgentTest, RestartPoliciesBehave) {
  WriteManifest("never.yaml", PodYaml("never", "exit 3", "Never"));
  WriteManifest("onfailure.yaml", PodYaml("onfailure", "exit 0", "OnFailure"));
  WriteManifest("always.yaml", PodYaml("always", "sleep 1; exit 1", "Always"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] {
    return PodPhase("never") == "Failed" && PodPhase("onfailure") == "Succeeded";
  })) << PodPhase("never")
      << " " << PodPhase("onfailure");
  api::Pod never = *FindPod("never");
  ASSERT_TRUE(never.status.container_statuses[0].state.terminated.has_value());
  EXPECT_EQ(never.status.container_statuses[0].state.terminated->exit_code, 3);
  EXPECT_EQ(never.status.container_statuses[0].restart_count, 0);
  ASSERT_TRUE(Eventually([&] {
    std::optional<api::Pod> p = FindPod("always");
    return p && !p->status.container_statuses.empty() &&
           p->status.container_statuses[0].restart_count >= 1;
  }));
  EXPECT_EQ(PodPhase("always"), "Running");
}

TEST_F(AgentTest, DeletedManifestStopsPodWithinGrace) {
  // Ignores TERM: the agent must SIGKILL it after the 3 s grace.
  WriteManifest("stubborn.yaml",
                PodYaml("stubborn", "trap '' TERM; while true; do sleep 1; done", "Always", 3));
  WriteManifest("keeper.yaml", PodYaml("keeper", "exec sleep 3600"));
  StartAgent();
  ASSERT_TRUE(Eventually(
      [&] { return PodPhase("stubborn") == "Running" && PodPhase("keeper") == "Running"; }));
  std::string keeper_id = FindPod("keeper")->status.container_statuses[0].container_id;
  std::string uid = FindPod("stubborn")->metadata.uid;
  ASSERT_TRUE(PodCgroupExists(uid));
  absl::Time removed = absl::Now();
  fs::remove(dir_ / "manifests" / "stubborn.yaml");
  ASSERT_TRUE(Eventually([&] { return !FindPod("stubborn").has_value(); }, absl::Seconds(5)));
  // The pod cgroup goes once its container is dead and the sandbox removed.
  ASSERT_TRUE(Eventually([&] { return !PodCgroupExists(uid); }, absl::Seconds(20)));
  absl::Duration took = absl::Now() - removed;
  // TERM was ignored, so the kill waited out the 3 s grace, not the 30 s default.
  EXPECT_GE(took, absl::Milliseconds(2900)) << took;
  EXPECT_LT(took, absl::Seconds(15)) << took;
  EXPECT_EQ(FindPod("keeper")->status.container_statuses[0].container_id, keeper_id);
}

TEST_F(AgentTest, EditedManifestReplacesItsPod) {
  WriteManifest("app.yaml", PodYaml("app", "echo v1; exec sleep 3600"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("app") == "Running"; }));
  api::Pod v1 = *FindPod("app");
  WriteManifest("app.yaml", PodYaml("app", "echo v2; exec sleep 3600"));
  ASSERT_TRUE(Eventually(
      [&] {
        std::optional<api::Pod> p = FindPod("app");
        return p && p->metadata.uid != v1.metadata.uid && p->status.phase == "Running";
        // The new UID waits for the old pod to terminate, then for the pod
        // workers' back-off retry (10 s + jitter), as the kubelet's static pods do.
      },
      absl::Seconds(60)))
      << PodPhase("app");
  api::Pod v2 = *FindPod("app");
  EXPECT_NE(v2.status.container_statuses[0].container_id,
            v1.status.container_statuses[0].container_id);
  EXPECT_EQ(Pods().size(), 1u);
}

TEST_F(AgentTest, BadManifestIsReportedAndOthersRun) {
  WriteManifest("good.yaml", PodYaml("good", "exec sleep 3600"));
  WriteManifest("bad.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n"
                "  - name: app\n");
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("good") == "Running"; }));
  EXPECT_FALSE(FindPod("bad").has_value());
  std::ifstream in(dir_ / "agent.log");
  std::stringstream log;
  log << in.rdbuf();
  EXPECT_TRUE(absl::StrContains(log.str(), "bad.yaml")) << log.str();
  EXPECT_TRUE(absl::StrContains(log.str(), "spec.containers[0].image: Required value"))
      << log.str();
}

TEST_F(AgentTest, KillNineAndRestartLeavesContainersRunning) {
  WriteManifest("steady.yaml", PodYaml("steady", "exec sleep 3600"));
  WriteManifest("crashy.yaml", PodYaml("crashy", "sleep 1; exit 1", "Always"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("steady") == "Running"; }));
  ASSERT_TRUE(Eventually([&] {
    std::optional<api::Pod> p = FindPod("crashy");
    return p && !p->status.container_statuses.empty() &&
           p->status.container_statuses[0].restart_count >= 1;
  }));
  api::Pod before = *FindPod("steady");
  StopAgent(SIGKILL);
  StartAgent();
  ASSERT_TRUE(Eventually([&] {
    std::optional<api::Pod> p = FindPod("steady");
    return p && !p->status.container_statuses.empty() &&
           p->status.container_statuses[0].state.running.has_value();
  }));
  api::Pod after = *FindPod("steady");
  EXPECT_EQ(after.metadata.uid, before.metadata.uid);
  EXPECT_EQ(after.status.container_statuses[0].container_id,
            before.status.container_statuses[0].container_id);
  EXPECT_EQ(after.status.container_statuses[0].restart_count, 0);
  EXPECT_EQ(after.status.container_statuses[0].state.running->started_at,
            before.status.container_statuses[0].state.running->started_at);
  // The crash-looping pod keeps its restart count across the agent restart.
  std::optional<api::Pod> crashy = FindPod("crashy");
  ASSERT_TRUE(crashy.has_value());
  EXPECT_GE(crashy->status.container_statuses[0].restart_count, 1);
}

TEST_F(AgentTest, MetricsAndHealth) {
  WriteManifest("web.yaml", PodYaml("web", "exec sleep 3600"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("web") == "Running"; }));
  EXPECT_EQ(Get("/healthz"), std::make_pair(200, std::string("ok")));
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(Get("/metrics").second, "kubelet_running_pods 1");
  })) << Get("/metrics").second;
  std::string metrics = Get("/metrics").second;
  EXPECT_TRUE(absl::StrContains(metrics, "kubelet_pod_start_duration_seconds_count 1"));
  EXPECT_TRUE(absl::StrContains(
      metrics, "kubelet_runtime_operations_total{operation_type=\"run_podsandbox\"}"));
  EXPECT_TRUE(absl::StrContains(metrics, "kubelet_pleg_relist_duration_seconds_count"));
  EXPECT_TRUE(absl::StrContains(metrics, "process_resident_memory_bytes"));
  EXPECT_EQ(Get("/nope").first, 404);
}

TEST_F(AgentTest, RuntimeDownIsReportedAndNothingIsKilled) {
  std::string script = Env("CUBELET_CONTAINERD_SCRIPT");
  if (script.empty()) GTEST_SKIP() << "CUBELET_CONTAINERD_SCRIPT not set";
  WriteManifest("steady.yaml", PodYaml("steady", "exec sleep 3600"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("steady") == "Running"; }));
  std::string id = FindPod("steady")->status.container_statuses[0].container_id;

  ASSERT_EQ(std::system(("bash " + script + " stop >/dev/null").c_str()), 0);
  // Within the runtime check period (5 s) health turns red and says why.
  EXPECT_TRUE(Eventually([&] { return Get("/healthz").first == 500; }, absl::Seconds(15)));
  EXPECT_TRUE(absl::StrContains(Get("/healthz").second, "container runtime is down"))
      << Get("/healthz").second;
  // Meanwhile a new manifest waits; nothing is torn down.
  WriteManifest("later.yaml", PodYaml("later", "exec sleep 3600"));
  ASSERT_EQ(std::system(("bash " + script + " start >/dev/null").c_str()), 0);

  EXPECT_TRUE(Eventually([&] { return Get("/healthz").first == 200; }, absl::Seconds(30)))
      << Get("/healthz").second;
  ASSERT_TRUE(Eventually([&] { return PodPhase("later") == "Running"; }));
  api::Pod steady = *FindPod("steady");
  EXPECT_EQ(steady.status.container_statuses[0].container_id, id);
  EXPECT_EQ(steady.status.container_statuses[0].restart_count, 0);
}

}  // namespace
}  // namespace cubelet
