// Kubelet: the agent's core (the kubelet's pkg/kubelet/kubelet.go): it owns
// the engine (runtime manager, pod cache, PLEG, pod workers, status manager)
// and runs the sync loop that feeds the pod workers:
//   - pod config updates (ADD, UPDATE, REMOVE, DELETE, RECONCILE) from the
//     merged sources, through OnPodUpdate();
//   - PLEG events (a container started, died or was removed);
//   - a tick (1 s) that re-syncs the pods whose periodic resync is due;
//   - housekeeping (2 s, once every source has been seen): forget finished
//     workers, kill runtime pods nobody wants, re-create desired pods whose
//     worker was purged (UID reuse), remove dead orphaned sandboxes, pod
//     directories and pod cgroups, trim the back-offs and caches, and every
//     minute trim the dead containers of the pods that stay.
// While the runtime is down (its Status call fails or reports
// RuntimeReady=false) the loop backs off without acting, so nothing is killed,
// and Healthy() says why.
//
// Agent restarts adopt what runs: pods keep their static UIDs, the PLEG's
// first relist fills the cache from the CRI objects, and each pod's first sync
// finds its containers with matching hashes and restart counts (annotations),
// so nothing is restarted that did not need it.
//
// Ownership: borrows what KubeletDeps holds (all must outlive it); owns
// everything else, including the PLEG generators built from the deps. Destroy it after Stop() and
// after the executor has stopped running handlers.
// Thread-safety: every public method may be called from any thread. The sync
// loop's handlers run one at a time (loop_mu_).
#ifndef CUBELET_KUBELET_KUBELET_H_
#define CUBELET_KUBELET_KUBELET_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "asio/any_io_executor.hpp"
#include "config/pod_update.h"
#include "container/pod_cache.h"
#include "cri/runtime_service.h"
#include "devicemanager/device_manager.h"
#include "events/recorder.h"
#include "kubelet/kubelet_metrics.h"
#include "kubelet/pod_syncer_impl.h"
#include "kubelet/runtime_state.h"
#include "kuberuntime/runtime_helper.h"
#include "kuberuntime/runtime_manager.h"
#include "lifecycle/predicate.h"
#include "metrics/registry.h"
#include "pleg/evented_pleg.h"
#include "pleg/generic_pleg.h"
#include "pleg/pleg.h"
#include "pod/pod_manager.h"
#include "podworkers/pod_workers.h"
#include "podworkers/work_queue.h"
#include "prober/prober.h"
#include "prober/prober_manager.h"
#include "status/qos.h"
#include "status/status_manager.h"
#include "token/token_getter.h"
#include "util/clock.h"
#include "util/worker_pool.h"
#include "volume/volume_manager.h"

namespace cubelet::kubelet {

struct KubeletOptions {
  std::string node_name;
  std::string host_ip;         // status.hostIP of every pod
  std::string cluster_domain;  // RuntimeManagerOptions::cluster_domain
  std::string root_dir = "/var/lib/cubelet";
  std::string pod_logs_dir = "/var/log/pods";
  std::string cgroup_root = "/cubelet";
  std::string cgroup_fs = "/sys/fs/cgroup";
  absl::Duration sync_frequency = absl::Minutes(1);  // per-pod resync
  absl::Duration sync_tick = absl::Seconds(1);
  absl::Duration housekeeping_period = absl::Seconds(2);
  absl::Duration relist_period = absl::Seconds(1);
  // The relist's period while a runtime event stream is live (the evented
  // PLEG's safety net; the kubelet's 300 s). See docs/benchmarks.md.
  absl::Duration evented_relist_period = absl::Seconds(60);
  absl::Duration runtime_check_period = absl::Seconds(5);
  // Dead containers of pods that stay are trimmed to the newest one per
  // container name this often (the kubelet's ContainerGCPeriod).
  absl::Duration container_gc_period = absl::Minutes(1);
  // Crash-loop back-off (the kubelet's 10 s doubling to 300 s).
  absl::Duration backoff_initial = absl::Seconds(10);
  absl::Duration backoff_max = absl::Seconds(300);
  // Real host: create log and volume directories, remove pod cgroups and
  // orphaned pod directories. Off for in-memory runtimes.
  bool manage_host_state = true;
  // > 0: pods' terminating syncs (a stop waits out the grace period) run on
  // a pool of up to this many threads (started on demand), not on the
  // executor, so deleting many pods holds up no other pod. 0: on the
  // executor (deterministic tests).
  int terminating_threads = 0;
};

// What a PLEG generator is built over: the Kubelet's runtime, its pod status
// cache and the channel its sync loop reads (all owned by the Kubelet).
struct PlegContext {
  container::Runtime* runtime;
  container::PodCache* cache;
  pleg::EventChannel* events;
  const Clock* clock;
};
using PlegFactory =
    std::function<std::unique_ptr<pleg::PodLifecycleEventGenerator>(const PlegContext&)>;

// A container the kubelet server streams to: /exec/{namespace}/{pod}[/{uid}]/{container}.
struct StreamTarget {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;  // empty: any
  std::string container;
};

// What the Kubelet is built from (upstream kubelet.Dependencies): the
// runtime, the clock and executors, and the seams tests replace. Everything
// is borrowed and must outlive the Kubelet; the first five are required.
struct KubeletDeps {
  cri::RuntimeService* runtime_service = nullptr;
  cri::ImageService* image_service = nullptr;
  Clock* clock = nullptr;
  asio::any_io_executor executor;  // pod workers and background removals
  metrics::Registry* registry = nullptr;
  // Where probes run (a small pool bounds how many run at once); the pod
  // workers' executor when unset.
  std::optional<asio::any_io_executor> probe_executor;
  // Runs the probes; RuntimeProber over the CRI when null (tests pass a fake).
  prober::Prober* prober = nullptr;
  // The node pods are admitted to; this machine (lifecycle::LocalNodeInfo)
  // when unset.
  std::optional<lifecycle::NodeInfo> node_info;
  // Where the runtime manager's container events go; not owned. Null: nowhere.
  events::EventRecorder* recorder = nullptr;
  // The runtime's container event streams, in order of preference; the
  // first the runtime offers drives the evented PLEG (pleg/evented_pleg.h)
  // and the relist becomes its safety net. Empty: the relist alone.
  std::vector<cri::ContainerEventSource*> event_sources;
  // Event sources besides the relisting PLEG, which always runs as the
  // safety net: each is built over the Kubelet's runtime, cache and channel,
  // started and stopped with it, and its Healthy() is one of the Kubelet's
  // health checks ("PLEG <n>").
  std::vector<PlegFactory> pleg_generators;
  // Told of every stored status change (and of a pod's status turning
  // final), after the store, on the caller's thread; must not block (cluster
  // mode queues the pod for the API server's status writer).
  std::function<void(const api::Pod& pod)> status_listener;
  // The device plugins' resources, allocated at admission (not owned; null:
  // no device plugins).
  devicemanager::DeviceManager* device_manager = nullptr;
  // The ConfigMaps and Secrets pods' volumes and env read (cluster mode).
  // Null: none (standalone refuses such pods when it reads them).
  apiobjects::ObjectManager* objects = nullptr;
  // Service account tokens for projected volumes (cluster mode). Null: none.
  token::TokenGetter* tokens = nullptr;
  // The cluster's Services, for the containers' service variables (cluster
  // mode). Null: none.
  const apiobjects::ServiceLister* services = nullptr;
};

class Kubelet {
 public:
  Kubelet(KubeletDeps deps, KubeletOptions options);
  ~Kubelet();

  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Starts the PLEG and the sync loop threads; returns at once.
  void Start();
  // Stops the loop and the PLEG and waits for the pod workers to finish the
  // step in progress. Pods and containers keep running (as with the kubelet).
  void Stop();

  // Queues a merged config update for the sync loop (PodConfig's callback).
  void OnPodUpdate(const config::PodUpdate& update);
  // Housekeeping waits until this returns true (every source seen once), so
  // a slow source never gets its pods killed as orphans at start-up.
  void SetSourcesReady(std::function<bool()> sources_ready);

  // Every pod from the sources, with its newest status (Pending until its
  // first sync), sorted by namespace and name.
  std::vector<api::Pod> GetPods() const;
  // OK while the runtime answers and is ready, the sync loop turns and the
  // PLEG relists; otherwise the first reason found (RuntimeState).
  absl::Status Healthy() const;
  // The desired pods (the pod manager's), for the API server's status
  // writer: one by UID (null when unknown), or all of them.
  api::PodPtr GetDesiredPod(const std::string& uid) const { return pod_manager_.GetPodByUID(uid); }
  std::vector<api::PodPtr> GetDesiredPods() const { return pod_manager_.GetPods(); }

  // The kubelet server's exec, attach, run and port-forward (upstream
  // kubelet_pods.go GetExec & co.): the pod by namespace and name (and UID
  // when not empty), its running container by name in the runtime cache.
  // Exec/Attach/PortForward answer the runtime's streaming URL; Run the
  // command's stdout then stderr. NotFound names what is missing; the
  // runtime's errors pass through. Any thread.
  absl::StatusOr<std::string> GetExec(const StreamTarget& target,
                                      const std::vector<std::string>& cmd,
                                      const cri::StreamOptions& streams) const;
  absl::StatusOr<std::string> GetAttach(const StreamTarget& target,
                                        cri::StreamOptions streams) const;
  absl::StatusOr<std::string> RunInContainer(const StreamTarget& target,
                                             const std::vector<std::string>& cmd) const;
  // target.container is ignored.
  absl::StatusOr<std::string> GetPortForward(const StreamTarget& target,
                                             const std::vector<int32_t>& ports) const;
  // Where other parts of the agent (the pod sources, the API server client)
  // add their own checks to Healthy().
  RuntimeState& runtime_state() { return runtime_state_; }

  // ---- for tests that drive the loop by hand (no Start()) ----
  // Handles what is queued (config updates, PLEG events), then the tick's
  // due pods and housekeeping when asked.
  void SyncLoopIteration(bool tick, bool housekeeping);
  // Relists once and queues the resulting events.
  void RelistNow();
  podworkers::PodWorkers& pod_workers() { return *pod_workers_; }
  status::StatusManager& status_manager() { return status_manager_; }
  kuberuntime::RuntimeManager& runtime_manager() { return runtime_manager_; }
  prober::ProberManager& prober_manager() { return *prober_manager_; }

 private:
  // A probe verdict of the pod changed: sync it (upstream handleProbeSync).
  struct ProbeUpdate {
    std::string uid;
  };
  using InboxItem = std::variant<config::PodUpdate, pleg::PodLifecycleEvent, ProbeUpdate>;

  void SyncLoop();
  void ForwardPlegEvents();
  // Checks the runtime (Status: RuntimeReady) and records the verdict.
  void UpdateRuntimeState();
  void Handle(const InboxItem& item);
  void HandlePodUpdate(const config::PodUpdate& update);
  void HandlePlegEvent(const pleg::PodLifecycleEvent& event);
  void HandlePodSyncs(const std::vector<api::PodPtr>& pods);
  void DispatchWork(podworkers::SyncPodType type, const api::PodPtr& pod);
  // canAdmitPod + rejectPod: false (and the pod Failed with the reason) when
  // the node refuses it.
  bool AdmitPod(const api::PodPtr& pod);
  void HandlePodCleanups();
  // Removes a dead, unwanted runtime pod (sandboxes, containers, cgroup) on
  // the executor; at most one removal per pod is queued.
  void RemoveRuntimePodAsync(const container::Pod& running_pod);
  // Trims the dead containers of `pods` on the executor.
  void CollectDeadContainersAsync(std::vector<container::Pod> pods);
  // Re-publishes the configMap, secret and downwardAPI volumes of a pod
  // with a running container (the syncer's refresh hook); a failure is a
  // FailedMount event, and the containers keep what they have.
  void RefreshVolumes(const api::Pod& pod, const container::PodStatus& status);
  void OnStatusChange(const api::Pod& pod, const api::PodStatus* old_status,
                      const api::PodStatus& new_status);
  // Fails when the loop has not turned for kSyncLoopThreshold.
  absl::Status SyncLoopHealthy() const;
  // The pod named by `target` and its cached runtime status (see GetExec).
  absl::StatusOr<std::pair<api::PodPtr, container::PodStatusPtr>> FindStreamPod(
      const StreamTarget& target) const;
  // The id of the running container named target.container.
  absl::StatusOr<std::string> FindRunningContainer(const StreamTarget& target) const;

  cri::RuntimeService* const runtime_service_;
  Clock* const clock_;
  metrics::Registry* const registry_;
  const KubeletOptions options_;
  // Device plugins' resources (deps.device_manager; may be null): allocated
  // at admission, given to containers through runtime_helper_.
  devicemanager::DeviceManager* const device_manager_;

  // Before the runtime manager, which reads its liveness/startup verdicts.
  std::unique_ptr<prober::RuntimeProber> runtime_prober_;
  std::unique_ptr<prober::ProberManager> prober_manager_;
  // The pods' volumes, on the kubelet's side (upstream volumemanager); the
  // runtime manager reaches them through runtime_helper_, so both come first.
  volume::VolumeManager volume_manager_;
  kuberuntime::VolumeRuntimeHelper runtime_helper_;
  kuberuntime::RuntimeManager runtime_manager_;
  container::PodCache pod_cache_;
  status::StatusManager status_manager_;
  KubeletPodSyncer syncer_;
  std::unique_ptr<podworkers::PodSyncer> instrumented_syncer_;
  podworkers::WorkQueue work_queue_;
  asio::any_io_executor executor_;
  // Tasks posted to the executor check it, so they never touch a destroyed
  // Kubelet.
  const std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::unique_ptr<podworkers::PodWorkers> pod_workers_;
  // Runs terminating syncs (options_.terminating_threads); declared after
  // pod_workers_ so it drains before the workers and the syncer go.
  std::unique_ptr<WorkerPool> terminating_pool_;
  pleg::EventChannel events_;
  std::unique_ptr<pleg::GenericPleg> pleg_;
  std::unique_ptr<pleg::EventedPleg> evented_pleg_;  // null without event sources
  std::vector<std::unique_ptr<pleg::PodLifecycleEventGenerator>> extra_plegs_;

  KubeletMetrics metrics_;
  RuntimeState runtime_state_;

  const lifecycle::NodeInfo node_info_;
  const std::function<void(const api::Pod&)> status_listener_;
  events::EventRecorder* const recorder_;  // may be null
  pod::PodManager pod_manager_;
  std::mutex removing_mu_;
  absl::flat_hash_set<std::string> removing_;  // runtime pods queued for removal

  // Inbox of the sync loop.
  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::deque<InboxItem> inbox_;
  bool stopping_ = false;

  // Serializes handlers (the loop thread, or a test driving it).
  std::mutex loop_mu_;
  std::function<bool()> sources_ready_;                       // guarded by loop_mu_
  absl::flat_hash_set<std::string> known_last_housekeeping_;  // guarded by loop_mu_
  absl::Time next_container_gc_ = absl::InfinitePast();       // guarded by loop_mu_

  mutable std::mutex health_mu_;
  absl::Time last_loop_time_ = absl::InfinitePast();

  std::thread loop_thread_;
  std::thread events_thread_;
  bool started_threads_ = false;
};

}  // namespace cubelet::kubelet

#endif  // CUBELET_KUBELET_KUBELET_H_
