#include "config/http_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "config/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Names;
using testing::PodYaml;
using testing::Recorder;

// A one-thread HTTP server on 127.0.0.1 that answers every request with the
// current canned response (or, when `silent`, never answers).
class TestServer {
 public:
  TestServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_fd_);
  }

  std::string Url(const std::string& path = "/manifests") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void Respond(const std::string& raw) {
    std::lock_guard<std::mutex> lock(mu_);
    response_ = raw;
  }
  void RespondOk(const std::string& body) {
    Respond("HTTP/1.1 200 OK\r\nContent-Type: application/yaml\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  }
  void set_silent(bool s) { silent_ = s; }
  std::string last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_request_;
  }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    std::vector<int> held;  // connections a silent server keeps open
    while (true) {
      pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[0].revents) break;
      int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string resp;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_request_ = req;
        resp = response_;
      }
      ++requests_;
      if (silent_) {
        held.push_back(conn);
        continue;
      }
      size_t sent = 0;
      while (sent < resp.size()) {
        ssize_t n = ::send(conn, resp.data() + sent, resp.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::close(conn);
    }
    for (int fd : held) ::close(fd);
  }

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> silent_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::string response_;
  std::string last_request_;
  std::thread thread_;
};

HttpSourceOptions Options(const std::string& url) {
  HttpSourceOptions o;
  o.url = url;
  o.node_name = "node1";
  o.period = std::chrono::milliseconds(50);
  o.timeout = std::chrono::seconds(5);
  return o;
}

TEST(HttpGetTest, ContentLengthBodyAndRequestShape) {
  TestServer server;
  server.RespondOk("hello");
  auto resp = HttpGet(server.Url("/a/b?x=1"), std::chrono::seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status_code, 200);
  EXPECT_EQ(resp->reason, "OK");
  EXPECT_EQ(resp->body, "hello");
  EXPECT_TRUE(server.last_request().starts_with("GET /a/b?x=1 HTTP/1.1\r\n"))
      << server.last_request();
  EXPECT_THAT(server.last_request(), HasSubstr("\r\nHost: 127.0.0.1:"));
}

TEST(HttpGetTest, ChunkedAndReadToEof) {
  TestServer server;
  server.Respond(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n"
      "0\r\n\r\n");
  auto resp = HttpGet(server.Url(), std::chrono::seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "hello, world");

  server.Respond("HTTP/1.0 200 OK\r\n\r\nuntil eof");
  resp = HttpGet(server.Url(), std::chrono::seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "until eof");
}

TEST(HttpGetTest, Errors) {
  EXPECT_EQ(HttpGet("https://example.com/", std::chrono::seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpGet("http://:80/", std::chrono::seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpGet("http://h:99999/", std::chrono::seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);

  // A port nobody listens on: bind one, then close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  auto refused = HttpGet(url, std::chrono::seconds(5));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("Connection refused"));

  TestServer silent;
  silent.set_silent(true);
  auto timed_out = HttpGet(silent.Url(), std::chrono::milliseconds(200));
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(timed_out.status().message(), "GET " + silent.Url() + ": timed out after 200ms");
}

TEST(HttpSourceTest, FetchOnceMultiDocAndDefaults) {
  TestServer server;
  server.RespondOk(PodYaml("one") + "---\n" + PodYaml("bad", "") + "---\n" + PodYaml("two"));
  Recorder rec;
  HttpSource source(Options(server.Url()), rec.UpdateFn(), rec.ErrorFn());
  auto pods = source.FetchOnce();
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_THAT(Names(*pods), ElementsAre("one-node1", "two-node1"));
  EXPECT_THAT(rec.errors(),
              ElementsAre(server.Url() + ": document 2: pod \"bad\": spec.containers[0].image: "
                                         "Required value"));
  const api::Pod& one = *(*pods)[0];
  EXPECT_EQ(one.metadata.annotations.at(api::kConfigSourceAnnotation), "http");
  EXPECT_EQ(one.metadata.annotations.at(api::kConfigHashAnnotation), one.metadata.uid);
  EXPECT_EQ(one.metadata.namespace_, "default");
  // Same body, same UID.
  EXPECT_EQ((*source.FetchOnce())[0]->metadata.uid, one.metadata.uid);
}

TEST(HttpSourceTest, PodListBody) {
  TestServer server;
  server.RespondOk(
      R"({"kind":"PodList","apiVersion":"v1","items":[)"
      R"({"metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"busybox"}]}},)"
      R"({"metadata":{"name":"b"},"spec":{"containers":[{"name":"c"}]}}]})");
  Recorder rec;
  HttpSource source(Options(server.Url()), nullptr, rec.ErrorFn());
  auto pods = source.FetchOnce();
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_THAT(Names(*pods), ElementsAre("a-node1"));
  EXPECT_THAT(rec.errors(), ElementsAre(server.Url() + " items[1]: document 1: pod \"b\": "
                                                       "spec.containers[0].image: Required value"));
}

TEST(HttpSourceTest, FetchOnceServerError) {
  TestServer server;
  server.Respond("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
  HttpSource source(Options(server.Url()), nullptr, nullptr);
  auto pods = source.FetchOnce();
  EXPECT_EQ(pods.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pods.status().message(), server.Url() + ": 500 Internal Server Error");
}

TEST(HttpSourceTest, PollingKeepsLastGoodSnapshotOnErrors) {
  TestServer server;
  server.RespondOk(PodYaml("one") + "---\n" + PodYaml("two"));
  Recorder rec;
  HttpSource source(Options(server.Url()), rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  auto names_are = [](std::vector<std::string> names) {
    return [names](const PodUpdate& u) {
      return u.op == PodOperation::kSet && u.source == "http" && Names(u.pods) == names;
    };
  };
  ASSERT_TRUE(rec.WaitForUpdate(names_are({"one-node1", "two-node1"})));

  server.Respond("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(rec.WaitForError(
      [&](const std::string& e) { return e == server.Url() + ": 500 Internal Server Error"; }));
  size_t updates_during_error = rec.updates().size();

  server.RespondOk(PodYaml("two"));
  ASSERT_TRUE(rec.WaitForUpdate(names_are({"two-node1"})));
  source.Stop();

  std::vector<PodUpdate> all = rec.updates();
  EXPECT_EQ(updates_during_error, 1u);  // the error emitted nothing
  EXPECT_EQ(all.size(), 2u);            // unchanged polls emit nothing either
  EXPECT_GE(server.requests(), 3);
}

TEST(HttpSourceTest, ConnectionRefusedReportsAndEmitsNothing) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  Recorder rec;
  HttpSource source(Options(url), rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForError(
      [](const std::string& e) { return e.find("Connection refused") != e.npos; }));
  source.Stop();
  EXPECT_TRUE(rec.updates().empty());
}

TEST(HttpSourceTest, EmptyBodyEmitsEmptySnapshot) {
  TestServer server;
  server.RespondOk("");
  Recorder rec;
  HttpSource source(Options(server.Url()), rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate(
      [](const PodUpdate& u) { return u.op == PodOperation::kSet && u.pods.empty(); }));
  ASSERT_TRUE(rec.WaitForError(
      [&](const std::string& e) { return e == "zero-length data received from " + server.Url(); }));
  source.Stop();
}

}  // namespace
}  // namespace cubelet::config
