#include "cri/grpc/testing/in_memory_cri_server.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cri/grpc/convert.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "runtime/v1/api.grpc.pb.h"

namespace cubelet::cri {
namespace {

namespace pb = ::runtime::v1;
using convert::FromProto;
using convert::ToGrpcStatus;
using convert::ToProto;
using ::grpc::ServerContext;

// The GetContainerEvents streams in progress: each gets every event sent
// after it subscribed.
class EventHub {
 public:
  void Send(const pb::ContainerEventResponse& e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, queue] : queues_) queue.push_back(e);
    }
    cv_.notify_all();
  }
  // Streams to `writer` until the call is cancelled or Close.
  void Serve(ServerContext* ctx, ::grpc::ServerWriter<pb::ContainerEventResponse>* writer) {
    std::unique_lock<std::mutex> lock(mu_);
    const int id = next_id_++;
    queues_[id];
    while (!closed_ && !ctx->IsCancelled()) {
      std::deque<pb::ContainerEventResponse>& queue = queues_[id];
      if (queue.empty()) {
        cv_.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
      pb::ContainerEventResponse e = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      const bool sent = writer->Write(e);
      lock.lock();
      if (!sent) break;
    }
    queues_.erase(id);
  }
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, std::deque<pb::ContainerEventResponse>> queues_;
  int next_id_ = 0;
  bool closed_ = false;
};

class RuntimeServiceImpl final : public pb::RuntimeService::Service {
 public:
  explicit RuntimeServiceImpl(InMemoryRuntime* rt) : rt_(rt) {}

  // From now on GetContainerEvents streams starts, exits (with the exited
  // container's status) and removals; before, it is Unimplemented, as on
  // containerd 1.6. Takes the runtime's exit listener.
  void ServeContainerEvents() {
    events_on_ = true;
    rt_->SetExitListener([this](const std::string& id) {
      Publish(id, pb::CONTAINER_STOPPED_EVENT, /*with_status=*/true);
    });
  }
  void CloseEvents() { hub_.Close(); }

  ::grpc::Status GetContainerEvents(
      ServerContext* ctx, const pb::GetEventsRequest*,
      ::grpc::ServerWriter<pb::ContainerEventResponse>* writer) override {
    if (!events_on_) {
      return ::grpc::Status(
          ::grpc::StatusCode::UNIMPLEMENTED,
          "unknown method GetContainerEvents for service runtime.v1.RuntimeService");
    }
    hub_.Serve(ctx, writer);
    return ::grpc::Status::OK;
  }

  ::grpc::Status Version(ServerContext*, const pb::VersionRequest*,
                         pb::VersionResponse* resp) override {
    absl::StatusOr<VersionInfo> v = rt_->GetVersion();
    if (!v.ok()) return ToGrpcStatus(v.status());
    ToProto(*v, resp);
    return ::grpc::Status::OK;
  }

  ::grpc::Status Status(ServerContext*, const pb::StatusRequest*,
                        pb::StatusResponse* resp) override {
    absl::StatusOr<RuntimeStatus> s = rt_->GetStatus();
    if (!s.ok()) return ToGrpcStatus(s.status());
    ToProto(*s, resp->mutable_status());
    return ::grpc::Status::OK;
  }

  ::grpc::Status RunPodSandbox(ServerContext*, const pb::RunPodSandboxRequest* req,
                               pb::RunPodSandboxResponse* resp) override {
    absl::StatusOr<std::string> id =
        rt_->RunPodSandbox(FromProto(req->config()), req->runtime_handler());
    if (!id.ok()) return ToGrpcStatus(id.status());
    resp->set_pod_sandbox_id(*std::move(id));
    return ::grpc::Status::OK;
  }

  ::grpc::Status StopPodSandbox(ServerContext*, const pb::StopPodSandboxRequest* req,
                                pb::StopPodSandboxResponse*) override {
    return ToGrpcStatus(rt_->StopPodSandbox(req->pod_sandbox_id()));
  }

  ::grpc::Status RemovePodSandbox(ServerContext*, const pb::RemovePodSandboxRequest* req,
                                  pb::RemovePodSandboxResponse*) override {
    return ToGrpcStatus(rt_->RemovePodSandbox(req->pod_sandbox_id()));
  }

  ::grpc::Status PodSandboxStatus(ServerContext*, const pb::PodSandboxStatusRequest* req,
                                  pb::PodSandboxStatusResponse* resp) override {
    absl::StatusOr<cri::PodSandboxStatus> s = rt_->GetPodSandboxStatus(req->pod_sandbox_id());
    if (!s.ok()) return ToGrpcStatus(s.status());
    ToProto(*s, resp->mutable_status());
    return ::grpc::Status::OK;
  }

  ::grpc::Status ListPodSandbox(ServerContext*, const pb::ListPodSandboxRequest* req,
                                pb::ListPodSandboxResponse* resp) override {
    std::optional<PodSandboxFilter> filter;
    if (req->has_filter()) filter = FromProto(req->filter());
    absl::StatusOr<std::vector<PodSandbox>> items = rt_->ListPodSandbox(filter);
    if (!items.ok()) return ToGrpcStatus(items.status());
    resp->mutable_items()->Reserve(static_cast<int>(items->size()));
    for (const PodSandbox& s : *items) ToProto(s, resp->add_items());
    return ::grpc::Status::OK;
  }

  ::grpc::Status CreateContainer(ServerContext*, const pb::CreateContainerRequest* req,
                                 pb::CreateContainerResponse* resp) override {
    absl::StatusOr<std::string> id = rt_->CreateContainer(
        req->pod_sandbox_id(), FromProto(req->config()), FromProto(req->sandbox_config()));
    if (!id.ok()) return ToGrpcStatus(id.status());
    resp->set_container_id(*std::move(id));
    return ::grpc::Status::OK;
  }

  ::grpc::Status StartContainer(ServerContext*, const pb::StartContainerRequest* req,
                                pb::StartContainerResponse*) override {
    absl::Status started = rt_->StartContainer(req->container_id());
    if (started.ok()) Publish(req->container_id(), pb::CONTAINER_STARTED_EVENT, false);
    return ToGrpcStatus(started);
  }

  ::grpc::Status StopContainer(ServerContext*, const pb::StopContainerRequest* req,
                               pb::StopContainerResponse*) override {
    return ToGrpcStatus(rt_->StopContainer(req->container_id(), req->timeout()));
  }

  ::grpc::Status RemoveContainer(ServerContext*, const pb::RemoveContainerRequest* req,
                                 pb::RemoveContainerResponse*) override {
    absl::Status removed = rt_->RemoveContainer(req->container_id());
    if (removed.ok()) Publish(req->container_id(), pb::CONTAINER_DELETED_EVENT, false);
    return ToGrpcStatus(removed);
  }

  ::grpc::Status ListContainers(ServerContext*, const pb::ListContainersRequest* req,
                                pb::ListContainersResponse* resp) override {
    std::optional<ContainerFilter> filter;
    if (req->has_filter()) filter = FromProto(req->filter());
    absl::StatusOr<std::vector<Container>> items = rt_->ListContainers(filter);
    if (!items.ok()) return ToGrpcStatus(items.status());
    resp->mutable_containers()->Reserve(static_cast<int>(items->size()));
    for (const Container& c : *items) ToProto(c, resp->add_containers());
    return ::grpc::Status::OK;
  }

  ::grpc::Status ContainerStatus(ServerContext*, const pb::ContainerStatusRequest* req,
                                 pb::ContainerStatusResponse* resp) override {
    absl::StatusOr<cri::ContainerStatus> s = rt_->GetContainerStatus(req->container_id());
    if (!s.ok()) return ToGrpcStatus(s.status());
    ToProto(*s, resp->mutable_status());
    return ::grpc::Status::OK;
  }

  ::grpc::Status ExecSync(ServerContext*, const pb::ExecSyncRequest* req,
                          pb::ExecSyncResponse* resp) override {
    std::vector<std::string> cmd(req->cmd().begin(), req->cmd().end());
    absl::StatusOr<cri::ExecSyncResponse> r =
        rt_->ExecSync(req->container_id(), cmd, absl::Seconds(req->timeout()));
    if (!r.ok()) return ToGrpcStatus(r.status());
    ToProto(*r, resp);
    return ::grpc::Status::OK;
  }

  ::grpc::Status Exec(ServerContext*, const pb::ExecRequest* req, pb::ExecResponse* resp) override {
    std::vector<std::string> cmd(req->cmd().begin(), req->cmd().end());
    absl::StatusOr<std::string> url = rt_->Exec(req->container_id(), cmd,
                                                {.stdin = req->stdin(),
                                                 .stdout = req->stdout(),
                                                 .stderr = req->stderr(),
                                                 .tty = req->tty()});
    if (!url.ok()) return ToGrpcStatus(url.status());
    resp->set_url(*url);
    return ::grpc::Status::OK;
  }

  ::grpc::Status Attach(ServerContext*, const pb::AttachRequest* req,
                        pb::AttachResponse* resp) override {
    absl::StatusOr<std::string> url = rt_->Attach(req->container_id(), {.stdin = req->stdin(),
                                                                        .stdout = req->stdout(),
                                                                        .stderr = req->stderr(),
                                                                        .tty = req->tty()});
    if (!url.ok()) return ToGrpcStatus(url.status());
    resp->set_url(*url);
    return ::grpc::Status::OK;
  }

  ::grpc::Status PortForward(ServerContext*, const pb::PortForwardRequest* req,
                             pb::PortForwardResponse* resp) override {
    std::vector<int32_t> ports(req->port().begin(), req->port().end());
    absl::StatusOr<std::string> url = rt_->PortForward(req->pod_sandbox_id(), ports);
    if (!url.ok()) return ToGrpcStatus(url.status());
    resp->set_url(*url);
    return ::grpc::Status::OK;
  }

 private:
  void Publish(const std::string& id, pb::ContainerEventType type, bool with_status) {
    if (!events_on_) return;
    pb::ContainerEventResponse e;
    e.set_container_id(id);
    e.set_container_event_type(type);
    e.set_created_at(absl::ToUnixNanos(absl::Now()));
    if (with_status) {
      absl::StatusOr<cri::ContainerStatus> s = rt_->GetContainerStatus(id);
      if (s.ok()) ToProto(*s, e.add_containers_statuses());
    }
    hub_.Send(e);
  }

  InMemoryRuntime* const rt_;
  std::atomic<bool> events_on_{false};
  EventHub hub_;
};

class ImageServiceImpl final : public pb::ImageService::Service {
 public:
  explicit ImageServiceImpl(InMemoryRuntime* rt) : rt_(rt) {}

  ::grpc::Status ListImages(ServerContext*, const pb::ListImagesRequest*,
                            pb::ListImagesResponse* resp) override {
    absl::StatusOr<std::vector<Image>> images = rt_->ListImages();
    if (!images.ok()) return ToGrpcStatus(images.status());
    for (const Image& i : *images) ToProto(i, resp->add_images());
    return ::grpc::Status::OK;
  }

  ::grpc::Status ImageStatus(ServerContext*, const pb::ImageStatusRequest* req,
                             pb::ImageStatusResponse* resp) override {
    absl::StatusOr<std::optional<Image>> image = rt_->GetImageStatus(FromProto(req->image()));
    if (!image.ok()) return ToGrpcStatus(image.status());
    // Absent: OK with `image` unset, as containerd answers.
    if (image->has_value()) ToProto(**image, resp->mutable_image());
    return ::grpc::Status::OK;
  }

  ::grpc::Status PullImage(ServerContext*, const pb::PullImageRequest* req,
                           pb::PullImageResponse* resp) override {
    absl::StatusOr<std::string> ref = rt_->PullImage(FromProto(req->image()));
    if (!ref.ok()) return ToGrpcStatus(ref.status());
    resp->set_image_ref(*std::move(ref));
    return ::grpc::Status::OK;
  }

  ::grpc::Status RemoveImage(ServerContext*, const pb::RemoveImageRequest* req,
                             pb::RemoveImageResponse*) override {
    return ToGrpcStatus(rt_->RemoveImage(FromProto(req->image())));
  }

 private:
  InMemoryRuntime* const rt_;
};

}  // namespace

struct InMemoryCriServer::Impl {
  explicit Impl(InMemoryRuntime* rt) : runtime_service(rt), image_service(rt) {}

  RuntimeServiceImpl runtime_service;
  ImageServiceImpl image_service;
  std::unique_ptr<::grpc::Server> server;

  std::mutex mu;  // guards shut_down
  bool shut_down = false;
};

absl::StatusOr<std::unique_ptr<InMemoryCriServer>> InMemoryCriServer::Start(
    InMemoryRuntime* runtime, const std::string& socket_path) {
  std::string temp_dir;
  std::string path = socket_path;
  if (path.empty()) {
    // /tmp rather than $TMPDIR: a unix socket path must fit in 108 bytes.
    char templ[] = "/tmp/cubelet-cri-XXXXXX";
    if (mkdtemp(templ) == nullptr) {
      return absl::InternalError("mkdtemp failed for the test CRI socket");
    }
    temp_dir = templ;
    path = absl::StrCat(temp_dir, "/cri.sock");
  } else {
    unlink(path.c_str());  // a stale socket would make bind() fail
  }
  auto impl = std::make_unique<Impl>(runtime);
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix://", path), ::grpc::InsecureServerCredentials());
  builder.RegisterService(&impl->runtime_service);
  builder.RegisterService(&impl->image_service);
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr) {
    if (!temp_dir.empty()) rmdir(temp_dir.c_str());
    return absl::InternalError(absl::StrCat("cannot serve CRI on unix://", path));
  }
  return std::unique_ptr<InMemoryCriServer>(
      new InMemoryCriServer(std::move(path), std::move(temp_dir), std::move(impl)));
}

InMemoryCriServer::InMemoryCriServer(std::string socket_path, std::string temp_dir,
                                     std::unique_ptr<Impl> impl)
    : socket_path_(std::move(socket_path)),
      endpoint_(absl::StrCat("unix://", socket_path_)),
      temp_dir_(std::move(temp_dir)),
      impl_(std::move(impl)) {}

void InMemoryCriServer::ServeContainerEvents() { impl_->runtime_service.ServeContainerEvents(); }

InMemoryCriServer::~InMemoryCriServer() {
  Shutdown();
  if (!temp_dir_.empty()) rmdir(temp_dir_.c_str());
}

void InMemoryCriServer::Shutdown(absl::Duration grace) {
  std::lock_guard<std::mutex> l(impl_->mu);
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->runtime_service.CloseEvents();
  impl_->server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  impl_->server->Wait();
  unlink(socket_path_.c_str());
}

}  // namespace cubelet::cri
