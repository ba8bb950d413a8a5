// CriEventSource against a real gRPC server (InMemoryCriServer): a runtime
// without GetContainerEvents (Unimplemented, so the PLEG moves on), and one
// with it: starts, an OOM kill with its exit code, removals, cancellation.
#include "cri/grpc/cri_events.h"

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cri/grpc/grpc_runtime.h"
#include "cri/grpc/testing/in_memory_cri_server.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/v1/api.pb.h"

namespace cubelet::cri {
namespace {

namespace pb = ::runtime::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kImage[] = "docker.io/library/busybox:latest";

std::string Describe(const ContainerEvent& e) {
  std::string out = absl::StrCat(ToString(e.type), " ", e.container_id);
  if (e.exit_code.has_value()) absl::StrAppend(&out, " ", *e.exit_code);
  return out;
}

TEST(DecodeContainerEventResponseTest, TypesExitCodesAndOomKills) {
  pb::ContainerEventResponse r;
  r.set_container_id("c1");
  r.set_created_at(5'000'000'000);
  r.set_container_event_type(pb::CONTAINER_CREATED_EVENT);
  EXPECT_THAT(DecodeContainerEventResponse(r), IsEmpty());

  r.set_container_event_type(pb::CONTAINER_STARTED_EVENT);
  std::vector<ContainerEvent> started = DecodeContainerEventResponse(r);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(Describe(started[0]), "started c1");
  EXPECT_EQ(started[0].at, absl::FromUnixSeconds(5));

  // A sandbox's stop: no container status, exit 0.
  r.set_container_event_type(pb::CONTAINER_STOPPED_EVENT);
  std::vector<ContainerEvent> stopped = DecodeContainerEventResponse(r);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(Describe(stopped[0]), "exited c1 0");

  pb::ContainerStatus* other = r.add_containers_statuses();
  other->set_id("c2");
  other->set_state(pb::CONTAINER_EXITED);
  other->set_exit_code(9);
  pb::ContainerStatus* own = r.add_containers_statuses();
  own->set_id("c1");
  own->set_state(pb::CONTAINER_EXITED);
  own->set_exit_code(137);
  own->set_reason("OOMKilled");
  own->set_finished_at(7'000'000'000);
  std::vector<ContainerEvent> oom = DecodeContainerEventResponse(r);
  std::vector<std::string> described;
  for (const ContainerEvent& e : oom) described.push_back(Describe(e));
  EXPECT_THAT(described, ElementsAre("oom c1", "exited c1 137"));
  EXPECT_EQ(oom[1].at, absl::FromUnixSeconds(7));

  r.set_container_event_type(pb::CONTAINER_DELETED_EVENT);
  r.clear_containers_statuses();
  std::vector<ContainerEvent> deleted = DecodeContainerEventResponse(r);
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(Describe(deleted[0]), "deleted c1");

  r.set_container_id("");
  EXPECT_THAT(DecodeContainerEventResponse(r), IsEmpty());
}

class CriEventSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.AddImage(kImage);
    auto server = InMemoryCriServer::Start(&runtime_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto source = CriEventSource::Connect(server_->endpoint());
    ASSERT_TRUE(source.ok()) << source.status();
    source_ = *std::move(source);
  }

  InMemoryRuntime runtime_;
  std::unique_ptr<InMemoryCriServer> server_;
  std::unique_ptr<CriEventSource> source_;
};

TEST_F(CriEventSourceTest, ARuntimeWithoutTheCallIsUnimplemented) {
  bool ready = false;
  absl::Status ended = source_->Watch(
      CancelToken::Create(), [&] { ready = true; }, [](const ContainerEvent&) {});
  EXPECT_TRUE(absl::IsUnimplemented(ended)) << ended;
  EXPECT_FALSE(ready);
}

TEST_F(CriEventSourceTest, StreamsStartsExitsAndRemovalsUntilCancelled) {
  server_->ServeContainerEvents();
  CancelTokenPtr cancel = CancelToken::Create();
  absl::Notification live;
  std::mutex mu;
  std::vector<std::string> seen;
  absl::Status ended;
  std::thread watcher([&] {
    ended = source_->Watch(
        cancel, [&] { live.Notify(); },
        [&](const ContainerEvent& e) {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(Describe(e));
        });
  });
  ASSERT_TRUE(live.WaitForNotificationWithTimeout(absl::Seconds(5)));

  auto client = GrpcRuntime::Connect(server_->endpoint());
  ASSERT_TRUE(client.ok()) << client.status();
  PodSandboxConfig sandbox_config;
  sandbox_config.metadata = {.name = "p", .uid = "uid-p", .namespace_ = "default"};
  absl::StatusOr<std::string> sandbox = (*client)->RunPodSandbox(sandbox_config, "");
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  ContainerConfig config;
  config.metadata = {.name = "app"};
  config.image = {.image = kImage};
  absl::StatusOr<std::string> id = (*client)->CreateContainer(*sandbox, config, sandbox_config);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE((*client)->StartContainer(*id).ok());
  ASSERT_TRUE(runtime_.ExitContainer(*id, 137, "OOMKilled").ok());
  ASSERT_TRUE((*client)->RemoveContainer(*id).ok());

  auto has_all = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return seen.size() >= 4;
  };
  for (int i = 0; i < 500 && !has_all(); ++i) absl::SleepFor(absl::Milliseconds(10));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_THAT(seen,
                ElementsAre(absl::StrCat("started ", *id), absl::StrCat("oom ", *id),
                            absl::StrCat("exited ", *id, " 137"), absl::StrCat("deleted ", *id)));
  }
  cancel->Cancel();
  watcher.join();
  EXPECT_TRUE(absl::IsCancelled(ended)) << ended;
}

}  // namespace
}  // namespace cubelet::cri
