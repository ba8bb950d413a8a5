// cubelet: the node agent daemon (flags as the kubelet's), and the CLI that
// talks to it (`cubelet get pods`, `logs`, `describe`, `validate`).
//
// main keeps flags and signals; app::Agent (agent.h) wires the parts.
// SIGTERM/SIGINT stop the agent within a short deadline and leave pods
// running.
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "app/agent.h"
#include "app/options.h"
#include "cli/cli.h"
#include "util/log.h"

namespace cubelet::app {
namespace {

// How long SIGTERM waits for the orderly shutdown before it abandons what is
// still in flight (hooks, container stops).
constexpr absl::Duration kShutdownDeadline = absl::Milliseconds(1500);

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

  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(options);
  if (!agent.ok()) {
    LOG(ERROR) << agent.status().message();
    return 1;
  }
  if (absl::Status s = (*agent)->Start(); !s.ok()) {
    LOG(ERROR) << s.message();
    return 1;
  }

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
    agent->reset();
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
  // gRPC locks absl::Mutex, and Debian's Abseil checks every acquisition for
  // lock-order cycles (GraphCycles: ~2 % of the agent's CPU starting 1000
  // pods). cubelet's own locks are std::mutex, checked by the tsa and tsan
  // builds instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
