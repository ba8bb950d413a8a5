// Cluster mode end to end: the real cubelet binary joins the real upstream
// control plane (scripts/controlplane.sh: etcd, kube-apiserver with
// Node,RBAC and NodeRestriction, kube-scheduler, kube-controller-manager) as a
// node, on the private containerd, and is driven with the real kubectl.
//
// Needs CUBELET_CRI_ENDPOINT, KUBECONFIG (the admin's), CUBELET_K8S_BIN (the
// kubectl) and CUBELET_CONTROLPLANE_SCRIPT; skipped without them unless
// CUBELET_E2E_REQUIRED=1. One agent serves the whole suite (node
// registration is part of what is tested); every test cleans up its pods.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "e2e_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cubelet {
namespace {

using e2e::Env;
using e2e::Eventually;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kNode = absl::StrCat("cluster-e2e-", getpid());
constexpr char kNamespace[] = "default";
// The node's kubelet server port (not 10250: a kubelet may be on this host).
constexpr int kKubeletPort = 10650;

std::pair<int, std::string> Shell(const std::string& cmd) {
  FILE* p = popen(absl::StrCat(cmd, " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    endpoint_ = Env("CUBELET_CRI_ENDPOINT");
    kubectl_ = Env("CUBELET_K8S_BIN").empty() ? "" : Env("CUBELET_K8S_BIN") + "/kubectl";
    script_ = Env("CUBELET_CONTROLPLANE_SCRIPT");
    if (endpoint_.empty() || kubectl_.empty() || script_.empty() || Env("KUBECONFIG").empty()) {
      return;
    }
    dir_ = fs::temp_directory_path() / kNode;
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "manifests");
    auto [code, out] = Shell(absl::StrCat("bash ", script_, " node-kubeconfig ", kNode));
    node_kubeconfig_ = std::string(absl::StripAsciiWhitespace(out));
    if (code != 0) node_kubeconfig_.clear();
    StartAgent();
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) StopAgent(SIGTERM);
    if (!kubectl_.empty() && !dir_.empty()) {
      Shell(absl::StrCat(kubectl_, " delete node ", kNode, " --wait=false"));
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  void SetUp() override {
    if (endpoint_.empty() || kubectl_.empty() || script_.empty()) {
      if (Env("CUBELET_E2E_REQUIRED") == "1") FAIL() << "the cluster e2e environment is not set";
      GTEST_SKIP() << "no control plane to test against";
    }
    ASSERT_FALSE(node_kubeconfig_.empty()) << "node-kubeconfig failed";
    ASSERT_GT(pid_, 0) << "agent not running";
  }

  void TearDown() override {
    if (endpoint_.empty() || kubectl_.empty()) return;
    Kubectl("delete pods --all --grace-period=1 --wait=true --timeout=60s");
    if (HasFailure()) PrintAgentLog();
  }

  static void StartAgent() {
    const std::vector<std::string> args = {
        CUBELET_BINARY, "--kubeconfig=" + node_kubeconfig_, "--node-name=" + kNode,
        "--node-labels=cubelet.dev/e2e=yes", "--pod-manifest-path=" + (dir_ / "manifests").string(),
        "--container-runtime-endpoint=" + endpoint_, "--root-dir=" + (dir_ / "root").string(),
        "--pod-logs-dir=" + (dir_ / "logs").string(), "--cgroup-root=/cubelet-cluster-e2e",
        "--read-only-port=0", "--healthz-port=0",
        // The kubelet server: the API server reaches it at the node's IP
        // with its client certificate (signed by the cluster CA).
        "--port=" + std::to_string(kKubeletPort),
        "--client-ca-file=" +
            (fs::path(Env("KUBECONFIG")).parent_path() / "pki" / "ca.crt").string(),
        // An edited ConfigMap reaches its volumes at the
        // pod's next resync (the kubelet's: 1 min).
        "--sync-frequency=5s", "-v=2"};
    const std::string log = (dir_ / "agent.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = freopen(log.c_str(), "a", stderr);
      (void)f;
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  static void StopAgent(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  static void PrintAgentLog() {
    std::ifstream in(dir_ / "agent.log");
    std::stringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    if (text.size() > 15000) text = text.substr(text.size() - 15000);
    std::cerr << "---- agent log (tail) ----\n" << text << "\n----\n";
  }

  static std::pair<int, std::string> Kubectl(const std::string& args) {
    return Shell(absl::StrCat(kubectl_, " ", args));
  }

  // `kubectl get <what> -o json`, parsed (null when it fails).
  static json Get(const std::string& what) {
    auto [code, out] = Kubectl(absl::StrCat("get ", what, " -o json"));
    if (code != 0) return json();
    json j = json::parse(out, nullptr, false);
    return j.is_discarded() ? json() : j;
  }

  // The condition of `type`, or an empty object.
  static json Condition(const json& obj, const std::string& type) {
    if (!obj.is_object() || !obj.contains("status")) return json::object();
    for (const json& c : obj["status"].value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return json::object();
  }

  static void Apply(const std::string& name, const std::string& yaml) {
    const fs::path file = dir_ / (name + ".yaml");
    std::ofstream(file) << yaml;
    auto [code, out] = Kubectl(absl::StrCat("apply -f ", file.string()));
    ASSERT_EQ(code, 0) << out;
  }

  static std::string Phase(const std::string& pod) {
    json p = Get("pod " + pod);
    return p.is_object() ? p["status"].value("phase", "") : "";
  }

  // The busybox pod most tests use; `spec` lines are added to its spec.
  static std::string BusyboxPod(const std::string& name, const std::string& command,
                                const std::string& spec = "") {
    return absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name, "\nspec:\n", spec,
                        "  containers:\n  - name: app\n"
                        "    image: docker.io/library/busybox:latest\n"
                        "    imagePullPolicy: IfNotPresent\n"
                        "    command: [\"sh\", \"-c\", \"",
                        command, "\"]\n");
  }

  static inline std::string endpoint_, kubectl_, script_, node_kubeconfig_;
  static inline fs::path dir_;
  static inline pid_t pid_ = -1;
};

TEST_F(ClusterTest, NodeTurnsReadyWithItsLabelsAndLease) {
  json node;
  ASSERT_TRUE(Eventually([&] {
    node = Get("node " + kNode);
    return Condition(node, "Ready").value("status", "") == "True";
  })) << node.dump();
  const json& labels = node["metadata"]["labels"];
  EXPECT_EQ(labels.value("kubernetes.io/hostname", ""), kNode);
  EXPECT_EQ(labels.value("kubernetes.io/os", ""), "linux");
  EXPECT_EQ(labels.value("cubelet.dev/e2e", ""), "yes");
  EXPECT_EQ(Condition(node, "Ready").value("reason", ""), "KubeletReady");
  EXPECT_EQ(Condition(node, "MemoryPressure").value("status", ""), "False");
  const json& info = node["status"]["nodeInfo"];
  EXPECT_TRUE(absl::StartsWith(info.value("containerRuntimeVersion", ""), "containerd://"))
      << info.dump();
  EXPECT_EQ(node["status"]["capacity"].value("pods", ""), "110");
  auto [code, wide] = Kubectl("get nodes -o wide " + kNode);
  EXPECT_TRUE(absl::StrContains(wide, " Ready ")) << wide;

  // The heartbeat: the Lease exists, is held by the node, owned by it, and
  // moves every 10 s.
  json lease;
  ASSERT_TRUE(Eventually([&] {
    lease = Get("lease -n kube-node-lease " + kNode);
    return lease.is_object() && lease["metadata"].contains("ownerReferences");
  })) << lease.dump();
  EXPECT_EQ(lease["spec"].value("holderIdentity", ""), kNode);
  EXPECT_EQ(lease["spec"].value("leaseDurationSeconds", 0), 40);
  EXPECT_EQ(lease["metadata"]["ownerReferences"][0].value("uid", ""),
            node["metadata"].value("uid", ""));
  const std::string first = lease["spec"].value("renewTime", "");
  EXPECT_TRUE(Eventually(
      [&] {
        return Get("lease -n kube-node-lease " + kNode)["spec"].value("renewTime", "") != first;
      },
      absl::Seconds(20)))
      << "lease not renewed";
}

TEST_F(ClusterTest, ScheduledPodRunsAndLeavesTheApiOnlyAfterItsGracePeriod) {
  // Ignores SIGTERM: the grace period (3 s) must run out before the kill.
  Apply("graceful",
        BusyboxPod("graceful", "trap '' TERM; echo started; while true; do sleep 1; done",
                   "  terminationGracePeriodSeconds: 3\n"
                   "  nodeSelector:\n    cubelet.dev/e2e: \"yes\"\n"));
  json pod;
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod graceful");
    return Condition(pod, "Ready").value("status", "") == "True";
  })) << pod.dump();
  EXPECT_EQ(pod["spec"].value("nodeName", ""), kNode) << "bound by the scheduler";
  const json& status = pod["status"];
  EXPECT_EQ(status.value("phase", ""), "Running");
  EXPECT_FALSE(status.value("podIP", "").empty());
  EXPECT_FALSE(status.value("hostIP", "").empty());
  EXPECT_EQ(status.value("qosClass", ""), "BestEffort");
  EXPECT_TRUE(status.contains("startTime"));
  EXPECT_EQ(Condition(pod, "PodScheduled").value("status", ""), "True");
  EXPECT_EQ(Condition(pod, "Initialized").value("status", ""), "True");
  EXPECT_FALSE(Condition(pod, "Ready").contains("reason")) << "no stale reason";
  const json& cs = status["containerStatuses"][0];
  EXPECT_TRUE(absl::StartsWith(cs.value("containerID", ""), "containerd://")) << cs.dump();
  EXPECT_TRUE(cs["state"].contains("running"));
  EXPECT_EQ(cs.value("restartCount", -1), 0);
  EXPECT_TRUE(cs.value("started", false));

  // The kubelet's events, as kubectl describe shows them.
  std::string reasons;
  EXPECT_TRUE(Eventually([&] {
    reasons.clear();
    json list = Get("events --field-selector involvedObject.name=graceful");
    for (const json& e : list.value("items", json::array())) {
      absl::StrAppend(&reasons, e.value("reason", ""), "(",
                      e["involvedObject"].value("fieldPath", ""), ",",
                      e["source"].value("host", ""), ") ");
    }
    return absl::StrContains(reasons, "Started(spec.containers{app}," + kNode + ")");
  })) << reasons;
  EXPECT_TRUE(absl::StrContains(reasons, "Created(spec.containers{app}")) << reasons;
  EXPECT_TRUE(absl::StrContains(reasons, "Pulled(spec.containers{app}")) << reasons;

  const absl::Time start = absl::Now();
  auto [code, out] = Kubectl("delete pod graceful --wait=true --timeout=60s");
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(code, 0) << out;
  EXPECT_GE(took, absl::Seconds(2.5)) << "left the API before its grace period ran out";
  EXPECT_LE(took, absl::Seconds(15));
  auto [crictl_code, ps] =
      Shell(absl::StrCat("ctr --address ", std::string(absl::StripPrefix(endpoint_, "unix://")),
                         " -n k8s.io tasks ls"));
  EXPECT_FALSE(absl::StrContains(ps, cs.value("containerID", "").substr(13)))
      << "the container still runs after the pod left the API: " << ps;
}

TEST_F(ClusterTest, PodThatDoesNotFitIsFailedWithTheKubeletsReason) {
  Apply("elsewhere",
        BusyboxPod("elsewhere", "sleep 3600",
                   absl::StrCat("  nodeName: ", kNode, "\n  nodeSelector:\n    disk: ssd\n")));
  ASSERT_TRUE(Eventually([&] { return Phase("elsewhere") == "Failed"; })) << Phase("elsewhere");
  json pod = Get("pod elsewhere");
  EXPECT_EQ(pod["status"].value("reason", ""), "NodeAffinity");
  EXPECT_TRUE(absl::StartsWith(pod["status"].value("message", ""), "Pod was rejected: "))
      << pod["status"].dump();
  EXPECT_FALSE(pod["status"].contains("containerStatuses") &&
               pod["status"]["containerStatuses"][0]["state"].contains("running"));

  // What cubelet does not implement yet is refused the same way, never run
  // without it.
  Apply("claiming",
        BusyboxPod("claiming", "sleep 3600",
                   absl::StrCat("  nodeName: ", kNode,
                                "\n  volumes:\n  - name: s\n    persistentVolumeClaim:\n"
                                "      claimName: data\n")));
  ASSERT_TRUE(Eventually([&] { return Phase("claiming") == "Failed"; })) << Phase("claiming");
  pod = Get("pod claiming");
  EXPECT_EQ(pod["status"].value("reason", ""), "UnsupportedPodSpec");
  EXPECT_TRUE(absl::StrContains(pod["status"].value("message", ""),
                                "spec.volumes[0].persistentVolumeClaim"))
      << pod["status"].dump();
}

// What the container wrote to its CRI log so far (every attempt), or "".
std::string ContainerLog(const fs::path& logs_dir, const std::string& pod,
                         const std::string& container) {
  std::string out;
  std::error_code ec;
  for (const auto& pod_dir : fs::directory_iterator(logs_dir, ec)) {
    if (!absl::StartsWith(pod_dir.path().filename().string(),
                          absl::StrCat(kNamespace, "_", pod, "_"))) {
      continue;
    }
    for (const auto& file : fs::directory_iterator(pod_dir.path() / container, ec)) {
      std::ifstream in(file.path());
      std::stringstream text;
      text << in.rdbuf();
      out += text.str();
    }
  }
  return out;
}

TEST_F(ClusterTest, KubectlLogsExecAndPortForwardGoThroughTheKubeletServer) {
  Apply("streams", BusyboxPod("streams",
                              "mkdir -p /www; echo hello-from-pod > /www/index.html; "
                              "(i=0; while true; do echo line-$i; i=$((i+1)); sleep 1; done) & "
                              "exec httpd -f -p 8080 -h /www",
                              absl::StrCat("  nodeName: ", kNode, "\n")));
  ASSERT_TRUE(Eventually([&] { return Phase("streams") == "Running"; })) << Get("pod streams");
  EXPECT_EQ(Get("node " + kNode)["status"]["daemonEndpoints"]["kubeletEndpoint"].value("Port", 0),
            kKubeletPort);

  // Logs: apiserver -> kubelet server -> the CRI log file.
  std::string logs;
  ASSERT_TRUE(Eventually([&] {
    logs = Kubectl("logs streams").second;
    return absl::StrContains(logs, "line-1");
  })) << logs;
  EXPECT_TRUE(absl::StartsWith(logs, "line-0\n")) << logs;
  auto [tail_code, tail] = Kubectl("logs streams --tail=1");
  EXPECT_EQ(tail_code, 0) << tail;
  EXPECT_EQ(std::count(tail.begin(), tail.end(), '\n'), 1) << tail;

  // Exec: the SPDY session runs through the relay to containerd's streaming
  // server; stdout, stderr, the exit code and stdin all cross it.
  auto [code, out] = Kubectl("exec streams -- sh -c 'echo to-out; echo to-err >&2; exit 3'");
  EXPECT_EQ(code, 3) << out;
  EXPECT_TRUE(absl::StrContains(out, "to-out")) << out;
  EXPECT_TRUE(absl::StrContains(out, "to-err")) << out;
  auto [in_code, echoed] =
      Shell(absl::StrCat("printf 'piped\\nstdin\\n' | ", kubectl_, " exec -i streams -- cat"));
  EXPECT_EQ(in_code, 0) << echoed;
  EXPECT_EQ(echoed, "piped\nstdin\n");
  // With a terminal (script(1) gives kubectl one): the container's side is a pty.
  auto [tty_code, tty] =
      Shell(absl::StrCat("script -qec \"", kubectl_, " exec -it streams -- tty\" /dev/null"));
  EXPECT_EQ(tty_code, 0) << tty;
  EXPECT_TRUE(absl::StrContains(tty, "/dev/pts/")) << tty;

  // Port-forward: a local port to the pod's 8080.
  const std::string pf_log = (dir_ / "port-forward.log").string();
  auto [pf_code, pf_pid] = Shell(
      absl::StrCat(kubectl_, " port-forward pod/streams 18080:8080 >", pf_log, " 2>&1 & echo $!"));
  ASSERT_EQ(pf_code, 0);
  std::string page;
  EXPECT_TRUE(Eventually([&] {
    page = Shell("curl -sS --max-time 5 http://127.0.0.1:18080/index.html").second;
    return absl::StrContains(page, "hello-from-pod");
  })) << page
      << Shell("cat " + pf_log).second;
  Shell("kill " + std::string(absl::StripAsciiWhitespace(pf_pid)));

  // Without credentials the kubelet server turns a request away; a service
  // account's token is checked by TokenReview and its rights by
  // SubjectAccessReview.
  const std::string kubelet = absl::StrCat("https://127.0.0.1:", kKubeletPort);
  auto curl = [&](const std::string& token, const std::string& path) {
    return Shell(absl::StrCat("curl -sk -w ' %{http_code}' ",
                              token.empty() ? "" : "-H 'Authorization: Bearer " + token + "' ",
                              kubelet, path))
        .second;
  };
  EXPECT_EQ(curl("", "/pods"), "Unauthorized 401");
  EXPECT_EQ(curl("not-a-token", "/pods"), "Unauthorized 401");
  ASSERT_EQ(Kubectl("create serviceaccount e2e-nobody").first, 0);
  ASSERT_EQ(Kubectl("create serviceaccount e2e-reader").first, 0);
  ASSERT_EQ(Kubectl("create clusterrolebinding e2e-reader --clusterrole=system:kubelet-api-admin "
                    "--serviceaccount=default:e2e-reader")
                .first,
            0);
  std::string nobody(absl::StripAsciiWhitespace(Kubectl("create token e2e-nobody").second));
  std::string reader(absl::StripAsciiWhitespace(Kubectl("create token e2e-reader").second));
  EXPECT_EQ(curl(nobody, "/pods"),
            "Forbidden (user=system:serviceaccount:default:e2e-nobody, verb=get, resource=nodes, "
            "subresource(s)=[pods proxy])\n 403");
  std::string pods;
  EXPECT_TRUE(Eventually([&] {  // RBAC takes a moment to see the binding
    pods = curl(reader, "/pods");
    return absl::EndsWith(pods, " 200");
  })) << pods;
  EXPECT_TRUE(absl::StrContains(pods, "\"name\":\"streams\"")) << pods;
  Kubectl("delete clusterrolebinding e2e-reader");
  Kubectl("delete serviceaccount e2e-nobody e2e-reader");
}

TEST_F(ClusterTest, KubectlDebugAddsAnEphemeralContainerInTheTargetsProcessNamespace) {
  Apply("debugged",
        BusyboxPod("debugged", "exec sleep 3600", absl::StrCat("  nodeName: ", kNode, "\n")));
  ASSERT_TRUE(Eventually([&] { return Phase("debugged") == "Running"; })) << Get("pod debugged");
  auto [code, out] = Kubectl(
      "debug debugged --image=docker.io/library/busybox:latest --image-pull-policy=IfNotPresent "
      "--target=app -c debugger -- sh -c 'ps; echo polo; exec sleep 3600'");
  ASSERT_EQ(code, 0) << out;
  json pod;
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod debugged");
    const json& statuses = pod["status"].value("ephemeralContainerStatuses", json::array());
    return !statuses.empty() && statuses[0]["state"].contains("running");
  })) << pod.dump();
  EXPECT_EQ(pod["status"]["ephemeralContainerStatuses"][0].value("name", ""), "debugger");
  // It shares the target's process namespace: the app's sleep is in its ps.
  std::string logs;
  EXPECT_TRUE(Eventually([&] {
    logs = Kubectl("logs debugged -c debugger").second;
    return absl::StrContains(logs, "polo");
  })) << logs;
  EXPECT_TRUE(absl::StrContains(logs, "sleep 3600")) << logs;
  auto [exec_code, marco] = Kubectl("exec debugged -c debugger -- echo marco");
  EXPECT_EQ(exec_code, 0) << marco;
  EXPECT_TRUE(absl::StrContains(marco, "marco")) << marco;
  // The pod itself is untouched.
  EXPECT_EQ(pod["status"]["containerStatuses"][0].value("restartCount", -1), 0);
  EXPECT_EQ(pod["status"].value("phase", ""), "Running");
  Kubectl("delete pod debugged --grace-period=1");
}

TEST_F(ClusterTest, ProjectedVolumeHoldsABoundServiceAccountTokenAndTheClusterCa) {
  // What the ServiceAccount admission plugin injects into every pod.
  Apply("projected",
        absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: projected\nspec:\n"
                     "  serviceAccountName: default\n  nodeName: ",
                     kNode,
                     "\n  containers:\n  - name: app\n"
                     "    image: docker.io/library/busybox:latest\n"
                     "    imagePullPolicy: IfNotPresent\n"
                     "    command: [\"sh\", \"-c\", \"cat /var/run/secrets/kubernetes.io/"
                     "serviceaccount/namespace; echo; sleep 3600\"]\n"
                     "    volumeMounts:\n    - name: kube-api-access\n"
                     "      mountPath: /var/run/secrets/kubernetes.io/serviceaccount\n"
                     "      readOnly: true\n"
                     "  volumes:\n  - name: kube-api-access\n    projected:\n"
                     "      defaultMode: 420\n      sources:\n"
                     "      - serviceAccountToken: {expirationSeconds: 3607, path: token}\n"
                     "      - configMap:\n          name: kube-root-ca.crt\n"
                     "          items: [{key: ca.crt, path: ca.crt}]\n"
                     "      - downwardAPI:\n          items:\n          - path: namespace\n"
                     "            fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}\n"));
  json pod;
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod projected");
    return pod.is_object() && pod["status"].value("phase", "") == "Running";
  })) << pod.dump();
  std::string log;
  ASSERT_TRUE(Eventually([&] {
    log = ContainerLog(dir_ / "logs", "projected", "app");
    return absl::StrContains(log, "default");
  })) << log;

  const fs::path dir = dir_ / "root" / "pods" / pod["metadata"].value("uid", "") / "volumes" /
                       "kubernetes.io~projected" / "kube-api-access";
  std::ifstream ca_in(dir / "ca.crt");
  std::stringstream ca;
  ca << ca_in.rdbuf();
  EXPECT_TRUE(absl::StartsWith(ca.str(), "-----BEGIN CERTIFICATE-----")) << ca.str();
  std::ifstream token_in(dir / "token");
  std::string token;
  std::getline(token_in, token);
  ASSERT_FALSE(token.empty());
  auto [mcode, mounts] = Shell("cat /proc/self/mountinfo");
  EXPECT_TRUE(absl::StrContains(mounts, dir.string() + " ")) << "on a tmpfs of its own";

  // The API server accepts it as the pod's service account, bound to the pod.
  const fs::path review = dir_ / "review.json";
  std::ofstream(review) << json{
      {"apiVersion", "authentication.k8s.io/v1"},
      {"kind", "TokenReview"},
      {"spec",
       {{"token", token}}}}.dump();
  auto [rcode, out] = Kubectl("create -o json -f " + review.string());
  ASSERT_EQ(rcode, 0) << out;
  json status = json::parse(out, nullptr, false)["status"];
  EXPECT_TRUE(status.value("authenticated", false)) << out;
  EXPECT_EQ(status["user"].value("username", ""), "system:serviceaccount:default:default") << out;
  EXPECT_EQ(status["user"]["extra"]["authentication.kubernetes.io/pod-name"][0], "projected")
      << out;
}

TEST_F(ClusterTest, ConfigMapAndSecretReachEnvAndVolumesAndEditsFollow) {
  ASSERT_EQ(Kubectl("create configmap e2e-cfg --from-literal=greeting=hello "
                    "--from-literal=mode=fast")
                .first,
            0);
  ASSERT_EQ(Kubectl("create secret generic e2e-creds --from-literal=password=s3cret").first, 0);
  Apply("objects",
        absl::StrCat(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: objects\nspec:\n  nodeName: ", kNode,
            "\n  containers:\n  - name: app\n"
            "    image: docker.io/library/busybox:latest\n"
            "    imagePullPolicy: IfNotPresent\n"
            "    command: [\"sh\", \"-c\", \"echo env=$GREETING/$S_password; while true; do "
            "echo mode=`cat /etc/cfg/mode` secret=`cat /etc/creds/password`; sleep 1; done\"]\n"
            "    env:\n    - name: GREETING\n"
            "      valueFrom: {configMapKeyRef: {name: e2e-cfg, key: greeting}}\n"
            "    envFrom:\n    - prefix: S_\n      secretRef: {name: e2e-creds}\n"
            "    volumeMounts:\n    - {name: cfg, mountPath: /etc/cfg}\n"
            "    - {name: creds, mountPath: /etc/creds}\n"
            "  volumes:\n  - name: cfg\n    configMap: {name: e2e-cfg}\n"
            "  - name: creds\n    secret: {secretName: e2e-creds, defaultMode: 0400}\n"));
  json pod;
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod objects");
    return Condition(pod, "Ready").value("status", "") == "True";
  })) << pod.dump();
  std::string log;
  ASSERT_TRUE(Eventually([&] {
    log = ContainerLog(dir_ / "logs", "objects", "app");
    return absl::StrContains(log, "mode=fast secret=s3cret");
  })) << log;
  EXPECT_TRUE(absl::StrContains(log, "env=hello/s3cret")) << log;

  // The secret lives on a tmpfs on the node, its files read-only to others.
  const std::string uid = pod["metadata"].value("uid", "");
  const fs::path secret_dir =
      dir_ / "root" / "pods" / uid / "volumes" / "kubernetes.io~secret" / "creds";
  auto [mcode, mounts] = Shell("cat /proc/self/mountinfo");
  EXPECT_TRUE(absl::StrContains(mounts, secret_dir.string() + " ")) << secret_dir;
  EXPECT_EQ(fs::status(secret_dir / "..data" / "password").permissions(), fs::perms::owner_read);

  // Edited in the API server: the running container sees the new value in
  // place (same container), as with the kubelet.
  ASSERT_EQ(Kubectl("patch configmap e2e-cfg -p '{\"data\":{\"mode\":\"slow\"}}'").first, 0);
  EXPECT_TRUE(Eventually(
      [&] {
        log = ContainerLog(dir_ / "logs", "objects", "app");
        return absl::StrContains(log, "mode=slow secret=s3cret");
      },
      absl::Seconds(60)))
      << log;
  EXPECT_EQ(Get("pod objects")["status"]["containerStatuses"][0].value("restartCount", -1), 0);

  // A reference to what does not exist holds the container back with the
  // kubelet's reason until the object appears.
  Apply("waiting", BusyboxPod("waiting", "echo got=$LATE; sleep 3600",
                              absl::StrCat("  nodeName: ", kNode, "\n")) +
                       "    env:\n    - name: LATE\n"
                       "      valueFrom: {configMapKeyRef: {name: e2e-late, key: k}}\n");
  json waiting;
  ASSERT_TRUE(Eventually([&] {
    waiting = Get("pod waiting");
    const json& statuses = waiting["status"].value("containerStatuses", json::array());
    return !statuses.empty() && statuses[0]["state"].contains("waiting") &&
           statuses[0]["state"]["waiting"].value("reason", "") == "CreateContainerConfigError";
  })) << waiting.dump();
  EXPECT_EQ(waiting["status"]["containerStatuses"][0]["state"]["waiting"].value("message", ""),
            "configmap \"e2e-late\" not found");
  ASSERT_EQ(Kubectl("create configmap e2e-late --from-literal=k=v").first, 0);
  EXPECT_TRUE(Eventually([&] { return Phase("waiting") == "Running"; }, absl::Seconds(60)))
      << Get("pod waiting").dump();

  Kubectl("delete configmap e2e-cfg e2e-late");
  Kubectl("delete secret e2e-creds");
}

TEST_F(ClusterTest, AgentKilledAndRestartedAdoptsPodsWithoutRestartingThem) {
  Apply("steady", BusyboxPod("steady", "trap 'exit 0' TERM; sleep 3600 & wait",
                             absl::StrCat("  nodeName: ", kNode, "\n")));
  json before;
  ASSERT_TRUE(Eventually([&] {
    before = Get("pod steady");
    return Condition(before, "Ready").value("status", "") == "True";
  })) << before.dump();
  StopAgent(SIGKILL);
  StartAgent();
  // Give the new agent time to sync and write (it must not change anything).
  ASSERT_TRUE(Eventually(
      [&] { return absl::StrContains(Kubectl("get node " + kNode).second, " Ready "); }));
  absl::SleepFor(absl::Seconds(3));
  json after = Get("pod steady");
  const json& b = before["status"]["containerStatuses"][0];
  const json& a = after["status"]["containerStatuses"][0];
  EXPECT_EQ(a.value("containerID", ""), b.value("containerID", ""));
  EXPECT_EQ(a.value("restartCount", -1), 0);
  EXPECT_EQ(after["status"].value("startTime", ""), before["status"].value("startTime", ""));
  EXPECT_EQ(Condition(after, "Ready").value("lastTransitionTime", ""),
            Condition(before, "Ready").value("lastTransitionTime", ""))
      << "no status regression";
}

TEST_F(ClusterTest, StaticPodIsMirroredAndFollowsItsManifest) {
  const std::string mirror = absl::StrCat("static-web-", kNode);
  const fs::path manifest = dir_ / "manifests" / "static-web.yaml";
  auto write_manifest = [&](const std::string& greeting) {
    std::ofstream(manifest) << absl::StrCat(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: static-web\n  namespace: kube-system\n"
        "spec:\n  containers:\n  - name: app\n    image: docker.io/library/busybox:latest\n"
        "    imagePullPolicy: IfNotPresent\n"
        "    command: [\"sh\", \"-c\", \"echo ",
        greeting, "; trap 'exit 0' TERM; sleep 3600 & wait\"]\n");
  };
  write_manifest("hello");
  json pod;
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod -n kube-system " + mirror);
    return Condition(pod, "Ready").value("status", "") == "True";
  })) << pod.dump();
  const json& meta = pod["metadata"];
  const std::string hash = meta["annotations"].value("kubernetes.io/config.mirror", "");
  EXPECT_FALSE(hash.empty());
  EXPECT_EQ(meta["annotations"].value("kubernetes.io/config.hash", ""), hash);
  EXPECT_EQ(meta["annotations"].value("kubernetes.io/config.source", ""), "file");
  EXPECT_EQ(meta["ownerReferences"][0].value("kind", ""), "Node");
  EXPECT_EQ(meta["ownerReferences"][0].value("name", ""), kNode);
  EXPECT_EQ(meta["ownerReferences"][0].value("uid", ""),
            Get("node " + kNode)["metadata"].value("uid", ""));
  EXPECT_EQ(pod["status"].value("phase", ""), "Running");
  const std::string container = pod["status"]["containerStatuses"][0].value("containerID", "");
  EXPECT_TRUE(absl::StartsWith(container, "containerd://")) << pod.dump();

  // Deleted by a user: it comes back (new UID), and the static pod runs on.
  const std::string first_uid = meta.value("uid", "");
  auto [code, out] = Kubectl("delete pod -n kube-system " + mirror + " --wait=false");
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod -n kube-system " + mirror);
    return pod.is_object() && pod["metadata"].value("uid", "") != first_uid &&
           Condition(pod, "Ready").value("status", "") == "True";
  })) << pod.dump();
  EXPECT_EQ(pod["status"]["containerStatuses"][0].value("containerID", ""), container);

  // The manifest changes: a new static pod, and a new mirror with its hash.
  write_manifest("again");
  ASSERT_TRUE(Eventually([&] {
    pod = Get("pod -n kube-system " + mirror);
    return pod.is_object() &&
           pod["metadata"]["annotations"].value("kubernetes.io/config.mirror", "") != hash &&
           Condition(pod, "Ready").value("status", "") == "True";
  })) << pod.dump();
  EXPECT_NE(pod["status"]["containerStatuses"][0].value("containerID", ""), container);

  // The manifest goes: so does the mirror.
  fs::remove(manifest);
  EXPECT_TRUE(Eventually([&] { return Kubectl("get pod -n kube-system " + mirror).first != 0; }))
      << Get("pod -n kube-system " + mirror).dump();
}

TEST_F(ClusterTest, ApiServerRestartResumesTheWatchWithNothingRestarted) {
  Apply("steady", BusyboxPod("steady", "trap 'exit 0' TERM; sleep 3600 & wait",
                             absl::StrCat("  nodeName: ", kNode, "\n")));
  json before;
  ASSERT_TRUE(Eventually([&] {
    before = Get("pod steady");
    return Condition(before, "Ready").value("status", "") == "True";
  })) << before.dump();
  auto [code, out] = Shell(absl::StrCat("bash ", script_, " restart-apiserver"));
  ASSERT_EQ(code, 0) << out;
  // A pod created after the restart runs: the watch resumed.
  Apply("later", BusyboxPod("later", "trap 'exit 0' TERM; sleep 3600 & wait",
                            absl::StrCat("  nodeName: ", kNode, "\n")));
  json later;
  ASSERT_TRUE(Eventually([&] {
    later = Get("pod later");
    return Condition(later, "Ready").value("status", "") == "True";
  })) << later.dump();
  json after = Get("pod steady");
  EXPECT_EQ(after["status"]["containerStatuses"][0].value("containerID", ""),
            before["status"]["containerStatuses"][0].value("containerID", ""));
  EXPECT_EQ(after["status"]["containerStatuses"][0].value("restartCount", -1), 0);
  EXPECT_EQ(Condition(Get("node " + kNode), "Ready").value("status", ""), "True");
}

TEST_F(ClusterTest, RuntimeDownTurnsTheNodeNotReadyAndKillsNothing) {
  const std::string containerd = Env("CUBELET_CONTAINERD_SCRIPT");
  if (containerd.empty()) GTEST_SKIP() << "CUBELET_CONTAINERD_SCRIPT not set";
  Apply("steady", BusyboxPod("steady", "trap 'exit 0' TERM; sleep 3600 & wait",
                             absl::StrCat("  nodeName: ", kNode, "\n")));
  json before;
  ASSERT_TRUE(Eventually([&] {
    before = Get("pod steady");
    return Condition(before, "Ready").value("status", "") == "True";
  })) << before.dump();
  ASSERT_EQ(Shell(absl::StrCat("bash ", containerd, " stop")).first, 0);
  json ready;
  const bool not_ready = Eventually(
      [&] {
        ready = Condition(Get("node " + kNode), "Ready");
        return ready.value("status", "") == "False";
      },
      absl::Seconds(30));
  // Whatever happened, the runtime comes back for the tests that follow.
  auto [code, out] = Shell(absl::StrCat("bash ", containerd, " start"));
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(not_ready) << ready.dump();
  EXPECT_EQ(ready.value("reason", ""), "KubeletNotReady");
  EXPECT_TRUE(absl::StrContains(ready.value("message", ""), "container runtime is down"))
      << ready.dump();
  json pod = Get("pod steady");
  EXPECT_TRUE(pod.is_object() && !pod["metadata"].contains("deletionTimestamp")) << pod.dump();

  ASSERT_TRUE(Eventually(
      [&] { return Condition(Get("node " + kNode), "Ready").value("status", "") == "True"; },
      absl::Seconds(40)));
  json after;
  ASSERT_TRUE(Eventually([&] {
    after = Get("pod steady");
    return Condition(after, "Ready").value("status", "") == "True";
  })) << after.dump();
  EXPECT_EQ(after["status"]["containerStatuses"][0].value("containerID", ""),
            before["status"]["containerStatuses"][0].value("containerID", ""));
  EXPECT_EQ(after["status"]["containerStatuses"][0].value("restartCount", -1), 0);
}

}  // namespace
}  // namespace cubelet
