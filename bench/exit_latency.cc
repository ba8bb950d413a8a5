// exit_latency: how soon a container's exit shows in the agent's /pods, on
// the real runtime. N host-network pods (restartPolicy Never) whose
// container sleeps a random time (uniform over --min/--max seconds, so the
// exits fall at random phases of any relist period) and exits; /pods is
// polled every --poll-ms; for each pod the latency is the moment its
// container first shows terminated minus the runtime's own finished_at
// (CRI ContainerStatus, nanoseconds).
//
//   exit_latency --container-runtime-endpoint unix:///… [--pods 30]
//                [--min 3] [--max 9] [--poll-ms 5] [--runtime-events true|false]
//
// Prints RESULT events=… seen=… n=… p50_ms=… p99_ms=… max_ms=… (events=false:
// the relist alone, every second, as the kubelet's generic PLEG).
// CUBELET_BENCH_KEEP=1 keeps the agent's log and prints each exit's
// finished_at and seen time (ns) on stderr, to split the latency into the
// PLEG's part (its "container finished" log line) and the status path's.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cri/grpc/grpc_runtime.h"
#include "e2e_util.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace {

namespace fs = std::filesystem;
using cubelet::e2e::Eventually;
using cubelet::e2e::FreePort;

struct Flags {
  std::string endpoint;
  int pods = 30;
  double min_s = 3, max_s = 9;
  int poll_ms = 5;
  std::string runtime_events = "true";
};

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Manifest(int i, double sleep_s) {
  char sleep[32];
  std::snprintf(sleep, sizeof(sleep), "%.3f", sleep_s);
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: exit-" + std::to_string(i) +
         "\nspec:\n  hostNetwork: true\n  restartPolicy: Never\n"
         "  terminationGracePeriodSeconds: 1\n  containers:\n"
         "  - name: app\n    image: docker.io/library/busybox:latest\n"
         "    imagePullPolicy: IfNotPresent\n"
         "    command: [\"sh\", \"-c\", \"sleep " +
         sleep + "; exit 0\"]\n";
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // RESULT lines as they come
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--container-runtime-endpoint") flags.endpoint = value;
    if (arg == "--pods") flags.pods = std::atoi(value.c_str());
    if (arg == "--min") flags.min_s = std::atof(value.c_str());
    if (arg == "--max") flags.max_s = std::atof(value.c_str());
    if (arg == "--poll-ms") flags.poll_ms = std::atoi(value.c_str());
    if (arg == "--runtime-events") flags.runtime_events = value;
  }
  if (flags.endpoint.empty()) {
    std::fprintf(stderr,
                 "usage: exit_latency --container-runtime-endpoint unix:///… [--pods N] "
                 "[--min S] [--max S] [--poll-ms MS] [--runtime-events true|false]\n");
    return 2;
  }
  auto cri = cubelet::cri::GrpcRuntime::Connect(flags.endpoint);
  if (!cri.ok()) {
    std::fprintf(stderr, "%s\n", cri.status().ToString().c_str());
    return 2;
  }

  fs::path dir = fs::temp_directory_path() / ("cubelet-exit-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "manifests");
  fs::create_directories(dir / "staging");
  const int port = FreePort();
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
                                   "--runtime-events=" + flags.runtime_events};
  pid_t pid = cubelet::e2e::Spawn(args, (dir / "agent.log").string());
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  auto pods_json = [&]() -> nlohmann::json {
    auto res = client.Get("/pods");
    if (!res || res->status != 200) return nlohmann::json();
    return nlohmann::json::parse(res->body, nullptr, false);
  };
  if (!Eventually([&] { return pods_json().is_object(); }, absl::Seconds(30),
                  absl::Milliseconds(50))) {
    std::fprintf(stderr, "agent did not come up; see %s\n", (dir / "agent.log").c_str());
    kill(pid, SIGTERM);
    return 1;
  }

  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> sleep_s(flags.min_s, flags.max_s);
  for (int i = 0; i < flags.pods; ++i) {
    std::ofstream(dir / "staging" / ("exit-" + std::to_string(i) + ".yaml"))
        << Manifest(i, sleep_s(rng));
  }
  for (int i = 0; i < flags.pods; ++i) {
    std::string name = "exit-" + std::to_string(i) + ".yaml";
    fs::rename(dir / "staging" / name, dir / "manifests" / name);
  }

  // Pod name -> (container id, first time seen terminated).
  std::map<std::string, std::pair<std::string, int64_t>> seen;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(static_cast<int>(flags.max_s) + 120);
  while (static_cast<int>(seen.size()) < flags.pods &&
         std::chrono::steady_clock::now() < deadline) {
    nlohmann::json list = pods_json();
    const int64_t now = NowNanos();
    if (list.is_object()) {
      for (const auto& pod : list["items"]) {
        std::string name = pod["metadata"].value("name", "");
        if (seen.contains(name)) continue;
        for (const auto& c : pod["status"].value("containerStatuses", nlohmann::json::array())) {
          if (c.contains("state") && c["state"].contains("terminated")) {
            std::string id = c["state"]["terminated"].value("containerID", "");
            if (auto p = id.find("://"); p != std::string::npos) id = id.substr(p + 3);
            seen[name] = {id, now};
          }
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(flags.poll_ms));
  }

  if (static_cast<int>(seen.size()) < flags.pods) {
    nlohmann::json list = pods_json();
    for (const auto& pod : list["items"]) {
      std::string name = pod["metadata"].value("name", "");
      if (!seen.contains(name)) {
        std::fprintf(stderr, "never terminated: %s\n", pod["status"].dump().c_str());
      }
    }
  }
  std::vector<double> latencies_ms;
  for (const auto& [name, entry] : seen) {
    // The agent can know of an exit before containerd's CRI plugin records
    // it (the event stream is faster), so give the CRI a moment.
    auto status = (*cri)->GetContainerStatus(entry.first);
    for (int i = 0; i < 100 && status.ok() && status->finished_at == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      status = (*cri)->GetContainerStatus(entry.first);
    }
    if (!status.ok() || status->finished_at == 0) {
      std::fprintf(
          stderr, "%s: container \"%s\": %s\n", name.c_str(), entry.first.c_str(),
          status.ok()
              ? ("no finished_at; state " + std::to_string(static_cast<int>(status->state)) +
                 " reason " + status->reason + " started_at " + std::to_string(status->started_at))
                    .c_str()
              : status.status().ToString().c_str());
      continue;
    }
    if (std::getenv("CUBELET_BENCH_KEEP") != nullptr) {
      std::fprintf(stderr, "exit %s finished_at=%lld seen=%lld\n", entry.first.c_str(),
                   static_cast<long long>(status->finished_at),
                   static_cast<long long>(entry.second));
    }
    latencies_ms.push_back(static_cast<double>(entry.second - status->finished_at) / 1e6);
  }
  std::printf(
      "RESULT events=%s seen=%zu n=%zu p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
      flags.runtime_events.c_str(), seen.size(), latencies_ms.size(), Percentile(latencies_ms, 0.5),
      Percentile(latencies_ms, 0.99),
      latencies_ms.empty() ? 0.0 : *std::max_element(latencies_ms.begin(), latencies_ms.end()));
  std::fflush(stdout);

  for (const auto& e : fs::directory_iterator(dir / "manifests")) fs::remove(e.path());
  Eventually(
      [&] {
        nlohmann::json list = pods_json();
        return list.is_object() && list["items"].empty();
      },
      absl::Seconds(120), absl::Milliseconds(100));
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::error_code ec;
  cubelet::e2e::RemoveCgroupRoot("cubelet-bench");
  if (std::getenv("CUBELET_BENCH_KEEP") == nullptr) {
    fs::remove_all(dir, ec);
  } else {
    std::fprintf(stderr, "kept %s\n", dir.c_str());
  }
  return static_cast<int>(latencies_ms.size()) == flags.pods ? 0 : 1;
}
