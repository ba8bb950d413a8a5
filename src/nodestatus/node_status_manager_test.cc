#include "nodestatus/node_status_manager.h"

#include "client/testing/fake_api_client.h"
#include "events/testing/fake_recorder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::nodestatus {
namespace {

using client::ApiError;
using client::Verb;
using client::testing::FakeApiClient;
using nlohmann::json;

events::testing::FakeRecorder& Recorder() {
  static events::testing::FakeRecorder recorder;
  return recorder;
}

NodeStatusOptions Options() {
  NodeStatusOptions o;
  o.config.name = "node-a";
  o.config.node_ip = "10.0.0.5";
  o.machine.hostname = "node-a";
  o.machine.architecture = "amd64";
  o.machine.num_cores = 2;
  o.recorder = &Recorder();
  return o;
}

class NodeStatusManagerTest : public ::testing::Test {
 protected:
  NodeStatusManagerTest()
      : recorder_(Recorder()), manager_(&api_, &clock_, Options(), [this] {
          return NodeInputs{
              .runtime_name = "containerd", .runtime_version = "1.6.20", .readiness = readiness_};
        }) {
    api_.On(Verb::kPatch, "/api/v1/nodes/node-a/status",
            [](const client::Request& r) { return r.body; });
  }

  FakeClock clock_;
  FakeApiClient api_;
  events::testing::FakeRecorder& recorder_;
  absl::Status readiness_;
  NodeStatusManager manager_;
};

TEST_F(NodeStatusManagerTest, RegistersThenReportsOnlyChangesAndEveryReportPeriod) {
  api_.OnReturn(Verb::kPost, "/api/v1/nodes", json{{"metadata", {{"uid", "node-uid"}}}});
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_EQ(manager_.NodeUid(), "node-uid");
  auto posts = api_.RequestsTo(Verb::kPost, "/api/v1/nodes");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].body["metadata"]["labels"]["kubernetes.io/hostname"], "node-a");
  auto patches = api_.RequestsTo(Verb::kPatch, "/api/v1/nodes/node-a/status");
  ASSERT_EQ(patches.size(), 1u) << "the first status goes out at once";
  EXPECT_EQ(patches[0].patch_type, client::PatchType::kStrategicMerge);
  EXPECT_EQ(patches[0].body["status"]["conditions"][3]["status"], "True");

  // Unchanged: nothing sent until the report period has passed.
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_EQ(api_.RequestsTo(Verb::kPatch, "/api/v1/nodes/").size(), 1u);
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_EQ(api_.RequestsTo(Verb::kPatch, "/api/v1/nodes/").size(), 2u);

  // A change goes out on the next check, with its reason.
  readiness_ = absl::UnavailableError("container runtime is down");
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(manager_.SyncOnce().ok());
  patches = api_.RequestsTo(Verb::kPatch, "/api/v1/nodes/");
  ASSERT_EQ(patches.size(), 3u);
  const json& ready = patches[2].body["status"]["conditions"][3];
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "KubeletNotReady");
  EXPECT_EQ(ready["message"], "container runtime is down");
  EXPECT_EQ(api_.RequestsTo(Verb::kPost, "/api/v1/nodes").size(), 1u) << "registered once";
}

TEST_F(NodeStatusManagerTest, ExistingNodeIsAdoptedAndItsDefaultLabelsPutBack) {
  api_.OnReturn(Verb::kPost, "/api/v1/nodes",
                ApiError(409, "AlreadyExists", "nodes \"node-a\" already exists"));
  api_.OnReturn(Verb::kGet, "/api/v1/nodes/node-a",
                json{{"metadata",
                      {{"name", "node-a"},
                       {"uid", "old-uid"},
                       {"labels", {{"kubernetes.io/hostname", "node-a"}, {"team", "x"}}}}},
                     {"status", json::object()}});
  api_.On(Verb::kPatch, "/api/v1/nodes/node-a", [](const client::Request& r) { return r.body; });
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_EQ(manager_.NodeUid(), "old-uid");
  std::vector<client::Request> label_patches;
  for (const client::Request& r : api_.RequestsTo(Verb::kPatch, "/api/v1/nodes/node-a")) {
    if (r.path == "/api/v1/nodes/node-a") label_patches.push_back(r);
  }
  ASSERT_EQ(label_patches.size(), 1u);
  const json& labels = label_patches[0].body["metadata"]["labels"];
  EXPECT_EQ(labels["kubernetes.io/os"], "linux");
  EXPECT_FALSE(labels.contains("kubernetes.io/hostname")) << "already right: left alone";
  EXPECT_FALSE(labels.contains("team"));
}

TEST_F(NodeStatusManagerTest, RegistrationErrorIsReportedAndRetried) {
  api_.OnReturn(Verb::kPost, "/api/v1/nodes", absl::UnavailableError("connection refused"));
  absl::Status s = manager_.SyncOnce();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("unable to register node node-a"), std::string::npos) << s;
  EXPECT_FALSE(manager_.Registered());
  api_.OnReturn(Verb::kPost, "/api/v1/nodes", json{{"metadata", {{"uid", "u"}}}});
  EXPECT_TRUE(manager_.SyncOnce().ok());
  EXPECT_TRUE(manager_.Registered());
}

TEST_F(NodeStatusManagerTest, NodeEventsAsTheKubeletsConditionSettersRecordThem) {
  recorder_.Clear();
  api_.OnReturn(Verb::kPost, "/api/v1/nodes", json{{"metadata", {{"uid", "node-uid"}}}});
  readiness_ = absl::UnavailableError("container runtime status check may not have completed yet");
  ASSERT_TRUE(manager_.SyncOnce().ok());
  // The first status: each pressure condition's first value; no Ready
  // event, for there was no Ready condition to change.
  EXPECT_THAT(recorder_.Events(),
              ::testing::ElementsAre("Normal NodeHasSufficientMemory Node node-a status is now: "
                                     "NodeHasSufficientMemory",
                                     "Normal NodeHasNoDiskPressure Node node-a status is now: "
                                     "NodeHasNoDiskPressure",
                                     "Normal NodeHasSufficientPID Node node-a status is now: "
                                     "NodeHasSufficientPID"));
  std::vector<events::testing::FakeRecorder::Recorded> recorded = recorder_.RecordedEvents();
  EXPECT_EQ(recorded[0].object.kind, "Node");
  EXPECT_EQ(recorded[0].object.uid, "node-a") << "the kubelet's nodeRef: the name as UID";

  recorder_.Clear();
  readiness_ = absl::OkStatus();
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_THAT(recorder_.Events(),
              ::testing::ElementsAre("Normal NodeReady Node node-a status is now: NodeReady"));

  recorder_.Clear();
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_TRUE(recorder_.Events().empty()) << "nothing changed";

  readiness_ = absl::UnavailableError("container runtime is down");
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_THAT(
      recorder_.Events(),
      ::testing::ElementsAre("Normal NodeNotReady Node node-a status is now: NodeNotReady"));
}

TEST_F(NodeStatusManagerTest, StartRecordsStartingOnTheNode) {
  recorder_.Clear();
  // Unregistrable, so the manager's own turns record nothing else.
  api_.OnReturn(Verb::kPost, "/api/v1/nodes", absl::UnavailableError("connection refused"));
  manager_.Start();
  manager_.Stop();
  EXPECT_THAT(recorder_.Events(), ::testing::ElementsAre("Normal Starting Starting kubelet."));
  EXPECT_EQ(recorder_.RecordedEvents()[0].object.kind, "Node");
}

TEST_F(NodeStatusManagerTest, AdoptedNodeThatIsAlreadyReadyRecordsNoConditionEvents) {
  recorder_.Clear();
  api_.OnReturn(Verb::kPost, "/api/v1/nodes",
                ApiError(409, "AlreadyExists", "nodes \"node-a\" already exists"));
  api_.OnReturn(Verb::kGet, "/api/v1/nodes/node-a",
                json{{"metadata", {{"name", "node-a"}, {"uid", "old-uid"}}},
                     {"status",
                      {{"conditions",
                        {{{"type", "MemoryPressure"}, {"status", "False"}},
                         {{"type", "DiskPressure"}, {"status", "False"}},
                         {{"type", "PIDPressure"}, {"status", "False"}},
                         {{"type", "Ready"}, {"status", "True"}}}}}}});
  api_.On(Verb::kPatch, "/api/v1/nodes/node-a", [](const client::Request& r) { return r.body; });
  ASSERT_TRUE(manager_.SyncOnce().ok());
  EXPECT_TRUE(recorder_.Events().empty());
}

}  // namespace
}  // namespace cubelet::nodestatus
