// Engine benchmark: pod workers + pod syncer + runtime manager on the
// in-memory CRI with no runtime latency. See bench/README.md.
//
//   engine_bench [--pods N] [--updates M] [--pool P] [--relist-rounds R]
#include <malloc.h>

#include <algorithm>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "container/pod_cache.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "kubelet/pod_syncer_impl.h"
#include "kuberuntime/runtime_manager.h"
#include "pleg/generic_pleg.h"
#include "podworkers/pod_workers.h"

namespace cubelet {
namespace {

// Counts completed syncer calls (a decorator, so the syncer stays unaware).
class CountingSyncer final : public podworkers::PodSyncer {
 public:
  explicit CountingSyncer(podworkers::PodSyncer* inner) : inner_(inner) {}
  absl::StatusOr<bool> SyncPod(const CancelTokenPtr& c, podworkers::SyncPodType t,
                               const api::PodPtr& pod, const api::PodPtr& mirror,
                               const container::PodStatusPtr& s) override {
    auto r = inner_->SyncPod(c, t, pod, mirror, s);
    syncs.fetch_add(1, std::memory_order_relaxed);
    return r;
  }
  absl::Status SyncTerminatingPod(const CancelTokenPtr& c, const api::PodPtr& pod,
                                  const container::PodStatusPtr& s, std::optional<int64_t> g,
                                  const podworkers::PodStatusFunc& f) override {
    syncs.fetch_add(1, std::memory_order_relaxed);
    return inner_->SyncTerminatingPod(c, pod, s, g, f);
  }
  absl::Status SyncTerminatingRuntimePod(const CancelTokenPtr& c,
                                         const container::Pod& p) override {
    syncs.fetch_add(1, std::memory_order_relaxed);
    return inner_->SyncTerminatingRuntimePod(c, p);
  }
  absl::Status SyncTerminatedPod(const CancelTokenPtr& c, const api::PodPtr& pod,
                                 const container::PodStatusPtr& s) override {
    syncs.fetch_add(1, std::memory_order_relaxed);
    return inner_->SyncTerminatedPod(c, pod, s);
  }
  std::atomic<int64_t> syncs{0};

 private:
  podworkers::PodSyncer* inner_;
};

// Does nothing: isolates what the pod workers themselves cost per pod.
class NoopSyncer final : public podworkers::PodSyncer {
 public:
  absl::StatusOr<bool> SyncPod(const CancelTokenPtr&, podworkers::SyncPodType, const api::PodPtr&,
                               const api::PodPtr&, const container::PodStatusPtr&) override {
    return false;
  }
  absl::Status SyncTerminatingPod(const CancelTokenPtr&, const api::PodPtr&,
                                  const container::PodStatusPtr&, std::optional<int64_t>,
                                  const podworkers::PodStatusFunc&) override {
    return absl::OkStatus();
  }
  absl::Status SyncTerminatingRuntimePod(const CancelTokenPtr&, const container::Pod&) override {
    return absl::OkStatus();
  }
  absl::Status SyncTerminatedPod(const CancelTokenPtr&, const api::PodPtr&,
                                 const container::PodStatusPtr&) override {
    return absl::OkStatus();
  }
};

int ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

size_t HeapInUse() { return mallinfo2().uordblks; }

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// CPU (ms, this thread) of one relist with nothing changed and of the two
// CRI list calls alone, each the median over `rounds` alternating rounds (a
// busy machine moves the mean, not the median): the relist's own share is
// the difference (the in-memory CRI's lists copy every record, as a real
// client's decode would).
std::pair<double, double> RelistCpuMs(cri::InMemoryRuntime& cri,
                                      kuberuntime::RuntimeManager& runtime,
                                      container::PodCache& cache, int rounds) {
  pleg::EventChannel events(1 << 20);
  pleg::GenericPleg relister(&runtime, &cache, &events, RealClock::Get());
  relister.Relist();  // the first sees (and inspects) everything
  std::vector<double> relist_ms, list_ms;
  for (int i = 0; i < rounds; ++i) {
    double start = ThreadCpuMs();
    relister.Relist();
    relist_ms.push_back(ThreadCpuMs() - start);
    start = ThreadCpuMs();
    (void)cri.ListPodSandbox(std::nullopt);
    (void)cri.ListContainers(std::nullopt);
    list_ms.push_back(ThreadCpuMs() - start);
  }
  auto median = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  return {median(relist_ms), median(list_ms)};
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

api::PodPtr BenchPod(int i) {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.name = "bench-" + std::to_string(i);
  pod->metadata.namespace_ = "default";
  pod->metadata.uid = "00000000-0000-0000-0000-" + std::to_string(100000000000 + i);
  pod->spec.restart_policy = api::kRestartAlways;
  pod->spec.termination_grace_period_seconds = 30;
  api::Container c;
  c.name = "app";
  c.image = "docker.io/library/busybox:1.36";
  c.image_pull_policy = api::kPullIfNotPresent;
  c.command = {"sleep", "3600"};
  pod->spec.containers.push_back(std::move(c));
  return pod;
}

template <typename Pred>
bool WaitFor(Pred pred, double timeout_s) {
  auto start = std::chrono::steady_clock::now();
  while (!pred()) {
    if (Seconds(start) > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Heap bytes per idle pod of the pod workers alone (no-op syncer, fresh cache).
double WorkerBytesPerPod(const std::vector<api::PodPtr>& specs, int pool_size) {
  NoopSyncer noop;
  container::PodCache cache;
  cache.UpdateTime(absl::InfiniteFuture());
  podworkers::WorkQueue queue(RealClock::Get());
  asio::thread_pool pool(pool_size);
  size_t before = HeapInUse();
  {
    podworkers::PodWorkers workers(pool.get_executor(), &noop, &cache, &queue, RealClock::Get(),
                                   {});
    for (const auto& pod : specs) {
      podworkers::UpdatePodOptions o;
      o.update_type = podworkers::SyncPodType::kCreate;
      o.pod = pod;
      workers.UpdatePod(std::move(o));
    }
    WaitFor([&] { return !workers.AnyWorking(); }, 600);
    size_t after = HeapInUse();
    pool.join();
    return static_cast<double>(after - before) / specs.size();
  }
}

int Main(int argc, char** argv) {
  int pods = 10000;
  int64_t updates = 1000000;
  int pool_size = 2;
  int relist_rounds = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--pods")) pods = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--updates")) updates = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--pool")) pool_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--relist-rounds")) relist_rounds = std::atoi(argv[i + 1]);
  }

  cri::InMemoryRuntime cri(RealClock::Get());
  cri.AddImage("docker.io/library/busybox:1.36");
  kuberuntime::RuntimeManager runtime(&cri, &cri, RealClock::Get(), {.manage_host_state = false});
  container::PodCache cache;
  status::StatusManager statuses;
  kubelet::KubeletPodSyncer syncer(&runtime, &cache, &statuses, RealClock::Get());
  CountingSyncer counting(&syncer);
  podworkers::WorkQueue queue(RealClock::Get());
  asio::thread_pool pool(pool_size);
  // No PLEG here: the syncer refreshes the cache itself after acting.
  cache.UpdateTime(RealClock::Get()->Now());
  podworkers::PodWorkers workers(pool.get_executor(), &counting, &cache, &queue, RealClock::Get(),
                                 {});

  std::vector<api::PodPtr> specs;
  specs.reserve(pods);
  for (int i = 0; i < pods; ++i) specs.push_back(BenchPod(i));

  // Phase 1: create every pod and wait until all run.
  size_t heap_before = HeapInUse();
  auto t_create = std::chrono::steady_clock::now();
  for (const auto& pod : specs) {
    podworkers::UpdatePodOptions o;
    o.update_type = podworkers::SyncPodType::kCreate;
    o.pod = pod;
    workers.UpdatePod(std::move(o));
  }
  bool all_running = WaitFor(
      [&] {
        return cri.RunningContainerCount() == static_cast<size_t>(pods) && !workers.AnyWorking();
      },
      600);
  double create_s = Seconds(t_create);
  size_t heap_after = HeapInUse();

  // Phase 2: random updates from one thread.
  int64_t syncs_before = counting.syncs.load();
  std::mt19937_64 rng(42);
  auto t_update = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < updates; ++n) {
    podworkers::UpdatePodOptions o;
    o.update_type = podworkers::SyncPodType::kUpdate;
    o.pod = specs[rng() % specs.size()];
    workers.UpdatePod(std::move(o));
  }
  double update_call_s = Seconds(t_update);
  bool drained = WaitFor([&] { return !workers.AnyWorking(); }, 600);
  double update_total_s = Seconds(t_update);
  int64_t syncs = counting.syncs.load() - syncs_before;
  int threads = ThreadCount();

  bool all_synced =
      all_running && drained && cri.RunningContainerCount() == static_cast<size_t>(pods);
  for (const auto& pod : specs) {
    auto s = syncer.GetPodStatus(pod->metadata.uid);
    if (!s.has_value() || s->phase != api::kPodRunning) {
      all_synced = false;
      break;
    }
  }
  auto [relist_ms, cri_list_ms] = RelistCpuMs(cri, runtime, cache, relist_rounds);
  pool.join();
  double worker_bytes = WorkerBytesPerPod(specs, pool_size);
  std::printf(
      "RESULT pods=%d updates=%lld updates_per_sec=%.0f syncs_per_sec=%.0f bytes_per_pod=%.0f "
      "worker_bytes_per_pod=%.0f threads=%d pool=%d create_s=%.3f relist_cpu_ms=%.3f "
      "cri_list_cpu_ms=%.3f relist_agent_cpu_ms=%.3f all_synced=%d\n",
      pods, static_cast<long long>(updates), updates / update_call_s, syncs / update_total_s,
      static_cast<double>(heap_after - heap_before) / pods, worker_bytes, threads, pool_size,
      create_s, relist_ms, cri_list_ms, relist_ms - cri_list_ms, all_synced ? 1 : 0);
  return all_synced ? 0 : 1;
}

}  // namespace
}  // namespace cubelet

int main(int argc, char** argv) { return cubelet::Main(argc, argv); }
