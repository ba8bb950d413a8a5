#include "cri/instrumented/instrumented_services.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/registry.h"
#include "util/clock.h"

namespace cubelet::cri {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kImage[] = "busybox:1.36";

// The rendered lines that start with `prefix` (a metric name plus "{" or " ").
std::vector<std::string> Lines(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, prefix)) out.emplace_back(line);
  }
  return out;
}

PodSandboxConfig SandboxConfig(const std::string& name) {
  PodSandboxConfig c;
  c.metadata = {.name = name, .uid = "uid-" + name, .namespace_ = "default", .attempt = 0};
  c.log_directory = "/var/log/pods/default_" + name;
  return c;
}

ContainerConfig CConfig(const std::string& name) {
  ContainerConfig c;
  c.metadata = {.name = name, .attempt = 0};
  c.image.image = kImage;
  c.log_path = name + "/0.log";
  return c;
}

class InstrumentedServicesTest : public ::testing::Test {
 protected:
  InstrumentedServicesTest() : rt_(&clock_), runtime_(&rt_, &registry_), images_(&rt_, &registry_) {
    rt_.AddImage(kImage);
  }

  FakeClock clock_;
  InMemoryRuntime rt_;
  metrics::Registry registry_;
  InstrumentedRuntimeService runtime_;
  InstrumentedImageService images_;
};

TEST_F(InstrumentedServicesTest, NothingRenderedBeforeTheFirstCall) {
  EXPECT_EQ(registry_.Render(), "");
}

TEST_F(InstrumentedServicesTest, CountsCallsAndErrorsByOperationType) {
  rt_.AddPullableImage("nginx:1.25");
  rt_.InjectError("StartContainer", absl::UnavailableError("injected"));

  ASSERT_TRUE(runtime_.GetVersion().ok());
  ASSERT_TRUE(runtime_.GetStatus().ok());
  absl::StatusOr<std::string> sandbox = runtime_.RunPodSandbox(SandboxConfig("web"), "");
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  absl::StatusOr<std::string> id =
      runtime_.CreateContainer(*sandbox, CConfig("c"), SandboxConfig("web"));
  ASSERT_TRUE(id.ok()) << id.status();
  absl::Status start = runtime_.StartContainer(*id);
  EXPECT_EQ(start, absl::UnavailableError("injected"));  // passed through unchanged
  ASSERT_TRUE(runtime_.StartContainer(*id).ok());
  ASSERT_TRUE(runtime_.GetContainerStatus(*id).ok());
  EXPECT_EQ(runtime_.GetContainerStatus("nope").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(runtime_.ListContainers(std::nullopt).ok());
  ASSERT_TRUE(runtime_.ListPodSandbox(std::nullopt).ok());
  ASSERT_TRUE(runtime_.GetPodSandboxStatus(*sandbox).ok());
  ASSERT_TRUE(runtime_.ExecSync(*id, {"true"}, absl::Seconds(1)).ok());
  ASSERT_TRUE(runtime_.StopContainer(*id, 0).ok());
  ASSERT_TRUE(runtime_.RemoveContainer(*id).ok());
  ASSERT_TRUE(runtime_.StopPodSandbox(*sandbox).ok());
  ASSERT_TRUE(runtime_.RemovePodSandbox(*sandbox).ok());
  ASSERT_TRUE(images_.ListImages().ok());
  ASSERT_TRUE(images_.GetImageStatus({.image = kImage}).ok());
  ASSERT_TRUE(images_.PullImage({.image = "nginx:1.25"}).ok());
  EXPECT_EQ(images_.PullImage({.image = "missing:1"}).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(images_.RemoveImage({.image = "nginx:1.25"}).ok());

  std::string text = registry_.Render();
  EXPECT_THAT(
      Lines(text, "kubelet_runtime_operations_total"),
      ElementsAre(R"(kubelet_runtime_operations_total{operation_type="container_status"} 2)",
                  R"(kubelet_runtime_operations_total{operation_type="create_container"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="exec_sync"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="image_status"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="list_containers"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="list_images"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="list_podsandbox"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="podsandbox_status"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="pull_image"} 2)",
                  R"(kubelet_runtime_operations_total{operation_type="remove_container"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="remove_image"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="remove_podsandbox"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="run_podsandbox"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="start_container"} 2)",
                  R"(kubelet_runtime_operations_total{operation_type="status"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="stop_container"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="stop_podsandbox"} 1)",
                  R"(kubelet_runtime_operations_total{operation_type="version"} 1)"));
  EXPECT_THAT(
      Lines(text, "kubelet_runtime_operations_errors_total"),
      ElementsAre(
          R"(kubelet_runtime_operations_errors_total{operation_type="container_status"} 1)",
          R"(kubelet_runtime_operations_errors_total{operation_type="pull_image"} 1)",
          R"(kubelet_runtime_operations_errors_total{operation_type="start_container"} 1)"));
  EXPECT_THAT(text, HasSubstr("# HELP kubelet_runtime_operations_total [ALPHA] Cumulative number "
                              "of runtime operations by operation type.\n"
                              "# TYPE kubelet_runtime_operations_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE kubelet_runtime_operations_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("kubelet_runtime_operations_duration_seconds_count{operation_type="
                              "\"start_container\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kubelet_runtime_operations_duration_seconds_bucket{operation_type="
                              "\"version\",le=\"0.005\"} 1\n"));
  // 14 exponential buckets plus +Inf per operation.
  EXPECT_EQ(Lines(text,
                  "kubelet_runtime_operations_duration_seconds_bucket{operation_type="
                  "\"version\"")
                .size(),
            15u);
  EXPECT_THAT(text, HasSubstr(",le=\"745.0580596923828\"}"));  // .005 * 2.5^13
  EXPECT_THAT(
      Lines(text, "kubelet_run_podsandbox_duration_seconds_count"),
      ElementsAre(R"(kubelet_run_podsandbox_duration_seconds_count{runtime_handler=""} 1)"));
  EXPECT_THAT(Lines(text, "kubelet_run_podsandbox_errors_total"), IsEmpty());
}

TEST_F(InstrumentedServicesTest, RunPodSandboxErrorsByRuntimeHandler) {
  rt_.InjectError("RunPodSandbox", absl::InternalError("no runtime"), 1);
  EXPECT_FALSE(runtime_.RunPodSandbox(SandboxConfig("a"), "kata").ok());
  std::string text = registry_.Render();
  EXPECT_THAT(Lines(text, "kubelet_run_podsandbox_errors_total"),
              ElementsAre(R"(kubelet_run_podsandbox_errors_total{runtime_handler="kata"} 1)"));
  EXPECT_THAT(
      Lines(text, "kubelet_runtime_operations_errors_total"),
      ElementsAre(R"(kubelet_runtime_operations_errors_total{operation_type="run_podsandbox"} 1)"));
}

TEST_F(InstrumentedServicesTest, RecordsDurations) {
  rt_.SetLatency("GetVersion", absl::Milliseconds(20));
  ASSERT_TRUE(runtime_.GetVersion().ok());
  std::string text = registry_.Render();
  // 20 ms is above the first two bounds (.005, .0125) and within .03125.
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(kubelet_runtime_operations_duration_seconds_bucket{operation_type="version",le="0.0125"} 0)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(kubelet_runtime_operations_duration_seconds_bucket{operation_type="version",le="+Inf"} 1)"));
  std::vector<std::string> sum =
      Lines(text, "kubelet_runtime_operations_duration_seconds_sum{operation_type=\"version\"}");
  ASSERT_EQ(sum.size(), 1u);
  double seconds = std::stod(sum[0].substr(sum[0].rfind(' ') + 1));
  EXPECT_GE(seconds, 0.02);
  EXPECT_LT(seconds, 5);
}

TEST_F(InstrumentedServicesTest, ConcurrentCallsAreAllCounted) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 500;
  rt_.InjectError("ListImages", absl::UnavailableError("down"), kCalls);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kCalls; ++i) {
        (void)runtime_.GetVersion();
        (void)images_.ListImages();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::string text = registry_.Render();
  EXPECT_THAT(text,
              HasSubstr(R"(kubelet_runtime_operations_total{operation_type="version"} 2000)"));
  EXPECT_THAT(text,
              HasSubstr(R"(kubelet_runtime_operations_total{operation_type="list_images"} 2000)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(kubelet_runtime_operations_errors_total{operation_type="list_images"} 500)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(kubelet_runtime_operations_duration_seconds_count{operation_type="version"} 2000)"));
}

}  // namespace
}  // namespace cubelet::cri
