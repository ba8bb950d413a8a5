#include "api/validation.h"

#include <string>
#include <vector>

#include "api/defaults.h"
#include "api/pod.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Pod ValidPod() {
  Pod pod;
  pod.metadata.name = "web";
  pod.spec.volumes.push_back({.name = "data", .empty_dir = EmptyDirVolumeSource{}});
  Container c{.name = "app", .image = "nginx:1.25"};
  c.ports.push_back({.name = "http", .container_port = 80});
  c.volume_mounts.push_back({.name = "data", .mount_path = "/data"});
  pod.spec.containers.push_back(c);
  ApplyDefaults(pod);
  return pod;
}

std::vector<std::string> Errors(const Pod& pod) {
  std::vector<std::string> out;
  for (const FieldError& e : ValidatePod(pod)) out.push_back(e.ToString());
  return out;
}

TEST(ValidationTest, ValidPodHasNoErrors) { EXPECT_THAT(Errors(ValidPod()), IsEmpty()); }

TEST(ValidationTest, MetadataName) {
  Pod pod = ValidPod();
  pod.metadata.name = "";
  EXPECT_THAT(Errors(pod),
              ElementsAre("metadata.name: Required value: name or generateName is required"));
  pod.metadata.name = "Web_1";
  EXPECT_THAT(Errors(pod),
              ElementsAre("metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 "
                          "subdomain must consist of lower case alphanumeric characters, '-' or "
                          "'.', and must start and end with an alphanumeric character (e.g. "
                          "'example.com', regex used for validation is "
                          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  pod.metadata.name = "web.example.com";
  EXPECT_THAT(Errors(pod), IsEmpty());
}

TEST(ValidationTest, NamespaceIsALabel) {
  Pod pod = ValidPod();
  pod.metadata.namespace_ = "a.b";
  std::vector<std::string> errs = Errors(pod);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_TRUE(errs[0].starts_with(
      "metadata.namespace: Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of"))
      << errs[0];
  pod.metadata.namespace_ = std::string(64, 'a');
  errs = Errors(pod);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "metadata.namespace: Invalid value: \"" + std::string(64, 'a') +
                         "\": must be no more than 63 characters");
}

TEST(ValidationTest, LabelsAndAnnotations) {
  Pod pod = ValidPod();
  pod.metadata.labels = {{"app.kubernetes.io/name", "web"}, {"bad key", "ok"}, {"k", "-bad"}};
  pod.metadata.annotations = {{"Example.com/Note", "anything at all"}};
  std::vector<std::string> errs = Errors(pod);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_TRUE(errs[0].starts_with(
      "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric"))
      << errs[0];
  EXPECT_TRUE(errs[1].starts_with(
      "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string"))
      << errs[1];
}

TEST(ValidationTest, ConfigMapAndSecretVolumes) {
  Pod pod = ValidPod();
  pod.spec.volumes.push_back(
      {.name = "cm",
       .config_map = ConfigMapVolumeSource{
           .items = {{.key = "", .path = "/abs"}, {.key = "k", .path = "../up", .mode = 01000}},
           .default_mode = -1}});
  pod.spec.volumes.push_back({.name = "s", .secret = SecretVolumeSource{.items = {{.key = "k"}}}});
  pod.spec.volumes.push_back({.name = "two",
                              .empty_dir = EmptyDirVolumeSource{},
                              .config_map = ConfigMapVolumeSource{.name = "x"}});
  EXPECT_THAT(
      Errors(pod),
      ElementsAre(
          "spec.volumes[1].configMap.name: Required value",
          "spec.volumes[1].configMap.defaultMode: Invalid value: -1: must be a number between 0 "
          "and 0777 (octal), both inclusive",
          "spec.volumes[1].configMap.items[0].key: Required value",
          "spec.volumes[1].configMap.items[0].path: Invalid value: \"/abs\": must be a relative "
          "path",
          "spec.volumes[1].configMap.items[1].path: Invalid value: \"../up\": must not contain "
          "'..'",
          "spec.volumes[1].configMap.items[1].path: Invalid value: \"../up\": must not start with "
          "'..'",
          "spec.volumes[1].configMap.items[1].mode: Invalid value: 512: must be a number between 0 "
          "and 0777 (octal), both inclusive",
          "spec.volumes[2].secret.secretName: Required value",
          "spec.volumes[2].secret.items[0].path: Required value",
          "spec.volumes[3].configMap: Forbidden: may not specify more than 1 volume type"));
}

TEST(ValidationTest, ProjectedVolumes) {
  auto errors = [](ProjectedVolumeSource projected) {
    Pod pod = ValidPod();
    pod.spec.volumes.push_back(Volume{.name = "v", .projected = std::move(projected)});
    std::vector<std::string> out;
    for (const FieldError& e : ValidatePod(pod)) out.push_back(e.ToString());
    return out;
  };
  EXPECT_THAT(errors({.sources = {{.service_account_token =
                                       ServiceAccountTokenProjection{.expiration_seconds = 3600,
                                                                     .path = "token"}}},
                      .default_mode = 0644}),
              IsEmpty());
  EXPECT_THAT(
      errors({.sources = {{.service_account_token =
                               ServiceAccountTokenProjection{.expiration_seconds = 60}}},
              .default_mode = 01000}),
      ElementsAre("spec.volumes[1].projected.defaultMode: Invalid value: 512: must be a number "
                  "between 0 and 0777 (octal), both inclusive",
                  "spec.volumes[1].projected.sources[0].serviceAccountToken.expirationSeconds: "
                  "Invalid value: 60: may not specify a duration less than 10 minutes",
                  "spec.volumes[1].projected.path: Required value"));
  EXPECT_THAT(
      errors(
          {.sources = {{.config_map = ConfigMapVolumeSource{.items = {{.key = "a", .path = "f"}}}},
                       {.secret = SecretVolumeSource{.secret_name = "s",
                                                     .items = {{.key = "b", .path = "f"}}},
                        .downward_api = DownwardAPIVolumeSource{}}}}),
      ElementsAre("spec.volumes[1].projected.sources[0].configMap.name: Required value",
                  "spec.volumes[1].projected: Invalid value: \"s\": conflicting duplicate paths",
                  "spec.volumes[1].projected.sources[1]: Forbidden: may not specify more than 1 "
                  "volume type per source"));
}

TEST(ValidationTest, ConfigMapAndSecretEnvReferences) {
  Pod pod = ValidPod();
  Container& c = pod.spec.containers[0];
  c.env.push_back({.name = "A",
                   .value_from = EnvVarSource{.config_map_key_ref =
                                                  KeySelector{.name = "Bad_Name", .key = "k"}}});
  c.env.push_back(
      {.name = "B",
       .value_from = EnvVarSource{.secret_key_ref = KeySelector{.name = "s", .key = "a/b"}}});
  c.env.push_back(
      {.name = "C", .value_from = EnvVarSource{.secret_key_ref = KeySelector{.name = "s"}}});
  c.env_from.push_back({.config_map_ref = OptionalObjectRef{}});
  std::vector<std::string> errs = Errors(pod);
  ASSERT_EQ(errs.size(), 4u) << ::testing::PrintToString(errs);
  EXPECT_THAT(errs[0], ::testing::StartsWith(
                           "spec.containers[0].env[0].valueFrom.configMapKeyRef.name: Invalid "
                           "value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
  EXPECT_THAT(errs[1], ::testing::StartsWith(
                           "spec.containers[0].env[1].valueFrom.secretKeyRef.key: Invalid value: "
                           "\"a/b\": a valid config key must consist of alphanumeric characters"));
  EXPECT_EQ(errs[2], "spec.containers[0].env[2].valueFrom.secretKeyRef.key: Required value");
  EXPECT_EQ(errs[3], "spec.containers[0].envFrom[0].configMapRef.name: Required value");
}

TEST(ValidationTest, ContainersRequired) {
  Pod pod = ValidPod();
  pod.spec.containers.clear();
  EXPECT_THAT(Errors(pod), ElementsAre("spec.containers: Required value"));
}

TEST(ValidationTest, ContainerNameAndImage) {
  Pod pod = ValidPod();
  pod.spec.containers.push_back(pod.spec.containers[0]);
  pod.spec.containers[1].image = "";
  pod.spec.containers[1].volume_mounts.clear();
  pod.spec.containers[1].ports.clear();
  Container init = pod.spec.containers[1];
  init.name = "";
  init.image = "busybox";
  pod.spec.init_containers.push_back(init);
  EXPECT_THAT(Errors(pod), ElementsAre("spec.containers[1].name: Duplicate value: \"app\"",
                                       "spec.containers[1].image: Required value",
                                       "spec.initContainers[0].name: Required value"));
}

TEST(ValidationTest, DuplicateNameAcrossInitAndRegular) {
  Pod pod = ValidPod();
  pod.spec.init_containers.push_back({.name = "app", .image = "busybox"});
  ApplyDefaults(pod);
  EXPECT_THAT(Errors(pod), ElementsAre("spec.initContainers[0].name: Duplicate value: \"app\""));
}

TEST(ValidationTest, RestartPolicies) {
  Pod pod = ValidPod();
  pod.spec.restart_policy = "Sometimes";
  EXPECT_THAT(Errors(pod), ElementsAre("spec.restartPolicy: Unsupported value: \"Sometimes\": "
                                       "supported values: \"Always\", \"Never\", \"OnFailure\""));
  // Container-level policies (ContainerRestartRules) on every kind of container.
  pod = ValidPod();
  Container init{.name = "init", .image = "busybox", .restart_policy = "Never"};
  pod.spec.init_containers.push_back(init);
  pod.spec.containers[0].restart_policy = "OnFailure";
  ApplyDefaults(pod);
  EXPECT_THAT(Errors(pod), IsEmpty());
  pod.spec.init_containers[0].restart_policy = "Sometimes";
  pod.spec.containers[0].restart_policy.reset();
  EXPECT_THAT(Errors(pod), ElementsAre("spec.initContainers[0].restartPolicy: Unsupported value: "
                                       "\"Sometimes\": supported values: \"Always\", \"Never\", "
                                       "\"OnFailure\""));
  pod.spec.containers[0].restart_policy.reset();
  pod.spec.init_containers[0].restart_policy = "Always";
  EXPECT_THAT(Errors(pod), IsEmpty());
}

TEST(ValidationTest, ContainerRestartRules) {
  Pod pod = ValidPod();
  Container& c = pod.spec.containers[0];
  c.restart_policy_rules.push_back(
      {.action = "Restart", .exit_codes = ContainerRestartRuleOnExitCodes{"In", {42}}});
  EXPECT_THAT(Errors(pod), ElementsAre("spec.containers[0].restartPolicy: Required value: must "
                                       "specify restartPolicy when restart rules are used"));
  c.restart_policy = "Never";
  EXPECT_THAT(Errors(pod), IsEmpty());
  c.restart_policy_rules.push_back({.action = "Reboot"});
  c.restart_policy_rules.push_back(
      {.action = "Restart", .exit_codes = ContainerRestartRuleOnExitCodes{"Between", {}}});
  c.restart_policy_rules.push_back({.action = "RestartAllContainers",
                                    .exit_codes = ContainerRestartRuleOnExitCodes{"NotIn", {0}}});
  EXPECT_THAT(
      Errors(pod),
      ElementsAre("spec.containers[0].restartPolicyRules[1].action: Unsupported value: "
                  "\"Reboot\": supported values: \"Restart\", \"RestartAllContainers\"",
                  "spec.containers[0].restartPolicyRules[1].exitCodes: Required value: must be "
                  "specified",
                  "spec.containers[0].restartPolicyRules[2].exitCodes.operator: Unsupported "
                  "value: \"Between\": supported values: \"In\", \"NotIn\"",
                  "spec.containers[0].restartPolicyRules[3].action: Forbidden: not supported by "
                  "cubelet (RestartAllContainers: restart rules may restart the container itself "
                  "only)"));
  c.restart_policy_rules.assign(
      21, {.action = "Restart",
           .exit_codes = ContainerRestartRuleOnExitCodes{"In", std::vector<int32_t>(256, 1)}});
  std::vector<std::string> errs = Errors(pod);
  ASSERT_EQ(errs.size(), 22u);
  EXPECT_EQ(errs[0],
            "spec.containers[0].restartPolicyRules: Too many: 21: must have at most 20 "
            "items");
  EXPECT_EQ(errs[1],
            "spec.containers[0].restartPolicyRules[0].exitCodes.values: Too many: 256: "
            "must have at most 255 items");
}

TEST(ValidationTest, ImagePullPolicy) {
  Pod pod = ValidPod();
  pod.spec.containers[0].image_pull_policy = "Sometimes";
  EXPECT_THAT(Errors(pod),
              ElementsAre("spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": "
                          "supported values: \"Always\", \"IfNotPresent\", \"Never\""));
}

TEST(ValidationTest, Ports) {
  Pod pod = ValidPod();
  auto& ports = pod.spec.containers[0].ports;
  ports.clear();
  ports.push_back({.container_port = 0, .protocol = "TCP"});
  ports.push_back({.host_port = 70000, .container_port = 70000, .protocol = "TCP"});
  ports.push_back({.name = "HTTP", .container_port = 8080, .protocol = "ICMP"});
  EXPECT_THAT(
      Errors(pod),
      ElementsAre(
          "spec.containers[0].ports[0].containerPort: Required value",
          "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 "
          "and 65535, inclusive",
          "spec.containers[0].ports[1].hostPort: Invalid value: 70000: must be between 1 and "
          "65535, inclusive",
          "spec.containers[0].ports[2].name: Invalid value: \"HTTP\": must contain only "
          "alpha-numeric characters (a-z, 0-9), and hyphens (-)",
          "spec.containers[0].ports[2].name: Invalid value: \"HTTP\": must contain at least one "
          "letter (a-z)",
          "spec.containers[0].ports[2].protocol: Unsupported value: \"ICMP\": supported values: "
          "\"SCTP\", \"TCP\", \"UDP\""));
}

TEST(ValidationTest, HostPortConflict) {
  Pod pod = ValidPod();
  pod.spec.containers[0].ports[0].host_port = 80;
  Container other{.name = "other", .image = "nginx"};
  other.ports.push_back({.host_port = 80, .container_port = 81});
  pod.spec.containers.push_back(other);
  ApplyDefaults(pod);
  EXPECT_THAT(Errors(pod),
              ElementsAre("spec.containers[1].ports[0].hostPort: Duplicate value: \"80/TCP\""));
}

TEST(ValidationTest, Volumes) {
  Pod pod = ValidPod();
  pod.spec.volumes.push_back({.name = "data", .host_path = HostPathVolumeSource{.path = "/x"}});
  pod.spec.volumes.push_back({.name = "none"});
  pod.spec.volumes.push_back({.name = "both",
                              .empty_dir = EmptyDirVolumeSource{.medium = "Tape"},
                              .host_path = HostPathVolumeSource{.path = "/a/../b", .type = "Dir"}});
  EXPECT_THAT(
      Errors(pod),
      ElementsAre("spec.volumes[1].name: Duplicate value: \"data\"",
                  "spec.volumes[2]: Required value: must specify a volume type",
                  "spec.volumes[3].emptyDir.medium: Forbidden: not supported by cubelet "
                  "(medium \"Tape\": emptyDir volumes are on disk (\"\") or in memory "
                  "(\"Memory\"); HugePages media are not implemented)",
                  "spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type",
                  "spec.volumes[3].hostPath.path: Invalid value: \"/a/../b\": must not contain "
                  "'..'",
                  "spec.volumes[3].hostPath.type: Unsupported value: \"Dir\": supported values: "
                  "\"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", "
                  "\"File\", \"FileOrCreate\", \"Socket\""));
}

TEST(ValidationTest, VolumeMounts) {
  Pod pod = ValidPod();
  auto& mounts = pod.spec.containers[0].volume_mounts;
  mounts.push_back({.name = "x", .mount_path = "/x"});
  mounts.push_back({.name = "data", .mount_path = ""});
  mounts.push_back({.name = "data", .mount_path = "/data", .sub_path = "/abs"});
  EXPECT_THAT(Errors(pod),
              ElementsAre("spec.containers[0].volumeMounts[1].name: Not found: \"x\"",
                          "spec.containers[0].volumeMounts[2].mountPath: Required value",
                          "spec.containers[0].volumeMounts[3].mountPath: Invalid value: "
                          "\"/data\": must be unique",
                          // Upstream names the list, not the mount.
                          "spec.containers[0].volumeMounts.subPath: Invalid value: \"/abs\": "
                          "must be a relative path"));
}

TEST(ValidationTest, Probes) {
  Pod pod = ValidPod();
  Container& c = pod.spec.containers[0];
  c.liveness_probe = Probe{};
  c.readiness_probe = Probe{.handler = {.exec = ExecAction{}, .tcp_socket = TCPSocketAction{}}};
  c.startup_probe = Probe{.handler = {.grpc = GRPCAction{.port = 9090}},
                          .initial_delay_seconds = -1,
                          .period_seconds = 0,
                          .success_threshold = 2};
  EXPECT_THAT(
      Errors(pod),
      ElementsAre(
          "spec.containers[0].livenessProbe: Required value: must specify a handler type",
          "spec.containers[0].readinessProbe.exec.command: Required value",
          "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 "
          "handler type",
          "spec.containers[0].startupProbe.initialDelaySeconds: Invalid value: -1: must be "
          "greater than or equal to 0",
          "spec.containers[0].startupProbe.periodSeconds: Invalid value: 0: must be greater than "
          "or equal to 1",
          "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1"));
}

TEST(ValidationTest, ProbeHandlers) {
  Pod pod = ValidPod();
  Container& c = pod.spec.containers[0];
  c.liveness_probe = Probe{};
  c.liveness_probe->handler.http_get =
      HTTPGetAction{.path = "/healthz",
                    .port = {.is_string = true, .string_value = "http"},
                    .scheme = "FTP",
                    .http_headers = {{"Bad Header", "x"}}};
  c.readiness_probe = Probe{};
  c.readiness_probe->handler.tcp_socket = TCPSocketAction{.port = {.int_value = 0}};
  c.lifecycle = Lifecycle{.post_start = LifecycleHandler{}};
  EXPECT_THAT(
      Errors(pod),
      ElementsAre("spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"FTP\": "
                  "supported values: \"HTTP\", \"HTTPS\"",
                  "spec.containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: "
                  "\"Bad Header\": a valid HTTP header must consist of alphanumeric characters "
                  "or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
                  "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: 0: must be "
                  "between 1 and 65535, inclusive",
                  "spec.containers[0].lifecycle.postStart: Required value: must specify a "
                  "handler type"));
}

TEST(ValidationTest, InitContainerProbesNeedSidecar) {
  Pod pod = ValidPod();
  Container init{.name = "init", .image = "busybox"};
  init.readiness_probe = Probe{.handler = {.exec = ExecAction{{"true"}}}};
  pod.spec.init_containers.push_back(init);
  ApplyDefaults(pod);
  EXPECT_THAT(Errors(pod),
              ElementsAre("spec.initContainers[0].readinessProbe: Forbidden: may not be set for "
                          "init containers without restartPolicy=Always"));
  pod.spec.init_containers[0].restart_policy = "Always";
  EXPECT_THAT(Errors(pod), IsEmpty());
}

TEST(ValidationTest, EnvAndResources) {
  Pod pod = ValidPod();
  Container& c = pod.spec.containers[0];
  c.env.push_back({.name = ""});
  c.env.push_back({.name = "A=B", .value = "x"});
  EnvVar ref{.name = "NODE"};
  ref.value_from = EnvVarSource{.field_ref = ObjectFieldSelector{"v1", "spec.nodeNameX"}};
  c.env.push_back(ref);
  EnvVar label{.name = "APP"};
  label.value_from = EnvVarSource{.field_ref = ObjectFieldSelector{"v1", "metadata.labels['app']"}};
  c.env.push_back(label);
  c.resources.limits = {{"cpu", "500m"}, {"memory", "abc"}};
  c.resources.requests = {{"cpu", "1"}, {"ephemeral-storage", "-1"}};
  EXPECT_THAT(
      Errors(pod),
      ElementsAre(
          "spec.containers[0].env[0].name: Required value",
          "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable "
          "name must consist only of printable ASCII characters other than '='",
          "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Invalid value: "
          "\"spec.nodeNameX\": error converting fieldPath: field label not supported: "
          "spec.nodeNameX",
          "spec.containers[0].resources.limits[memory]: Invalid value: \"abc\": quantities must "
          "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than "
          "or equal to cpu limit of 500m",
          "spec.containers[0].resources.requests[ephemeral-storage]: Invalid value: \"-1\": must "
          "be greater than or equal to 0"));
}

TEST(ValidationTest, PodFields) {
  Pod pod = ValidPod();
  pod.spec.termination_grace_period_seconds = -1;
  pod.spec.active_deadline_seconds = 0;
  pod.spec.dns_policy = "Google";
  pod.spec.hostname = "Host";
  pod.spec.host_network = true;
  EXPECT_THAT(
      Errors(pod),
      ElementsAre(
          "spec.containers[0].ports[0].hostPort: Invalid value: 0: must match `containerPort` "
          "when `hostNetwork` is true",
          "spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirst\", "
          "\"ClusterFirstWithHostNet\", \"Default\", \"None\"",
          "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal "
          "to 0",
          "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
          "inclusive",
          "spec.hostname: Invalid value: \"Host\": a lowercase RFC 1123 label must consist of "
          "lower case alphanumeric characters or '-', and must start and end with an "
          "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
}

TEST(ValidationTest, SecurityContext) {
  Pod pod = ValidPod();
  pod.spec.containers[0].security_context =
      SecurityContext{.run_as_user = -5, .privileged = true, .allow_privilege_escalation = false};
  EXPECT_THAT(Errors(pod),
              ElementsAre("spec.containers[0].securityContext.runAsUser: Invalid value: -5: must "
                          "be between 0 and 2147483647, inclusive",
                          "spec.containers[0].securityContext: Invalid value: \"\": cannot set "
                          "`allowPrivilegeEscalation` to false and `privileged` to true"));
}

TEST(ValidationTest, GoQuoteEscapes) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
  EXPECT_EQ((FieldError{"", "Required value"}).ToString(), "Required value");
}

}  // namespace
}  // namespace cubelet::api

namespace cubelet::api {
namespace {

TEST(ValidationTest, PodLevelResourcesAreRefusedNotIgnored) {
  Pod pod = ValidPod();
  pod.spec.resources = ResourceRequirements{.limits = {{"cpu", "1"}}, .requests = {}};
  EXPECT_THAT(Errors(pod),
              ::testing::ElementsAre(
                  "spec.resources: Forbidden: pod-level resources are not supported by cubelet "
                  "yet (it does not set pod cgroup limits); set them on the containers"));
}

}  // namespace
}  // namespace cubelet::api

namespace cubelet::api {
namespace {

// Item 5 of issue 14: invalid pods the API server refuses, with its wording.
struct Case {
  const char* name;
  void (*mutate)(Pod&);
  std::vector<std::string> want;
};

class UpstreamParityTest : public ::testing::TestWithParam<Case> {};

TEST_P(UpstreamParityTest, RefusedWithUpstreamMessage) {
  Pod pod = ValidPod();
  GetParam().mutate(pod);
  EXPECT_EQ(Errors(pod), GetParam().want);
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

constexpr char kEnvFieldPaths[] =
    "supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", "
    "\"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", "
    "\"status.podIP\", \"status.podIPs\"";

EnvVar FieldRefEnv(const char* path, const char* api_version = "v1") {
  EnvVar e{.name = "X"};
  e.value_from = EnvVarSource{.field_ref = ObjectFieldSelector{api_version, path}};
  return e;
}

INSTANTIATE_TEST_SUITE_P(
    ValidationTest, UpstreamParityTest,
    ::testing::Values(
        Case{"DnsPolicyNoneWithoutDnsConfig",
             [](Pod& p) { p.spec.dns_policy = "None"; },
             {"spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is "
              "None"}},
        Case{"DnsPolicyNoneWithoutNameservers",
             [](Pod& p) {
               p.spec.dns_policy = "None";
               p.spec.dns_config = PodDNSConfig{.searches = {"svc.local"}};
             },
             {"spec.dnsConfig.nameservers: Required value: must provide at least one DNS "
              "nameserver when `dnsPolicy` is None"}},
        Case{"DnsConfigBadNameserverSearchAndOption",
             [](Pod& p) {
               p.spec.dns_config = PodDNSConfig{.nameservers = {"1.1.1.1", "dns.example"},
                                                .searches = {"ok.example.", "_srv.x", "Bad."},
                                                .options = {{.name = ""}}};
             },
             {"spec.dnsConfig.nameservers[1]: Invalid value: \"dns.example\": must be a valid IP "
              "address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
              "spec.dnsConfig.searches[2]: Invalid value: \"Bad\": a lowercase RFC 1123 subdomain "
              "must consist of lower case alphanumeric characters, '-' or '.', and must start and "
              "end with an alphanumeric character (e.g. 'example.com', regex used for validation "
              "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
              "spec.dnsConfig.options[0]: Required value: Option.Name must not be empty"}},
        Case{"DnsConfigTooManyNameservers",
             [](Pod& p) {
               p.spec.dns_config =
                   PodDNSConfig{.nameservers = {"1.1.1.1", "8.8.8.8", "9.9.9.9", "::1"}};
             },
             {"spec.dnsConfig.nameservers: Invalid value: [\"1.1.1.1\",\"8.8.8.8\",\"9.9.9.9\","
              "\"::1\"]: must not have more than 3 nameservers"}},
        Case{"EnvFieldRefWholeLabelsNeedsAKey",
             [](Pod& p) { p.spec.containers[0].env.push_back(FieldRefEnv("metadata.labels")); },
             {std::string("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported "
                          "value: \"metadata.labels\": ") +
              kEnvFieldPaths}},
        Case{
            "EnvFieldRefWholeAnnotationsNeedsAKey",
            [](Pod& p) { p.spec.containers[0].env.push_back(FieldRefEnv("metadata.annotations")); },
            {std::string("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported "
                         "value: \"metadata.annotations\": ") +
             kEnvFieldPaths}},
        Case{"EnvFieldRefSubscriptOnlyOnLabelsAndAnnotations",
             [](Pod& p) {
               p.spec.containers[0].env.push_back(FieldRefEnv("metadata.name['x']"));
               p.spec.containers[0].env.push_back(FieldRefEnv("metadata.labels['bad key']"));
               p.spec.containers[0].env.push_back(FieldRefEnv("metadata.labels['app']"));
             },
             {"spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "
              "\"metadata.name['x']\": error converting fieldPath: field label does not support "
              "subscript: metadata.name['x']",
              "spec.containers[0].env[1].valueFrom.fieldRef: Invalid value: \"bad key\": name "
              "part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
              "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
              "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}},
        Case{"EnvFieldRefOtherApiVersion",
             [](Pod& p) { p.spec.containers[0].env.push_back(FieldRefEnv("metadata.name", "v2")); },
             {"spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "
              "\"metadata.name\": error converting fieldPath: unsupported pod version: v2"}},
        Case{"EnvValueFromWithoutSource",
             [](Pod& p) {
               EnvVar e{.name = "X"};
               e.value_from = EnvVarSource{};
               p.spec.containers[0].env.push_back(e);
             },
             {"spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: "
              "`fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"}},
        Case{
            "RecursiveReadOnlyNeedsReadOnlyWithoutPropagation",
            [](Pod& p) {
              p.spec.volumes.push_back(Volume{.name = "v", .empty_dir = EmptyDirVolumeSource{}});
              p.spec.containers[0].volume_mounts = {
                  VolumeMount{.name = "v",
                              .mount_path = "/a",
                              .mount_propagation = "HostToContainer",
                              .recursive_read_only = "Enabled"},
                  VolumeMount{.name = "v", .mount_path = "/b", .recursive_read_only = "Always"}};
            },
            {"spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be "
             "specified when readOnly is true",
             "spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be "
             "specified when mountPropagation is None or not specified",
             "spec.containers[0].volumeMounts[1].recursiveReadOnly: Unsupported value: \"Always\": "
             "supported values: \"Disabled\", \"Enabled\", \"IfPossible\""}},
        Case{"FileKeyRefNeedsAnEmptyDirOfThePod",
             [](Pod& p) {
               EnvVar e{.name = "A"};
               e.value_from = EnvVarSource{.file_key_ref = FileKeySelector{
                                               .volume_name = "nope", .path = "a.env", .key = "A"}};
               p.spec.containers[0].env.push_back(e);
               EnvVar h{.name = "B"};
               h.value_from = EnvVarSource{.file_key_ref = FileKeySelector{
                                               .volume_name = "host", .path = "../x", .key = ""}};
               p.spec.containers[0].env.push_back(h);
               p.spec.volumes.push_back(
                   Volume{.name = "host", .host_path = HostPathVolumeSource{.path = "/tmp"}});
             },
             {"spec.containers[0].env[1].valueFrom.fileKeyRef.key: Required value",
              "spec.containers[0].env[1].valueFrom.fileKeyRef.path: Invalid value: \"../x\": must "
              "not contain '..'",
              "spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Not found: \"nope\"",
              "spec.containers[0].env[1].valueFrom.fileKeyRef.volumeName: Invalid value: \"host\": "
              "referenced volume must be of type emptyDir"}},
        Case{"EnvFromWithNoSource",
             [](Pod& p) { p.spec.containers[0].env_from.push_back({.prefix = "P_"}); },
             {"spec.containers[0].envFrom: Invalid value: \"\": must specify one of: "
              "`configMapRef` or `secretRef`"}},
        Case{"RunAsUserMinusOne",
             [](Pod& p) {
               p.spec.security_context = PodSecurityContext{.run_as_user = -1};
               p.spec.security_context->supplemental_groups = {5, -2};
               p.spec.containers[0].security_context = SecurityContext{.run_as_group = -1};
             },
             {"spec.containers[0].securityContext.runAsGroup: Invalid value: -1: must be between "
              "0 and 2147483647, inclusive",
              "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and "
              "2147483647, inclusive",
              "spec.securityContext.supplementalGroups[1]: Invalid value: -2: must be between 0 "
              "and 2147483647, inclusive"}},
        Case{"InvalidSeccompProfileType",
             [](Pod& p) {
               p.spec.security_context =
                   PodSecurityContext{.seccomp_profile = SeccompProfile{.type = "Strict"}};
               p.spec.containers[0].security_context =
                   SecurityContext{.seccomp_profile = SeccompProfile{.type = ""}};
             },
             {"spec.containers[0].securityContext.seccompProfile.type: Required value: type is "
              "required when seccompProfile is set",
              "spec.securityContext.seccompProfile.type: Unsupported value: \"Strict\": supported "
              "values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\""}},
        Case{"SeccompLocalhostProfile",
             [](Pod& p) {
               p.spec.security_context =
                   PodSecurityContext{.seccomp_profile = SeccompProfile{.type = "Localhost"}};
               p.spec.containers[0].security_context =
                   SecurityContext{.seccomp_profile = SeccompProfile{
                                       .type = "RuntimeDefault", .localhost_profile = "p.json"}};
             },
             {"spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid "
              "value: \"p.json\": can only be set when seccomp type is Localhost",
              "spec.securityContext.seccompProfile.localhostProfile: Required value: must be set "
              "when seccomp type is Localhost"}},
        Case{"FsGroupChangePolicyAndSharedPidWithHostPid",
             [](Pod& p) {
               p.spec.host_pid = true;
               p.spec.share_process_namespace = true;
               p.spec.security_context = PodSecurityContext{.fs_group_change_policy = "Never"};
             },
             {"spec.shareProcessNamespace: Invalid value: true: "
              "ShareProcessNamespace and HostPID cannot both be enabled",
              "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Never\": supported "
              "values: \"Always\", \"OnRootMismatch\""}},
        Case{"BadTolerationOperator",
             [](Pod& p) {
               p.spec.tolerations.push_back({.key = "k", .operator_ = "Matches", .value = "v"});
               p.spec.tolerations.push_back({.operator_ = "Equal"});
               p.spec.tolerations.push_back({.key = "k",
                                             .operator_ = "Exists",
                                             .value = "v",
                                             .effect = "NoSchedule",
                                             .toleration_seconds = 5});
               p.spec.tolerations.push_back(
                   {.key = "k", .operator_ = "Exists", .effect = "Sometimes"});
             },
             {"spec.tolerations[0].operator: Unsupported value: \"Matches\": supported values: "
              "\"Equal\", \"Exists\"",
              "spec.tolerations[1].operator: Invalid value: \"Equal\": operator must be Exists "
              "when `key` is empty, which means \"match all values and all keys\"",
              "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be "
              "'NoExecute' when `tolerationSeconds` is set",
              "spec.tolerations[2].operator: Invalid value: \"v\": value must be empty when "
              "`operator` is 'Exists'",
              "spec.tolerations[3].effect: Unsupported value: \"Sometimes\": supported values: "
              "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""}},
        Case{"ExtendedResourceNameWithoutDomain",
             [](Pod& p) {
               p.spec.containers[0].resources.limits = {{"gpu", "1"}, {"example.com/gpu", "1"}};
             },
             {"spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a "
              "standard resource type or fully qualified",
              "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a "
              "standard resource for containers"}},
        Case{"ExtendedResourcesAreWholeAndNotOvercommitted",
             [](Pod& p) {
               p.spec.containers[0].resources.limits = {{"example.com/gpu", "500m"}};
               p.spec.containers[0].resources.requests = {{"example.com/gpu", "1"},
                                                          {"example.com/fpga", "1"}};
             },
             {"spec.containers[0].resources.limits[example.com/gpu]: Invalid value: \"500m\": "
              "must be an integer",
              "spec.containers[0].resources.limits: Required value: Limit must be set for non "
              "overcommitable resources",
              "spec.containers[0].resources.requests: Invalid value: \"1\": must "
              "be equal to example.com/gpu limit of 500m"}},
        Case{"DownwardAPIVolumeFilesMayNameWholeLabels",
             [](Pod& p) {
               DownwardAPIVolumeSource d;
               d.items.push_back(
                   {.path = "labels", .field_ref = ObjectFieldSelector{"v1", "metadata.labels"}});
               d.items.push_back(
                   {.path = "../node", .field_ref = ObjectFieldSelector{"v1", "spec.nodeName"}});
               d.items.push_back({.path = "none", .mode = 01000});
               p.spec.volumes.push_back({.name = "info", .downward_api = d});
             },
             {"spec.volumes[1].downwardAPI.path: Invalid value: \"../node\": must not "
              "contain '..'",
              "spec.volumes[1].downwardAPI.path: Invalid value: \"../node\": must not "
              "start with '..'",
              "spec.volumes[1].downwardAPI.fieldRef.fieldPath: Unsupported value: "
              "\"spec.nodeName\": supported values: \"metadata.annotations\", "
              "\"metadata.labels\", \"metadata.name\", \"metadata.namespace\", "
              "\"metadata.uid\"",
              "spec.volumes[1].downwardAPI: Required value: one of fieldRef and "
              "resourceFieldRef is required",
              "spec.volumes[1].downwardAPI.mode: Invalid value: 512: must be a number "
              "between 0 and 0777 (octal), both inclusive"}},
        Case{"BadHostAliasesIP",
             [](Pod& p) {
               p.spec.host_aliases.push_back({.ip = "10.0.0.300", .hostnames = {"db"}});
               p.spec.host_aliases.push_back({.ip = "010.000.000.001", .hostnames = {"Bad_Host"}});
               p.spec.host_aliases.push_back({.ip = "fe80::1", .hostnames = {"v6.local"}});
             },
             {"spec.hostAliases[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP "
              "address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
              "spec.hostAliases[1].hostnames[0]: Invalid value: \"Bad_Host\": a lowercase RFC "
              "1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
              "must start and end with an alphanumeric character (e.g. 'example.com', regex used "
              "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?"
              ")*')"}},
        // The cases below were found by the validation oracle
        // (scripts/validation-oracle.sh): the real API server's answer.
        Case{"SysctlNamesAndHostNamespaces",
             [](Pod& p) {
               p.spec.host_ipc = true;
               p.spec.security_context = PodSecurityContext{
                   .sysctls = {{"kernel..shm", "1"}, {"kernel.shmmax", "1"}, {"", "1"}}};
             },
             {"spec.securityContext.sysctls[0].name: Invalid value: \"kernel..shm\": must have at "
              "most 253 characters and match regex "
              "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$",
              "spec.securityContext.sysctls[1].name: Invalid value: \"kernel.shmmax\": may not be "
              "specified when 'hostIPC' is true",
              "spec.securityContext.sysctls[2].name: Required value"}},
        Case{"OsNodeSelectorRuntimeClassAndUserNamespace",
             [](Pod& p) {
               p.spec.os = PodOS{"plan9"};
               p.spec.node_selector = {{"bad key", "x"}};
               p.spec.runtime_class_name = "Bad_Class";
               p.spec.host_users = false;
               p.spec.host_pid = true;
             },
             {"spec.nodeSelector: Invalid value: \"bad key\": name part must consist of "
              "alphanumeric characters, '-', '_' or '.', and must start and end with an "
              "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
              "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
              "spec.runtimeClassName: Invalid value: \"Bad_Class\": a lowercase RFC 1123 "
              "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
              "start and end with an alphanumeric character (e.g. 'example.com', regex used for "
              "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
              "spec.os: Unsupported value: \"plan9\": supported values: \"linux\", \"windows\"",
              "spec.HostPID: Forbidden: when `hostUsers` is false"}},
        Case{"ResourceFieldRefsAndSleepAgainstTheGracePeriod",
             [](Pod& p) {
               Container& c = p.spec.containers[0];
               c.env.push_back(
                   {.name = "A",
                    .value_from = EnvVarSource{.resource_field_ref =
                                                   ResourceFieldSelector{"", "limits.gpu"}}});
               c.env.push_back(
                   {.name = "B",
                    .value_from = EnvVarSource{.resource_field_ref = ResourceFieldSelector{
                                                   "", "limits.cpu", std::string("2m")}}});
               c.env.push_back(
                   {.name = "C",
                    .value_from = EnvVarSource{.resource_field_ref = ResourceFieldSelector{
                                                   "", "requests.memory", std::string("1Mi")}}});
               p.spec.termination_grace_period_seconds = 5;
               c.lifecycle = Lifecycle{.pre_stop = LifecycleHandler{.sleep = SleepAction{10}}};
             },
             {"spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "
              "\"limits.gpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", "
              "\"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", "
              "\"requests.memory\"",
              "spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: Invalid value: "
              "\"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource",
              "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 10: must be "
              "non-negative and less than terminationGracePeriodSeconds (5)"}}),
    CaseName);

}  // namespace
}  // namespace cubelet::api
