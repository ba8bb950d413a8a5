// RuntimeManager: the kubelet's kubeGenericRuntimeManager. It implements
// container::Runtime over a CRI RuntimeService/ImageService: lists and
// inspects pods from the CRI objects' labels and annotations, and drives a
// pod toward its spec (SyncPod) or stops it (KillPod).
//
// SyncPod is split as upstream: ComputePodActions is a pure function of the
// spec and the runtime status (what to kill, whether to (re)create the
// sandbox, which init/regular containers to start); SyncPod then executes the
// actions in order (kill pod or containers, prune init containers, create the
// sandbox, start init containers, start containers), consulting the
// crash-loop back-off before each start and the image-pull back-off before
// each pull.
//
// Ownership: `runtime`, `images`, `clock`, Options::probe_results,
// Options::mounter, Options::http_getter and Options::runtime_helper are not
// owned and must outlive the manager. The manager owns its two Backoffs, and
// a VolumeManager of its own only when no RuntimeHelper is given.
// Thread-safety: all methods may be called concurrently (the CRI services and
// the Backoffs are thread-safe; nothing else is mutable). As the interface
// says, the pod workers serialise calls for one pod: SyncPod assumes nobody
// else creates containers for the same pod while it runs.
#ifndef CUBELET_KUBERUNTIME_RUNTIME_MANAGER_H_
#define CUBELET_KUBERUNTIME_RUNTIME_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/fieldpath.h"
#include "api/format.h"
#include "api/pod.h"
#include "apiobjects/object_manager.h"
#include "apiobjects/service_lister.h"
#include "container/runtime.h"
#include "container/runtime_types.h"
#include "cri/container_events.h"
#include "cri/runtime_service.h"
#include "cri/types.h"
#include "events/recorder.h"
#include "kuberuntime/lifecycle_handlers.h"
#include "kuberuntime/pod_id_index.h"
#include "kuberuntime/runtime_helper.h"
#include "kuberuntime/termination_ordering.h"
#include "prober/results.h"
#include "util/backoff.h"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/go_duration.h"
#include "util/worker_pool.h"
#include "volume/mounter.h"
#include "volume/volume_manager.h"

namespace cubelet::kuberuntime {

// Reasons beyond those in container/runtime.h that SyncPod reports.
inline constexpr char kCreateContainerConfigError[] = "CreateContainerConfigError";
inline constexpr char kImageInspectError[] = "ImageInspectError";
inline constexpr char kCreatePodSandboxError[] = "CreatePodSandboxError";
inline constexpr char kKillContainerError[] = "KillContainerError";
inline constexpr char kKillPodSandboxError[] = "KillPodSandboxError";

// The kubelet never gives a container less than this to stop.
inline constexpr int64_t kMinimumGracePeriodSeconds = 2;

// Why a container is killed; selects the grace period (probe kills may use
// the probe's terminationGracePeriodSeconds).
enum class KillReason { kNone, kLivenessProbe, kStartupProbe, kUnknownState };

struct ContainerToKill {
  std::string id;
  std::string name;
  std::string message;
  KillReason reason = KillReason::kNone;

  bool operator==(const ContainerToKill&) const = default;
};

// What SyncPod must do for a pod (upstream podActions).
struct PodActions {
  bool kill_pod = false;
  bool create_sandbox = false;
  // The sandbox to start containers in; when create_sandbox, the one being
  // replaced (empty if none).
  std::string sandbox_id;
  uint32_t attempt = 0;  // of the sandbox to create, or of the current one
  // Indices into spec.init_containers / spec.containers, in start order.
  std::vector<size_t> init_containers_to_start;
  std::vector<size_t> containers_to_start;
  // Indices into spec.ephemeral_containers: those never started yet.
  std::vector<size_t> ephemeral_containers_to_start;
  std::vector<ContainerToKill> containers_to_kill;

  bool operator==(const PodActions&) const = default;
};

// Decides the actions for `pod` given the runtime's view of it
// (kubeGenericRuntimeManager.computePodActions with restartable init
// containers handled as in computeInitContainerActions). `probes` may be null
// (no probe verdicts: nothing is killed for a probe, sidecar startup probes
// count as passed).
PodActions ComputePodActions(const api::Pod& pod, const container::PodStatus& status,
                             const prober::ProbeResults* probes = nullptr);

// kubecontainer.ShouldContainerBeRestarted.
bool ShouldContainerBeRestarted(const api::Container& container, const api::Pod& pod,
                                const container::PodStatus& status);

// The crash-loop back-off key: pod name/namespace/uid, container name and
// spec hash, so a spec change starts a fresh back-off.
std::string ContainerBackoffKey(const api::Pod& pod, const api::Container& container);

// The image pull back-off key: per pod and image, so one bad image does not
// hold back the pod's other images.
std::string ImagePullBackoffKey(const api::Pod& pod, const std::string& image);

// verifyRunAsNonRoot: with runAsNonRoot, runAsUser 0 is refused; without a
// runAsUser the image's user decides (uid 0 refused, a non-numeric name
// cannot be verified and is refused too). `image_uid`/`image_username` are
// what the image runs as (uid 0 when it sets no USER).
absl::Status VerifyRunAsNonRoot(const api::Pod& pod, const api::Container& container,
                                std::optional<int64_t> image_uid,
                                const std::string& image_username);

struct RuntimeManagerOptions {
  std::string pod_logs_dir = "/var/log/pods";
  // Where each started container's log also appears, as the symlink
  // <pod>_<namespace>_<container>-<id>.log (the kubelet's legacy log path,
  // which log shippers read); removed with the container. Empty: none.
  // Only with manage_host_state.
  std::string container_logs_dir = "/var/log/containers";
  // Agent state: emptyDir volumes live in <root_dir>/pods/<uid>/volumes/.
  std::string root_dir = "/var/lib/cubelet";
  std::string cgroup_root = "/cubelet";
  std::string runtime_handler;
  // The node's IP: status.hostIP in env, and status.podIP of host-network pods.
  std::string host_ip;
  // The cluster's DNS domain (KubeletConfiguration clusterDomain): a pod with
  // a subdomain has the FQDN hostname.subdomain.<namespace>.svc.<domain>.
  std::string cluster_domain;
  // The runtime runs real processes on this host: create the pod and
  // container log directories before it writes to them, and remove pod
  // cgroups after it (as the kubelet does). Off for in-memory runtimes.
  bool manage_host_state = true;
  // Crash-loop back-off (kubelet: 10 s doubling to MaxContainerBackOff 300 s).
  absl::Duration backoff_initial = absl::Seconds(10);
  absl::Duration backoff_max = absl::Seconds(300);
  // Image pull back-off (same defaults as the kubelet's imageBackOff).
  absl::Duration image_backoff_initial = absl::Seconds(10);
  absl::Duration image_backoff_max = absl::Seconds(300);
  const prober::ProbeResults* probe_results = nullptr;  // not owned; may be null
  // The kubelet's side of the pod's host state: its directory and volumes
  // (upstream RuntimeHelper); not owned. Null: the manager keeps a
  // VolumeManager of its own under root_dir, mounting with `mounter` (tests
  // and tools without a kubelet).
  RuntimeHelper* runtime_helper = nullptr;
  // Mounts tmpfs emptyDirs when the manager keeps its own volumes; not
  // owned. Null: volume::SystemMounter().
  volume::Mounter* mounter = nullptr;
  // Container stops (and their preStop hooks) run on two bounded pools of
  // this many threads each, started on demand. Each stop holds its thread
  // while the CRI waits out the container's grace period (30 s by default;
  // a preStop hook holds a hook thread meanwhile), so the pools must be as
  // wide as the stops worth running at once: 32 covers every container of a
  // node's static pods stopping together (node shutdown, a manifest folder
  // emptied). More stops than that queue and start as earlier ones end; a
  // queued stop's grace counts from its start.
  size_t max_parallel_stops = 32;
  // Performs httpGet lifecycle hooks; not owned. Null: DefaultHttpGetter()
  // (probe::HttpGet).
  HttpGetter* http_getter = nullptr;
  // Where the kubelet's container events go (Pulling, Pulled, Created,
  // Started, Killing, BackOff, Failed); not owned. Null: nowhere.
  events::EventRecorder* recorder = nullptr;
  // The node's resolver config (dnsPolicy Default and the ClusterFirst
  // fallback) and hosts file (host-network pods' /etc/hosts); empty paths
  // read as empty files.
  std::string resolv_conf = "/etc/resolv.conf";
  std::string node_hosts_file = "/etc/hosts";
  // What limits.cpu / limits.memory mean for a container without limits in
  // resourceFieldRef env and downwardAPI files (the node's allocatable).
  int64_t node_allocatable_milli_cpu = 0;
  int64_t node_allocatable_memory = 0;
  // ConfigMaps and Secrets for configMapKeyRef/secretKeyRef env and envFrom
  // (cluster mode); not owned. Null: such references fail to resolve.
  apiobjects::ObjectManager* objects = nullptr;
  // The cluster's Services for the containers' service variables (cluster
  // mode); not owned. Null: none.
  const apiobjects::ServiceLister* services = nullptr;
};

class RuntimeManager final : public container::Runtime {
 public:
  using Options = RuntimeManagerOptions;

  RuntimeManager(cri::RuntimeService* runtime, cri::ImageService* images, Clock* clock,
                 Options options);
  // Waits for container stops and preStop hooks still running (after an
  // interrupted KillPod, or a hook given up at its grace).
  ~RuntimeManager() override;

  RuntimeManager(const RuntimeManager&) = delete;
  RuntimeManager& operator=(const RuntimeManager&) = delete;

  // ---- container::Runtime ----
  absl::StatusOr<std::vector<container::Pod>> GetPods(bool all) override;
  // Keeps the previous call's pods and rebuilds only those whose listed ids
  // or states differ (see relist_view_).
  absl::StatusOr<std::vector<container::PodPtr>> ListPodsForRelist() override;
  absl::StatusOr<container::PodStatusPtr> GetPodStatus(const std::string& uid,
                                                       const std::string& name,
                                                       const std::string& namespace_) override;
  container::PodSyncResult SyncPod(const api::Pod& pod, const container::PodStatus& status,
                                   const CancelTokenPtr& cancel) override;
  container::PodSyncResult KillPod(const api::Pod* pod, const container::Pod& running_pod,
                                   std::optional<int64_t> grace_period_override,
                                   const CancelTokenPtr& cancel) override;

  // The pod (uid, name, namespace; no containers) a container or sandbox id
  // belongs to, from the runtime's own record of it (the container's pod
  // labels, the sandbox's metadata); NotFound when the runtime has no such
  // id or it carries no pod. For runtime events about ids no relist saw.
  absl::StatusOr<container::Pod> PodOfContainer(const std::string& id);

  // Takes note of what the runtime's event stream said about a container
  // (cri::ContainerEvent). containerd publishes an exit tens of milliseconds
  // before its CRI plugin marks the container exited (it deletes the task
  // first), so until the CRI shows it, GetPods and GetPodStatus report a
  // container whose exit (and OOM kill) was announced as exited with the
  // event's exit code and time: a consumer that saw the event never reads
  // the container as running again. Entries go once the CRI agrees, or
  // after a minute.
  void NoteRuntimeEvent(const cri::ContainerEvent& event);

  // ComputePodActions with this manager's probe results.
  PodActions ComputePodActions(const api::Pod& pod, const container::PodStatus& status) const;

  // The CRI configs SyncPod sends (exposed for tests and debugging).
  cri::PodSandboxConfig GeneratePodSandboxConfig(const api::Pod& pod, uint32_t attempt) const;
  // The container's environment (upstream makeEnvironmentVariables): envFrom,
  // then env with $(VAR) expansion; ConfigMaps and Secrets from
  // options_.objects. The errors are the kubelet's (`configmap "x" not
  // found`, `couldn't find key k in ConfigMap ns/x`).
  absl::StatusOr<std::vector<cri::KeyValue>> MakeEnvironment(
      const api::Container& container, const api::Pod& pod,
      const std::vector<std::string>& pod_ips) const;
  absl::StatusOr<cri::ContainerConfig> GenerateContainerConfig(
      const api::Container& container, const api::Pod& pod, int32_t restart_count,
      const std::vector<std::string>& pod_ips) const;

  // Removes a stopped pod from the runtime: every sandbox (containerd removes
  // its containers with it), then the pod cgroup runc left behind. For
  // housekeeping once a pod is finished; logs go with the containers.
  absl::Status RemovePod(const container::Pod& running_pod);

  // Container garbage collection for a pod that stays (upstream
  // containerGC with MaxPerPodContainer): removes all but the newest
  // `keep_per_container` exited instances of each container name, with their
  // log files. The newest one is kept because it carries the restart count
  // and the `previous` logs. Returns how many were removed.
  absl::StatusOr<int> RemoveDeadContainers(const container::Pod& running_pod,
                                           int keep_per_container = 1);

  // Where an emptyDir volume of the pod lives on the host.
  std::string EmptyDirPath(const api::Pod& pod, const std::string& volume_name) const;

  // Housekeeping calls GC() on these; tests inspect them.
  Backoff& crash_loop_backoff() { return crash_loop_backoff_; }
  Backoff& image_pull_backoff() { return image_pull_backoff_; }

  // The node's allocatable cpu, memory and ephemeral storage (the stand-ins
  // for missing limits in the downward API).
  api::NodeAllocatable NodeAllocatable() const;

 private:
  // An exit (or OOM kill) announced by the runtime's events and not yet
  // shown by its CRI view.
  struct AnnouncedExit {
    bool exited = false;
    int32_t exit_code = 0;
    int64_t finished_at = 0;  // ns
    bool oom_killed = false;
    absl::Time noted;
  };
  // `status` as the announced exit says, if one is pending for it (and
  // forgets the entry once the CRI agrees).
  void ApplyAnnouncedExit(cri::ContainerStatus& status);
  // The list state of container `id` with an announced exit applied.
  cri::ContainerState AnnouncedState(const std::string& id, cri::ContainerState listed);
  // The same with announced_mu_ held by the caller (GetPods, once per list).
  cri::ContainerState AnnouncedStateLocked(const std::string& id, cri::ContainerState listed);

  // Starts one container (back-off check, image, create, start, postStart);
  // appends its SyncResult and returns its error.
  absl::Status StartContainer(const api::Pod& pod, const api::Container& container,
                              const container::PodStatus& status, const std::string& sandbox_id,
                              const cri::PodSandboxConfig& sandbox_config,
                              const std::vector<std::string>& pod_ips,
                              container::PodSyncResult& result);
  // The CRI runtime handler of the pod's sandbox: spec.runtimeClassName
  // names it directly (a standalone node has no RuntimeClass objects to look
  // the handler up in), else the agent's default. The runtime refuses an
  // unknown one, which fails the sandbox with CreatePodSandboxError.
  std::string RuntimeHandlerFor(const api::Pod& pod) const {
    return pod.spec.runtime_class_name.value_or(options_.runtime_handler);
  }
  // The kubelet-managed /etc/hosts (written under the pod dir) for the
  // container; nullopt when it mounts its own or the pod has no IP yet.
  absl::StatusOr<std::optional<cri::Mount>> MakeEtcHostsMount(
      const api::Container& container, const api::Pod& pod,
      const std::vector<std::string>& pod_ips) const;
  // Runs a preStop hook and waits for it at most `grace` seconds; the hook
  // may go on in the background after that.
  void RunPreStopHook(const std::string& pod_uid, const std::string& container_id,
                      const std::string& container_name, std::vector<api::ContainerPort> ports,
                      const api::LifecycleHandler& handler, int64_t grace);
  // Empty when the container may start now, else the back-off message and,
  // in `expiration`, when the back-off ends.
  std::optional<std::string> DoBackOff(const api::Pod& pod, const api::Container& container,
                                       const container::PodStatus& status, absl::Time* expiration);
  // Returns the image to create the container from; on failure fills
  // `reason`/`message`.
  absl::StatusOr<std::string> EnsureImageExists(const api::Pod& pod,
                                                const api::Container& container,
                                                std::string& reason, std::string& message);
  // Stops one container with the kubelet's grace rules (preStop hook first,
  // then, with an `ordering`, its turn). `pod`/`spec` may be null: the
  // annotations stand in for them.
  absl::Status KillContainer(const api::Pod* pod, const std::string& container_id,
                             const std::string& container_name, const api::Container* spec,
                             KillReason reason, std::optional<int64_t> grace_period_override,
                             TerminationOrdering* ordering = nullptr);
  // OK unless the runtime reports NetworkReady=false (or cannot be asked).
  absl::Status NetworkReady();
  container::PodSyncResult KillPodWithSyncResult(const api::Pod* pod,
                                                 const container::Pod& running_pod,
                                                 std::optional<int64_t> grace_period_override,
                                                 const CancelTokenPtr& cancel);
  // Stops `containers` at once on the stop pool (in that order when the pool
  // is full), each in its turn of `ordering` if any. Returns their results,
  // or nullopt when `cancel` fires first: the stops go on, and a later kill
  // with a shorter grace stops the same containers sooner (what the kubelet
  // cannot do, kubernetes#113717).
  struct KillBatch;
  std::optional<std::vector<container::SyncResult>> KillContainersInParallel(
      const api::Pod* pod, const std::vector<const container::Container*>& containers,
      std::optional<int64_t> grace_period_override, const CancelTokenPtr& cancel,
      std::shared_ptr<TerminationOrdering> ordering = nullptr);
  void PurgeInitContainers(const api::Pod& pod, const container::PodStatus& status);
  // Removes a container with its log file and legacy log symlink (upstream
  // removeContainer with removeContainerLog); the files only with
  // manage_host_state.
  absl::Status RemoveContainerWithLogs(const std::string& pod_name,
                                       const std::string& pod_namespace,
                                       const std::string& container_name,
                                       const std::string& container_id);
  void PruneInitContainersBeforeStart(const api::Pod& pod, const container::PodStatus& status);

  // Records an event about `container_name` of `pod`.
  void Record(const api::Pod& pod, const std::string& container_name, std::string_view type,
              std::string_view reason, std::string_view message);

  cri::RuntimeService* const runtime_;
  cri::ImageService* const images_;
  Clock* const clock_;
  const Options options_;
  Backoff crash_loop_backoff_;
  Backoff image_pull_backoff_;
  // Only without Options::runtime_helper.
  std::unique_ptr<volume::VolumeManager> own_volumes_;
  std::unique_ptr<RuntimeHelper> own_helper_;
  RuntimeHelper* const helper_;  // Options::runtime_helper or own_helper_
  HandlerRunner handlers_;
  events::NullRecorder null_recorder_;
  events::EventRecorder* const recorder_;
  std::mutex announced_mu_;
  std::map<std::string, AnnouncedExit> announced_;  // by container id

  // The pods of the previous ListPodsForRelist, by uid: a pod is rebuilt
  // only when its listed (id, state) pairs differ, otherwise handed out
  // again. `seen` counts this call's matches (valid when `generation` is
  // this call's): fewer than the pod holds means something of it vanished.
  struct RelistViewEntry {
    container::PodPtr pod;
    uint64_t generation = 0;
    size_t seen = 0;
  };
  // The ids of each pod, so GetPodStatus inspects them instead of listing.
  PodIdIndex pod_ids_;
  std::mutex relist_view_mu_;
  absl::flat_hash_map<std::string, RelistViewEntry> relist_view_;
  uint64_t relist_generation_ = 0;

  // Stops in flight per container id: a second stop skips the preStop hook.
  std::mutex stopping_mu_;
  std::map<std::string, int> stopping_;
  // Container stops (KillContainersInParallel) and preStop hooks
  // (RunPreStopHook) run here; Options::max_parallel_stops threads each.
  // Two pools, so a stop waiting for its hook never holds the thread the
  // hook needs. The destructor drains both (stops first: they may wait for
  // hooks) before anything they use goes.
  WorkerPool stop_pool_;
  WorkerPool hook_pool_;
};

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_RUNTIME_MANAGER_H_
