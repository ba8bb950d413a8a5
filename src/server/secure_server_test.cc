#include "server/secure_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/fake_agent_view.h"
#include "server/fake_streaming_host.h"

namespace cubelet::server {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class MapTokens final : public TokenAuthenticator {
 public:
  absl::StatusOr<std::optional<UserInfo>> AuthenticateToken(const std::string& token) override {
    if (token == "broken") return absl::UnavailableError("apiserver down");
    auto it = users.find(token);
    if (it == users.end()) return std::optional<UserInfo>();
    return std::optional<UserInfo>(it->second);
  }
  std::map<std::string, UserInfo> users;
};

// Allows what `allowed` lists as "user subresource"; records every question.
class ListAuthorizer final : public Authorizer {
 public:
  absl::StatusOr<bool> Authorize(const RequestAttributes& a) override {
    std::lock_guard<std::mutex> l(mu);
    asked.push_back(a);
    return allow_all || allowed.contains(a.user.name + " " + a.subresource);
  }
  std::mutex mu;
  bool allow_all = false;
  std::set<std::string> allowed;
  std::vector<RequestAttributes> asked;
};

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A TLS client connection (no server verification: the certificate is
// self-signed), optionally presenting a client certificate.
class TlsClient {
 public:
  TlsClient(int port, const std::string& cert = "", const std::string& key = "") {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!cert.empty()) {
      SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = Connect(port);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    ok_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }
  bool Write(std::string_view data) {
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }
  // Reads until `want` bytes arrived or the connection ends.
  std::string Read(size_t want = SIZE_MAX) {
    std::string out;
    char buf[4096];
    while (out.size() < want) {
      int n =
          SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(sizeof(buf), want - out.size())));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Reads a response head (through the blank line).
  std::string ReadHead() {
    std::string out;
    while (out.find("\r\n\r\n") == std::string::npos) {
      std::string c = Read(1);
      if (c.empty()) break;
      out += c;
    }
    return out;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool ok_ = false;
};

// A runtime streaming server stand-in: records the request head it gets,
// answers 101 and echoes every byte back until the client closes.
class EchoBackend {
 public:
  EchoBackend() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoBackend() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  std::string head() {
    std::lock_guard<std::mutex> l(mu_);
    return head_;
  }

 private:
  void Serve() {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    size_t end = got.find("\r\n\r\n");
    {
      std::lock_guard<std::mutex> l(mu_);
      head_ = got.substr(0, end);
    }
    std::string reply =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n";
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    std::string rest = end == std::string::npos ? "" : got.substr(end + 4);
    if (!rest.empty()) ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      ::send(fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string head_;
};

api::Pod MakePod() {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-1";
  api::Container c;
  c.name = "app";
  c.image = "busybox";
  pod.spec.containers.push_back(c);
  return pod;
}

class SecureServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("cubelet-secure-test-", getpid(), "-", counter_++);
    std::filesystem::create_directories(dir_);
    view_.AddPod(MakePod());
    tokens_.users["good"] = UserInfo{.name = "alice", .groups = {"dev"}};
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start(bool anonymous, const std::string& client_ca = "", bool token_webhook = true) {
    SecureServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.tls.cert_dir = (dir_ / "pki").string();
    o.tls.hostnames = {"node-1", "127.0.0.1"};
    o.tls.client_ca_file = client_ca;
    o.anonymous = anonymous;
    o.tokens = token_webhook ? &tokens_ : nullptr;
    o.authorizer = &authz_;
    o.node_name = "node-1";
    o.plain.configz = R"({"kubeletconfig":{"staticPodPath":"/etc/kubernetes/manifests"}})";
    server_ = std::make_unique<SecureServer>(&view_, &host_, o);
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }

  // One request on a fresh connection; the whole response.
  std::string Get(const std::string& target, const std::string& headers = "",
                  const std::string& method = "GET") {
    TlsClient c(server_->port());
    EXPECT_TRUE(c.ok());
    c.Write(absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: node-1\r\n", headers, "\r\n"));
    return c.Read();
  }

  // Makes a CA, and a client certificate it signs for CN=bob, O=ops.
  std::string MakeClientCa() {
    std::string d = dir_.string();
    std::string cmd = absl::StrCat(
        "cd ", d,
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1"
        " -subj /CN=test-ca 2>/dev/null"
        " && openssl req -newkey rsa:2048 -nodes -keyout bob.key -out bob.csr"
        " -subj /O=ops/CN=bob 2>/dev/null"
        " && openssl x509 -req -in bob.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        " -out bob.crt -days 1 2>/dev/null"
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout eve.key -out eve.crt -days 1"
        " -subj /CN=eve 2>/dev/null");
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return d + "/ca.crt";
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  FakeAgentView view_;
  FakeStreamingHost host_;
  MapTokens tokens_;
  ListAuthorizer authz_;
  std::unique_ptr<SecureServer> server_;
};

TEST_F(SecureServerTest, RequestsWithoutCredentialsAre401UnlessAnonymousIsAllowed) {
  Start(/*anonymous=*/false);
  EXPECT_THAT(Get("/pods"), StartsWith("HTTP/1.1 401 Unauthorized"));
  EXPECT_THAT(Get("/pods", "Authorization: Bearer wrong\r\n"), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Get("/pods", "Authorization: Bearer broken\r\n"), StartsWith("HTTP/1.1 401"));
  EXPECT_TRUE(authz_.asked.empty());
}

TEST_F(SecureServerTest, AnonymousRequestsAreAuthorizedAsSystemAnonymous) {
  Start(/*anonymous=*/true);
  authz_.allowed.insert("system:anonymous pods");
  std::string pods = Get("/pods");
  EXPECT_THAT(pods, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(pods, HasSubstr(R"("name":"web")"));
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].user.name, "system:anonymous");
  EXPECT_THAT(authz_.asked[0].user.groups, ElementsAre("system:unauthenticated"));
  EXPECT_EQ(authz_.asked[0].verb, "get");
  EXPECT_EQ(authz_.asked[0].node_name, "node-1");
  // A token that does not check out is refused, not taken as anonymous.
  EXPECT_THAT(Get("/pods", "Authorization: Bearer wrong\r\n"), StartsWith("HTTP/1.1 401"));
}

// Standalone (no API server, so no TokenReview): a bearer token proves
// nothing and is ignored, as upstream's authenticator union without a token
// authenticator; the request is anonymous, if that is allowed.
TEST_F(SecureServerTest, WithoutATokenAuthenticatorABearerTokenIsIgnored) {
  Start(/*anonymous=*/true, /*client_ca=*/"", /*token_webhook=*/false);
  authz_.allowed.insert("system:anonymous pods");
  EXPECT_THAT(Get("/pods", "Authorization: Bearer anything\r\n"), StartsWith("HTTP/1.1 200 OK"));
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].user.name, "system:anonymous");

  server_.reset();
  Start(/*anonymous=*/false, /*client_ca=*/"", /*token_webhook=*/false);
  EXPECT_THAT(Get("/pods", "Authorization: Bearer anything\r\n"), StartsWith("HTTP/1.1 401"));
}

TEST_F(SecureServerTest, ForbiddenNamesTheUserAndEverySubresourceTried) {
  Start(/*anonymous=*/false);
  std::string r = Get("/pods", "Authorization: Bearer good\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 403 Forbidden"));
  EXPECT_THAT(r, HasSubstr("Forbidden (user=alice, verb=get, resource=nodes, "
                           "subresource(s)=[pods proxy])\n"));
  ASSERT_EQ(authz_.asked.size(), 2u);
  EXPECT_THAT(authz_.asked[0].user.groups, ElementsAre("dev", "system:authenticated"));
  // The coarse "proxy" permission is enough for the fine-grained paths.
  authz_.allowed.insert("alice proxy");
  EXPECT_THAT(Get("/configz", "Authorization: Bearer good\r\n"),
              HasSubstr(R"({"kubeletconfig":{"staticPodPath":"/etc/kubernetes/manifests"}})"));
  EXPECT_THAT(Get("/stats/summary", "Authorization: Bearer good\r\n"), StartsWith("HTTP/1.1 403"));
}

TEST_F(SecureServerTest, ClientCertificatesNameTheUserAndUnknownCasFailTheHandshake) {
  std::string ca = MakeClientCa();
  Start(/*anonymous=*/false, ca);
  authz_.allow_all = true;
  {
    TlsClient c(server_->port(), (dir_ / "bob.crt").string(), (dir_ / "bob.key").string());
    ASSERT_TRUE(c.ok());
    c.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_THAT(c.Read(), StartsWith("HTTP/1.1 200 OK"));
  }
  ASSERT_FALSE(authz_.asked.empty());
  EXPECT_EQ(authz_.asked[0].user.name, "bob");
  EXPECT_THAT(authz_.asked[0].user.groups, ElementsAre("ops", "system:authenticated"));
  // A certificate from another CA does not get in.
  TlsClient eve(server_->port(), (dir_ / "eve.crt").string(), (dir_ / "eve.key").string());
  if (eve.ok()) {  // TLS 1.3 reports the refusal on the first read
    eve.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(eve.Read(), "");
  }
  // No certificate at all: a token still works.
  EXPECT_THAT(Get("/healthz", "Authorization: Bearer good\r\n"), StartsWith("HTTP/1.1 200"));
}

TEST_F(SecureServerTest, ExecRelaysTheUpgradeAndThenEveryByteToTheRuntime) {
  EchoBackend backend;
  host_.SetUrl(absl::StrCat("http://127.0.0.1:", backend.port(), "/exec/Tok3n"));
  Start(/*anonymous=*/false);
  authz_.allow_all = true;
  TlsClient c(server_->port());
  ASSERT_TRUE(c.ok());
  c.Write(
      "POST /exec/default/web/app?command=sh&command=-c&command=echo%20hi&input=1&output=1"
      "&error=1&tty=1 HTTP/1.1\r\nHost: node-1:10250\r\nAuthorization: Bearer good\r\n"
      "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: "
      "v4.channel.k8s.io\r\n\r\n");
  EXPECT_THAT(c.ReadHead(), StartsWith("HTTP/1.1 101 Switching Protocols"));
  std::string payload("\x00\x01spdy frame\xff\r\n\r\n", 18);
  ASSERT_TRUE(c.Write(payload));
  EXPECT_EQ(c.Read(payload.size()), payload);

  std::string head = backend.head();
  EXPECT_THAT(head, StartsWith("POST /exec/Tok3n HTTP/1.1\r\n"));
  EXPECT_THAT(head, HasSubstr(absl::StrCat("Host: 127.0.0.1:", backend.port())));
  EXPECT_THAT(head, HasSubstr("X-Stream-Protocol-Version: v4.channel.k8s.io"));
  EXPECT_THAT(head, HasSubstr("Upgrade: SPDY/3.1"));
  EXPECT_THAT(head, Not(HasSubstr("Authorization")));
  std::vector<FakeStreamingHost::Call> calls = host_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "exec");
  EXPECT_EQ(calls[0].ref.pod_namespace, "default");
  EXPECT_EQ(calls[0].ref.pod_name, "web");
  EXPECT_EQ(calls[0].ref.container, "app");
  EXPECT_EQ(calls[0].ref.pod_uid, "");
  EXPECT_THAT(calls[0].cmd, ElementsAre("sh", "-c", "echo hi"));
  EXPECT_TRUE(calls[0].streams.stdin);
  EXPECT_TRUE(calls[0].streams.stdout);
  EXPECT_FALSE(calls[0].streams.stderr);  // a tty has no separate stderr
  EXPECT_TRUE(calls[0].streams.tty);
}

TEST_F(SecureServerTest, StreamingRequestsAreCheckedBeforeTheRuntimeIsAsked) {
  Start(/*anonymous=*/true);
  authz_.allow_all = true;
  std::string upgrade = "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
  EXPECT_THAT(Get("/exec/default/web/app?command=ls", upgrade),
              HasSubstr("you must specify at least 1 of stdin, stdout, stderr"));
  host_.SetUrl("http://127.0.0.1:1/attach/x");
  EXPECT_THAT(Get("/attach/default/web/app?output=1"),
              AllOf(StartsWith("HTTP/1.1 500"), HasSubstr("Upgrade request required")));
  EXPECT_THAT(Get("/exec/default/web", upgrade), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Get("/exec/default/web/app?output=1", upgrade, "DELETE"), StartsWith("HTTP/1.1 405"));
  host_.SetError(absl::NotFoundError("container not found (\"app\")"));
  EXPECT_THAT(Get("/exec/default/web/uid-1/app?output=1", upgrade),
              AllOf(StartsWith("HTTP/1.1 404"), HasSubstr("container not found")));
  std::vector<FakeStreamingHost::Call> calls = host_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "attach");
  EXPECT_EQ(calls[1].ref.pod_uid, "uid-1");
}

TEST_F(SecureServerTest, PortForwardAndRun) {
  EchoBackend backend;
  host_.SetUrl(absl::StrCat("http://127.0.0.1:", backend.port(), "/portforward/pf"));
  host_.SetRunOutput("a b\n");
  Start(/*anonymous=*/true);
  authz_.allow_all = true;
  {
    TlsClient c(server_->port());
    c.Write(
        "GET /portForward/default/web?port=8080 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        "Upgrade: SPDY/3.1\r\n\r\n");
    EXPECT_THAT(c.ReadHead(), StartsWith("HTTP/1.1 101"));
  }
  std::string run = Get("/run/default/web/app?cmd=echo%20a%20b", "", "POST");
  EXPECT_THAT(run, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(run, HasSubstr("\r\n\r\na b\n"));
  EXPECT_THAT(Get("/run/default/web/app?cmd=ls"), StartsWith("HTTP/1.1 405"));
  std::vector<FakeStreamingHost::Call> calls = host_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "portforward");
  EXPECT_THAT(calls[0].ports, ElementsAre(8080));
  EXPECT_EQ(calls[1].method, "run");
  EXPECT_THAT(calls[1].cmd, ElementsAre("echo", "a", "b"));
}

TEST_F(SecureServerTest, StopEndsOpenSessions) {
  EchoBackend backend;
  host_.SetUrl(absl::StrCat("http://127.0.0.1:", backend.port(), "/attach/a"));
  Start(/*anonymous=*/true);
  authz_.allow_all = true;
  TlsClient c(server_->port());
  c.Write(
      "GET /attach/default/web/app?output=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
      "Upgrade: SPDY/3.1\r\n\r\n");
  EXPECT_THAT(c.ReadHead(), StartsWith("HTTP/1.1 101"));
  server_->Stop();  // returns: the relay saw the stop
  EXPECT_EQ(c.Read(), "");
}

TEST_F(SecureServerTest, TheSelfSignedCertificateIsKeptAndReused) {
  Start(/*anonymous=*/true);
  std::filesystem::path crt = dir_ / "pki" / "kubelet.crt";
  ASSERT_TRUE(std::filesystem::exists(crt));
  EXPECT_EQ(std::filesystem::status(dir_ / "pki" / "kubelet.key").permissions() &
                std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  auto written = std::filesystem::last_write_time(crt);
  server_.reset();
  Start(/*anonymous=*/true);
  EXPECT_EQ(std::filesystem::last_write_time(crt), written);
}

TEST(RequestHeadTest, ParsesTheRequestLineHeadersAndQuery) {
  absl::StatusOr<RequestHead> h = ParseRequestHead(
      "GET /exec/ns/p%2Dx/c?command=a+b&command=%2Fbin HTTP/1.1\r\nHost: n\r\nUpgrade:  SPDY/3.1 ");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->method, "GET");
  EXPECT_EQ(h->path, "/exec/ns/p-x/c");
  EXPECT_EQ(h->Header("upgrade"), "SPDY/3.1");
  EXPECT_EQ(h->Header("missing"), "");
  EXPECT_THAT(QueryValues(h->query, "command"), ElementsAre("a b", "/bin"));
  EXPECT_FALSE(ParseRequestHead("GET\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET nopath HTTP/1.1").ok());
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.1\r\nno colon").ok());
  EXPECT_THAT(QueryValues("a=1&b&a=%zz&a=", "a"), ElementsAre("1", "%zz", ""));
}

}  // namespace
}  // namespace cubelet::server
