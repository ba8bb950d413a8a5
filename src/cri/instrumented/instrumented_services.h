// InstrumentedRuntimeService and InstrumentedImageService: decorators around
// the CRI interfaces that record every call in the kubelet's runtime metrics
// (upstream pkg/kubelet/kuberuntime/instrumented_services.go):
//   kubelet_runtime_operations_total{operation_type}
//   kubelet_runtime_operations_errors_total{operation_type}   (calls that failed)
//   kubelet_runtime_operations_duration_seconds{operation_type}
//       (histogram, ExponentialBuckets(.005, 2.5, 14))
// and, for RunPodSandbox, kubelet_run_podsandbox_duration_seconds{runtime_handler}
// and kubelet_run_podsandbox_errors_total{runtime_handler}. operation_type is
// upstream's string ("version", "run_podsandbox", "pull_image", ...; see
// RuntimeOperationName). Results and errors pass through unchanged.
//
// Both decorators register the same families (the registry returns the
// existing family for an identical registration), so a runtime and an image
// decorator over one registry feed one set of series.
//
// Ownership: borrows the wrapped service and the registry; both must outlive
// the decorator. Thread-safety: as the wrapped service; the decorator's own
// state is atomics and the thread-safe registry.
#ifndef CUBELET_CRI_INSTRUMENTED_INSTRUMENTED_SERVICES_H_
#define CUBELET_CRI_INSTRUMENTED_INSTRUMENTED_SERVICES_H_

#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/runtime_service.h"
#include "cri/types.h"
#include "metrics/registry.h"

namespace cubelet::cri {

// Upstream's operation_type label values.
enum class RuntimeOperation {
  kVersion,
  kStatus,
  kRunPodSandbox,
  kStopPodSandbox,
  kRemovePodSandbox,
  kPodSandboxStatus,
  kListPodSandbox,
  kCreateContainer,
  kStartContainer,
  kStopContainer,
  kRemoveContainer,
  kListContainers,
  kContainerStatus,
  kExecSync,
  kExec,
  kAttach,
  kPortForward,
  kListImages,
  kImageStatus,
  kPullImage,
  kRemoveImage,
  kContainerStats,
  kImageFsInfo,
};
inline constexpr size_t kRuntimeOperationCount = 23;
// "version", "status", "run_podsandbox", ... as upstream spells them.
const char* RuntimeOperationName(RuntimeOperation op);

// The metric families both decorators record into; Register is get-or-create.
struct RuntimeOperationMetrics {
  metrics::CounterVec* operations = nullptr;
  metrics::CounterVec* errors = nullptr;
  metrics::HistogramVec* durations = nullptr;
  metrics::HistogramVec* run_podsandbox_durations = nullptr;
  metrics::CounterVec* run_podsandbox_errors = nullptr;

  static RuntimeOperationMetrics Register(metrics::Registry* registry);
};

namespace internal {

// Records one call: the families plus per-operation children resolved on
// first use (so a hot call costs three atomic updates, not label lookups).
class OperationRecorder {
 public:
  explicit OperationRecorder(metrics::Registry* registry);

  const RuntimeOperationMetrics& metrics() const { return metrics_; }
  void Record(RuntimeOperation op, absl::Duration elapsed, const absl::Status& status);

 private:
  struct Children {
    std::atomic<metrics::Counter*> operations{nullptr};
    std::atomic<metrics::Counter*> errors{nullptr};
    std::atomic<metrics::Histogram*> duration{nullptr};
  };

  const RuntimeOperationMetrics metrics_;
  std::array<Children, kRuntimeOperationCount> children_;
};

}  // namespace internal

class InstrumentedRuntimeService final : public RuntimeService {
 public:
  InstrumentedRuntimeService(RuntimeService* service, metrics::Registry* registry);

  InstrumentedRuntimeService(const InstrumentedRuntimeService&) = delete;
  InstrumentedRuntimeService& operator=(const InstrumentedRuntimeService&) = delete;

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
  absl::StatusOr<std::string> Exec(const std::string& container_id,
                                   const std::vector<std::string>& cmd,
                                   const StreamOptions& streams) override;
  absl::StatusOr<std::string> Attach(const std::string& container_id,
                                     const StreamOptions& streams) override;
  absl::StatusOr<std::string> PortForward(const std::string& pod_sandbox_id,
                                          const std::vector<int32_t>& ports) override;
  absl::StatusOr<FilesystemUsage> GetContainerWritableLayer(
      const std::string& container_id) override;

 private:
  RuntimeService* const service_;
  internal::OperationRecorder recorder_;
};

class InstrumentedImageService final : public ImageService {
 public:
  InstrumentedImageService(ImageService* service, metrics::Registry* registry);

  InstrumentedImageService(const InstrumentedImageService&) = delete;
  InstrumentedImageService& operator=(const InstrumentedImageService&) = delete;

  absl::StatusOr<std::vector<Image>> ListImages() override;
  absl::StatusOr<std::optional<Image>> GetImageStatus(const ImageSpec& image) override;
  absl::StatusOr<std::string> PullImage(const ImageSpec& image) override;
  absl::Status RemoveImage(const ImageSpec& image) override;
  absl::StatusOr<ImageFsInfo> GetImageFsInfo() override;

 private:
  ImageService* const service_;
  internal::OperationRecorder recorder_;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_INSTRUMENTED_INSTRUMENTED_SERVICES_H_
