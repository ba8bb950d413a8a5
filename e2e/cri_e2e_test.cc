// The runtime manager and the gRPC CRI client against a real containerd.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "cri/grpc/grpc_runtime.h"
#include "e2e_util.h"
#include "gtest/gtest.h"
#include "kuberuntime/runtime_manager.h"

namespace cubelet {
namespace {

using e2e::Env;
using e2e::Eventually;

constexpr char kBusybox[] = "docker.io/library/busybox:latest";
constexpr char kCgroupRoot[] = "/cubelet-e2e";
// PID 1 ignores signals it has no handler for (v1 pods have their own process
// namespace), so a long sleep must trap TERM to stop before its grace period.
constexpr char kSleepForever[] = "trap 'exit 0' TERM; sleep 3600 & wait";

class ContainerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = Env("CUBELET_CRI_ENDPOINT");
    if (endpoint_.empty()) {
      if (Env("CUBELET_E2E_REQUIRED") == "1") FAIL() << "CUBELET_CRI_ENDPOINT is not set";
      GTEST_SKIP() << "CUBELET_CRI_ENDPOINT not set: no containerd to test against";
    }
    auto cri = cri::GrpcRuntime::Connect(endpoint_, {});
    ASSERT_TRUE(cri.ok()) << cri.status();
    cri_ = *std::move(cri);
    logs_dir_ = std::filesystem::temp_directory_path() /
                ("cubelet-e2e-" + std::to_string(getpid()) + "-" + Name());
    std::filesystem::create_directories(logs_dir_);
    kuberuntime::RuntimeManager::Options options;
    options.pod_logs_dir = logs_dir_.string();
    options.root_dir = (logs_dir_ / "root").string();
    options.cgroup_root = kCgroupRoot;
    runtime_ = std::make_unique<kuberuntime::RuntimeManager>(cri_.get(), cri_.get(),
                                                             RealClock::Get(), options);
  }

  void TearDown() override {
    if (runtime_ == nullptr) return;
    // Remove every pod this test created: sandboxes, containers, pod cgroups.
    auto pods = runtime_->GetPods(/*all=*/true);
    ASSERT_TRUE(pods.ok()) << pods.status();
    for (const container::Pod& pod : *pods) {
      if (!created_.contains(pod.id)) continue;
      absl::Status removed = runtime_->RemovePod(pod);
      EXPECT_TRUE(removed.ok()) << pod.id << ": " << removed;
    }
    for (const auto& [uid, unused] : created_) {
      for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
        EXPECT_FALSE(std::filesystem::exists(h.path() / "cubelet-e2e" / ("pod" + uid)))
            << "cgroup of " << uid << " left in " << h.path();
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(logs_dir_, ec);
  }

  // The e2e cgroup root itself, once every pod cgroup under it is gone.
  static void TearDownTestSuite() {
    std::error_code ec;
    for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
      rmdir((h.path() / "cubelet-e2e").c_str());
    }
  }

  std::string Name() const {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::shared_ptr<api::Pod> NewPod(const std::string& name, std::vector<std::string> command,
                                   const std::string& restart_policy = api::kRestartNever) {
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = name;
    pod->metadata.namespace_ = "default";
    pod->metadata.uid = "e2e-" + std::to_string(getpid()) + "-" + name;
    pod->spec.restart_policy = restart_policy;
    pod->spec.termination_grace_period_seconds = 30;
    pod->spec.dns_policy = "Default";
    api::Container c;
    c.name = "app";
    c.image = kBusybox;
    c.image_pull_policy = api::kPullIfNotPresent;
    c.command = std::move(command);
    c.termination_message_path = "/dev/termination-log";
    c.termination_message_policy = "File";
    pod->spec.containers.push_back(std::move(c));
    created_[pod->metadata.uid] = true;
    return pod;
  }

  container::PodStatusPtr Status(const api::Pod& pod) {
    auto s = runtime_->GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::make_shared<container::PodStatus>();
  }

  container::PodSyncResult Sync(const api::Pod& pod) {
    return runtime_->SyncPod(pod, *Status(pod), CancelToken::Create());
  }

  // The latest instance of "app", once it is in `state`.
  const container::ContainerStatus* WaitForApp(const api::Pod& pod, container::ContainerState state,
                                               container::PodStatusPtr* holder) {
    const container::ContainerStatus* found = nullptr;
    Eventually([&] {
      *holder = Status(pod);
      found = (*holder)->FindContainerStatusByName("app");
      return found != nullptr && found->state == state;
    });
    return found != nullptr && found->state == state ? found : nullptr;
  }

  std::string endpoint_;
  std::unique_ptr<cri::GrpcRuntime> cri_;
  std::unique_ptr<kuberuntime::RuntimeManager> runtime_;
  std::filesystem::path logs_dir_;
  absl::flat_hash_map<std::string, bool> created_;
};

TEST_F(ContainerdTest, RuntimeAnswersVersionAndIsReady) {
  auto version = cri_->GetVersion();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->runtime_api_version, "v1");
  EXPECT_EQ(version->runtime_name, "containerd");
  auto status = cri_->GetStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  for (const auto& c : status->conditions) EXPECT_TRUE(c.status) << c.type << ": " << c.message;
}

TEST_F(ContainerdTest, PodRunsWithLabelsAndAnIpOnTheBridge) {
  auto pod = NewPod("web", {"sh", "-c", kSleepForever}, api::kRestartAlways);
  container::PodSyncResult result = Sync(*pod);
  ASSERT_TRUE(result.Error().ok()) << result.Error();
  container::PodStatusPtr status;
  const auto* app = WaitForApp(*pod, container::ContainerState::kRunning, &status);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->restart_count, 0);
  ASSERT_EQ(status->sandbox_statuses.size(), 1u);
  EXPECT_EQ(status->sandbox_statuses[0].state, container::SandboxState::kReady);
  EXPECT_TRUE(absl::StartsWith(status->sandbox_statuses[0].ip, "10.88."))
      << status->sandbox_statuses[0].ip;

  cri::ContainerFilter filter;
  filter.id = app->id;
  auto listed = cri_->ListContainers(filter);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].labels.at("io.kubernetes.pod.name"), "web");
  EXPECT_EQ((*listed)[0].labels.at("io.kubernetes.container.name"), "app");
  EXPECT_EQ((*listed)[0].annotations.at("io.kubernetes.container.restartCount"), "0");
}

TEST_F(ContainerdTest, ExitCodeAndReasonAreReported) {
  auto pod = NewPod("exit3", {"sh", "-c", "exit 3"});
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  const auto* app = WaitForApp(*pod, container::ContainerState::kExited, &status);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->exit_code, 3);
  // RestartPolicy Never: nothing is restarted and the sandbox is stopped.
  ASSERT_TRUE(Sync(*pod).Error().ok());
  status = Status(*pod);
  EXPECT_EQ(status->container_statuses.size(), 1u);
  EXPECT_TRUE(status->RunningContainers().empty());
}

TEST_F(ContainerdTest, RestartUsesTheNextAttempt) {
  auto pod = NewPod("crash", {"sh", "-c", "exit 1"}, api::kRestartAlways);
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  ASSERT_NE(WaitForApp(*pod, container::ContainerState::kExited, &status), nullptr);
  // The first restart is immediate; the new container is attempt 1.
  ASSERT_TRUE(Sync(*pod).Error().ok());
  ASSERT_TRUE(Eventually([&] {
    status = Status(*pod);
    const auto* app = status->FindContainerStatusByName("app");
    return app != nullptr && app->restart_count == 1 &&
           app->state == container::ContainerState::kExited;
  }));
  // The second is refused by the crash-loop back-off.
  container::PodSyncResult result = Sync(*pod);
  ASSERT_FALSE(result.Error().ok());
  EXPECT_TRUE(result.OnlyBackOffErrors());
  bool backoff = false;
  for (const auto& r : result.results) backoff |= r.reason == container::kCrashLoopBackOff;
  EXPECT_TRUE(backoff);
}

TEST_F(ContainerdTest, StopWaitsTheGraceForATermIgnoringContainer) {
  auto pod = NewPod("stubborn", {"sh", "-c", "trap '' TERM; while true; do sleep 1; done"});
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  ASSERT_NE(WaitForApp(*pod, container::ContainerState::kRunning, &status), nullptr);
  container::Pod running = container::RunningPodFromStatus(*status);
  absl::Time start = absl::Now();
  container::PodSyncResult result = runtime_->KillPod(pod.get(), running, 3, CancelToken::Create());
  absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(result.Error().ok()) << result.Error();
  EXPECT_GE(took, absl::Seconds(3));
  EXPECT_LT(took, absl::Seconds(10));
  const auto* app = Status(*pod)->FindContainerStatusByName("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->exit_code, 137);
}

TEST_F(ContainerdTest, StopIsPromptForATermHandlingContainer) {
  auto pod = NewPod("polite", {"sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"});
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  ASSERT_NE(WaitForApp(*pod, container::ContainerState::kRunning, &status), nullptr);
  container::Pod running = container::RunningPodFromStatus(*status);
  absl::Time start = absl::Now();
  container::PodSyncResult result =
      runtime_->KillPod(pod.get(), running, 30, CancelToken::Create());
  ASSERT_TRUE(result.Error().ok()) << result.Error();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  const auto* app = Status(*pod)->FindContainerStatusByName("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->exit_code, 0);
}

TEST_F(ContainerdTest, ExecPastItsTimeoutIsDeadlineExceeded) {
  auto pod = NewPod("exec", {"sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"});
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  const container::ContainerStatus* app =
      WaitForApp(*pod, container::ContainerState::kRunning, &status);
  ASSERT_NE(app, nullptr);
  auto quick = cri_->ExecSync(app->id, {"sh", "-c", "echo hi"}, absl::Seconds(5));
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->exit_code, 0);
  EXPECT_EQ(quick->stdout_data, "hi\n");
  // The probe's timeout is the runtime's: a command still running then is
  // a timeout the prober counts as a failure, told apart by its code.
  absl::Time start = absl::Now();
  auto slow = cri_->ExecSync(app->id, {"sleep", "30"}, absl::Seconds(1));
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded) << slow.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(ContainerdTest, LogsLandInTheCriLogFile) {
  auto pod = NewPod("logger", {"sh", "-c", "echo hello-cubelet; echo oops >&2"});
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  ASSERT_NE(WaitForApp(*pod, container::ContainerState::kExited, &status), nullptr);
  std::filesystem::path log = logs_dir_ / ("default_logger_" + pod->metadata.uid) / "app" / "0.log";
  std::ifstream in(log);
  ASSERT_TRUE(in.good()) << log;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(absl::StrContains(text.str(), " stdout F hello-cubelet")) << text.str();
  EXPECT_TRUE(absl::StrContains(text.str(), " stderr F oops")) << text.str();
}

TEST_F(ContainerdTest, MissingImageIsErrImagePullAndOtherPodsKeepRunning) {
  auto good = NewPod("steady", {"sh", "-c", kSleepForever}, api::kRestartAlways);
  ASSERT_TRUE(Sync(*good).Error().ok());
  container::PodStatusPtr status;
  ASSERT_NE(WaitForApp(*good, container::ContainerState::kRunning, &status), nullptr);
  auto bad = NewPod("noimage", {"sleep", "1"}, api::kRestartAlways);
  bad->spec.containers[0].image = "localhost/cubelet-missing:1";
  container::PodSyncResult result = Sync(*bad);
  bool err_image_pull = false;
  for (const auto& r : result.results) err_image_pull |= r.reason == container::kErrImagePull;
  EXPECT_TRUE(err_image_pull);
  const auto* app = Status(*good)->FindContainerStatusByName("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->state, container::ContainerState::kRunning);
}

TEST_F(ContainerdTest, EmptyDirIsSharedByInitAndMainAndHostPathReachesTheHost) {
  std::filesystem::path host_dir = logs_dir_ / "hostdir";
  std::filesystem::create_directories(host_dir);
  auto pod = NewPod("vols", {"sh", "-c", "cat /scratch/msg > /host/out"});
  api::Volume scratch;
  scratch.name = "scratch";
  scratch.empty_dir = api::EmptyDirVolumeSource{};
  api::Volume host;
  host.name = "host";
  host.host_path = api::HostPathVolumeSource{.path = host_dir.string(), .type = "Directory"};
  pod->spec.volumes = {scratch, host};
  api::Container writer = pod->spec.containers[0];
  writer.name = "writer";
  writer.command = {"sh", "-c", "echo shared-by-init > /scratch/msg"};
  writer.volume_mounts = {api::VolumeMount{.name = "scratch", .mount_path = "/scratch"}};
  pod->spec.init_containers = {writer};
  pod->spec.containers[0].volume_mounts = {
      api::VolumeMount{.name = "scratch", .mount_path = "/scratch", .read_only = true},
      api::VolumeMount{.name = "host", .mount_path = "/host"}};

  ASSERT_TRUE(Sync(*pod).Error().ok());  // sandbox + init container
  ASSERT_TRUE(Eventually([&] {
    const auto* w = Status(*pod)->FindContainerStatusByName("writer");
    return w != nullptr && w->state == container::ContainerState::kExited;
  }));
  ASSERT_EQ(Status(*pod)->FindContainerStatusByName("writer")->exit_code, 0);
  ASSERT_TRUE(Sync(*pod).Error().ok());  // main container
  container::PodStatusPtr status;
  const auto* app = WaitForApp(*pod, container::ContainerState::kExited, &status);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->exit_code, 0);
  std::ifstream out(host_dir / "out");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "shared-by-init");
}

TEST_F(ContainerdTest, MissingSocketIsAClearUnavailableError) {
  absl::Time start = absl::Now();
  auto cri = cri::GrpcRuntime::Connect("unix:///run/cubelet-no-such-runtime.sock", {});
  ASSERT_TRUE(cri.ok());
  auto version = (*cri)->GetVersion();
  EXPECT_EQ(version.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(version.status().message(), "unavailable")) << version.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(ContainerdTest, RuntimeRestartKeepsContainersAndTheClientReconnects) {
  std::string script = Env("CUBELET_CONTAINERD_SCRIPT");
  if (script.empty()) GTEST_SKIP() << "CUBELET_CONTAINERD_SCRIPT not set";
  auto pod = NewPod("survivor", {"sh", "-c", kSleepForever}, api::kRestartAlways);
  ASSERT_TRUE(Sync(*pod).Error().ok());
  container::PodStatusPtr status;
  const auto* before = WaitForApp(*pod, container::ContainerState::kRunning, &status);
  ASSERT_NE(before, nullptr);
  std::string id = before->id;
  ASSERT_EQ(std::system(("bash " + script + " stop >/dev/null").c_str()), 0);
  EXPECT_EQ(cri_->GetVersion().status().code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(std::system(("bash " + script + " start >/dev/null").c_str()), 0);
  ASSERT_TRUE(Eventually([&] { return cri_->GetVersion().ok(); })) << "client did not reconnect";
  auto after = cri_->GetContainerStatus(id);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->state, cri::ContainerState::kRunning);
}

}  // namespace
}  // namespace cubelet
