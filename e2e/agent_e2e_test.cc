// The real `cubelet` binary against the project's private containerd: pods
// from a manifest folder run, restart and stop as under a kubelet; the HTTP
// API and the CLI report them; kill -9 and a restart of the agent leave
// running containers alone.
//
// Each test runs its own agent (own manifest dir, root dir, logs dir, cgroup
// root and port) and leaves nothing behind: at the end it deletes its
// manifests, waits for the agent to remove the pods, then stops it.
#include <sys/stat.h>

#include <fstream>

#include "agent_fixture.h"

namespace cubelet {
namespace {

TEST_F(AgentTest, PodsFromFolderRunAndCliShowsThem) {
  WriteManifest("web.yaml",
                PodYaml("web", "echo hello from web; trap 'exit 0' TERM; sleep 3600 & wait"));
  WriteManifest("db.yaml",
                PodYaml("db", "trap 'exit 0' TERM; sleep 3600 & wait", "Always", 30, false));
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
  WriteManifest("keeper.yaml", PodYaml("keeper", "trap 'exit 0' TERM; sleep 3600 & wait"));
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
  WriteManifest("app.yaml", PodYaml("app", "echo v1; trap 'exit 0' TERM; sleep 3600 & wait"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("app") == "Running"; }));
  api::Pod v1 = *FindPod("app");
  WriteManifest("app.yaml", PodYaml("app", "echo v2; trap 'exit 0' TERM; sleep 3600 & wait"));
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
  WriteManifest("good.yaml", PodYaml("good", "trap 'exit 0' TERM; sleep 3600 & wait"));
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

// Issue 15: each hostile input sits in the folder; the agent stays up, keeps
// applying good manifests, and /healthz answers within 1 s while 200 idle
// connections are open.
TEST_F(AgentTest, HostileManifestsAndIdleClientsDoNotStopTheAgent) {
  WriteManifest("good.yaml", PodYaml("good", "trap 'exit 0' TERM; sleep 3600 & wait"));
  WriteManifest("deep.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":)" +
                                 std::string(100000, '[') + std::string(100000, ']') + "}}");
  WriteManifest("utf8.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: u}\nspec:\n"
                "  containers: [{name: c, image: busybox, command: [\"\xff\"]}]\n");
  std::string alias = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: m\n  annotations: {a: &s " +
                      std::string(1024 * 1024, 'x') + "}\nspec:\n  x: [*s";
  for (int i = 1; i < 512; ++i) alias += ", *s";
  WriteManifest("alias.yaml", alias + "]\n");
  WriteManifest("name.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: 12345}\nspec:\n"
                "  containers: [{name: c, image: busybox}]\n");
  WriteManifest("absurd.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n"
                "  terminationGracePeriodSeconds: 9223372036854775807\n"
                "  containers: [{name: c, image: busybox}]\n");
  ASSERT_EQ(::mkfifo((dir_ / "manifests" / "x.yaml").c_str(), 0600), 0);
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("good") == "Running"; }));
  // Later changes are still applied.
  WriteManifest("later.yaml", PodYaml("later", "trap 'exit 0' TERM; sleep 3600 & wait"));
  ASSERT_TRUE(Eventually([&] { return PodPhase("later") == "Running"; }));
  EXPECT_EQ(Pods().size(), 2u);

  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(Get("/healthz"), std::make_pair(200, std::string("ok")));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  }
  for (int fd : idle) ::close(fd);
  std::string metrics = Get("/metrics").second;
  EXPECT_TRUE(absl::StrContains(metrics, "cubelet_manifest_bad_files 6")) << metrics;
  EXPECT_EQ(::kill(pid_, 0), 0);  // still running
}

TEST_F(AgentTest, KillNineAndRestartLeavesContainersRunning) {
  WriteManifest("steady.yaml", PodYaml("steady", "trap 'exit 0' TERM; sleep 3600 & wait"));
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
  WriteManifest("web.yaml", PodYaml("web", "trap 'exit 0' TERM; sleep 3600 & wait"));
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
  WriteManifest("steady.yaml", PodYaml("steady", "trap 'exit 0' TERM; sleep 3600 & wait"));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("steady") == "Running"; }));
  std::string id = FindPod("steady")->status.container_statuses[0].container_id;

  ASSERT_EQ(std::system(("bash " + script + " stop >/dev/null").c_str()), 0);
  // Within the runtime check period (5 s) health turns red and says why.
  EXPECT_TRUE(Eventually([&] { return Get("/healthz").first == 500; }, absl::Seconds(15)));
  EXPECT_TRUE(absl::StrContains(Get("/healthz").second, "container runtime is down"))
      << Get("/healthz").second;
  // Meanwhile a new manifest waits; nothing is torn down.
  WriteManifest("later.yaml", PodYaml("later", "trap 'exit 0' TERM; sleep 3600 & wait"));
  ASSERT_EQ(std::system(("bash " + script + " start >/dev/null").c_str()), 0);

  EXPECT_TRUE(Eventually([&] { return Get("/healthz").first == 200; }, absl::Seconds(30)))
      << Get("/healthz").second;
  ASSERT_TRUE(Eventually([&] { return PodPhase("later") == "Running"; }));
  api::Pod steady = *FindPod("steady");
  EXPECT_EQ(steady.status.container_statuses[0].container_id, id);
  EXPECT_EQ(steady.status.container_statuses[0].restart_count, 0);
}

TEST_F(AgentTest, TerminationMessagesAreReported) {
  WriteManifest(
      "msg.yaml",
      PodWithBody("msg", "Never",
                  absl::StrCat("  containers:\n",
                               Busybox("file", "printf bye > /dev/termination-log; exit 1"),
                               Busybox("logs", "echo some noise; echo last words; exit 2",
                                       "    terminationMessagePolicy: FallbackToLogsOnError\n"),
                               Busybox("quiet", "echo not an error; exit 0",
                                       "    terminationMessagePolicy: FallbackToLogsOnError\n"))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("msg") == "Failed"; })) << PodPhase("msg");
  api::Pod pod = *FindPod("msg");
  const api::ContainerStatus* file = StatusOf(pod, "file");
  const api::ContainerStatus* logs = StatusOf(pod, "logs");
  const api::ContainerStatus* quiet = StatusOf(pod, "quiet");
  ASSERT_TRUE(file && logs && quiet);
  ASSERT_TRUE(file->state.terminated && logs->state.terminated && quiet->state.terminated);
  EXPECT_EQ(file->state.terminated->exit_code, 1);
  EXPECT_EQ(file->state.terminated->message, "bye");
  EXPECT_EQ(logs->state.terminated->message, "some noise\nlast words\n");
  // Exit 0: no fallback to the log.
  EXPECT_EQ(quiet->state.terminated->message, "");
  // The host side of the mount lives with the pod.
  EXPECT_FALSE(fs::is_empty(dir_ / "root/pods" / pod.metadata.uid / "containers/file"));
}

TEST_F(AgentTest, EnvFieldRefsAndResourcesReachTheContainer) {
  // cgroup v1 files first, v2 as the fallback (the container sees its own cgroup).
  const std::string script =
      "echo name=$POD_NAME ns=$POD_NS uid=$POD_UID node=$NODE ip=$POD_IP host=$HOST_IP msg=$MSG; "
      "echo shares=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat "
      "/sys/fs/cgroup/cpu.weight); "
      "echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat "
      "/sys/fs/cgroup/cpu.max); "
      "echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat "
      "/sys/fs/cgroup/memory.max); trap 'exit 0' TERM; sleep 3600 & wait";
  auto field = [](const std::string& name, const std::string& path) {
    return absl::StrCat("    - name: ", name, "\n      valueFrom:\n        fieldRef:\n",
                        "          fieldPath: ", path, "\n");
  };
  const std::string extra = absl::StrCat(
      "    env:\n", field("POD_NAME", "metadata.name"), field("POD_NS", "metadata.namespace"),
      field("POD_UID", "metadata.uid"), field("NODE", "spec.nodeName"),
      field("POD_IP", "status.podIP"), field("HOST_IP", "status.hostIP"),
      "    - name: GREETING\n      value: hello\n",
      "    - name: MSG\n      value: $(GREETING)-world\n",
      "    resources:\n      requests:\n        cpu: 250m\n      limits:\n        cpu: 500m\n",
      "        memory: 64Mi\n");
  WriteManifest(
      "env.yaml",
      PodWithBody("env", "Always", absl::StrCat("  containers:\n", Busybox("app", script, extra))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(Log("env", "app"), "memory="); }))
      << Log("env", "app");
  api::Pod pod = *FindPod("env");
  const std::string log = Log("env", "app");
  // Host network: the pod's IP is the node's, in the status and in env.
  EXPECT_FALSE(pod.status.pod_ip.empty());
  EXPECT_EQ(pod.status.pod_ip, pod.status.host_ip);
  EXPECT_TRUE(absl::StrContains(
      log,
      absl::StrCat("name=env-", kNode, " ns=default uid=", pod.metadata.uid, " node=", kNode,
                   " ip=", pod.status.pod_ip, " host=", pod.status.host_ip, " msg=hello-world")))
      << log;
  // 250m requested: 256 shares (v1) or the matching weight (v2: 1 + (256-2)*9999/262142 = 10).
  EXPECT_TRUE(absl::StrContains(log, "shares=256") || absl::StrContains(log, "shares=10")) << log;
  EXPECT_TRUE(absl::StrContains(log, "quota=50000")) << log;  // 500m of a 100 ms period
  EXPECT_TRUE(absl::StrContains(log, "memory=67108864")) << log;
}

TEST_F(AgentTest, OomKilledIsReported) {
  const std::string limits = "    resources:\n      limits:\n        memory: 32Mi\n";
  // tail keeps the current line in memory, and /dev/zero has no newline.
  WriteManifest(
      "oom.yaml",
      PodWithBody("oom", "Never",
                  absl::StrCat("  containers:\n", Busybox("app", "exec tail /dev/zero", limits))));
  WriteManifest(
      "oomloop.yaml",
      PodWithBody("oomloop", "Always",
                  absl::StrCat("  containers:\n", Busybox("app", "exec tail /dev/zero", limits))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("oom") == "Failed"; }, absl::Seconds(60)))
      << PodPhase("oom");
  api::Pod pod = *FindPod("oom");
  ASSERT_TRUE(pod.status.container_statuses[0].state.terminated.has_value());
  EXPECT_EQ(pod.status.container_statuses[0].state.terminated->reason, "OOMKilled");
  EXPECT_EQ(pod.status.container_statuses[0].state.terminated->exit_code, 137);
  // A restarted container keeps the OOM kill in its last state.
  ASSERT_TRUE(Eventually(
      [&] {
        std::optional<api::Pod> p = FindPod("oomloop");
        return p && !p->status.container_statuses.empty() &&
               p->status.container_statuses[0].restart_count >= 1 &&
               p->status.container_statuses[0].last_state.terminated.has_value();
      },
      absl::Seconds(60)));
  api::ContainerStatus loop = FindPod("oomloop")->status.container_statuses[0];
  EXPECT_EQ(loop.last_state.terminated->reason, "OOMKilled");
  EXPECT_EQ(loop.last_state.terminated->exit_code, 137);
}

// What the pod spec asks of the sandbox reaches the containers as the
// kubelet sets it: the container's process is PID 1 in its own process
// namespace, hostAliases land in the managed /etc/hosts, dnsPolicy None with
// dnsConfig writes resolv.conf, sysctls apply, pod-level runAsUser and
// supplemental groups hold.
TEST_F(AgentTest, PodSecurityDnsAndHostsReachTheContainer) {
  WriteManifest("shaped.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: shaped
spec:
  terminationGracePeriodSeconds: 2
  hostAliases:
  - ip: 10.9.8.7
    hostnames: [db.local, cache.local]
  dnsPolicy: None
  dnsConfig:
    nameservers: [10.96.0.10]
    searches: [svc.example]
    options:
    - name: ndots
      value: "3"
  securityContext:
    runAsUser: 1234
    runAsGroup: 2345
    supplementalGroups: [3456]
    sysctls:
    - name: net.ipv4.ip_unprivileged_port_start
      value: "80"
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo pid1=$(tr '\\0' ' ' < /proc/1/cmdline); echo id=$(id -u):$(id -g):$(id -G); echo port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start); cat /etc/hosts /etc/resolv.conf; echo done; trap 'exit 0' TERM; sleep 3600 & wait"]
)");
  StartAgent();
  // "done" on a line of its own: the first line echoes the command, which
  // holds the word too.
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(Log("shaped", "app"), "\ndone\n"); }))
      << Log("shaped", "app");
  const std::string log = Log("shaped", "app");
  EXPECT_TRUE(absl::StrContains(log, "pid1=sh -c ")) << log;
  EXPECT_TRUE(absl::StrContains(log, "id=1234:2345:2345 3456")) << log;
  EXPECT_TRUE(absl::StrContains(log, "port=80")) << log;
  EXPECT_TRUE(absl::StrContains(log, "# Kubernetes-managed hosts file.")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\tshaped-e2e-node\n")) << "the pod IP and hostname: " << log;
  EXPECT_TRUE(absl::StrContains(log, "10.9.8.7\tdb.local\tcache.local")) << log;
  EXPECT_TRUE(absl::StrContains(log, "nameserver 10.96.0.10")) << log;
  EXPECT_TRUE(absl::StrContains(log, "search svc.example")) << log;
  EXPECT_TRUE(absl::StrContains(log, "options ndots:3")) << log;
}

// The downward API as files and env: labels and a cpu limit in a downwardAPI
// volume (read-only), the memory limit through resourceFieldRef env, and an
// fsGroup that owns the emptyDir.
TEST_F(AgentTest, DownwardApiVolumeResourceEnvAndFsGroup) {
  WriteManifest("downward.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: downward
  labels:
    tier: front
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  securityContext:
    fsGroup: 2000
  volumes:
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef:
          fieldPath: metadata.labels
      - path: cpu
        resourceFieldRef:
          containerName: app
          resource: limits.cpu
          divisor: 1m
  - name: cache
    emptyDir: {}
  containers:
  - name: app
    image: docker.io/library/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "cat /info/labels; echo; echo cpu=$(cat /info/cpu); echo mem=$MEM_MI; echo group=$(stat -c %g /cache); touch /info/x 2>/dev/null || echo readonly; echo done; trap 'exit 0' TERM; sleep 3600 & wait"]
    env:
    - name: MEM_MI
      valueFrom:
        resourceFieldRef:
          resource: limits.memory
          divisor: 1Mi
    resources:
      limits:
        cpu: 250m
        memory: 64Mi
    volumeMounts:
    - name: info
      mountPath: /info
    - name: cache
      mountPath: /cache
)");
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(Log("downward", "app"), "\ndone\n"); }))
      << Log("downward", "app");
  const std::string log = Log("downward", "app");
  EXPECT_TRUE(absl::StrContains(log, "tier=\"front\"")) << log;
  EXPECT_TRUE(absl::StrContains(log, "cpu=250\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "mem=64\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "group=2000\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "readonly\n")) << log;
}

// hostPID shows the node's processes; shareProcessNamespace puts the pod's
// containers (and the sandbox) in one.
TEST_F(AgentTest, HostPidAndSharedProcessNamespace) {
  WriteManifest("hostpid.yaml",
                PodWithBody("hostpid", "Always",
                            absl::StrCat("  hostPID: true\n  containers:\n",
                                         Busybox("app",
                                                 "echo pid1=$(tr '\\\\0' ' ' < /proc/1/cmdline)"
                                                 "; trap 'exit 0' TERM; sleep 3600 & wait"))));
  WriteManifest("shared.yaml",
                PodWithBody("shared", "Always",
                            absl::StrCat("  shareProcessNamespace: true\n  containers:\n",
                                         Busybox("app",
                                                 "echo pid1=$(tr '\\\\0' ' ' < /proc/1/cmdline)"
                                                 "; trap 'exit 0' TERM; sleep 3600 & wait"))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(Log("hostpid", "app"), "pid1=") &&
           absl::StrContains(Log("shared", "app"), "pid1=");
  })) << Log("hostpid", "app")
      << Log("shared", "app");
  std::ifstream init("/proc/1/cmdline");
  std::string host_init;
  std::getline(init, host_init, '\0');
  EXPECT_TRUE(absl::StrContains(Log("hostpid", "app"), "pid1=" + host_init))
      << Log("hostpid", "app") << " vs " << host_init;
  EXPECT_TRUE(absl::StrContains(Log("shared", "app"), "pid1=/pause")) << Log("shared", "app");
}

TEST_F(AgentTest, MemoryEmptyDirIsATmpfsThatGoesWithThePod) {
  WriteManifest(
      "mem.yaml",
      PodWithBody("mem", "Always",
                  absl::StrCat("  volumes:\n  - name: cache\n    emptyDir:\n      medium: Memory\n"
                               "      sizeLimit: 16Mi\n  - name: bounded\n    emptyDir:\n"
                               "      medium: Memory\n  containers:\n",
                               Busybox("app",
                                       "grep ' /cache ' /proc/mounts; grep ' /bounded ' "
                                       "/proc/mounts; echo hi > /cache/f; cat /cache/f; "
                                       "trap 'exit 0' TERM; sleep 3600 & wait",
                                       "    resources:\n      limits:\n        memory: 48Mi\n"
                                       "    volumeMounts:\n    - name: cache\n"
                                       "      mountPath: /cache\n    - name: bounded\n"
                                       "      mountPath: /bounded\n"))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(Log("mem", "app"), "\nhi\n"); }))
      << Log("mem", "app");
  std::string log = Log("mem", "app");
  EXPECT_TRUE(absl::StartsWith(log, "tmpfs /cache tmpfs ")) << log;
  std::vector<std::string> lines = absl::StrSplit(log, '\n');
  ASSERT_GE(lines.size(), 2u) << log;
  EXPECT_TRUE(absl::StrContains(lines[0], "size=16384k")) << log;
  // Without a sizeLimit the pod's memory limit bounds the tmpfs.
  EXPECT_TRUE(absl::StartsWith(lines[1], "tmpfs /bounded tmpfs ")) << log;
  EXPECT_TRUE(absl::StrContains(lines[1], "size=49152k")) << log;
  const std::string uid = FindPod("mem")->metadata.uid;
  const fs::path pod_dir = dir_ / "root/pods" / uid;
  const std::string volume = (pod_dir / "volumes/kubernetes.io~empty-dir/cache").string();
  EXPECT_TRUE(absl::StrContains(MountAt(volume), " - tmpfs ")) << MountAt(volume);

  fs::remove(dir_ / "manifests" / "mem.yaml");
  ASSERT_TRUE(Eventually([&] { return !FindPod("mem").has_value(); }));
  EXPECT_TRUE(Eventually([&] { return MountAt(volume).empty(); })) << MountAt(volume);
  EXPECT_TRUE(Eventually([&] { return !fs::exists(pod_dir); })) << pod_dir;
}

TEST_F(AgentTest, EmptyDirIsSharedWithInitContainers) {
  const std::string mount = "    volumeMounts:\n    - name: work\n      mountPath: /work\n";
  WriteManifest(
      "share.yaml",
      PodWithBody(
          "share", "Always",
          absl::StrCat(
              "  volumes:\n  - name: work\n    emptyDir: {}\n"
              "  initContainers:\n",
              Busybox("writer", "echo from-init > /work/greeting", mount), "  containers:\n",
              Busybox("reader", "cat /work/greeting; trap 'exit 0' TERM; sleep 3600 & wait",
                      mount))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("share") == "Running"; })) << PodPhase("share");
  EXPECT_TRUE(Eventually([&] { return Log("share", "reader") == "from-init\n"; }))
      << Log("share", "reader");
}

TEST_F(AgentTest, SecurityContextIsApplied) {
  WriteManifest(
      "sec.yaml",
      PodWithBody(
          "sec", "Never",
          absl::StrCat("  containers:\n",
                       Busybox("app",
                               "echo ids=$(id -u):$(id -g); if touch /probe 2>/dev/null; then "
                               "echo rootfs-writable; "
                               "else echo rootfs-readonly; fi; "
                               "printf ok > /dev/termination-log",
                               "    securityContext:\n      runAsUser: 1000\n"
                               "      runAsGroup: 3000\n"
                               "      readOnlyRootFilesystem: true\n"
                               "      allowPrivilegeEscalation: false\n"))));
  WriteManifest("nonroot.yaml", PodWithBody("nonroot", "Never",
                                            absl::StrCat("  containers:\n",
                                                         Busybox("app", "id -u",
                                                                 "    securityContext:\n"
                                                                 "      runAsNonRoot: true\n"))));
  // Privileged needs a privileged sandbox on containerd; dropping ALL leaves
  // no capability at all.
  WriteManifest(
      "caps.yaml",
      PodWithBody("caps", "Never",
                  absl::StrCat("  containers:\n", Busybox("plain", "grep CapEff /proc/self/status"),
                               Busybox("none", "grep CapEff /proc/self/status",
                                       "    securityContext:\n      capabilities:\n"
                                       "        drop: [\"ALL\"]\n"),
                               Busybox("priv", "grep CapEff /proc/self/status",
                                       "    securityContext:\n      privileged: true\n"))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] { return PodPhase("sec") == "Succeeded"; })) << PodPhase("sec");
  // The exit can be reported before the runtime has flushed the last line.
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(Log("sec", "app"), "rootfs-"); }))
      << Log("sec", "app");
  std::string log = Log("sec", "app");
  // One line for both ids, and touch's complaint silenced: stdout and stderr
  // reach the log through two pipes, in no fixed order.
  EXPECT_TRUE(absl::StrContains(log, "ids=1000:3000\n")) << log;
  EXPECT_TRUE(absl::StrContains(log, "rootfs-readonly")) << log;
  EXPECT_FALSE(absl::StrContains(log, "rootfs-writable")) << log;
  // uid 1000 could write its termination message (the file is 0666).
  EXPECT_EQ(FindPod("sec")->status.container_statuses[0].state.terminated->message, "ok");

  ASSERT_TRUE(Eventually([&] { return PodPhase("caps") == "Succeeded"; })) << PodPhase("caps");
  EXPECT_TRUE(Eventually([&] {
    return !Log("caps", "plain").empty() && !Log("caps", "none").empty() &&
           !Log("caps", "priv").empty();
  }));
  std::string plain = Log("caps", "plain");
  std::string priv = Log("caps", "priv");
  EXPECT_EQ(Log("caps", "none"), "CapEff:\t0000000000000000\n");
  EXPECT_TRUE(absl::StartsWith(plain, "CapEff:\t")) << plain;
  EXPECT_TRUE(absl::StartsWith(priv, "CapEff:\t")) << priv;
  EXPECT_NE(plain, priv);

  // busybox has no USER: runAsNonRoot without runAsUser is refused.
  ASSERT_TRUE(Eventually([&] {
    std::optional<api::Pod> p = FindPod("nonroot");
    return p && !p->status.container_statuses.empty() &&
           p->status.container_statuses[0].state.waiting.has_value() &&
           p->status.container_statuses[0].state.waiting->reason == "CreateContainerConfigError";
  })) << PodPhase("nonroot");
  EXPECT_TRUE(
      absl::StrContains(FindPod("nonroot")->status.container_statuses[0].state.waiting->message,
                        "container has runAsNonRoot and image will run as root"));
}

TEST_F(AgentTest, HostPathTypesAreChecked) {
  const std::string made = (dir_ / "made/deep").string();
  const std::string missing = (dir_ / "missing").string();
  WriteManifest(
      "hp.yaml",
      PodWithBody(
          "hp", "Always",
          absl::StrCat("  volumes:\n  - name: made\n    hostPath:\n      path: ", made,
                       "\n      type: DirectoryOrCreate\n  - name: needed\n"
                       "    hostPath:\n      path: ",
                       missing, "\n      type: Directory\n  containers:\n",
                       Busybox("app", "ls -d /made /needed; trap 'exit 0' TERM; sleep 3600 & wait",
                               "    volumeMounts:\n    - name: made\n"
                               "      mountPath: /made\n    - name: needed\n"
                               "      mountPath: /needed\n"))));
  StartAgent();
  ASSERT_TRUE(Eventually([&] {
    std::optional<api::Pod> p = FindPod("hp");
    return p && !p->status.container_statuses.empty() &&
           p->status.container_statuses[0].state.waiting.has_value() &&
           !p->status.container_statuses[0].state.waiting->message.empty();
  })) << PodPhase("hp");
  api::ContainerStateWaiting waiting = *FindPod("hp")->status.container_statuses[0].state.waiting;
  EXPECT_EQ(waiting.reason, "CreateContainerConfigError");
  EXPECT_EQ(waiting.message, absl::StrCat("MountVolume.SetUp failed for volume \"needed\" : path ",
                                          missing, " does not exist"));
  EXPECT_TRUE(fs::is_directory(made));

  fs::create_directories(missing);
  EXPECT_TRUE(Eventually([&] { return PodPhase("hp") == "Running"; }, absl::Seconds(60)))
      << PodPhase("hp");
}

TEST_F(AgentTest, OrphanedPodDirsLoseTheirTmpfsButNotForeignMounts) {
  // Left by an earlier run: a tmpfs emptyDir of a pod nobody knows, and a
  // pod dir with some other mount the agent did not make.
  const fs::path ours = dir_ / "root/pods/gone-uid/volumes/kubernetes.io~empty-dir/cache";
  const fs::path foreign = dir_ / "root/pods/other-uid/volumes/something";
  fs::create_directories(ours);
  fs::create_directories(foreign);
  // Whatever happens, nothing stays mounted under the test dir.
  struct Unmounter {
    std::vector<fs::path> paths;
    ~Unmounter() {
      for (const fs::path& p : paths) umount2(p.c_str(), MNT_DETACH);
    }
  } unmounter{{ours, foreign}};
  ASSERT_EQ(std::system(absl::StrCat("mount -t tmpfs tmpfs '", ours.string(), "'").c_str()), 0);
  ASSERT_EQ(std::system(absl::StrCat("mount -t tmpfs tmpfs '", foreign.string(), "'").c_str()), 0);
  WriteManifest("web.yaml", PodYaml("web", "trap 'exit 0' TERM; sleep 3600 & wait"));
  StartAgent();
  EXPECT_TRUE(Eventually([&] { return !fs::exists(dir_ / "root/pods/gone-uid"); }))
      << MountAt(ours.string());
  EXPECT_TRUE(MountAt(ours.string()).empty());
  // Still mounted: never removed.
  EXPECT_FALSE(MountAt(foreign.string()).empty());
  EXPECT_TRUE(fs::exists(foreign));
  EXPECT_EQ(std::system(absl::StrCat("umount '", foreign.string(), "'").c_str()), 0);
  EXPECT_TRUE(Eventually([&] { return !fs::exists(dir_ / "root/pods/other-uid"); }));
}

}  // namespace
}  // namespace cubelet
