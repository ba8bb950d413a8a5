#include "mirror/mirror_pods.h"

#include <map>
#include <memory>
#include <set>

#include "client/testing/fake_api_client.h"
#include "gtest/gtest.h"

namespace cubelet::mirror {
namespace {

using client::ApiError;
using client::Verb;
using client::testing::FakeApiClient;
using nlohmann::json;

constexpr char kPodsPath[] = "/api/v1/namespaces/kube-system/pods";
constexpr char kPodPath[] = "/api/v1/namespaces/kube-system/pods/etcd-node-1";

class MirrorPodControllerTest : public ::testing::Test {
 protected:
  MirrorPodControllerTest()
      : controller_(&api_, &clock_, MirrorPodOptions{.node_name = "node-1"},
                    MirrorPodDeps{
                        .list_pods =
                            [this] {
                              std::vector<api::PodPtr> out;
                              for (const auto& [uid, pod] : pods_) out.push_back(pod);
                              return out;
                            },
                        .static_pod_terminating =
                            [this](const std::string& full_name) {
                              return terminating_.contains(full_name);
                            },
                        .node_uid = [this] { return node_uid_; },
                    }) {
    api_.On(Verb::kPost, kPodsPath, [this](const client::Request& r) {
      json created = r.body;
      created["metadata"]["uid"] = "mirror-" + std::to_string(++created_);
      return absl::StatusOr<json>(created);
    });
    api_.OnReturn(Verb::kDelete, kPodPath, json::object());
  }

  api::Pod& AddStaticPod(const std::string& hash = "hash-1") {
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = "etcd-node-1";
    pod->metadata.namespace_ = "kube-system";
    pod->metadata.uid = hash;
    pod->metadata.annotations[api::kConfigSourceAnnotation] = "file";
    pod->metadata.annotations[api::kConfigHashAnnotation] = hash;
    pod->spec.node_name = "node-1";
    api::Container c;
    c.name = "etcd";
    c.image = "etcd:3.6";
    pod->spec.containers.push_back(c);
    pods_.clear();
    pods_[hash] = pod;
    return *pod;
  }

  static api::PodPtr Mirror(const std::string& uid, const std::string& hash,
                            bool deleting = false) {
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = "etcd-node-1";
    pod->metadata.namespace_ = "kube-system";
    pod->metadata.uid = uid;
    pod->metadata.annotations[api::kConfigMirrorAnnotation] = hash;
    if (deleting) pod->metadata.deletion_timestamp = absl::UnixEpoch();
    return pod;
  }

  FakeClock clock_;
  FakeApiClient api_;
  std::map<std::string, api::PodPtr> pods_;
  std::set<std::string> terminating_;
  std::string node_uid_ = "node-uid";
  int created_ = 0;
  MirrorPodController controller_;
};

TEST_F(MirrorPodControllerTest, CreatesTheMirrorOwnedByTheNode) {
  const api::Pod& pod = AddStaticPod();
  EXPECT_EQ(controller_.SyncOnce(), 1);
  std::vector<client::Request> posts = api_.RequestsTo(Verb::kPost, kPodsPath);
  ASSERT_EQ(posts.size(), 1u);
  const json& body = posts[0].body;
  EXPECT_EQ(body["metadata"]["name"], "etcd-node-1");
  EXPECT_EQ(body["metadata"]["namespace"], "kube-system");
  EXPECT_FALSE(body["metadata"].contains("uid"));
  EXPECT_FALSE(body.contains("status"));
  EXPECT_EQ(body["metadata"]["annotations"][api::kConfigMirrorAnnotation], "hash-1");
  EXPECT_EQ(body["metadata"]["annotations"][api::kConfigSourceAnnotation], "file");
  EXPECT_EQ(body["metadata"]["ownerReferences"],
            json::parse(R"([{"apiVersion":"v1","kind":"Node","name":"node-1",
                            "uid":"node-uid","controller":true}])"));
  EXPECT_EQ(body["spec"]["containers"][0]["image"], "etcd:3.6");
  EXPECT_EQ(body["spec"]["nodeName"], "node-1");
  EXPECT_EQ(controller_.MirrorUid(pod), "mirror-1");
  // Known now: nothing more to write.
  EXPECT_EQ(controller_.SyncOnce(), 0);
  EXPECT_EQ(controller_.Writes(), 1);
}

TEST_F(MirrorPodControllerTest, WaitsForTheNode) {
  AddStaticPod();
  node_uid_.clear();
  EXPECT_EQ(controller_.SyncOnce(), 0);
  node_uid_ = "node-uid";
  EXPECT_EQ(controller_.SyncOnce(), 1);
}

TEST_F(MirrorPodControllerTest, AMatchingMirrorIsLeftAlone) {
  const api::Pod& pod = AddStaticPod();
  controller_.SetMirrorPods({Mirror("m-1", "hash-1")});
  EXPECT_EQ(controller_.SyncOnce(), 0);
  EXPECT_EQ(controller_.MirrorUid(pod), "m-1");
}

TEST_F(MirrorPodControllerTest, AStaleMirrorIsReplaced) {
  const api::Pod& pod = AddStaticPod("hash-2");
  controller_.SetMirrorPods({Mirror("m-1", "hash-1")});
  EXPECT_FALSE(controller_.MirrorUid(pod).has_value());
  EXPECT_EQ(controller_.SyncOnce(), 2);
  std::vector<client::Request> requests = api_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].verb, Verb::kDelete);
  EXPECT_EQ(requests[0].path, kPodPath);
  EXPECT_EQ(requests[0].body["gracePeriodSeconds"], 0);
  EXPECT_EQ(requests[0].body["preconditions"]["uid"], "m-1");
  EXPECT_EQ(requests[1].verb, Verb::kPost);
  EXPECT_EQ(requests[1].body["metadata"]["annotations"][api::kConfigMirrorAnnotation], "hash-2");
  EXPECT_EQ(controller_.MirrorUid(pod), "mirror-1");
}

// The changed static pod waits for the old one to terminate (its grace
// period); so does the replacement of its mirror (mirror_pod_grace_period_test).
TEST_F(MirrorPodControllerTest, AStaleMirrorStaysWhileThePodItMirrorsTerminates) {
  const api::Pod& pod = AddStaticPod("hash-2");
  controller_.SetMirrorPods({Mirror("m-1", "hash-1")});
  terminating_.insert(api::PodFullName(pod));
  EXPECT_EQ(controller_.SyncOnce(), 0);
  EXPECT_TRUE(api_.Requests().empty());
  terminating_.clear();
  EXPECT_EQ(controller_.SyncOnce(), 2);
  EXPECT_EQ(controller_.MirrorUid(pod), "mirror-1");
}

TEST_F(MirrorPodControllerTest, TheWatchLaggingBehindOurWritesCostsNoWrites) {
  const api::Pod& pod = AddStaticPod("hash-2");
  controller_.SetMirrorPods({Mirror("m-1", "hash-1")});
  EXPECT_EQ(controller_.SyncOnce(), 2);  // m-1 deleted, mirror-1 created
  // The watch now reports m-1 being deleted (grace 0 deletes go through a
  // deletionTimestamp first) and not yet mirror-1.
  controller_.SetMirrorPods({Mirror("m-1", "hash-1", /*deleting=*/true)});
  EXPECT_EQ(controller_.MirrorUid(pod), "mirror-1");
  EXPECT_EQ(controller_.SyncOnce(), 0);
  controller_.SetMirrorPods({Mirror("mirror-1", "hash-2")});
  EXPECT_EQ(controller_.SyncOnce(), 0);
  // Seen once, a mirror that later vanishes from the watch is gone for real.
  controller_.SetMirrorPods({});
  EXPECT_FALSE(controller_.MirrorUid(pod).has_value());
  EXPECT_EQ(controller_.SyncOnce(), 1);
}

TEST_F(MirrorPodControllerTest, AMirrorDeletedByAUserComesBack) {
  AddStaticPod();
  controller_.SetMirrorPods({Mirror("m-1", "hash-1", /*deleting=*/true)});
  EXPECT_EQ(controller_.SyncOnce(), 2);
  EXPECT_EQ(api_.RequestsTo(Verb::kDelete, kPodPath).size(), 1u);
  EXPECT_EQ(api_.RequestsTo(Verb::kPost, kPodsPath).size(), 1u);
}

TEST_F(MirrorPodControllerTest, TheMirrorGoesOnceItsStaticPodHasTerminated) {
  controller_.SetMirrorPods({Mirror("m-1", "hash-1")});
  terminating_.insert("etcd-node-1_kube-system");
  EXPECT_EQ(controller_.SyncOnce(), 0);
  terminating_.clear();
  EXPECT_EQ(controller_.SyncOnce(), 1);
  std::vector<client::Request> deletes = api_.RequestsTo(Verb::kDelete, kPodPath);
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].body["preconditions"]["uid"], "m-1");
  EXPECT_EQ(controller_.SyncOnce(), 0);
}

TEST_F(MirrorPodControllerTest, AMirrorAlreadyGoneOrReplacedCountsAsDeleted) {
  api_.OnReturn(Verb::kDelete, kPodPath,
                ApiError(409, "Conflict", "Precondition failed: UID in precondition: m-1"));
  controller_.SetMirrorPods({Mirror("m-1", "hash-1")});
  EXPECT_EQ(controller_.SyncOnce(), 1);
  EXPECT_EQ(controller_.SyncOnce(), 0);
}

TEST_F(MirrorPodControllerTest, FailedWritesBackOff) {
  AddStaticPod();
  api_.OnReturn(Verb::kPost, kPodsPath, ApiError(500, "InternalError", "etcd is down"));
  EXPECT_EQ(controller_.SyncOnce(), 1);
  EXPECT_EQ(controller_.SyncOnce(), 0);  // backing off 1 s
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(controller_.SyncOnce(), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(controller_.SyncOnce(), 0);  // now 2 s
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(controller_.SyncOnce(), 1);
}

TEST_F(MirrorPodControllerTest, AlreadyExistsWaitsForTheWatch) {
  const api::Pod& pod = AddStaticPod();
  api_.OnReturn(Verb::kPost, kPodsPath,
                ApiError(409, "AlreadyExists", "pods \"etcd-node-1\" already exists"));
  EXPECT_EQ(controller_.SyncOnce(), 1);
  EXPECT_FALSE(controller_.MirrorUid(pod).has_value());
  controller_.SetMirrorPods({Mirror("m-7", "hash-1")});
  EXPECT_EQ(controller_.SyncOnce(), 0);
  EXPECT_EQ(controller_.MirrorUid(pod), "m-7");
}

TEST_F(MirrorPodControllerTest, ApiPodsAreNeverMirrored) {
  api::Pod& pod = AddStaticPod();
  pod.metadata.annotations[api::kConfigSourceAnnotation] = api::kApiserverSource;
  EXPECT_EQ(controller_.SyncOnce(), 0);
}

TEST_F(MirrorPodControllerTest, RunsOnItsThreadWhenTouched) {
  AddStaticPod();
  controller_.Start();
  EXPECT_TRUE(api_.AwaitRequests(1));
  controller_.Stop();
  EXPECT_EQ(api_.RequestsTo(Verb::kPost, kPodsPath).size(), 1u);
}

}  // namespace
}  // namespace cubelet::mirror
