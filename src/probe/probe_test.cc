#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "probe/grpc.h"
#include "probe/http.h"
#include "probe/tcp.h"
#include "runtime/v1/api.grpc.pb.h"

namespace cubelet::probe {
namespace {

using ::testing::HasSubstr;

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class HttpProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/ok", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("User-Agent") + "|" + req.get_header_value("X-Probe"),
                      "text/plain");
    });
    server_.Get("/fail", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    server_.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("http://elsewhere.invalid/");
    });
    server_.Get("/to-fail",
                [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/fail"); });
    server_.Get("/to-ok", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(absl::StrCat("http://127.0.0.1:", port_, "/ok"));
    });
    server_.Get("/loop",
                [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  HttpTarget Target(const std::string& path) {
    return HttpTarget{.host = "127.0.0.1", .port = port_, .path = path};
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpProbeTest, SuccessSendsProbeUserAgentAndHeaders) {
  HttpTarget t = Target("/ok");
  t.headers = {{"X-Probe", "yes"}};
  Outcome o = HttpGet(t, absl::Seconds(2));
  EXPECT_EQ(o.result, Result::kSuccess);
  EXPECT_EQ(o.output, std::string(kProbeUserAgent) + "|yes");
}

TEST_F(HttpProbeTest, ProbeHeaderReplacesDefaultUserAgent) {
  HttpTarget t = Target("/ok");
  t.headers = {{"user-agent", "mine"}};
  EXPECT_EQ(HttpGet(t, absl::Seconds(2)).output, "mine|");
}

TEST_F(HttpProbeTest, ServerErrorFails) {
  Outcome o = HttpGet(Target("/fail"), absl::Seconds(2));
  EXPECT_EQ(o.result, Result::kFailure);
  EXPECT_THAT(o.output, HasSubstr("statuscode: 503"));
}

// As the kubelet's prober: a redirect to another host is not followed and
// passes with a warning; one to the same host is followed (so a redirect to a
// failing path fails), at most 10 times.
TEST_F(HttpProbeTest, RedirectsAreFollowedOnTheSameHostOnly) {
  Outcome elsewhere = HttpGet(Target("/moved"), absl::Seconds(2));
  EXPECT_EQ(elsewhere.result, Result::kWarning);
  EXPECT_TRUE(elsewhere.ok());
  EXPECT_THAT(elsewhere.output, ::testing::StartsWith("Probe terminated redirects"));
  Outcome local_fail = HttpGet(Target("/to-fail"), absl::Seconds(2));
  EXPECT_EQ(local_fail.result, Result::kFailure);
  EXPECT_EQ(local_fail.output, "HTTP probe failed with statuscode: 503");
  EXPECT_EQ(HttpGet(Target("/to-ok"), absl::Seconds(2)).result, Result::kSuccess);
  Outcome loop = HttpGet(Target("/loop"), absl::Seconds(2));
  EXPECT_EQ(loop.result, Result::kFailure);
  EXPECT_THAT(loop.output, ::testing::HasSubstr("stopped after 10 redirects"));
}

TEST_F(HttpProbeTest, SlowAnswerTimesOut) {
  EXPECT_EQ(HttpGet(Target("/slow"), absl::Milliseconds(200)).result, Result::kFailure);
}

TEST(HttpProbe, ClosedPortFailsAndUnknownSchemeIsUnknown) {
  Outcome o = HttpGet({.host = "127.0.0.1", .port = ClosedPort()}, absl::Seconds(1));
  EXPECT_EQ(o.result, Result::kFailure);
  EXPECT_THAT(o.output, HasSubstr("Get \"http://127.0.0.1:"));
  o = HttpGet({.scheme = "HTTPS", .host = "127.0.0.1", .port = ClosedPort()}, absl::Seconds(1));
  EXPECT_EQ(o.result, Result::kFailure);
  EXPECT_THAT(o.output, HasSubstr("Get \"https://127.0.0.1:"));
  EXPECT_EQ(HttpGet({.scheme = "FTP", .host = "127.0.0.1", .port = 21}, absl::Seconds(1)).result,
            Result::kUnknown);
}

// The kubelet probes HTTPS without verifying the certificate: a server with
// a self-signed one passes.
TEST(HttpProbe, HttpsWithASelfSignedCertificateSucceeds) {
  char dir_template[] = "/tmp/cubelet-probe-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=probe "
      "-keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl is needed to make a test certificate";
  httplib::SSLServer server(cert.c_str(), key.c_str());
  ASSERT_TRUE(server.is_valid());
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("tls ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  Outcome o = HttpGet({.scheme = "HTTPS", .host = "127.0.0.1", .port = port, .path = "/healthz"},
                      absl::Seconds(5));
  server.stop();
  thread.join();
  std::system(("rm -rf " + dir).c_str());
  EXPECT_EQ(o.result, Result::kSuccess) << o.output;
  EXPECT_EQ(o.output, "tls ok");
}

TEST(TcpProbe, ListeningPortSucceedsClosedPortFails) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  EXPECT_EQ(TcpConnect("127.0.0.1", ntohs(addr.sin_port), absl::Seconds(1)).result,
            Result::kSuccess);
  ::close(fd);
  Outcome closed = TcpConnect("127.0.0.1", ClosedPort(), absl::Seconds(1));
  EXPECT_EQ(closed.result, Result::kFailure);
  EXPECT_THAT(closed.output, HasSubstr("dial tcp 127.0.0.1:"));
  EXPECT_EQ(TcpConnect("127.0.0.1", 0, absl::Seconds(1)).result, Result::kUnknown);
}

TEST(GrpcProbe, HealthServiceVerdicts) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // A server needs one synchronous service to serve the built-in health one;
  // any will do.
  runtime::v1::ImageService::Service unrelated;
  builder.RegisterService(&unrelated);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  server->GetHealthCheckService()->SetServingStatus("up", true);
  server->GetHealthCheckService()->SetServingStatus("down", false);

  EXPECT_EQ(GrpcHealthCheck("127.0.0.1", port, "", absl::Seconds(2)).result, Result::kSuccess);
  EXPECT_EQ(GrpcHealthCheck("127.0.0.1", port, "up", absl::Seconds(2)).result, Result::kSuccess);
  Outcome down = GrpcHealthCheck("127.0.0.1", port, "down", absl::Seconds(2));
  EXPECT_EQ(down.result, Result::kFailure);
  EXPECT_THAT(down.output, HasSubstr("NOT_SERVING"));
  // An unknown service is an RPC error (NOT_FOUND), so a failure.
  EXPECT_EQ(GrpcHealthCheck("127.0.0.1", port, "other", absl::Seconds(2)).result, Result::kFailure);
  server->Shutdown();
  EXPECT_EQ(GrpcHealthCheck("127.0.0.1", ClosedPort(), "", absl::Seconds(1)).result,
            Result::kFailure);
}

}  // namespace
}  // namespace cubelet::probe
