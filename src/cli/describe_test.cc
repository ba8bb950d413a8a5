#include "cli/describe.h"

#include <string>

#include "absl/time/time.h"
#include "api/pod.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::cli {
namespace {

using ::testing::HasSubstr;

// 2023-11-14T22:13:20Z
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

api::Pod FullPod() {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "prod";
  pod.metadata.labels = {{"app", "web"}, {"tier", "frontend"}};
  pod.metadata.annotations = {{"kubernetes.io/config.source", "file"}};
  pod.metadata.creation_timestamp = kNow - absl::Minutes(10);
  pod.spec.node_name = "node-1";
  pod.spec.priority = 0;

  api::Container init;
  init.name = "setup";
  init.image = "busybox:1.36";
  init.command = {"sh", "-c", "echo setup"};
  pod.spec.init_containers.push_back(init);

  api::Container app;
  app.name = "app";
  app.image = "nginx:1.25";
  app.ports.push_back({"http", 8080, 80, "TCP", ""});
  app.env.push_back({"MODE", "prod", std::nullopt});
  api::EnvVar pod_name{"POD_NAME", "",
                       api::EnvVarSource{api::ObjectFieldSelector{"v1", "metadata.name"}}};
  app.env.push_back(pod_name);
  app.resources.limits = {{"cpu", "500m"}, {"memory", "128Mi"}};
  app.resources.requests = {{"cpu", "250m"}};
  app.volume_mounts.push_back({"data", "/var/lib/data", false, ""});
  app.volume_mounts.push_back({"cache", "/cache", true, ""});
  api::Probe probe;
  probe.handler.http_get = api::HTTPGetAction{"/healthz", {false, 8080, ""}, "", "HTTP", {}};
  app.liveness_probe = probe;
  pod.spec.containers.push_back(app);

  pod.spec.volumes.push_back({"cache", api::EmptyDirVolumeSource{"Memory", "64Mi"}, std::nullopt});
  pod.spec.volumes.push_back(
      {"data", std::nullopt, api::HostPathVolumeSource{"/srv/data", "DirectoryOrCreate"}});

  pod.status.phase = api::kPodRunning;
  pod.status.host_ip = "192.168.1.10";
  pod.status.pod_ip = "10.88.0.4";
  pod.status.pod_ips = {{"10.88.0.4"}};
  pod.status.start_time = kNow - absl::Minutes(10);
  pod.status.qos_class = "Burstable";
  pod.status.conditions = {
      {"Initialized", "True", std::nullopt, std::nullopt, "", ""},
      {"Ready", "True", std::nullopt, std::nullopt, "", ""},
      {"ContainersReady", "True", std::nullopt, std::nullopt, "", ""},
      {"PodScheduled", "True", std::nullopt, std::nullopt, "", ""},
  };

  api::ContainerStatus setup;
  setup.name = "setup";
  setup.container_id = "containerd://aaa";
  setup.image = "docker.io/library/busybox:1.36";
  setup.image_id = "docker.io/library/busybox@sha256:111";
  api::ContainerStateTerminated done;
  done.reason = "Completed";
  done.started_at = kNow - absl::Minutes(10);
  done.finished_at = kNow - absl::Minutes(9);
  setup.state.terminated = done;
  pod.status.init_container_statuses = {setup};

  api::ContainerStatus st;
  st.name = "app";
  st.container_id = "containerd://bbb";
  st.image = "docker.io/library/nginx:1.25";
  st.image_id = "docker.io/library/nginx@sha256:222";
  st.ready = true;
  st.restart_count = 1;
  st.state.running = api::ContainerStateRunning{kNow - absl::Minutes(8)};
  api::ContainerStateTerminated last;
  last.reason = "Error";
  last.exit_code = 137;
  last.signal = 9;
  last.started_at = kNow - absl::Minutes(9);
  last.finished_at = kNow - absl::Minutes(8);
  st.last_state.terminated = last;
  pod.status.container_statuses = {st};
  return pod;
}

TEST(DescribePodTest, LikeKubectl) {
  EXPECT_EQ(DescribePod(FullPod(), kNow, absl::UTCTimeZone()),
            "Name:         web\n"
            "Namespace:    prod\n"
            "Priority:     0\n"
            "Node:         node-1/192.168.1.10\n"
            "Start Time:   Tue, 14 Nov 2023 22:03:20 +0000\n"
            "Labels:       app=web\n"
            "              tier=frontend\n"
            "Annotations:  kubernetes.io/config.source: file\n"
            "Status:       Running\n"
            "IP:           10.88.0.4\n"
            "IPs:\n"
            "  IP:  10.88.0.4\n"
            "Init Containers:\n"
            "  setup:\n"
            "    Container ID:  containerd://aaa\n"
            "    Image:         busybox:1.36\n"
            "    Image ID:      docker.io/library/busybox@sha256:111\n"
            "    Port:          <none>\n"
            "    Host Port:     <none>\n"
            "    Command:\n"
            "      sh\n"
            "      -c\n"
            "      echo setup\n"
            "    State:          Terminated\n"
            "      Reason:       Completed\n"
            "      Exit Code:    0\n"
            "      Started:      Tue, 14 Nov 2023 22:03:20 +0000\n"
            "      Finished:     Tue, 14 Nov 2023 22:04:20 +0000\n"
            "    Ready:          False\n"
            "    Restart Count:  0\n"
            "    Environment:    <none>\n"
            "    Mounts:         <none>\n"
            "Containers:\n"
            "  app:\n"
            "    Container ID:   containerd://bbb\n"
            "    Image:          nginx:1.25\n"
            "    Image ID:       docker.io/library/nginx@sha256:222\n"
            "    Port:           80/TCP\n"
            "    Host Port:      8080/TCP\n"
            "    State:          Running\n"
            "      Started:      Tue, 14 Nov 2023 22:05:20 +0000\n"
            "    Last State:     Terminated\n"
            "      Reason:       Error\n"
            "      Exit Code:    137\n"
            "      Signal:       9\n"
            "      Started:      Tue, 14 Nov 2023 22:04:20 +0000\n"
            "      Finished:     Tue, 14 Nov 2023 22:05:20 +0000\n"
            "    Ready:          True\n"
            "    Restart Count:  1\n"
            "    Limits:\n"
            "      cpu:     500m\n"
            "      memory:  128Mi\n"
            "    Requests:\n"
            "      cpu:     250m\n"  // one block with Liveness: consecutive tab lines
            "    Liveness:  http-get http://:8080/healthz delay=0s timeout=1s period=10s "
            "#success=1 #failure=3\n"
            "    Environment:\n"
            "      MODE:      prod\n"
            "      POD_NAME:  web (v1:metadata.name)\n"
            "    Mounts:\n"
            "      /cache from cache (ro)\n"
            "      /var/lib/data from data (rw)\n"
            "Conditions:\n"
            "  Type              Status\n"
            "  Initialized       True \n"
            "  Ready             True \n"
            "  ContainersReady   True \n"
            "  PodScheduled      True \n"
            "Volumes:\n"
            "  cache:\n"
            "    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)\n"
            "    Medium:     Memory\n"
            "    SizeLimit:  64Mi\n"
            "  data:\n"
            "    Type:          HostPath (bare host directory volume)\n"
            "    Path:          /srv/data\n"
            "    HostPathType:  DirectoryOrCreate\n"
            "QoS Class:         Burstable\n"
            "Events:            <none>\n");
}

TEST(DescribePodTest, MinimalPod) {
  api::Pod pod;
  pod.metadata.name = "bare";
  pod.metadata.namespace_ = "default";
  api::Container c;
  c.name = "app";
  c.image = "busybox";
  pod.spec.containers.push_back(c);
  pod.status.phase = api::kPodPending;
  EXPECT_EQ(DescribePod(pod, kNow, absl::UTCTimeZone()),
            "Name:         bare\n"
            "Namespace:    default\n"
            "Node:         <none>\n"
            "Labels:       <none>\n"
            "Annotations:  <none>\n"
            "Status:       Pending\n"
            "IP:           \n"
            "IPs:          <none>\n"
            "Containers:\n"
            "  app:\n"
            "    Image:        busybox\n"
            "    Port:         <none>\n"
            "    Host Port:    <none>\n"
            "    Environment:  <none>\n"
            "    Mounts:       <none>\n"
            "Volumes:          <none>\n"
            "Events:           <none>\n");
}

TEST(DescribePodTest, TerminatingWaitingAndLongAnnotations) {
  api::Pod pod = FullPod();
  pod.metadata.deletion_timestamp = kNow - absl::Seconds(20);
  pod.metadata.deletion_grace_period_seconds = 30;
  pod.metadata.annotations["example.com/long"] = std::string(150, 'x');
  pod.status.container_statuses[0].state = {};
  pod.status.container_statuses[0].state.waiting =
      api::ContainerStateWaiting{"CrashLoopBackOff", ""};
  std::string text = DescribePod(pod, kNow, absl::UTCTimeZone());
  EXPECT_THAT(text, HasSubstr("Status:                    Terminating (lasts 20s)\n"
                              "Termination Grace Period:  30s\n"));
  EXPECT_THAT(text, HasSubstr("State:          Waiting\n      Reason:       CrashLoopBackOff\n"));
  const std::string indent(27, ' ');  // "Termination Grace Period:" + 2
  EXPECT_THAT(text, HasSubstr("Annotations:               example.com/long:\n" + indent +
                              std::string(138, 'x') + "...\n" + indent +
                              "kubernetes.io/config.source: file\n"));
}

}  // namespace
}  // namespace cubelet::cli
