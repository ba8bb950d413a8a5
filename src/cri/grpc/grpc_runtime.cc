#include "cri/grpc/grpc_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/grpc/convert.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "runtime/v1/api.grpc.pb.h"

namespace cubelet::cri {
namespace {

namespace pb = ::runtime::v1;

// What the kubelet sends as its own runtime API version in VersionRequest.
constexpr char kKubeletApiVersion[] = "0.1.0";

// Reconnect back-off like the kubelet's CRI client (100 ms base, 3 s cap):
// gRPC's default 1 s base / 120 s cap would keep cubelet failing fast long
// after a restarted containerd is back.
constexpr int kInitialBackoffMs = 100;
constexpr int kMaxBackoffMs = 3000;

// One unary call: a fresh context with a deadline and fail-fast semantics.
template <typename Fn>
absl::Status Call(absl::string_view method, absl::Duration timeout, Fn&& fn) {
  ::grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // Fail at once with UNAVAILABLE while the runtime is unreachable: the
  // callers (pod workers, health checks) retry on their own schedule.
  ctx.set_wait_for_ready(false);
  return convert::FromGrpcStatus(fn(&ctx), method, timeout);
}

}  // namespace

struct GrpcRuntime::Stubs {
  std::shared_ptr<::grpc::Channel> channel;
  std::unique_ptr<pb::RuntimeService::Stub> runtime;
  std::unique_ptr<pb::ImageService::Stub> image;
};

absl::StatusOr<std::unique_ptr<GrpcRuntime>> GrpcRuntime::Connect(const std::string& endpoint,
                                                                  Options options) {
  absl::StatusOr<std::string> target = convert::NormalizeEndpoint(endpoint);
  if (!target.ok()) return target.status();
  if (options.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("call_timeout must be positive");
  }
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialBackoffMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kInitialBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxBackoffMs);
  auto stubs = std::make_unique<Stubs>();
  stubs->channel = ::grpc::CreateCustomChannel(*target, ::grpc::InsecureChannelCredentials(), args);
  if (stubs->channel == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a gRPC channel to ", *target));
  }
  stubs->runtime = pb::RuntimeService::NewStub(stubs->channel);
  stubs->image = pb::ImageService::NewStub(stubs->channel);
  return std::unique_ptr<GrpcRuntime>(
      new GrpcRuntime(*std::move(target), std::move(options), std::move(stubs)));
}

GrpcRuntime::GrpcRuntime(std::string target, Options options, std::unique_ptr<Stubs> stubs)
    : target_(std::move(target)),
      options_(std::move(options)),
      stubs_(std::move(stubs)),
      last_health_(absl::FailedPreconditionError("no runtime health check has run yet")) {}

GrpcRuntime::~GrpcRuntime() = default;

// ---------------------------------------------------------------------------
// Health

absl::StatusOr<RuntimeStatus> GrpcRuntime::CheckHealth() {
  absl::StatusOr<RuntimeStatus> result = [&]() -> absl::StatusOr<RuntimeStatus> {
    absl::StatusOr<VersionInfo> version = GetVersion();
    if (!version.ok()) return version.status();
    if (version->runtime_api_version != "v1") {
      return absl::FailedPreconditionError(
          absl::StrCat("runtime ", version->runtime_name, " ", version->runtime_version,
                       " speaks CRI API \"", version->runtime_api_version, "\", not \"v1\""));
    }
    {
      std::lock_guard<std::mutex> l(health_mu_);
      last_version_ = *version;
    }
    return GetStatus();
  }();
  std::lock_guard<std::mutex> l(health_mu_);
  last_health_ = result;
  return result;
}

absl::StatusOr<RuntimeStatus> GrpcRuntime::LastHealth() const {
  std::lock_guard<std::mutex> l(health_mu_);
  return last_health_;
}

std::optional<VersionInfo> GrpcRuntime::LastVersion() const {
  std::lock_guard<std::mutex> l(health_mu_);
  return last_version_;
}

// ---------------------------------------------------------------------------
// RuntimeService

absl::StatusOr<VersionInfo> GrpcRuntime::GetVersion() {
  pb::VersionRequest req;
  req.set_version(kKubeletApiVersion);
  pb::VersionResponse resp;
  absl::Status s = Call("Version", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->Version(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return convert::FromProto(resp);
}

absl::StatusOr<RuntimeStatus> GrpcRuntime::GetStatus() {
  pb::StatusRequest req;
  pb::StatusResponse resp;
  absl::Status s = Call("Status", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->Status(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return convert::FromProto(resp.status());
}

absl::StatusOr<std::string> GrpcRuntime::RunPodSandbox(const PodSandboxConfig& config,
                                                       const std::string& runtime_handler) {
  pb::RunPodSandboxRequest req;
  convert::ToProto(config, req.mutable_config());
  req.set_runtime_handler(runtime_handler);
  pb::RunPodSandboxResponse resp;
  absl::Status s = Call("RunPodSandbox", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->RunPodSandbox(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return std::move(*resp.mutable_pod_sandbox_id());
}

absl::Status GrpcRuntime::StopPodSandbox(const std::string& pod_sandbox_id) {
  pb::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(pod_sandbox_id);
  pb::StopPodSandboxResponse resp;
  return Call("StopPodSandbox", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->StopPodSandbox(ctx, req, &resp);
  });
}

absl::Status GrpcRuntime::RemovePodSandbox(const std::string& pod_sandbox_id) {
  pb::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(pod_sandbox_id);
  pb::RemovePodSandboxResponse resp;
  return Call("RemovePodSandbox", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->RemovePodSandbox(ctx, req, &resp);
  });
}

absl::StatusOr<PodSandboxStatus> GrpcRuntime::GetPodSandboxStatus(
    const std::string& pod_sandbox_id) {
  pb::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod_sandbox_id);
  pb::PodSandboxStatusResponse resp;
  absl::Status s = Call("PodSandboxStatus", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->PodSandboxStatus(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return convert::FromProto(resp.status());
}

absl::StatusOr<std::vector<PodSandbox>> GrpcRuntime::ListPodSandbox(
    const std::optional<PodSandboxFilter>& filter) {
  pb::ListPodSandboxRequest req;
  if (filter) convert::ToProto(*filter, req.mutable_filter());
  pb::ListPodSandboxResponse resp;
  absl::Status s = Call("ListPodSandbox", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->ListPodSandbox(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  std::vector<PodSandbox> out;
  out.reserve(resp.items_size());
  for (const pb::PodSandbox& item : resp.items()) out.push_back(convert::FromProto(item));
  return out;
}

absl::StatusOr<std::string> GrpcRuntime::CreateContainer(const std::string& pod_sandbox_id,
                                                         const ContainerConfig& config,
                                                         const PodSandboxConfig& sandbox_config) {
  pb::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_sandbox_id);
  convert::ToProto(config, req.mutable_config());
  convert::ToProto(sandbox_config, req.mutable_sandbox_config());
  pb::CreateContainerResponse resp;
  absl::Status s = Call("CreateContainer", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->CreateContainer(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return std::move(*resp.mutable_container_id());
}

absl::Status GrpcRuntime::StartContainer(const std::string& container_id) {
  pb::StartContainerRequest req;
  req.set_container_id(container_id);
  pb::StartContainerResponse resp;
  return Call("StartContainer", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->StartContainer(ctx, req, &resp);
  });
}

absl::Status GrpcRuntime::StopContainer(const std::string& container_id, int64_t timeout_seconds) {
  pb::StopContainerRequest req;
  req.set_container_id(container_id);
  timeout_seconds = std::max<int64_t>(timeout_seconds, 0);
  req.set_timeout(timeout_seconds);
  pb::StopContainerResponse resp;
  return Call(
      "StopContainer", absl::Seconds(timeout_seconds) + options_.stop_margin,
      [&](::grpc::ClientContext* ctx) { return stubs_->runtime->StopContainer(ctx, req, &resp); });
}

absl::Status GrpcRuntime::RemoveContainer(const std::string& container_id) {
  pb::RemoveContainerRequest req;
  req.set_container_id(container_id);
  pb::RemoveContainerResponse resp;
  return Call("RemoveContainer", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->RemoveContainer(ctx, req, &resp);
  });
}

absl::StatusOr<std::vector<Container>> GrpcRuntime::ListContainers(
    const std::optional<ContainerFilter>& filter) {
  pb::ListContainersRequest req;
  if (filter) convert::ToProto(*filter, req.mutable_filter());
  pb::ListContainersResponse resp;
  absl::Status s = Call("ListContainers", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->ListContainers(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  std::vector<Container> out;
  out.reserve(resp.containers_size());
  for (const pb::Container& c : resp.containers()) out.push_back(convert::FromProto(c));
  return out;
}

absl::StatusOr<ContainerStatus> GrpcRuntime::GetContainerStatus(const std::string& container_id) {
  pb::ContainerStatusRequest req;
  req.set_container_id(container_id);
  pb::ContainerStatusResponse resp;
  absl::Status s = Call("ContainerStatus", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->ContainerStatus(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return convert::FromProto(resp.status());
}

absl::StatusOr<ExecSyncResponse> GrpcRuntime::ExecSync(const std::string& container_id,
                                                       const std::vector<std::string>& cmd,
                                                       absl::Duration timeout) {
  pb::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (const std::string& arg : cmd) req.add_cmd(arg);
  int64_t timeout_seconds = 0;
  if (timeout > absl::ZeroDuration()) {
    timeout_seconds = absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1)));
  }
  req.set_timeout(timeout_seconds);
  // The runtime kills the command at its timeout and then still has to
  // answer: give the call the same margin as StopContainer.
  absl::Duration deadline = timeout_seconds > 0
                                ? absl::Seconds(timeout_seconds) + options_.stop_margin
                                : options_.call_timeout;
  pb::ExecSyncResponse resp;
  absl::Status s = Call("ExecSync", deadline, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->ExecSync(ctx, req, &resp);
  });
  // containerd reports a command killed at its timeout as an unknown error
  // ("timeout 1s exceeded: context deadline exceeded"); callers get it typed.
  if (!s.ok() && !absl::IsDeadlineExceeded(s) && timeout_seconds > 0 &&
      absl::StrContains(s.message(), "timeout")) {
    return absl::DeadlineExceededError(s.message());
  }
  if (!s.ok()) return s;
  return convert::FromProto(resp);
}

absl::StatusOr<std::string> GrpcRuntime::Exec(const std::string& container_id,
                                              const std::vector<std::string>& cmd,
                                              const StreamOptions& streams) {
  pb::ExecRequest req;
  req.set_container_id(container_id);
  for (const std::string& arg : cmd) req.add_cmd(arg);
  req.set_tty(streams.tty);
  req.set_stdin(streams.stdin);
  req.set_stdout(streams.stdout);
  req.set_stderr(streams.stderr);
  pb::ExecResponse resp;
  absl::Status s = Call("Exec", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->Exec(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return resp.url();
}

absl::StatusOr<std::string> GrpcRuntime::Attach(const std::string& container_id,
                                                const StreamOptions& streams) {
  pb::AttachRequest req;
  req.set_container_id(container_id);
  req.set_tty(streams.tty);
  req.set_stdin(streams.stdin);
  req.set_stdout(streams.stdout);
  req.set_stderr(streams.stderr);
  pb::AttachResponse resp;
  absl::Status s = Call("Attach", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->Attach(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return resp.url();
}

absl::StatusOr<std::string> GrpcRuntime::PortForward(const std::string& pod_sandbox_id,
                                                     const std::vector<int32_t>& ports) {
  pb::PortForwardRequest req;
  req.set_pod_sandbox_id(pod_sandbox_id);
  for (int32_t port : ports) req.add_port(port);
  pb::PortForwardResponse resp;
  absl::Status s = Call("PortForward", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->PortForward(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return resp.url();
}

namespace {

FilesystemUsage FromProto(const pb::FilesystemUsage& u) {
  FilesystemUsage out;
  out.timestamp = u.timestamp();
  out.mountpoint = u.fs_id().mountpoint();
  if (u.has_used_bytes()) out.used_bytes = u.used_bytes().value();
  if (u.has_inodes_used()) out.inodes_used = u.inodes_used().value();
  return out;
}

}  // namespace

absl::StatusOr<FilesystemUsage> GrpcRuntime::GetContainerWritableLayer(
    const std::string& container_id) {
  pb::ContainerStatsRequest req;
  req.set_container_id(container_id);
  pb::ContainerStatsResponse resp;
  absl::Status s = Call("ContainerStats", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->runtime->ContainerStats(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return FromProto(resp.stats().writable_layer());
}

// ---------------------------------------------------------------------------
// ImageService

absl::StatusOr<std::vector<Image>> GrpcRuntime::ListImages() {
  pb::ListImagesRequest req;
  pb::ListImagesResponse resp;
  absl::Status s = Call("ListImages", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->image->ListImages(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  std::vector<Image> out;
  out.reserve(resp.images_size());
  for (const pb::Image& i : resp.images()) out.push_back(convert::FromProto(i));
  return out;
}

absl::StatusOr<std::optional<Image>> GrpcRuntime::GetImageStatus(const ImageSpec& image) {
  pb::ImageStatusRequest req;
  convert::ToProto(image, req.mutable_image());
  pb::ImageStatusResponse resp;
  absl::Status s = Call("ImageStatus", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->image->ImageStatus(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  // An absent image is an OK answer with `image` unset; an image without an
  // id names nothing cubelet could use, so it counts as absent too.
  if (!resp.has_image() || resp.image().id().empty()) return std::optional<Image>();
  return std::optional<Image>(convert::FromProto(resp.image()));
}

absl::StatusOr<std::string> GrpcRuntime::PullImage(const ImageSpec& image) {
  pb::PullImageRequest req;
  convert::ToProto(image, req.mutable_image());
  pb::PullImageResponse resp;
  absl::Status s = Call("PullImage", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->image->PullImage(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  return std::move(*resp.mutable_image_ref());
}

absl::Status GrpcRuntime::RemoveImage(const ImageSpec& image) {
  pb::RemoveImageRequest req;
  convert::ToProto(image, req.mutable_image());
  pb::RemoveImageResponse resp;
  return Call("RemoveImage", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->image->RemoveImage(ctx, req, &resp);
  });
}

absl::StatusOr<ImageFsInfo> GrpcRuntime::GetImageFsInfo() {
  pb::ImageFsInfoRequest req;
  pb::ImageFsInfoResponse resp;
  absl::Status s = Call("ImageFsInfo", options_.call_timeout, [&](::grpc::ClientContext* ctx) {
    return stubs_->image->ImageFsInfo(ctx, req, &resp);
  });
  if (!s.ok()) return s;
  ImageFsInfo out;
  for (const pb::FilesystemUsage& u : resp.image_filesystems()) {
    out.image_filesystems.push_back(FromProto(u));
  }
  for (const pb::FilesystemUsage& u : resp.container_filesystems()) {
    out.container_filesystems.push_back(FromProto(u));
  }
  return out;
}

}  // namespace cubelet::cri
