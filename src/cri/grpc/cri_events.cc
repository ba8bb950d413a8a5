#include "cri/grpc/cri_events.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cri/grpc/convert.h"
#include "cri/grpc/event_stream.h"
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
  absl::StatusOr<std::shared_ptr<::grpc::Channel>> channel = NewEventStreamChannel(endpoint);
  if (!channel.ok()) return channel.status();
  auto stubs = std::make_unique<Stubs>();
  stubs->channel = *std::move(channel);
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
  StreamReadiness readiness(on_ready);
  std::thread timer([&] {
    if (!readiness.WaitFor(options_.ready_after)) readiness.Fire();
  });

  pb::ContainerEventResponse response;
  while (reader->Read(&response)) {
    readiness.Fire();
    for (const ContainerEvent& e : DecodeContainerEventResponse(response)) on_event(e);
  }
  ::grpc::Status finished = reader->Finish();
  readiness.Done();
  timer.join();

  if (cancel->IsCancelled()) return CancelledError("watch cancelled");
  if (finished.ok()) return absl::UnavailableError("the runtime ended the CRI event stream");
  return convert::FromGrpcStatus(finished, "GetContainerEvents", absl::InfiniteDuration());
}

}  // namespace cubelet::cri
