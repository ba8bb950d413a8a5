#include "config/api_source.h"

#include <mutex>

#include "client/testing/fake_api_client.h"
#include "gtest/gtest.h"

namespace cubelet::config {
namespace {

using client::Verb;
using client::testing::FakeApiClient;
using nlohmann::json;

json ApiPod(const std::string& name, const std::string& uid, json extra_spec = json::object()) {
  json spec = {{"nodeName", "node-a"},
               {"containers", json::array({{{"name", "app"}, {"image", "busybox"}}})}};
  spec.update(extra_spec);
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name}, {"namespace", "default"}, {"uid", uid}, {"resourceVersion", "3"}}},
          {"spec", spec},
          {"status", {{"phase", "Pending"}}}};
}

class ApiSourceTest : public ::testing::Test {
 protected:
  std::vector<PodUpdate> Updates() {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_;
  }

  FakeApiClient api_;
  std::mutex mu_;
  std::vector<PodUpdate> updates_;
  std::vector<std::string> errors_;
  ApiSource source_{&api_, RealClock::Get(), "node-a",
                    [this](const PodUpdate& u) {
                      std::lock_guard<std::mutex> lock(mu_);
                      updates_.push_back(u);
                    },
                    [this](const std::string& e) {
                      std::lock_guard<std::mutex> lock(mu_);
                      errors_.push_back(e);
                    }};
};

TEST_F(ApiSourceTest, ListsAndWatchesThePodsBoundToTheNode) {
  api_.OnReturn(Verb::kGet, "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a",
                json{{"metadata", {{"resourceVersion", "10"}}},
                     {"items", json::array({ApiPod("a", "uid-a")})}});
  std::vector<std::vector<api::PodPtr>> mirror_sets;
  source_.SetMirrorHandler([&](const std::vector<api::PodPtr>& mirrors) {
    std::lock_guard<std::mutex> lock(mu_);
    mirror_sets.push_back(mirrors);
  });
  source_.Start();
  ASSERT_TRUE(api_.AwaitWatch("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a").has_value());
  EXPECT_TRUE(source_.HasSynced());
  std::vector<PodUpdate> u = Updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].op, PodOperation::kSet);
  EXPECT_EQ(u[0].source, "api");
  ASSERT_EQ(u[0].pods.size(), 1u);
  EXPECT_EQ(u[0].pods[0]->metadata.uid, "uid-a");
  EXPECT_EQ(u[0].pods[0]->spec.containers[0].image, "busybox");

  // Every change restates the whole set.
  api_.PushEvent({"ADDED", ApiPod("b", "uid-b")});
  json mirror = ApiPod("static-node-a", "uid-m");
  mirror["metadata"]["annotations"] = {{"kubernetes.io/config.mirror", "hash"}};
  api_.PushEvent({"ADDED", mirror});
  api_.PushEvent({"DELETED", ApiPod("a", "uid-a")});
  ASSERT_TRUE(api_.AwaitDelivered());
  u = Updates();
  ASSERT_EQ(u.size(), 3u) << "mirror pods are not workloads";
  EXPECT_EQ(u[1].pods.size(), 2u);
  ASSERT_EQ(u[2].pods.size(), 1u);
  EXPECT_EQ(u[2].pods[0]->metadata.uid, "uid-b");

  // Mirror pods go to the mirror handler: the initial (empty) set, then the new one.
  api_.PushEvent({"DELETED", mirror});
  ASSERT_TRUE(api_.AwaitDelivered());
  source_.Stop();
  EXPECT_EQ(Updates().size(), 3u);
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(mirror_sets.size(), 3u);
  EXPECT_TRUE(mirror_sets[0].empty());
  ASSERT_EQ(mirror_sets[1].size(), 1u);
  EXPECT_EQ(mirror_sets[1][0]->metadata.uid, "uid-m");
  EXPECT_EQ(mirror_sets[1][0]->metadata.annotations.at("kubernetes.io/config.mirror"), "hash");
  EXPECT_TRUE(mirror_sets[2].empty());
}

TEST_F(ApiSourceTest, UnsupportedFieldsAreCarriedForAdmissionToReject) {
  std::string error;
  api::PodPtr pod = ApiSource::DecodeApiPod(
      ApiPod("s", "uid-s",
             {{"volumes", json::array({{{"name", "v"}, {"nfs", {{"server", "s"}, {"path", "/"}}}},
                                       {{"name", "w"}, {"secret", {{"secretName", "x"}}}}})}}),
      &error);
  ASSERT_NE(pod, nullptr) << error;
  EXPECT_NE(pod->unsupported.find("spec.volumes[0].nfs"), std::string::npos) << pod->unsupported;
  EXPECT_EQ(pod->unsupported.find("needs cluster mode"), std::string::npos) << pod->unsupported;
  // Secrets (and ConfigMaps) are served to pods from the API server.
  EXPECT_EQ(pod->unsupported.find("secret"), std::string::npos) << pod->unsupported;
  ASSERT_TRUE(pod->spec.volumes[1].secret.has_value());
  EXPECT_EQ(pod->spec.volumes[1].secret->default_mode, 0644);

  pod = ApiSource::DecodeApiPod(ApiPod("ok", "uid-ok"), &error);
  ASSERT_NE(pod, nullptr);
  EXPECT_TRUE(pod->unsupported.empty());
  EXPECT_EQ(pod->spec.containers[0].termination_message_path, "/dev/termination-log")
      << "defaults applied";

  json bad = ApiPod("bad", "uid-bad");
  bad["spec"]["containers"][0]["ports"] = json::array({{{"containerPort", "abc"}}});
  EXPECT_EQ(ApiSource::DecodeApiPod(bad, &error), nullptr);
  EXPECT_NE(error.find("containerPort"), std::string::npos) << error;
}

}  // namespace
}  // namespace cubelet::config
