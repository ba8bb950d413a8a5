#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "logs/testing/log_files.h"
#include "metrics/registry.h"
#include "nlohmann/json.hpp"
#include "server/fake_agent_view.h"

namespace cubelet::server {
namespace {

using logs::testing::Rec;
using logs::testing::TempDir;
using logs::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

api::Pod MakePod(const std::string& ns, const std::string& name, const std::string& uid,
                 std::vector<std::string> containers = {"app"}) {
  api::Pod pod;
  pod.metadata.namespace_ = ns;
  pod.metadata.name = name;
  pod.metadata.uid = uid;
  for (const std::string& c : containers) {
    api::Container container;
    container.name = c;
    container.image = "busybox:1.36";
    pod.spec.containers.push_back(container);
  }
  pod.status.phase = api::kPodRunning;
  return pod;
}

// A follow request running on its own thread, collecting the body.
class Follower {
 public:
  Follower(int port, std::string path) : client_("127.0.0.1", port) {
    client_.set_read_timeout(std::chrono::seconds(30));
    thread_ = std::thread([this, path = std::move(path)] {
      httplib::Result res = client_.Get(
          path,
          [this](const httplib::Response& r) {
            std::lock_guard<std::mutex> lock(mu_);
            status_ = r.status;
            cv_.notify_all();
            return true;
          },
          [this](const char* data, size_t len) {
            std::lock_guard<std::mutex> lock(mu_);
            body_.append(data, len);
            cv_.notify_all();
            return true;
          });
      std::lock_guard<std::mutex> lock(mu_);
      if (res) status_ = res->status;
      done_ = true;
      cv_.notify_all();
    });
  }
  ~Follower() {
    while (!WaitForEnd(std::chrono::milliseconds(50))) Disconnect();
    thread_.join();
  }

  // Waits (bounded) until the body contains `text`.
  bool WaitForBody(const std::string& text,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return body_.find(text) != std::string::npos; });
  }
  // Waits (bounded) until the response status is known.
  bool WaitForStatus(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return status_ != 0 || done_; });
  }
  // Waits (bounded) until the request has ended.
  bool WaitForEnd(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_; });
  }
  // Closes the connection from the client side, as a user's Ctrl-C would.
  void Disconnect() { client_.stop(); }

  std::string body() const {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }
  int status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  httplib::Client client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string body_;
  int status_ = 0;
  bool done_ = false;
  std::thread thread_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    view_.AddPod(MakePod("default", "web", "uid-1", {"app", "sidecar"}));
    ServerOptions options;
    options.port = 0;
    options.pod_logs_dir = logs_.path();
    options.registry = &registry_;
    server_ = std::make_unique<Server>(&view_, options);
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(std::chrono::seconds(10));
  }

  std::string LogFile(const std::string& container, int n, const std::string& pod = "web",
                      const std::string& uid = "uid-1") {
    return logs_.File("default_" + pod + "_" + uid + "/" + container + "/" + std::to_string(n) +
                      ".log");
  }

  httplib::Result Get(const std::string& path) { return client_->Get(path); }

  TempDir logs_;
  FakeAgentView view_;
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, Healthz) {
  httplib::Result res = Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");

  view_.SetHealthy(absl::UnavailableError("PLEG is not healthy: pleg was last seen active 4m ago"));
  res = Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, "PLEG is not healthy: pleg was last seen active 4m ago");
}

TEST_F(ServerTest, Pods) {
  view_.AddPod(MakePod("kube-system", "dns", "uid-2"));
  httplib::Result res = Get("/pods");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  nlohmann::json j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["kind"], "PodList");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["metadata"], nlohmann::json::object());
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["metadata"]["name"], "web");
  EXPECT_EQ(j["items"][1]["metadata"]["namespace"], "kube-system");
  EXPECT_EQ(j["items"][1]["status"]["phase"], "Running");

  view_.SetPods({});
  res = Get("/pods");
  ASSERT_TRUE(res);
  EXPECT_EQ(nlohmann::json::parse(res->body)["items"], nlohmann::json::array());
}

TEST_F(ServerTest, Metrics) {
  registry_.NewCounter("kubelet_test_total", "A test counter.")->Inc(3);
  httplib::Result res = Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_EQ(res->body,
            "# HELP kubelet_test_total A test counter.\n"
            "# TYPE kubelet_test_total counter\n"
            "kubelet_test_total 3\n");
}

TEST(ServerNoRegistryTest, MetricsWithoutRegistryIs404) {
  FakeAgentView view;
  Server server(&view, {.port = 0});
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  httplib::Result res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(ServerStatsTest, SummaryIsServedAsJsonAndItsErrorsAre500) {
  FakeAgentView view;
  bool fail = false;
  ServerOptions options{.port = 0};
  options.stats_summary = [&fail]() -> absl::StatusOr<std::string> {
    if (fail) return absl::NotFoundError("no root cgroup");
    return std::string(R"({"node":{"nodeName":"n"},"pods":[]})");
  };
  Server server(&view, options);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  httplib::Result res = client.Get("/stats/summary");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body, R"({"node":{"nodeName":"n"},"pods":[]})");
  fail = true;
  res = client.Get("/stats/summary");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, "failed to get node summary: no root cgroup\n");

  options.resource_metrics = [] { return std::string("resource_scrape_error 0\n"); };
  Server with_metrics(&view, options);
  ASSERT_TRUE(with_metrics.Start().ok());
  httplib::Client metrics_client("127.0.0.1", with_metrics.port());
  res = metrics_client.Get("/metrics/resource");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_EQ(res->body, "resource_scrape_error 0\n");
  res = metrics_client.Get("/metrics/cadvisor");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << "no cAdvisor metrics without their function";

  options.cadvisor_metrics = [] { return std::string("container_scrape_error 0\n"); };
  Server with_cadvisor(&view, options);
  ASSERT_TRUE(with_cadvisor.Start().ok());
  httplib::Client cadvisor_client("127.0.0.1", with_cadvisor.port());
  res = cadvisor_client.Get("/metrics/cadvisor");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_EQ(res->body, "container_scrape_error 0\n");

  Server without(&view, {.port = 0});
  ASSERT_TRUE(without.Start().ok());
  httplib::Client other("127.0.0.1", without.port());
  res = other.Get("/stats/summary");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = other.Get("/metrics/resource");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  // Not served, and the body stays valid Prometheus text (a comment).
  res = other.Get("/metrics/cadvisor");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body.rfind("# ", 0), 0u) << res->body;
}

TEST_F(ServerTest, IndexAndUnknownPaths) {
  httplib::Result res = Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("/containerLogs/"));

  for (const char* path : {"/nope", "/containerLogs", "/containerLogs/default/web",
                           "/containerLogs/default/web/app/extra", "/containerLogs/default/web/",
                           "/pods/x", "/healthz/"}) {
    res = Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body, "404 page not found\n") << path;
  }
  res = client_->Post("/pods", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_GE(res->status, 400);
}

TEST_F(ServerTest, StartTwiceAndBindConflict) {
  absl::Status again = server_->Start();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);

  FakeAgentView view;
  Server other(&view, {.port = server_->port()});
  absl::Status s = other.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("127.0.0.1:" + std::to_string(server_->port())));
}

TEST_F(ServerTest, LogsWholeFileTailTimestampsLimit) {
  WriteFile(LogFile("app", 0), Rec("one", "F", 1) + Rec("tw", "P", 2) + Rec("o", "F", 3) +
                                   Rec("three", "F", 4, "stderr"));
  httplib::Result res = Get("/containerLogs/default/web/app");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "one\ntwo\nthree\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; charset=utf-8");

  res = Get("/containerLogs/default/web/app?tailLines=2");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "two\nthree\n");

  res = Get("/containerLogs/default/web/app?tailLines=0");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");

  res = Get("/containerLogs/default/web/app?tailLines=1&timestamps=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "2024-01-02T03:04:04.123456789Z three\n");

  res = Get("/containerLogs/default/web/app?limitBytes=6");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "one\ntw");
}

TEST_F(ServerTest, LogsCurrentAndPrevious) {
  WriteFile(LogFile("app", 0), Rec("first run"));
  WriteFile(LogFile("app", 1), Rec("second run"));
  WriteFile(LogFile("app", 2), Rec("third run"));
  WriteFile(LogFile("app", 1) + ".20240102-030405", Rec("rotated"));

  httplib::Result res = Get("/containerLogs/default/web/app");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "third run\n");
  res = Get("/containerLogs/default/web/app?previous=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "second run\n");

  WriteFile(LogFile("sidecar", 0), Rec("only run"));
  res = Get("/containerLogs/default/web/sidecar?previous=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, "previous terminated container \"sidecar\" in pod \"web\" not found\n");
}

TEST_F(ServerTest, LogsErrors) {
  struct Case {
    std::string path;
    int status;
    std::string body;
  };
  std::vector<Case> cases = {
      {"/containerLogs/default/nope/app", 404, "pod \"default/nope\" not found\n"},
      {"/containerLogs/other/web/app", 404, "pod \"other/web\" not found\n"},
      {"/containerLogs/default/web/nope", 404, "container \"nope\" in pod \"web\" not found\n"},
      {"/containerLogs/default/web/app", 400,
       "container \"app\" in pod \"web\" is waiting to start: ContainerCreating\n"},
      {"/containerLogs/default/web/app?tailLines=-1", 400,
       "invalid tailLines \"-1\": must be an integer greater than or equal to 0\n"},
      {"/containerLogs/default/web/app?tailLines=x", 400,
       "invalid tailLines \"x\": must be an integer greater than or equal to 0\n"},
      {"/containerLogs/default/web/app?limitBytes=0", 400,
       "invalid limitBytes \"0\": must be an integer greater than or equal to 1\n"},
      {"/containerLogs/default/web/app?follow=maybe", 400,
       "invalid follow \"maybe\": must be true or false\n"},
      {"/containerLogs/default/web/app?previous=2", 400,
       "invalid previous \"2\": must be true or false\n"},
      {"/containerLogs/default/web/app?timestamps=yes", 400,
       "invalid timestamps \"yes\": must be true or false\n"},
  };
  for (const Case& c : cases) {
    httplib::Result res = Get(c.path);
    ASSERT_TRUE(res) << c.path;
    EXPECT_EQ(res->status, c.status) << c.path;
    EXPECT_EQ(res->body, c.body) << c.path;
  }

  // A waiting container reports its reason.
  api::Pod pod = MakePod("default", "web", "uid-1", {"app", "sidecar"});
  api::ContainerStatus status;
  status.name = "app";
  status.state.waiting = api::ContainerStateWaiting{.reason = "ImagePullBackOff"};
  pod.status.container_statuses.push_back(status);
  view_.AddPod(pod);
  httplib::Result res = Get("/containerLogs/default/web/app");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body, "container \"app\" in pod \"web\" is waiting to start: ImagePullBackOff\n");
}

TEST_F(ServerTest, FollowStreamsAppendedLinesUntilThePodIsRemoved) {
  WriteFile(LogFile("app", 0), Rec("before"));
  Follower f(server_->port(), "/containerLogs/default/web/app?follow=true");
  ASSERT_TRUE(f.WaitForBody("before\n"));
  EXPECT_EQ(f.status(), 200);

  WriteFile(LogFile("app", 0), Rec("after one"), /*append=*/true);
  ASSERT_TRUE(f.WaitForBody("after one\n"));
  std::string split = Rec("split ", "P") + Rec("line");
  WriteFile(LogFile("app", 0), split.substr(0, 20), true);
  WriteFile(LogFile("app", 0), split.substr(20), true);
  ASSERT_TRUE(f.WaitForBody("split line\n"));

  view_.RemovePod("default", "web");
  ASSERT_TRUE(f.WaitForEnd());
  EXPECT_EQ(f.body(), "before\nafter one\nsplit line\n");
}

TEST_F(ServerTest, FollowEndsWhenTheContainerRestartsAfterDraining) {
  WriteFile(LogFile("app", 0), Rec("a") + Rec("b"));
  Follower f(server_->port(), "/containerLogs/default/web/app?follow=true&tailLines=1");
  ASSERT_TRUE(f.WaitForBody("b\n"));
  // The old container's last words and the new file land in the same poll.
  WriteFile(LogFile("app", 0), Rec("last words"), true);
  WriteFile(LogFile("app", 1), Rec("new container"));
  ASSERT_TRUE(f.WaitForEnd());
  EXPECT_EQ(f.body(), "b\nlast words\n");
}

TEST_F(ServerTest, FollowWithLimitBytesEnds) {
  WriteFile(LogFile("app", 0), Rec("12345"));
  Follower f(server_->port(), "/containerLogs/default/web/app?follow=true&limitBytes=8");
  ASSERT_TRUE(f.WaitForBody("12345\n"));
  WriteFile(LogFile("app", 0), Rec("67890"), true);
  ASSERT_TRUE(f.WaitForEnd());
  EXPECT_EQ(f.body(), "12345\n67");
}

TEST_F(ServerTest, FollowEndsOnStop) {
  WriteFile(LogFile("app", 0), Rec("x"));
  Follower f(server_->port(), "/containerLogs/default/web/app?follow=true");
  ASSERT_TRUE(f.WaitForBody("x\n"));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(f.WaitForEnd());
  server_->Stop();  // idempotent
}

TEST_F(ServerTest, DisconnectedFollowersFreeTheirSlots) {
  WriteFile(LogFile("app", 0), Rec("x"));
  const std::string path = "/containerLogs/default/web/app?follow=true";
  std::vector<std::unique_ptr<Follower>> followers;
  for (int i = 0; i < Server::kMaxLogStreams; ++i) {
    followers.push_back(std::make_unique<Follower>(server_->port(), path));
    ASSERT_TRUE(followers.back()->WaitForBody("x\n"));
  }
  // The limit is reached: one more is refused, plain requests still work.
  httplib::Result res = Get(path);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  res = Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  // The clients leave while the streams are idle (nothing more is written):
  // the server must notice the closed connections without a failed write.
  for (auto& f : followers) f->Disconnect();
  for (auto& f : followers) ASSERT_TRUE(f->WaitForEnd());
  followers.clear();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    Follower f(server_->port(), path);
    ASSERT_TRUE(f.WaitForStatus());
    served = f.status() == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(served);
}

// Raw client sockets for the slowloris tests.
int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(ServerTest, HealthzAnswersUnderSlowloris) {
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  // 20 clients trickling a request a byte at a time, never finishing.
  std::vector<int> slow;
  for (int i = 0; i < 20; ++i) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, "GET /pods HTTP/1.1\r\nX-A: ", 25, MSG_NOSIGNAL), 25);
    slow.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done) {
      for (int fd : slow) (void)::send(fd, "a", 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    httplib::Result res = Get(i % 2 ? "/metrics" : "/healthz");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    worst = std::max(worst, took);
    ASSERT_TRUE(res) << i;
    EXPECT_EQ(res->status, 200);
    ASSERT_TRUE(Get("/pods"));  // other paths too: workers are not held by the slow clients
  }
  EXPECT_LT(worst, std::chrono::seconds(1));
  done = true;
  trickle.join();
  // The slow and idle ones are cut off at the request timeout.
  char c;
  struct timeval tv = {Server::kRequestTimeout.count() / 1000 + 3, 0};
  ::setsockopt(slow[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ssize_t n = ::recv(slow[0], &c, 1, 0);
  EXPECT_GE(n, 0);  // the 408 (or the close), not our own timeout
  for (int fd : idle) ::close(fd);
  for (int fd : slow) ::close(fd);
}

TEST_F(ServerTest, OversizedHeadersAndBodiesAreRefused) {
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string req = "GET /pods HTTP/1.1\r\nX-Big: " + std::string(Server::kMaxHeaderBytes, 'a');
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  char buf[256] = {};
  ssize_t n = ::recv(fd, buf, sizeof(buf) - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buf), HasSubstr("431"));
  ::close(fd);

  fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  req = "GET /pods HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  n = ::recv(fd, buf, sizeof(buf) - 1, 0);
  ASSERT_GT(n, 0);
  buf[n] = 0;
  EXPECT_THAT(std::string(buf), HasSubstr("413"));
  ::close(fd);
}

}  // namespace
}  // namespace cubelet::server
