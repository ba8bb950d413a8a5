// RuntimeService and ImageService: the CRI v1 calls cubelet makes, as C++
// interfaces over cri/types.h (Version/Status/PodSandboxStatus/ContainerStatus/
// ImageStatus get a Get prefix so they do not shadow the message types). Implementations:
// cri/inmemory (state in this process; tests and engine benchmarks) and, later, a gRPC client to
// containerd. Metrics/logging belong in decorators around these interfaces.
//
// Errors use absl::Status with gRPC's codes: kNotFound for an unknown id,
// kUnavailable when the runtime cannot be reached, kDeadlineExceeded for a
// call that timed out. Thread-safety: implementations must be safe to call
// from any thread concurrently.
#ifndef CUBELET_CRI_RUNTIME_SERVICE_H_
#define CUBELET_CRI_RUNTIME_SERVICE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/types.h"

namespace cubelet::cri {

class RuntimeService {
 public:
  virtual ~RuntimeService() = default;

  virtual absl::StatusOr<VersionInfo> GetVersion() = 0;
  virtual absl::StatusOr<RuntimeStatus> GetStatus() = 0;

  virtual absl::StatusOr<std::string> RunPodSandbox(const PodSandboxConfig& config,
                                                    const std::string& runtime_handler) = 0;
  virtual absl::Status StopPodSandbox(const std::string& pod_sandbox_id) = 0;
  virtual absl::Status RemovePodSandbox(const std::string& pod_sandbox_id) = 0;
  virtual absl::StatusOr<cri::PodSandboxStatus> GetPodSandboxStatus(
      const std::string& pod_sandbox_id) = 0;
  virtual absl::StatusOr<std::vector<PodSandbox>> ListPodSandbox(
      const std::optional<PodSandboxFilter>& filter) = 0;

  virtual absl::StatusOr<std::string> CreateContainer(const std::string& pod_sandbox_id,
                                                      const ContainerConfig& config,
                                                      const PodSandboxConfig& sandbox_config) = 0;
  virtual absl::Status StartContainer(const std::string& container_id) = 0;
  // Sends the stop signal, then kills after `timeout` (0: kill at once).
  virtual absl::Status StopContainer(const std::string& container_id, int64_t timeout_seconds) = 0;
  virtual absl::Status RemoveContainer(const std::string& container_id) = 0;
  virtual absl::StatusOr<std::vector<Container>> ListContainers(
      const std::optional<ContainerFilter>& filter) = 0;
  virtual absl::StatusOr<cri::ContainerStatus> GetContainerStatus(
      const std::string& container_id) = 0;
  // Runs `cmd` in the container. A command still running at `timeout` is
  // killed and the call fails with DeadlineExceeded.
  virtual absl::StatusOr<ExecSyncResponse> ExecSync(const std::string& container_id,
                                                    const std::vector<std::string>& cmd,
                                                    absl::Duration timeout) = 0;
  // Streaming sessions: each answers with the URL on the runtime's streaming
  // server where the session is served (the caller proxies the client's
  // upgraded connection to it).
  virtual absl::StatusOr<std::string> Exec(const std::string& container_id,
                                           const std::vector<std::string>& cmd,
                                           const StreamOptions& streams) = 0;
  virtual absl::StatusOr<std::string> Attach(const std::string& container_id,
                                             const StreamOptions& streams) = 0;
  virtual absl::StatusOr<std::string> PortForward(const std::string& pod_sandbox_id,
                                                  const std::vector<int32_t>& ports) = 0;
  // The container's writable layer (CRI ContainerStats), for /stats/summary.
  // Runtimes without stats keep the default: Unimplemented.
  virtual absl::StatusOr<FilesystemUsage> GetContainerWritableLayer(
      const std::string& container_id) {
    return absl::UnimplementedError("ContainerStats: not offered by this runtime (" + container_id +
                                    ")");
  }
};

class ImageService {
 public:
  virtual ~ImageService() = default;

  virtual absl::StatusOr<std::vector<Image>> ListImages() = 0;
  // nullopt when the image is not present (the CRI returns an empty image).
  virtual absl::StatusOr<std::optional<Image>> GetImageStatus(const ImageSpec& image) = 0;
  // Returns the image reference (id) of the pulled image.
  virtual absl::StatusOr<std::string> PullImage(const ImageSpec& image) = 0;
  virtual absl::Status RemoveImage(const ImageSpec& image) = 0;
  // The filesystems holding images and containers' layers (CRI ImageFsInfo).
  virtual absl::StatusOr<ImageFsInfo> GetImageFsInfo() {
    return absl::UnimplementedError("ImageFsInfo: not offered by this runtime");
  }
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_RUNTIME_SERVICE_H_
