// Front: the accept loop in front of the read-only API's cpp-httplib server,
// so slow or idle clients cannot starve it (a "slowloris").
//
// cpp-httplib gives each connection a worker thread from the moment it is
// accepted; 16 sockets that send a byte a second (or nothing) hold all 16
// workers and /healthz goes unanswered. The front instead watches every new
// connection on one thread (epoll, edge-triggered, peeking without consuming)
// until a complete request has arrived, and only then hands the socket to a
// worker, which reads the request again and answers at once:
//   - a request's headers must be complete within header_timeout of the
//     accept (an idle connection is closed then too), and fit in
//     max_header_bytes (431 beyond); a body may be at most max_body_bytes
//     (413 beyond) and must arrive in time too (408 otherwise);
//   - at most max_connections connections are open at once; at the limit the
//     connection that has waited longest for its request is closed to make
//     room (503 when all are being served);
//   - requests for which `is_fast` holds (/healthz, /metrics) go to their own
//     workers, so they never queue behind slow handlers (log follows).
// One request per connection: the server must be set to
// keep_alive_max_count(1), so a worker never waits for a second request.
//
// Ownership: borrows the httplib::Server (bound, not listening: the front
// accepts on its socket). Owns its thread and worker pools.
// Thread-safety: Start/Stop from the owner.
#ifndef CUBELET_SERVER_FRONT_H_
#define CUBELET_SERVER_FRONT_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace httplib {
class Server;
class ThreadPool;
}  // namespace httplib

namespace cubelet::server {

// The Content-Length of a request from its header lines (after the request
// line): 0 when absent, -1 when malformed or when the body is chunked
// (refused). Exposed for the fuzzer.
int64_t RequestContentLength(std::string_view headers);

struct FrontOptions {
  int max_connections = 512;
  std::chrono::milliseconds header_timeout{5000};
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
  int workers = 16;
  int fast_workers = 2;
  // Whether the request (its first line, e.g. "GET /healthz HTTP/1.1") goes
  // to the fast workers.
  std::function<bool(std::string_view request_line)> is_fast;
  // false: the server is not bound and the front accepts nothing; it serves
  // only the connections handed to Adopt().
  bool accept = true;
};

class Front {
 public:
  Front(httplib::Server* http, FrontOptions options);
  ~Front();  // Stop()s
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  // Accepts on the server's bound socket from now on.
  absl::Status Start();
  // Stops accepting, closes waiting connections and waits for the workers
  // (handlers must end on their own, e.g. follows on the server's stop flag).
  void Stop();

  // Serves a connected socket as if it had been accepted (the front owns
  // it from now on). Any thread; closes it when the front is not running.
  void Adopt(int fd);

  // Connections open now (waiting or being served). Any thread.
  int open_connections() const { return open_.load(); }

 private:
  void Loop();
  void Dispatch(int fd, bool fast);

  httplib::Server* const http_;
  const FrontOptions options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  int adopt_fd_ = -1;  // eventfd: adopted_ has sockets
  std::mutex adopt_mu_;
  std::vector<int> adopted_;  // guarded by adopt_mu_
  bool running_ = false;      // guarded by adopt_mu_
  std::atomic<int> open_{0};
  std::unique_ptr<httplib::ThreadPool> workers_;
  std::unique_ptr<httplib::ThreadPool> fast_workers_;
  std::thread thread_;
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_FRONT_H_
