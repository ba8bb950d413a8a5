#include "cri/inmemory/in_memory_runtime.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet::cri {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr char kImage[] = "busybox:1.36";

PodSandboxConfig SandboxConfig(const std::string& name, uint32_t attempt = 0) {
  PodSandboxConfig c;
  c.metadata = {.name = name, .uid = "uid-" + name, .namespace_ = "default", .attempt = attempt};
  c.log_directory = "/var/log/pods/default_" + name;
  c.labels = {{"io.kubernetes.pod.name", name}, {"app", "web"}};
  c.annotations = {{"note", "x"}};
  return c;
}

ContainerConfig CConfig(const std::string& name, uint32_t attempt = 0) {
  ContainerConfig c;
  c.metadata = {.name = name, .attempt = attempt};
  c.image.image = kImage;
  c.command = {"/bin/sh"};
  c.args = {"-c", "sleep 1000"};
  c.envs = {{"A", "1"}};
  c.mounts = {{.container_path = "/data", .host_path = "/tmp/data", .readonly = true}};
  c.labels = {{"io.kubernetes.container.name", name}};
  c.annotations = {{"io.kubernetes.container.restartCount", std::to_string(attempt)}};
  c.log_path = name + "/" + std::to_string(attempt) + ".log";
  return c;
}

class InMemoryRuntimeTest : public ::testing::Test {
 protected:
  InMemoryRuntimeTest() : rt_(&clock_) { rt_.AddImage(kImage); }

  int64_t NowNanos() const { return absl::ToUnixNanos(clock_.Now()); }

  std::string RunSandbox(const std::string& name) {
    auto id = rt_.RunPodSandbox(SandboxConfig(name), "");
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }

  std::string CreateContainer(const std::string& sandbox_id, const std::string& name) {
    auto id = rt_.CreateContainer(sandbox_id, CConfig(name), SandboxConfig("ignored"));
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }

  std::string RunContainer(const std::string& sandbox_id, const std::string& name) {
    std::string id = CreateContainer(sandbox_id, name);
    EXPECT_TRUE(rt_.StartContainer(id).ok());
    return id;
  }

  ContainerStatus Status(const std::string& id) {
    auto s = rt_.GetContainerStatus(id);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.value_or(ContainerStatus{});
  }

  FakeClock clock_;
  InMemoryRuntime rt_;
};

TEST_F(InMemoryRuntimeTest, VersionAndStatus) {
  auto v = rt_.GetVersion();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->runtime_name, "inmemory");
  EXPECT_EQ(v->runtime_api_version, "v1");

  auto s = rt_.GetStatus();
  ASSERT_TRUE(s.ok());
  ASSERT_THAT(s->conditions, SizeIs(2));
  EXPECT_EQ(s->conditions[0].type, "RuntimeReady");
  EXPECT_TRUE(s->conditions[0].status);
  EXPECT_EQ(s->conditions[1].type, "NetworkReady");
  EXPECT_TRUE(s->conditions[1].status);

  rt_.SetNetworkReady(false);
  s = rt_.GetStatus();
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->conditions[1].status);
  EXPECT_FALSE(s->conditions[1].reason.empty());
}

TEST_F(InMemoryRuntimeTest, SandboxLifecycle) {
  PodSandboxConfig config = SandboxConfig("web");
  auto id = rt_.RunPodSandbox(config, "runc");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size(), 64u);
  EXPECT_TRUE(std::all_of(id->begin(), id->end(),
                          [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }));

  auto status = rt_.GetPodSandboxStatus(*id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->id, *id);
  EXPECT_EQ(status->state, PodSandboxState::kReady);
  EXPECT_EQ(status->created_at, NowNanos());
  EXPECT_EQ(status->ip, "10.88.0.2");
  EXPECT_EQ(status->metadata.name, "web");
  EXPECT_EQ(status->labels, config.labels);
  EXPECT_EQ(status->annotations, config.annotations);

  auto list = rt_.ListPodSandbox(std::nullopt);
  ASSERT_TRUE(list.ok());
  ASSERT_THAT(*list, SizeIs(1));
  EXPECT_EQ((*list)[0].runtime_handler, "runc");
  EXPECT_EQ((*list)[0].state, PodSandboxState::kReady);

  std::string cid = RunContainer(*id, "app");
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(rt_.StopPodSandbox(*id).ok());
  status = rt_.GetPodSandboxStatus(*id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, PodSandboxState::kNotReady);
  ContainerStatus cs = Status(cid);
  EXPECT_EQ(cs.state, ContainerState::kExited);
  EXPECT_EQ(cs.exit_code, 137);
  EXPECT_EQ(cs.finished_at, NowNanos());
  EXPECT_EQ(rt_.LastStopTimeout(cid), -1);  // sandbox stops are not StopContainer calls
  // Stopping again is fine; new containers are refused.
  EXPECT_TRUE(rt_.StopPodSandbox(*id).ok());
  EXPECT_EQ(rt_.CreateContainer(*id, CConfig("late"), config).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(rt_.RemovePodSandbox(*id).ok());
  EXPECT_EQ(rt_.GetPodSandboxStatus(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(rt_.SandboxIds().empty());
  EXPECT_TRUE(rt_.ContainerIds().empty());      // removed with the sandbox
  EXPECT_TRUE(rt_.RemovePodSandbox(*id).ok());  // idempotent
  EXPECT_EQ(rt_.StopPodSandbox(*id).code(), absl::StatusCode::kNotFound);
}

TEST_F(InMemoryRuntimeTest, HostNetworkSandboxHasNoIpAndIpsAreReused) {
  PodSandboxConfig host = SandboxConfig("host");
  host.network_mode = NamespaceMode::kNode;
  auto h = rt_.RunPodSandbox(host, "");
  ASSERT_TRUE(h.ok());
  auto hs = rt_.GetPodSandboxStatus(*h);
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(hs->ip, "");
  EXPECT_EQ(hs->network_mode, NamespaceMode::kNode);

  std::string a = RunSandbox("a");
  std::string b = RunSandbox("b");
  EXPECT_EQ(rt_.GetPodSandboxStatus(a)->ip, "10.88.0.2");
  EXPECT_EQ(rt_.GetPodSandboxStatus(b)->ip, "10.88.0.3");
  ASSERT_TRUE(rt_.RemovePodSandbox(a).ok());
  std::string c = RunSandbox("c");
  EXPECT_EQ(rt_.GetPodSandboxStatus(c)->ip, "10.88.0.2");
}

TEST_F(InMemoryRuntimeTest, ManySandboxesGetDistinctIdsAndIps) {
  std::set<std::string> ids, ips;
  for (int i = 0; i < 600; ++i) {
    std::string id = RunSandbox("p" + std::to_string(i));
    ids.insert(id);
    ips.insert(rt_.GetPodSandboxStatus(id)->ip);
  }
  EXPECT_EQ(ids.size(), 600u);
  EXPECT_EQ(ips.size(), 600u);
  EXPECT_TRUE(ips.contains("10.88.1.0"));
}

TEST_F(InMemoryRuntimeTest, SandboxNameCollision) {
  std::string first = RunSandbox("web");
  auto again = rt_.RunPodSandbox(SandboxConfig("web"), "");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr(first));
  // A new attempt is a different name.
  EXPECT_TRUE(rt_.RunPodSandbox(SandboxConfig("web", 1), "").ok());
  // Stopped still reserves the name; removal releases it.
  ASSERT_TRUE(rt_.StopPodSandbox(first).ok());
  EXPECT_EQ(rt_.RunPodSandbox(SandboxConfig("web"), "").status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(rt_.RemovePodSandbox(first).ok());
  EXPECT_TRUE(rt_.RunPodSandbox(SandboxConfig("web"), "").ok());
}

TEST_F(InMemoryRuntimeTest, ContainerLifecycle) {
  std::string sb = RunSandbox("web");
  clock_.Advance(absl::Seconds(1));
  int64_t created = NowNanos();
  auto id = rt_.CreateContainer(sb, CConfig("app", 2), SandboxConfig("web"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->size(), 64u);
  EXPECT_NE(*id, sb);

  ContainerStatus s = Status(*id);
  EXPECT_EQ(s.state, ContainerState::kCreated);
  EXPECT_EQ(s.created_at, created);
  EXPECT_EQ(s.started_at, 0);
  EXPECT_EQ(s.metadata.name, "app");
  EXPECT_EQ(s.metadata.attempt, 2u);
  EXPECT_EQ(s.image.image, kImage);
  EXPECT_THAT(s.image_ref, HasSubstr("sha256:"));
  EXPECT_EQ(s.image_ref.size(), 7u + 64u);
  EXPECT_EQ(s.log_path, "/var/log/pods/default_web/app/2.log");
  ASSERT_THAT(s.mounts, SizeIs(1));
  EXPECT_EQ(s.mounts[0].container_path, "/data");
  EXPECT_TRUE(s.mounts[0].readonly);
  EXPECT_EQ(s.labels.at("io.kubernetes.container.name"), "app");
  EXPECT_EQ(s.annotations.at("io.kubernetes.container.restartCount"), "2");

  auto config = rt_.GetContainerConfig(*id);
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(config->command, ElementsAre("/bin/sh"));
  EXPECT_THAT(config->args, ElementsAre("-c", "sleep 1000"));
  ASSERT_THAT(config->envs, SizeIs(1));
  EXPECT_EQ(config->envs[0].key, "A");

  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(rt_.StartContainer(*id).ok());
  s = Status(*id);
  EXPECT_EQ(s.state, ContainerState::kRunning);
  EXPECT_EQ(s.started_at, NowNanos());
  EXPECT_EQ(rt_.RunningContainerCount(), 1u);
  // Starting twice is refused.
  EXPECT_EQ(rt_.StartContainer(*id).code(), absl::StatusCode::kFailedPrecondition);

  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(rt_.ExitContainer(*id, 3).ok());
  s = Status(*id);
  EXPECT_EQ(s.state, ContainerState::kExited);
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_EQ(s.reason, "Error");
  EXPECT_EQ(s.finished_at, NowNanos());
  EXPECT_EQ(rt_.RunningContainerCount(), 0u);
  EXPECT_EQ(rt_.ExitContainer(*id, 0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(rt_.StartContainer(*id).code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(rt_.RemoveContainer(*id).ok());
  EXPECT_EQ(rt_.GetContainerStatus(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(rt_.RemoveContainer(*id).ok());  // idempotent
  EXPECT_EQ(rt_.StartContainer(*id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rt_.StopContainer(*id, 30).code(), absl::StatusCode::kNotFound);
}

TEST_F(InMemoryRuntimeTest, ExitReasons) {
  std::string sb = RunSandbox("web");
  std::string ok = RunContainer(sb, "ok");
  std::string oom = RunContainer(sb, "oom");
  ASSERT_TRUE(rt_.ExitContainer(ok, 0).ok());
  ASSERT_TRUE(rt_.ExitContainer(oom, 137, "OOMKilled").ok());
  EXPECT_EQ(Status(ok).reason, "Completed");
  EXPECT_EQ(Status(ok).exit_code, 0);
  EXPECT_EQ(Status(oom).reason, "OOMKilled");
  EXPECT_EQ(Status(oom).exit_code, 137);
  EXPECT_EQ(rt_.ExitContainer("nope", 0).code(), absl::StatusCode::kNotFound);
}

TEST_F(InMemoryRuntimeTest, ExitOnStart) {
  std::string sb = RunSandbox("web");
  std::string before = CreateContainer(sb, "crash");  // knob applies to existing containers
  rt_.SetExitOnStart("crash", 1);
  rt_.SetExitOnStart("done", 0);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(rt_.StartContainer(before).ok());
  ContainerStatus s = Status(before);
  EXPECT_EQ(s.state, ContainerState::kExited);
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_EQ(s.reason, "Error");
  EXPECT_EQ(s.started_at, NowNanos());
  EXPECT_EQ(s.finished_at, NowNanos());

  std::string done = RunContainer(sb, "done");
  EXPECT_EQ(Status(done).reason, "Completed");

  rt_.SetExitOnStart("custom", 2, "CustomReason");
  EXPECT_EQ(Status(RunContainer(sb, "custom")).reason, "CustomReason");

  rt_.ClearExitOnStart("crash");
  auto again = rt_.CreateContainer(sb, CConfig("crash", 1), SandboxConfig("web"));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(rt_.StartContainer(*again).ok());
  EXPECT_EQ(Status(*again).state, ContainerState::kRunning);
}

TEST_F(InMemoryRuntimeTest, StopHandlesTermByDefault) {
  std::string sb = RunSandbox("web");
  std::string id = RunContainer(sb, "app");
  EXPECT_EQ(rt_.LastStopTimeout(id), -1);
  clock_.Advance(absl::Seconds(3));
  ASSERT_TRUE(rt_.StopContainer(id, 30).ok());
  ContainerStatus s = Status(id);
  EXPECT_EQ(s.state, ContainerState::kExited);
  EXPECT_EQ(s.exit_code, 143);
  EXPECT_EQ(s.reason, "Error");
  EXPECT_EQ(s.finished_at, NowNanos());
  EXPECT_EQ(rt_.LastStopTimeout(id), 30);
  // Already exited: OK, exit unchanged, timeout recorded.
  ASSERT_TRUE(rt_.StopContainer(id, 5).ok());
  EXPECT_EQ(Status(id).exit_code, 143);
  EXPECT_EQ(rt_.LastStopTimeout(id), 5);
  // Survives removal.
  ASSERT_TRUE(rt_.RemoveContainer(id).ok());
  EXPECT_EQ(rt_.LastStopTimeout(id), 5);
}

TEST_F(InMemoryRuntimeTest, StopIgnoringTermOrWithZeroTimeoutKills) {
  std::string sb = RunSandbox("web");
  rt_.SetIgnoresTerm("stubborn", true);
  std::string stubborn = RunContainer(sb, "stubborn");
  std::string zero = RunContainer(sb, "zero");
  ASSERT_TRUE(rt_.StopContainer(stubborn, 30).ok());
  ASSERT_TRUE(rt_.StopContainer(zero, 0).ok());
  EXPECT_EQ(Status(stubborn).exit_code, 137);
  EXPECT_EQ(Status(stubborn).reason, "Error");
  EXPECT_EQ(Status(zero).exit_code, 137);
  EXPECT_EQ(rt_.LastStopTimeout(stubborn), 30);
  EXPECT_EQ(rt_.LastStopTimeout(zero), 0);

  rt_.SetIgnoresTerm("stubborn", false);
  auto next = rt_.CreateContainer(sb, CConfig("stubborn", 1), SandboxConfig("web"));
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(rt_.StartContainer(*next).ok());
  ASSERT_TRUE(rt_.StopContainer(*next, 30).ok());
  EXPECT_EQ(Status(*next).exit_code, 143);
}

TEST_F(InMemoryRuntimeTest, StopCreatedContainerLeavesItCreated) {
  std::string sb = RunSandbox("web");
  std::string id = CreateContainer(sb, "app");
  ASSERT_TRUE(rt_.StopContainer(id, 10).ok());
  EXPECT_EQ(Status(id).state, ContainerState::kCreated);
  EXPECT_EQ(rt_.LastStopTimeout(id), 10);
}

TEST_F(InMemoryRuntimeTest, RemoveRunningContainerForceRemoves) {
  std::string sb = RunSandbox("web");
  std::string id = RunContainer(sb, "app");
  ASSERT_TRUE(rt_.RemoveContainer(id).ok());
  EXPECT_TRUE(rt_.ContainerIds().empty());
  EXPECT_EQ(rt_.RunningContainerCount(), 0u);
  // The name is free again.
  EXPECT_TRUE(rt_.CreateContainer(sb, CConfig("app"), SandboxConfig("web")).ok());
}

TEST_F(InMemoryRuntimeTest, ContainerNameCollision) {
  std::string sb = RunSandbox("web");
  std::string other = RunSandbox("other");
  std::string first = CreateContainer(sb, "app");
  auto dup = rt_.CreateContainer(sb, CConfig("app"), SandboxConfig("web"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.status().message(), HasSubstr(first));
  EXPECT_TRUE(rt_.CreateContainer(sb, CConfig("app", 1), SandboxConfig("web")).ok());
  EXPECT_TRUE(rt_.CreateContainer(other, CConfig("app"), SandboxConfig("other")).ok());
}

TEST_F(InMemoryRuntimeTest, CreateContainerPreconditions) {
  EXPECT_EQ(rt_.CreateContainer("missing", CConfig("app"), SandboxConfig("x")).status().code(),
            absl::StatusCode::kNotFound);
  std::string sb = RunSandbox("web");
  ContainerConfig c = CConfig("app");
  c.image.image = "nginx:1.25";
  auto r = rt_.CreateContainer(sb, c, SandboxConfig("web"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "image \"nginx:1.25\" not found");
  // By image id works too (kubelet passes the ref it got from PullImage).
  auto image = rt_.GetImageStatus({.image = kImage});
  ASSERT_TRUE(image.ok() && image->has_value());
  c.image.image = (*image)->id;
  auto by_id = rt_.CreateContainer(sb, c, SandboxConfig("web"));
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(Status(*by_id).image_ref, (*image)->id);
}

TEST_F(InMemoryRuntimeTest, ListFilters) {
  std::string a = RunSandbox("a");
  PodSandboxConfig bconfig = SandboxConfig("b");
  bconfig.labels["app"] = "db";
  std::string b = rt_.RunPodSandbox(bconfig, "").value();
  ASSERT_TRUE(rt_.StopPodSandbox(b).ok());

  auto sbs = rt_.ListPodSandbox(PodSandboxFilter{.id = a});
  ASSERT_TRUE(sbs.ok());
  ASSERT_THAT(*sbs, SizeIs(1));
  EXPECT_EQ((*sbs)[0].id, a);
  sbs = rt_.ListPodSandbox(PodSandboxFilter{.state = PodSandboxState::kNotReady});
  ASSERT_THAT(*sbs, SizeIs(1));
  EXPECT_EQ((*sbs)[0].id, b);
  sbs = rt_.ListPodSandbox(PodSandboxFilter{.label_selector = {{"app", "web"}}});
  ASSERT_THAT(*sbs, SizeIs(1));
  EXPECT_EQ((*sbs)[0].id, a);
  sbs = rt_.ListPodSandbox(
      PodSandboxFilter{.label_selector = {{"app", "web"}, {"io.kubernetes.pod.name", "b"}}});
  EXPECT_THAT(*sbs, SizeIs(0));
  sbs = rt_.ListPodSandbox(PodSandboxFilter{.id = "nope"});
  EXPECT_THAT(*sbs, SizeIs(0));
  EXPECT_THAT(*rt_.ListPodSandbox(std::nullopt), SizeIs(2));

  std::string sb2 = RunSandbox("c");
  std::string running = RunContainer(a, "run");
  std::string created = CreateContainer(a, "created");
  std::string other = RunContainer(sb2, "run");

  auto ids = [](const std::vector<Container>& cs) {
    std::vector<std::string> out;
    for (const auto& c : cs) out.push_back(c.id);
    return out;
  };
  auto cs = rt_.ListContainers(std::nullopt);
  ASSERT_TRUE(cs.ok());
  EXPECT_THAT(ids(*cs), UnorderedElementsAre(running, created, other));
  cs = rt_.ListContainers(ContainerFilter{.pod_sandbox_id = a});
  EXPECT_THAT(ids(*cs), UnorderedElementsAre(running, created));
  cs = rt_.ListContainers(ContainerFilter{.state = ContainerState::kRunning});
  EXPECT_THAT(ids(*cs), UnorderedElementsAre(running, other));
  cs = rt_.ListContainers(ContainerFilter{.state = ContainerState::kRunning, .pod_sandbox_id = a});
  EXPECT_THAT(ids(*cs), ElementsAre(running));
  cs = rt_.ListContainers(ContainerFilter{.id = created});
  EXPECT_THAT(ids(*cs), ElementsAre(created));
  cs = rt_.ListContainers(ContainerFilter{.id = created, .pod_sandbox_id = sb2});
  EXPECT_THAT(ids(*cs), ElementsAre());
  cs = rt_.ListContainers(
      ContainerFilter{.label_selector = {{"io.kubernetes.container.name", "run"}}});
  EXPECT_THAT(ids(*cs), UnorderedElementsAre(running, other));

  const Container* c = nullptr;
  cs = rt_.ListContainers(ContainerFilter{.id = running});
  c = &(*cs)[0];
  EXPECT_EQ(c->pod_sandbox_id, a);
  EXPECT_EQ(c->state, ContainerState::kRunning);
  EXPECT_EQ(c->image.image, kImage);
  EXPECT_EQ(c->metadata.name, "run");
}

TEST_F(InMemoryRuntimeTest, Images) {
  auto none = rt_.GetImageStatus({.image = "nginx:1.25"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto pulled = rt_.PullImage({.image = "nginx:1.25"});
  EXPECT_EQ(pulled.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(pulled.status().message(), HasSubstr("pull access denied"));
  EXPECT_THAT(pulled.status().message(), HasSubstr("nginx:1.25"));
  // Present locally is not the same as pullable.
  EXPECT_EQ(rt_.PullImage({.image = kImage}).status().code(), absl::StatusCode::kNotFound);

  rt_.AddPullableImage("nginx:1.25");
  pulled = rt_.PullImage({.image = "nginx:1.25"});
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_THAT(*pulled, HasSubstr("sha256:"));
  auto status = rt_.GetImageStatus({.image = "nginx:1.25"});
  ASSERT_TRUE(status.ok() && status->has_value());
  EXPECT_EQ((*status)->id, *pulled);
  EXPECT_THAT((*status)->repo_tags, ElementsAre("nginx:1.25"));
  // Lookup by id.
  status = rt_.GetImageStatus({.image = *pulled});
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ(rt_.PullImage({.image = "nginx:1.25"}).value(), *pulled);  // stable id

  auto list = rt_.ListImages();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, SizeIs(2));

  ASSERT_TRUE(rt_.RemoveImage({.image = *pulled}).ok());
  EXPECT_FALSE(rt_.GetImageStatus({.image = "nginx:1.25"})->has_value());
  EXPECT_TRUE(rt_.RemoveImage({.image = "nginx:1.25"}).ok());  // absent: OK
  EXPECT_THAT(*rt_.ListImages(), SizeIs(1));
}

TEST_F(InMemoryRuntimeTest, UntaggedImageMeansLatest) {
  rt_.AddImage("alpine");
  auto s = rt_.GetImageStatus({.image = "alpine:latest"});
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_THAT((*s)->repo_tags, ElementsAre("alpine:latest"));
  EXPECT_TRUE(rt_.GetImageStatus({.image = "alpine"})->has_value());
  EXPECT_FALSE(rt_.GetImageStatus({.image = "alpine:3"})->has_value());
  rt_.AddImage("registry.local:5000/team/app");
  EXPECT_TRUE(rt_.GetImageStatus({.image = "registry.local:5000/team/app:latest"})->has_value());
}

TEST_F(InMemoryRuntimeTest, InjectedErrorsCountLimited) {
  rt_.InjectError("RunPodSandbox", absl::InternalError("boom"), 2);
  EXPECT_EQ(rt_.RunPodSandbox(SandboxConfig("a"), "").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(rt_.RunPodSandbox(SandboxConfig("a"), "").status().message(), "boom");
  EXPECT_TRUE(rt_.RunPodSandbox(SandboxConfig("a"), "").ok());
  EXPECT_EQ(rt_.CallCount("RunPodSandbox"), 3);
  EXPECT_EQ(rt_.CallCount("CreateContainer"), 0);

  // Queued injections apply in order.
  rt_.InjectError("PullImage", absl::DeadlineExceededError("slow"), 1);
  rt_.InjectError("PullImage", absl::UnavailableError("gone"), 1);
  rt_.AddPullableImage("x:1");
  EXPECT_EQ(rt_.PullImage({.image = "x:1"}).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(rt_.PullImage({.image = "x:1"}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(rt_.PullImage({.image = "x:1"}).ok());
}

TEST_F(InMemoryRuntimeTest, InjectedErrorsForever) {
  std::string sb = RunSandbox("a");
  rt_.InjectError("GetPodSandboxStatus", absl::UnknownError("bad"), -1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(rt_.GetPodSandboxStatus(sb).status().code(), absl::StatusCode::kUnknown);
  }
  EXPECT_TRUE(rt_.ListPodSandbox(std::nullopt).ok());  // other methods unaffected
  rt_.ClearErrors();
  EXPECT_TRUE(rt_.GetPodSandboxStatus(sb).ok());
  EXPECT_EQ(rt_.CallCount("GetPodSandboxStatus"), 6);
}

TEST_F(InMemoryRuntimeTest, Down) {
  std::string sb = RunSandbox("a");
  rt_.SetDown(true);
  EXPECT_EQ(rt_.GetVersion().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(rt_.GetStatus().status().code(), absl::StatusCode::kUnavailable);
  auto list = rt_.ListPodSandbox(std::nullopt);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(list.status().message(), "runtime is down");
  EXPECT_EQ(rt_.StopPodSandbox(sb).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(rt_.ListImages().status().code(), absl::StatusCode::kUnavailable);
  rt_.SetDown(false);
  EXPECT_EQ(rt_.GetPodSandboxStatus(sb)->state, PodSandboxState::kReady);  // untouched
}

TEST_F(InMemoryRuntimeTest, Logs) {
  std::string sb = RunSandbox("a");
  std::string id = RunContainer(sb, "app");
  EXPECT_EQ(rt_.ReadLog(id).value(), "");
  ASSERT_TRUE(rt_.AppendLog(id, "hello\n").ok());
  ASSERT_TRUE(rt_.AppendLog(id, "world\n").ok());
  EXPECT_EQ(rt_.ReadLog(id).value(), "hello\nworld\n");
  EXPECT_EQ(rt_.AppendLog("nope", "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rt_.ReadLog("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(InMemoryRuntimeTest, ExecHandler) {
  std::string sb = RunSandbox("a");
  std::string id = RunContainer(sb, "app");
  auto r = rt_.ExecSync(id, {"true"}, absl::Seconds(1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data, "");

  std::vector<std::string> seen;
  rt_.SetExecHandler("app", [&](const std::vector<std::string>& cmd) {
    seen = cmd;
    // Handlers run outside the lock, so they may use the runtime.
    EXPECT_TRUE(rt_.AppendLog(id, "probed\n").ok());
    return ExecSyncResponse{.stdout_data = "out", .stderr_data = "err", .exit_code = 7};
  });
  r = rt_.ExecSync(id, {"cat", "/tmp/healthy"}, absl::Seconds(1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->stdout_data, "out");
  EXPECT_EQ(r->stderr_data, "err");
  EXPECT_THAT(seen, ElementsAre("cat", "/tmp/healthy"));
  EXPECT_EQ(rt_.ReadLog(id).value(), "probed\n");

  ASSERT_TRUE(rt_.ExitContainer(id, 0).ok());
  EXPECT_EQ(rt_.ExecSync(id, {"true"}, absl::Seconds(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(rt_.ExecSync("nope", {"true"}, absl::Seconds(1)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(InMemoryRuntimeTest, ExitListener) {
  std::vector<std::string> exited;
  rt_.SetExitListener([&](const std::string& id) {
    exited.push_back(id);
    // Called outside the lock: reading state back must not deadlock.
    EXPECT_EQ(rt_.GetContainerStatus(id)->state, ContainerState::kExited);
  });
  std::string sb = RunSandbox("a");
  rt_.SetExitOnStart("crash", 1);
  std::string crash = RunContainer(sb, "crash");
  std::string manual = RunContainer(sb, "manual");
  std::string stopped = RunContainer(sb, "stopped");
  std::string by_sandbox = RunContainer(sb, "by-sandbox");
  CreateContainer(sb, "never-started");
  ASSERT_TRUE(rt_.ExitContainer(manual, 0).ok());
  ASSERT_TRUE(rt_.StopContainer(stopped, 10).ok());
  ASSERT_TRUE(rt_.StopContainer(stopped, 10).ok());  // no second event
  ASSERT_TRUE(rt_.StopPodSandbox(sb).ok());
  EXPECT_THAT(exited, ElementsAre(crash, manual, stopped, by_sandbox));
}

TEST_F(InMemoryRuntimeTest, LatencyIsCountedBeforeSleeping) {
  // A tiny real latency: the call still completes and is counted.
  rt_.SetLatency("GetVersion", absl::Milliseconds(1));
  EXPECT_TRUE(rt_.GetVersion().ok());
  EXPECT_EQ(rt_.CallCount("GetVersion"), 1);
  rt_.SetLatency("GetVersion", absl::ZeroDuration());
  rt_.SetLatency("*", absl::Milliseconds(1));
  EXPECT_TRUE(rt_.ListImages().ok());
  rt_.SetLatency("*", absl::ZeroDuration());
}

TEST_F(InMemoryRuntimeTest, ConcurrentCallsSmoke) {
  std::atomic<int> exits{0};
  rt_.SetExitListener([&](const std::string&) { exits.fetch_add(1); });
  constexpr int kThreads = 4;
  constexpr int kPodsPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPodsPerThread; ++i) {
        std::string name = "p" + std::to_string(t) + "-" + std::to_string(i);
        auto sb = rt_.RunPodSandbox(SandboxConfig(name), "");
        ASSERT_TRUE(sb.ok());
        auto c = rt_.CreateContainer(*sb, CConfig("app"), SandboxConfig(name));
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE(rt_.StartContainer(*c).ok());
        EXPECT_TRUE(rt_.ListContainers(std::nullopt).ok());
        EXPECT_TRUE(rt_.GetContainerStatus(*c).ok());
        EXPECT_TRUE(rt_.ExecSync(*c, {"true"}, absl::Seconds(1)).ok());
        if (i % 2 == 0) {
          ASSERT_TRUE(rt_.StopContainer(*c, 30).ok());
          ASSERT_TRUE(rt_.RemovePodSandbox(*sb).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(rt_.SandboxIds().size(), size_t{kThreads * kPodsPerThread / 2});
  EXPECT_EQ(rt_.RunningContainerCount(), size_t{kThreads * kPodsPerThread / 2});
  EXPECT_EQ(exits.load(), kThreads * kPodsPerThread / 2);
  EXPECT_EQ(rt_.CallCount("RunPodSandbox"), kThreads * kPodsPerThread);
}

}  // namespace
}  // namespace cubelet::cri
