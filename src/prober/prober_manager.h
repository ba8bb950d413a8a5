// ProberManager: runs the liveness, readiness and startup probes of every
// pod's containers and keeps their verdicts (the kubelet's
// pkg/kubelet/prober: manager.go, worker.go and results/).
//
// One worker per (pod, container, probe type), but no thread per worker: a
// single timer thread keeps the workers in a heap ordered by their next due
// time and posts each due probe to an executor (a small pool, so exec,
// http and tcp probes are bounded in concurrency by its size). A worker whose
// previous probe is still running skips that tick, as a Go ticker drops
// ticks. Workers of pods added right after start-up begin at a random point
// of their period, so a restarted agent does not probe everything at once.
//
// Each probe follows upstream's worker.doProbe: it reads the pod's latest API
// status (through `status_of`), finds the container by name, resets the
// verdict when the container id changes (readiness starts as Failure,
// liveness as Success, startup as Unknown), probes only running containers,
// runs liveness/readiness only once the container has started (startup probe
// passed), waits initialDelaySeconds from the container's start, and changes
// the verdict only after successThreshold/failureThreshold consecutive equal
// results. After a liveness or startup failure the worker holds until the
// container is replaced. Workers stop when the pod is terminal, or when a
// container of a restartPolicy Never pod has terminated.
//
// A changed verdict calls `on_change(pod uid)` so the pod is synced: a failed
// liveness/startup probe makes ComputePodActions kill the container (through
// ProbeResults, which this class implements), and readiness or
// startup changes reach the API status through GetProbeStatus().
//
// Ownership: borrows the prober and clock (they must outlive it); the
// executor must not run handlers after this object is destroyed (Stop() first
// and drain it, as for the pod workers).
// Thread-safety: every public method may be called from any thread.
#ifndef CUBELET_PROBER_PROBER_MANAGER_H_
#define CUBELET_PROBER_PROBER_MANAGER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "asio/any_io_executor.hpp"
#include "events/recorder.h"
#include "prober/prober.h"
#include "prober/results.h"
#include "status/generate.h"
#include "util/clock.h"

namespace cubelet::prober {

struct ProberManagerOptions {
  // Start workers at a random point of their first period when the pod is
  // added within one period of Start() (upstream's restart jitter).
  bool jitter_after_start = true;
  // Probes due this close together run in one wake-up of the timer thread
  // (at most this early).
  absl::Duration batch_window = absl::Milliseconds(10);
  // Log lines for probe failures (as the kubelet's "Probe failed" events).
  std::function<void(const std::string&)> log;
  // Where the "Unhealthy" events of failed and errored probes go; not owned.
  events::EventRecorder* recorder = nullptr;
};

class ProberManager final : public ProbeResults {
 public:
  using Options = ProberManagerOptions;
  using StatusFunc = std::function<std::optional<api::PodStatus>(const std::string& uid)>;
  using ChangeFunc = std::function<void(const std::string& uid)>;

  ProberManager(Prober* prober, Clock* clock, asio::any_io_executor executor, StatusFunc status_of,
                ChangeFunc on_change, Options options = {});
  ~ProberManager() override;

  ProberManager(const ProberManager&) = delete;
  ProberManager& operator=(const ProberManager&) = delete;

  // Starts the timer thread. Tests instead call RunDueProbes() by hand.
  void Start();
  void Stop();

  // Creates the workers of the pod's probes (regular containers and sidecar
  // init containers); a pod already known is left as it is.
  void AddPod(const api::PodPtr& pod);
  // Stops the pod's workers and forgets their verdicts.
  void RemovePod(const std::string& uid);
  // RemovePod for every pod not in `desired` (housekeeping).
  void CleanupPods(const absl::flat_hash_set<std::string>& desired);

  // Ready/started verdicts of the pod's containers, by runtime container id,
  // for status generation.
  status::ProbeStatus GetProbeStatus(const std::string& uid) const;

  // ---- ProbeResults ----
  ProbeResult Liveness(const std::string& container_id) const override;
  ProbeResult Startup(const std::string& container_id) const override;

  // Posts every probe due at the clock's now; returns when the next one is
  // due (InfiniteFuture when there are no workers).
  absl::Time RunDueProbes();
  size_t NumWorkers() const;

 private:
  struct Worker;
  using WorkerPtr = std::shared_ptr<Worker>;
  struct Due {
    absl::Time at;
    uint64_t seq;
    WorkerPtr worker;
    bool operator>(const Due& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void AddWorkerLocked(const api::PodPtr& pod, const api::Container& container, ProbeType type,
                       absl::Time now, bool jitter);
  void RemovePodLocked(const std::string& uid);
  void DoProbe(const WorkerPtr& worker);
  // Stores a verdict; true when it differs from the previous one.
  bool SetResultLocked(ProbeType type, const std::string& container_id, const std::string& uid,
                       ProbeResult result);
  void TimerLoop();

  Prober* const prober_;
  Clock* const clock_;
  const asio::any_io_executor executor_;
  const StatusFunc status_of_;
  const ChangeFunc on_change_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  absl::flat_hash_map<std::string, std::vector<WorkerPtr>> workers_;  // by pod uid
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
  uint64_t seq_ = 0;
  // Verdicts by container id: {pod uid, result}.
  struct Verdict {
    std::string uid;
    ProbeResult result = ProbeResult::kUnknown;
  };
  absl::flat_hash_map<std::string, Verdict> results_[3];  // indexed by ProbeType
  absl::Time started_at_ = absl::InfinitePast();
  bool stopping_ = false;
  std::thread timer_;
  const std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace cubelet::prober

#endif  // CUBELET_PROBER_PROBER_MANAGER_H_
