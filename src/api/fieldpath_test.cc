#include "api/fieldpath.h"

#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

Pod TestPod() {
  Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "u-1";
  pod.metadata.labels = {{"tier", "front"}, {"app", "web"}};
  pod.metadata.annotations = {{"note", "say \"hi\""}};
  pod.spec.node_name = "node-a";
  return pod;
}

TEST(ExtractFieldPathTest, MetadataSpecAndStatus) {
  Pod pod = TestPod();
  FieldContext ctx{.pod_ips = {"10.88.0.7"}, .host_ip = "192.0.2.10"};
  EXPECT_EQ(*ExtractFieldPath(pod, "metadata.name", ctx), "web");
  EXPECT_EQ(*ExtractFieldPath(pod, "metadata.uid", ctx), "u-1");
  EXPECT_EQ(*ExtractFieldPath(pod, "metadata.labels['tier']", ctx), "front");
  EXPECT_EQ(*ExtractFieldPath(pod, "metadata.labels['missing']", ctx), "");
  EXPECT_EQ(*ExtractFieldPath(pod, "metadata.labels", ctx), "app=\"web\"\ntier=\"front\"");
  EXPECT_EQ(*ExtractFieldPath(pod, "metadata.annotations", ctx), "note=\"say \\\"hi\\\"\"");
  EXPECT_EQ(*ExtractFieldPath(pod, "spec.nodeName", ctx), "node-a");
  EXPECT_EQ(*ExtractFieldPath(pod, "status.podIP", ctx), "10.88.0.7");
  EXPECT_EQ(*ExtractFieldPath(pod, "status.hostIP", ctx), "192.0.2.10");
  pod.spec.host_network = true;
  EXPECT_EQ(*ExtractFieldPath(pod, "status.podIP", FieldContext{.host_ip = "192.0.2.10"}),
            "192.0.2.10");
  EXPECT_FALSE(ExtractFieldPath(pod, "spec.containers", ctx).ok());
}

// pkg/api/v1/resource: ceil(value / divisor); a missing limit is the node's.
TEST(ExtractResourceValueTest, LimitsRequestsDivisorsAndNodeDefaults) {
  Container c;
  c.name = "app";
  c.resources.limits = {{"cpu", "250m"}, {"memory", "64Mi"}};
  c.resources.requests = {{"cpu", "100m"}};
  NodeAllocatable node{.milli_cpu = 2000, .memory = int64_t{8} << 30, .ephemeral_storage = 1000};
  auto value = [&](const std::string& resource, std::optional<std::string> divisor = {}) {
    absl::StatusOr<std::string> v = ExtractResourceValue(
        ResourceFieldSelector{.resource = resource, .divisor = divisor}, c, node);
    return v.ok() ? *v : std::string(v.status().message());
  };
  EXPECT_EQ(value("limits.cpu"), "1") << "250m rounds up to one core";
  EXPECT_EQ(value("limits.cpu", "1m"), "250");
  EXPECT_EQ(value("requests.cpu", "1m"), "100");
  EXPECT_EQ(value("limits.memory"), "67108864");
  EXPECT_EQ(value("limits.memory", "1Mi"), "64");
  EXPECT_EQ(value("requests.memory"), "0");
  EXPECT_EQ(value("limits.ephemeral-storage"), "1000") << "the node's";
  c.resources.limits.clear();
  EXPECT_EQ(value("limits.cpu"), "2") << "the node's allocatable";
  EXPECT_EQ(value("limits.memory", "1Gi"), "8");
  EXPECT_EQ(value("limits.gpu"), "unsupported container resource : limits.gpu");
}

}  // namespace
}  // namespace cubelet::api
