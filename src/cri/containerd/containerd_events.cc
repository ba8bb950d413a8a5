#include "cri/containerd/containerd_events.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "containerd/events.grpc.pb.h"
#include "containerd/events.pb.h"
#include "containerd/task_events.pb.h"
#include "cri/grpc/convert.h"
#include "cri/grpc/event_stream.h"
#include "grpcpp/grpcpp.h"
#include "util/random.h"

namespace cubelet::cri::containerd {
namespace {

namespace pb = ::containerd::services::events::v1;
namespace ev = ::containerd::events;

constexpr char kMarkerTopic[] = "/cubelet/subscribed";
constexpr char kMarkerType[] = "cubelet.subscribed";
constexpr const char* kTopics[] = {"/tasks/start", "/tasks/exit", "/tasks/oom",
                                   "/containers/delete", kMarkerTopic};
// Between marker publications while waiting for the first one to come back.
constexpr absl::Duration kMarkerInterval = absl::Milliseconds(50);

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

std::optional<ContainerEvent> DecodeEnvelope(const pb::Envelope& envelope,
                                             const std::string& namespace_) {
  if (envelope.namespace_() != namespace_) return std::nullopt;
  const std::string& topic = envelope.topic();
  const std::string& payload = envelope.event().value();
  ContainerEvent e;
  if (topic == "/tasks/start") {
    ev::TaskStart m;
    if (!m.ParseFromString(payload)) return std::nullopt;
    e.type = ContainerEvent::Type::kStarted;
    e.container_id = m.container_id();
    e.at = FromTimestamp(envelope.timestamp());
  } else if (topic == "/tasks/exit") {
    ev::TaskExit m;
    if (!m.ParseFromString(payload)) return std::nullopt;
    // An exec's exit (a probe, kubectl exec) is not the container's.
    if (!m.id().empty() && m.id() != m.container_id()) return std::nullopt;
    e.type = ContainerEvent::Type::kExited;
    e.container_id = m.container_id();
    e.exit_code = static_cast<int32_t>(m.exit_status());
    e.at = FromTimestamp(m.exited_at());
  } else if (topic == "/tasks/oom") {
    ev::TaskOOM m;
    if (!m.ParseFromString(payload)) return std::nullopt;
    e.type = ContainerEvent::Type::kOomKilled;
    e.container_id = m.container_id();
    e.at = FromTimestamp(envelope.timestamp());
  } else if (topic == "/containers/delete") {
    ev::ContainerDelete m;
    if (!m.ParseFromString(payload)) return std::nullopt;
    e.type = ContainerEvent::Type::kDeleted;
    e.container_id = m.id();
    e.at = FromTimestamp(envelope.timestamp());
  } else {
    return std::nullopt;
  }
  if (e.container_id.empty()) return std::nullopt;
  return e;
}

struct ContainerdEventSource::Stubs {
  std::shared_ptr<::grpc::Channel> channel;
  std::unique_ptr<pb::Events::Stub> events;
};

absl::StatusOr<std::unique_ptr<ContainerdEventSource>> ContainerdEventSource::Connect(
    const std::string& endpoint, Options options) {
  absl::StatusOr<std::shared_ptr<::grpc::Channel>> channel = NewEventStreamChannel(endpoint);
  if (!channel.ok()) return channel.status();
  auto stubs = std::make_unique<Stubs>();
  stubs->channel = *std::move(channel);
  stubs->events = pb::Events::NewStub(stubs->channel);
  return std::unique_ptr<ContainerdEventSource>(
      new ContainerdEventSource(std::move(options), std::move(stubs)));
}

ContainerdEventSource::ContainerdEventSource(Options options, std::unique_ptr<Stubs> stubs)
    : options_(std::move(options)), stubs_(std::move(stubs)) {}

ContainerdEventSource::~ContainerdEventSource() = default;

absl::Status ContainerdEventSource::Watch(
    const CancelTokenPtr& cancel, const std::function<void()>& on_ready,
    const std::function<void(const ContainerEvent&)>& on_event) {
  if (cancel->IsCancelled()) return CancelledError("watch cancelled");
  // Shared with the cancel callback, which may run after Watch returned.
  auto ctx = std::make_shared<::grpc::ClientContext>();
  ctx->set_wait_for_ready(false);
  cancel->OnCancel([ctx] { ctx->TryCancel(); });

  pb::SubscribeRequest request;
  for (const char* topic : kTopics) {
    request.add_filters(
        absl::StrCat("namespace==\"", options_.namespace_, "\",topic==\"", topic, "\""));
  }
  std::unique_ptr<::grpc::ClientReader<pb::Envelope>> reader =
      stubs_->events->Subscribe(ctx.get(), request);

  // The marker: published until it comes back on this stream, which proves
  // the subscription live.
  const std::string token =
      absl::StrCat(absl::ToUnixNanos(absl::Now()), "-", static_cast<uint64_t>(RandomUnit() * 1e18));
  StreamReadiness readiness(on_ready);
  std::thread marker([&] {
    const absl::Time give_up = absl::Now() + options_.ready_timeout;
    for (;;) {
      ::grpc::ClientContext publish_ctx;
      publish_ctx.AddMetadata("containerd-namespace", options_.namespace_);
      publish_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      pb::PublishRequest publish;
      publish.set_topic(kMarkerTopic);
      publish.mutable_event()->set_type_url(kMarkerType);
      publish.mutable_event()->set_value(token);
      google::protobuf::Empty empty;
      // A failed publish (containerd going away) leaves the stream not
      // ready: the caller keeps relisting often, which is always safe.
      if (!stubs_->events->Publish(&publish_ctx, publish, &empty).ok()) return;
      if (absl::Now() > give_up) return;
      if (readiness.WaitFor(kMarkerInterval)) return;  // the marker came back, or the stream ended
    }
  });

  pb::Envelope envelope;
  while (reader->Read(&envelope)) {
    if (envelope.topic() == kMarkerTopic) {
      if (envelope.event().value() == token) readiness.Fire();
      continue;
    }
    if (std::optional<ContainerEvent> e = DecodeEnvelope(envelope, options_.namespace_)) {
      on_event(*e);
    }
  }
  ::grpc::Status finished = reader->Finish();
  readiness.Done();
  marker.join();

  if (cancel->IsCancelled()) return CancelledError("watch cancelled");
  if (finished.ok()) return absl::UnavailableError("containerd ended the event stream");
  return convert::FromGrpcStatus(finished, "Events/Subscribe", absl::InfiniteDuration());
}

}  // namespace cubelet::cri::containerd
