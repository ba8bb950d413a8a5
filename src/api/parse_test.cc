#include "api/parse.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/json.h"
#include "api/pod.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Errors(const ParsedManifest& m) {
  std::vector<std::string> out;
  for (const ManifestError& e : m.errors) out.push_back(e.ToString());
  return out;
}

constexpr char kFullPod[] = R"(# a static pod with every supported field
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
  uid: 1234-abcd
  labels:
    app: web
    version: "1.0"
  annotations:
    example.com/note: hello
  creationTimestamp: "2024-01-02T03:04:05Z"
  deletionTimestamp: 2024-01-02T04:04:05Z
  deletionGracePeriodSeconds: 30
spec:
  volumes:
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 64Mi
  - name: logs
    hostPath:
      path: /var/log
      type: DirectoryOrCreate
  initContainers:
  - name: setup
    image: busybox:1.36
    command: ["sh", "-c", "echo setup"]
  - name: proxy
    image: envoy:v1.30
    restartPolicy: Always
    readinessProbe:
      tcpSocket:
        port: 9901
  containers:
  - name: app
    image: nginx
    command: [nginx]
    args: ["-g", "daemon off;"]
    workingDir: /srv
    ports:
    - name: http
      containerPort: 80
      hostPort: 8080
      protocol: TCP
      hostIP: 127.0.0.1
    - containerPort: 53
      protocol: UDP
    env:
    - name: MODE
      value: prod
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    resources:
      limits:
        cpu: 1
        memory: 128Mi
      requests:
        cpu: 0.5
        memory: 64Mi
    volumeMounts:
    - name: cache
      mountPath: /cache
    - name: logs
      mountPath: /var/log/nginx
      readOnly: true
      subPath: nginx
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
        httpHeaders:
        - name: X-Probe
          value: "1"
      initialDelaySeconds: 3
      periodSeconds: 5
      failureThreshold: 6
    readinessProbe:
      exec:
        command: [cat, /tmp/ready]
      timeoutSeconds: 2
    startupProbe:
      grpc:
        port: 9090
        service: health
      terminationGracePeriodSeconds: 10
    lifecycle:
      postStart:
        httpGet:
          port: 80
      preStop:
        sleep:
          seconds: 5
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      runAsUser: 1000
      runAsGroup: 2000
      runAsNonRoot: true
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities:
        add: [NET_BIND_SERVICE]
        drop: [ALL]
    stdin: true
    tty: false
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 60
  activeDeadlineSeconds: 600
  nodeName: node-1
  dnsPolicy: Default
  hostname: web-0
  subdomain: webs
  schedulerName: my-scheduler
  priority: 100
  tolerations: [{operator: Exists}]
status:
  phase: Running
  podIP: 10.244.0.7
  podIPs:
  - ip: 10.244.0.7
  hostIP: 10.0.0.1
  startTime: "2024-01-02T03:04:06Z"
  conditions:
  - type: Ready
    status: "True"
    lastTransitionTime: "2024-01-02T03:04:10Z"
  containerStatuses:
  - name: app
    ready: true
    restartCount: 1
    image: nginx
    imageID: docker.io/library/nginx@sha256:abc
    containerID: containerd://abc
    started: true
    state:
      running:
        startedAt: "2024-01-02T03:04:08Z"
    lastState:
      terminated:
        exitCode: 1
        reason: Error
        finishedAt: "2024-01-02T03:04:07Z"
)";

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

TEST(ParseTest, FullPod) {
  ParsedManifest m = ParseManifest(kFullPod, "web.yaml");
  ASSERT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 1u);
  const Pod& pod = m.pods[0];
  EXPECT_EQ(pod.metadata.name, "web");
  EXPECT_EQ(pod.metadata.namespace_, "prod");
  EXPECT_EQ(pod.metadata.uid, "1234-abcd");
  EXPECT_EQ(pod.metadata.labels,
            (std::map<std::string, std::string>{{"app", "web"}, {"version", "1.0"}}));
  EXPECT_EQ(pod.metadata.annotations.at("example.com/note"), "hello");
  EXPECT_EQ(pod.metadata.creation_timestamp, At("2024-01-02T03:04:05Z"));
  EXPECT_EQ(pod.metadata.deletion_timestamp, At("2024-01-02T04:04:05Z"));
  EXPECT_EQ(pod.metadata.deletion_grace_period_seconds, 30);

  const PodSpec& spec = pod.spec;
  ASSERT_EQ(spec.volumes.size(), 2u);
  EXPECT_EQ(spec.volumes[0].empty_dir->medium, "Memory");
  EXPECT_EQ(spec.volumes[0].empty_dir->size_limit, "64Mi");
  EXPECT_EQ(spec.volumes[1].host_path->path, "/var/log");
  EXPECT_EQ(spec.volumes[1].host_path->type, "DirectoryOrCreate");
  ASSERT_EQ(spec.init_containers.size(), 2u);
  EXPECT_EQ(spec.init_containers[0].command, (std::vector<std::string>{"sh", "-c", "echo setup"}));
  EXPECT_FALSE(spec.init_containers[0].restart_policy.has_value());
  EXPECT_TRUE(IsRestartableInitContainer(spec.init_containers[1]));
  EXPECT_EQ(spec.init_containers[1].readiness_probe->handler.tcp_socket->port.int_value, 9901);

  ASSERT_EQ(spec.containers.size(), 1u);
  const Container& c = spec.containers[0];
  EXPECT_EQ(c.image, "nginx");
  EXPECT_EQ(c.image_pull_policy, "Always");
  EXPECT_EQ(c.args, (std::vector<std::string>{"-g", "daemon off;"}));
  EXPECT_EQ(c.working_dir, "/srv");
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].name, "http");
  EXPECT_EQ(c.ports[0].container_port, 80);
  EXPECT_EQ(c.ports[0].host_port, 8080);
  EXPECT_EQ(c.ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ(c.ports[1].protocol, "UDP");
  ASSERT_EQ(c.env.size(), 2u);
  EXPECT_EQ(c.env[0].value, "prod");
  EXPECT_EQ(c.env[1].value_from->field_ref->field_path, "metadata.name");
  EXPECT_EQ(c.env[1].value_from->field_ref->api_version, "v1");
  EXPECT_EQ(c.resources.limits.at("cpu"), "1");  // a YAML number becomes its text
  EXPECT_EQ(c.resources.requests.at("cpu"), "0.5");
  EXPECT_EQ(c.resources.limits.at("memory"), "128Mi");
  ASSERT_EQ(c.volume_mounts.size(), 2u);
  EXPECT_TRUE(c.volume_mounts[1].read_only);
  EXPECT_EQ(c.volume_mounts[1].sub_path, "nginx");
  const Probe& live = *c.liveness_probe;
  EXPECT_EQ(live.handler.http_get->path, "/healthz");
  EXPECT_TRUE(live.handler.http_get->port.is_string);
  EXPECT_EQ(live.handler.http_get->port.string_value, "http");
  EXPECT_EQ(live.handler.http_get->scheme, "HTTP");
  EXPECT_EQ(live.handler.http_get->http_headers[0].value, "1");
  EXPECT_EQ(live.initial_delay_seconds, 3);
  EXPECT_EQ(live.period_seconds, 5);
  EXPECT_EQ(live.timeout_seconds, 1);
  EXPECT_EQ(live.failure_threshold, 6);
  EXPECT_EQ(c.readiness_probe->handler.exec->command,
            (std::vector<std::string>{"cat", "/tmp/ready"}));
  EXPECT_EQ(c.readiness_probe->timeout_seconds, 2);
  EXPECT_EQ(c.startup_probe->handler.grpc->port, 9090);
  EXPECT_EQ(c.startup_probe->handler.grpc->service, "health");
  EXPECT_EQ(c.startup_probe->termination_grace_period_seconds, 10);
  EXPECT_EQ(c.lifecycle->post_start->http_get->port.int_value, 80);
  EXPECT_EQ(c.lifecycle->post_start->http_get->path, "/");
  EXPECT_EQ(c.lifecycle->pre_stop->sleep->seconds, 5);
  EXPECT_EQ(c.termination_message_policy, "FallbackToLogsOnError");
  EXPECT_EQ(c.termination_message_path, "/dev/termination-log");
  const SecurityContext& sc = *c.security_context;
  EXPECT_EQ(sc.run_as_user, 1000);
  EXPECT_EQ(sc.run_as_group, 2000);
  EXPECT_EQ(sc.run_as_non_root, true);
  EXPECT_EQ(sc.read_only_root_filesystem, true);
  EXPECT_FALSE(sc.privileged.has_value());
  EXPECT_EQ(sc.allow_privilege_escalation, false);
  EXPECT_EQ(sc.capabilities->add, std::vector<std::string>{"NET_BIND_SERVICE"});
  EXPECT_EQ(sc.capabilities->drop, std::vector<std::string>{"ALL"});
  EXPECT_TRUE(c.stdin);
  EXPECT_FALSE(c.tty);

  EXPECT_EQ(spec.restart_policy, "OnFailure");
  EXPECT_EQ(spec.termination_grace_period_seconds, 60);
  EXPECT_EQ(spec.active_deadline_seconds, 600);
  EXPECT_EQ(spec.node_name, "node-1");
  EXPECT_EQ(spec.dns_policy, "Default");
  EXPECT_EQ(spec.hostname, "web-0");
  EXPECT_EQ(spec.subdomain, "webs");
  EXPECT_EQ(spec.scheduler_name, "my-scheduler");
  EXPECT_EQ(spec.priority, 100);
  EXPECT_FALSE(spec.host_network);

  const PodStatus& st = pod.status;
  EXPECT_EQ(st.phase, "Running");
  EXPECT_EQ(st.pod_ip, "10.244.0.7");
  EXPECT_EQ(st.pod_ips[0].ip, "10.244.0.7");
  EXPECT_EQ(st.host_ip, "10.0.0.1");
  EXPECT_EQ(st.start_time, At("2024-01-02T03:04:06Z"));
  EXPECT_EQ(st.conditions[0].type, "Ready");
  EXPECT_EQ(st.conditions[0].status, "True");
  EXPECT_EQ(st.conditions[0].last_transition_time, At("2024-01-02T03:04:10Z"));
  const ContainerStatus& cs = st.container_statuses[0];
  EXPECT_TRUE(cs.ready);
  EXPECT_EQ(cs.restart_count, 1);
  EXPECT_EQ(cs.image_id, "docker.io/library/nginx@sha256:abc");
  EXPECT_EQ(cs.container_id, "containerd://abc");
  EXPECT_EQ(cs.started, true);
  EXPECT_EQ(cs.state.running->started_at, At("2024-01-02T03:04:08Z"));
  EXPECT_EQ(cs.last_state.terminated->exit_code, 1);
  EXPECT_EQ(cs.last_state.terminated->reason, "Error");

  // The wire form parses back to the same pod.
  absl::StatusOr<Pod> back = PodFromJson(PodToJson(pod));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, pod);
}

// Defaulting comes before validation, as in the API server: a downwardAPI
// volume file's fieldRef gets apiVersion v1 (SetDefaults_ObjectFieldSelector).
TEST(ParseTest, DownwardApiVolumeFieldRefDefaultsItsApiVersion) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: d, labels: {tier: front}}
spec:
  volumes:
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef: {fieldPath: metadata.labels}
  containers:
  - name: app
    image: busybox
)",
                                   "d.yaml");
  ASSERT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0].spec.volumes[0].downward_api->items[0].field_ref->api_version, "v1");
}

TEST(ParseTest, JsonInput) {
  ParsedManifest m = ParseManifest(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},)"
                                   "\n\t"
                                   R"("spec":{"containers":[{"name":"c","image":"busybox:1.36",)"
                                   R"("resources":{"limits":{"cpu":0.25}}}]}})",
                                   "pod.json");
  ASSERT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0].metadata.name, "j");
  EXPECT_EQ(m.pods[0].spec.containers[0].image_pull_policy, "IfNotPresent");
  EXPECT_EQ(m.pods[0].spec.containers[0].resources.limits.at("cpu"), "0.25");
}

TEST(ParseTest, MultiDocumentWithOneBadDocument) {
  ParsedManifest m = ParseManifest(R"(---
apiVersion: v1
kind: Pod
metadata: {name: one}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: a
    image: nginx
  - name: b
---
# an empty document is skipped but keeps the numbering
---
apiVersion: v1
kind: Pod
metadata: {name: three}
spec:
  containers: [{name: c, image: busybox}]
...
)",
                                   "web.yaml");
  EXPECT_THAT(Errors(m), ElementsAre("web.yaml: document 2: pod \"web\": "
                                     "spec.containers[1].image: Required value"));
  ASSERT_EQ(m.pods.size(), 2u);
  EXPECT_EQ(m.pods[0].metadata.name, "one");
  EXPECT_EQ(m.pods[1].metadata.name, "three");
  EXPECT_EQ(m.errors[0],
            (ManifestError{"web.yaml", 2, "web", "spec.containers[1].image", "Required value"}));
}

TEST(ParseTest, MalformedYamlDoesNotHideOtherDocuments) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: good}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: [unclosed
)",
                                   "bad.yaml");
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0].metadata.name, "good");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_EQ(m.errors[0].document, 2);
  EXPECT_EQ(m.errors[0].ToString(),
            "bad.yaml: document 2: invalid YAML at line 11, column 1: end of sequence flow not "
            "found");
  EXPECT_THAT(Errors(ParseManifest("a: b\n  c: d\n", "x.yaml")),
              ElementsAre("x.yaml: document 1: invalid YAML at line 2, column 4: illegal map "
                          "value"));
}

TEST(ParseTest, CrlfLineEndings) {
  ParsedManifest m = ParseManifest(
      "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: a}\r\nspec:\r\n"
      "  containers: [{name: c, image: busybox}]\r\n---\r\n"
      "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: b}\r\nspec:\r\n"
      "  containers: [{name: c, image: busybox}]\r\n",
      "crlf.yaml");
  EXPECT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 2u);
  EXPECT_EQ(m.pods[1].metadata.name, "b");
}

TEST(ParseTest, DocumentMustBeAMapping) {
  EXPECT_THAT(Errors(ParseManifest("- a\n- b\n", "l.yaml")),
              ElementsAre("l.yaml: document 1: Invalid value: [\"a\",\"b\"]: must be a mapping "
                          "(a Pod object)"));
}

TEST(ParseTest, WrongKindAndApiVersion) {
  EXPECT_THAT(Errors(ParseManifest("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
                                   "d.yaml")),
              ElementsAre("d.yaml: document 1: kind: Unsupported value: \"Deployment\": "
                          "supported values: \"Pod\" (this document is a Deployment \"d\", not "
                          "a Pod)"));
  EXPECT_THAT(Errors(ParseManifest("apiVersion: v2\nkind: Pod\nmetadata: {name: p}\n", "p.yaml")),
              ElementsAre("p.yaml: document 1: pod \"p\": apiVersion: Unsupported value: "
                          "\"v2\": supported values: \"v1\""));
}

TEST(ParseTest, NonPodDocumentSaysWhichDocumentIsNotAPod) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
apiVersion: v1
kind: Service
)",
                                   "app.yaml");
  EXPECT_THAT(Errors(m),
              ElementsAre("app.yaml: document 2: kind: Unsupported value: \"ConfigMap\": "
                          "supported values: \"Pod\" (this document is a ConfigMap "
                          "\"settings\", not a Pod)",
                          "app.yaml: document 3: kind: Unsupported value: \"Service\": "
                          "supported values: \"Pod\" (this document is a Service, not a Pod)"));
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0].metadata.name, "web");
}

TEST(ParseTest, MissingApiVersionAndKind) {
  EXPECT_THAT(Errors(ParseManifest("metadata: {name: x}\nspec: {}\n", "m.yaml")),
              ElementsAre("m.yaml: document 1: pod \"x\": apiVersion: Required value",
                          "m.yaml: document 1: pod \"x\": kind: Required value"));
  EXPECT_THAT(Errors(ParseManifest("apiVersion: v1\nspec: {}\n", "m.yaml")),
              ElementsAre("m.yaml: document 1: kind: Required value"));
}

TEST(ParseTest, MissingName) {
  ParsedManifest m = ParseManifest(
      "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: c, image: busybox}]\n", "n.yaml");
  EXPECT_THAT(Errors(m), ElementsAre("n.yaml: document 1: metadata.name: Required value: name or "
                                     "generateName is required"));
  EXPECT_THAT(m.pods, IsEmpty());
}

TEST(ParseTest, MissingImage) {
  EXPECT_THAT(
      Errors(ParseManifest(
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n",
          "i.yaml")),
      ElementsAre("i.yaml: document 1: pod \"p\": spec.containers[0].image: Required value"));
}

TEST(ParseTest, DuplicateContainerNamesAcrossInitAndRegular) {
  EXPECT_THAT(Errors(ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: c, image: busybox}]
  containers: [{name: c, image: busybox}]
)",
                                   "d.yaml")),
              ElementsAre("d.yaml: document 1: pod \"p\": spec.initContainers[0].name: "
                          "Duplicate value: \"c\""));
}

TEST(ParseTest, BadRestartPolicy) {
  EXPECT_THAT(Errors(ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  restartPolicy: Sometimes
  containers: [{name: c, image: busybox}]
)",
                                   "r.yaml")),
              ElementsAre("r.yaml: document 1: pod \"p\": spec.restartPolicy: Unsupported value: "
                          "\"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\""));
}

TEST(ParseTest, FieldsOfThePodCubeletDoesNotReadAreIgnored) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: p, generation: 4}
spec:
  serviceAccountName: sa
  containers: [{name: c, image: busybox, resizePolicy: [{resourceName: cpu}]}]
status: {nominatedNodeName: n}
)",
                                   "u.yaml");
  EXPECT_THAT(Errors(m), IsEmpty());
  EXPECT_EQ(m.pods.size(), 1u);
}

// As the API server's strict field validation (kubectl's default): a field
// the v1 Pod does not have is refused, with its path, and the pod with it.
TEST(ParseTest, UnknownFieldsAreRefused) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
extra: [1, 2]
metadata: {name: p, lables: {a: b}}
spec:
  restartpolicy: Never
  containers: [{name: c, image: busybox, imagePullPolice: Always}]
)",
                                   "u.yaml");
  EXPECT_THAT(Errors(m),
              UnorderedElementsAre(
                  "u.yaml: document 1: pod \"p\": extra: unknown field (the v1 Pod has no such "
                  "field)",
                  "u.yaml: document 1: pod \"p\": metadata.lables: unknown field (the v1 Pod has "
                  "no such field)",
                  "u.yaml: document 1: pod \"p\": spec.restartpolicy: unknown field (the v1 Pod "
                  "has no such field)",
                  "u.yaml: document 1: pod \"p\": spec.containers[0].imagePullPolice: unknown "
                  "field (the v1 Pod has no such field)"));
  EXPECT_THAT(m.pods, IsEmpty());
}

// The API server's YAML decoder reads integers in Go's syntax (YAML 1.1):
// a file mode written 0644 is octal.
TEST(ParseTest, IntegersInOctalHexAndBinary) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  terminationGracePeriodSeconds: 1_0
  activeDeadlineSeconds: 0x1F
  containers: [{name: c, image: busybox, ports: [{containerPort: 0b1010000}]}]
  volumes:
  - {name: a, downwardAPI: {defaultMode: 0644, items: [{path: x, mode: 0o400, fieldRef: {fieldPath: metadata.name}}]}}
)",
                                   "o.yaml");
  ASSERT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 1u);
  const PodSpec& spec = m.pods[0].spec;
  EXPECT_EQ(spec.termination_grace_period_seconds, 10);
  EXPECT_EQ(spec.active_deadline_seconds, 31);
  EXPECT_EQ(spec.containers[0].ports[0].container_port, 80);
  EXPECT_EQ(spec.volumes[0].downward_api->default_mode, 0644);
  EXPECT_EQ(spec.volumes[0].downward_api->items[0].mode, 0400);
}

// SetDefaults_Pod and SetDefaults_Volume, which the API server and the
// kubelet's file source apply before validation.
TEST(ParseTest, NegativeGracePeriodAndSourcelessVolumeAreDefaulted) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  terminationGracePeriodSeconds: -5
  containers: [{name: c, image: busybox, volumeMounts: [{name: scratch, mountPath: /s}]}]
  volumes: [{name: scratch}]
)",
                                   "d.yaml");
  ASSERT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0].spec.termination_grace_period_seconds, 1);
  EXPECT_TRUE(m.pods[0].spec.volumes[0].empty_dir.has_value());
}

TEST(ParseTest, WrongTypes) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: [a]
spec:
  hostNetwork: "true"
  terminationGracePeriodSeconds: 1.5
  containers:
  - name: c
    image: busybox
    command: sh
    ports:
    - containerPort: abc
    - containerPort: "80"
    - containerPort: 99999999999
    livenessProbe:
      tcpSocket: {port: [1]}
)",
                                   "t.yaml");
  EXPECT_THAT(
      Errors(m),
      ElementsAre(
          "t.yaml: document 1: pod \"p\": metadata.labels: Invalid value: [\"a\"]: must be an "
          "object",
          "t.yaml: document 1: pod \"p\": spec.containers[0].command: Invalid value: \"sh\": "
          "must be a list",
          "t.yaml: document 1: pod \"p\": spec.containers[0].ports[0].containerPort: Invalid "
          "value: \"abc\": must be an integer",
          "t.yaml: document 1: pod \"p\": spec.containers[0].ports[1].containerPort: Invalid "
          "value: \"80\": must be an integer",
          "t.yaml: document 1: pod \"p\": spec.containers[0].ports[2].containerPort: Invalid "
          "value: 99999999999: must be a 32-bit integer",
          "t.yaml: document 1: pod \"p\": spec.containers[0].livenessProbe.tcpSocket.port: "
          "Invalid value: [1]: must be an integer or a string",
          "t.yaml: document 1: pod \"p\": spec.terminationGracePeriodSeconds: Invalid value: "
          "\"1.5\": must be an integer",
          "t.yaml: document 1: pod \"p\": spec.hostNetwork: Invalid value: \"true\": must be a "
          "boolean"));
  EXPECT_THAT(m.pods, IsEmpty());
}

TEST(ParseTest, EmptyInput) {
  ParsedManifest m = ParseManifest("", "e.yaml");
  EXPECT_THAT(m.pods, IsEmpty());
  EXPECT_THAT(m.errors, IsEmpty());
  m = ParseManifest("# only a comment\n---\n", "e.yaml");
  EXPECT_THAT(m.pods, IsEmpty());
  EXPECT_THAT(m.errors, IsEmpty());
}

TEST(ParseTest, ManifestErrorToString) {
  EXPECT_EQ((ManifestError{"web.yaml", 2, "web", "spec.containers[1].image", "Required value"})
                .ToString(),
            "web.yaml: document 2: pod \"web\": spec.containers[1].image: Required value");
  EXPECT_EQ((ManifestError{"web.yaml", 1, "", "", "invalid YAML"}).ToString(),
            "web.yaml: document 1: invalid YAML");
  EXPECT_EQ((ManifestError{"web.yaml", 3, "p", "", "boom"}).ToString(),
            "web.yaml: document 3: pod \"p\": boom");
}

class ParseFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("cubelet_api_parse_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ParseFileTest, ReadsAFile) {
  std::string path = (dir_ / "ok.yaml").string();
  std::ofstream(path) << "apiVersion: v1\nkind: Pod\nmetadata: {name: f}\nspec:\n"
                         "  containers: [{name: c, image: busybox}]\n";
  absl::StatusOr<ParsedManifest> m = ParseManifestFile(path);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->pods.size(), 1u);
  EXPECT_EQ(m->pods[0].metadata.name, "f");

  std::ofstream(path) << "apiVersion: v1\nkind: Pod\nspec: {}\n";
  m = ParseManifestFile(path);
  ASSERT_TRUE(m.ok());
  ASSERT_FALSE(m->errors.empty());
  EXPECT_EQ(m->errors[0].source, path);
}

TEST_F(ParseFileTest, RejectsHugeFileUnread) {
  std::string path = (dir_ / "huge.yaml").string();
  {
    std::ofstream out(path, std::ios::binary);
    std::string block(1024 * 1024, '#');
    for (int i = 0; i < 10; ++i) out << block;
    out << "\n";  // one byte over the limit
  }
  absl::StatusOr<ParsedManifest> m = ParseManifestFile(path);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message(),
            "manifest \"" + path + "\" is 10485761 bytes, over the limit of 10485760 bytes");
}

TEST_F(ParseFileTest, AcceptsAFileExactlyAtTheLimit) {
  std::string path = (dir_ / "limit.yaml").string();
  {
    std::ofstream out(path, std::ios::binary);
    std::string line(1023, '#');
    line += '\n';
    for (int i = 0; i < 10 * 1024; ++i) out << line;
  }
  ASSERT_EQ(std::filesystem::file_size(path), 10u * 1024 * 1024);
  absl::StatusOr<ParsedManifest> m = ParseManifestFile(path);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->pods, IsEmpty());
  // Read in full: only comments, so the file counts as empty.
  EXPECT_THAT(m->errors, ElementsAre(ManifestError{path, 0, "", "", "file was empty"}));
}

TEST_F(ParseFileTest, EmptyFileIsReportedNotSkipped) {
  for (const char* content : {"", "\n  \n", "# just a note\n---\n---\n"}) {
    std::string path = (dir_ / "empty.yaml").string();
    std::ofstream(path) << content;
    absl::StatusOr<ParsedManifest> m = ParseManifestFile(path);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_THAT(m->pods, IsEmpty());
    ASSERT_EQ(m->errors.size(), 1u) << content;
    EXPECT_EQ(m->errors[0].ToString(), path + ": file was empty");
  }
}

TEST_F(ParseFileTest, MissingAndUnreadableFiles) {
  std::string path = (dir_ / "absent.yaml").string();
  absl::StatusOr<ParsedManifest> m = ParseManifestFile(path);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr(path));
  m = ParseManifestFile(dir_.string());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("is not a regular file"));
}

// Hostile input (issue 15): each is refused with an error, never a crash,
// hang or blow-up.
constexpr char kPodHead[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ";

TEST(ParseHostileTest, DeeplyNestedJsonIsRefusedAtParseTime) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string doc = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":)" + deep +
                    R"(},"spec":{"containers":[{"name":"c","image":"i"}]}})";
  ASSERT_GT(doc.size(), 200000u);
  ParsedManifest m = ParseManifest(doc, "deep.json");
  EXPECT_THAT(m.pods, IsEmpty());
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_THAT(m.errors[0].ToString(), HasSubstr("deep.json: document 1: metadata.name"));
  EXPECT_THAT(m.errors[0].detail, HasSubstr("nests deeper than 100 levels"));
  EXPECT_LT(m.errors[0].ToString().size(), 300u);
}

TEST(ParseHostileTest, DeeplyNestedYamlIsRefused) {
  for (int depth : {150, 100000}) {
    std::string doc = kPodHead + std::string(depth, '[') + std::string(depth, ']') + "\n";
    ParsedManifest m = ParseManifest(doc, "deep.yaml");
    EXPECT_THAT(m.pods, IsEmpty());
    ASSERT_EQ(m.errors.size(), 1u) << depth;
    EXPECT_LT(m.errors[0].ToString().size(), 600u);
  }
}

TEST(ParseHostileTest, WideValueIsQuotedByPrefixOnly) {
  std::string big = "[" + std::string(100000, '1') + "]";
  ParsedManifest m = ParseManifest(kPodHead + big + "\n", "wide.yaml");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_LT(m.errors[0].ToString().size(), 300u);
}

TEST(ParseHostileTest, InvalidUtf8NamesFileAndField) {
  std::string doc = std::string(kPodHead) +
                    "p\nspec:\n  containers:\n  - name: c\n    image: i\n"
                    "    command: [\"sh\", \"a\xff\"]\n";
  ParsedManifest m = ParseManifest(doc, "utf8.yaml");
  EXPECT_THAT(m.pods, IsEmpty());
  EXPECT_THAT(Errors(m), ElementsAre("utf8.yaml: document 1: spec.containers[0].command[1]: "
                                     "Invalid value: \"a\": invalid UTF-8 at byte 1 (strings "
                                     "must be valid UTF-8)"));
  // The same as JSON (nlohmann refuses it; the YAML reader reports where).
  m = ParseManifest(
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{"
      "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"command\":[\"\xff\"]}]}}",
      "utf8.json");
  EXPECT_THAT(m.pods, IsEmpty());
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_THAT(m.errors[0].ToString(), HasSubstr("spec.containers[0].command[0]: Invalid value"));
}

TEST(ParseHostileTest, AliasExpansionIsBounded) {
  std::string doc = std::string(kPodHead) + "p\n  annotations:\n    a: &s " +
                    std::string(1024 * 1024, 'x') + "\nspec:\n  x: [";
  for (int i = 0; i < 512; ++i) doc += i ? ", *s" : "*s";
  doc += "]\n  containers: [{name: c, image: i}]\n";
  ParsedManifest m = ParseManifest(doc, "alias.yaml");
  EXPECT_THAT(m.pods, IsEmpty());
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_THAT(m.errors[0].detail, HasSubstr("expands to more than 20971520 bytes"));
}

TEST(ParseHostileTest, DuplicateKeysAreRefused) {
  ParsedManifest m = ParseManifest(std::string(kPodHead) +
                                       "p\nspec:\n  containers:\n  - name: c\n    image: a\n"
                                       "    image: b\n",
                                   "dup.yaml");
  EXPECT_THAT(m.pods, IsEmpty());
  EXPECT_THAT(Errors(m), ElementsAre("dup.yaml: document 1: spec.containers[0].image: duplicate "
                                     "key \"image\" (a key may appear only once in a mapping)"));
  m = ParseManifest(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","name":"q"},"spec":{}})",
      "dup.json");
  EXPECT_THAT(Errors(m), ElementsAre("dup.json: document 1: metadata.name: duplicate key "
                                     "\"name\" (a key may appear only once in a mapping)"));
}

TEST(ParseHostileTest, NumbersAndYaml11BooleansWhereAStringBelongs) {
  for (std::string value : {"12345", "yes", "on", "true"}) {
    ParsedManifest m = ParseManifest(
        std::string(kPodHead) + value + "\nspec:\n  containers: [{name: c, image: i}]\n", "n.yaml");
    EXPECT_THAT(m.pods, IsEmpty()) << value;
    ASSERT_EQ(m.errors.size(), 1u) << value;
    EXPECT_THAT(m.errors[0].ToString(), HasSubstr("metadata.name: Invalid value: " +
                                                  std::string(value == "12345" ? "12345" : "true") +
                                                  ": must be a string (cannot unmarshal"));
  }
  // Quoted, the same text is a string; quantities take numbers.
  ParsedManifest m = ParseManifest(
      std::string(kPodHead) +
          "\"12345\"\nspec:\n  containers:\n  - name: c\n    image: i\n"
          "    resources: {limits: {cpu: 1}}\n    securityContext: {privileged: yes}\n",
      "n.yaml");
  EXPECT_THAT(Errors(m), IsEmpty());
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0].metadata.name, "12345");
}

TEST(ParseHostileTest, AbsurdValuesAreValidationErrors) {
  ParsedManifest m = ParseManifest(R"(apiVersion: v1
kind: Pod
metadata: {name: g}
spec:
  terminationGracePeriodSeconds: 9223372036854775807
  volumes: [{name: v, emptyDir: {sizeLimit: 1e30}}]
  containers:
  - name: c
    image: busybox
    resources: {limits: {memory: 100000000000000000000000Ei, cpu: 1e30}}
    lifecycle: {preStop: {sleep: {seconds: 9223372036854775807}}}
    livenessProbe: {exec: {command: ["true"]}, terminationGracePeriodSeconds: 9223372036854775807}
)",
                                   "absurd.yaml");
  EXPECT_THAT(m.pods, IsEmpty());
  EXPECT_THAT(
      Errors(m),
      ElementsAre(
          "absurd.yaml: document 1: pod \"g\": spec.terminationGracePeriodSeconds: Invalid value: "
          "9223372036854775807: must be at most 9223372036 (about 292 years)",
          "absurd.yaml: document 1: pod \"g\": spec.containers[0].resources.limits[cpu]: Invalid "
          "value: \"1e30\": must be less than 2^63 millicores",
          "absurd.yaml: document 1: pod \"g\": spec.containers[0].resources.limits[memory]: "
          "Invalid value: \"100000000000000000000000Ei\": must be less than 2^63",
          // Requests default to the limits.
          "absurd.yaml: document 1: pod \"g\": spec.containers[0].resources.requests[cpu]: "
          "Invalid value: \"1e30\": must be less than 2^63 millicores",
          "absurd.yaml: document 1: pod \"g\": spec.containers[0].resources.requests[memory]: "
          "Invalid value: \"100000000000000000000000Ei\": must be less than 2^63",
          "absurd.yaml: document 1: pod \"g\": "
          "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: "
          "9223372036854775807: must be at most 9223372036 (about 292 years)",
          "absurd.yaml: document 1: pod \"g\": spec.containers[0].lifecycle.preStop.sleep.seconds: "
          "Invalid value: 9223372036854775807: must be at most 9223372036 (about 292 years)",
          "absurd.yaml: document 1: pod \"g\": spec.volumes[0].emptyDir.sizeLimit: Invalid value: "
          "\"1e30\": must be less than 2^63"));
}

TEST_F(ParseFileTest, FifoIsRefusedWithoutBlocking) {
  std::string path = (dir_ / "x.yaml").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  absl::StatusOr<ParsedManifest> m = ParseManifestFile(path);  // must not block
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("is not a regular file"));
}

}  // namespace
}  // namespace cubelet::api
