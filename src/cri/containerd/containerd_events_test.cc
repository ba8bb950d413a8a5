#include "cri/containerd/containerd_events.h"

#include "containerd/events.pb.h"
#include "containerd/task_events.pb.h"
#include "gtest/gtest.h"

namespace cubelet::cri::containerd {
namespace {

namespace pb = ::containerd::services::events::v1;
namespace ev = ::containerd::events;

pb::Envelope Envelope(const std::string& ns, const std::string& topic,
                      const google::protobuf::Message& event) {
  pb::Envelope e;
  e.set_namespace_(ns);
  e.set_topic(topic);
  e.mutable_timestamp()->set_seconds(1700000000);
  e.mutable_event()->set_type_url("containerd.events." + event.GetDescriptor()->name());
  e.mutable_event()->set_value(event.SerializeAsString());
  return e;
}

TEST(DecodeEnvelopeTest, TaskExitOfTheInitProcessIsAContainerExit) {
  ev::TaskExit exit;
  exit.set_container_id("c1");
  exit.set_id("c1");
  exit.set_pid(42);
  exit.set_exit_status(137);
  exit.mutable_exited_at()->set_seconds(1700000001);
  exit.mutable_exited_at()->set_nanos(500);
  std::optional<ContainerEvent> e =
      DecodeEnvelope(Envelope("k8s.io", "/tasks/exit", exit), "k8s.io");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, ContainerEvent::Type::kExited);
  EXPECT_EQ(e->container_id, "c1");
  EXPECT_EQ(e->exit_code, 137);
  EXPECT_EQ(e->at, absl::FromUnixSeconds(1700000001) + absl::Nanoseconds(500));
}

TEST(DecodeEnvelopeTest, AnExecsExitIsNotTheContainers) {
  ev::TaskExit exit;
  exit.set_container_id("c1");
  exit.set_id("exec-probe-7");
  EXPECT_FALSE(DecodeEnvelope(Envelope("k8s.io", "/tasks/exit", exit), "k8s.io").has_value());
}

TEST(DecodeEnvelopeTest, StartOomAndContainerDelete) {
  ev::TaskStart start;
  start.set_container_id("s1");
  start.set_pid(7);
  std::optional<ContainerEvent> e =
      DecodeEnvelope(Envelope("k8s.io", "/tasks/start", start), "k8s.io");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, ContainerEvent::Type::kStarted);
  EXPECT_EQ(e->container_id, "s1");
  EXPECT_EQ(e->at, absl::FromUnixSeconds(1700000000));

  ev::TaskOOM oom;
  oom.set_container_id("c2");
  e = DecodeEnvelope(Envelope("k8s.io", "/tasks/oom", oom), "k8s.io");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, ContainerEvent::Type::kOomKilled);
  EXPECT_EQ(e->container_id, "c2");

  ev::ContainerDelete del;
  del.set_id("c3");
  e = DecodeEnvelope(Envelope("k8s.io", "/containers/delete", del), "k8s.io");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, ContainerEvent::Type::kDeleted);
  EXPECT_EQ(e->container_id, "c3");
}

TEST(DecodeEnvelopeTest, OtherNamespacesTopicsAndGarbageAreDropped) {
  ev::TaskExit exit;
  exit.set_container_id("c1");
  EXPECT_FALSE(DecodeEnvelope(Envelope("moby", "/tasks/exit", exit), "k8s.io").has_value());
  EXPECT_FALSE(DecodeEnvelope(Envelope("k8s.io", "/images/create", exit), "k8s.io").has_value());
  pb::Envelope garbage = Envelope("k8s.io", "/tasks/exit", exit);
  garbage.mutable_event()->set_value("\xff\xff\xff");
  EXPECT_FALSE(DecodeEnvelope(garbage, "k8s.io").has_value());
  ev::TaskExit nameless;
  EXPECT_FALSE(DecodeEnvelope(Envelope("k8s.io", "/tasks/exit", nameless), "k8s.io").has_value());
}

TEST(ContainerdEventSourceTest, ConnectRefusesNonUnixEndpoints) {
  EXPECT_EQ(ContainerdEventSource::Connect("tcp://127.0.0.1:1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ContainerdEventSource::Connect("/run/containerd/containerd.sock").ok());
}

TEST(ContainerdEventSourceTest, WatchOnAMissingSocketEndsUnavailableWithoutReady) {
  auto source = ContainerdEventSource::Connect("/nonexistent/containerd.sock");
  ASSERT_TRUE(source.ok());
  bool ready = false;
  absl::Status s = (*source)->Watch(
      CancelToken::Create(), [&] { ready = true; }, [](const ContainerEvent&) {});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_FALSE(ready);
}

TEST(ContainerdEventSourceTest, CancelledBeforeWatchReturnsCancelled) {
  auto source = ContainerdEventSource::Connect("/nonexistent/containerd.sock");
  ASSERT_TRUE(source.ok());
  CancelTokenPtr cancel = CancelToken::Create();
  cancel->Cancel();
  EXPECT_EQ((*source)
                ->Watch(
                    cancel, [] {}, [](const ContainerEvent&) {})
                .code(),
            absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace cubelet::cri::containerd
