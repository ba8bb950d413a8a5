// The evented PLEG on the real runtime: with the relist an hour away, a
// container's exit, an OOM kill and an exit that happens while containerd is
// down are still reported, so they came through containerd's event stream
// (or, for the outage, the relist made when the stream came back).
#include "agent_fixture.h"

namespace cubelet {
namespace {

class PlegE2eTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    // No periodic relist within any test: only events (and the relist a
    // live stream triggers once) can report a change.
    extra_args_ = {"--evented-relist-period=1h"};
  }

  std::string Metrics() { return Get("/metrics").second; }

  const api::ContainerStateTerminated* Terminated(const std::string& pod) {
    std::optional<api::Pod> p = FindPod(pod);
    if (!p || p->status.container_statuses.empty()) return nullptr;
    last_ = *p;
    const api::ContainerStatus& s = last_.status.container_statuses[0];
    return s.state.terminated ? &*s.state.terminated : nullptr;
  }

  api::Pod last_;
};

TEST_F(PlegE2eTest, AnExitIsReportedThroughTheEventStream) {
  StartAgent();
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(Metrics(),
                             "cubelet_pleg_event_stream_live{source=\"containerd events\"} 1");
  })) << Metrics();
  // Probed first and refused by containerd 1.6's CRI: the stream in use is containerd's own.
  EXPECT_TRUE(absl::StrContains(AgentLog(),
                                "EventedPLEG: CRI GetContainerEvents not offered by the runtime"))
      << AgentLog();
  WriteManifest("exiter.yaml", PodYaml("exiter", "sleep 2; exit 3", "Never"));
  ASSERT_TRUE(Eventually([&] { return Terminated("exiter") != nullptr; }, absl::Seconds(30)))
      << "the exit never showed with the relist an hour away";
  EXPECT_EQ(Terminated("exiter")->exit_code, 3);
  EXPECT_EQ(Terminated("exiter")->reason, "Error");
  ASSERT_TRUE(Eventually([&] { return PodPhase("exiter") == "Failed"; }));
  EXPECT_TRUE(absl::StrContains(Metrics(), "cubelet_pleg_event_stream_breaks_total 0"));
  EXPECT_FALSE(absl::StrContains(Metrics(), "cubelet_pleg_pod_reads_total 0\n")) << Metrics();
}

TEST_F(PlegE2eTest, AnOomKillIsReportedAsOOMKilled) {
  StartAgent();
  // busybox tail keeps a line it has not finished: /dev/zero has no end of
  // line, so it grows until the 24 MiB limit kills it.
  WriteManifest("hog.yaml", PodWithBody("hog", "Never",
                                        absl::StrCat("  containers:\n",
                                                     Busybox("app", "tail /dev/zero",
                                                             "    resources:\n      limits:\n"
                                                             "        memory: 24Mi\n"))));
  ASSERT_TRUE(Eventually([&] { return Terminated("hog") != nullptr; }, absl::Seconds(60)));
  EXPECT_EQ(Terminated("hog")->reason, "OOMKilled");
  EXPECT_EQ(Terminated("hog")->exit_code, 137);
}

TEST_F(PlegE2eTest, AContainerdRestartResubscribesAndAnExitDuringTheOutageIsReported) {
  std::string script = Env("CUBELET_CONTAINERD_SCRIPT");
  if (script.empty()) GTEST_SKIP() << "CUBELET_CONTAINERD_SCRIPT not set";
  StartAgent();
  WriteManifest("outage.yaml", PodYaml("outage", "sleep 4; exit 7", "Never"));
  ASSERT_TRUE(Eventually([&] { return PodPhase("outage") == "Running"; }));
  ASSERT_EQ(std::system(("bash " + script + " stop >/dev/null").c_str()), 0);
  // The container exits (its shim lives on) while nobody can hear it.
  absl::SleepFor(absl::Seconds(6));
  EXPECT_EQ(Terminated("outage"), nullptr) << "reported while containerd was down?";
  ASSERT_EQ(std::system(("bash " + script + " start >/dev/null").c_str()), 0);

  ASSERT_TRUE(Eventually([&] { return Terminated("outage") != nullptr; }, absl::Seconds(30)))
      << "the exit during the outage was never reported";
  EXPECT_EQ(Terminated("outage")->exit_code, 7);
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(Metrics(), "cubelet_pleg_event_stream_breaks_total 1") &&
           absl::StrContains(Metrics(),
                             "cubelet_pleg_event_stream_live{source=\"containerd events\"} 1");
  })) << Metrics();

  // The new stream reports exits again.
  WriteManifest("after.yaml", PodYaml("after", "sleep 1; exit 9", "Never"));
  ASSERT_TRUE(Eventually([&] { return Terminated("after") != nullptr; }, absl::Seconds(30)));
  EXPECT_EQ(Terminated("after")->exit_code, 9);
}

}  // namespace
}  // namespace cubelet
