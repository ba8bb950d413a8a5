#include "nodestatus/node_status.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cubelet::nodestatus {
namespace {

using nlohmann::json;

MachineInfo Machine() {
  MachineInfo m;
  m.hostname = "host-a";
  m.machine_id = "mid";
  m.system_uuid = "uuid";
  m.boot_id = "boot";
  m.kernel_version = "6.1.0";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.architecture = "amd64";
  m.num_cores = 2;
  m.memory_capacity = 25182134272;  // 24591928Ki
  m.ephemeral_storage = int64_t{250} * 1024 * 1024 * 1024;
  return m;
}

NodeConfig Config() {
  NodeConfig c;
  c.name = "node-a";
  c.node_ip = "10.0.0.5";
  c.labels = {{"tier", "edge"}, {"kubernetes.io/os", "ignored-by-nobody"}};
  return c;
}

const json& ConditionOf(const json& status, const std::string& type) {
  for (const json& c : status["conditions"]) {
    if (c["type"] == type) return c;
  }
  static const json kNone;
  return kNone;
}

TEST(FormatBinaryQuantityTest, CanonicalBinaryForms) {
  EXPECT_EQ(FormatBinaryQuantity(0), "0");
  EXPECT_EQ(FormatBinaryQuantity(1000), "1000");
  EXPECT_EQ(FormatBinaryQuantity(1024), "1Ki");
  EXPECT_EQ(FormatBinaryQuantity(25182134272), "24591928Ki");
  EXPECT_EQ(FormatBinaryQuantity(int64_t{2} * 1024 * 1024 * 1024), "2Gi");
}

TEST(InitialNodeTest, DefaultLabelsThenTheConfiguredOnes) {
  json node = InitialNode(Config(), Machine());
  EXPECT_EQ(node["kind"], "Node");
  EXPECT_EQ(node["metadata"]["name"], "node-a");
  const json& labels = node["metadata"]["labels"];
  EXPECT_EQ(labels["kubernetes.io/hostname"], "node-a");
  EXPECT_EQ(labels["kubernetes.io/arch"], "amd64");
  EXPECT_EQ(labels["beta.kubernetes.io/os"], "linux");
  EXPECT_EQ(labels["tier"], "edge");
  // --node-labels win, as the kubelet merges them over its defaults.
  EXPECT_EQ(labels["kubernetes.io/os"], "ignored-by-nobody");
  EXPECT_EQ(
      node["metadata"]["annotations"]["volumes.kubernetes.io/controller-managed-attach-detach"],
      "true");
  EXPECT_FALSE(node.contains("status"));
}

TEST(BuildNodeStatusTest, ReadyNodeReportsWhatTheKubeletReports) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  json status =
      BuildNodeStatus(Config(), Machine(),
                      {.runtime_name = "containerd", .runtime_version = "1.6.20"}, now, json());
  EXPECT_EQ(status["capacity"]["cpu"], "2");
  EXPECT_EQ(status["capacity"]["memory"], "24591928Ki");
  EXPECT_EQ(status["capacity"]["ephemeral-storage"], "250Gi");
  EXPECT_EQ(status["capacity"]["pods"], "110");
  EXPECT_EQ(status["allocatable"], status["capacity"]);
  ASSERT_EQ(status["conditions"].size(), 4u);
  EXPECT_EQ(status["conditions"][0]["type"], "MemoryPressure");
  EXPECT_EQ(status["conditions"][3]["type"], "Ready");
  const json& ready = ConditionOf(status, "Ready");
  EXPECT_EQ(ready["status"], "True");
  EXPECT_EQ(ready["reason"], "KubeletReady");
  EXPECT_EQ(ready["message"], "kubelet is posting ready status");
  EXPECT_EQ(ready["lastHeartbeatTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(ready["lastTransitionTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(ConditionOf(status, "DiskPressure")["reason"], "KubeletHasNoDiskPressure");
  EXPECT_EQ(ConditionOf(status, "PIDPressure")["status"], "False");
  EXPECT_EQ(status["addresses"][0], (json{{"type", "InternalIP"}, {"address", "10.0.0.5"}}));
  EXPECT_EQ(status["addresses"][1], (json{{"type", "Hostname"}, {"address", "host-a"}}));
  EXPECT_EQ(status["nodeInfo"]["containerRuntimeVersion"], "containerd://1.6.20");
  EXPECT_EQ(status["nodeInfo"]["kubeletVersion"], kKubeletVersion);
  EXPECT_EQ(status["nodeInfo"]["bootID"], "boot");
  EXPECT_EQ(status["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
}

TEST(BuildNodeStatusTest, DevicePluginResourcesJoinCapacityAndAllocatable) {
  NodeInputs inputs;
  inputs.extended_resources = {{"example.com/gpu", {4, 3}}, {"example.com/gone", {0, 0}}};
  json status = BuildNodeStatus(Config(), Machine(), inputs, absl::FromUnixSeconds(1), json());
  EXPECT_EQ(status["capacity"]["example.com/gpu"], "4");
  EXPECT_EQ(status["allocatable"]["example.com/gpu"], "3") << "only the healthy devices";
  EXPECT_EQ(status["capacity"]["example.com/gone"], "0");
  EXPECT_EQ(status["allocatable"]["example.com/gone"], "0");
  EXPECT_EQ(status["allocatable"]["cpu"], "2");
}

TEST(BuildNodeStatusTest, TransitionTimeMovesOnlyWhenTheStatusFlips) {
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  const NodeInputs ready{.runtime_name = "containerd", .runtime_version = "1.6.20"};
  json first = BuildNodeStatus(Config(), Machine(), ready, t0, json());
  json second = BuildNodeStatus(Config(), Machine(), ready, t0 + absl::Seconds(10), first);
  EXPECT_EQ(ConditionOf(second, "Ready")["lastTransitionTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(ConditionOf(second, "Ready")["lastHeartbeatTime"], "2023-11-14T22:13:30Z");
  EXPECT_FALSE(NodeStatusChanged(first, second)) << "only heartbeats moved";

  NodeInputs down = ready;
  down.readiness = absl::UnavailableError("container runtime is down");
  json third = BuildNodeStatus(Config(), Machine(), down, t0 + absl::Seconds(20), second);
  const json& not_ready = ConditionOf(third, "Ready");
  EXPECT_EQ(not_ready["status"], "False");
  EXPECT_EQ(not_ready["reason"], "KubeletNotReady");
  EXPECT_EQ(not_ready["message"], "container runtime is down");
  EXPECT_EQ(not_ready["lastTransitionTime"], "2023-11-14T22:13:40Z");
  // The pressure conditions did not flip.
  EXPECT_EQ(ConditionOf(third, "MemoryPressure")["lastTransitionTime"], "2023-11-14T22:13:20Z");
  EXPECT_TRUE(NodeStatusChanged(second, third));
}

}  // namespace
}  // namespace cubelet::nodestatus
