#include "kuberuntime/labels.h"

#include "gtest/gtest.h"
#include "kuberuntime/hash.h"

namespace cubelet::kuberuntime {
namespace {

api::Pod TestPod() {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-1";
  pod.metadata.labels = {{"app", "web"}};
  pod.metadata.annotations = {{"note", "x"}};
  pod.spec.termination_grace_period_seconds = 30;
  api::Container c;
  c.name = "nginx";
  c.image = "nginx:1.25";
  c.termination_message_path = "/dev/termination-log";
  c.termination_message_policy = "File";
  c.ports = {{.name = "http", .host_port = 8080, .container_port = 80, .protocol = "TCP"}};
  c.lifecycle = api::Lifecycle{
      .pre_stop = api::LifecycleHandler{.exec = api::ExecAction{.command = {"sh", "-c", "quit"}}}};
  pod.spec.containers.push_back(c);
  return pod;
}

TEST(LabelsTest, PodLabelsAndAnnotations) {
  api::Pod pod = TestPod();
  cri::Labels labels = NewPodLabels(pod);
  EXPECT_EQ(labels, (cri::Labels{{"app", "web"},
                                 {kPodNameLabel, "web"},
                                 {kPodNamespaceLabel, "default"},
                                 {kPodUidLabel, "uid-1"}}));
  EXPECT_EQ(NewPodAnnotations(pod), (cri::Labels{{"note", "x"}}));
  LabeledPodSandboxInfo info = GetPodSandboxInfoFromLabels(labels);
  EXPECT_EQ(info.pod_name, "web");
  EXPECT_EQ(info.pod_namespace, "default");
  EXPECT_EQ(info.pod_uid, "uid-1");
  EXPECT_EQ(info.labels, (cri::Labels{{"app", "web"}}));
}

TEST(LabelsTest, ContainerLabelsRoundTrip) {
  api::Pod pod = TestPod();
  cri::Labels labels = NewContainerLabels(pod.spec.containers[0], pod);
  EXPECT_EQ(labels.size(), 4u);
  LabeledContainerInfo info = GetContainerInfoFromLabels(labels);
  EXPECT_EQ(info.container_name, "nginx");
  EXPECT_EQ(info.pod_name, "web");
  EXPECT_EQ(info.pod_namespace, "default");
  EXPECT_EQ(info.pod_uid, "uid-1");
}

TEST(LabelsTest, ContainerAnnotationsRoundTrip) {
  api::Pod pod = TestPod();
  pod.metadata.deletion_grace_period_seconds = 5;
  const api::Container& c = pod.spec.containers[0];
  cri::Labels a = NewContainerAnnotations(c, pod, 3);
  EXPECT_EQ(a[kContainerHashAnnotation], HashToString(HashContainer(c)));
  EXPECT_EQ(a[kContainerRestartCountAnnotation], "3");
  EXPECT_EQ(a[kPodTerminationGracePeriodAnnotation], "30");
  EXPECT_EQ(a[kPodDeletionGracePeriodAnnotation], "5");
  EXPECT_EQ(a[kContainerPreStopHandlerAnnotation], R"({"exec":{"command":["sh","-c","quit"]}})");
  EXPECT_EQ(a[kContainerPortsAnnotation],
            R"([{"containerPort":80,"hostPort":8080,"name":"http","protocol":"TCP"}])");

  AnnotatedContainerInfo info = GetContainerInfoFromAnnotations(a);
  EXPECT_EQ(info.hash, HashContainer(c));
  EXPECT_EQ(info.restart_count, 3);
  EXPECT_EQ(info.pod_termination_grace_period, 30);
  EXPECT_EQ(info.pod_deletion_grace_period, 5);
  EXPECT_EQ(info.termination_message_path, "/dev/termination-log");
  EXPECT_EQ(info.termination_message_policy, "File");
  EXPECT_EQ(info.pre_stop_handler, c.lifecycle->pre_stop);
  EXPECT_EQ(info.ports, c.ports);
}

TEST(LabelsTest, MissingOrMalformedAnnotationsReadAsZero) {
  AnnotatedContainerInfo info =
      GetContainerInfoFromAnnotations({{kContainerHashAnnotation, "zz"},
                                       {kContainerRestartCountAnnotation, "x"},
                                       {kContainerPreStopHandlerAnnotation, "{not json"}});
  EXPECT_EQ(info.hash, 0u);
  EXPECT_EQ(info.restart_count, 0);
  EXPECT_FALSE(info.pod_termination_grace_period.has_value());
  EXPECT_FALSE(info.pre_stop_handler.has_value());
}

TEST(LabelsTest, HandlerJsonRoundTrip) {
  api::LifecycleHandler h;
  h.http_get =
      api::HTTPGetAction{.path = "/quit",
                         .port = api::IntOrString{.is_string = true, .string_value = "http"},
                         .scheme = "HTTP",
                         .http_headers = {{"X", "1"}}};
  EXPECT_EQ(LifecycleHandlerFromJson(LifecycleHandlerToJson(h)), h);
  api::LifecycleHandler t;
  t.tcp_socket = api::TCPSocketAction{.port = api::IntOrString{.int_value = 99}};
  EXPECT_EQ(LifecycleHandlerFromJson(LifecycleHandlerToJson(t)), t);
  api::LifecycleHandler s;
  s.sleep = api::SleepAction{.seconds = 7};
  EXPECT_EQ(LifecycleHandlerToJson(s), R"({"sleep":{"seconds":7}})");
  EXPECT_EQ(LifecycleHandlerFromJson(LifecycleHandlerToJson(s)), s);
}

}  // namespace
}  // namespace cubelet::kuberuntime
