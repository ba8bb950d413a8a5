#include "config/static_pod.h"

#include "api/parse.h"
#include "gtest/gtest.h"

namespace cubelet::config {
namespace {

api::Pod Parse(const std::string& yaml) {
  api::ParsedManifest m = api::ParseManifest(yaml, "test.yaml");
  EXPECT_TRUE(m.errors.empty());
  EXPECT_EQ(m.pods.size(), 1u);
  return m.pods.empty() ? api::Pod{} : m.pods[0];
}

constexpr char kWeb[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.25
)";

std::string Hex(const std::array<uint8_t, 16>& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

TEST(Fnv128aTest, MatchesReferenceVectors) {
  // Go's hash/fnv golden values.
  EXPECT_EQ(Hex(Fnv128a().Sum()), "6c62272e07bb014262b821756295c58d");
  Fnv128a a;
  a.Write("a");
  EXPECT_EQ(Hex(a.Sum()), "d228cb696f1a8caf78912b704e4a8964");
  // Streaming equals one write.
  Fnv128a split, whole;
  split.Write("ab");
  split.Write("c");
  whole.Write("abc");
  EXPECT_EQ(split.Sum(), whole.Sum());
}

TEST(StaticPodTest, UidIsPinnedAndUuidShaped) {
  api::Pod pod = Parse(kWeb);
  ApplyStaticPodDefaults(pod, "node-1", "/etc/cubelet/manifests/web.yaml", kFileSource);
  // Pinned: a change here changes every static pod's UID on upgrade, which
  // restarts them all.
  EXPECT_EQ(pod.metadata.uid, "0f28751d-508d-d9fc-c954-7cb6c749a206");
  EXPECT_EQ(pod.metadata.uid.size(), 36u);
  EXPECT_EQ(pod.metadata.uid[8], '-');
  EXPECT_EQ(pod.metadata.uid[23], '-');
}

TEST(StaticPodTest, SameInputsSameUidAnyChangeNewUid) {
  auto uid = [](const std::string& yaml, const std::string& node, const std::string& path) {
    api::Pod pod = Parse(yaml);
    ApplyStaticPodDefaults(pod, node, path, kFileSource);
    return pod.metadata.uid;
  };
  std::string base = uid(kWeb, "node-1", "/m/web.yaml");
  EXPECT_EQ(base, uid(kWeb, "node-1", "/m/web.yaml"));
  std::string edited = kWeb;
  edited.replace(edited.find("nginx:1.25"), 10, "nginx:1.26");
  EXPECT_NE(base, uid(edited, "node-1", "/m/web.yaml"));
  EXPECT_NE(base, uid(kWeb, "node-2", "/m/web.yaml"));
  EXPECT_NE(base, uid(kWeb, "node-1", "/m/web2.yaml"));
  // Formatting-only edits parse to the same pod, hence the same UID.
  std::string reformatted = std::string("# comment\n") + kWeb;
  EXPECT_EQ(base, uid(reformatted, "node-1", "/m/web.yaml"));
}

TEST(StaticPodTest, HttpUidDependsOnUrlNotNode) {
  api::Pod a = Parse(kWeb), b = Parse(kWeb), c = Parse(kWeb);
  ApplyStaticPodDefaults(a, "node-1", "http://h/x", kHttpSource);
  ApplyStaticPodDefaults(b, "node-2", "http://h/x", kHttpSource);
  ApplyStaticPodDefaults(c, "node-1", "http://h/y", kHttpSource);
  EXPECT_EQ(a.metadata.uid, b.metadata.uid);
  EXPECT_NE(a.metadata.uid, c.metadata.uid);
  EXPECT_EQ(a.metadata.annotations.at(api::kConfigSourceAnnotation), "http");
}

TEST(StaticPodTest, NameNamespaceNodeAnnotationsPhase) {
  api::Pod pod = Parse(kWeb);
  ApplyStaticPodDefaults(pod, "Node-A", "/m/web.yaml", kFileSource);
  EXPECT_EQ(pod.metadata.name, "web-node-a");
  EXPECT_EQ(pod.metadata.namespace_, "default");
  EXPECT_EQ(pod.spec.node_name, "Node-A");
  EXPECT_EQ(pod.metadata.annotations.at(api::kConfigHashAnnotation), pod.metadata.uid);
  EXPECT_EQ(pod.metadata.annotations.at(api::kConfigSourceAnnotation), "file");
  EXPECT_EQ(pod.metadata.labels.at("app"), "web");
  EXPECT_EQ(pod.status.phase, api::kPodPending);
  EXPECT_EQ(api::PodFullName(pod), "web-node-a_default");
}

TEST(StaticPodTest, KeepsGivenNamespaceAndUid) {
  std::string yaml = kWeb;
  yaml.replace(yaml.find("  name: web\n"), 12,
               "  name: web\n  namespace: kube-system\n  uid: u-1\n");
  api::Pod pod = Parse(yaml);
  ApplyStaticPodDefaults(pod, "n", "/m/web.yaml", kFileSource);
  EXPECT_EQ(pod.metadata.namespace_, "kube-system");
  EXPECT_EQ(pod.metadata.uid, "u-1");
  EXPECT_EQ(pod.metadata.annotations.at(api::kConfigHashAnnotation), "u-1");
}

TEST(StaticPodTest, AcceptRejectsInvalidAfterSuffixAndDuplicates) {
  std::vector<api::Pod> parsed = {Parse(kWeb), Parse(kWeb)};
  std::map<std::string, std::string> owners;
  std::vector<api::PodPtr> pods;
  std::vector<std::string> errors;
  AcceptStaticPods(parsed, "n1", "/m/a.yaml", kFileSource, owners, pods, errors);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(errors,
            std::vector<std::string>{"/m/a.yaml: pod \"web\": metadata.name: Duplicate value: "
                                     "\"web-n1_default\" (already defined in /m/a.yaml)"});

  // A node name that makes the pod name invalid.
  pods.clear();
  errors.clear();
  owners.clear();
  AcceptStaticPods({Parse(kWeb)}, "bad_node", "/m/a.yaml", kFileSource, owners, pods, errors);
  EXPECT_TRUE(pods.empty());
  // The node name is checked as spec.nodeName too (the agent lowercases it,
  // as upstream's hostname lookup does, so only odd characters get here).
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_TRUE(
      errors[0].starts_with("/m/a.yaml: pod \"web\": metadata.name: Invalid value: "
                            "\"web-bad_node\": a lowercase RFC 1123 subdomain"))
      << errors[0];
  EXPECT_TRUE(
      errors[1].starts_with("/m/a.yaml: pod \"web\": spec.nodeName: Invalid value: "
                            "\"bad_node\""))
      << errors[1];
}

}  // namespace
}  // namespace cubelet::config
