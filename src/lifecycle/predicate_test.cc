#include "lifecycle/predicate.h"

#include <memory>

#include "gtest/gtest.h"

namespace cubelet::lifecycle {
namespace {

NodeInfo TestNode() {
  NodeInfo node;
  node.name = "node-a";
  node.labels = {{"kubernetes.io/hostname", "node-a"},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", "amd64"},
                 {"disktype", "ssd"},
                 {"cores", "8"}};
  node.allocatable_milli_cpu = 2000;
  node.allocatable_memory = int64_t{4} << 30;
  return node;
}

api::Pod TestPod(const std::string& cpu = "", const std::string& memory = "") {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.spec.node_name = "node-a";
  api::Container c;
  c.name = "app";
  if (!cpu.empty()) c.resources.requests["cpu"] = cpu;
  if (!memory.empty()) c.resources.limits["memory"] = memory;
  pod.spec.containers.push_back(c);
  return pod;
}

api::NodeSelectorTerm Term(const std::string& key, const std::string& op,
                           std::vector<std::string> values) {
  api::NodeSelectorTerm t;
  t.match_expressions.push_back({key, op, std::move(values)});
  return t;
}

void SetRequired(api::Pod& pod, std::vector<api::NodeSelectorTerm> terms) {
  pod.spec.affinity = api::Affinity{.node_affinity = api::NodeAffinity{.required_terms = terms}};
}

TEST(AdmitTest, PlainPodIsAdmitted) {
  AdmitResult r = Admit(TestPod("500m", "1Gi"), {}, TestNode());
  EXPECT_TRUE(r.admit) << r.reason << ": " << r.message;
}

TEST(AdmitTest, OsFieldOtherThanLinuxIsRejected) {
  api::Pod pod = TestPod();
  pod.spec.os = api::PodOS{"windows"};
  AdmitResult r = Admit(pod, {}, TestNode());
  EXPECT_FALSE(r.admit);
  EXPECT_EQ(r.reason, "PodOSNotSupported");
  EXPECT_EQ(r.message, "Failed to admit pod as the OS field doesn't match node OS");
}

TEST(AdmitTest, OsLabelSelectorMismatchComesFirst) {
  api::Pod pod = TestPod();
  pod.metadata.labels["kubernetes.io/os"] = "windows";
  pod.spec.os = api::PodOS{"windows"};
  AdmitResult r = Admit(pod, {}, TestNode());
  EXPECT_EQ(r.reason, "PodOSSelectorNodeLabelDoesNotMatch");
  EXPECT_EQ(r.message,
            "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
}

TEST(AdmitTest, NodeSelectorMustMatchTheNodeLabels) {
  api::Pod pod = TestPod();
  pod.spec.node_selector = {{"disktype", "ssd"}};
  EXPECT_TRUE(Admit(pod, {}, TestNode()).admit);
  pod.spec.node_selector = {{"disktype", "hdd"}};
  AdmitResult r = Admit(pod, {}, TestNode());
  EXPECT_FALSE(r.admit);
  EXPECT_EQ(r.reason, "NodeAffinity");
  EXPECT_EQ(r.message,
            "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
}

TEST(AdmitTest, RequiredNodeAffinityTermsAreOredAndExpressionsAnded) {
  api::Pod pod = TestPod();
  SetRequired(pod, {Term("disktype", "In", {"hdd"}), Term("kubernetes.io/os", "In", {"linux"})});
  EXPECT_TRUE(Admit(pod, {}, TestNode()).admit);

  api::NodeSelectorTerm both = Term("disktype", "In", {"ssd"});
  both.match_expressions.push_back({"gpu", "Exists", {}});
  SetRequired(pod, {both});
  EXPECT_EQ(Admit(pod, {}, TestNode()).reason, "NodeAffinity");

  SetRequired(pod, {Term("gpu", "DoesNotExist", {})});
  EXPECT_TRUE(Admit(pod, {}, TestNode()).admit);
  SetRequired(pod, {Term("disktype", "NotIn", {"ssd"})});
  EXPECT_FALSE(Admit(pod, {}, TestNode()).admit);
  SetRequired(pod, {Term("cores", "Gt", {"4"})});
  EXPECT_TRUE(Admit(pod, {}, TestNode()).admit);
  SetRequired(pod, {Term("cores", "Lt", {"4"})});
  EXPECT_FALSE(Admit(pod, {}, TestNode()).admit);

  api::NodeSelectorTerm by_name;
  by_name.match_fields.push_back({"metadata.name", "In", {"node-a"}});
  SetRequired(pod, {by_name});
  EXPECT_TRUE(Admit(pod, {}, TestNode()).admit);
  SetRequired(pod, {api::NodeSelectorTerm{}});
  EXPECT_FALSE(Admit(pod, {}, TestNode()).admit) << "an empty term matches nothing";
}

TEST(AdmitTest, RequestsBeyondAllocatableAreRejected) {
  AdmitResult r = Admit(TestPod("3"), {}, TestNode());
  EXPECT_EQ(r.reason, "OutOfcpu");
  EXPECT_EQ(r.message,
            "Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000");

  auto running = std::make_shared<const api::Pod>(TestPod("1500m", "3Gi"));
  r = Admit(TestPod("1"), {running}, TestNode());
  EXPECT_EQ(r.reason, "OutOfcpu");
  EXPECT_EQ(r.message,
            "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000");
  r = Admit(TestPod("", "2Gi"), {running}, TestNode());
  EXPECT_EQ(r.reason, "OutOfmemory");

  NodeInfo full = TestNode();
  full.allocatable_pods = 1;
  r = Admit(TestPod(), {running}, full);
  EXPECT_EQ(r.reason, "OutOfpods");
  EXPECT_EQ(r.message,
            "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1");
}

TEST(AdmitTest, InitContainersAndSidecarsCountAsTheKubeletDoes) {
  api::Pod pod = TestPod("500m");
  api::Container init;
  init.name = "init";
  init.resources.requests["cpu"] = "1";
  pod.spec.init_containers.push_back(init);
  EXPECT_EQ(ComputePodRequests(pod).milli_cpu, 1000) << "the init container's peak";
  api::Container sidecar;
  sidecar.name = "sidecar";
  sidecar.restart_policy = "Always";
  sidecar.resources.requests["cpu"] = "700m";
  pod.spec.init_containers.push_back(sidecar);
  EXPECT_EQ(ComputePodRequests(pod).milli_cpu, 1200) << "sidecar runs beside the app";
  pod.spec.resources = api::ResourceRequirements{.limits = {}, .requests = {{"cpu", "2"}}};
  EXPECT_EQ(ComputePodRequests(pod).milli_cpu, 2000) << "pod-level resources win";
}

TEST(AdmitTest, OtherNodeNameIsRejected) {
  api::Pod pod = TestPod();
  pod.spec.node_name = "node-b";
  AdmitResult r = Admit(pod, {}, TestNode());
  EXPECT_EQ(r.reason, "NodeName");
  EXPECT_EQ(r.message, "Predicate NodeName failed: node(s) didn't match the requested node name");
}

TEST(AdmitTest, HostPortTakenByAnotherPodIsRejected) {
  api::Pod a = TestPod();
  a.spec.containers[0].ports.push_back({.name = "", .host_port = 8080, .container_port = 80});
  auto running = std::make_shared<const api::Pod>(a);
  api::Pod b = TestPod();
  b.spec.containers[0].ports.push_back({.name = "",
                                        .host_port = 8080,
                                        .container_port = 81,
                                        .protocol = "TCP",
                                        .host_ip = "127.0.0.1"});
  AdmitResult r = Admit(b, {running}, TestNode());
  EXPECT_EQ(r.reason, "NodePorts");
  b.spec.containers[0].ports[0].protocol = "UDP";
  EXPECT_TRUE(Admit(b, {running}, TestNode()).admit) << "another protocol does not clash";
}

TEST(LocalNodeInfoTest, LabelsAndCapacity) {
  NodeInfo node = LocalNodeInfo("my-node");
  EXPECT_EQ(node.labels.at("kubernetes.io/hostname"), "my-node");
  EXPECT_EQ(node.labels.at("kubernetes.io/os"), "linux");
  EXPECT_EQ(node.labels.at("kubernetes.io/arch"), GoArch());
  EXPECT_GE(node.allocatable_milli_cpu, 1000);
  EXPECT_GT(node.allocatable_memory, 0);
}

}  // namespace
}  // namespace cubelet::lifecycle
