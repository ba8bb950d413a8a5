// cubelet: the node agent daemon (flags as the kubelet's), and the CLI that
// talks to it (`cubelet get pods`, `logs`, `describe`, `validate`).
//
// The daemon wires the parts together: CRI client (wrapped in the metrics
// decorators) -> Kubelet (runtime manager, PLEG, pod workers, status manager,
// sync loop) <- PodConfig <- file and HTTP sources; the read-only HTTP API
// reads the Kubelet. SIGTERM/SIGINT stop the agent and leave pods running.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/options.h"
#include "asio/thread_pool.hpp"
#include "cli/cli.h"
#include "config/config.h"
#include "config/file_source.h"
#include "config/http_source.h"
#include "cri/grpc/grpc_runtime.h"
#include "cri/instrumented/instrumented_services.h"
#include "kubelet/kubelet.h"
#include "metrics/registry.h"
#include "server/server.h"
#include "util/clock.h"
#include "util/log.h"

namespace cubelet::app {
namespace {

constexpr int kProbeThreads = 4;
// How long SIGTERM waits for the orderly shutdown before it abandons what is
// still in flight (hooks, container stops).
constexpr absl::Duration kShutdownDeadline = absl::Milliseconds(1500);

// The IPv4 address of the interface that holds the default route, else the
// first non-loopback one (the kubelet's node InternalIP, shown as hostIP).
std::string DetectHostIp() {
  std::string default_iface;
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string iface, destination;
    fields >> iface >> destination;
    if (destination == "00000000") {
      default_iface = iface;
      break;
    }
  }
  std::string first;
  ifaddrs* addrs = nullptr;
  if (::getifaddrs(&addrs) != 0) return "";
  for (ifaddrs* a = addrs; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof(buf));
    if (a->ifa_name == default_iface) {
      first = buf;
      break;
    }
    if (first.empty()) first = buf;
  }
  ::freeifaddrs(addrs);
  return first;
}

// The HTTP API's window on the Kubelet.
// /healthz also fails when the file source's thread is stuck (no scan has
// completed for a while), since then no manifest change would be applied.
class KubeletView final : public server::AgentView {
 public:
  KubeletView(const kubelet::Kubelet* kubelet, const config::FileSource* file_source)
      : kubelet_(kubelet), file_source_(file_source) {}
  std::vector<api::Pod> GetPods() const override { return kubelet_->GetPods(); }
  absl::Status Healthy() const override {
    if (file_source_ != nullptr) {
      if (absl::Status s = file_source_->Healthy(); !s.ok()) return s;
    }
    return kubelet_->Healthy();
  }

 private:
  const kubelet::Kubelet* const kubelet_;
  const config::FileSource* const file_source_;
};

int RunAgent(const AgentOptions& options) {
  log::SetVerbosity(options.verbosity);
  LOG(INFO) << "Starting cubelet node=\"" << options.node_name << "\" runtime=\""
            << options.container_runtime_endpoint << "\"";
  if (options.pod_manifest_path.empty() && options.manifest_url.empty()) {
    LOG(WARNING) << "No pod source (--pod-manifest-path or --manifest-url): no pods will run";
  }

  // Signals are taken by sigwait below; every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<cri::GrpcRuntime>> grpc =
      cri::GrpcRuntime::Connect(options.container_runtime_endpoint);
  if (!grpc.ok()) {
    LOG(ERROR) << "--container-runtime-endpoint: " << grpc.status().message();
    return 1;
  }
  metrics::Registry registry;
  metrics::RegisterProcessMetrics(&registry);
  cri::InstrumentedRuntimeService runtime_service(grpc->get(), &registry);
  cri::InstrumentedImageService image_service(grpc->get(), &registry);

  asio::thread_pool pool(options.pod_worker_threads);
  // Probes block on their timeouts (exec, http, tcp, grpc): their own small
  // pool keeps them from holding up pod syncs and bounds how many run at once.
  asio::thread_pool probe_pool(kProbeThreads);
  kubelet::KubeletOptions kubelet_options;
  kubelet_options.node_name = options.node_name;
  kubelet_options.host_ip = DetectHostIp();
  kubelet_options.root_dir = options.root_dir;
  kubelet_options.pod_logs_dir = options.pod_logs_dir;
  kubelet_options.cgroup_root = options.cgroup_root;
  kubelet_options.sync_frequency = options.sync_frequency;
  kubelet_options.probe_executor = probe_pool.get_executor();
  auto kubelet =
      std::make_unique<kubelet::Kubelet>(&runtime_service, &image_service, RealClock::Get(),
                                         pool.get_executor(), &registry, kubelet_options);

  config::PodConfig pod_config(
      RealClock::Get(), [&](const config::PodUpdate& update) { kubelet->OnPodUpdate(update); },
      [](const std::string& message) { LOG(ERROR) << message; });
  std::set<std::string> sources;
  auto merge = [&pod_config](const config::PodUpdate& update) { pod_config.Merge(update); };
  auto report = [](const std::string& message) { LOG(ERROR) << message; };
  std::unique_ptr<config::FileSource> file_source;
  std::unique_ptr<config::HttpSource> http_source;
  if (!options.pod_manifest_path.empty()) {
    sources.insert(config::kFileSource);
    config::FileSourceOptions file_options;
    file_options.path = options.pod_manifest_path;
    file_options.node_name = options.node_name;
    file_options.file_check_frequency = absl::ToChronoMilliseconds(options.file_check_frequency);
    file_source = std::make_unique<config::FileSource>(file_options, merge, report);
    const config::FileSource* fs = file_source.get();
    registry.NewCounterFunc("cubelet_manifest_errors_reported_total",
                            "Manifest errors reported (logged); a bad file's errors are reported "
                            "once per version of the file.",
                            {}, [fs] {
                              return metrics::Registry::Samples{
                                  {{}, static_cast<double>(fs->errors_reported())}};
                            });
    registry.NewGaugeFunc("cubelet_manifest_bad_files",
                          "Manifest files with errors at the last scan.", {}, [fs] {
                            return metrics::Registry::Samples{
                                {{}, static_cast<double>(fs->bad_files())}};
                          });
  }
  if (!options.manifest_url.empty()) {
    sources.insert(config::kHttpSource);
    config::HttpSourceOptions http_options;
    http_options.url = options.manifest_url;
    http_options.node_name = options.node_name;
    http_options.period = absl::ToChronoMilliseconds(options.http_check_frequency);
    http_source = std::make_unique<config::HttpSource>(http_options, merge, report);
  }
  kubelet->SetSourcesReady([&pod_config, sources] { return pod_config.SeenAllSources(sources); });

  KubeletView view(kubelet.get(), file_source.get());
  std::unique_ptr<server::Server> server;
  if (options.read_only_port != 0) {
    server::ServerOptions server_options;
    server_options.address = options.address;
    server_options.port = options.read_only_port;
    server_options.pod_logs_dir = options.pod_logs_dir;
    server_options.registry = &registry;
    server = std::make_unique<server::Server>(&view, server_options);
    if (absl::Status s = server->Start(); !s.ok()) {
      LOG(ERROR) << "Read-only API: " << s.message();
      return 1;
    }
    LOG(INFO) << "Read-only API listening on http://" << options.address << ":" << server->port();
  }

  kubelet->Start();
  if (file_source) file_source->Start();
  if (http_source) http_source->Start();

  int signal = 0;
  sigwait(&signals, &signal);
  LOG(INFO) << "Received " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
            << ", shutting down; pods keep running";
  // The pods keep running whatever the agent does now, so shutting down never
  // waits for them: the orderly part (sources, server, loops) gets a short
  // deadline, and a hook or a container stop still in flight after it (a
  // preStop hook or a grace period can last minutes) is abandoned with the
  // process. The next start adopts the pods and finishes what was left.
  std::mutex shutdown_mu;
  std::condition_variable shutdown_cv;
  bool stopped = false;
  std::thread orderly([&] {
    if (http_source) http_source->Stop();
    if (file_source) file_source->Stop();
    if (server) server->Stop();
    kubelet->Stop();
    pool.stop();
    pool.join();
    probe_pool.stop();
    probe_pool.join();
    kubelet.reset();
    {
      std::lock_guard<std::mutex> lock(shutdown_mu);
      stopped = true;
    }
    shutdown_cv.notify_all();
  });
  bool in_time;
  {
    std::unique_lock<std::mutex> lock(shutdown_mu);
    in_time = shutdown_cv.wait_for(lock, absl::ToChronoNanoseconds(kShutdownDeadline),
                                   [&] { return stopped; });
  }
  if (!in_time) {
    LOG(WARNING) << "Pod operations still in flight after " << kShutdownDeadline
                 << " are abandoned; their pods keep running";
    LOG(INFO) << "cubelet stopped";
    std::fflush(nullptr);
    std::_Exit(0);
  }
  orderly.join();
  LOG(INFO) << "cubelet stopped";
  return 0;
}

}  // namespace
}  // namespace cubelet::app

int main(int argc, char** argv) {
  using namespace cubelet;  // NOLINT(build/namespaces)
  if (argc > 1 && cli::IsCliCommand(argv[1])) return cli::RunCli(argc, argv, std::cout, std::cerr);
  std::vector<std::string> args(argv, argv + argc);
  absl::StatusOr<app::AgentOptions> options = app::ParseOptions(args);
  if (!options.ok()) {
    std::cerr << "cubelet: " << options.status().message() << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << app::Usage();
    return 0;
  }
  return app::RunAgent(*options);
}
