#include "client/curl_api_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "util/clock.h"
#include "util/testing/temp_dir.h"

namespace cubelet::client {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// httplib writes to sockets the client may have closed (a cancelled watch).
const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
              {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

std::string Event(const std::string& type, const std::string& name) {
  return json{{"type", type}, {"object", {{"metadata", {{"name", name}}}}}}.dump();
}

// What the server saw of one request.
struct Seen {
  std::string method, target, body;
  httplib::Headers headers;
  int remote_port = 0;
  std::string Header(const std::string& key) const {
    auto it = headers.find(key);
    return it == headers.end() ? "<none>" : it->second;
  }
  bool HasHeader(const std::string& key) const { return headers.count(key) > 0; }
};

// A local API server stand-in (plain HTTP or TLS) with fixed routes:
//   /ok               200 {"kind":"Thing","echo":<the request body or null>}
//   /empty            200, no body
//   /text             200 "hello"
//   /status/<code>/<reason>   <code> with a Status body (message "m-<code>")
//   /plain/<code>     <code> with a text body
//   /slow             answers after 1 s
//   /watch            a chunked stream of the events in `chunks`, then the end
//   /watch-hold       one event, then nothing until the client goes away
class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    server_->Put(".*", handler);
    server_->Patch(".*", handler);
    server_->Delete(".*", handler);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~TestServer() {
    stopping_ = true;
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  Seen last() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.empty() ? Seen{} : seen_.back();
  }
  std::vector<std::string> chunks;  // set before the watch starts
  std::atomic<bool> client_gone{false};

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(Seen{req.method, req.target, req.body, req.headers, req.remote_port});
    }
    const std::string& path = req.path;
    if (path == "/ok") {
      json echo = req.body.empty() ? json() : json::parse(req.body, nullptr, false);
      res.set_content(json{{"kind", "Thing"}, {"echo", echo}}.dump(), "application/json");
    } else if (path == "/empty") {
      res.status = 200;
    } else if (path == "/text") {
      res.set_content("hello", "text/plain");
    } else if (path.rfind("/status/", 0) == 0) {
      const std::string rest = path.substr(8);
      const int code = std::stoi(rest.substr(0, rest.find('/')));
      res.status = code;
      res.set_content(StatusBody(code, rest.substr(rest.find('/') + 1), absl::StrCat("m-", code)),
                      "application/json");
    } else if (path.rfind("/plain/", 0) == 0) {
      res.status = std::stoi(path.substr(7));
      res.set_content("upstream connect error", "text/plain");
    } else if (path == "/slow") {
      for (int i = 0; i < 100 && !stopping_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      res.set_content("{}", "application/json");
    } else if (path == "/watch") {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        for (const std::string& chunk : chunks) {
          if (!sink.write(chunk.data(), chunk.size())) return false;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // separate reads
        }
        sink.done();
        return true;
      });
    } else if (path == "/watch-hold") {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        const std::string first = Event("ADDED", "a") + "\n";
        if (!sink.write(first.data(), first.size())) return false;
        // Silent until the client is gone (a write fails) or the test ends.
        while (!stopping_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          if (!sink.is_writable()) break;
        }
        client_gone = true;
        return false;
      });
    } else {
      res.status = 404;
      res.set_content("404 page not found", "text/plain");
    }
  }

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

std::unique_ptr<CurlApiClient> MakeClient(RestConfig config, Clock* clock = RealClock::Get()) {
  absl::StatusOr<std::unique_ptr<CurlApiClient>> client =
      CurlApiClient::Create(std::move(config), clock);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

class CurlApiClientTest : public ::testing::Test {
 protected:
  CurlApiClientTest() : server_(std::make_unique<httplib::Server>()) {
    config_.server = absl::StrCat("http://127.0.0.1:", server_.port(), "/");
    config_.user_agent = "cubelet-test/1.0";
  }

  TestServer server_;
  RestConfig config_;
};

TEST_F(CurlApiClientTest, GetSendsTheHeadersAndDecodes) {
  config_.bearer_token = "sekret";
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/ok?a=b%3Dc"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["kind"], "Thing");
  EXPECT_TRUE((*got)["echo"].is_null());
  Seen seen = server_.last();
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/ok?a=b%3Dc");
  EXPECT_EQ(seen.Header("Accept"), "application/json");
  EXPECT_EQ(seen.Header("Authorization"), "Bearer sekret");
  EXPECT_EQ(seen.Header("User-Agent"), "cubelet-test/1.0");
  EXPECT_FALSE(seen.HasHeader("Content-Type"));
  EXPECT_EQ(seen.body, "");
}

TEST_F(CurlApiClientTest, NoAuthorizationWithoutAToken) {
  auto client = MakeClient(config_);
  ASSERT_TRUE(client->Call({.path = "/ok"}).ok());
  EXPECT_FALSE(server_.last().HasHeader("Authorization"));
}

TEST_F(CurlApiClientTest, BodiesAndContentTypes) {
  auto client = MakeClient(config_);
  const json body = {{"metadata", {{"name", "n1"}}}, {"text", "é ünïcode"}};
  struct Case {
    Request request;
    std::string method, content_type;
  };
  const Case cases[] = {
      {{.verb = Verb::kPost, .path = "/ok", .body = body}, "POST", "application/json"},
      {{.verb = Verb::kPut, .path = "/ok", .body = body}, "PUT", "application/json"},
      {{.verb = Verb::kPatch, .path = "/ok", .body = body},
       "PATCH",
       "application/strategic-merge-patch+json"},
      {{.verb = Verb::kPatch, .path = "/ok", .body = body, .patch_type = PatchType::kMerge},
       "PATCH",
       "application/merge-patch+json"},
      {{.verb = Verb::kPatch,
        .path = "/ok",
        .body = json::array({{{"op", "remove"}, {"path", "/a"}}}),
        .patch_type = PatchType::kJson},
       "PATCH",
       "application/json-patch+json"},
      {{.verb = Verb::kDelete, .path = "/ok", .body = {{"gracePeriodSeconds", 0}}},
       "DELETE",
       "application/json"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content_type + " " + c.method);
    absl::StatusOr<json> got = client->Call(c.request);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ((*got)["echo"], c.request.body);
    Seen seen = server_.last();
    EXPECT_EQ(seen.method, c.method);
    EXPECT_EQ(seen.Header("Content-Type"), c.content_type);
    EXPECT_EQ(json::parse(seen.body), c.request.body);
    EXPECT_FALSE(seen.HasHeader("Expect"));
  }
  // DELETE without options sends no body.
  ASSERT_TRUE(client->Call({.verb = Verb::kDelete, .path = "/ok"}).ok());
  EXPECT_EQ(server_.last().method, "DELETE");
  EXPECT_EQ(server_.last().body, "");
  EXPECT_FALSE(server_.last().HasHeader("Content-Type"));
  // A large body goes through without a 100-continue round trip.
  const json large = {{"data", std::string(3 << 20, 'x')}};
  absl::StatusOr<json> got = client->Call({.verb = Verb::kPut, .path = "/ok", .body = large});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["echo"], large);
}

TEST_F(CurlApiClientTest, EmptyAndNonJsonBodies) {
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/empty"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->is_null());
  got = client->Call({.path = "/text"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("not JSON: hello"));
}

TEST_F(CurlApiClientTest, HttpErrorsMapTheStatus) {
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/status/404/NotFound"});
  EXPECT_TRUE(client::IsNotFound(got.status()));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "m-404");

  got = client->Call(
      {.verb = Verb::kPost, .path = "/status/409/AlreadyExists", .body = json::object()});
  EXPECT_TRUE(client::IsAlreadyExists(got.status()));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kAlreadyExists);

  got = client->Call({.verb = Verb::kPut, .path = "/status/409/Conflict", .body = json::object()});
  EXPECT_TRUE(client::IsConflict(got.status()));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kAborted);

  got = client->Call({.path = "/status/410/Expired"});
  EXPECT_TRUE(client::IsGone(got.status()));
  EXPECT_EQ(ReasonOf(got.status()), "Expired");

  got = client->Call({.path = "/status/500/InternalError"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(HttpCodeOf(got.status()), 500);

  got = client->Call({.path = "/plain/503"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(got.status().message(), "upstream connect error");
  EXPECT_EQ(ReasonOf(got.status()), "ServiceUnavailable");

  got = client->Call({.path = "/nothing-here"});
  EXPECT_TRUE(client::IsNotFound(got.status()));
  EXPECT_EQ(got.status().message(), "404 page not found");
}

TEST_F(CurlApiClientTest, TimeoutIsUnavailable) {
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/slow", .timeout = absl::Milliseconds(100)});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("GET http://127.0.0.1:"));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("/slow: "));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("imed out"));
  EXPECT_EQ(HttpCodeOf(got.status()), 0);
}

TEST_F(CurlApiClientTest, ConnectionsAreReused) {
  auto client = MakeClient(config_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->Call({.path = "/ok"}).ok());
  std::vector<Seen> seen = server_.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].remote_port, seen[1].remote_port);
  EXPECT_EQ(seen[1].remote_port, seen[2].remote_port);
}

TEST_F(CurlApiClientTest, ConcurrentCalls) {
  auto client = MakeClient(config_);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (client->Call({.verb = Verb::kPost, .path = "/ok", .body = {{"i", i}}}).ok()) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 60);
}

TEST_F(CurlApiClientTest, EveryCallTakesARateLimitToken) {
  FakeClock clock;
  config_.qps = 1;
  config_.burst = 2;
  auto client = MakeClient(config_, &clock);
  ASSERT_TRUE(client->Call({.path = "/ok"}).ok());
  ASSERT_TRUE(client->Call({.path = "/ok"}).ok());
  std::atomic<bool> done{false};
  std::thread third([&] {
    EXPECT_TRUE(client->Call({.path = "/ok"}).ok());
    done = true;
  });
  clock.AwaitWaiters(1);
  EXPECT_FALSE(done);
  EXPECT_EQ(server_.seen().size(), 2u);
  clock.Advance(absl::Seconds(1));
  third.join();
  EXPECT_EQ(server_.seen().size(), 3u);
}

TEST_F(CurlApiClientTest, WatchStreamsEventsLineByLine) {
  const std::string e1 = Event("ADDED", "a"), e2 = Event("MODIFIED", "b"),
                    e3 = Event("DELETED", "c");
  server_.chunks = {e1 + "\n" + e2.substr(0, 10), e2.substr(10) + "\n\n",
                    e3};  // the last line has no newline
  auto client = MakeClient(config_);
  std::vector<std::string> seen;
  absl::Status status = client->Watch(
      {.path = "/watch?watch=true"},
      [&](const WatchEvent& e) {
        seen.push_back(e.type + " " + e.object["metadata"]["name"].get<std::string>());
      },
      CancelToken::Create());
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(seen, ::testing::ElementsAre("ADDED a", "MODIFIED b", "DELETED c"));
  EXPECT_EQ(server_.last().Header("Accept"), "application/json");
}

TEST_F(CurlApiClientTest, WatchMalformedLineIsAnError) {
  server_.chunks = {Event("ADDED", "a") + "\n", "{not json\n", Event("ADDED", "b") + "\n"};
  auto client = MakeClient(config_);
  int events = 0;
  absl::Status status = client->Watch(
      {.path = "/watch"}, [&](const WatchEvent&) { ++events; }, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("malformed watch event: {not json"));
  EXPECT_EQ(events, 1);
}

TEST_F(CurlApiClientTest, WatchHttpErrorIsTheStatus) {
  auto client = MakeClient(config_);
  int events = 0;
  absl::Status status = client->Watch(
      {.path = "/status/410/Expired?watch=true"}, [&](const WatchEvent&) { ++events; }, nullptr);
  EXPECT_TRUE(client::IsGone(status)) << status;
  EXPECT_EQ(status.message(), "m-410");
  EXPECT_EQ(events, 0);
  status = client->Watch(
      {.path = "/status/403/Forbidden?watch=true"}, [&](const WatchEvent&) { ++events; }, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(CurlApiClientTest, WatchCancellationIsPrompt) {
  auto client = MakeClient(config_);
  CancelTokenPtr cancel = CancelToken::Create();
  std::atomic<bool> first{false};
  absl::Status status;
  std::thread watcher([&] {
    status = client->Watch(
        {.path = "/watch-hold?watch=true"}, [&](const WatchEvent&) { first = true; }, cancel);
  });
  for (int i = 0; i < 500 && !first; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(first);
  // Let the transfer settle into its poll, so the wake-up is what ends it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  cancel->Cancel();
  watcher.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));  // the poll alone waits 1 s

  // A cancelled token: no request at all.
  const size_t before = server_.seen().size();
  EXPECT_EQ(client
                ->Watch(
                    {.path = "/watch"}, [](const WatchEvent&) {}, cancel)
                .code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(server_.seen().size(), before);
  // The client still works afterwards.
  EXPECT_TRUE(client->Call({.path = "/ok"}).ok());
}

TEST_F(CurlApiClientTest, OnEventExceptionsDoNotEscape) {
  server_.chunks = {Event("ADDED", "a") + "\n"};
  auto client = MakeClient(config_);
  absl::Status status = client->Watch(
      {.path = "/watch"}, [](const WatchEvent&) { throw std::runtime_error("handler bug"); },
      nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("handler bug"));
}

// A port nothing listens on.
int FreePort() {
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

TEST(CurlApiClientStandaloneTest, ConnectionRefusedIsUnavailable) {
  RestConfig config;
  config.server = absl::StrCat("http://127.0.0.1:", FreePort());
  auto client = MakeClient(config);
  absl::StatusOr<json> got = client->Call({.path = "/api/v1/nodes/n1"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr(absl::StrCat("GET ", config.server, "/api/v1/nodes/n1: ")));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("onnect"));
  EXPECT_EQ(HttpCodeOf(got.status()), 0);
  absl::Status watched = client->Watch(
      {.path = "/api/v1/pods?watch=true"}, [](const WatchEvent&) {}, nullptr);
  EXPECT_EQ(watched.code(), absl::StatusCode::kUnavailable);
}

TEST(CurlApiClientStandaloneTest, CreateChecksTheConfig) {
  RestConfig config;
  config.server = "ftp://x";
  EXPECT_EQ(CurlApiClient::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.server = "";
  EXPECT_EQ(CurlApiClient::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.server = "https://x";
  config.client_cert_pem = "cert";
  EXPECT_EQ(CurlApiClient::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.client_key_pem = "key";
  EXPECT_TRUE(CurlApiClient::Create(config).ok());
  config.ca_pem = "ca";
  config.insecure_skip_tls_verify = true;
  EXPECT_EQ(CurlApiClient::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CurlApiClientStandaloneTest, PathMustBeAbsolute) {
  RestConfig config;
  config.server = absl::StrCat("http://127.0.0.1:", FreePort());
  auto client = MakeClient(config);
  EXPECT_EQ(client->Call({.path = "api/v1"}).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- TLS: a CA, a server certificate for 127.0.0.1, and a client
// certificate, made with openssl at test time. ---

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class CurlApiClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_support::ScopedTempDir("cubelet-curl-tls");
    const std::string d = dir_->path();
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script = absl::StrCat(
        "set -e; cd ", d, "\n", "for ca in ca other-ca; do openssl req -x509 ", ec,
        " -keyout $ca.key -out $ca.crt ",
        "-subj /CN=$ca -days 2 -addext basicConstraints=critical,CA:TRUE ",
        "-addext keyUsage=critical,keyCertSign,cRLSign; done\n",
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > "
        "server.ext\n",
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n", "openssl req ", ec,
        " -keyout server.key -out server.csr -subj /CN=127.0.0.1\n",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial ",
        "-out server.crt -days 2 -extfile server.ext\n", "openssl req ", ec,
        " -keyout client.key -out client.csr ", "-subj /O=system:nodes/CN=system:node:n1\n",
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial ",
        "-out client.crt -days 2 -extfile client.ext\n");
    std::ofstream(d + "/make.sh") << script;
    openssl_ok_ =
        std::system(absl::StrCat("sh ", d, "/make.sh >", d, "/make.log 2>&1").c_str()) == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(openssl_ok_) << ReadFile(dir_->File("make.log"));
    auto ssl = std::make_unique<httplib::SSLServer>(dir_->File("server.crt").c_str(),
                                                    dir_->File("server.key").c_str(),
                                                    dir_->File("ca.crt").c_str());
    ASSERT_TRUE(ssl->is_valid());
    server_ = std::make_unique<TestServer>(std::move(ssl));
    config_.server = absl::StrCat("https://127.0.0.1:", server_->port());
    config_.ca_pem = ReadFile(dir_->File("ca.crt"));
    config_.client_cert_pem = ReadFile(dir_->File("client.crt"));
    config_.client_key_pem = ReadFile(dir_->File("client.key"));
  }

  static test_support::ScopedTempDir* dir_;
  static bool openssl_ok_;
  std::unique_ptr<TestServer> server_;
  RestConfig config_;
};

test_support::ScopedTempDir* CurlApiClientTlsTest::dir_ = nullptr;
bool CurlApiClientTlsTest::openssl_ok_ = false;

TEST_F(CurlApiClientTlsTest, ClientCertificateAndCaFromMemory) {
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.verb = Verb::kPost, .path = "/ok", .body = {{"x", 1}}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)["echo"], json({{"x", 1}}));
  // And a second call on the same TLS connection.
  ASSERT_TRUE(client->Call({.path = "/ok"}).ok());
  std::vector<Seen> seen = server_->seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].remote_port, seen[1].remote_port);
}

TEST_F(CurlApiClientTlsTest, WatchOverTls) {
  server_->chunks = {Event("ADDED", "a") + "\n" + Event("DELETED", "a") + "\n"};
  auto client = MakeClient(config_);
  int events = 0;
  absl::Status status = client->Watch(
      {.path = "/watch?watch=true"}, [&](const WatchEvent&) { ++events; }, nullptr);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(events, 2);
}

TEST_F(CurlApiClientTlsTest, ServerRefusesAClientWithoutCertificate) {
  config_.client_cert_pem.clear();
  config_.client_key_pem.clear();
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/ok"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  EXPECT_TRUE(server_->seen().empty());
}

TEST_F(CurlApiClientTlsTest, WrongCaIsRefused) {
  config_.ca_pem = ReadFile(dir_->File("other-ca.crt"));
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/ok"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("certificate"));
  EXPECT_TRUE(server_->seen().empty());
}

TEST_F(CurlApiClientTlsTest, NoCaMeansTheSystemStoreWhichDoesNotKnowTheTestCa) {
  config_.ca_pem.clear();
  auto client = MakeClient(config_);
  EXPECT_EQ(client->Call({.path = "/ok"}).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CurlApiClientTlsTest, InsecureSkipsVerification) {
  config_.ca_pem.clear();
  config_.insecure_skip_tls_verify = true;
  auto client = MakeClient(config_);
  absl::StatusOr<json> got = client->Call({.path = "/ok"});
  EXPECT_TRUE(got.ok()) << got.status();
}

}  // namespace
}  // namespace cubelet::client
