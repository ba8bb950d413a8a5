// AgentTest: the fixture of the agent e2e tests. Each test runs its own
// `cubelet` (own manifest dir, root dir, logs dir, cgroup root and port)
// against the private containerd and leaves nothing behind: at the end it
// deletes its manifests, waits for the agent to remove the pods, then stops
// it. Test-only; one include per test binary.
#ifndef CUBELET_E2E_AGENT_FIXTURE_H_
#define CUBELET_E2E_AGENT_FIXTURE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/json.h"
#include "e2e_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace cubelet {

using e2e::Env;
using e2e::Eventually;
using e2e::FreePort;

namespace fs = std::filesystem;

// CUBELET_E2E_CGROUP_ROOT overrides it, so two checkouts can run at once.
inline const char* const kCgroupRoot = [] {
  const char* env = std::getenv("CUBELET_E2E_CGROUP_ROOT");
  return env != nullptr && env[0] == '/' && env[1] != '\0' ? env : "/cubelet-agent-e2e";
}();
constexpr char kNode[] = "e2e-node";

// Runs `argv` and returns (exit code, stdout).
inline std::pair<int, std::string> RunCommand(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) absl::StrAppend(&cmd, "'", a, "' ");
  absl::StrAppend(&cmd, "2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = Env("CUBELET_CRI_ENDPOINT");
    if (endpoint_.empty()) {
      if (Env("CUBELET_E2E_REQUIRED") == "1") FAIL() << "CUBELET_CRI_ENDPOINT is not set";
      GTEST_SKIP() << "CUBELET_CRI_ENDPOINT not set: no containerd to test against";
    }
    dir_ = fs::temp_directory_path() /
           absl::StrCat("cubelet-agent-e2e-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "manifests");
    port_ = FreePort();
  }

  void TearDown() override {
    if (endpoint_.empty()) return;
    // Delete every manifest; the agent stops and removes the pods.
    for (const auto& e : fs::directory_iterator(dir_ / "manifests")) fs::remove(e.path());
    if (pid_ > 0) {
      bool gone = Eventually([&] { return Pods().empty() && NoRuntimePods(); }, absl::Seconds(60));
      EXPECT_TRUE(gone) << "pods left behind";
      StopAgent(SIGTERM);
    }
    for (const fs::path& cgroup : PodCgroups()) ADD_FAILURE() << "pod cgroup left: " << cgroup;
    std::error_code ec;
    e2e::RemoveCgroupRoot(kCgroupRoot + 1);
    if (HasFailure()) PrintAgentLog();
    fs::remove_all(dir_, ec);
  }

  std::vector<std::string> AgentArgs() const {
    std::vector<std::string> args = {CUBELET_BINARY,
                                     "--pod-manifest-path=" + (dir_ / "manifests").string(),
                                     "--container-runtime-endpoint=" + endpoint_,
                                     "--root-dir=" + (dir_ / "root").string(),
                                     "--pod-logs-dir=" + (dir_ / "logs").string(),
                                     "--node-name=" + std::string(kNode),
                                     "--cgroup-root=" + std::string(kCgroupRoot),
                                     "--read-only-port=" + std::to_string(port_),
                                     "--port=0",
                                     "--healthz-port=0",
                                     "--file-check-frequency=2s",
                                     "-v=2"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    return args;
  }

  void StartAgent() {
    // Appended to: a restarted agent's log follows the first one's.
    pid_ = e2e::Spawn(AgentArgs(), (dir_ / "agent.log").string(), /*append=*/true);
    ASSERT_TRUE(Eventually([&] { return Get("/healthz").first == 200; }))
        << "agent not healthy: " << Get("/healthz").second;
  }

  void StopAgent(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    if (signal == SIGTERM) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "agent status " << status;
    }
    pid_ = -1;
  }

  std::string AgentLog() {
    std::ifstream in(dir_ / "agent.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void PrintAgentLog() {
    std::string text = AgentLog();
    if (text.size() > 20000) text = text.substr(text.size() - 20000);
    std::cerr << "---- agent log (tail) ----\n" << text << "\n----\n";
  }

  std::pair<int, std::string> Get(const std::string& path) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1);
    client.set_read_timeout(5);
    auto res = client.Get(path.c_str());
    if (!res) return {0, httplib::to_string(res.error())};
    return {res->status, res->body};
  }

  std::vector<api::Pod> Pods() {
    auto [code, body] = Get("/pods");
    if (code != 200) return {};
    nlohmann::json list = nlohmann::json::parse(body, nullptr, false);
    std::vector<api::Pod> pods;
    if (!list.is_object() || !list.contains("items")) return pods;
    for (const auto& item : list["items"]) {
      absl::StatusOr<api::Pod> pod = api::PodFromJson(item);
      if (pod.ok()) pods.push_back(*pod);
    }
    return pods;
  }

  std::optional<api::Pod> FindPod(const std::string& name) {
    for (api::Pod& p : Pods()) {
      if (p.metadata.name == absl::StrCat(name, "-", kNode)) return p;
    }
    return std::nullopt;
  }

  static bool PodCgroupExists(const std::string& uid) {
    std::error_code ec;
    const std::string leaf = absl::StrCat(kCgroupRoot + 1, "/pod", uid);
    if (fs::exists(fs::path("/sys/fs/cgroup") / leaf, ec)) return true;
    for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      if (fs::exists(h.path() / leaf, ec)) return true;
    }
    return false;
  }

  // The pod cgroups under this suite's cgroup root, in every hierarchy (runc
  // creates them; the agent removes them with the pod's sandbox).
  static std::vector<fs::path> PodCgroups() {
    std::vector<fs::path> found;
    std::error_code ec;
    auto scan = [&](const fs::path& root) {
      for (const auto& e : fs::directory_iterator(root, ec)) {
        if (e.is_directory(ec) && e.path().filename().string().rfind("pod", 0) == 0) {
          found.push_back(e.path());
        }
      }
    };
    scan(fs::path("/sys/fs/cgroup") / (kCgroupRoot + 1));
    for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      if (h.is_directory(ec)) scan(h.path() / (kCgroupRoot + 1));
    }
    return found;
  }
  static bool NoRuntimePods() { return PodCgroups().empty(); }

  void WriteManifest(const std::string& file, const std::string& yaml) {
    // Write-then-rename, as editors and config tools do.
    fs::path tmp = dir_ / (file + ".tmp");
    {
      std::ofstream out(tmp);
      out << yaml;
    }
    fs::rename(tmp, dir_ / "manifests" / file);
  }

  static std::string PodYaml(const std::string& name, const std::string& command,
                             const std::string& restart_policy = "Always", int grace = 30,
                             bool host_network = true) {
    return absl::StrCat(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
        "\nspec:\n  restartPolicy: ", restart_policy, "\n  terminationGracePeriodSeconds: ", grace,
        "\n  hostNetwork: ", host_network ? "true" : "false",
        "\n  containers:\n  - name: app\n    image: docker.io/library/busybox:latest"
        "\n    imagePullPolicy: IfNotPresent\n    command: [\"sh\", \"-c\", \"",
        command, "\"]\n");
  }

  std::string PodPhase(const std::string& name) {
    std::optional<api::Pod> pod = FindPod(name);
    return pod ? pod->status.phase : "<absent>";
  }

  // A pod manifest with `body` (containers, volumes, ...) under spec.
  static std::string PodWithBody(const std::string& name, const std::string& restart_policy,
                                 const std::string& body) {
    return absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
                        "\nspec:\n  restartPolicy: ", restart_policy,
                        "\n  terminationGracePeriodSeconds: 2\n  hostNetwork: true\n", body);
  }

  // One busybox list item for containers:/initContainers:; `extra` is more
  // of the container's fields, indented by four spaces.
  static std::string Busybox(const std::string& name, const std::string& script,
                             const std::string& extra = "") {
    return absl::StrCat("  - name: ", name,
                        "\n    image: docker.io/library/busybox:latest"
                        "\n    imagePullPolicy: IfNotPresent\n    command: [\"sh\", \"-c\", \"",
                        script, "\"]\n", extra);
  }

  std::string Log(const std::string& pod, const std::string& container) {
    auto [code, body] =
        Get(absl::StrCat("/containerLogs/default/", pod, "-", kNode, "/", container));
    return code == 200 ? body : "";
  }

  const api::ContainerStatus* StatusOf(const api::Pod& pod, const std::string& container) {
    for (const api::ContainerStatus& s : pod.status.container_statuses) {
      if (s.name == container) return &s;
    }
    return nullptr;
  }

  // The mountinfo line of the mount at `path`, or "".
  static std::string MountAt(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      if (f.size() > 4 && f[4] == path) return line;
    }
    return "";
  }

  std::string endpoint_;
  // More flags for the agent (set before StartAgent).
  std::vector<std::string> extra_args_;
  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace cubelet

#endif  // CUBELET_E2E_AGENT_FIXTURE_H_
