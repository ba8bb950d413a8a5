// DeviceManager against device plugins served over real gRPC on unix
// sockets in a temporary plugin directory.
#include "devicemanager/device_manager.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "api/parse.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"
#include "util/testing/temp_dir.h"

namespace cubelet::devicemanager {
namespace {

namespace pb = ::v1beta1;
using ::testing::HasSubstr;

// A device plugin: serves its devices, fails the calls it is told to, and
// records the calls it gets.
class FakePlugin final : public pb::DevicePlugin::Service {
 public:
  FakePlugin(std::string socket, std::vector<std::pair<std::string, bool>> devices)
      : devices_(std::move(devices)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix://" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakePlugin() override { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  void SetDevices(std::vector<std::pair<std::string, bool>> devices) {
    {
      std::lock_guard<std::mutex> l(mu_);
      devices_ = std::move(devices);
      ++generation_;
    }
    cv_.notify_all();
  }
  // The ListAndWatch stream ends with an error (the plugin failed).
  void FailWatch() {
    {
      std::lock_guard<std::mutex> l(mu_);
      fail_watch_ = true;
    }
    cv_.notify_all();
  }
  void FailOptions() {
    std::lock_guard<std::mutex> l(mu_);
    fail_options_ = true;
  }
  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

  grpc::Status GetDevicePluginOptions(grpc::ServerContext*, const pb::Empty*,
                                      pb::DevicePluginOptions*) override {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back("GetDevicePluginOptions");
    if (fail_options_) return grpc::Status(grpc::StatusCode::UNKNOWN, "options broke");
    return grpc::Status::OK;
  }

  grpc::Status ListAndWatch(grpc::ServerContext* ctx, const pb::Empty*,
                            grpc::ServerWriter<pb::ListAndWatchResponse>* writer) override {
    std::unique_lock<std::mutex> l(mu_);
    calls_.push_back("ListAndWatch");
    int sent = -1;
    while (!stopping_ && !ctx->IsCancelled()) {
      if (fail_watch_) return grpc::Status(grpc::StatusCode::UNKNOWN, "ListAndWatch failed");
      if (sent != generation_) {
        pb::ListAndWatchResponse r;
        for (const auto& [id, healthy] : devices_) {
          pb::Device* d = r.add_devices();
          d->set_id(id);
          d->set_health(healthy ? "Healthy" : "Unhealthy");
        }
        sent = generation_;
        l.unlock();
        const bool ok = writer->Write(r);
        l.lock();
        if (!ok) break;
      }
      cv_.wait_for(l, std::chrono::milliseconds(20));
    }
    return grpc::Status::OK;
  }

  grpc::Status Allocate(grpc::ServerContext*, const pb::AllocateRequest* request,
                        pb::AllocateResponse* response) override {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back("Allocate");
    for (const pb::ContainerAllocateRequest& c : request->container_requests()) {
      pb::ContainerAllocateResponse* r = response->add_container_responses();
      for (const std::string& id : c.devices_ids()) {
        (*r->mutable_envs())["DEVICE_" + id] = id;
        pb::Mount* m = r->add_mounts();
        m->set_container_path("/dev-info/" + id);
        m->set_host_path("/tmp/dev-info-" + id);
        m->set_read_only(true);
        pb::DeviceSpec* d = r->add_devices();
        d->set_container_path("/dev/fake" + id);
        d->set_host_path("/dev/null");
        d->set_permissions("rw");
      }
      (*r->mutable_annotations())["fake.example.com/allocated"] = "yes";
    }
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, bool>> devices_;
  int generation_ = 0;
  bool fail_watch_ = false, fail_options_ = false, stopping_ = false;
  std::vector<std::string> calls_;
  std::unique_ptr<grpc::Server> server_;
};

class DeviceManagerTest : public ::testing::Test {
 protected:
  DeviceManagerTest() {
    DeviceManager::Options options;
    options.plugin_dir = dir_.path();
    manager_ = std::make_unique<DeviceManager>(options, &clock_);
    EXPECT_TRUE(manager_->Start().ok());
  }

  // What a plugin does to register: the Registration call on kubelet.sock.
  grpc::Status RegisterOverGrpc(const std::string& endpoint, const std::string& resource) {
    auto channel = grpc::CreateChannel("unix://" + dir_.File(kKubeletSocket),
                                       grpc::InsecureChannelCredentials());
    auto stub = pb::Registration::NewStub(channel);
    pb::RegisterRequest request;
    request.set_version(kVersion);
    request.set_endpoint(endpoint);
    request.set_resource_name(resource);
    pb::Empty empty;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->Register(&ctx, request, &empty);
  }

  // Waits (real time, bounded) until the manager reports `want` for
  // `resource`: the plugin's stream is asynchronous.
  bool WaitFor(const std::string& resource, ResourceCounts want) {
    for (int i = 0; i < 500; ++i) {
      auto r = manager_->Resources();
      if (auto it = r.find(resource); it != r.end() && it->second == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static api::Pod PodRequesting(const std::string& uid, const std::string& resource, int n) {
    api::Pod pod;
    pod.metadata.name = "p-" + uid;
    pod.metadata.namespace_ = "default";
    pod.metadata.uid = uid;
    api::Container c;
    c.name = "main";
    c.resources.limits[resource] = std::to_string(n);
    c.resources.requests[resource] = std::to_string(n);
    pod.spec.containers.push_back(c);
    return pod;
  }

  test_support::ScopedTempDir dir_{"cubelet-dp"};
  FakeClock clock_;
  std::unique_ptr<DeviceManager> manager_;
};

TEST_F(DeviceManagerTest, RegisteredPluginsDevicesAreCapacityAndHealthyOnesAllocatable) {
  FakePlugin plugin(dir_.File("a.sock"), {{"0", true}, {"1", true}});
  ASSERT_TRUE(RegisterOverGrpc("a.sock", "example.com/dev").ok());
  EXPECT_TRUE(WaitFor("example.com/dev", {.capacity = 2, .allocatable = 2}));
  EXPECT_TRUE(manager_->Manages("example.com/dev"));
  plugin.SetDevices({{"0", true}, {"1", false}});
  EXPECT_TRUE(WaitFor("example.com/dev", {.capacity = 2, .allocatable = 1}));
  plugin.SetDevices({{"0", true}, {"1", true}});
  EXPECT_TRUE(WaitFor("example.com/dev", {.capacity = 2, .allocatable = 2}));
}

TEST_F(DeviceManagerTest, FailingOptionsRefuseTheRegistration) {
  FakePlugin plugin(dir_.File("b.sock"), {{"0", true}});
  plugin.FailOptions();
  grpc::Status s = RegisterOverGrpc("b.sock", "example.com/dev");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr("failed to get device plugin options"));
  EXPECT_THAT(s.error_message(), HasSubstr("options broke"));
  EXPECT_TRUE(manager_->Resources().empty()) << "the resource never appears";
  EXPECT_THAT(plugin.Calls(), ::testing::ElementsAre("GetDevicePluginOptions"));
}

TEST_F(DeviceManagerTest, BadRegistrationsAreRefused) {
  EXPECT_FALSE(manager_->Register("v1alpha", "x.sock", "example.com/dev").ok());
  EXPECT_FALSE(manager_->Register(kVersion, "x.sock", "cpu").ok());
  EXPECT_FALSE(manager_->Register(kVersion, "x.sock", "kubernetes.io/dev").ok());
  EXPECT_FALSE(manager_->Register(kVersion, "../x.sock", "example.com/dev").ok());
  EXPECT_FALSE(manager_->Register(kVersion, "nobody.sock", "example.com/dev").ok())
      << "no plugin listens there";
}

TEST_F(DeviceManagerTest, AnEndedWatchMakesDevicesUnhealthyThenRemovesThemAfterTheGracePeriod) {
  FakePlugin plugin(dir_.File("c.sock"), {{"0", true}, {"1", true}});
  ASSERT_TRUE(RegisterOverGrpc("c.sock", "example.com/dev").ok());
  ASSERT_TRUE(WaitFor("example.com/dev", {.capacity = 2, .allocatable = 2}));
  plugin.FailWatch();
  EXPECT_TRUE(WaitFor("example.com/dev", {.capacity = 2, .allocatable = 0}));
  clock_.Advance(absl::Minutes(4));
  EXPECT_EQ(manager_->Resources()["example.com/dev"], (ResourceCounts{2, 0}));
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(manager_->Resources()["example.com/dev"], (ResourceCounts{0, 0}))
      << "still reported, with nothing";
  EXPECT_THAT(plugin.Calls(), ::testing::ElementsAre("GetDevicePluginOptions", "ListAndWatch"))
      << "ListAndWatch is not retried";
}

TEST_F(DeviceManagerTest, AWatchThatFailsAtOnceLeavesTheResourceEmpty) {
  FakePlugin plugin(dir_.File("d.sock"), {{"0", true}});
  plugin.FailWatch();
  ASSERT_TRUE(RegisterOverGrpc("d.sock", "example.com/dev").ok());
  EXPECT_TRUE(WaitFor("example.com/dev", {.capacity = 0, .allocatable = 0}));
}

TEST_F(DeviceManagerTest, AllocationGivesThePluginsAnswerAndRefusesWhatIsNotFree) {
  FakePlugin plugin(dir_.File("e.sock"), {{"0", true}, {"1", false}, {"2", true}});
  ASSERT_TRUE(RegisterOverGrpc("e.sock", "example.com/dev").ok());
  ASSERT_TRUE(WaitFor("example.com/dev", {.capacity = 3, .allocatable = 2}));

  api::Pod a = PodRequesting("a", "example.com/dev", 1);
  ASSERT_TRUE(manager_->Allocate(a, {}).ok());
  DeviceRunOptions got = manager_->RunOptions("a", "main");
  ASSERT_EQ(got.envs.size(), 1u);
  EXPECT_EQ(got.envs[0].key, "DEVICE_0");
  ASSERT_EQ(got.mounts.size(), 1u);
  EXPECT_EQ(got.mounts[0].host_path, "/tmp/dev-info-0");
  EXPECT_TRUE(got.mounts[0].readonly);
  EXPECT_EQ(got.devices,
            (std::vector<cri::Device>{
                {.container_path = "/dev/fake0", .host_path = "/dev/null", .permissions = "rw"}}));
  EXPECT_EQ(got.annotations.at("fake.example.com/allocated"), "yes");
  EXPECT_TRUE(manager_->RunOptions("a", "other").mounts.empty());

  // Only device 2 is healthy and free: two are too many while a holds 0.
  api::Pod b = PodRequesting("b", "example.com/dev", 2);
  absl::Status refused = manager_->Allocate(b, {"a"});
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("requested number of devices unavailable for "
                                           "example.com/dev. Requested: 2, Available: 1"));
  // Once a is gone its device is free again.
  ASSERT_TRUE(manager_->Allocate(b, {}).ok());
  EXPECT_EQ(manager_->RunOptions("b", "main").devices.size(), 2u);
  EXPECT_TRUE(manager_->RunOptions("a", "main").devices.empty());
  // Pods that request nothing of a plugin's resources are admitted as they are.
  api::Pod c = PodRequesting("c", "other.com/thing", 1);
  EXPECT_TRUE(manager_->Allocate(c, {"b"}).ok());
}

}  // namespace
}  // namespace cubelet::devicemanager
