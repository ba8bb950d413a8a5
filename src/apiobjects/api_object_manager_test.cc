#include "apiobjects/api_object_manager.h"

#include "client/testing/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet::apiobjects {
namespace {

using client::ApiError;
using client::Verb;
using json = nlohmann::json;

constexpr char kConfigMapPath[] = "/api/v1/namespaces/ns/configmaps/cfg";
constexpr char kSecretPath[] = "/api/v1/namespaces/ns/secrets/s";

json ConfigMapObject(const std::string& value, bool immutable = false) {
  json j = {{"metadata", {{"namespace", "ns"}, {"name", "cfg"}}}, {"data", {{"k", value}}}};
  if (immutable) j["immutable"] = true;
  return j;
}

class ApiObjectManagerTest : public ::testing::Test {
 protected:
  client::testing::FakeApiClient api_;
  FakeClock clock_;
  ApiObjectManager manager_{&api_, &clock_, absl::Seconds(10)};
};

TEST_F(ApiObjectManagerTest, GetsTheObjectByPath) {
  api_.OnReturn(Verb::kGet, kConfigMapPath, ConfigMapObject("v1"));
  absl::StatusOr<ConfigMapPtr> cm = manager_.GetConfigMap("ns", "cfg");
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ((*cm)->data.at("k"), "v1");
  ASSERT_EQ(api_.Requests().size(), 1u);
  EXPECT_EQ(api_.Requests()[0].path, kConfigMapPath);
}

TEST_F(ApiObjectManagerTest, AnswersFromTheCacheWithinTheTtlThenFetchesAgain) {
  api_.OnReturn(Verb::kGet, kConfigMapPath, ConfigMapObject("v1"));
  ASSERT_TRUE(manager_.GetConfigMap("ns", "cfg").ok());
  api_.OnReturn(Verb::kGet, kConfigMapPath, ConfigMapObject("v2"));
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ((*manager_.GetConfigMap("ns", "cfg"))->data.at("k"), "v1");
  EXPECT_EQ(manager_.fetches(), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ((*manager_.GetConfigMap("ns", "cfg"))->data.at("k"), "v2");
  EXPECT_EQ(manager_.fetches(), 2);
}

TEST_F(ApiObjectManagerTest, ImmutableObjectsAreNotFetchedAgain) {
  api_.OnReturn(Verb::kGet, kConfigMapPath, ConfigMapObject("v1", /*immutable=*/true));
  ASSERT_TRUE(manager_.GetConfigMap("ns", "cfg").ok());
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(manager_.GetConfigMap("ns", "cfg").ok());
  EXPECT_EQ(manager_.fetches(), 1);
}

TEST_F(ApiObjectManagerTest, NotFoundIsTheKubeletsMessageAndIsNotCached) {
  api_.OnReturn(Verb::kGet, kSecretPath, ApiError(404, "NotFound", "secrets \"s\" not found"));
  absl::StatusOr<SecretPtr> secret = manager_.GetSecret("ns", "s");
  ASSERT_TRUE(absl::IsNotFound(secret.status())) << secret.status();
  EXPECT_EQ(secret.status().message(), "secret \"s\" not found");
  // Created a moment later: the next Get sees it.
  api_.OnReturn(
      Verb::kGet, kSecretPath,
      json{{"metadata", {{"namespace", "ns"}, {"name", "s"}}}, {"data", {{"p", "cGFzcw=="}}}});
  secret = manager_.GetSecret("ns", "s");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ((*secret)->data.at("p"), "pass");
}

TEST_F(ApiObjectManagerTest, DeletedObjectIsForgotten) {
  api_.OnReturn(Verb::kGet, kConfigMapPath, ConfigMapObject("v1"));
  ASSERT_TRUE(manager_.GetConfigMap("ns", "cfg").ok());
  clock_.Advance(absl::Seconds(10));
  api_.OnReturn(Verb::kGet, kConfigMapPath, ApiError(404, "NotFound", ""));
  EXPECT_TRUE(absl::IsNotFound(manager_.GetConfigMap("ns", "cfg").status()));
  EXPECT_TRUE(absl::IsNotFound(manager_.GetConfigMap("ns", "cfg").status()));
  EXPECT_EQ(manager_.fetches(), 3);
}

TEST_F(ApiObjectManagerTest, OtherErrorsPassThrough) {
  api_.OnReturn(Verb::kGet, kConfigMapPath,
                ApiError(403, "Forbidden", "no relationship found between node and this object"));
  absl::StatusOr<ConfigMapPtr> cm = manager_.GetConfigMap("ns", "cfg");
  EXPECT_TRUE(absl::IsPermissionDenied(cm.status())) << cm.status();
  EXPECT_THAT(cm.status().message(), ::testing::HasSubstr("no relationship found"));
}

TEST_F(ApiObjectManagerTest, ConfigMapsAndSecretsOfTheSameNameAreDistinct) {
  api_.OnReturn(Verb::kGet, "/api/v1/namespaces/ns/configmaps/x",
                json{{"metadata", {{"name", "x"}}}, {"data", {{"k", "cm"}}}});
  api_.OnReturn(Verb::kGet, "/api/v1/namespaces/ns/secrets/x",
                json{{"metadata", {{"name", "x"}}}, {"data", {{"k", "c2VjcmV0"}}}});
  EXPECT_EQ((*manager_.GetConfigMap("ns", "x"))->data.at("k"), "cm");
  EXPECT_EQ((*manager_.GetSecret("ns", "x"))->data.at("k"), "secret");
}

}  // namespace
}  // namespace cubelet::apiobjects
