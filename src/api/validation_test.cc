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
      "metadata.labels[k]: Invalid value: \"-bad\": a valid label must be an empty string"))
      << errs[1];
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
  pod = ValidPod();
  Container init{.name = "init", .image = "busybox", .restart_policy = "Never"};
  pod.spec.init_containers.push_back(init);
  pod.spec.containers[0].restart_policy = "Always";
  ApplyDefaults(pod);
  EXPECT_THAT(Errors(pod),
              ElementsAre("spec.containers[0].restartPolicy: Forbidden: may not be set for "
                          "non-init containers",
                          "spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": "
                          "supported values: \"Always\""));
  pod.spec.containers[0].restart_policy.reset();
  pod.spec.init_containers[0].restart_policy = "Always";
  EXPECT_THAT(Errors(pod), IsEmpty());
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
                  "spec.volumes[3].emptyDir.medium: Unsupported value: \"Tape\": supported "
                  "values: \"\", \"Memory\"",
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
                          "spec.containers[0].volumeMounts[3].subPath: Invalid value: \"/abs\": "
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
                  "spec.containers[0].livenessProbe.httpGet.httpHeaders[0].name: Invalid value: "
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
          "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: "
          "\"spec.nodeNameX\": supported values: \"metadata.annotations\", \"metadata.labels\", "
          "\"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", "
          "\"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", "
          "\"status.podIP\", \"status.podIPs\"",
          "spec.containers[0].resources.limits[memory]: Invalid value: \"abc\": quantities must "
          "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          "spec.containers[0].resources.requests[cpu]: Invalid value: \"1\": must be less than "
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
