#include "probe/tcp.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cubelet::probe {
namespace {

// Connects one resolved address; OK or the error text.
std::string ConnectOne(const addrinfo& ai, absl::Time deadline) {
  int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return absl::StrCat("socket: ", std::strerror(errno));
  std::string error;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      error = std::strerror(errno);
    } else {
      pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
      int ms =
          static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
      int n;
      do {
        n = ::poll(&p, 1, ms);
      } while (n < 0 && errno == EINTR);
      if (n == 0) {
        error = "i/o timeout";
      } else if (n < 0) {
        error = std::strerror(errno);
      } else {
        int so_error = 0;
        socklen_t len = sizeof(so_error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0) error = std::strerror(so_error);
      }
    }
  }
  ::close(fd);
  return error;
}

}  // namespace

Outcome TcpConnect(const std::string& host, int port, absl::Duration timeout) {
  const std::string target = absl::StrCat(host, ":", port);
  if (port <= 0 || port > 65535) {
    return {Result::kUnknown, absl::StrCat("invalid port ", port)};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    return {Result::kFailure, absl::StrCat("dial tcp ", target, ": ", ::gai_strerror(rc))};
  }
  const absl::Time deadline = absl::Now() + timeout;
  std::string error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    error = ConnectOne(*ai, deadline);
    if (error.empty()) break;
  }
  ::freeaddrinfo(found);
  if (error.empty()) return {Result::kSuccess, ""};
  return {Result::kFailure, absl::StrCat("dial tcp ", target, ": ", error)};
}

}  // namespace cubelet::probe
