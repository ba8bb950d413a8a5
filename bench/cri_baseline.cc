// Raw CRI baseline: how fast the runtime itself starts pods, with no cubelet
// engine in the way. Starts N pods (one sandbox + one busybox container each)
// with K concurrent workers straight through the CRI client, waits until all
// run, tears everything down (same concurrency), and prints
//   RESULT n=… k=… start_wall_s=… pods_per_s=… p50_ms=… p99_ms=… failures=… teardown_s=…
// Every cubelet start benchmark is compared with this physical limit.
//
//   cri_baseline --container-runtime-endpoint unix:///… [--pods N] [--concurrency K]
//                [--host-network] [--image REF] [--pod-cgroup-root /cgroup]
//                [--kubelet-mounts] [--sandbox-seccomp]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cri/grpc/grpc_runtime.h"

namespace cubelet {
namespace {

struct Flags {
  std::string endpoint = "unix:///var/lib/cubelet-containerd/containerd.sock";
  int pods = 100;
  int concurrency = 4;
  bool host_network = false;
  // Non-empty: each pod gets its own cgroup under it, as the kubelet's pod
  // cgroups (<root>/pod<uid>), to tell their cost from the agent's own.
  std::string pod_cgroup_root;
  // Also the two files the kubelet binds into every container: a managed
  // /etc/hosts and a fresh termination-message file.
  bool kubelet_mounts = false;
  // The sandbox under the runtime's default seccomp profile, as the kubelet
  // always asks (kubernetes#84623).
  bool sandbox_seccomp = false;
  std::string image = "docker.io/library/busybox:latest";
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--host-network" && arg != "--kubelet-mounts" && arg != "--sandbox-seccomp" &&
               i + 1 < argc) {
      value = argv[++i];
    }
    if (arg == "--container-runtime-endpoint") f.endpoint = value;
    if (arg == "--pods") f.pods = std::stoi(value);
    if (arg == "--concurrency") f.concurrency = std::stoi(value);
    if (arg == "--image") f.image = value;
    if (arg == "--pod-cgroup-root") f.pod_cgroup_root = value;
    if (arg == "--host-network") f.host_network = true;
    if (arg == "--kubelet-mounts") f.kubelet_mounts = true;
    if (arg == "--sandbox-seccomp") f.sandbox_seccomp = true;
  }
  return f;
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  auto runtime = cri::GrpcRuntime::Connect(flags.endpoint, {});
  if (!runtime.ok()) {
    std::fprintf(stderr, "connect %s: %s\n", flags.endpoint.c_str(),
                 std::string(runtime.status().message()).c_str());
    return 1;
  }
  cri::GrpcRuntime& cri = **runtime;
  const std::string run_id =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());

  std::vector<double> latencies(flags.pods, 0);
  std::vector<std::string> sandboxes(flags.pods);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  // Reports the first few failures; the count is in the RESULT line.
  auto report = [&](int pod, const char* step, const absl::Status& s) {
    if (failures.fetch_add(1) < 3) {
      std::fprintf(stderr, "pod %d: %s: %s\n", pod, step, std::string(s.message()).c_str());
    }
  };
  auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (int i = next++; i < flags.pods; i = next++) {
      auto t0 = std::chrono::steady_clock::now();
      cri::PodSandboxConfig sandbox;
      sandbox.metadata = {.name = "baseline-" + std::to_string(i),
                          .uid = "baseline-" + run_id + "-" + std::to_string(i),
                          .namespace_ = "default",
                          .attempt = 0};
      // As the kubelet: a host-network pod keeps the node's hostname (runc
      // cannot set one without a private UTS namespace).
      if (!flags.host_network) sandbox.hostname = sandbox.metadata.name;
      sandbox.log_directory = "/tmp/cubelet-baseline/" + sandbox.metadata.uid;
      sandbox.network_mode =
          flags.host_network ? cri::NamespaceMode::kNode : cri::NamespaceMode::kPod;
      if (!flags.pod_cgroup_root.empty()) {
        sandbox.cgroup_parent = flags.pod_cgroup_root + "/pod" + sandbox.metadata.uid;
      }
      if (flags.sandbox_seccomp) {
        sandbox.seccomp = cri::SecurityProfile{.type = cri::SecurityProfile::Type::kRuntimeDefault};
      }
      std::filesystem::create_directories(sandbox.log_directory + "/app");
      auto id = cri.RunPodSandbox(sandbox, "");
      if (!id.ok()) {
        report(i, "RunPodSandbox", id.status());
        continue;
      }
      sandboxes[i] = *id;
      cri::ContainerConfig container;
      container.metadata = {.name = "app", .attempt = 0};
      container.image.image = flags.image;
      container.command = {"sleep", "3600"};
      container.log_path = "app/0.log";
      if (flags.kubelet_mounts) {
        const std::string hosts = sandbox.log_directory + "/etc-hosts";
        const std::string termination = sandbox.log_directory + "/termination-log";
        std::ofstream(hosts) << "127.0.0.1\tlocalhost\n";
        std::ofstream(termination).flush();
        container.mounts.push_back(cri::Mount{.container_path = "/etc/hosts", .host_path = hosts});
        container.mounts.push_back(
            cri::Mount{.container_path = "/dev/termination-log", .host_path = termination});
      }
      auto cid = cri.CreateContainer(*id, container, sandbox);
      absl::Status started = cid.ok() ? cri.StartContainer(*cid) : cid.status();
      if (!started.ok()) {
        report(i, "container", started);
        continue;
      }
      latencies[i] = Ms(std::chrono::steady_clock::now() - t0);
    }
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < flags.concurrency; ++k) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  double wall_s = Ms(std::chrono::steady_clock::now() - start) / 1000.0;

  // Teardown at the same concurrency: what an agent's teardown is compared with.
  auto teardown_start = std::chrono::steady_clock::now();
  std::atomic<size_t> next_teardown{0};
  auto teardown = [&] {
    for (size_t i = next_teardown++; i < sandboxes.size(); i = next_teardown++) {
      if (sandboxes[i].empty()) continue;
      (void)cri.StopPodSandbox(sandboxes[i]);
      (void)cri.RemovePodSandbox(sandboxes[i]);
    }
  };
  threads.clear();
  for (int k = 0; k < flags.concurrency; ++k) threads.emplace_back(teardown);
  for (auto& t : threads) t.join();
  double teardown_s = Ms(std::chrono::steady_clock::now() - teardown_start) / 1000.0;
  std::error_code ec;
  std::filesystem::remove_all("/tmp/cubelet-baseline", ec);
  std::vector<double> ok;
  for (double l : latencies) {
    if (l > 0) ok.push_back(l);
  }
  std::sort(ok.begin(), ok.end());
  auto pct = [&](double p) {
    return ok.empty() ? 0.0 : ok[std::min(ok.size() - 1, size_t(p * ok.size()))];
  };
  std::printf(
      "RESULT n=%d k=%d start_wall_s=%.2f pods_per_s=%.2f p50_ms=%.0f p99_ms=%.0f failures=%d "
      "teardown_s=%.2f\n",
      flags.pods, flags.concurrency, wall_s, ok.size() / wall_s, pct(0.50), pct(0.99),
      failures.load(), teardown_s);
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cubelet

int main(int argc, char** argv) { return cubelet::Main(argc, argv); }
