#include "cli/cli.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/json.h"
#include "api/pod.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace cubelet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

Result RunCubelet(std::vector<std::string> args, const CliEnvironment& env) {
  args.insert(args.begin(), "cubelet");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::ostringstream out, err;
  Result r;
  r.code = RunCli(static_cast<int>(args.size()), argv.data(), out, err, env);
  r.out = out.str();
  r.err = err.str();
  return r;
}

CliEnvironment TestEnv(std::string server_from_env = "") {
  return CliEnvironment{kNow, absl::UTCTimeZone(), std::move(server_from_env)};
}

api::Container MakeContainer(std::string name) {
  api::Container c;
  c.name = std::move(name);
  c.image = "busybox";
  return c;
}

api::ContainerStatus RunningStatus(std::string name) {
  api::ContainerStatus s;
  s.name = std::move(name);
  s.ready = true;
  s.started = true;
  s.container_id = "containerd://" + s.name;
  s.state.running = api::ContainerStateRunning{kNow - absl::Minutes(5)};
  return s;
}

std::vector<api::Pod> CannedPods() {
  api::Pod web;
  web.metadata.name = "web";
  web.metadata.namespace_ = "default";
  web.metadata.labels = {{"app", "web"}};
  web.metadata.creation_timestamp = kNow - absl::Minutes(5);
  web.spec.node_name = "node-1";
  web.spec.containers = {MakeContainer("app")};
  web.status.phase = api::kPodRunning;
  web.status.host_ip = "192.168.1.10";
  web.status.pod_ip = "10.88.0.4";
  web.status.pod_ips = {{"10.88.0.4"}};
  web.status.start_time = kNow - absl::Minutes(5);
  web.status.container_statuses = {RunningStatus("app")};

  api::Pod db;
  db.metadata.name = "db-0";
  db.metadata.namespace_ = "default";
  db.metadata.creation_timestamp = kNow - absl::Hours(51);
  db.spec.node_name = "node-1";
  db.spec.containers = {MakeContainer("db"), MakeContainer("metrics")};
  db.status.phase = api::kPodRunning;
  api::ContainerStatus crash;
  crash.name = "db";
  crash.restart_count = 5;
  crash.state.waiting = api::ContainerStateWaiting{"CrashLoopBackOff", "back-off"};
  crash.last_state.terminated = api::ContainerStateTerminated{};
  crash.last_state.terminated->exit_code = 1;
  crash.last_state.terminated->finished_at = kNow - absl::Minutes(3);
  db.status.container_statuses = {crash, RunningStatus("metrics")};

  api::Pod dns;
  dns.metadata.name = "coredns";
  dns.metadata.namespace_ = "kube-system";
  dns.metadata.creation_timestamp = kNow - absl::Hours(3);
  dns.spec.containers = {MakeContainer("coredns")};
  dns.status.phase = api::kPodPending;
  return {web, db, dns};
}

// A stand-in for the daemon's read-only API on 127.0.0.1.
class CliServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pods_json_ = api::PodListJson(CannedPods());
    server_.Get("/pods", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(pods_json_, "application/json");
    });
    server_.Get(R"(/containerLogs/([^/]+)/([^/]+)/([^/]+))", [this](const httplib::Request& req,
                                                                    httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        log_paths_.push_back(req.path);
        log_params_.clear();
        for (const auto& [k, v] : req.params) log_params_[k] = v;
      }
      if (req.matches[1] == "default" && req.matches[2] == "web" && req.matches[3] == "app") {
        if (req.has_param("follow")) {
          res.set_chunked_content_provider("text/plain",
                                           [](size_t offset, httplib::DataSink& sink) {
                                             if (offset == 0) {
                                               sink.write("first\n", 6);
                                             } else if (offset == 6) {
                                               sink.write("second\n", 7);
                                             } else {
                                               sink.done();
                                             }
                                             return true;
                                           });
          return;
        }
        res.set_content("line 1\nline 2\n", "text/plain");
        return;
      }
      res.status = 404;
      res.set_content(absl::StrCat("container \"", std::string(req.matches[3]), "\" in pod \"",
                                   std::string(req.matches[2]), "\" not found\n"),
                      "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    url_ = absl::StrCat("http://127.0.0.1:", port_);
  }

  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  Result Cli(std::vector<std::string> args) {
    args.push_back("--server");
    args.push_back(url_);
    return RunCubelet(std::move(args), TestEnv());
  }

  std::vector<std::string> LogPaths() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_paths_;
  }
  std::map<std::string, std::string> LogParams() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_params_;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string url_;
  std::string pods_json_;
  std::mutex mu_;
  std::vector<std::string> log_paths_;
  std::map<std::string, std::string> log_params_;
};

TEST_F(CliServerTest, GetPodsTable) {
  Result r = Cli({"get", "pods"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   READY   STATUS             RESTARTS     AGE\n"
            "db-0   1/2     CrashLoopBackOff   5 (3m ago)   2d3h\n"
            "web    1/1     Running            0            5m\n");
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(CliServerTest, GetPodsAllNamespacesWide) {
  Result r = Cli({"get", "po", "-A", "-o", "wide"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "NAMESPACE     NAME      READY   STATUS             RESTARTS     AGE    IP          NODE\n"
      "default       db-0      1/2     CrashLoopBackOff   5 (3m ago)   2d3h   <none>      node-1\n"
      "default       web       1/1     Running            0            5m     10.88.0.4   node-1\n"
      "kube-system   coredns   0/1     Pending            0            3h     <none>      "
      "<none>\n");
}

TEST_F(CliServerTest, GetPodsOtherNamespace) {
  Result r = Cli({"get", "pods", "--namespace=kube-system"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME      READY   STATUS    RESTARTS   AGE\n"
            "coredns   0/1     Pending   0          3h\n");

  r = Cli({"get", "pods", "-n", "empty"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, "No resources found in empty namespace.\n");
}

TEST_F(CliServerTest, GetPodByName) {
  Result r = Cli({"get", "pod", "web"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   READY   STATUS    RESTARTS   AGE\n"
            "web    1/1     Running   0          5m\n");
  r = Cli({"get", "pod/web", "-o", "name"});
  EXPECT_EQ(r.out, "pod/web\n");
}

TEST_F(CliServerTest, GetUnknownPodIsNotFound) {
  Result r = Cli({"get", "pods", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, "Error from server (NotFound): pods \"nope\" not found\n");

  // Found ones still print.
  r = Cli({"get", "pods", "web", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("web "));
  EXPECT_EQ(r.err, "Error from server (NotFound): pods \"nope\" not found\n");
}

TEST_F(CliServerTest, GetJsonAndYaml) {
  Result r = Cli({"get", "pods", "web", "-o", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  nlohmann::json pod = nlohmann::json::parse(r.out);
  EXPECT_EQ(pod["kind"], "Pod");
  EXPECT_EQ(pod["metadata"]["name"], "web");
  EXPECT_EQ(pod["status"]["podIP"], "10.88.0.4");

  r = Cli({"get", "pods", "-o", "json"});
  nlohmann::json list = nlohmann::json::parse(r.out);
  EXPECT_EQ(list["kind"], "PodList");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "db-0");

  r = Cli({"get", "pods", "-oyaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kind: PodList\n"));
  EXPECT_THAT(r.out, HasSubstr("      name: web\n"));
  EXPECT_THAT(r.out, HasSubstr("creationTimestamp: \"2023-11-14T22:08:20Z\""));
}

TEST_F(CliServerTest, GetRejectsBadInput) {
  Result r = Cli({"get", "nodes"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: the server doesn't have a resource type \"nodes\"\n");
  r = Cli({"get", "pods", "-o", "xml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("output format \"xml\""));
  r = Cli({"get", "pods", "web", "-A"});
  EXPECT_EQ(r.code, 1);
  r = Cli({"get", "pods", "--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, StartsWith("error: unknown flag: --bogus\n"));
}

TEST_F(CliServerTest, DescribePod) {
  Result r = Cli({"describe", "pod", "web"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("Name:         web\n"
                                "Namespace:    default\n"
                                "Node:         node-1/192.168.1.10\n"
                                "Start Time:   Tue, 14 Nov 2023 22:08:20 +0000\n"
                                "Labels:       app=web\n"));
  EXPECT_THAT(r.out, HasSubstr("Containers:\n  app:\n    Container ID:   containerd://app\n"));
  EXPECT_THAT(r.out, HasSubstr("    State:          Running\n"));
  EXPECT_THAT(r.out, HasSubstr("Events:"));
}

TEST_F(CliServerTest, DescribeUnknownPod) {
  Result r = Cli({"describe", "pod", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, "Error from server (NotFound): pods \"nope\" not found\n");
}

TEST_F(CliServerTest, DescribeAllPodsInNamespace) {
  Result r = Cli({"describe", "pods"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("Name:         db-0\n"));
  EXPECT_THAT(r.out, HasSubstr("<none>\n\n\nName:         web\n"));
}

TEST_F(CliServerTest, LogsOfTheOnlyContainer) {
  Result r = Cli({"logs", "web"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "line 1\nline 2\n");
  EXPECT_THAT(LogPaths(), ::testing::ElementsAre("/containerLogs/default/web/app"));
  EXPECT_THAT(LogParams(), IsEmpty());
}

TEST_F(CliServerTest, LogsPassesOptions) {
  Result r = Cli({"logs", "web", "-c", "app", "--tail", "5", "-p", "--timestamps"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "line 1\nline 2\n");
  EXPECT_EQ(LogParams(), (std::map<std::string, std::string>{
                             {"tailLines", "5"}, {"previous", "true"}, {"timestamps", "true"}}));
}

TEST_F(CliServerTest, LogsFollowStreams) {
  Result r = Cli({"logs", "-f", "web", "app"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "first\nsecond\n");
  EXPECT_EQ(LogParams(), (std::map<std::string, std::string>{{"follow", "true"}}));
}

TEST_F(CliServerTest, LogsNeedsAContainerWhenThereAreSeveral) {
  Result r = Cli({"logs", "db-0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(
      r.err,
      "error: a container name must be specified for pod db-0, choose one of: [db metrics]\n");
  EXPECT_THAT(LogPaths(), IsEmpty());
}

TEST_F(CliServerTest, LogsPrintsServerErrors) {
  Result r = Cli({"logs", "web", "-c", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, "Error from server (NotFound): container \"nope\" in pod \"web\" not found\n");

  r = Cli({"logs", "ghost"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): pods \"ghost\" not found\n");
}

TEST_F(CliServerTest, ServerFromEnvironment) {
  Result r = RunCubelet({"get", "pods", "-n", "kube-system", "-o", "name"}, TestEnv(url_));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/coredns\n");
  // --server wins over the environment.
  r = RunCubelet({"get", "pods", "-s", url_, "-o", "name"}, TestEnv("http://127.0.0.1:1"));
  EXPECT_EQ(r.code, 0) << r.err;
}

// A port on 127.0.0.1 nothing listens on.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(CliTest, UnreachableServerNamesTheUrl) {
  std::string url = absl::StrCat("http://127.0.0.1:", ClosedPort());
  Result r = RunCubelet({"get", "pods", "--server", url}, TestEnv());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, StartsWith("error: cannot connect to the cubelet at " + url));
}

TEST(CliTest, BadServerUrl) {
  Result r = RunCubelet({"get", "pods", "--server", "ftp://x"}, TestEnv());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("invalid server URL \"ftp://x\""));
}

TEST(CliTest, IsCliCommand) {
  for (const char* c : {"get", "describe", "logs", "validate", "help"}) {
    EXPECT_TRUE(IsCliCommand(c)) << c;
  }
  for (const char* c : {"--pod-manifest-path=/etc", "-v", "--help", "", "version"}) {
    EXPECT_FALSE(IsCliCommand(c)) << c;
  }
}

TEST(CliTest, HelpAndUsageErrors) {
  Result r = RunCubelet({"help"}, TestEnv());
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("cubelet get pods"));
  EXPECT_THAT(r.out, HasSubstr("cubelet validate PATH"));

  r = RunCubelet({"--help"}, TestEnv());
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, Usage());

  r = RunCubelet({"logs", "--help"}, TestEnv());
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("--tail N"));

  r = RunCubelet({"frobnicate"}, TestEnv());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, StartsWith("error: unknown command \"frobnicate\" for \"cubelet\"\n"));
  EXPECT_THAT(r.err, HasSubstr("Usage:"));

  r = RunCubelet({"logs"}, TestEnv());
  EXPECT_EQ(r.code, 2);
  r = RunCubelet({"logs", "web", "-n"}, TestEnv());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("flag needs an argument"));
  r = RunCubelet({"logs", "web", "--tail", "many"}, TestEnv());
  EXPECT_EQ(r.code, 2);
  r = RunCubelet({"validate"}, TestEnv());
  EXPECT_EQ(r.code, 2);
}

TEST(CliTest, ValidateThroughRunCli) {
  std::string dir = ::testing::TempDir() + "/cubelet-cli-validate-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string file = dir + "/bad.yaml";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n",
             f);
  std::fclose(f);
  Result r = RunCubelet({"validate", dir}, TestEnv());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, file + ": document 1: pod \"x\": spec.containers[0].image: Required value\n");
  EXPECT_EQ(r.out, "FAIL " + file + " (0 valid pods, 1 error)\n");
  std::remove(file.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace cubelet::cli
