#include "server/secure_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "util/log.h"

namespace cubelet::server {
namespace {

constexpr size_t kMaxHeadBytes = 16 * 1024;
// Bytes held per direction before the relay stops reading that side.
constexpr size_t kRelayBuffer = 64 * 1024;

std::string ReasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

bool WriteAll(SSL* ssl, absl::string_view data) {
  while (!data.empty()) {
    int n = SSL_write(ssl, data.data(), static_cast<int>(std::min<size_t>(data.size(), INT_MAX)));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Respond(SSL* ssl, int code, absl::string_view body,
             absl::string_view content_type = "text/plain; charset=utf-8") {
  WriteAll(ssl, absl::StrCat("HTTP/1.1 ", code, " ", ReasonPhrase(code),
                             "\r\nContent-Type: ", std::string(content_type),
                             "\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ", body.size(),
                             "\r\nConnection: close\r\n\r\n", std::string(body)));
}

int HttpCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    default:
      return 500;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

// The kubelet takes exactly "1" (remotecommand NewOptions).
bool IsTrue(const std::string& v) { return v == "1"; }

bool HasToken(absl::string_view header, absl::string_view token) {
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(part), token)) return true;
  }
  return false;
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// "http://host:port/path?query" -> connected socket, and the request target.
absl::StatusOr<std::pair<int, std::string>> ConnectTo(const std::string& url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::UnimplementedError(
        absl::StrCat("the runtime's streaming URL ", url, " is not plain http"));
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  std::string target = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string host;
  std::string port = "80";
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("bad URL " + url);
    host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = std::string(authority.substr(close + 2));
    }
  } else {
    size_t colon = authority.rfind(':');
    host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port = std::string(authority.substr(colon + 1));
  }
  struct addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat(url, ": ", ::gai_strerror(rc)));
  }
  int fd = -1;
  int err = 0;
  for (struct addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    err = errno;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("dial ", url, ": ", std::strerror(err)));
  }
  return std::make_pair(fd, target);
}

}  // namespace

std::string RequestHead::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

absl::StatusOr<RequestHead> ParseRequestHead(absl::string_view head) {
  RequestHead out;
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  if (lines.empty()) return absl::InvalidArgumentError("empty request");
  absl::string_view first = absl::StripTrailingAsciiWhitespace(lines[0]);
  std::vector<absl::string_view> parts = absl::StrSplit(first, ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[1][0] != '/' ||
      !absl::StartsWith(parts[2], "HTTP/1.")) {
    return absl::InvalidArgumentError("malformed request line");
  }
  out.method = std::string(parts[0]);
  out.target = std::string(parts[1]);
  size_t q = parts[1].find('?');
  out.path = PercentDecode(parts[1].substr(0, q), false);
  if (q != absl::string_view::npos) out.query = std::string(parts[1].substr(q + 1));
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(lines[i]);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError("malformed header line");
    }
    out.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return out;
}

std::vector<std::string> QueryValues(absl::string_view query, absl::string_view key) {
  std::vector<std::string> out;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    std::string k = PercentDecode(pair.substr(0, eq), true);
    if (k != key) continue;
    out.push_back(eq == absl::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true));
  }
  return out;
}

SecureServer::SecureServer(const AgentView* view, StreamingHost* host, SecureServerOptions options)
    : host_(host), options_(std::move(options)), plain_(view, [&] {
        ServerOptions plain = options_.plain;
        plain.listen = false;
        plain.healthz_only = false;
        return plain;
      }()) {}

SecureServer::~SecureServer() { Stop(); }

absl::Status SecureServer::Start() {
  if (options_.authorizer == nullptr) return absl::InvalidArgumentError("no authorizer");
  absl::StatusOr<std::unique_ptr<TlsServerContext>> tls = TlsServerContext::Create(options_.tls);
  if (!tls.ok()) return tls.status();
  tls_ = *std::move(tls);
  std::string where = absl::StrCat(options_.address, ":", options_.port);
  struct sockaddr_storage addr = {};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<struct sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<struct sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, options_.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options_.port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, options_.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(options_.port));
    len = sizeof(*v6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--address: \"", options_.address, "\" is not an IP address"));
  }
  listen_fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, SOMAXCONN) != 0) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("cannot listen on ", where, ": ", std::strerror(errno)));
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return s;
  }
  len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), &len);
  port_.store(ntohs(addr.ss_family == AF_INET ? v4->sin_port : v6->sin6_port));
  if (absl::Status s = plain_.Start(); !s.ok()) return s;
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void SecureServer::Stop() {
  if (!acceptor_.joinable()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  uint64_t one = 1;
  (void)::write(stop_fd_, &one, sizeof(one));
  acceptor_.join();
  {
    std::unique_lock<std::mutex> l(mu_);
    idle_.wait(l, [this] { return open_.empty(); });
  }
  plain_.Stop();
  ::close(listen_fd_);
  ::close(stop_fd_);
  listen_fd_ = stop_fd_ = -1;
}

void SecureServer::AcceptLoop() {
  while (true) {
    struct pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_ || static_cast<int>(open_.size()) >= options_.max_connections) {
        ::close(fd);
        continue;
      }
      open_.insert(fd);
    }
    std::thread([this, fd] {
      Handle(fd);
      std::lock_guard<std::mutex> l(mu_);
      open_.erase(fd);
      ::close(fd);
      idle_.notify_all();
    }).detach();
  }
}

void SecureServer::Handle(int fd) {
  struct timeval tv = {};
  tv.tv_sec = static_cast<time_t>(options_.request_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((options_.request_timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  SSL* ssl = tls_->NewConnection(fd);
  if (ssl == nullptr) return;
  if (SSL_accept(ssl) == 1) {
    std::string raw;
    size_t end = std::string::npos;
    char buf[4096];
    while (end == std::string::npos && raw.size() <= kMaxHeadBytes) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
      end = raw.find("\r\n\r\n");
    }
    if (end != std::string::npos && end <= kMaxHeadBytes) {
      absl::StatusOr<RequestHead> head = ParseRequestHead(absl::string_view(raw).substr(0, end));
      if (!head.ok()) {
        Respond(ssl, 400, absl::StrCat(head.status().message(), "\n"));
      } else if (Admit(ssl, *head)) {
        Route(ssl, fd, *head, std::move(raw));
      }
    } else if (raw.size() > kMaxHeadBytes) {
      Respond(ssl, 431, "request headers too large\n");
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
}

bool SecureServer::Admit(SSL* ssl, const RequestHead& head) {
  std::optional<UserInfo> user = TlsServerContext::PeerUser(ssl);
  if (!user.has_value()) {
    std::string authorization = head.Header("Authorization");
    absl::string_view token = authorization;
    if (!authorization.empty()) {
      if (!absl::ConsumePrefix(&token, "Bearer ") && !absl::ConsumePrefix(&token, "bearer ")) {
        token = "";
      }
      token = absl::StripAsciiWhitespace(token);
    }
    if (!token.empty() && options_.tokens != nullptr) {
      absl::StatusOr<std::optional<UserInfo>> found =
          options_.tokens->AuthenticateToken(std::string(token));
      if (!found.ok()) {
        LOG(WARNING) << "kubelet server: unable to authenticate the request: " << found.status();
      } else {
        user = *found;
      }
      if (!user.has_value()) {
        Respond(ssl, 401, "Unauthorized");
        return false;
      }
    } else if (!options_.anonymous) {
      // Without a token authenticator (standalone) a bearer token proves
      // nothing and is ignored, as upstream: anonymous, if allowed.
      Respond(ssl, 401, "Unauthorized");
      return false;
    }
    if (!user.has_value()) user = AnonymousUser();
  }
  if (user->name != "system:anonymous") AddAuthenticatedGroup(*user);
  std::vector<RequestAttributes> attributes =
      RequestAttributesFor(*user, head.method, head.path, options_.node_name);
  std::vector<std::string> subresources;
  for (const RequestAttributes& a : attributes) {
    subresources.push_back(a.subresource);
    absl::StatusOr<bool> allowed = options_.authorizer->Authorize(a);
    if (!allowed.ok()) {
      LOG(WARNING) << "kubelet server: authorization error for " << a.user.name << ": "
                   << allowed.status();
      Respond(ssl, 500,
              absl::StrCat("Authorization error (user=", a.user.name, ", verb=", a.verb,
                           ", resource=nodes, subresource=", a.subresource, ")"));
      return false;
    }
    if (*allowed) return true;
  }
  const RequestAttributes& a = attributes.front();
  Respond(
      ssl, 403,
      absl::StrCat("Forbidden (user=", a.user.name, ", verb=", a.verb,
                   ", resource=nodes, subresource(s)=[", absl::StrJoin(subresources, " "), "])\n"));
  return false;
}

void SecureServer::Route(SSL* ssl, int fd, const RequestHead& head, std::string raw) {
  std::vector<std::string> segments = absl::StrSplit(head.path, '/', absl::SkipEmpty());
  const std::string kind = segments.empty() ? "" : segments[0];
  bool exec = kind == "exec", attach = kind == "attach", run = kind == "run";
  bool forward = kind == "portForward";
  if (!exec && !attach && !run && !forward) {
    // Everything else is the plain server's, through a socket pair.
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      Respond(ssl, 500, "socketpair failed\n");
      return;
    }
    plain_.Serve(pair[1]);
    Relay(ssl, fd, pair[0], std::move(raw));
    ::close(pair[0]);
    return;
  }
  bool post = head.method == "POST";
  if ((run && !post) || (!run && !post && head.method != "GET")) {
    Respond(ssl, 405, "405: Method Not Allowed");
    return;
  }
  size_t want = forward ? 3 : 4;  // kind, namespace, pod[, uid][, container]
  if (segments.size() != want && segments.size() != want + 1) {
    Respond(ssl, 404, "404 page not found\n");
    return;
  }
  ContainerRef ref{.pod_namespace = segments[1], .pod_name = segments[2]};
  if (segments.size() == want + 1) ref.pod_uid = segments[3];
  if (!forward) ref.container = segments.back();

  if (run) {
    std::vector<std::string> cmd;
    std::vector<std::string> values = QueryValues(head.query, "cmd");
    cmd = absl::StrSplit(values.empty() ? "" : values.front(), ' ');
    absl::StatusOr<std::string> out = host_->RunInContainer(ref, cmd);
    if (!out.ok()) {
      Respond(ssl, 500, out.status().message());
      return;
    }
    Respond(ssl, 200, *out, "application/json");
    return;
  }
  absl::StatusOr<std::string> url;
  if (forward) {
    std::vector<int32_t> ports;
    for (const std::string& p : QueryValues(head.query, "port")) {
      int32_t port = 0;
      if (!absl::SimpleAtoi(p, &port) || port <= 0 || port > 65535) {
        Respond(ssl, 400, absl::StrCat("invalid port: \"", p, "\""));
        return;
      }
      ports.push_back(port);
    }
    url = host_->GetPortForward(ref, ports);
  } else {
    cri::StreamOptions streams;
    auto flag = [&](absl::string_view key) {
      std::vector<std::string> v = QueryValues(head.query, key);
      return !v.empty() && IsTrue(v.front());
    };
    // The API's names (core/v1 ExecStdinParam & co.).
    streams.stdin = flag("input");
    streams.stdout = flag("output");
    streams.stderr = flag("error");
    streams.tty = flag("tty");
    if (streams.tty) streams.stderr = false;  // a terminal has one output
    if (!streams.stdin && !streams.stdout && !streams.stderr) {
      Respond(ssl, 400, "you must specify at least 1 of stdin, stdout, stderr");
      return;
    }
    url = exec ? host_->GetExec(ref, QueryValues(head.query, "command"), streams)
               : host_->GetAttach(ref, streams);
  }
  if (!url.ok()) {
    Respond(ssl, HttpCodeFor(url.status()), url.status().message());
    return;
  }
  if (!HasToken(head.Header("Connection"), "upgrade") || head.Header("Upgrade").empty()) {
    Respond(ssl, 500, "Upgrade request required\n");
    return;
  }
  Stream(ssl, fd, head, *url, raw.substr(raw.find("\r\n\r\n") + 4));
}

void SecureServer::Stream(SSL* ssl, int fd, const RequestHead& head, const std::string& url,
                          std::string extra) {
  absl::StatusOr<std::pair<int, std::string>> backend = ConnectTo(url);
  if (!backend.ok()) {
    LOG(WARNING) << "kubelet server: " << backend.status();
    Respond(ssl, 500, backend.status().message());
    return;
  }
  auto [backend_fd, target] = *backend;
  absl::string_view host = url;
  absl::ConsumePrefix(&host, "http://");
  host = host.substr(0, host.find('/'));
  // The client's upgrade request, at the runtime's URL (upstream's
  // UpgradeAwareHandler: the location's path and query, the client's
  // headers; its credentials stay here).
  std::string request =
      absl::StrCat(head.method, " ", target, " HTTP/1.1\r\nHost: ", std::string(host), "\r\n");
  for (const auto& [name, value] : head.headers) {
    if (absl::EqualsIgnoreCase(name, "Host") || absl::EqualsIgnoreCase(name, "Authorization")) {
      continue;
    }
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&request, "\r\n", extra);
  Relay(ssl, fd, backend_fd, std::move(request));
  ::close(backend_fd);
}

void SecureServer::Relay(SSL* ssl, int fd, int backend, std::string to_backend) {
  SetNonBlocking(fd);
  SetNonBlocking(backend);
  std::string to_client;
  bool client_eof = false, backend_eof = false, backend_shut = false;
  char buf[16384];
  while (true) {
    bool progress = false;
    short want_client = 0, want_backend = 0;
    if (!client_eof && to_backend.size() < kRelayBuffer) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n > 0) {
        to_backend.append(buf, static_cast<size_t>(n));
        progress = true;
      } else {
        int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
          want_client |= POLLIN;
        } else if (e == SSL_ERROR_WANT_WRITE) {
          want_client |= POLLOUT;
        } else {
          client_eof = true;  // closed, or failed: either way nothing more comes
          progress = true;
        }
      }
    }
    if (!to_backend.empty()) {
      ssize_t n = ::send(backend, to_backend.data(), to_backend.size(), MSG_NOSIGNAL);
      if (n > 0) {
        to_backend.erase(0, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        want_backend |= POLLOUT;
      } else {
        return;  // the backend is gone
      }
    }
    if (client_eof && to_backend.empty() && !backend_shut) {
      ::shutdown(backend, SHUT_WR);
      backend_shut = true;
    }
    if (!backend_eof && to_client.size() < kRelayBuffer) {
      ssize_t n = ::recv(backend, buf, sizeof(buf), 0);
      if (n > 0) {
        to_client.append(buf, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        want_backend |= POLLIN;
      } else {
        backend_eof = true;
        progress = true;
      }
    }
    if (!to_client.empty()) {
      int n = SSL_write(ssl, to_client.data(),
                        static_cast<int>(std::min<size_t>(to_client.size(), INT_MAX)));
      if (n > 0) {
        to_client.erase(0, static_cast<size_t>(n));
        progress = true;
      } else {
        int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_WANT_WRITE) {
          want_client |= POLLOUT;
        } else if (e == SSL_ERROR_WANT_READ) {
          want_client |= POLLIN;
        } else {
          return;  // the client is gone
        }
      }
    }
    if (backend_eof && to_client.empty()) return;
    if (progress) continue;
    // A side not waited on is left out: its hang-up must not wake the loop
    // while the other side drains.
    struct pollfd fds[3] = {{want_client != 0 ? fd : -1, want_client, 0},
                            {want_backend != 0 ? backend : -1, want_backend, 0},
                            {stop_fd_, POLLIN, 0}};
    int timeout_ms = (want_client == 0 && want_backend == 0) ? 100 : -1;
    if (::poll(fds, 3, timeout_ms) < 0 && errno != EINTR) return;
    if (fds[2].revents != 0) return;
    if ((fds[0].revents & (POLLERR | POLLNVAL)) != 0) return;
  }
}

}  // namespace cubelet::server
