// Helpers shared by the end-to-end tests and the benchmarks that run the real
// agent: environment lookup, polling with a deadline (they wait on real
// processes, so they poll), a free port on 127.0.0.1, starting a process with
// its stderr in a file, removing a cgroup root the agent left.
#ifndef CUBELET_E2E_E2E_UTIL_H_
#define CUBELET_E2E_E2E_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cubelet::e2e {

inline std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Polls `pred` until it holds or `timeout` passes.
template <typename Pred>
bool Eventually(Pred pred, absl::Duration timeout = absl::Seconds(30),
                absl::Duration poll = absl::Milliseconds(50)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(poll));
  }
  return true;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// Starts `argv` (argv[0] is the binary's path) with its stderr going to
// `log` (appended to when `append`); returns the child's pid.
inline pid_t Spawn(std::vector<std::string> argv, const std::string& log, bool append = false) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), append ? "a" : "w", stderr);
    (void)f;
    std::vector<char*> argv_c;
    for (std::string& a : argv) argv_c.push_back(a.data());
    argv_c.push_back(nullptr);
    execv(argv_c[0], argv_c.data());
    _exit(127);
  }
  return pid;
}

// Removes the (empty) cgroup `name` ("cubelet-bench") from the unified
// hierarchy and from every v1 hierarchy.
inline void RemoveCgroupRoot(const std::string& name) {
  std::error_code ec;
  for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    rmdir((h.path() / name).c_str());
  }
  rmdir(("/sys/fs/cgroup/" + name).c_str());
}

}  // namespace cubelet::e2e

#endif  // CUBELET_E2E_E2E_UTIL_H_
