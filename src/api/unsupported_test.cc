#include "api/unsupported.h"

#include <string>
#include <vector>

#include "api/defaults.h"
#include "api/json.h"
#include "api/parse.h"
#include "api/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The errors of a one-pod manifest whose spec is `spec` (YAML, indented by 2).
std::vector<std::string> SpecErrors(const std::string& spec) {
  ParsedManifest m =
      ParseManifest("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec, "p.yaml");
  std::vector<std::string> out;
  for (const ManifestError& e : m.errors) out.push_back(e.ToString());
  if (!m.errors.empty()) {
    EXPECT_THAT(m.pods, IsEmpty());
  }
  return out;
}

constexpr char kContainer[] = "  containers:\n  - name: c\n    image: busybox\n";

TEST(UnsupportedTest, ConfigMapSecretProjectedPvcVolumesNeedClusterMode) {
  EXPECT_THAT(
      SpecErrors(std::string(kContainer) +
                 "  volumes:\n"
                 "  - {name: a, configMap: {name: cm}}\n"
                 "  - {name: b, secret: {secretName: s}}\n"
                 "  - {name: c, projected: {sources: []}}\n"
                 "  - {name: d, persistentVolumeClaim: {claimName: pvc}}\n"),
      ElementsAre(
          "p.yaml: document 1: pod \"p\": spec.volumes[0].configMap: Forbidden: ConfigMaps come "
          "from the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.volumes[1].secret: Forbidden: Secrets come from "
          "the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.volumes[2].projected: Forbidden: projected volumes "
          "(service account tokens, ConfigMaps, Secrets) come from the API server: needs cluster "
          "mode",
          "p.yaml: document 1: pod \"p\": spec.volumes[3].persistentVolumeClaim: Forbidden: "
          "PersistentVolumeClaims are bound through the API server: needs cluster mode"));
}

// A pod from the API server (cluster mode) reads ConfigMaps and Secrets from
// it: decoded with their defaults, not refused; projected volumes still are.
TEST(UnsupportedTest, FromTheApiServerConfigMapsAndSecretsAreServed) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "metadata": {"name": "p", "namespace": "ns"},
    "spec": {
      "readinessGates": [{"conditionType": "example.com/ready"}],
      "containers": [{"name": "c", "image": "busybox",
        "envFrom": [{"configMapRef": {"name": "cm"}}, {"prefix": "S_", "secretRef": {"name": "s"}}],
        "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k",
                                                             "optional": true}}}]}],
      "volumes": [
        {"name": "a", "configMap": {"name": "cm", "items": [{"key": "k", "path": "p", "mode": 256}]}},
        {"name": "b", "secret": {"secretName": "s", "defaultMode": 256, "optional": true}},
        {"name": "kube-api-access-x", "projected": {"sources": [
          {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
          {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
          {"downwardAPI": {"items": [{"path": "namespace",
                                      "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}},
        {"name": "d", "projected": {"sources": [
          {"clusterTrustBundle": {"signerName": "x/y", "path": "b"}}]}}]}})");
  Pod pod;
  ASSERT_THAT(DecodePod(doc, pod), IsEmpty());
  std::vector<std::string> refused;
  for (const FieldError& e : RefuseUnsupportedFields(doc, pod, {.from_api_server = true})) {
    refused.push_back(e.ToString());
  }
  EXPECT_THAT(refused, ElementsAre("spec.volumes[3].projected.sources[0].clusterTrustBundle: "
                                   "Forbidden: not supported by cubelet (cluster trust bundles "
                                   "and pod certificates are not projected)"));
  ApplyDefaults(pod);
  EXPECT_THAT(pod.spec.readiness_gates, ElementsAre("example.com/ready"));
  ASSERT_TRUE(pod.spec.volumes[2].projected.has_value());
  const ProjectedVolumeSource& projected = *pod.spec.volumes[2].projected;
  EXPECT_EQ(projected.default_mode, 0644);
  ASSERT_EQ(projected.sources.size(), 3u);
  EXPECT_EQ(projected.sources[0].service_account_token,
            (ServiceAccountTokenProjection{.expiration_seconds = 3607, .path = "token"}));
  EXPECT_EQ(projected.sources[1].config_map->name, "kube-root-ca.crt");
  EXPECT_EQ(projected.sources[2].downward_api->items[0].field_ref->field_path,
            "metadata.namespace");
  EXPECT_THAT(pod.spec.volumes[3].projected->sources[0].refused_sources,
              ElementsAre("clusterTrustBundle"));
  pod.spec.volumes.pop_back();
  ASSERT_TRUE(pod.spec.volumes[0].config_map.has_value());
  EXPECT_EQ(pod.spec.volumes[0].config_map->name, "cm");
  EXPECT_EQ(pod.spec.volumes[0].config_map->default_mode, 0644);
  EXPECT_EQ(pod.spec.volumes[0].config_map->items,
            (std::vector<KeyToPath>{{.key = "k", .path = "p", .mode = 0400}}));
  ASSERT_TRUE(pod.spec.volumes[1].secret.has_value());
  EXPECT_EQ(pod.spec.volumes[1].secret->secret_name, "s");
  EXPECT_EQ(pod.spec.volumes[1].secret->default_mode, 0400);
  EXPECT_EQ(pod.spec.volumes[1].secret->optional, true);
  EXPECT_THAT(pod.spec.volumes[0].refused_sources, IsEmpty());
  // What is served validates.
  std::vector<std::string> invalid;
  for (const FieldError& e : ValidatePod(pod)) invalid.push_back(e.ToString());
  EXPECT_THAT(invalid, IsEmpty());
}

TEST(UnsupportedTest, RefusedVolumeIsNotReportedAsMissingItsType) {
  std::vector<std::string> errs = SpecErrors(std::string(kContainer) +
                                             "  volumes:\n  - {name: a, configMap: {name: cm}}\n"
                                             "  - {name: b, nfs: {server: s, path: /}, "
                                             "emptyDir: {}}\n");
  EXPECT_THAT(
      errs,
      // What the API server would refuse first, then what cubelet cannot run.
      ElementsAre(
          "p.yaml: document 1: pod \"p\": spec.volumes[1].nfs: Forbidden: may not specify more "
          "than 1 volume type",
          "p.yaml: document 1: pod \"p\": spec.volumes[0].configMap: Forbidden: ConfigMaps come "
          "from the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.volumes[1].nfs: Forbidden: not supported by "
          "cubelet (cubelet mounts emptyDir, hostPath and downwardAPI volumes only)"));
}

TEST(UnsupportedTest, ConfigMapAndSecretEnvNeedClusterMode) {
  EXPECT_THAT(
      SpecErrors("  containers:\n  - name: c\n    image: busybox\n"
                 "    env:\n"
                 "    - {name: A, valueFrom: {configMapKeyRef: {name: cm, key: k}}}\n"
                 "    - {name: B, valueFrom: {secretKeyRef: {name: s, key: k}}}\n"
                 "    envFrom:\n"
                 "    - configMapRef: {name: cm}\n"
                 "    - {prefix: S_, secretRef: {name: s}}\n"),
      ElementsAre(
          "p.yaml: document 1: pod \"p\": spec.containers[0].envFrom[0].configMapRef: Forbidden: "
          "ConfigMaps come from the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.containers[0].envFrom[1].secretRef: Forbidden: "
          "Secrets come from the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.containers[0].env[0].valueFrom.configMapKeyRef: "
          "Forbidden: ConfigMaps come from the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.containers[0].env[1].valueFrom.secretKeyRef: "
          "Forbidden: Secrets come from the API server: needs cluster mode"));
}

TEST(UnsupportedTest, EphemeralContainersForbiddenAtCreate) {
  EXPECT_THAT(SpecErrors(std::string(kContainer) +
                         "  ephemeralContainers:\n  - {name: debug, image: busybox}\n"),
              ElementsAre("p.yaml: document 1: pod \"p\": spec.ephemeralContainers: Forbidden: "
                          "cannot be set on create"));
}

TEST(UnsupportedTest, EphemeralContainersFromTheApiServerAreDecoded) {
  nlohmann::json doc = nlohmann::json::parse(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
    "spec": {"containers": [{"name": "c", "image": "busybox"}],
      "ephemeralContainers": [{"name": "debugger", "image": "busybox", "stdin": true,
                               "tty": true, "targetContainerName": "c"}]},
    "status": {"ephemeralContainerStatuses": [{"name": "debugger", "image": "busybox",
                                               "state": {"running": {}}}]}})");
  Pod pod;
  ASSERT_THAT(DecodePod(doc, pod), IsEmpty());
  EXPECT_THAT(RefuseUnsupportedFields(doc, pod, {.from_api_server = true}), IsEmpty());
  ASSERT_EQ(pod.spec.ephemeral_containers.size(), 1u);
  EXPECT_EQ(pod.spec.ephemeral_containers[0].target_container_name, "c");
  EXPECT_TRUE(pod.spec.ephemeral_containers[0].tty);
  ASSERT_EQ(pod.status.ephemeral_container_statuses.size(), 1u);
  // And back: the status patch carries them.
  nlohmann::json back = PodToJson(pod);
  EXPECT_EQ(back["spec"]["ephemeralContainers"][0]["targetContainerName"], "c");
  EXPECT_EQ(back["status"]["ephemeralContainerStatuses"][0]["name"], "debugger");
}

TEST(UnsupportedTest, SecurityFeaturesCubeletLacksAreNotSupported) {
  EXPECT_THAT(
      SpecErrors("  hostUsers: false\n"
                 "  securityContext:\n"
                 "    seLinuxChangePolicy: Recursive\n"
                 "  initContainers:\n  - name: i\n    image: busybox\n"
                 "    securityContext:\n"
                 "      procMount: Unmasked\n" +
                 std::string(kContainer)),
      ElementsAre(
          "p.yaml: document 1: pod \"p\": spec.initContainers[0].securityContext.procMount: "
          "Forbidden: not supported by cubelet (containers get the runtime's default masked "
          "/proc)",
          "p.yaml: document 1: pod \"p\": spec.securityContext.seLinuxChangePolicy: Forbidden: "
          "not supported by cubelet (it does not give volumes SELinux labels)",
          "p.yaml: document 1: pod \"p\": spec.hostUsers: Forbidden: not supported by cubelet (it "
          "does not create user namespaces: pods use the node's users)"));
}

TEST(UnsupportedTest, DefaultsThatChangeNothingAreAccepted) {
  EXPECT_THAT(SpecErrors("  hostUsers: true\n  setHostnameAsFQDN: false\n  readinessGates: []\n"
                         "  containers:\n  - name: c\n    image: busybox\n"
                         "    securityContext: {procMount: Default}\n"
                         "    volumeMounts: [{name: v, mountPath: /v, recursiveReadOnly: "
                         "Disabled}]\n"
                         "  volumes: [{name: v, emptyDir: {}}]\n"),
              IsEmpty());
}

TEST(UnsupportedTest, ClusterObjectsAndMountFeatures) {
  EXPECT_THAT(
      SpecErrors("  readinessGates: [{conditionType: example.com/ready}]\n"
                 "  resourceClaims: [{name: gpu, resourceClaimName: gpu}]\n"
                 "  containers:\n  - name: c\n    image: busybox\n"
                 "    resources: {claims: [{name: gpu}]}\n"
                 "    volumeMounts: [{name: v, mountPath: /v, subPathExpr: $(POD)}]\n"
                 "  volumes: [{name: v, ephemeral: {volumeClaimTemplate: {}}}]\n"),
      ElementsAre(
          "p.yaml: document 1: pod \"p\": spec.volumes[0].ephemeral: Forbidden: generic "
          "ephemeral volumes are PersistentVolumeClaims created through the API server: needs "
          "cluster mode",
          "p.yaml: document 1: pod \"p\": spec.containers[0].resources.claims: Forbidden: "
          "ResourceClaims (dynamic resource allocation) come from the API server: needs cluster "
          "mode",
          "p.yaml: document 1: pod \"p\": spec.containers[0].volumeMounts[0].subPathExpr: "
          "Forbidden: not supported by cubelet (it does not expand variables in subPath; use "
          "subPath)",
          "p.yaml: document 1: pod \"p\": spec.readinessGates: Forbidden: readiness gates are pod "
          "conditions set through the API server: needs cluster mode",
          "p.yaml: document 1: pod \"p\": spec.resourceClaims: Forbidden: ResourceClaims "
          "(dynamic resource allocation) come from the API server: needs cluster mode"));
}

}  // namespace
}  // namespace cubelet::api
