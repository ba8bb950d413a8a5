// HttpSource: the manifest URL source (--manifest-url), upstream
// pkg/kubelet/config/http.go, plus the minimal plain-HTTP client it needs.
//
// Polls the URL every `period` with GET. The body may hold one pod, several
// YAML/JSON documents, or a v1 PodList. Good pods get the static pod defaults
// (source "http", path = URL) and are emitted as one kSet PodUpdate when they
// differ from the last snapshot (and on the first good fetch); bad documents
// are reported and skipped. When the fetch itself fails (connection, timeout,
// non-200 status) the error is reported and the last good snapshot stands. An
// empty 200 body yields an empty snapshot (as upstream, so the source counts as
// seen) and is reported.
//
// Only http://host[:port][/path] is supported: no TLS, no redirects, no
// proxies. Ownership: owns its polling thread and wake-up descriptor.
// Thread-safety: Start()/Stop() from the owner's thread; callbacks run on the
// polling thread (or the caller of FetchOnce()) without locks held and must not
// call Stop(). FetchOnce() and HttpGet() may be called from any thread.
#ifndef CUBELET_CONFIG_HTTP_SOURCE_H_
#define CUBELET_CONFIG_HTTP_SOURCE_H_

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "api/pod.h"
#include "config/file_source.h"
#include "config/pod_update.h"
#include "config/stoppable_thread.h"

namespace cubelet::config {

struct HttpResponse {
  int status_code = 0;
  std::string reason;  // "OK", "Internal Server Error"
  std::string body;
};

// GET `url` (http://host[:port][/path][?query]) with HTTP/1.1 and
// "Connection: close"; understands Content-Length, chunked and read-to-EOF
// bodies. Fails with InvalidArgument for other URLs, DeadlineExceeded when the
// whole exchange exceeds `timeout`, Unavailable for network errors, and
// ResourceExhausted for bodies over api::kMaxManifestBytes.
absl::StatusOr<HttpResponse> HttpGet(const std::string& url, std::chrono::milliseconds timeout);

struct HttpSourceOptions {
  std::string url;
  std::string node_name;
  std::chrono::milliseconds period = std::chrono::seconds(20);
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

class HttpSource {
 public:
  HttpSource(HttpSourceOptions options, UpdateCallback on_update, ErrorCallback on_error);
  ~HttpSource();  // Stop()s

  HttpSource(const HttpSource&) = delete;
  HttpSource& operator=(const HttpSource&) = delete;

  // Starts polling; the first fetch happens at once. No-op when running.
  void Start();
  // Wakes and joins the polling thread (an in-flight fetch finishes or times
  // out first). Idempotent.
  void Stop();

  // Fetches and parses once, reporting document problems to `on_error`; does
  // not emit. The status is the fetch failure, if any.
  absl::StatusOr<std::vector<api::PodPtr>> FetchOnce();

 private:
  void Run();

  const HttpSourceOptions options_;
  const UpdateCallback on_update_;
  const ErrorCallback on_error_;
  StoppableThread worker_;
};

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_HTTP_SOURCE_H_
