#include "api/json.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/parse.h"
#include "api/pod.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cubelet::api {
namespace {

using nlohmann::json;

absl::Time T(int64_t unix_seconds) { return absl::FromUnixSeconds(unix_seconds); }

HTTPGetAction FullHTTPGet() {
  return {.path = "/healthz",
          .port = {.is_string = true, .string_value = "http"},
          .host = "127.0.0.1",
          .scheme = "HTTPS",
          .http_headers = {{"X-Probe", "1"}}};
}

Container FullContainer(const std::string& name) {
  Container c;
  c.name = name;
  c.image = "registry.local:5000/app:1.2";
  c.command = {"/bin/app"};
  c.args = {"--port", "8080"};
  c.working_dir = "/srv";
  c.ports = {{.name = "http",
              .host_port = 8080,
              .container_port = 8080,
              .protocol = "TCP",
              .host_ip = "0.0.0.0"}};
  c.env = {{.name = "MODE", .value = "prod"},
           {.name = "POD_IP",
            .value_from = EnvVarSource{.field_ref = ObjectFieldSelector{"v1", "status.podIP"}}}};
  c.resources = {.limits = {{"cpu", "1"}, {"memory", "64Mi"}},
                 .requests = {{"cpu", "100m"}, {"memory", "64Mi"}}};
  c.volume_mounts = {{.name = "data", .mount_path = "/data", .read_only = true, .sub_path = "s"}};
  c.liveness_probe = Probe{.handler = {.http_get = FullHTTPGet()},
                           .initial_delay_seconds = 5,
                           .timeout_seconds = 2,
                           .period_seconds = 7,
                           .success_threshold = 1,
                           .failure_threshold = 4,
                           .termination_grace_period_seconds = 9};
  c.readiness_probe =
      Probe{.handler = {.tcp_socket = TCPSocketAction{.port = {.int_value = 8080}, .host = "h"}}};
  c.startup_probe = Probe{.handler = {.grpc = GRPCAction{.port = 9090, .service = "health"}}};
  c.lifecycle =
      Lifecycle{.post_start = LifecycleHandler{.exec = ExecAction{{"sh", "-c", "echo hi"}}},
                .pre_stop = LifecycleHandler{.sleep = SleepAction{.seconds = 3}}};
  c.termination_message_path = "/dev/termination-log";
  c.termination_message_policy = "FallbackToLogsOnError";
  c.image_pull_policy = "IfNotPresent";
  c.security_context = SecurityContext{.run_as_user = 1000,
                                       .run_as_group = 1000,
                                       .run_as_non_root = true,
                                       .read_only_root_filesystem = true,
                                       .privileged = false,
                                       .allow_privilege_escalation = false,
                                       .capabilities = Capabilities{{"NET_ADMIN"}, {"ALL"}}};
  c.stdin = true;
  c.tty = true;
  return c;
}

ContainerStatus FullStatus(const std::string& name) {
  ContainerStatus s;
  s.name = name;
  s.state.running = ContainerStateRunning{T(1704164645)};
  s.last_state.terminated = ContainerStateTerminated{.exit_code = 137,
                                                     .signal = 9,
                                                     .reason = "OOMKilled",
                                                     .message = "killed",
                                                     .started_at = T(1704164000),
                                                     .finished_at = T(1704164600),
                                                     .container_id = "containerd://old"};
  s.ready = true;
  s.restart_count = 2;
  s.image = "registry.local:5000/app:1.2";
  s.image_id = "sha256:abc";
  s.container_id = "containerd://new";
  s.started = true;
  s.volume_mounts = {{.name = "data", .mount_path = "/data"},
                     {.name = "cfg",
                      .mount_path = "/etc/cfg",
                      .read_only = true,
                      .recursive_read_only = "Disabled"}};
  return s;
}

// Every field of pod.h set to something other than its zero value.
Pod FullPod() {
  Pod pod;
  pod.metadata = {.name = "web",
                  .namespace_ = "prod",
                  .uid = "0b6e7ad4-5a6c-4c3c-9a1e-4a9b1d3a0001",
                  .labels = {{"app", "web"}, {"tier", "1.10"}},
                  .annotations = {{"kubernetes.io/config.source", "file"}},
                  .creation_timestamp = T(1704164645),
                  .deletion_timestamp = T(1704168245),
                  .deletion_grace_period_seconds = 30};
  pod.spec.volumes = {
      {.name = "data",
       .empty_dir = EmptyDirVolumeSource{.medium = "Memory", .size_limit = "128Mi"}},
      {.name = "host", .host_path = HostPathVolumeSource{.path = "/var/log", .type = "Directory"}}};
  Container init = FullContainer("init");
  init.restart_policy = "Always";
  init.ports.clear();
  pod.spec.init_containers = {init};
  pod.spec.containers = {FullContainer("app")};
  pod.spec.containers[0].volume_mounts.push_back({.name = "host", .mount_path = "/var/log"});
  pod.spec.restart_policy = "OnFailure";
  pod.spec.termination_grace_period_seconds = 45;
  pod.spec.active_deadline_seconds = 3600;
  pod.spec.dns_policy = "ClusterFirstWithHostNet";
  pod.spec.node_name = "node-1";
  pod.spec.host_network = true;
  pod.spec.hostname = "web-0";
  pod.spec.subdomain = "web";
  pod.spec.scheduler_name = "default-scheduler";
  pod.spec.priority = 1000;
  pod.status.phase = "Running";
  pod.status.conditions = {{.type = "Ready",
                            .status = "True",
                            .last_probe_time = T(1704164700),
                            .last_transition_time = T(1704164650),
                            .reason = "Because",
                            .message = "all good"}};
  pod.status.message = "msg";
  pod.status.reason = "reason";
  pod.status.host_ip = "10.0.0.1";
  pod.status.pod_ip = "10.244.0.5";
  pod.status.pod_ips = {{"10.244.0.5"}, {"fd00::5"}};
  pod.status.start_time = T(1704164645);
  ContainerStatus init_status = FullStatus("init");
  init_status.state = {.waiting = ContainerStateWaiting{"CrashLoopBackOff", "back-off"}};
  pod.status.init_container_statuses = {init_status};
  pod.status.container_statuses = {FullStatus("app")};
  pod.status.qos_class = "Burstable";
  return pod;
}

TEST(JsonTest, RoundTripsAFullPod) {
  Pod pod = FullPod();
  json j = PodToJson(pod);
  absl::StatusOr<Pod> back = PodFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, pod);
  // Through text as well, and through the manifest parser (the pod is valid and
  // already defaulted, so defaulting must not change it).
  absl::StatusOr<Pod> reparsed = PodFromJson(json::parse(j.dump(2)));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, pod);
  ParsedManifest m = ParseManifest(j.dump(), "full.json");
  ASSERT_TRUE(m.errors.empty()) << m.errors[0].ToString();
  ASSERT_EQ(m.pods.size(), 1u);
  EXPECT_EQ(m.pods[0], pod);
}

// Every pod-level and container field the agent honours or judges survives
// a decode/encode round trip with its wire name.
TEST(JsonTest, RoundTripsSecurityDnsSchedulingAndDownwardFields) {
  const char* kWire = R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {
      "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": true,
                          "supplementalGroups": [4000, 5000], "fsGroup": 2000,
                          "fsGroupChangePolicy": "OnRootMismatch",
                          "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"},
                          "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
      "hostPID": true, "hostIPC": true, "shareProcessNamespace": true, "hostUsers": false,
      "runtimeClassName": "runc", "imagePullSecrets": [{"name": "regcred"}],
      "dnsPolicy": "None",
      "dnsConfig": {"nameservers": ["10.0.0.10"], "searches": ["svc.local"],
                    "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]},
      "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["foo.local", "bar.local"]}],
      "nodeSelector": {"disktype": "ssd"},
      "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
          {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}},
      "tolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute",
                       "tolerationSeconds": 60}],
      "os": {"name": "linux"},
      "resources": {"limits": {"cpu": "1"}},
      "serviceAccountName": "sa", "automountServiceAccountToken": false,
      "enableServiceLinks": false, "priorityClassName": "high",
      "volumes": [{"name": "info", "downwardAPI": {"defaultMode": 420, "items": [
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "cpu", "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu",
                                             "divisor": "1m"}, "mode": 256}]}}],
      "containers": [{
        "name": "app", "image": "busybox",
        "envFrom": [{"prefix": "CM_", "configMapRef": {"name": "cm", "optional": true}},
                    {"secretRef": {"name": "s"}}],
        "env": [{"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
                {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
                {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k",
                                                              "optional": true}}}],
        "volumeMounts": [{"name": "info", "mountPath": "/info",
                          "mountPropagation": "HostToContainer"}],
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}
      }]
    }})";
  json in = json::parse(kWire);
  absl::StatusOr<Pod> pod = PodFromJson(in);
  ASSERT_TRUE(pod.ok()) << pod.status();
  const PodSpec& s = pod->spec;
  ASSERT_TRUE(s.security_context.has_value());
  EXPECT_EQ(s.security_context->supplemental_groups, (std::vector<int64_t>{4000, 5000}));
  EXPECT_EQ(s.security_context->sysctls[0].value, "0");
  EXPECT_TRUE(s.host_pid && s.host_ipc);
  EXPECT_EQ(s.image_pull_secrets, std::vector<std::string>{"regcred"});
  ASSERT_TRUE(s.affinity->node_affinity->required_terms.has_value());
  EXPECT_EQ((*s.affinity->node_affinity->required_terms)[0].match_expressions[0].values[0],
            "linux");
  EXPECT_EQ(s.volumes[0].downward_api->items[1].mode, 256);
  EXPECT_EQ(s.containers[0].env[0].value_from->resource_field_ref->resource, "limits.memory");
  EXPECT_EQ(s.containers[0].volume_mounts[0].mount_propagation, "HostToContainer");

  json out = PodToJson(*pod);
  EXPECT_EQ(out["spec"], in["spec"]) << out["spec"].dump(2);
  absl::StatusOr<Pod> back = PodFromJson(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *pod);
}

TEST(JsonTest, WireFormShape) {
  json j = PodToJson(FullPod());
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["kind"], "Pod");
  EXPECT_EQ(j["metadata"]["namespace"], "prod");
  EXPECT_EQ(j["metadata"]["creationTimestamp"], "2024-01-02T03:04:05Z");
  EXPECT_EQ(j["metadata"]["deletionGracePeriodSeconds"], 30);
  const json& c = j["spec"]["containers"][0];
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"], "http");
  EXPECT_EQ(c["livenessProbe"]["periodSeconds"], 7);
  EXPECT_EQ(c["readinessProbe"]["tcpSocket"]["port"], 8080);
  EXPECT_EQ(c["resources"]["limits"]["memory"], "64Mi");
  EXPECT_EQ(c["env"][1]["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP");
  EXPECT_EQ(c["securityContext"]["privileged"], false);  // pointers keep false
  EXPECT_EQ(j["spec"]["initContainers"][0]["restartPolicy"], "Always");
  EXPECT_EQ(j["spec"]["volumes"][0]["emptyDir"]["sizeLimit"], "128Mi");
  EXPECT_EQ(j["status"]["podIPs"][1]["ip"], "fd00::5");
  EXPECT_EQ(j["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 137);
  EXPECT_EQ(j["status"]["containerStatuses"][0]["containerID"], "containerd://new");
  EXPECT_EQ(
      j["status"]["containerStatuses"][0]["volumeMounts"][1].dump(),
      R"({"mountPath":"/etc/cfg","name":"cfg","readOnly":true,"recursiveReadOnly":"Disabled"})");
}

TEST(JsonTest, OmitsEmptyFields) {
  Pod pod;
  pod.metadata.name = "p";
  pod.spec.containers.push_back({.name = "c"});
  pod.spec.volumes.push_back({.name = "v", .empty_dir = EmptyDirVolumeSource{}});
  EXPECT_EQ(PodToJson(pod).dump(),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)"
            R"("spec":{"containers":[{"name":"c"}],"volumes":[{"emptyDir":{},"name":"v"}]}})");
  pod.status.container_statuses.push_back({.name = "c"});
  EXPECT_EQ(PodToJson(pod)["status"].dump(),
            R"({"containerStatuses":[{"image":"","imageID":"","name":"c","ready":false,)"
            R"("restartCount":0}]})");
}

TEST(JsonTest, PodListShape) {
  EXPECT_EQ(PodListJson({}), R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]})");
  Pod a;
  a.metadata.name = "a";
  Pod b;
  b.metadata.name = "b";
  std::string list = PodListJson({a, b});
  EXPECT_EQ(
      list,
      R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[)"
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[]}},)"
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"},"spec":{"containers":[]}}]})");
  json parsed = json::parse(list);
  EXPECT_EQ(parsed["items"].size(), 2u);
}

TEST(JsonTest, PodFromJsonErrors) {
  absl::StatusOr<Pod> pod =
      PodFromJson(json::parse(R"({"kind":"Service","metadata":{"name":"x"}})"));
  EXPECT_EQ(pod.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pod.status().message(),
            "kind: Unsupported value: \"Service\": supported values: \"Pod\"");

  pod = PodFromJson(
      json::parse(R"({"metadata":{"name":7,"labels":[]},"spec":{"hostNetwork":"yes",)"
                  R"("containers":[{"name":"c","ports":[{"containerPort":80.5}]}, "x"]}})"));
  EXPECT_EQ(pod.status().message(),
            "metadata.name: Invalid value: 7: must be a string (cannot unmarshal number into a "
            "string field; quote the value); "
            "metadata.labels: Invalid value: []: must be an object; "
            "spec.containers[0].ports[0].containerPort: Invalid value: 80.5: must be an integer; "
            "spec.containers[1]: Invalid value: \"x\": must be an object; "
            "spec.hostNetwork: Invalid value: \"yes\": must be a boolean");

  // Items of a list carry no apiVersion/kind; that is fine.
  pod = PodFromJson(json::parse(R"({"metadata":{"name":"x"}})"));
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->metadata.name, "x");
  EXPECT_EQ(pod->kind, "Pod");
}

TEST(JsonTest, NumbersAreQuantitiesButNotStrings) {
  absl::StatusOr<Pod> pod = PodFromJson(json::parse(
      R"({"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":1,"memory":0.5}}}]}})"));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->spec.containers[0].resources.limits.at("cpu"), "1");
  EXPECT_EQ(pod->spec.containers[0].resources.limits.at("memory"), "0.5");

  // As the API server's decoder: a number or a boolean in a string field is an
  // error, not silently turned into text.
  pod = PodFromJson(
      json::parse(R"({"metadata":{"name":12345,"labels":{"a":true}},)"
                  R"("spec":{"containers":[{"name":"c","env":[{"name":"FLAG","value":true}]}]}})"));
  EXPECT_EQ(pod.status().message(),
            "metadata.name: Invalid value: 12345: must be a string (cannot unmarshal number into "
            "a string field; quote the value); "
            "metadata.labels[a]: Invalid value: true: must be a string (cannot unmarshal bool "
            "into a string field; quote the value); "
            "spec.containers[0].env[0].value: Invalid value: true: must be a string (cannot "
            "unmarshal bool into a string field; quote the value)");
}

TEST(JsonTest, RenderJsonPrefixIsBoundedForDeepAndLongValues) {
  json deep = json::array();
  for (int i = 0; i < 200000; ++i) deep = json::array({std::move(deep)});
  std::string r = RenderJsonPrefix(deep, 64);
  EXPECT_LE(r.size(), 67u);
  EXPECT_TRUE(r.starts_with("[[[[")) << r;
  EXPECT_EQ(RenderJsonPrefix(json(std::string(100000, 'x')), 8), "\"xxxxxxxx...\"");
  EXPECT_EQ(TruncateUtf8("\xc3\xa9\xc3\xa9", 3), "\xc3\xa9...");
  EXPECT_EQ(InvalidUtf8At("ok \xc3\xa9"), std::string_view::npos);
  EXPECT_EQ(InvalidUtf8At("ab\xff"), 2u);
  EXPECT_EQ(InvalidUtf8At("\xc0\x80"), 0u);      // overlong
  EXPECT_EQ(InvalidUtf8At("\xed\xa0\x80"), 0u);  // surrogate
}

TEST(JsonTest, TimesAreRfc3339) {
  EXPECT_EQ(FormatApiTime(T(1704164645) + absl::Milliseconds(500)), "2024-01-02T03:04:05Z");
  absl::StatusOr<Pod> pod =
      PodFromJson(json::parse(R"({"metadata":{"creationTimestamp":"2024-01-02T04:04:05+01:00",)"
                              R"("deletionTimestamp":"yesterday"}})"));
  EXPECT_EQ(pod.status().message(),
            "metadata.deletionTimestamp: Invalid value: \"yesterday\": must be an RFC 3339 "
            "timestamp");
  pod = PodFromJson(
      json::parse(R"({"metadata":{"creationTimestamp":"2024-01-02T04:04:05.25+01:00"}})"));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(*pod->metadata.creation_timestamp, T(1704164645) + absl::Milliseconds(250));
}

}  // namespace
}  // namespace cubelet::api
