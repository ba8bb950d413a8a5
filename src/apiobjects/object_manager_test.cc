#include "apiobjects/object_manager.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::apiobjects {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(DecodeConfigMapTest, ReadsDataAndDecodesBinaryData) {
  absl::StatusOr<ConfigMap> cm =
      DecodeConfigMap(json{{"metadata", {{"namespace", "ns"}, {"name", "cfg"}}},
                           {"data", {{"a", "1"}, {"b", "two"}}},
                           {"binaryData", {{"bin", "AAEC"}}},  // 00 01 02
                           {"immutable", true}});
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ(cm->namespace_, "ns");
  EXPECT_EQ(cm->name, "cfg");
  EXPECT_THAT(cm->data, ElementsAre(Pair("a", "1"), Pair("b", "two")));
  EXPECT_THAT(cm->binary_data, ElementsAre(Pair("bin", std::string("\0\1\2", 3))));
  EXPECT_TRUE(cm->immutable);
}

TEST(DecodeConfigMapTest, NoDataIsEmpty) {
  absl::StatusOr<ConfigMap> cm = DecodeConfigMap(json{{"metadata", {{"name", "cfg"}}}});
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_TRUE(cm->data.empty());
  EXPECT_FALSE(cm->immutable);
}

TEST(DecodeSecretTest, DecodesBase64Data) {
  absl::StatusOr<Secret> secret =
      DecodeSecret(json{{"metadata", {{"namespace", "ns"}, {"name", "s"}}},
                        {"type", "Opaque"},
                        {"data", {{"user", "YWRtaW4="}, {"empty", ""}}}});
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->type, "Opaque");
  EXPECT_THAT(secret->data, ElementsAre(Pair("empty", ""), Pair("user", "admin")));
}

TEST(DecodeSecretTest, BadBase64NamesTheObjectAndKey) {
  absl::StatusOr<Secret> secret = DecodeSecret(
      json{{"metadata", {{"namespace", "ns"}, {"name", "s"}}}, {"data", {{"k", "!!!"}}}});
  ASSERT_FALSE(secret.ok());
  EXPECT_THAT(secret.status().message(), HasSubstr("secret ns/s: data.k: illegal base64 data"));
}

TEST(NotFoundTest, KubeletMessages) {
  EXPECT_EQ(ConfigMapNotFound("x").message(), "configmap \"x\" not found");
  EXPECT_EQ(SecretNotFound("y").message(), "secret \"y\" not found");
  EXPECT_TRUE(absl::IsNotFound(SecretNotFound("y")));
}

}  // namespace
}  // namespace cubelet::apiobjects
