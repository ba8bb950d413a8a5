// Lifecycle handlers with an injected HTTP getter and the fake clock: no
// sockets, no sleeping.
#include "kuberuntime/lifecycle_handlers.h"

#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kuberuntime/runtime_manager.h"
#include "util/clock.h"

namespace cubelet::kuberuntime {
namespace {

using container::PodSyncResult;
using container::SyncResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Records each GET and answers with a status chosen per path.
class FakeHttpGetter final : public HttpGetter {
 public:
  probe::Outcome Get(const probe::HttpTarget& target, absl::Duration timeout) override {
    std::lock_guard<std::mutex> lock(mu_);
    targets_.push_back(target);
    timeouts_.push_back(timeout);
    if (target.path == "/broken") {
      return probe::Outcome{.result = probe::Result::kFailure,
                            .output = "HTTP probe failed with statuscode: 500"};
    }
    return probe::Outcome{.result = probe::Result::kSuccess};
  }
  std::vector<probe::HttpTarget> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }
  std::vector<absl::Duration> timeouts() {
    std::lock_guard<std::mutex> lock(mu_);
    return timeouts_;
  }

 private:
  std::mutex mu_;
  std::vector<probe::HttpTarget> targets_;
  std::vector<absl::Duration> timeouts_;
};

api::Pod MakePod(const std::string& name, const std::string& policy) {
  api::Pod pod;
  pod.metadata.name = name;
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-" + name;
  pod.spec.restart_policy = policy;
  pod.spec.termination_grace_period_seconds = 30;
  api::Container c;
  c.name = "app";
  c.image = "busybox:1.36";
  c.image_pull_policy = api::kPullIfNotPresent;
  c.ports = {api::ContainerPort{.name = "admin", .container_port = 8081}};
  pod.spec.containers.push_back(c);
  return pod;
}

api::LifecycleHandler HttpHook(const std::string& path) {
  return api::LifecycleHandler{
      .http_get = api::HTTPGetAction{.path = path,
                                     .port = {.is_string = true, .string_value = "admin"},
                                     .http_headers = {{.name = "X-Hook", .value = "yes"}}}};
}

api::LifecycleHandler SleepHook(int64_t seconds) {
  return api::LifecycleHandler{.sleep = api::SleepAction{.seconds = seconds}};
}

class LifecycleHandlersTest : public ::testing::Test {
 protected:
  LifecycleHandlersTest()
      : cri_(&clock_),
        m_(&cri_, &cri_, &clock_,
           RuntimeManager::Options{.manage_host_state = false, .http_getter = &http_}) {
    cri_.AddImage("busybox:1.36");
  }

  container::PodStatusPtr Status(const api::Pod& pod) {
    return *m_.GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
  }
  container::Pod RunningPod(const api::Pod& pod) {
    absl::StatusOr<std::vector<container::Pod>> pods = m_.GetPods(false);
    for (const container::Pod& p : *pods) {
      if (p.id == pod.metadata.uid) return p;
    }
    return container::Pod{};
  }

  FakeClock clock_;
  FakeHttpGetter http_;
  cri::InMemoryRuntime cri_;
  RuntimeManager m_;
};

TEST_F(LifecycleHandlersTest, HttpGetHooksGoToThePodIpAndTheNamedPort) {
  api::Pod pod = MakePod("http", api::kRestartAlways);
  pod.spec.containers[0].lifecycle =
      api::Lifecycle{.post_start = HttpHook(""), .pre_stop = HttpHook("/stopping")};
  pod.spec.containers[0].lifecycle->pre_stop->http_get->scheme = "HTTPS";
  pod.spec.containers[0].lifecycle->pre_stop->http_get->host = "10.0.0.9";
  ASSERT_TRUE(m_.SyncPod(pod, *Status(pod), nullptr).Error().ok());
  container::PodStatusPtr status = Status(pod);
  ASSERT_EQ(status->ips.size(), 1u);
  const std::string pod_ip = status->ips[0];

  std::vector<probe::HttpTarget> targets = http_.targets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].scheme, "HTTP");  // defaulted
  EXPECT_EQ(targets[0].host, pod_ip);    // no host: the pod IP
  EXPECT_EQ(targets[0].port, 8081);      // by name
  EXPECT_EQ(targets[0].path, "/");       // defaulted
  EXPECT_THAT(targets[0].headers, ElementsAre(Pair("X-Hook", "yes")));
  EXPECT_EQ(http_.timeouts()[0], absl::Seconds(30)) << "bounded by the grace period";

  ASSERT_TRUE(m_.KillPod(&pod, RunningPod(pod), std::nullopt, nullptr).Error().ok());
  targets = http_.targets();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[1].scheme, "HTTPS");
  EXPECT_EQ(targets[1].host, "10.0.0.9");
  EXPECT_EQ(targets[1].port, 8081);
  EXPECT_EQ(targets[1].path, "/stopping");
}

TEST_F(LifecycleHandlersTest, PreStopHttpGetLooksUpThePodIp) {
  api::Pod pod = MakePod("lookup", api::kRestartAlways);
  pod.spec.containers[0].lifecycle = api::Lifecycle{.pre_stop = HttpHook("/drain")};
  ASSERT_TRUE(m_.SyncPod(pod, *Status(pod), nullptr).Error().ok());
  const std::string pod_ip = Status(pod)->ips.at(0);
  // Without the spec (an orphan): the annotations carry the hook and ports.
  ASSERT_TRUE(m_.KillPod(nullptr, RunningPod(pod), std::nullopt, nullptr).Error().ok());
  std::vector<probe::HttpTarget> targets = http_.targets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].host, pod_ip);
  EXPECT_EQ(targets[0].port, 8081);
  EXPECT_EQ(targets[0].path, "/drain");
}

TEST_F(LifecycleHandlersTest, FailingHttpGetPostStartIsAPostStartHookError) {
  api::Pod pod = MakePod("broken", api::kRestartNever);
  pod.spec.containers[0].lifecycle = api::Lifecycle{.post_start = HttpHook("/broken")};
  PodSyncResult r = m_.SyncPod(pod, *Status(pod), nullptr);
  std::vector<SyncResult> starts;
  for (const SyncResult& s : r.results) {
    if (s.action == SyncResult::Action::kStartContainer) starts.push_back(s);
  }
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kPostStartHookError);
  EXPECT_THAT(starts[0].message, HasSubstr("HTTP lifecycle hook (/broken) failed"));
  EXPECT_EQ(cri_.RunningContainerCount(), 0u) << "the container is killed";
}

TEST_F(LifecycleHandlersTest, SleepPreStopWaitsOnTheClockForAtMostTheGrace) {
  api::Pod pod = MakePod("sleepy", api::kRestartAlways);
  pod.spec.containers[0].lifecycle = api::Lifecycle{.pre_stop = SleepHook(100)};
  ASSERT_TRUE(m_.SyncPod(pod, *Status(pod), nullptr).Error().ok());
  container::Pod running = RunningPod(pod);
  const std::string id = running.containers[0].id;

  std::future<PodSyncResult> kill = std::async(std::launch::async, [&] {
    return m_.KillPod(&pod, running, std::nullopt, CancelToken::Create());
  });
  clock_.AwaitWaiters(1);  // the hook sleeps on the clock
  clock_.Advance(absl::Seconds(29));
  EXPECT_NE(kill.wait_for(std::chrono::milliseconds(20)), std::future_status::ready);
  EXPECT_EQ(cri_.RunningContainerCount(), 1u);
  clock_.Advance(absl::Seconds(1));  // the grace (30 s) ends the 100 s sleep
  PodSyncResult r = kill.get();
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  // The hook spent the grace: the stop gets the minimum.
  EXPECT_EQ(cri_.LastStopTimeout(id), kMinimumGracePeriodSeconds);
}

TEST(HandlerRunnerTest, SleepIsCutShortByCancellation) {
  FakeClock clock;
  cri::InMemoryRuntime cri(&clock);
  FakeHttpGetter http;
  HandlerRunner runner(&cri, &http, &clock);
  CancelTokenPtr cancel = CancelToken::Create();
  std::future<absl::Status> run = std::async(std::launch::async, [&] {
    return runner.Run("uid", "id", {}, SleepHook(100), absl::Seconds(300), nullptr, cancel);
  });
  clock.AwaitWaiters(1);
  cancel->Cancel();
  absl::Status s = run.get();
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("terminated before sleep hook finished"));
  EXPECT_EQ(clock.Waiters(), 0u);
}

TEST(HandlerRunnerTest, SleepEndsAtItsSecondsOrTheTimeout) {
  FakeClock clock;
  cri::InMemoryRuntime cri(&clock);
  FakeHttpGetter http;
  HandlerRunner runner(&cri, &http, &clock);
  for (auto [seconds, timeout, advance] : {std::tuple{5, 300, 5}, std::tuple{100, 7, 7}}) {
    std::future<absl::Status> run = std::async(std::launch::async, [&] {
      return runner.Run("uid", "id", {}, SleepHook(seconds), absl::Seconds(timeout), nullptr,
                        CancelToken::Create());
    });
    clock.AwaitWaiters(1);
    clock.Advance(absl::Seconds(advance - 1));
    EXPECT_NE(run.wait_for(std::chrono::milliseconds(10)), std::future_status::ready);
    clock.Advance(absl::Seconds(1));
    EXPECT_TRUE(run.get().ok());
  }
  // A cancelled token before the sleep: no wait at all.
  CancelTokenPtr cancelled = CancelToken::Create();
  cancelled->Cancel();
  EXPECT_TRUE(absl::IsCancelled(
      runner.Run("uid", "id", {}, SleepHook(100), absl::Seconds(300), nullptr, cancelled)));
}

}  // namespace
}  // namespace cubelet::kuberuntime
