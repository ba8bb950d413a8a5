#include "cri/grpc/grpc_runtime.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cri/grpc/testing/in_memory_cri_server.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::cri {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kImage[] = "docker.io/library/busybox:latest";

PodSandboxConfig SandboxConfig(const std::string& name, NamespaceMode mode = NamespaceMode::kPod) {
  PodSandboxConfig c;
  c.metadata = {.name = name, .uid = absl::StrCat("uid-", name), .namespace_ = "default"};
  c.hostname = name;
  c.log_directory = absl::StrCat("/var/log/pods/default_", name);
  c.labels = {{"io.kubernetes.pod.uid", c.metadata.uid}, {"app", name}};
  c.annotations = {{"seen", "yes"}};
  c.cgroup_parent = absl::StrCat("/cubelet/pod", c.metadata.uid);
  c.network_mode = mode;
  return c;
}

ContainerConfig ContainerCfg(const std::string& name) {
  ContainerConfig c;
  c.metadata = {.name = name};
  c.image = {.image = kImage};
  c.command = {"sh", "-c", "sleep 1000"};
  c.labels = {{"io.kubernetes.container.name", name}};
  c.log_path = absl::StrCat(name, "/0.log");
  c.resources.memory_limit_in_bytes = 32 << 20;
  return c;
}

class GrpcRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.AddImage(kImage);
    auto server = InMemoryCriServer::Start(&runtime_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = Client({});
  }

  std::unique_ptr<GrpcRuntime> Client(GrpcRuntime::Options options) {
    auto client = GrpcRuntime::Connect(server_->endpoint(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  InMemoryRuntime runtime_;
  std::unique_ptr<InMemoryCriServer> server_;
  std::unique_ptr<GrpcRuntime> client_;
};

TEST_F(GrpcRuntimeTest, VersionAndHealth) {
  EXPECT_TRUE(absl::IsFailedPrecondition(client_->LastHealth().status()));
  EXPECT_FALSE(client_->LastVersion().has_value());

  absl::StatusOr<RuntimeStatus> health = client_->CheckHealth();
  ASSERT_TRUE(health.ok()) << health.status();
  ASSERT_THAT(health->conditions, SizeIs(2));
  EXPECT_EQ(health->conditions[0].type, "RuntimeReady");
  EXPECT_TRUE(health->conditions[0].status);
  EXPECT_EQ(health->conditions[1].type, "NetworkReady");
  EXPECT_TRUE(health->conditions[1].status);
  ASSERT_TRUE(client_->LastHealth().ok());
  ASSERT_TRUE(client_->LastVersion().has_value());
  EXPECT_EQ(client_->LastVersion()->runtime_api_version, "v1");
  EXPECT_EQ(client_->LastVersion()->runtime_name, "inmemory");

  runtime_.SetNetworkReady(false);
  health = client_->CheckHealth();
  ASSERT_TRUE(health.ok());
  EXPECT_FALSE(health->conditions[1].status);
  EXPECT_EQ(health->conditions[1].reason, "NetworkPluginNotReady");

  runtime_.SetDown(true);
  EXPECT_TRUE(absl::IsUnavailable(client_->CheckHealth().status()));
  EXPECT_TRUE(absl::IsUnavailable(client_->LastHealth().status()));
}

TEST_F(GrpcRuntimeTest, SandboxAndContainerLifecycle) {
  PodSandboxConfig sandbox_config = SandboxConfig("web");
  absl::StatusOr<std::string> sandbox_id = client_->RunPodSandbox(sandbox_config, "runc");
  ASSERT_TRUE(sandbox_id.ok()) << sandbox_id.status();

  absl::StatusOr<PodSandboxStatus> ss = client_->GetPodSandboxStatus(*sandbox_id);
  ASSERT_TRUE(ss.ok()) << ss.status();
  EXPECT_EQ(ss->id, *sandbox_id);
  EXPECT_EQ(ss->metadata.namespace_, "default");
  EXPECT_EQ(ss->metadata.uid, "uid-web");
  EXPECT_EQ(ss->state, PodSandboxState::kReady);
  EXPECT_THAT(ss->ip, StartsWith("10.88."));
  EXPECT_EQ(ss->network_mode, NamespaceMode::kPod);
  EXPECT_EQ(ss->labels, sandbox_config.labels);
  EXPECT_EQ(ss->annotations, sandbox_config.annotations);
  EXPECT_GT(ss->created_at, 0);

  // What the runtime received is what cubelet sent.
  absl::StatusOr<PodSandboxConfig> seen = runtime_.GetPodSandboxConfig(*sandbox_id);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->cgroup_parent, sandbox_config.cgroup_parent);
  EXPECT_EQ(seen->log_directory, sandbox_config.log_directory);

  absl::StatusOr<std::string> main_id =
      client_->CreateContainer(*sandbox_id, ContainerCfg("main"), sandbox_config);
  ASSERT_TRUE(main_id.ok()) << main_id.status();
  absl::StatusOr<ContainerConfig> seen_c = runtime_.GetContainerConfig(*main_id);
  ASSERT_TRUE(seen_c.ok());
  EXPECT_EQ(seen_c->resources.memory_limit_in_bytes, 32 << 20);
  EXPECT_THAT(seen_c->command, ElementsAre("sh", "-c", "sleep 1000"));

  absl::StatusOr<ContainerStatus> cs = client_->GetContainerStatus(*main_id);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->state, ContainerState::kCreated);
  EXPECT_EQ(cs->log_path, "/var/log/pods/default_web/main/0.log");

  ASSERT_TRUE(client_->StartContainer(*main_id).ok());
  cs = client_->GetContainerStatus(*main_id);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->state, ContainerState::kRunning);
  EXPECT_GT(cs->started_at, 0);
  EXPECT_THAT(cs->image_ref, StartsWith("sha256:"));

  // A container that exits on its own with code 3.
  runtime_.SetExitOnStart("job", 3);
  absl::StatusOr<std::string> job_id =
      client_->CreateContainer(*sandbox_id, ContainerCfg("job"), sandbox_config);
  ASSERT_TRUE(job_id.ok());
  ASSERT_TRUE(client_->StartContainer(*job_id).ok());
  cs = client_->GetContainerStatus(*job_id);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->state, ContainerState::kExited);
  EXPECT_EQ(cs->exit_code, 3);
  EXPECT_EQ(cs->reason, "Error");

  // Listing with filters.
  auto running = client_->ListContainers(ContainerFilter{.state = ContainerState::kRunning});
  ASSERT_TRUE(running.ok());
  ASSERT_THAT(*running, SizeIs(1));
  EXPECT_EQ((*running)[0].id, *main_id);
  EXPECT_EQ((*running)[0].pod_sandbox_id, *sandbox_id);
  EXPECT_EQ((*running)[0].metadata.name, "main");

  auto by_label = client_->ListContainers(
      ContainerFilter{.label_selector = {{"io.kubernetes.container.name", "job"}}});
  ASSERT_TRUE(by_label.ok());
  ASSERT_THAT(*by_label, SizeIs(1));
  EXPECT_EQ((*by_label)[0].state, ContainerState::kExited);

  auto in_sandbox = client_->ListContainers(ContainerFilter{.pod_sandbox_id = *sandbox_id});
  ASSERT_TRUE(in_sandbox.ok());
  EXPECT_THAT(*in_sandbox, SizeIs(2));
  auto all = client_->ListContainers(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, SizeIs(2));
  // CONTAINER_CREATED is enum value 0: the filter must still apply.
  auto created = client_->ListContainers(ContainerFilter{.state = ContainerState::kCreated});
  ASSERT_TRUE(created.ok());
  EXPECT_THAT(*created, SizeIs(0));

  // StopContainer passes the grace period; a TERM-handling container exits 143.
  ASSERT_TRUE(client_->StopContainer(*main_id, 10).ok());
  EXPECT_EQ(runtime_.LastStopTimeout(*main_id), 10);
  cs = client_->GetContainerStatus(*main_id);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->state, ContainerState::kExited);
  EXPECT_EQ(cs->exit_code, 143);
  EXPECT_GE(cs->finished_at, cs->started_at);

  ASSERT_TRUE(client_->RemoveContainer(*main_id).ok());
  ASSERT_TRUE(client_->RemoveContainer(*main_id).ok());  // idempotent
  EXPECT_TRUE(absl::IsNotFound(client_->GetContainerStatus(*main_id).status()));

  // Sandboxes: a second one, not ready after stop, listed by state.
  absl::StatusOr<std::string> other = client_->RunPodSandbox(SandboxConfig("other"), "");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(client_->StopPodSandbox(*sandbox_id).ok());
  auto ready = client_->ListPodSandbox(PodSandboxFilter{.state = PodSandboxState::kReady});
  ASSERT_TRUE(ready.ok());
  ASSERT_THAT(*ready, SizeIs(1));
  EXPECT_EQ((*ready)[0].id, *other);
  EXPECT_EQ((*ready)[0].metadata.name, "other");
  auto not_ready = client_->ListPodSandbox(PodSandboxFilter{.state = PodSandboxState::kNotReady});
  ASSERT_TRUE(not_ready.ok());
  ASSERT_THAT(*not_ready, SizeIs(1));
  EXPECT_EQ((*not_ready)[0].id, *sandbox_id);
  EXPECT_EQ((*not_ready)[0].runtime_handler, "runc");
  auto by_app = client_->ListPodSandbox(PodSandboxFilter{.label_selector = {{"app", "web"}}});
  ASSERT_TRUE(by_app.ok());
  ASSERT_THAT(*by_app, SizeIs(1));
  EXPECT_EQ((*by_app)[0].labels.at("app"), "web");
  auto by_id = client_->ListPodSandbox(PodSandboxFilter{.id = *other});
  ASSERT_TRUE(by_id.ok());
  EXPECT_THAT(*by_id, SizeIs(1));

  ASSERT_TRUE(client_->RemovePodSandbox(*sandbox_id).ok());
  ASSERT_TRUE(client_->RemovePodSandbox(*other).ok());
  auto none = client_->ListPodSandbox(std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, SizeIs(0));
  EXPECT_TRUE(runtime_.ContainerIds().empty());
}

TEST_F(GrpcRuntimeTest, HostNetworkSandbox) {
  PodSandboxConfig config = SandboxConfig("host", NamespaceMode::kNode);
  absl::StatusOr<std::string> id = client_->RunPodSandbox(config, "");
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<PodSandboxConfig> seen = runtime_.GetPodSandboxConfig(*id);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->network_mode, NamespaceMode::kNode);
  absl::StatusOr<PodSandboxStatus> status = client_->GetPodSandboxStatus(*id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->network_mode, NamespaceMode::kNode);
  EXPECT_EQ(status->ip, "");
}

TEST_F(GrpcRuntimeTest, Images) {
  const std::string ref = "registry.local/app:1.0";
  absl::StatusOr<std::optional<Image>> status = client_->GetImageStatus({.image = ref});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->has_value());

  absl::Status denied = client_->PullImage({.image = ref}).status();
  EXPECT_TRUE(absl::IsNotFound(denied)) << denied;

  runtime_.AddPullableImage(ref);
  absl::StatusOr<std::string> pulled = client_->PullImage({.image = ref});
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_THAT(*pulled, StartsWith("sha256:"));

  status = client_->GetImageStatus({.image = ref});
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ((*status)->id, *pulled);
  EXPECT_THAT((*status)->repo_tags, ElementsAre(ref));
  EXPECT_GT((*status)->size, 0u);

  absl::StatusOr<std::vector<Image>> images = client_->ListImages();
  ASSERT_TRUE(images.ok());
  std::vector<std::string> ids;
  for (const Image& i : *images) ids.push_back(i.id);
  EXPECT_THAT(ids, SizeIs(2));
  EXPECT_THAT(ids, ::testing::Contains(*pulled));

  ASSERT_TRUE(client_->RemoveImage({.image = ref}).ok());
  status = client_->GetImageStatus({.image = ref});
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->has_value());
  EXPECT_TRUE(client_->RemoveImage({.image = ref}).ok());  // idempotent
}

TEST_F(GrpcRuntimeTest, StreamingCallsAnswerTheRuntimesUrl) {
  PodSandboxConfig sc = SandboxConfig("stream");
  auto sid = client_->RunPodSandbox(sc, "");
  ASSERT_TRUE(sid.ok());
  auto cid = client_->CreateContainer(*sid, ContainerCfg("shell"), sc);
  ASSERT_TRUE(cid.ok());
  runtime_.SetStreamingBase("http://127.0.0.1:9999");
  StreamOptions streams{.stdin = true, .stdout = true, .tty = true};

  absl::Status not_running = client_->Exec(*cid, {"sh"}, streams).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(not_running)) << not_running;
  EXPECT_THAT(std::string(not_running.message()), StartsWith("Exec: "));

  ASSERT_TRUE(client_->StartContainer(*cid).ok());
  absl::StatusOr<std::string> exec = client_->Exec(*cid, {"sh", "-c", "echo hi"}, streams);
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(*exec, "http://127.0.0.1:9999/exec/" + *cid);
  absl::StatusOr<std::string> attach = client_->Attach(*cid, {.stdout = true});
  ASSERT_TRUE(attach.ok()) << attach.status();
  EXPECT_EQ(*attach, "http://127.0.0.1:9999/attach/" + *cid);
  EXPECT_TRUE(absl::IsInvalidArgument(client_->Attach(*cid, {}).status()));
  absl::StatusOr<std::string> forward = client_->PortForward(*sid, {8080});
  ASSERT_TRUE(forward.ok()) << forward.status();
  EXPECT_EQ(*forward, "http://127.0.0.1:9999/portforward/" + *sid);
  EXPECT_TRUE(absl::IsNotFound(client_->PortForward("nope", {}).status()));
}

TEST_F(GrpcRuntimeTest, ExecSync) {
  PodSandboxConfig sc = SandboxConfig("exec");
  auto sid = client_->RunPodSandbox(sc, "");
  ASSERT_TRUE(sid.ok());
  auto cid = client_->CreateContainer(*sid, ContainerCfg("probe"), sc);
  ASSERT_TRUE(cid.ok());

  // Not running yet: the runtime's error crosses the wire with its code.
  absl::Status not_running = client_->ExecSync(*cid, {"true"}, absl::Seconds(1)).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(not_running)) << not_running;
  EXPECT_THAT(std::string(not_running.message()), StartsWith("ExecSync: "));

  ASSERT_TRUE(client_->StartContainer(*cid).ok());
  std::vector<std::string> seen_cmd;
  runtime_.SetExecHandler("probe", [&](const std::vector<std::string>& cmd) {
    seen_cmd = cmd;
    return ExecSyncResponse{
        .stdout_data = std::string("out\0bin", 7), .stderr_data = "err\n", .exit_code = 2};
  });
  absl::StatusOr<ExecSyncResponse> r =
      client_->ExecSync(*cid, {"cat", "/tmp/health"}, absl::Milliseconds(1500));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, std::string("out\0bin", 7));
  EXPECT_EQ(r->stderr_data, "err\n");
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_THAT(seen_cmd, ElementsAre("cat", "/tmp/health"));
}

TEST_F(GrpcRuntimeTest, ErrorsKeepTheirCodes) {
  absl::Status nf = client_->GetContainerStatus("no-such-id").status();
  EXPECT_TRUE(absl::IsNotFound(nf)) << nf;
  EXPECT_THAT(std::string(nf.message()), HasSubstr("no-such-id"));
  EXPECT_TRUE(absl::IsNotFound(client_->GetPodSandboxStatus("no-such-id").status()));
  EXPECT_TRUE(absl::IsNotFound(client_->StopContainer("no-such-id", 0)));

  runtime_.InjectError("RunPodSandbox", absl::UnknownError("failed to reserve sandbox name"));
  absl::Status unknown = client_->RunPodSandbox(SandboxConfig("x"), "").status();
  EXPECT_TRUE(absl::IsUnknown(unknown));
  EXPECT_EQ(unknown.message(), "RunPodSandbox: failed to reserve sandbox name");

  runtime_.InjectError("ListContainers", absl::UnimplementedError("not here"));
  EXPECT_TRUE(absl::IsUnimplemented(client_->ListContainers(std::nullopt).status()));

  runtime_.SetDown(true);
  absl::Status down = client_->ListPodSandbox(std::nullopt).status();
  EXPECT_TRUE(absl::IsUnavailable(down));
  EXPECT_THAT(std::string(down.message()), StartsWith("container runtime is unavailable: "));
}

TEST_F(GrpcRuntimeTest, StoppedServerIsUnavailable) {
  ASSERT_TRUE(client_->GetVersion().ok());
  server_->Shutdown();
  absl::Time start = absl::Now();
  absl::Status s = client_->GetVersion().status();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), StartsWith("container runtime is unavailable: "));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST_F(GrpcRuntimeTest, ReconnectsWhenTheServerComesBack) {
  ASSERT_TRUE(client_->GetVersion().ok());
  const std::string path = server_->socket_path();
  server_->Shutdown();
  EXPECT_TRUE(absl::IsUnavailable(client_->GetVersion().status()));

  auto restarted = InMemoryCriServer::Start(&runtime_, path);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  // The channel retries with back-off capped at 3 s; well within this.
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  absl::Status s;
  do {
    s = client_->GetVersion().status();
    if (s.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < give_up);
  EXPECT_TRUE(s.ok()) << s;
  (*restarted)->Shutdown();
}

TEST(GrpcRuntimeConnectTest, MissingSocketFailsFast) {
  absl::Time start = absl::Now();
  auto client = GrpcRuntime::Connect("unix:///tmp/cubelet-no-such-dir-4711/cri.sock");
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  absl::Status s = (*client)->GetVersion().status();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::IsUnavailable((*client)->CheckHealth().status()));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(GrpcRuntimeConnectTest, Endpoints) {
  auto bare = GrpcRuntime::Connect("/run/containerd/containerd.sock");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)->target(), "unix:///run/containerd/containerd.sock");
  auto full = GrpcRuntime::Connect("unix:///run/x.sock");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ((*full)->target(), "unix:///run/x.sock");
  EXPECT_EQ((*full)->options().call_timeout, absl::Minutes(2));
  EXPECT_EQ((*full)->options().stop_margin, absl::Seconds(30));
  EXPECT_EQ((*full)->options().max_receive_bytes, 16 << 20);

  EXPECT_TRUE(absl::IsInvalidArgument(GrpcRuntime::Connect("").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(GrpcRuntime::Connect("run/x.sock").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(GrpcRuntime::Connect("unix://run/x.sock").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(GrpcRuntime::Connect("tcp://127.0.0.1:1").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      GrpcRuntime::Connect("/x", {.call_timeout = absl::ZeroDuration()}).status()));
}

TEST_F(GrpcRuntimeTest, SlowCallHitsTheDeadline) {
  std::unique_ptr<GrpcRuntime> fast = Client({.call_timeout = absl::Milliseconds(200)});
  ASSERT_NE(fast, nullptr);
  runtime_.SetLatency("GetVersion", absl::Milliseconds(1500));
  absl::Time start = absl::Now();
  absl::Status s = fast->GetVersion().status();
  absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("Version"));
  EXPECT_LT(took, absl::Seconds(1));
}

TEST_F(GrpcRuntimeTest, StopContainerDeadlineCoversTheGracePeriod) {
  std::unique_ptr<GrpcRuntime> fast =
      Client({.call_timeout = absl::Milliseconds(200), .stop_margin = absl::Milliseconds(200)});
  ASSERT_NE(fast, nullptr);
  PodSandboxConfig sc = SandboxConfig("stop");
  auto sid = fast->RunPodSandbox(sc, "");
  ASSERT_TRUE(sid.ok());
  auto cid = fast->CreateContainer(*sid, ContainerCfg("c"), sc);
  ASSERT_TRUE(cid.ok());
  ASSERT_TRUE(fast->StartContainer(*cid).ok());
  // Slower than call_timeout but within the 1 s grace period + margin.
  runtime_.SetLatency("StopContainer", absl::Milliseconds(600));
  absl::Status s = fast->StopContainer(*cid, 1);
  EXPECT_TRUE(s.ok()) << s;
  // With no grace period only the margin is left.
  runtime_.SetLatency("StopContainer", absl::Milliseconds(600));
  s = fast->StopContainer(*cid, 0);
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
}

TEST_F(GrpcRuntimeTest, MaxReceiveSizeApplies) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(runtime_.RunPodSandbox(SandboxConfig(absl::StrCat("p", i)), "").ok());
  }
  std::unique_ptr<GrpcRuntime> small = Client({.max_receive_bytes = 1024});
  ASSERT_NE(small, nullptr);
  absl::Status s = small->ListPodSandbox(std::nullopt).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_THAT(std::string(s.message()), StartsWith("ListPodSandbox: "));
  auto all = client_->ListPodSandbox(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, SizeIs(20));
}

TEST_F(GrpcRuntimeTest, ConcurrentCalls) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        PodSandboxConfig sc = SandboxConfig(absl::StrCat("t", t, "-", i));
        auto sid = client_->RunPodSandbox(sc, "");
        if (!sid.ok() || !client_->CreateContainer(*sid, ContainerCfg("c"), sc).ok()) ++failures;
        if (i % 5 == 0 && !client_->CheckHealth().ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto sandboxes = client_->ListPodSandbox(std::nullopt);
  ASSERT_TRUE(sandboxes.ok());
  EXPECT_THAT(*sandboxes, SizeIs(kThreads * kPerThread));
  auto containers = client_->ListContainers(std::nullopt);
  ASSERT_TRUE(containers.ok());
  EXPECT_THAT(*containers, SizeIs(kThreads * kPerThread));
}

}  // namespace
}  // namespace cubelet::cri
