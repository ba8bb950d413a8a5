// SecureServer: the kubelet server on its secure port (10250), HTTPS:
//   - authenticates each request (server/auth.h: client certificate, bearer
//     token through the TokenAuthenticator, or anonymous) and authorizes it
//     on nodes/<subresource> (401 "Unauthorized", 403 "Forbidden (...)");
//   - /exec/{ns}/{pod}[/{uid}]/{container}?command=..&input=1&output=1..,
//     /attach/... and /portForward/{ns}/{pod}[/{uid}]: asks the runtime for
//     a streaming URL (StreamingHost) and relays the client's upgrade request
//     and then the connection byte for byte to it, as the kubelet's
//     proxyStream does: the SPDY or WebSocket session runs between the client
//     and the runtime's streaming server, nothing here speaks it;
//   - POST /run/{ns}/{pod}[/{uid}]/{container}?cmd=..: the command's output;
//   - every other path (/pods, /healthz, /metrics, /configz,
//     /containerLogs/...) is relayed to a plain Server of its own that binds
//     nothing (server.h, listen = false), over a socket pair.
// One thread per open connection, at most max_connections (503 beyond);
// the TLS handshake and the request head must arrive within
// request_timeout.
//
// Ownership: borrows the view (through the plain server), the host and the options' authenticator
// and authorizer (all must outlive the server); owns its threads and the plain server.
// Thread-safety: Start/Stop from the owner; port() from any thread.
#ifndef CUBELET_SERVER_SECURE_SERVER_H_
#define CUBELET_SERVER_SECURE_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/agent_view.h"
#include "server/auth.h"
#include "server/server.h"
#include "server/streaming_host.h"
#include "server/tls.h"

typedef struct ssl_st SSL;

namespace cubelet::server {

struct SecureServerOptions {
  std::string address = "0.0.0.0";
  int port = 10250;  // 0: a free port (tests)
  TlsOptions tls;
  bool anonymous = false;                // requests without credentials are system:anonymous
  TokenAuthenticator* tokens = nullptr;  // null: bearer tokens are refused
  Authorizer* authorizer = nullptr;      // required
  std::string node_name;                 // the "name" of the authorization attributes
  int max_connections = 256;
  std::chrono::milliseconds request_timeout{10000};
  // The plain server behind (its address, port and listen are ignored).
  ServerOptions plain;
};

// A parsed request head. Exposed for tests and the fuzzer.
struct RequestHead {
  std::string method;
  std::string target;                                        // path and query as sent
  std::string path;                                          // decoded
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // as sent

  // The first header of that name (case-insensitive), empty when absent.
  std::string Header(absl::string_view name) const;
};
// Parses "METHOD target HTTP/1.x\r\n" and header lines (without the blank
// line that ends them). InvalidArgument when malformed.
absl::StatusOr<RequestHead> ParseRequestHead(absl::string_view head);
// The query's values for `key`, percent-decoded ('+' is a space), in order.
std::vector<std::string> QueryValues(absl::string_view query, absl::string_view key);

class SecureServer {
 public:
  SecureServer(const AgentView* view, StreamingHost* host, SecureServerOptions options);
  ~SecureServer();  // stops
  SecureServer(const SecureServer&) = delete;
  SecureServer& operator=(const SecureServer&) = delete;

  // Loads or makes the certificate, binds and serves. The error names the
  // file or address:port at fault.
  absl::Status Start();
  int port() const { return port_.load(); }
  // Closes the listener and every open connection and waits for their
  // threads. Idempotent.
  void Stop();

 private:
  void AcceptLoop();
  void Handle(int fd);
  // Authenticates and authorizes; on refusal writes the answer and returns
  // false.
  bool Admit(SSL* ssl, const RequestHead& head);
  void Route(SSL* ssl, int fd, const RequestHead& head, std::string raw);
  void Stream(SSL* ssl, int fd, const RequestHead& head, const std::string& url, std::string extra);
  // Copies bytes both ways until the backend closes or either side fails.
  void Relay(SSL* ssl, int fd, int backend, std::string to_backend);

  StreamingHost* const host_;
  const SecureServerOptions options_;
  Server plain_;
  std::unique_ptr<TlsServerContext> tls_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd, readable once stopping
  std::atomic<int> port_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable idle_;
  absl::flat_hash_set<int> open_;  // connections being served; guarded by mu_
  bool stopping_ = false;          // guarded by mu_
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_SECURE_SERVER_H_
