// A thin client for the daemon's read-only HTTP API (the kubelet's
// `--read-only-port` endpoints): GET /pods and GET /containerLogs/...
//
// Errors: Unavailable when the server cannot be reached (the message names the
// URL); for HTTP errors the code follows the status (404 -> NotFound, ...), the
// message is the server's body text and HttpStatusOf() gives the status.
//
// One ApiClient is used by one thread at a time (each call opens its own
// connection); it owns nothing but its settings.
#ifndef CUBELET_CLI_CLIENT_H_
#define CUBELET_CLI_CLIENT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/pod.h"

namespace cubelet::cli {

inline constexpr char kDefaultServer[] = "http://127.0.0.1:10255";

// `http[s]://host[:port][/prefix]`; a bare `host:port` means http.
struct ServerUrl {
  std::string scheme_host_port;  // "http://127.0.0.1:10255"
  std::string path_prefix;       // "" or "/prefix" (no trailing slash)
};
absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view url);

struct LogOptions {
  bool follow = false;
  bool previous = false;
  bool timestamps = false;
  std::optional<int64_t> tail_lines;  // unset: the whole log
};

// The HTTP status of an error the server replied with; nullopt for other
// errors (e.g. the server could not be reached).
std::optional<int> HttpStatusOf(const absl::Status& status);

class ApiClient {
 public:
  // `server` as given to --server; InvalidArgument when it is not a URL.
  static absl::StatusOr<ApiClient> Create(std::string_view server);

  // The request path for a container's logs, query included.
  static std::string LogsPath(std::string_view ns, std::string_view pod, std::string_view container,
                              const LogOptions& options);

  const std::string& server() const { return server_; }

  // GET /pods, decoded (status included).
  absl::StatusOr<std::vector<api::Pod>> ListPods() const;

  // GET /containerLogs/{ns}/{pod}/{container}; `sink` receives the body as it
  // arrives (return false to stop; that is not an error).
  absl::Status StreamLogs(std::string_view ns, std::string_view pod, std::string_view container,
                          const LogOptions& options,
                          const std::function<bool(std::string_view)>& sink) const;

 private:
  ApiClient(std::string server, ServerUrl url) : server_(std::move(server)), url_(std::move(url)) {}

  std::string server_;  // as given, for messages
  ServerUrl url_;
};

}  // namespace cubelet::cli

#endif  // CUBELET_CLI_CLIENT_H_
