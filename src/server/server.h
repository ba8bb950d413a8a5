// Server: the agent's read-only HTTP API (the kubelet's read-only port) on
// cpp-httplib:
//   GET /healthz        200 "ok", or 500 with the reason AgentView::Healthy() gives
//   GET /pods           {"kind":"PodList","apiVersion":"v1","metadata":{},"items":[...]}
//   GET /metrics        the registry in the Prometheus text format 0.0.4
//   GET /containerLogs/{namespace}/{pod}/{container}
//                       ?tailLines=N&follow=true&previous=true&limitBytes=N&timestamps=true
//                       the container's CRI log as text (logs/container_logs.h);
//                       follow streams (chunked) until the client goes away, the
//                       pod disappears, the container restarts (a newer log file
//                       appears; the old one is drained first) or the server stops
//   GET /configz        the agent's configuration (options.configz)
//   GET /stats/summary  the node's and pods' resource usage (options.stats_summary;
//                       stats/summary_provider.h)
//   GET /metrics/resource  the summary's CPU and memory as Prometheus metrics
//                       (options.resource_metrics; stats/resource_metrics.h)
//   GET /metrics/cadvisor  cAdvisor's per-cgroup and machine metrics
//                       (options.cadvisor_metrics; stats/cadvisor_metrics.h)
//   GET /               the list of endpoints
// Unknown pods and containers are 404 with a message (`pod "default/x" not
// found`), bad query values 400; at most kMaxLogStreams follows run at once
// (503 beyond). Slow and idle clients cannot starve the workers: requests are
// only served once complete, within kRequestTimeout of the connection (see
// server/front.h). The server ignores SIGPIPE process-wide when it is at its
// default, so a client that disconnects never kills the agent.
//
// Ownership: borrows the view and options.registry (both must outlive the
// server). Owns its listening thread and worker pool.
// Thread-safety: Start/Stop/port may be called from any thread but Start and
// Stop are meant for the owner; the view is called from worker threads.
#ifndef CUBELET_SERVER_SERVER_H_
#define CUBELET_SERVER_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "metrics/registry.h"
#include "server/agent_view.h"

namespace cubelet::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 10255;  // 0 = pick a free port (tests); the agent disables the server itself when
                     // the flag is 0
  std::string pod_logs_dir = "/var/log/pods";
  const metrics::Registry* registry = nullptr;  // null: /metrics answers 404
  // The body of GET /configz ({"kubeletconfig":{...}}); empty: 404.
  std::string configz;
  // The body of GET /stats/summary (JSON); unset: 404, an error: 500.
  std::function<absl::StatusOr<std::string>()> stats_summary;
  // The body of GET /metrics/resource (Prometheus text); unset: 404.
  std::function<std::string()> resource_metrics;
  // The body of GET /metrics/cadvisor (Prometheus text); unset: 404.
  std::function<std::string()> cadvisor_metrics;
  // Only GET /healthz (the kubelet's healthz port, 10248).
  bool healthz_only = false;
  // false: binds nothing; serves only the connections handed to Serve()
  // (the secure server's requests, after their authentication).
  bool listen = true;
};

class Server {
 public:
  // Worker threads; each running follow holds one. /healthz and /metrics
  // have two more of their own.
  static constexpr int kWorkerThreads = 16;
  static constexpr int kMaxLogStreams = 10;
  // Limits against slow or idle clients (server/front.h): connections open at
  // once, time from accept to a complete request (idle ones are closed then
  // too), request header and body sizes.
  static constexpr int kMaxConnections = 512;
  static constexpr std::chrono::milliseconds kRequestTimeout{5000};
  static constexpr size_t kMaxHeaderBytes = 16 * 1024;
  static constexpr size_t kMaxBodyBytes = 64 * 1024;

  Server(const AgentView* view, ServerOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on its own threads. The error names address:port when
  // the bind fails; FailedPrecondition when already started (a stopped
  // server is not started again).
  absl::Status Start();
  // The bound port (after Start(); 0 before, and without listen).
  int port() const;
  // Serves one request arriving on the connected socket `fd` and closes it
  // (closed at once when the server is not running). Any thread.
  void Serve(int fd);
  // Ends running log streams and waits for the workers. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_SERVER_H_
