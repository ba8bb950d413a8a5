#include "status/api_status_syncer.h"

#include <map>
#include <memory>

#include "client/testing/fake_api_client.h"
#include "gtest/gtest.h"

namespace cubelet::status {
namespace {

using client::ApiError;
using client::Verb;
using client::testing::FakeApiClient;
using nlohmann::json;

constexpr char kPodPath[] = "/api/v1/namespaces/default/pods/web";

class ApiStatusSyncerTest : public ::testing::Test {
 protected:
  ApiStatusSyncerTest()
      : statuses_([this](const api::Pod& pod, const api::PodStatus*, const api::PodStatus&) {
          syncer_.Touch(pod.metadata.uid);
        }),
        syncer_(
            &api_, &statuses_, &clock_,
            [this] {
              std::vector<api::PodPtr> out;
              for (const auto& [uid, pod] : pods_) out.push_back(pod);
              return out;
            },
            [this](const std::string& uid) -> api::PodPtr {
              auto it = pods_.find(uid);
              return it == pods_.end() ? nullptr : it->second;
            }) {
    api_.On(Verb::kPatch, kPodPath, [](const client::Request& r) { return r.body; });
    api_.OnReturn(Verb::kDelete, kPodPath, json::object());
  }

  api::Pod& AddPod(const std::string& source = "api") {
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = "web";
    pod->metadata.namespace_ = "default";
    pod->metadata.uid = "uid-1";
    pod->metadata.annotations[api::kConfigSourceAnnotation] = source;
    pods_[pod->metadata.uid] = pod;
    return *pod;
  }

  void SetPhase(const std::string& phase) {
    api::PodStatus s;
    s.phase = phase;
    ASSERT_TRUE(statuses_.SetPodStatus(*pods_["uid-1"], s).ok());
  }

  FakeClock clock_;
  FakeApiClient api_;
  std::map<std::string, api::PodPtr> pods_;
  StatusManager statuses_;
  ApiStatusSyncer syncer_;
};

TEST_F(ApiStatusSyncerTest, ChangesInARowCostOnePatchOfTheNewestStatus) {
  AddPod();
  SetPhase(api::kPodPending);
  SetPhase(api::kPodRunning);
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  auto patches = api_.RequestsTo(Verb::kPatch, kPodPath);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].path, std::string(kPodPath) + "/status");
  EXPECT_EQ(patches[0].patch_type, client::PatchType::kStrategicMerge);
  EXPECT_EQ(patches[0].body["metadata"]["uid"], "uid-1") << "the UID precondition";
  EXPECT_EQ(patches[0].body["status"]["phase"], "Running");
  EXPECT_TRUE(patches[0].body["status"]["message"].is_null()) << "stale messages are cleared";
  EXPECT_EQ(syncer_.SyncOnce(true), 0) << "nothing new";
}

TEST(StatusPatchTest, ConditionsClearWhatTheyNoLongerSay) {
  api::Pod pod;
  pod.metadata.uid = "u";
  api::PodStatus status;
  status.phase = api::kPodRunning;
  status.host_ip = "10.0.0.5";
  status.conditions.push_back({.type = api::kPodReady, .status = api::kConditionTrue});
  json patch = StatusPatch(pod, status);
  const json& ready = patch["status"]["conditions"][0];
  EXPECT_EQ(ready["status"], "True");
  EXPECT_TRUE(ready["reason"].is_null()) << "a merge by type would keep the old reason";
  EXPECT_TRUE(ready["message"].is_null());
  EXPECT_EQ(patch["status"]["hostIPs"],
            json::array({{{"$patch", "replace"}}, {{"ip", "10.0.0.5"}}}));
}

// A pod that comes back with the same UID gets a new sandbox and a new IP:
// the API server must end up with that IP alone, not both (podIPs merge by
// "ip" in a strategic merge patch; two IPv4 addresses are refused).
TEST(StatusPatchTest, PodIpsReplaceWhatTheApiServerHas) {
  api::Pod pod;
  pod.metadata.uid = "u";
  api::PodStatus status;
  status.pod_ip = "10.88.0.55";
  status.pod_ips = {api::PodIP{.ip = "10.88.0.55"}};
  json patch = StatusPatch(pod, status);
  EXPECT_EQ(patch["status"]["podIPs"],
            json::array({{{"$patch", "replace"}}, {{"ip", "10.88.0.55"}}}));
  EXPECT_EQ(patch["status"]["podIP"], "10.88.0.55");

  json none = StatusPatch(pod, api::PodStatus{});
  EXPECT_EQ(none["status"]["podIPs"], json::array({{{"$patch", "replace"}}}));
  EXPECT_TRUE(none["status"]["podIP"].is_null());
}

TEST_F(ApiStatusSyncerTest, StaticPodsAreNotWrittenHere) {
  AddPod("file");
  SetPhase(api::kPodRunning);
  EXPECT_EQ(syncer_.SyncOnce(true), 0);
  EXPECT_TRUE(api_.Requests().empty());
}

TEST_F(ApiStatusSyncerTest, StaticPodStatusGoesToItsMirrorAgainWhenTheMirrorIsRecreated) {
  std::optional<std::string> mirror;
  ApiStatusSyncer syncer(
      &api_, &statuses_, &clock_, [this] { return std::vector<api::PodPtr>{pods_["uid-1"]}; },
      [this](const std::string& uid) { return pods_.count(uid) ? pods_[uid] : nullptr; },
      {.mirror_uid = [&](const api::Pod&) { return mirror; }});
  AddPod("file");
  SetPhase("Running");
  EXPECT_EQ(syncer.SyncOnce(true), 0) << "no mirror yet";

  mirror = "mirror-1";
  EXPECT_EQ(syncer.SyncOnce(true), 1);
  std::vector<client::Request> patches = api_.RequestsTo(Verb::kPatch, kPodPath);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].path, std::string(kPodPath) + "/status");
  EXPECT_EQ(patches[0].body["metadata"]["uid"], "mirror-1");
  EXPECT_EQ(patches[0].body["status"]["phase"], "Running");
  EXPECT_EQ(syncer.SyncOnce(true), 0);

  // Recreated (new UID): the same status is written to the new mirror.
  mirror = "mirror-2";
  EXPECT_EQ(syncer.SyncOnce(true), 1);
  patches = api_.RequestsTo(Verb::kPatch, kPodPath);
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[1].body["metadata"]["uid"], "mirror-2");

  // A mirror gone under us is no reason to delete anything or give up.
  api_.OnReturn(Verb::kPatch, kPodPath, ApiError(404, "NotFound", "pods \"web\" not found"));
  SetPhase("Succeeded");
  EXPECT_EQ(syncer.SyncOnce(true), 1);
  EXPECT_TRUE(api_.RequestsTo(Verb::kDelete, kPodPath).empty());
  api_.On(Verb::kPatch, kPodPath, [](const client::Request& r) { return r.body; });
  mirror = "mirror-3";
  EXPECT_EQ(syncer.SyncOnce(true), 1);
  EXPECT_EQ(api_.RequestsTo(Verb::kPatch, kPodPath).back().body["status"]["phase"], "Succeeded");
}

TEST_F(ApiStatusSyncerTest, FailedPatchIsRetriedWithBackoff) {
  AddPod();
  api_.OnReturn(Verb::kPatch, kPodPath, absl::UnavailableError("apiserver down"));
  SetPhase(api::kPodRunning);
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  EXPECT_EQ(syncer_.SyncOnce(false), 0) << "not before the back-off";
  api_.On(Verb::kPatch, kPodPath, [](const client::Request& r) { return r.body; });
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  EXPECT_EQ(syncer_.SyncOnce(true), 0) << "written: done";
}

TEST_F(ApiStatusSyncerTest, TerminalPhaseWaitsUntilTheWorkerFinished) {
  api::Pod& pod = AddPod();
  pod.status.phase = api::kPodPending;
  pod.status.reason = "";
  api::PodStatus s;
  s.phase = api::kPodFailed;
  s.message = "init container failed";
  api::ContainerStatus sidecar;
  sidecar.name = "sidecar";
  sidecar.state.running = api::ContainerStateRunning{};
  s.init_container_statuses = {sidecar};
  ASSERT_TRUE(statuses_.SetPodStatus(pod, s).ok());
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  auto patches = api_.RequestsTo(Verb::kPatch, kPodPath);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].body["status"]["phase"], "Pending")
      << "a sidecar may still be stopping: not Failed yet";

  statuses_.TerminatePod(pod);  // the worker finished: nothing can run any more
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  patches = api_.RequestsTo(Verb::kPatch, kPodPath);
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[1].body["status"]["phase"], "Failed");
}

TEST_F(ApiStatusSyncerTest, APodThatRunsNothingGoesFailedAtOnce) {
  api::Pod& pod = AddPod();
  pod.status.phase = api::kPodPending;
  SetPhase(api::kPodFailed);  // refused at admission: no container ever ran
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  EXPECT_EQ(api_.RequestsTo(Verb::kPatch, kPodPath).back().body["status"]["phase"], "Failed");
}

TEST_F(ApiStatusSyncerTest, DeletedPodLeavesTheApiOnlyOnceItsWorkerFinished) {
  api::Pod& pod = AddPod();
  SetPhase(api::kPodRunning);
  syncer_.SyncOnce(false);
  pod.metadata.deletion_timestamp = clock_.Now();
  SetPhase(api::kPodSucceeded);
  syncer_.SyncOnce(true);
  EXPECT_TRUE(api_.RequestsTo(Verb::kDelete, kPodPath).empty())
      << "terminal, but volumes and cgroup may still be held";

  statuses_.TerminatePod(pod);  // SyncTerminatedPod completed
  syncer_.SyncOnce(false);
  auto deletes = api_.RequestsTo(Verb::kDelete, kPodPath);
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].body["gracePeriodSeconds"], 0);
  EXPECT_EQ(deletes[0].body["preconditions"]["uid"], "uid-1");
  syncer_.SyncOnce(true);
  EXPECT_EQ(api_.RequestsTo(Verb::kDelete, kPodPath).size(), 1u) << "deleted once";
}

TEST_F(ApiStatusSyncerTest, DeletionAfterThePodFinishedIsFoundByTheResync) {
  api::Pod& pod = AddPod();
  SetPhase(api::kPodSucceeded);
  statuses_.TerminatePod(pod);
  syncer_.SyncOnce(false);
  EXPECT_TRUE(api_.RequestsTo(Verb::kDelete, kPodPath).empty());
  pod.metadata.deletion_timestamp = clock_.Now();  // kubectl delete, later
  syncer_.SyncOnce(true);
  EXPECT_EQ(api_.RequestsTo(Verb::kDelete, kPodPath).size(), 1u);
}

TEST_F(ApiStatusSyncerTest, PodReplacedInTheApiIsDropped) {
  AddPod();
  api_.OnReturn(Verb::kPatch, kPodPath,
                ApiError(409, "Conflict", "Precondition failed: UID in precondition: uid-1"));
  SetPhase(api::kPodRunning);
  EXPECT_EQ(syncer_.SyncOnce(false), 1);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(syncer_.SyncOnce(true), 0) << "not retried";
}

TEST_F(ApiStatusSyncerTest, ThreadWritesWhatTheListenerQueues) {
  AddPod();
  syncer_.Start();
  SetPhase(api::kPodRunning);
  EXPECT_TRUE(api_.AwaitRequests(1));
  syncer_.Stop();
  EXPECT_EQ(syncer_.Writes(), 1);
}

}  // namespace
}  // namespace cubelet::status
