#include "events/recorder.h"

#include "events/testing/fake_recorder.h"
#include "gtest/gtest.h"

namespace cubelet::events {
namespace {

api::Pod WebPod() {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "prod";
  pod.metadata.uid = "uid-1";
  return pod;
}

TEST(ReferenceTest, PodReferenceIsWhatGetReferenceGives) {
  ObjectReference ref = PodReference(WebPod());
  EXPECT_EQ(ref, (ObjectReference{.kind = "Pod",
                                  .namespace_ = "prod",
                                  .name = "web",
                                  .uid = "uid-1",
                                  .api_version = "v1"}));
  EXPECT_EQ(PodReference(WebPod(), ContainerFieldPath("app")).field_path, "spec.containers{app}");
}

TEST(ReferenceTest, NodeReferenceUsesTheNameAsUid) {
  EXPECT_EQ(NodeReference("node-1"),
            (ObjectReference{.kind = "Node", .name = "node-1", .uid = "node-1"}))
      << "kubectl describe node finds events by uid = node name; no namespace";
}

TEST(ReferenceTest, ContainerFieldPaths) {
  EXPECT_EQ(ContainerFieldPath("app"), "spec.containers{app}");
  EXPECT_EQ(InitContainerFieldPath("setup"), "spec.initContainers{setup}");
  EXPECT_EQ(EphemeralContainerFieldPath("debugger"), "spec.ephemeralContainers{debugger}");
}

TEST(NullRecorderTest, AcceptsAnything) {
  NullRecorder recorder;
  recorder.Event(NodeReference("n"), kNormal, "Starting", "Starting kubelet.");
}

TEST(FakeRecorderTest, KeepsTypeReasonMessage) {
  testing::FakeRecorder recorder;
  EventRecorder& r = recorder;
  r.Event(PodReference(WebPod()), kNormal, "Pulled", "Container image \"nginx\" already present");
  r.Event(NodeReference("n"), kWarning, "Rebooted", "Node n has been rebooted");
  EXPECT_EQ(recorder.Events(),
            (std::vector<std::string>{"Normal Pulled Container image \"nginx\" already present",
                                      "Warning Rebooted Node n has been rebooted"}));
  EXPECT_TRUE(recorder.Contains("Rebooted"));
  EXPECT_FALSE(recorder.Contains("BackOff"));
  ASSERT_EQ(recorder.RecordedEvents().size(), 2u);
  EXPECT_EQ(recorder.RecordedEvents()[0].object.name, "web");
  recorder.Clear();
  EXPECT_EQ(recorder.size(), 0u);
}

}  // namespace
}  // namespace cubelet::events
