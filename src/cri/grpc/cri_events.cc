#include "cri/grpc/cri_events.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cri/grpc/convert.h"
#include "grpcpp/grpcpp.h"
#include "runtime/v1/api.grpc.pb.h"
#include "runtime/v1/api.pb.h"

namespace cubelet::cri {
namespace {

namespace pb = ::runtime::v1;

absl::Time FromNanos(int64_t ns) {
  return ns == 0 ? absl::InfinitePast() : absl::FromUnixNanos(ns);
}

}  // namespace

std::vector<ContainerEvent> DecodeContainerEventResponse(const pb::ContainerEventResponse& r) {
  if (r.container_id().empty()) return {};
  ContainerEvent e{.container_id = r.container_id(), .at = FromNanos(r.created_at())};
  switch (r.container_event_type()) {
    case pb::CONTAINER_STARTED_EVENT:
      e.type = ContainerEvent::Type::kStarted;
      return {e};
    case pb::CONTAINER_STOPPED_EVENT: {
      e.type = ContainerEvent::Type::kExited;
      bool oom = false;
      for (const pb::ContainerStatus& s : r.containers_statuses()) {
        if (s.id() != r.container_id()) continue;
        if (s.state() == pb::CONTAINER_EXITED) e.exit_code = s.exit_code();
        if (s.finished_at() != 0) e.at = FromNanos(s.finished_at());
        oom = s.reason() == "OOMKilled";
      }
      // A sandbox's stop carries no container status of its own.
      if (!e.exit_code.has_value()) e.exit_code = 0;
      if (!oom) return {e};
      ContainerEvent killed = e;
      killed.type = ContainerEvent::Type::kOomKilled;
      killed.exit_code.reset();
      return {killed, e};
    }
    case pb::CONTAINER_DELETED_EVENT:
      e.type = ContainerEvent::Type::kDeleted;
      return {e};
    default:  // CONTAINER_CREATED: nothing runs yet, nothing to re-read
      return {};
  }
}

struct CriEventSource::Stubs {
  std::shared_ptr<::grpc::Channel> channel;
  std::unique_ptr<pb::RuntimeService::Stub> runtime;
};

absl::StatusOr<std::unique_ptr<CriEventSource>> CriEventSource::Connect(const std::string& endpoint,
                                                                        Options options) {
  absl::StatusOr<std::string> target = convert::NormalizeEndpoint(endpoint);
  if (!target.ok()) return target.status();
  ::grpc::ChannelArguments args;
  // Back soon after a runtime restart (the relist covers the gap meanwhile).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
  auto stubs = std::make_unique<Stubs>();
  stubs->channel = ::grpc::CreateCustomChannel(*target, ::grpc::InsecureChannelCredentials(), args);
  if (stubs->channel == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a gRPC channel to ", *target));
  }
  stubs->runtime = pb::RuntimeService::NewStub(stubs->channel);
  return std::unique_ptr<CriEventSource>(new CriEventSource(options, std::move(stubs)));
}

CriEventSource::CriEventSource(Options options, std::unique_ptr<Stubs> stubs)
    : options_(options), stubs_(std::move(stubs)) {}

CriEventSource::~CriEventSource() = default;

absl::Status CriEventSource::Watch(const CancelTokenPtr& cancel,
                                   const std::function<void()>& on_ready,
                                   const std::function<void(const ContainerEvent&)>& on_event) {
  if (cancel->IsCancelled()) return CancelledError("watch cancelled");
  // Shared with the cancel callback, which may run after Watch returned.
  auto ctx = std::make_shared<::grpc::ClientContext>();
  ctx->set_wait_for_ready(false);
  cancel->OnCancel([ctx] { ctx->TryCancel(); });
  std::unique_ptr<::grpc::ClientReader<pb::ContainerEventResponse>> reader =
      stubs_->runtime->GetContainerEvents(ctx.get(), pb::GetEventsRequest());

  // Live once the call has stood for ready_after (or at the first event).
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  bool done = false;
  auto fire_ready = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (ready || done) return;
      ready = true;
    }
    cv.notify_all();
    on_ready();
  };
  std::thread timer([&] {
    {
      std::unique_lock<std::mutex> lock(mu);
      if (cv.wait_for(lock, absl::ToChronoNanoseconds(options_.ready_after),
                      [&] { return ready || done; })) {
        return;
      }
    }
    fire_ready();
  });

  pb::ContainerEventResponse response;
  while (reader->Read(&response)) {
    fire_ready();
    for (const ContainerEvent& e : DecodeContainerEventResponse(response)) on_event(e);
  }
  ::grpc::Status finished = reader->Finish();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  timer.join();

  if (cancel->IsCancelled()) return CancelledError("watch cancelled");
  if (finished.ok()) return absl::UnavailableError("the runtime ended the CRI event stream");
  return convert::FromGrpcStatus(finished, "GetContainerEvents", absl::InfiniteDuration());
}

}  // namespace cubelet::cri
