// What probing many pods costs: N pods with a liveness and a readiness probe
// each (period 1 s) on one ProberManager with a 4-thread probe pool, real
// clock, for a fixed time. The prober answers at once, so this measures the
// scheduling machinery (timer thread, heap, executor hand-off, verdicts),
// not the probes' own work. Prints one line:
//   RESULT pods=… workers=… seconds=… probes_per_s=… cpu_pct=… cpu_us_per_probe=…
//          threads=… bytes_per_worker=…
//
// Usage: prober_bench [pods=1000] [seconds=10]
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "asio/thread_pool.hpp"
#include "prober/prober_manager.h"

namespace cubelet {
namespace {

class CountingProber final : public prober::Prober {
 public:
  probe::Outcome Probe(prober::ProbeType, const api::Pod&, const api::PodStatus&,
                       const api::Container&, const api::Probe&, const std::string&) override {
    calls.fetch_add(1, std::memory_order_relaxed);
    return {probe::Result::kSuccess, ""};
  }
  std::atomic<int64_t> calls{0};
};

long StatusField(const char* name) {  // from /proc/self/status, in its unit
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == std::string(name) + ":") {
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int Run(int pods, int seconds) {
  asio::thread_pool pool(4);
  CountingProber prober;
  auto statuses = std::make_shared<std::vector<api::PodStatus>>(pods);
  for (int i = 0; i < pods; ++i) {
    api::ContainerStatus cs;
    cs.name = "app";
    cs.container_id = "containerd://c" + std::to_string(i);
    cs.state.running = api::ContainerStateRunning{};
    cs.started = true;
    (*statuses)[i].phase = api::kPodRunning;
    (*statuses)[i].container_statuses = {cs};
  }
  prober::ProberManager manager(
      &prober, RealClock::Get(), pool.get_executor(),
      [statuses](const std::string& uid) -> std::optional<api::PodStatus> {
        return (*statuses)[std::stoi(uid)];
      },
      [](const std::string&) {});
  const long rss_before = StatusField("VmRSS");
  manager.Start();
  for (int i = 0; i < pods; ++i) {
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.uid = std::to_string(i);
    pod->metadata.name = "pod" + std::to_string(i);
    api::Container c;
    c.name = "app";
    api::Probe p;
    p.handler.exec = api::ExecAction{.command = {"true"}};
    p.period_seconds = 1;
    c.liveness_probe = p;
    c.readiness_probe = p;
    pod->spec.containers.push_back(c);
    manager.AddPod(pod);
  }
  const long rss_after = StatusField("VmRSS");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // past the start-up jitter
  const int64_t calls0 = prober.calls.load();
  const double cpu0 = CpuSeconds();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const int64_t calls = prober.calls.load() - calls0;
  const double cpu = CpuSeconds() - cpu0;
  const long threads = StatusField("Threads");
  manager.Stop();
  pool.join();
  const int workers = 2 * pods;
  std::printf(
      "RESULT pods=%d workers=%d seconds=%d probes_per_s=%.0f cpu_pct=%.2f cpu_us_per_probe=%.1f "
      "threads=%ld bytes_per_worker=%.0f\n",
      pods, workers, seconds, calls / double(seconds), 100.0 * cpu / seconds,
      calls == 0 ? 0.0 : 1e6 * cpu / calls, threads, 1024.0 * (rss_after - rss_before) / workers);
  return 0;
}

}  // namespace
}  // namespace cubelet

int main(int argc, char** argv) {
  int pods = argc > 1 ? std::atoi(argv[1]) : 1000;
  int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  return cubelet::Run(pods, seconds);
}
