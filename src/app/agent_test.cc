// The agent's wiring over the in-memory CRI: a manifest in the folder
// becomes a running static pod, a stuck source would fail the agent's health,
// and Stop leaves the pod running. The agent runs its real threads, so the
// test waits (bounded) for what they do.
#include "app/agent.h"

#include <chrono>
#include <fstream>
#include <thread>

#include "cri/inmemory/in_memory_runtime.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::app {
namespace {

constexpr char kImage[] = "docker.io/library/busybox:1.36";

template <typename Pred>
bool WaitFor(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(AgentTest, ManifestInTheFolderRunsAsAStaticPodAndOutlivesTheAgent) {
  test_support::ScopedTempDir dir;
  cri::InMemoryRuntime cri;
  cri.AddImage(kImage);
  std::ofstream(dir.path() + "/web.yaml") << "apiVersion: v1\n"
                                             "kind: Pod\n"
                                             "metadata: {name: web}\n"
                                             "spec:\n"
                                             "  containers:\n"
                                             "  - name: app\n"
                                             "    image: "
                                          << kImage << "\n";
  AgentOptions options;
  options.pod_manifest_path = dir.path();
  options.node_name = "node1";
  options.root_dir = dir.path() + "/root";
  options.pod_logs_dir = dir.path() + "/logs";
  options.read_only_port = 0;
  options.file_check_frequency = absl::Milliseconds(100);
  options.pod_worker_threads = 2;
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Create(options, AgentDeps{.runtime_service = &cri,
                                       .image_service = &cri,
                                       .host_ip = "192.0.2.10",
                                       .manage_host_state = false});
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_EQ((*agent)->server_port(), 0);
  ASSERT_TRUE((*agent)->Start().ok());

  EXPECT_TRUE(WaitFor([&] {
    for (const api::Pod& pod : (*agent)->kubelet().GetPods()) {
      if (pod.metadata.name == "web-node1" && pod.status.phase == api::kPodRunning) return true;
    }
    return false;
  }));
  EXPECT_TRUE(WaitFor([&] { return (*agent)->kubelet().Healthy().ok(); }))
      << (*agent)->kubelet().Healthy();
  EXPECT_EQ(cri.RunningContainerCount(), 1u);

  agent->reset();
  EXPECT_EQ(cri.RunningContainerCount(), 1u) << "stopping the agent stops no pod";
}

TEST(AgentTest, UnreachableRuntimeNamesTheFlag) {
  AgentOptions options;
  options.container_runtime_endpoint = "tcp://nowhere";
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(options);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.status().message().find("--container-runtime-endpoint"), std::string::npos)
      << agent.status();
}

}  // namespace
}  // namespace cubelet::app
