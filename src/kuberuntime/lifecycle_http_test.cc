// httpGet lifecycle hooks against a real HTTP server on 127.0.0.1. Apart
// from the engine tests: cpp-httplib is not TSan-instrumented.
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "kuberuntime/runtime_manager.h"

namespace cubelet::kuberuntime {
namespace {

using container::PodSyncResult;
using container::SyncResult;
using ::testing::HasSubstr;

api::Pod MakePod(const std::string& name, const std::string& policy,
                 const std::vector<std::string>& containers) {
  api::Pod pod;
  pod.metadata.name = name;
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-" + name;
  pod.spec.restart_policy = policy;
  pod.spec.termination_grace_period_seconds = 30;
  for (const std::string& n : containers) {
    api::Container c;
    c.name = n;
    c.image = "busybox:1.36";
    c.image_pull_policy = api::kPullIfNotPresent;
    pod.spec.containers.push_back(c);
  }
  return pod;
}

container::PodStatusPtr Status(RuntimeManager& m, const api::Pod& pod) {
  return *m.GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
}

container::Pod RunningPod(RuntimeManager& m, const api::Pod& pod) {
  absl::StatusOr<std::vector<container::Pod>> pods = m.GetPods(false);
  for (const container::Pod& p : *pods) {
    if (p.id == pod.metadata.uid) return p;
  }
  return container::Pod{};
}

std::vector<SyncResult> Results(const PodSyncResult& r, SyncResult::Action action,
                                const std::string& target) {
  std::vector<SyncResult> out;
  for (const SyncResult& s : r.results) {
    if (s.action == action && s.target == target) out.push_back(s);
  }
  return out;
}

TEST(LifecycleHooks, HttpGetHooksCallTheHandler) {
  FakeClock clock;
  cri::InMemoryRuntime cri(&clock);
  cri.AddImage("busybox:1.36");
  RuntimeManager m(&cri, &cri, &clock, RuntimeManager::Options{.manage_host_state = false});
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> paths;
  server.Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    paths.push_back(req.path);
    res.status = req.path == "/broken" ? 500 : 200;
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  api::Pod pod = MakePod("http", api::kRestartAlways, {"app"});
  api::Container& c = pod.spec.containers[0];
  c.ports = {api::ContainerPort{.name = "admin", .container_port = port}};
  auto http = [&](const std::string& path) {
    return api::LifecycleHandler{
        .http_get = api::HTTPGetAction{.path = path,
                                       .port = {.is_string = true, .string_value = "admin"},
                                       .host = "127.0.0.1"}};
  };
  c.lifecycle = api::Lifecycle{.post_start = http("/started"), .pre_stop = http("/stopping")};
  ASSERT_TRUE(m.SyncPod(pod, *Status(m, pod), nullptr).Error().ok());
  container::Pod running = RunningPod(m, pod);
  ASSERT_EQ(running.containers.size(), 1u);
  ASSERT_TRUE(m.KillPod(&pod, running, std::nullopt, nullptr).Error().ok());

  // A failing postStart hook kills the container and reports why.
  api::Pod bad = MakePod("http-bad", api::kRestartNever, {"app"});
  bad.spec.containers[0].ports = c.ports;
  bad.spec.containers[0].lifecycle = api::Lifecycle{.post_start = http("/broken")};
  PodSyncResult r = m.SyncPod(bad, *Status(m, bad), nullptr);
  auto starts = Results(r, SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kPostStartHookError);
  EXPECT_THAT(starts[0].message, HasSubstr("HTTP lifecycle hook (/broken) failed"));
  EXPECT_EQ(cri.RunningContainerCount(), 0u);

  server.stop();
  serve.join();
  EXPECT_EQ(paths, (std::vector<std::string>{"/started", "/stopping", "/broken"}));
}

}  // namespace
}  // namespace cubelet::kuberuntime
