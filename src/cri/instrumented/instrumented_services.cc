#include "cri/instrumented/instrumented_services.h"

#include <chrono>
#include <utility>

namespace cubelet::cri {
namespace {

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Runs `call` and records it as `op`; returns its result unchanged.
template <typename Call>
auto Timed(internal::OperationRecorder& recorder, RuntimeOperation op, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  recorder.Record(op, absl::FromChrono(std::chrono::steady_clock::now() - start), StatusOf(result));
  return result;
}

}  // namespace

const char* RuntimeOperationName(RuntimeOperation op) {
  switch (op) {
    case RuntimeOperation::kVersion:
      return "version";
    case RuntimeOperation::kStatus:
      return "status";
    case RuntimeOperation::kRunPodSandbox:
      return "run_podsandbox";
    case RuntimeOperation::kStopPodSandbox:
      return "stop_podsandbox";
    case RuntimeOperation::kRemovePodSandbox:
      return "remove_podsandbox";
    case RuntimeOperation::kPodSandboxStatus:
      return "podsandbox_status";
    case RuntimeOperation::kListPodSandbox:
      return "list_podsandbox";
    case RuntimeOperation::kCreateContainer:
      return "create_container";
    case RuntimeOperation::kStartContainer:
      return "start_container";
    case RuntimeOperation::kStopContainer:
      return "stop_container";
    case RuntimeOperation::kRemoveContainer:
      return "remove_container";
    case RuntimeOperation::kListContainers:
      return "list_containers";
    case RuntimeOperation::kContainerStatus:
      return "container_status";
    case RuntimeOperation::kExecSync:
      return "exec_sync";
    case RuntimeOperation::kExec:
      return "exec";
    case RuntimeOperation::kAttach:
      return "attach";
    case RuntimeOperation::kPortForward:
      return "port_forward";
    case RuntimeOperation::kListImages:
      return "list_images";
    case RuntimeOperation::kImageStatus:
      return "image_status";
    case RuntimeOperation::kPullImage:
      return "pull_image";
    case RuntimeOperation::kRemoveImage:
      return "remove_image";
    case RuntimeOperation::kContainerStats:
      return "container_stats";
    case RuntimeOperation::kImageFsInfo:
      return "image_fs_info";
  }
  return "unknown";
}

RuntimeOperationMetrics RuntimeOperationMetrics::Register(metrics::Registry* registry) {
  // Names, help and buckets as pkg/kubelet/metrics/metrics.go (ALPHA metrics
  // carry the "[ALPHA] " help prefix the kubelet renders).
  RuntimeOperationMetrics m;
  m.operations = registry->NewCounterVec(
      "kubelet_runtime_operations_total",
      "[ALPHA] Cumulative number of runtime operations by operation type.", {"operation_type"});
  m.errors = registry->NewCounterVec(
      "kubelet_runtime_operations_errors_total",
      "[ALPHA] Cumulative number of runtime operation errors by operation type.",
      {"operation_type"});
  m.durations = registry->NewHistogramVec(
      "kubelet_runtime_operations_duration_seconds",
      "[ALPHA] Duration in seconds of runtime operations. Broken down by operation type.",
      {"operation_type"}, metrics::ExponentialBuckets(.005, 2.5, 14));
  m.run_podsandbox_durations = registry->NewHistogramVec(
      "kubelet_run_podsandbox_duration_seconds",
      "[ALPHA] Duration in seconds of the run_podsandbox operations. Broken down by "
      "RuntimeClass.Handler.",
      {"runtime_handler"}, metrics::DefBuckets());
  m.run_podsandbox_errors = registry->NewCounterVec(
      "kubelet_run_podsandbox_errors_total",
      "[ALPHA] Cumulative number of the run_podsandbox operation errors by RuntimeClass.Handler.",
      {"runtime_handler"});
  return m;
}

namespace internal {

OperationRecorder::OperationRecorder(metrics::Registry* registry)
    : metrics_(RuntimeOperationMetrics::Register(registry)) {}

void OperationRecorder::Record(RuntimeOperation op, absl::Duration elapsed,
                               const absl::Status& status) {
  Children& c = children_[static_cast<size_t>(op)];
  // Resolving a child twice from racing threads is harmless: the family
  // returns the same pointer.
  metrics::Counter* ops = c.operations.load(std::memory_order_acquire);
  metrics::Histogram* duration = c.duration.load(std::memory_order_acquire);
  if (ops == nullptr || duration == nullptr) {
    ops = metrics_.operations->WithLabels({RuntimeOperationName(op)});
    duration = metrics_.durations->WithLabels({RuntimeOperationName(op)});
    c.operations.store(ops, std::memory_order_release);
    c.duration.store(duration, std::memory_order_release);
  }
  ops->Inc();
  duration->Observe(absl::ToDoubleSeconds(elapsed));
  if (!status.ok()) {
    metrics::Counter* errors = c.errors.load(std::memory_order_acquire);
    if (errors == nullptr) {
      errors = metrics_.errors->WithLabels({RuntimeOperationName(op)});
      c.errors.store(errors, std::memory_order_release);
    }
    errors->Inc();
  }
}

}  // namespace internal

// ---- InstrumentedRuntimeService ----

InstrumentedRuntimeService::InstrumentedRuntimeService(RuntimeService* service,
                                                       metrics::Registry* registry)
    : service_(service), recorder_(registry) {}

absl::StatusOr<VersionInfo> InstrumentedRuntimeService::GetVersion() {
  return Timed(recorder_, RuntimeOperation::kVersion, [&] { return service_->GetVersion(); });
}

absl::StatusOr<RuntimeStatus> InstrumentedRuntimeService::GetStatus() {
  return Timed(recorder_, RuntimeOperation::kStatus, [&] { return service_->GetStatus(); });
}

absl::StatusOr<std::string> InstrumentedRuntimeService::RunPodSandbox(
    const PodSandboxConfig& config, const std::string& runtime_handler) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> result = service_->RunPodSandbox(config, runtime_handler);
  const absl::Duration elapsed = absl::FromChrono(std::chrono::steady_clock::now() - start);
  recorder_.Record(RuntimeOperation::kRunPodSandbox, elapsed, result.status());
  const RuntimeOperationMetrics& m = recorder_.metrics();
  m.run_podsandbox_durations->WithLabels({runtime_handler})
      ->Observe(absl::ToDoubleSeconds(elapsed));
  if (!result.ok()) m.run_podsandbox_errors->WithLabels({runtime_handler})->Inc();
  return result;
}

absl::Status InstrumentedRuntimeService::StopPodSandbox(const std::string& pod_sandbox_id) {
  return Timed(recorder_, RuntimeOperation::kStopPodSandbox,
               [&] { return service_->StopPodSandbox(pod_sandbox_id); });
}

absl::Status InstrumentedRuntimeService::RemovePodSandbox(const std::string& pod_sandbox_id) {
  return Timed(recorder_, RuntimeOperation::kRemovePodSandbox,
               [&] { return service_->RemovePodSandbox(pod_sandbox_id); });
}

absl::StatusOr<PodSandboxStatus> InstrumentedRuntimeService::GetPodSandboxStatus(
    const std::string& pod_sandbox_id) {
  return Timed(recorder_, RuntimeOperation::kPodSandboxStatus,
               [&] { return service_->GetPodSandboxStatus(pod_sandbox_id); });
}

absl::StatusOr<std::vector<PodSandbox>> InstrumentedRuntimeService::ListPodSandbox(
    const std::optional<PodSandboxFilter>& filter) {
  return Timed(recorder_, RuntimeOperation::kListPodSandbox,
               [&] { return service_->ListPodSandbox(filter); });
}

absl::StatusOr<std::string> InstrumentedRuntimeService::CreateContainer(
    const std::string& pod_sandbox_id, const ContainerConfig& config,
    const PodSandboxConfig& sandbox_config) {
  return Timed(recorder_, RuntimeOperation::kCreateContainer,
               [&] { return service_->CreateContainer(pod_sandbox_id, config, sandbox_config); });
}

absl::Status InstrumentedRuntimeService::StartContainer(const std::string& container_id) {
  return Timed(recorder_, RuntimeOperation::kStartContainer,
               [&] { return service_->StartContainer(container_id); });
}

absl::Status InstrumentedRuntimeService::StopContainer(const std::string& container_id,
                                                       int64_t timeout_seconds) {
  return Timed(recorder_, RuntimeOperation::kStopContainer,
               [&] { return service_->StopContainer(container_id, timeout_seconds); });
}

absl::Status InstrumentedRuntimeService::RemoveContainer(const std::string& container_id) {
  return Timed(recorder_, RuntimeOperation::kRemoveContainer,
               [&] { return service_->RemoveContainer(container_id); });
}

absl::StatusOr<std::vector<Container>> InstrumentedRuntimeService::ListContainers(
    const std::optional<ContainerFilter>& filter) {
  return Timed(recorder_, RuntimeOperation::kListContainers,
               [&] { return service_->ListContainers(filter); });
}

absl::StatusOr<ContainerStatus> InstrumentedRuntimeService::GetContainerStatus(
    const std::string& container_id) {
  return Timed(recorder_, RuntimeOperation::kContainerStatus,
               [&] { return service_->GetContainerStatus(container_id); });
}

absl::StatusOr<ExecSyncResponse> InstrumentedRuntimeService::ExecSync(
    const std::string& container_id, const std::vector<std::string>& cmd, absl::Duration timeout) {
  return Timed(recorder_, RuntimeOperation::kExecSync,
               [&] { return service_->ExecSync(container_id, cmd, timeout); });
}

absl::StatusOr<std::string> InstrumentedRuntimeService::Exec(const std::string& container_id,
                                                             const std::vector<std::string>& cmd,
                                                             const StreamOptions& streams) {
  return Timed(recorder_, RuntimeOperation::kExec,
               [&] { return service_->Exec(container_id, cmd, streams); });
}

absl::StatusOr<std::string> InstrumentedRuntimeService::Attach(const std::string& container_id,
                                                               const StreamOptions& streams) {
  return Timed(recorder_, RuntimeOperation::kAttach,
               [&] { return service_->Attach(container_id, streams); });
}

absl::StatusOr<std::string> InstrumentedRuntimeService::PortForward(
    const std::string& pod_sandbox_id, const std::vector<int32_t>& ports) {
  return Timed(recorder_, RuntimeOperation::kPortForward,
               [&] { return service_->PortForward(pod_sandbox_id, ports); });
}

absl::StatusOr<FilesystemUsage> InstrumentedRuntimeService::GetContainerWritableLayer(
    const std::string& container_id) {
  return Timed(recorder_, RuntimeOperation::kContainerStats,
               [&] { return service_->GetContainerWritableLayer(container_id); });
}

// ---- InstrumentedImageService ----

InstrumentedImageService::InstrumentedImageService(ImageService* service,
                                                   metrics::Registry* registry)
    : service_(service), recorder_(registry) {}

absl::StatusOr<std::vector<Image>> InstrumentedImageService::ListImages() {
  return Timed(recorder_, RuntimeOperation::kListImages, [&] { return service_->ListImages(); });
}

absl::StatusOr<std::optional<Image>> InstrumentedImageService::GetImageStatus(
    const ImageSpec& image) {
  return Timed(recorder_, RuntimeOperation::kImageStatus,
               [&] { return service_->GetImageStatus(image); });
}

absl::StatusOr<std::string> InstrumentedImageService::PullImage(const ImageSpec& image) {
  return Timed(recorder_, RuntimeOperation::kPullImage, [&] { return service_->PullImage(image); });
}

absl::Status InstrumentedImageService::RemoveImage(const ImageSpec& image) {
  return Timed(recorder_, RuntimeOperation::kRemoveImage,
               [&] { return service_->RemoveImage(image); });
}

absl::StatusOr<ImageFsInfo> InstrumentedImageService::GetImageFsInfo() {
  return Timed(recorder_, RuntimeOperation::kImageFsInfo,
               [&] { return service_->GetImageFsInfo(); });
}

}  // namespace cubelet::cri
