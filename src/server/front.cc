#include "server/front.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "util/log.h"

namespace cubelet::server {
namespace {

using Clock = std::chrono::steady_clock;

// cpp-httplib has no public way to serve an accepted socket, nor to reach the
// socket bound by bind_to_port(). An explicit instantiation may name private
// members (C++20 [temp.spec.general]/6); these tags carry the two pointers out.
template <typename Tag, typename Tag::type kMember>
struct Expose {
  friend typename Tag::type Get(Tag) { return kMember; }
};
struct ProcessSocketTag {
  using type = bool (httplib::Server::*)(socket_t);
  friend type Get(ProcessSocketTag);
};
struct ServerSocketTag {
  using type = std::atomic<socket_t> httplib::Server::*;
  friend type Get(ServerSocketTag);
};
template struct Expose<ProcessSocketTag, &httplib::Server::process_and_close_socket>;
template struct Expose<ServerSocketTag, &httplib::Server::svr_sock_>;

void SendAndClose(int fd, int code, std::string_view reason, std::string_view body) {
  std::string response =
      absl::StrCat("HTTP/1.1 ", code, " ", std::string(reason),
                   "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(),
                   "\r\nConnection: close\r\n\r\n", std::string(body));
  // Best effort: a client that does not read gets nothing.
  (void)::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

}  // namespace

int64_t RequestContentLength(std::string_view headers) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    absl::StripAsciiWhitespace(&name);
    absl::AsciiStrToLower(&name);
    std::string value(line.substr(colon + 1));
    absl::StripAsciiWhitespace(&value);
    if (name == "transfer-encoding") return -1;  // no chunked request bodies here
    if (name != "content-length") continue;
    int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 0) return -1;
    return n;
  }
  return 0;
}

Front::Front(httplib::Server* http, FrontOptions options)
    : http_(http), options_(std::move(options)) {}

Front::~Front() { Stop(); }

absl::Status Front::Start() {
  if (!options_.accept) {
    // httplib serves a connection only while its bound socket is valid: an
    // unbound server gets a socket that is never listened on.
    int placeholder = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (placeholder < 0) return absl::ErrnoToStatus(errno, "socket");
    (http_->*Get(ServerSocketTag{})).store(placeholder);
  } else {
    listen_fd_ = (http_->*Get(ServerSocketTag{})).load();
    if (listen_fd_ < 0) return absl::FailedPreconditionError("the server is not bound");
    // httplib listens with a backlog of 5: a burst of connections would
    // overflow it and a client's SYN would wait a second for its retry. Linux
    // takes a new backlog from a second listen().
    if (::listen(listen_fd_, SOMAXCONN) != 0) return absl::ErrnoToStatus(errno, "listen");
    int flags = ::fcntl(listen_fd_, F_GETFL);
    if (flags < 0 || ::fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
      return absl::ErrnoToStatus(errno, "listening socket");
    }
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  adopt_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || stop_fd_ < 0 || adopt_fd_ < 0) return absl::ErrnoToStatus(errno, "epoll");
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = stop_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  ev.data.fd = adopt_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, adopt_fd_, &ev);
  if (listen_fd_ >= 0) {
    ev.data.fd = listen_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }
  {
    std::lock_guard<std::mutex> l(adopt_mu_);
    running_ = true;
  }
  workers_ = std::make_unique<httplib::ThreadPool>(options_.workers);
  fast_workers_ = std::make_unique<httplib::ThreadPool>(options_.fast_workers);
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Front::Adopt(int fd) {
  {
    std::lock_guard<std::mutex> l(adopt_mu_);
    if (running_) {
      adopted_.push_back(fd);
      uint64_t one = 1;
      (void)::write(adopt_fd_, &one, sizeof(one));
      return;
    }
  }
  ::close(fd);
}

void Front::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> l(adopt_mu_);
    running_ = false;
    for (int fd : adopted_) ::close(fd);
    adopted_.clear();
  }
  uint64_t one = 1;
  (void)::write(stop_fd_, &one, sizeof(one));
  thread_.join();
  // Queued connections not yet served are closed unserved by httplib once
  // its socket is invalid.
  int sock = (http_->*Get(ServerSocketTag{})).exchange(INVALID_SOCKET);
  if (sock >= 0) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
  workers_->shutdown();
  fast_workers_->shutdown();
  ::close(epoll_fd_);
  ::close(stop_fd_);
  ::close(adopt_fd_);
  epoll_fd_ = stop_fd_ = adopt_fd_ = listen_fd_ = -1;
}

void Front::Dispatch(int fd, bool fast) {
  auto serve = [this, fd] {
    try {
      (http_->*Get(ProcessSocketTag{}))(fd);  // reads, answers and closes
    } catch (...) {
      LOG(ERROR) << "read-only API: unexpected error serving a connection";
    }
    open_.fetch_sub(1);
  };
  (fast ? fast_workers_ : workers_)->enqueue(std::move(serve));
}

void Front::Loop() {
  struct Waiting {
    Clock::time_point deadline;
  };
  std::map<int, Waiting> waiting;                      // fd -> when it times out
  std::set<std::pair<Clock::time_point, int>> by_age;  // (deadline, fd), oldest first
  std::vector<char> buf(options_.max_header_bytes + options_.max_body_bytes);

  auto forget = [&](int fd) {
    auto it = waiting.find(fd);
    if (it == waiting.end()) return;
    by_age.erase({it->second.deadline, fd});
    waiting.erase(it);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  };
  auto close_waiting = [&](int fd, int code, std::string_view reason, std::string_view body) {
    forget(fd);
    if (code == 0) {
      ::close(fd);
    } else {
      SendAndClose(fd, code, reason, body);
    }
    open_.fetch_sub(1);
  };
  // Looks at what a waiting connection sent so far, without consuming it.
  auto check = [&](int fd) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      close_waiting(fd, 0, "", "");  // the client went away
      return;
    }
    if (n < 0) return;
    std::string_view data(buf.data(), static_cast<size_t>(n));
    size_t end = data.find("\r\n\r\n");
    size_t sep = 4;
    if (end == std::string_view::npos) {
      end = data.find("\n\n");
      sep = 2;
    }
    if (end == std::string_view::npos || end + sep > options_.max_header_bytes) {
      if (data.size() >= options_.max_header_bytes) {
        close_waiting(fd, 431, "Request Header Fields Too Large", "request headers too large\n");
      }
      return;  // wait for more
    }
    size_t line_end = data.find_first_of("\r\n");
    int64_t length = RequestContentLength(data.substr(line_end, end - line_end));
    if (length < 0) {
      close_waiting(fd, 400, "Bad Request", "bad Content-Length or Transfer-Encoding\n");
      return;
    }
    if (static_cast<size_t>(length) > options_.max_body_bytes) {
      close_waiting(fd, 413, "Payload Too Large", "request body too large\n");
      return;
    }
    if (data.size() < end + sep + static_cast<size_t>(length)) return;  // body still coming
    bool fast = options_.is_fast && options_.is_fast(data.substr(0, line_end));
    forget(fd);
    Dispatch(fd, fast);
  };
  // Starts watching a new connection for its request.
  auto add = [&](int fd) {
    if (open_.load() >= options_.max_connections) {
      if (by_age.empty()) {
        SendAndClose(fd, 503, "Service Unavailable", "too many connections\n");
        return;
      }
      // Room for the newcomer: the connection that waited longest goes.
      close_waiting(by_age.begin()->second, 408, "Request Timeout", "request timeout\n");
    }
    open_.fetch_add(1);
    Clock::time_point deadline = Clock::now() + options_.header_timeout;
    waiting[fd] = {deadline};
    by_age.insert({deadline, fd});
    struct epoll_event ev = {};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) close_waiting(fd, 0, "", "");
  };
  auto accept_all = [&] {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          LOG(WARNING) << "read-only API: accept: " << std::strerror(errno);
        }
        return;
      }
      add(fd);
    }
  };
  auto adopt_all = [&] {
    uint64_t n;
    (void)::read(adopt_fd_, &n, sizeof(n));
    std::vector<int> fds;
    {
      std::lock_guard<std::mutex> l(adopt_mu_);
      fds.swap(adopted_);
    }
    for (int fd : fds) {
      add(fd);
      // The request may be there already: look now rather than rely on
      // the edge of a readiness that predates the registration.
      if (waiting.contains(fd)) check(fd);
    }
  };

  std::vector<struct epoll_event> events(64);
  bool stop = false;
  while (!stop) {
    int timeout_ms = 1000;
    if (!by_age.empty()) {
      auto wait =
          std::chrono::ceil<std::chrono::milliseconds>(by_age.begin()->first - Clock::now());
      timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 1000));
    }
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) {
      LOG(ERROR) << "read-only API: epoll_wait: " << std::strerror(errno);
      break;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        stop = true;
      } else if (fd == listen_fd_) {
        accept_all();
      } else if (fd == adopt_fd_) {
        adopt_all();
      } else if (waiting.contains(fd)) {
        check(fd);
      }
    }
    Clock::time_point now = Clock::now();
    while (!by_age.empty() && by_age.begin()->first <= now) {
      close_waiting(by_age.begin()->second, 408, "Request Timeout", "request timeout\n");
    }
  }
  while (!waiting.empty()) close_waiting(waiting.begin()->first, 0, "", "");
}

}  // namespace cubelet::server
