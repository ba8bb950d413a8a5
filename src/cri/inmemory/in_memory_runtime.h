// InMemoryRuntime: a CRI runtime whose sandboxes, containers, images and logs
// live in this process. It is a real runtime with real state transitions
// (modelled on containerd's CRI plugin), not a mock with scripted answers:
// unit and component tests drive cubelet against it, and the engine
// benchmarks create tens of thousands of pods through it. On top of the CRI
// interfaces it offers knobs that play the role of the outside world
// (processes exiting, images existing in a registry, the socket going away)
// and introspection for assertions.
//
// Ownership: the runtime owns all of its state; `clock` is not owned and must
// outlive it. Callbacks (exec handlers, the exit listener) are copied in and
// owned by the runtime.
//
// Thread-safety: every method may be called concurrently from any thread.
// One mutex guards the state; injected latency is slept outside it so slow
// calls overlap, and exec handlers and the exit listener run outside it, so
// they may call back into the runtime.
#ifndef CUBELET_CRI_INMEMORY_IN_MEMORY_RUNTIME_H_
#define CUBELET_CRI_INMEMORY_IN_MEMORY_RUNTIME_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/runtime_service.h"
#include "cri/types.h"
#include "util/clock.h"

namespace cubelet::cri {

class InMemoryRuntime final : public RuntimeService, public ImageService {
 public:
  using ExecHandler = std::function<ExecSyncResponse(const std::vector<std::string>& cmd)>;
  using ExitListener = std::function<void(const std::string& container_id)>;

  explicit InMemoryRuntime(Clock* clock = RealClock::Get());
  ~InMemoryRuntime() override = default;

  InMemoryRuntime(const InMemoryRuntime&) = delete;
  InMemoryRuntime& operator=(const InMemoryRuntime&) = delete;

  // ---- RuntimeService ----
  absl::StatusOr<VersionInfo> GetVersion() override;
  absl::StatusOr<RuntimeStatus> GetStatus() override;
  absl::StatusOr<std::string> RunPodSandbox(const PodSandboxConfig& config,
                                            const std::string& runtime_handler) override;
  absl::Status StopPodSandbox(const std::string& pod_sandbox_id) override;
  absl::Status RemovePodSandbox(const std::string& pod_sandbox_id) override;
  absl::StatusOr<PodSandboxStatus> GetPodSandboxStatus(const std::string& pod_sandbox_id) override;
  absl::StatusOr<std::vector<PodSandbox>> ListPodSandbox(
      const std::optional<PodSandboxFilter>& filter) override;
  absl::StatusOr<std::string> CreateContainer(const std::string& pod_sandbox_id,
                                              const ContainerConfig& config,
                                              const PodSandboxConfig& sandbox_config) override;
  absl::Status StartContainer(const std::string& container_id) override;
  absl::Status StopContainer(const std::string& container_id, int64_t timeout_seconds) override;
  absl::Status RemoveContainer(const std::string& container_id) override;
  absl::StatusOr<std::vector<Container>> ListContainers(
      const std::optional<ContainerFilter>& filter) override;
  absl::StatusOr<ContainerStatus> GetContainerStatus(const std::string& container_id) override;
  absl::StatusOr<ExecSyncResponse> ExecSync(const std::string& container_id,
                                            const std::vector<std::string>& cmd,
                                            absl::Duration timeout) override;
  // The URL is the streaming base (SetStreamingBase) + "/exec/<container id>"
  // (or /attach/, /portforward/<sandbox id>); nothing serves it.
  absl::StatusOr<std::string> Exec(const std::string& container_id,
                                   const std::vector<std::string>& cmd,
                                   const StreamOptions& streams) override;
  absl::StatusOr<std::string> Attach(const std::string& container_id,
                                     const StreamOptions& streams) override;
  absl::StatusOr<std::string> PortForward(const std::string& pod_sandbox_id,
                                          const std::vector<int32_t>& ports) override;
  // Every container's writable layer holds kWritableLayerBytes in 3 inodes.
  absl::StatusOr<FilesystemUsage> GetContainerWritableLayer(
      const std::string& container_id) override;
  static constexpr uint64_t kWritableLayerBytes = 8192;

  // ---- ImageService ----
  absl::StatusOr<std::vector<Image>> ListImages() override;
  absl::StatusOr<std::optional<Image>> GetImageStatus(const ImageSpec& image) override;
  absl::StatusOr<std::string> PullImage(const ImageSpec& image) override;
  absl::Status RemoveImage(const ImageSpec& image) override;
  // One image filesystem (no mountpoint) using 4 MiB per image present.
  absl::StatusOr<ImageFsInfo> GetImageFsInfo() override;

  // ---- Images (the node's store and the registry) ----
  // References without a tag or digest mean ":latest", as in containerd.
  // Makes `ref` present locally; its id is "sha256:<64 hex>" derived from ref.
  void AddImage(const std::string& ref);
  // Puts `ref` in the "registry": PullImage succeeds for it and makes it
  // present. PullImage of any other reference fails with NotFound, even when
  // the image is present locally (like a locally built image under
  // imagePullPolicy Always).
  void AddPullableImage(const std::string& ref);
  // The USER of a present image, as ImageStatus reports it (a uid or a name).
  void SetImageUser(const std::string& ref, std::optional<int64_t> uid, std::string username = "");

  // ---- Container behaviour, keyed by container metadata name ----
  // Knobs are consulted when the event happens, so they apply to containers
  // created before and after the call.
  // The container exits right after StartContainer with `exit_code`; an empty
  // reason means "Completed" for 0 and "Error" otherwise.
  void SetExitOnStart(const std::string& container_name, int32_t exit_code,
                      std::string reason = "");
  void ClearExitOnStart(const std::string& container_name);
  // StopContainer of a container that ignores SIGTERM ends in SIGKILL (exit
  // 137); one that handles it exits 143. Both get reason "Error"; timeout 0
  // always means SIGKILL.
  void SetIgnoresTerm(const std::string& container_name, bool ignores);
  // ExecSync in containers with this name runs `fn` (outside the lock).
  // Without a handler ExecSync returns exit 0 and no output.
  void SetExecHandler(const std::string& container_name, ExecHandler fn);

  // ---- Driving containers by id ----
  // Running -> exited now. Empty reason: "Completed" for 0, "Error" otherwise.
  // NotFound for an unknown id, FailedPrecondition if not running.
  absl::Status ExitContainer(const std::string& id, int32_t exit_code, std::string reason = "");
  absl::Status AppendLog(const std::string& container_id, std::string_view text);
  absl::StatusOr<std::string> ReadLog(const std::string& container_id) const;

  // ---- Faults (apply only to the CRI methods above, not to the knobs) ----
  // `method` is the interface method name ("RunPodSandbox", "PullImage", ...).
  // The next `times` calls of it fail with `error` (times < 0: until
  // ClearErrors). Injections for one method queue up in order.
  void InjectError(const std::string& method, absl::Status error, int times = 1);
  void ClearErrors();
  // Every call of `method` ("*": of every method) first sleeps `latency` in
  // real time, outside the lock. A zero duration removes the setting.
  void SetLatency(const std::string& method, absl::Duration latency);
  // While down, every CRI call fails with Unavailable "runtime is down".
  void SetDown(bool down);
  // GetStatus reports NetworkReady = `ready` (true by default).
  void SetNetworkReady(bool ready);
  // Where Exec/Attach/PortForward URLs point ("http://127.0.0.1:0" by default).
  void SetStreamingBase(std::string base);

  // ---- Introspection ----
  // Calls of a CRI method so far, including those that failed.
  int CallCount(const std::string& method) const;
  // The timeout of the last StopContainer call for this id (kept after the
  // container is removed); -1 if it was never stopped that way. Stops done by
  // StopPodSandbox/RemovePodSandbox are not recorded.
  int64_t LastStopTimeout(const std::string& container_id) const;
  std::vector<std::string> ContainerIds() const;  // all states, unspecified order
  std::vector<std::string> SandboxIds() const;    // all states, unspecified order
  size_t RunningContainerCount() const;
  // The configs the runtime was given, for assertions on what cubelet asked.
  absl::StatusOr<ContainerConfig> GetContainerConfig(const std::string& container_id) const;
  absl::StatusOr<PodSandboxConfig> GetPodSandboxConfig(const std::string& pod_sandbox_id) const;

  // Called (outside the lock) after any container reaches EXITED: ExitContainer,
  // StopContainer, exit-on-start, and the kills done by StopPodSandbox and by
  // removing a running container or sandbox.
  void SetExitListener(ExitListener l);

 private:
  struct SandboxRecord {
    std::string id;
    PodSandboxConfig config;
    std::string runtime_handler;
    PodSandboxState state = PodSandboxState::kReady;
    int64_t created_at = 0;
    uint32_t ip_offset = 0;  // into 10.88.0.0/16; 0 = no IP (host network)
    std::string name_key;
    std::vector<std::string> container_ids;
  };

  struct ContainerRecord {
    std::string id;
    std::string sandbox_id;
    ContainerConfig config;
    std::string image_ref;  // the image id
    std::string log_path;   // sandbox log_directory joined with config.log_path
    std::string name_key;
    ContainerState state = ContainerState::kCreated;
    int64_t created_at = 0;
    int64_t started_at = 0;
    int64_t finished_at = 0;
    int32_t exit_code = 0;
    std::string reason;
    std::string message;
    std::string log;
  };

  struct ImageRecord {
    std::string id;
    std::string ref;  // normalized
    std::optional<int64_t> uid;
    std::string username;
  };

  struct InjectedError {
    absl::Status error;
    int remaining;  // < 0: forever
  };

  // Counts the call, sleeps any injected latency, then applies SetDown and
  // injected errors. Called without the lock held.
  absl::Status Enter(const std::string& method);
  absl::StatusOr<std::string> StreamUrl(const std::string& method, const std::string& container_id,
                                        const StreamOptions& streams);
  absl::Status CheckFaultsLocked(const std::string& method);

  int64_t NowNanos() const { return absl::ToUnixNanos(clock_->Now()); }
  std::string NewIdLocked();
  const ImageRecord* FindImageLocked(const std::string& ref_or_id) const;
  // Running -> exited; appends the id to `exited` for notification.
  void ExitLocked(ContainerRecord& c, int32_t exit_code, std::string reason,
                  std::vector<std::string>& exited);
  // Kills every running container of the sandbox and marks it NOTREADY.
  void StopSandboxLocked(SandboxRecord& s, std::vector<std::string>& exited);
  void EraseContainerLocked(const std::string& id);
  void NotifyExited(const std::vector<std::string>& ids);

  Clock* const clock_;

  // Guards every member below. (No ABSL_GUARDED_BY: std::mutex is not an
  // annotated capability with libstdc++.) *Locked methods require it held.
  mutable std::mutex mu_;
  uint64_t next_id_ = 0;
  absl::flat_hash_map<std::string, SandboxRecord> sandboxes_;
  absl::flat_hash_map<std::string, ContainerRecord> containers_;
  // Reserved names -> id, released on removal (containerd's name index).
  absl::flat_hash_map<std::string, std::string> sandbox_names_;
  // Sandbox ids by pod UID: the runtime manager lists one pod's objects by
  // its UID label, which must not cost a scan of every pod on the node.
  absl::flat_hash_map<std::string, std::vector<std::string>> sandbox_ids_by_pod_uid_;
  absl::flat_hash_map<std::string, std::string> container_names_;
  // IPAM over 10.88.0.0/16, like the default containerd bridge network.
  uint32_t next_ip_offset_ = 2;
  std::vector<uint32_t> free_ip_offsets_;

  absl::flat_hash_map<std::string, ImageRecord> images_;  // by ref
  absl::flat_hash_set<std::string> pullable_;

  struct ExitOnStart {
    int32_t exit_code;
    std::string reason;
  };
  absl::flat_hash_map<std::string, ExitOnStart> exit_on_start_;
  absl::flat_hash_set<std::string> ignores_term_;
  absl::flat_hash_map<std::string, ExecHandler> exec_handlers_;
  std::string streaming_base_ = "http://127.0.0.1:0";
  ExitListener exit_listener_;

  absl::flat_hash_map<std::string, std::deque<InjectedError>> errors_;
  absl::flat_hash_map<std::string, absl::Duration> latency_;
  bool down_ = false;
  bool network_ready_ = true;
  absl::flat_hash_map<std::string, int> call_counts_;
  absl::flat_hash_map<std::string, int64_t> stop_timeouts_;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_INMEMORY_IN_MEMORY_RUNTIME_H_
