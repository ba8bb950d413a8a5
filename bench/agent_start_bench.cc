// agent_start_bench: how long the real agent takes to bring N host-network
// pods from manifests to Running on containerd, against the raw CRI baseline
// (cri_baseline: RunPodSandbox + CreateContainer + StartContainer, nothing
// else) at the same concurrency, in one run. Also the agent's RSS and CPU
// with 0 and N pods running.
//
//   agent_start_bench --container-runtime-endpoint unix:///… [--pods N]
//                     [--concurrency K] [--settle-seconds S]
//
// Prints
//   RESULT n=… k=… cubelet_s=… baseline_s=… ratio=…
//   RESULT idle_pods=0 rss_mib=… cpu_pct=…
//   RESULT idle_pods=N rss_mib=… cpu_pct=…
// cubelet_s runs from the first manifest written to the moment /pods shows
// every pod Running (polled every 100 ms). CPU is the agent's user+system time
// over S seconds of steady state, in percent of one core.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_util.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace {

namespace fs = std::filesystem;
using cubelet::e2e::Eventually;
using cubelet::e2e::FreePort;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::string endpoint;
  int pods = 100;
  int concurrency = 8;
  int settle_seconds = 10;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// (RSS in MiB, user+system CPU seconds) of `pid`.
std::pair<double, double> Usage(pid_t pid) {
  double rss_kib = 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss_kib = std::atof(line.c_str() + 6);
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::atof(f.c_str());
    if (i == 15) {
      stime = std::atof(f.c_str());
      break;
    }
  }
  return {rss_kib / 1024, (utime + stime) / sysconf(_SC_CLK_TCK)};
}

// Counts pods in phase Running with every container running; -1 if /pods
// cannot be read.
int RunningPods(httplib::Client& client) {
  auto res = client.Get("/pods");
  if (!res || res->status != 200) return -1;
  nlohmann::json list = nlohmann::json::parse(res->body, nullptr, false);
  if (!list.is_object()) return -1;
  int running = 0;
  for (const auto& pod : list["items"]) {
    const auto& status = pod.value("status", nlohmann::json::object());
    if (status.value("phase", "") != "Running") continue;
    bool all = true;
    for (const auto& c : status.value("containerStatuses", nlohmann::json::array())) {
      if (!c.contains("state") || !c["state"].contains("running")) all = false;
    }
    if (all) ++running;
  }
  return running;
}

int TotalPods(httplib::Client& client) {
  auto res = client.Get("/pods");
  if (!res || res->status != 200) return -1;
  nlohmann::json list = nlohmann::json::parse(res->body, nullptr, false);
  return list.is_object() ? static_cast<int>(list["items"].size()) : -1;
}

// Pod cgroups left under the bench's cgroup root, in every hierarchy.
int PodCgroups() {
  int n = 0;
  std::error_code ec;
  auto scan = [&](const fs::path& root) {
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (e.is_directory(ec) && e.path().filename().string().rfind("pod", 0) == 0) ++n;
    }
  };
  scan("/sys/fs/cgroup/cubelet-bench");
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (h.is_directory(ec)) scan(h.path() / "cubelet-bench");
  }
  return n;
}

double RunBaseline(const Flags& flags) {
  std::string cmd = std::string(CRI_BASELINE_BINARY) + " --container-runtime-endpoint " +
                    flags.endpoint + " --pods " + std::to_string(flags.pods) + " --concurrency " +
                    std::to_string(flags.concurrency) + " --host-network";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  std::fputs(out.c_str(), stdout);
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("start_wall_s=([0-9.]+)"))) return -1;
  return std::atof(m[1].str().c_str());
}

std::string Manifest(int i) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bench-" + std::to_string(i) +
         "\nspec:\n  hostNetwork: true\n  terminationGracePeriodSeconds: 1\n  containers:\n"
         "  - name: app\n    image: docker.io/library/busybox:latest\n"
         "    imagePullPolicy: IfNotPresent\n"
         "    command: [\"sleep\", \"3600\"]\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // RESULT lines as they come
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--container-runtime-endpoint") flags.endpoint = value;
    if (arg == "--pods") flags.pods = std::atoi(value.c_str());
    if (arg == "--concurrency") flags.concurrency = std::atoi(value.c_str());
    if (arg == "--settle-seconds") flags.settle_seconds = std::atoi(value.c_str());
  }
  if (flags.endpoint.empty()) {
    std::fprintf(stderr,
                 "usage: agent_start_bench --container-runtime-endpoint unix:///… "
                 "[--pods N] [--concurrency K] [--settle-seconds S]\n");
    return 2;
  }

  double baseline_s = RunBaseline(flags);

  fs::path dir = fs::temp_directory_path() / ("cubelet-agent-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "manifests");
  fs::create_directories(dir / "staging");
  int port = FreePort();
  std::vector<std::string> args = {CUBELET_BINARY,
                                   "--pod-manifest-path=" + (dir / "manifests").string(),
                                   "--container-runtime-endpoint=" + flags.endpoint,
                                   "--root-dir=" + (dir / "root").string(),
                                   "--pod-logs-dir=" + (dir / "logs").string(),
                                   "--node-name=bench",
                                   "--cgroup-root=/cubelet-bench",
                                   "--read-only-port=" + std::to_string(port),
                                   "--port=0",
                                   "--healthz-port=0",
                                   "--pod-worker-threads=" + std::to_string(flags.concurrency),
                                   "--max-pods=" + std::to_string(std::max(110, flags.pods))};
  pid_t pid = cubelet::e2e::Spawn(args, (dir / "agent.log").string());
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  if (!Eventually([&] { return TotalPods(client) == 0; }, absl::Seconds(30),
                  absl::Milliseconds(50))) {
    std::fprintf(stderr, "agent did not come up; see %s\n", (dir / "agent.log").c_str());
    kill(pid, SIGTERM);
    return 1;
  }

  auto measure = [&](int pods) {
    auto [rss0, cpu0] = Usage(pid);
    (void)rss0;
    std::this_thread::sleep_for(std::chrono::seconds(flags.settle_seconds));
    auto [rss, cpu1] = Usage(pid);
    std::printf("RESULT idle_pods=%d rss_mib=%.1f cpu_pct=%.2f\n", pods, rss,
                100.0 * (cpu1 - cpu0) / flags.settle_seconds);
  };
  measure(0);

  // Stage every manifest, then move them in: the clock starts at the first.
  for (int i = 0; i < flags.pods; ++i) {
    std::ofstream(dir / "staging" / ("bench-" + std::to_string(i) + ".yaml")) << Manifest(i);
  }
  auto t0 = Clock::now();
  for (int i = 0; i < flags.pods; ++i) {
    std::string name = "bench-" + std::to_string(i) + ".yaml";
    fs::rename(dir / "staging" / name, dir / "manifests" / name);
  }
  // Polled every 100 ms: each poll encodes and decodes every pod, which on
  // two cores would otherwise compete with the pods being started.
  bool all = Eventually([&] { return RunningPods(client) == flags.pods; }, absl::Seconds(600),
                        absl::Milliseconds(100));
  double cubelet_s = Seconds(Clock::now() - t0);
  if (!all) std::fprintf(stderr, "not all pods reached Running\n");
  std::printf("RESULT n=%d k=%d cubelet_s=%.2f baseline_s=%.2f ratio=%.3f\n", flags.pods,
              flags.concurrency, cubelet_s, baseline_s, cubelet_s / baseline_s);
  std::fflush(stdout);
  measure(flags.pods);

  // Clean up: the agent stops and removes every pod, then exits.
  auto t_delete = Clock::now();
  for (const auto& e : fs::directory_iterator(dir / "manifests")) fs::remove(e.path());
  Eventually([&] { return TotalPods(client) == 0; }, absl::Seconds(600), absl::Milliseconds(100));
  bool clean =
      Eventually([] { return PodCgroups() == 0; }, absl::Seconds(600), absl::Milliseconds(200));
  if (!clean) std::fprintf(stderr, "pods left behind\n");
  // Manifests removed -> no pod left in /pods nor any pod cgroup.
  std::printf("RESULT n=%d delete_s=%.2f\n", flags.pods, Seconds(Clock::now() - t_delete));
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::error_code ec;
  cubelet::e2e::RemoveCgroupRoot("cubelet-bench");
  fs::remove_all(dir, ec);
  return all ? 0 : 1;
}
