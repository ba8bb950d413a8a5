#include "config/http_source.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/parse.h"
#include "config/static_pod.h"
#include "nlohmann/json.hpp"

namespace cubelet::config {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Headers are small; anything bigger is not a manifest server.
constexpr size_t kMaxHeaderBytes = 64 * 1024;

struct Url {
  std::string host;  // without brackets for IPv6 literals
  std::string port;
  std::string host_header;
  std::string target;  // path and query
};

absl::StatusOr<Url> ParseUrl(const std::string& url) {
  absl::string_view rest = url;
  if (rest.size() < 7 || !absl::EqualsIgnoreCase(rest.substr(0, 7), "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest URL \"", url, "\": only http://host[:port]/path is supported"));
  }
  rest.remove_prefix(7);
  if (size_t hash = rest.find('#'); hash != absl::string_view::npos) rest = rest.substr(0, hash);
  size_t end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, end);
  Url out;
  out.target = end == absl::string_view::npos ? "/" : std::string(rest.substr(end));
  if (out.target[0] == '?') out.target.insert(0, "/");
  if (authority.empty() || absl::StrContains(authority, '@')) {
    return absl::InvalidArgumentError(absl::StrCat("manifest URL \"", url, "\": bad host"));
  }
  out.host_header = std::string(authority);
  absl::string_view host = authority;
  absl::string_view port = "80";
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("manifest URL \"", url, "\": bad host"));
    }
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat("manifest URL \"", url, "\": bad host"));
      }
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  int port_num = 0;
  if (host.empty() || !absl::SimpleAtoi(port, &port_num) || port_num <= 0 || port_num > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("manifest URL \"", url, "\": bad host or port"));
  }
  out.host = std::string(host);
  out.port = std::string(port);
  return out;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Waits for `events` on `fd` until `deadline`; false on timeout.
absl::StatusOr<bool> WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    struct pollfd p = {fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "poll");
  }
}

absl::Status Timeout(const std::string& url, std::chrono::milliseconds timeout) {
  return absl::DeadlineExceededError(
      absl::StrCat("GET ", url, ": timed out after ", timeout.count(), "ms"));
}

// Connects to the first address of `u` that accepts, within `deadline`.
absl::StatusOr<int> Connect(const Url& u, const std::string& url, SteadyClock::time_point deadline,
                            std::chrono::milliseconds timeout) {
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  // getaddrinfo has no timeout of its own; manifest URLs are normally IPs or
  // names /etc/hosts resolves.
  int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("GET ", url, ": resolve \"", u.host, "\": ", ::gai_strerror(rc)));
  }
  std::string last_error = "no addresses";
  for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = std::strerror(errno);
        continue;
      }
      absl::StatusOr<bool> ready = WaitFor(fd.get(), POLLOUT, deadline);
      if (!ready.ok() || !*ready) {
        ::freeaddrinfo(res);
        if (!ready.ok()) return ready.status();
        return Timeout(url, timeout);
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last_error = std::strerror(err);
        continue;
      }
    }
    ::freeaddrinfo(res);
    return fd.release();
  }
  ::freeaddrinfo(res);
  return absl::UnavailableError(
      absl::StrCat("GET ", url, ": connect ", u.host_header, ": ", last_error));
}

// Decodes a chunked body; nullopt while incomplete, an error when malformed.
absl::StatusOr<std::optional<std::string>> DecodeChunked(absl::string_view in) {
  std::string out;
  while (true) {
    size_t eol = in.find("\r\n");
    if (eol == absl::string_view::npos) return std::nullopt;
    absl::string_view size_text = in.substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    size_text = absl::StripAsciiWhitespace(size_text);
    size_t size = 0;
    auto [ptr, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size() || size_text.empty()) {
      return absl::DataLossError("malformed chunked body");
    }
    in.remove_prefix(eol + 2);
    if (size == 0) return out;  // trailers, if any, are of no interest
    if (size > static_cast<size_t>(api::kMaxManifestBytes) ||
        out.size() + size > static_cast<size_t>(api::kMaxManifestBytes)) {
      return absl::ResourceExhaustedError("body over the manifest size limit");
    }
    if (in.size() < size + 2) return std::nullopt;
    out.append(in.data(), size);
    in.remove_prefix(size + 2);
  }
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  absl::StatusOr<Url> u = ParseUrl(url);
  if (!u.ok()) return u.status();
  auto deadline = SteadyClock::now() + timeout;
  absl::StatusOr<int> connected = Connect(*u, url, deadline, timeout);
  if (!connected.ok()) return connected.status();
  Fd fd(*connected);

  std::string request = absl::StrCat("GET ", u->target, " HTTP/1.1\r\nHost: ", u->host_header,
                                     "\r\nUser-Agent: cubelet\r\nAccept: */*\r\n"
                                     "Connection: close\r\n\r\n");
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      absl::StatusOr<bool> ready = WaitFor(fd.get(), POLLOUT, deadline);
      if (!ready.ok()) return ready.status();
      if (!*ready) return Timeout(url, timeout);
      continue;
    }
    return absl::UnavailableError(absl::StrCat("GET ", url, ": send: ", std::strerror(errno)));
  }

  HttpResponse response;
  std::string buf;
  size_t header_end = std::string::npos;
  std::optional<size_t> content_length;
  bool chunked = false;
  bool eof = false;
  auto over_limit = [&] {
    return absl::ResourceExhaustedError(
        absl::StrCat("GET ", url, ": body over the limit of ", api::kMaxManifestBytes, " bytes"));
  };
  while (true) {
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::vector<absl::string_view> lines =
            absl::StrSplit(absl::string_view(buf).substr(0, header_end), "\r\n");
        // "HTTP/1.1 200 OK"
        std::vector<absl::string_view> status = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
        if (status.size() < 2 || !absl::StartsWith(status[0], "HTTP/") ||
            !absl::SimpleAtoi(status[1], &response.status_code)) {
          return absl::DataLossError(
              absl::StrCat("GET ", url, ": malformed status line \"", lines[0], "\""));
        }
        if (status.size() == 3) response.reason = std::string(status[2]);
        for (size_t i = 1; i < lines.size(); ++i) {
          size_t colon = lines[i].find(':');
          if (colon == absl::string_view::npos) continue;
          std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
          absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
          if (name == "content-length") {
            size_t len = 0;
            if (!absl::SimpleAtoi(value, &len)) {
              return absl::DataLossError(absl::StrCat("GET ", url, ": bad Content-Length"));
            }
            if (len > static_cast<size_t>(api::kMaxManifestBytes)) return over_limit();
            content_length = len;
          } else if (name == "transfer-encoding") {
            chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
          }
        }
        header_end += 4;
      } else if (buf.size() > kMaxHeaderBytes) {
        return absl::DataLossError(absl::StrCat("GET ", url, ": response headers too large"));
      }
    }
    if (header_end != std::string::npos) {
      absl::string_view body = absl::string_view(buf).substr(header_end);
      if (chunked) {
        absl::StatusOr<std::optional<std::string>> decoded = DecodeChunked(body);
        if (!decoded.ok()) {
          return absl::Status(decoded.status().code(),
                              absl::StrCat("GET ", url, ": ", decoded.status().message()));
        }
        if (decoded->has_value()) {
          response.body = std::move(**decoded);
          return response;
        }
      } else if (content_length.has_value() && body.size() >= *content_length) {
        response.body = std::string(body.substr(0, *content_length));
        return response;
      } else if (!content_length.has_value() && eof) {
        if (body.size() > static_cast<size_t>(api::kMaxManifestBytes)) return over_limit();
        response.body = std::string(body);
        return response;
      }
      if (buf.size() - header_end > static_cast<size_t>(api::kMaxManifestBytes) + 64 * 1024) {
        return over_limit();
      }
    }
    if (eof) {
      return absl::UnavailableError(
          absl::StrCat("GET ", url, ": connection closed before the response was complete"));
    }
    absl::StatusOr<bool> ready = WaitFor(fd.get(), POLLIN, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) return Timeout(url, timeout);
    char chunk[64 * 1024];
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(absl::StrCat("GET ", url, ": recv: ", std::strerror(errno)));
    }
    if (n == 0) {
      eof = true;
      continue;
    }
    buf.append(chunk, static_cast<size_t>(n));
  }
}

HttpSource::HttpSource(HttpSourceOptions options, UpdateCallback on_update, ErrorCallback on_error)
    : options_(std::move(options)),
      on_update_(std::move(on_update)),
      on_error_(std::move(on_error)) {}

HttpSource::~HttpSource() { Stop(); }

void HttpSource::Start() {
  worker_.Start([this] { Run(); });
}

void HttpSource::Stop() { worker_.Stop(); }

absl::StatusOr<std::vector<api::PodPtr>> HttpSource::FetchOnce() {
  const std::string& url = options_.url;
  absl::StatusOr<HttpResponse> resp = HttpGet(url, options_.timeout);
  if (!resp.ok()) return resp.status();
  if (resp->status_code != 200) {
    return absl::UnavailableError(
        absl::StrCat(url, ": ", resp->status_code, resp->reason.empty() ? "" : " ", resp->reason));
  }
  std::vector<api::PodPtr> pods;
  std::vector<std::string> errors;
  if (absl::StripAsciiWhitespace(resp->body).empty()) {
    errors.push_back(absl::StrCat("zero-length data received from ", url));
  } else {
    std::map<std::string, std::string> owners;
    // Every pod is hashed with the URL as its path, wherever in the body it is.
    auto accept = [&](api::ParsedManifest parsed) {
      for (const api::ManifestError& e : parsed.errors) errors.push_back(e.ToString());
      AcceptStaticPods(std::move(parsed.pods), options_.node_name, url, kHttpSource, owners, pods,
                       errors);
    };
    // Bounded like every manifest (depth, duplicate keys), so the dump below
    // cannot recurse without limit; anything it refuses goes to ParseManifest,
    // which reports why.
    nlohmann::json list = api::ParseJsonStrict(resp->body, nullptr);
    auto kind = list.is_object() ? list.find("kind") : list.end();
    if (list.is_object() && kind != list.end() && *kind == "PodList") {
      // Upstream accepts a PodList too; each item is read like one document.
      const nlohmann::json& items = list["items"];
      if (items.is_array()) {
        for (size_t i = 0; i < items.size(); ++i) {
          nlohmann::json item = items[i];
          if (item.is_object()) {
            if (!item.contains("apiVersion")) item["apiVersion"] = "v1";
            if (!item.contains("kind")) item["kind"] = "Pod";
          }
          accept(api::ParseManifest(
              item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
              absl::StrCat(url, " items[", i, "]")));
        }
      }
    } else {
      accept(api::ParseManifest(resp->body, url));
    }
  }
  if (on_error_) {
    for (const std::string& e : errors) on_error_(e);
  }
  return pods;
}

void HttpSource::Run() {
  std::optional<std::vector<api::PodPtr>> last_emitted;
  while (true) {
    absl::StatusOr<std::vector<api::PodPtr>> pods = absl::InternalError("fetch did not run");
    // No exception may end this thread (and with it the process).
    try {
      pods = FetchOnce();
    } catch (const std::exception& e) {
      pods = absl::InternalError(absl::StrCat("fetching ", options_.url, " failed: ", e.what()));
    } catch (...) {
      pods = absl::InternalError(absl::StrCat("fetching ", options_.url, " failed"));
    }
    if (!pods.ok()) {
      // The last good snapshot stands: a flaky server must not stop pods.
      if (on_error_) on_error_(std::string(pods.status().message()));
    } else {
      bool same = last_emitted.has_value() &&
                  std::equal(last_emitted->begin(), last_emitted->end(), pods->begin(), pods->end(),
                             [](const api::PodPtr& a, const api::PodPtr& b) { return *a == *b; });
      if (!same) {
        last_emitted = *pods;
        if (on_update_) on_update_(PodUpdate{std::move(*pods), PodOperation::kSet, kHttpSource});
      }
    }
    struct pollfd p = {worker_.stop_fd(), POLLIN, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(options_.period.count()));
    } while (n < 0 && errno == EINTR);
    if (n != 0) break;  // stop requested (or poll is broken: give up)
  }
}

}  // namespace cubelet::config
