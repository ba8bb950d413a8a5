#include "api/defaults.h"

#include <string>

#include "api/pod.h"
#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

Pod MinimalPod() {
  Pod pod;
  pod.metadata.name = "web";
  Container c;
  c.name = "app";
  c.image = "nginx:1.25";
  pod.spec.containers.push_back(c);
  return pod;
}

TEST(DefaultsTest, PodLevelDefaults) {
  Pod pod = MinimalPod();
  ApplyDefaults(pod);
  EXPECT_EQ(pod.metadata.namespace_, "default");
  EXPECT_EQ(pod.spec.restart_policy, "Always");
  EXPECT_EQ(pod.spec.termination_grace_period_seconds, 30);
  EXPECT_EQ(pod.spec.dns_policy, "ClusterFirst");
  EXPECT_EQ(pod.spec.scheduler_name, "default-scheduler");
  EXPECT_FALSE(pod.spec.active_deadline_seconds.has_value());
}

TEST(DefaultsTest, KeepsExplicitValues) {
  Pod pod = MinimalPod();
  pod.metadata.namespace_ = "kube-system";
  pod.spec.restart_policy = "Never";
  pod.spec.termination_grace_period_seconds = 0;
  pod.spec.dns_policy = "Default";
  pod.spec.scheduler_name = "mine";
  pod.spec.containers[0].image_pull_policy = "Never";
  pod.spec.containers[0].termination_message_path = "/tmp/msg";
  pod.spec.containers[0].termination_message_policy = "FallbackToLogsOnError";
  ApplyDefaults(pod);
  EXPECT_EQ(pod.metadata.namespace_, "kube-system");
  EXPECT_EQ(pod.spec.restart_policy, "Never");
  EXPECT_EQ(pod.spec.termination_grace_period_seconds, 0);
  EXPECT_EQ(pod.spec.dns_policy, "Default");
  EXPECT_EQ(pod.spec.scheduler_name, "mine");
  EXPECT_EQ(pod.spec.containers[0].image_pull_policy, "Never");
  EXPECT_EQ(pod.spec.containers[0].termination_message_path, "/tmp/msg");
  EXPECT_EQ(pod.spec.containers[0].termination_message_policy, "FallbackToLogsOnError");
}

TEST(DefaultsTest, ContainerDefaults) {
  Pod pod = MinimalPod();
  Container& c = pod.spec.containers[0];
  c.ports.push_back({.name = "http", .container_port = 80});
  EnvVar env{.name = "POD_NAME"};
  env.value_from = EnvVarSource{.field_ref = ObjectFieldSelector{.field_path = "metadata.name"}};
  c.env.push_back(env);
  c.resources.limits = {{"cpu", "1"}, {"memory", "64Mi"}};
  c.resources.requests = {{"cpu", "100m"}};
  Probe liveness;
  liveness.handler.http_get = HTTPGetAction{.port = {.int_value = 80}};
  liveness.timeout_seconds = 0;
  liveness.period_seconds = 0;
  liveness.success_threshold = 0;
  liveness.failure_threshold = 0;
  c.liveness_probe = liveness;
  c.lifecycle = Lifecycle{.pre_stop = LifecycleHandler{.http_get = HTTPGetAction{}}};
  pod.spec.init_containers.push_back({.name = "init", .image = "busybox"});
  pod.spec.volumes.push_back({.name = "data", .host_path = HostPathVolumeSource{.path = "/d"}});
  ApplyDefaults(pod);

  EXPECT_EQ(c.termination_message_path, "/dev/termination-log");
  EXPECT_EQ(c.termination_message_policy, "File");
  EXPECT_EQ(c.image_pull_policy, "IfNotPresent");
  EXPECT_EQ(c.ports[0].protocol, "TCP");
  EXPECT_EQ(c.ports[0].host_port, 0);  // only hostNetwork copies it
  EXPECT_EQ(c.env[0].value_from->field_ref->api_version, "v1");
  EXPECT_EQ(c.resources.requests.at("cpu"), "100m");
  EXPECT_EQ(c.resources.requests.at("memory"), "64Mi");  // request defaults to the limit
  ASSERT_TRUE(c.liveness_probe.has_value());
  EXPECT_EQ(c.liveness_probe->timeout_seconds, 1);
  EXPECT_EQ(c.liveness_probe->period_seconds, 10);
  EXPECT_EQ(c.liveness_probe->success_threshold, 1);
  EXPECT_EQ(c.liveness_probe->failure_threshold, 3);
  EXPECT_EQ(c.liveness_probe->handler.http_get->scheme, "HTTP");
  EXPECT_EQ(c.liveness_probe->handler.http_get->path, "/");
  EXPECT_EQ(c.lifecycle->pre_stop->http_get->scheme, "HTTP");
  EXPECT_EQ(c.lifecycle->pre_stop->http_get->path, "/");
  EXPECT_EQ(pod.spec.volumes[0].host_path->type, "");  // unset hostPath type stays ""

  const Container& init = pod.spec.init_containers[0];
  EXPECT_EQ(init.image_pull_policy, "Always");
  EXPECT_EQ(init.termination_message_path, "/dev/termination-log");
  EXPECT_EQ(init.termination_message_policy, "File");
}

TEST(DefaultsTest, HostNetworkCopiesContainerPortToHostPort) {
  Pod pod = MinimalPod();
  pod.spec.host_network = true;
  pod.spec.containers[0].ports.push_back({.container_port = 8080});
  ApplyDefaults(pod);
  EXPECT_EQ(pod.spec.containers[0].ports[0].host_port, 8080);
}

TEST(DefaultsTest, Idempotent) {
  Pod pod = MinimalPod();
  pod.spec.containers[0].liveness_probe = Probe{.handler = {.exec = ExecAction{{"true"}}}};
  pod.spec.containers[0].resources.limits = {{"cpu", "1"}};
  ApplyDefaults(pod);
  Pod again = pod;
  ApplyDefaults(again);
  EXPECT_EQ(again, pod);
}

TEST(DefaultsTest, ImagePullPolicyTable) {
  const std::pair<const char*, const char*> cases[] = {
      {"nginx", "Always"},
      {"nginx:latest", "Always"},
      {"nginx:1.25", "IfNotPresent"},
      {"docker.io/library/nginx", "Always"},
      {"registry.local:5000/nginx", "Always"},
      {"registry.local:5000/nginx:1.0", "IfNotPresent"},
      {"registry.local:5000/nginx:latest", "Always"},
      {"nginx@sha256:0123456789abcdef", "IfNotPresent"},
      {"nginx:1.25@sha256:0123456789abcdef", "IfNotPresent"},
      {"nginx:latest@sha256:0123456789abcdef", "Always"},
      {"", "IfNotPresent"},
  };
  for (const auto& [image, want] : cases) {
    EXPECT_EQ(DefaultImagePullPolicy(image), want) << image;
    Pod pod = MinimalPod();
    pod.spec.containers[0].image = image;
    ApplyDefaults(pod);
    EXPECT_EQ(pod.spec.containers[0].image_pull_policy, want) << image;
  }
}

}  // namespace
}  // namespace cubelet::api
