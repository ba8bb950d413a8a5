// GrpcRuntime: cubelet's RuntimeService and ImageService over the CRI v1 gRPC
// API (package runtime.v1), i.e. a client of containerd's CRI socket or of any
// other CRI v1 runtime. No gRPC or protobuf type appears here; the stubs live
// behind a pimpl in grpc_runtime.cc.
//
// Behaviour on the wire:
//  - One channel for every call. Connect() does not dial: it returns at once,
//    and calls fail fast (wait_for_ready=false) with Unavailable while the
//    socket is missing or refuses connections, instead of queueing.
//  - Every call carries a deadline: options.call_timeout, except StopContainer
//    (its grace period + options.stop_margin, because the runtime only kills
//    the container after the grace period) and ExecSync with a timeout
//    (that timeout + options.stop_margin).
//  - Errors map as in cri/runtime_service.h (see convert::FromGrpcStatus):
//    NotFound, Unavailable ("container runtime is unavailable: ..."),
//    DeadlineExceeded and Unimplemented keep their codes; any other code keeps
//    its code and gets the RPC name prefixed to its message.
//
// Ownership: the runtime owns its channel and stubs. Thread-safety: every
// method may be called concurrently from any thread (gRPC stubs are
// thread-safe; the last health result is guarded by a mutex).
#ifndef CUBELET_CRI_GRPC_GRPC_RUNTIME_H_
#define CUBELET_CRI_GRPC_GRPC_RUNTIME_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/runtime_service.h"
#include "cri/types.h"

namespace cubelet::cri {

// Declared outside GrpcRuntime so it can be a default argument of Connect
// (a nested class's member initializers are not usable inside the enclosing
// class's own declaration).
struct GrpcRuntimeOptions {
  // Deadline of every call that has no more specific one.
  absl::Duration call_timeout = absl::Minutes(2);
  // Added to StopContainer's grace period (and ExecSync's timeout) to get
  // their deadlines.
  absl::Duration stop_margin = absl::Seconds(30);
  // Largest response accepted; list calls cost ~400 bytes per item.
  int max_receive_bytes = 16 << 20;
};

class GrpcRuntime final : public RuntimeService, public ImageService {
 public:
  using Options = GrpcRuntimeOptions;

  // `endpoint` is "unix:///abs/path" or a bare "/abs/path". Returns at once
  // (no dialing); InvalidArgument for any other form.
  static absl::StatusOr<std::unique_ptr<GrpcRuntime>> Connect(const std::string& endpoint,
                                                              Options options = {});

  ~GrpcRuntime() override;
  GrpcRuntime(const GrpcRuntime&) = delete;
  GrpcRuntime& operator=(const GrpcRuntime&) = delete;

  // The normalized target, "unix:///abs/path".
  const std::string& target() const { return target_; }
  const Options& options() const { return options_; }

  // Version (which must report runtime_api_version "v1") then Status. Returns
  // the runtime's conditions (RuntimeReady, NetworkReady) as reported: judging
  // them is the caller's business, since a false NetworkReady still allows
  // host-network pods. A wrong API version is FailedPrecondition.
  absl::StatusOr<RuntimeStatus> CheckHealth();
  // The result of the last CheckHealth; FailedPrecondition before the first.
  absl::StatusOr<RuntimeStatus> LastHealth() const;
  // The VersionInfo seen by the last successful CheckHealth.
  std::optional<VersionInfo> LastVersion() const;

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
  // `timeout` is rounded up to whole seconds on the wire; zero means none on
  // the runtime's side (the call still has options.call_timeout).
  absl::StatusOr<ExecSyncResponse> ExecSync(const std::string& container_id,
                                            const std::vector<std::string>& cmd,
                                            absl::Duration timeout) override;
  absl::StatusOr<std::string> Exec(const std::string& container_id,
                                   const std::vector<std::string>& cmd,
                                   const StreamOptions& streams) override;
  absl::StatusOr<std::string> Attach(const std::string& container_id,
                                     const StreamOptions& streams) override;
  absl::StatusOr<std::string> PortForward(const std::string& pod_sandbox_id,
                                          const std::vector<int32_t>& ports) override;
  absl::StatusOr<FilesystemUsage> GetContainerWritableLayer(
      const std::string& container_id) override;

  // ---- ImageService ----
  absl::StatusOr<std::vector<Image>> ListImages() override;
  absl::StatusOr<std::optional<Image>> GetImageStatus(const ImageSpec& image) override;
  absl::StatusOr<std::string> PullImage(const ImageSpec& image) override;
  absl::Status RemoveImage(const ImageSpec& image) override;
  absl::StatusOr<ImageFsInfo> GetImageFsInfo() override;

 private:
  struct Stubs;  // the channel and the two generated stubs

  GrpcRuntime(std::string target, Options options, std::unique_ptr<Stubs> stubs);

  const std::string target_;
  const Options options_;
  const std::unique_ptr<Stubs> stubs_;

  mutable std::mutex health_mu_;  // guards the two members below
  absl::StatusOr<RuntimeStatus> last_health_;
  std::optional<VersionInfo> last_version_;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_GRPC_GRPC_RUNTIME_H_
