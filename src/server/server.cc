#include "server/server.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/json.h"
#include "httplib.h"
#include "logs/container_logs.h"
#include "server/front.h"
#include "server/pod_list_renderer.h"
#include "util/log.h"

namespace cubelet::server {
namespace {

using logs::ContainerLogDir;
using logs::ListLogNumbers;
using logs::LogFileReader;
using logs::LogOptions;
using logs::ParseLogOptions;

constexpr char kTextPlain[] = "text/plain; charset=utf-8";
constexpr char kMetricsContentType[] = "text/plain; version=0.0.4";
// How often a follow looks for appended data, and for the pod still existing.
constexpr auto kLogPollInterval = std::chrono::milliseconds(100);
constexpr auto kPodCheckInterval = std::chrono::seconds(1);

constexpr char kIndex[] =
    "cubelet read-only API\n"
    "GET /healthz\n"
    "GET /pods\n"
    "GET /metrics\n"
    "GET /stats/summary\n"
    "GET /metrics/resource\n"
    "GET /containerLogs/{namespace}/{pod}/{container}"
    "?tailLines=N&follow=true&previous=true&limitBytes=N&timestamps=true&sinceSeconds=N&sinceTime="
    "T\n";

std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

void IgnoreSigpipe() {
  // cpp-httplib sends without MSG_NOSIGNAL: a write to a socket the client
  // closed would raise SIGPIPE and kill the process.
  struct sigaction current;
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    ::signal(SIGPIPE, SIG_IGN);
  }
}

void Reply(httplib::Response& res, int status, std::string body,
           const char* content_type = kTextPlain) {
  res.status = status;
  res.set_content(std::string(), content_type);  // the header; then the body, not copied
  res.body = std::move(body);
}

const api::Pod* FindPod(const std::vector<api::Pod>& pods, const std::string& namespace_,
                        const std::string& name) {
  for (const api::Pod& p : pods) {
    if (p.metadata.namespace_ == namespace_ && p.metadata.name == name) return &p;
  }
  return nullptr;
}

bool HasContainer(const api::Pod& pod, const std::string& name) {
  for (const auto* list :
       {&pod.spec.containers, &pod.spec.init_containers, &pod.spec.ephemeral_containers}) {
    for (const api::Container& c : *list) {
      if (c.name == name) return true;
    }
  }
  return false;
}

const api::ContainerStatus* FindStatus(const api::Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.status.container_statuses, &pod.status.init_container_statuses,
                           &pod.status.ephemeral_container_statuses}) {
    for (const api::ContainerStatus& s : *list) {
      if (s.name == name) return &s;
    }
  }
  return nullptr;
}

}  // namespace

class Server::Impl {
 public:
  Impl(const AgentView* view, ServerOptions options) : view_(view), options_(std::move(options)) {}

  absl::Status Start();
  void Stop();
  int port() const { return port_.load(); }
  void Serve(int fd);

 private:
  // One log response in progress. A follow holds one of the kMaxLogStreams
  // slots until it is destroyed.
  struct LogStream {
    LogStream(Impl* impl, bool follow) : impl(impl), follow(follow) {}
    ~LogStream() {
      if (follow) impl->log_streams_.fetch_sub(1);
    }
    LogStream(const LogStream&) = delete;
    LogStream& operator=(const LogStream&) = delete;

    Impl* const impl;
    const bool follow;
    std::unique_ptr<LogFileReader> reader;
    std::string namespace_, pod_name, pod_uid, dir;
    int64_t number = 0;     // the file's restart number
    bool draining = false;  // a newer file appeared: end at the end of this one
    std::chrono::steady_clock::time_point next_pod_check;
  };

  void Routes();
  void HandleHealthz(httplib::Response& res) const;
  void HandleLogs(const httplib::Request& req, httplib::Response& res);
  // The chunked provider's body: writes what is available, waits while
  // following. Returns false when the client is gone.
  bool ProduceLogs(LogStream& s, httplib::DataSink& sink);
  bool PodStillThere(const LogStream& s) const;

  const AgentView* const view_;
  PodListRenderer pod_list_;
  const ServerOptions options_;
  httplib::Server http_;
  std::mutex mu_;  // Start/Stop
  bool started_ = false;
  std::unique_ptr<Front> front_;
  std::atomic<bool> stopping_{false};
  bool routes_ = false;
  std::atomic<int> port_{0};
  std::atomic<int> log_streams_{0};
};

absl::Status Server::Impl::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return absl::FailedPreconditionError("the server was already started");
  IgnoreSigpipe();
  if (!routes_) Routes();  // once, even if a bind failed before
  routes_ = true;
  // SO_REUSEADDR only: with SO_REUSEPORT a second agent would share the port.
  http_.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // The front (front.h) hands a worker a connection only once its request is
  // complete, and one request per connection: a worker never waits for a
  // client.
  http_.set_keep_alive_max_count(1);
  http_.set_keep_alive_timeout(1);
  http_.set_read_timeout(std::chrono::seconds(5));
  http_.set_write_timeout(std::chrono::seconds(5));
  http_.set_payload_max_length(Server::kMaxBodyBytes);

  errno = 0;
  int port = options_.port;
  bool bound = !options_.listen;
  if (!options_.listen) {
    port = 0;
  } else if (options_.port == 0) {
    port = http_.bind_to_any_port(options_.address);
    bound = port > 0;
  } else {
    bound = http_.bind_to_port(options_.address, options_.port);
  }
  if (!bound) {
    int err = errno;
    std::string why = err != 0 ? std::strerror(err) : "bind failed";
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", HostPort(options_.address, options_.port), ": ", why));
  }
  FrontOptions front;
  front.max_connections = Server::kMaxConnections;
  front.header_timeout = Server::kRequestTimeout;
  front.max_header_bytes = Server::kMaxHeaderBytes;
  front.max_body_bytes = Server::kMaxBodyBytes;
  front.workers = Server::kWorkerThreads;
  front.fast_workers = 2;
  front.accept = options_.listen;
  // Health and metrics have their own workers: never behind log follows.
  front.is_fast = [](std::string_view line) {
    for (std::string_view path : {"GET /healthz", "GET /metrics"}) {
      if (line.starts_with(path) && line.size() > path.size() &&
          (line[path.size()] == ' ' || line[path.size()] == '?')) {
        return true;
      }
    }
    return false;
  };
  front_ = std::make_unique<Front>(&http_, std::move(front));
  if (absl::Status s = front_->Start(); !s.ok()) return s;
  started_ = true;
  port_.store(port);
  if (options_.listen) {
    VLOG(1) << "Serving the read-only API on http://" << HostPort(options_.address, port);
  }
  return absl::OkStatus();
}

void Server::Impl::Serve(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (front_ == nullptr) {
    ::close(fd);
    return;
  }
  front_->Adopt(fd);
}

void Server::Impl::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || front_ == nullptr) return;
  stopping_.store(true);
  // Returns after the workers finished their requests (follows see stopping_
  // within a poll interval).
  front_->Stop();
  front_.reset();
}

void Server::Impl::Routes() {
  http_.Get("/healthz",
            [this](const httplib::Request&, httplib::Response& res) { HandleHealthz(res); });
  if (options_.healthz_only) return;
  http_.Get("/", [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, kIndex); });
  if (!options_.configz.empty()) {
    http_.Get("/configz", [this](const httplib::Request&, httplib::Response& res) {
      Reply(res, 200, options_.configz, "application/json");
    });
  }
  http_.Get("/pods", [this](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, pod_list_.Render(view_->GetPods()), "application/json");
  });
  http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (options_.registry == nullptr) {
      Reply(res, 404, "metrics are not enabled\n");
      return;
    }
    Reply(res, 200, options_.registry->Render(), kMetricsContentType);
  });
  http_.Get("/stats/summary", [this](const httplib::Request&, httplib::Response& res) {
    if (!options_.stats_summary) {
      Reply(res, 404, "stats are not enabled\n");
      return;
    }
    absl::StatusOr<std::string> summary = options_.stats_summary();
    if (!summary.ok()) {
      Reply(res, 500,
            absl::StrCat("failed to get node summary: ", summary.status().message(), "\n"));
      return;
    }
    Reply(res, 200, *summary, "application/json");
  });
  http_.Get("/metrics/cadvisor", [this](const httplib::Request&, httplib::Response& res) {
    if (!options_.cadvisor_metrics) {
      // A Prometheus comment as the body: the node e2e suite parses the
      // body whatever the status, and its parser never returns on
      // "404 page not found".
      Reply(res, 404, "# cAdvisor metrics are not enabled\n", kMetricsContentType);
      return;
    }
    Reply(res, 200, options_.cadvisor_metrics(), kMetricsContentType);
  });
  http_.Get("/metrics/resource", [this](const httplib::Request&, httplib::Response& res) {
    if (!options_.resource_metrics) {
      Reply(res, 404, "stats are not enabled\n");
      return;
    }
    Reply(res, 200, options_.resource_metrics(), kMetricsContentType);
  });
  http_.Get(R"(/containerLogs/([^/]+)/([^/]+)/([^/]+))",
            [this](const httplib::Request& req, httplib::Response& res) { HandleLogs(req, res); });

  http_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_content(
        res.status == 404 ? "404 page not found\n" : absl::StrCat("HTTP status ", res.status, "\n"),
        kTextPlain);
  });
  http_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        LOG(ERROR) << "HTTP " << req.method << " " << req.path << ": " << what;
        Reply(res, 500, absl::StrCat("internal error: ", what, "\n"));
      });
  http_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    VLOG(4) << "HTTP " << req.method << " " << req.path << " " << res.status << " from "
            << req.remote_addr;
  });
}

void Server::Impl::HandleHealthz(httplib::Response& res) const {
  absl::Status healthy = view_->Healthy();
  if (healthy.ok()) {
    Reply(res, 200, "ok");
    return;
  }
  Reply(res, 500, std::string(healthy.message().empty() ? healthy.ToString() : healthy.message()));
}

void Server::Impl::HandleLogs(const httplib::Request& req, httplib::Response& res) {
  const std::string namespace_ = req.matches[1];
  const std::string pod_name = req.matches[2];
  const std::string container = req.matches[3];

  absl::StatusOr<LogOptions> options = ParseLogOptions(req.params);
  if (!options.ok()) {
    Reply(res, 400, std::string(options.status().message()) + "\n");
    return;
  }
  std::vector<api::Pod> pods = view_->GetPods();
  const api::Pod* pod = FindPod(pods, namespace_, pod_name);
  if (pod == nullptr) {
    Reply(res, 404, absl::StrCat("pod \"", namespace_, "/", pod_name, "\" not found\n"));
    return;
  }
  if (!HasContainer(*pod, container)) {
    Reply(res, 404,
          absl::StrCat("container \"", container, "\" in pod \"", pod_name, "\" not found\n"));
    return;
  }

  const std::string dir = ContainerLogDir(options_.pod_logs_dir, *pod, container);
  std::vector<int64_t> numbers = ListLogNumbers(dir);
  size_t index = options->previous ? 1 : 0;
  if (numbers.size() <= index) {
    if (options->previous) {
      Reply(res, 404,
            absl::StrCat("previous terminated container \"", container, "\" in pod \"", pod_name,
                         "\" not found\n"));
      return;
    }
    const api::ContainerStatus* status = FindStatus(*pod, container);
    if (status == nullptr || status->state.waiting.has_value()) {
      std::string reason = status != nullptr && !status->state.waiting->reason.empty()
                               ? status->state.waiting->reason
                               : "ContainerCreating";
      Reply(res, 400,
            absl::StrCat("container \"", container, "\" in pod \"", pod_name,
                         "\" is waiting to start: ", reason, "\n"));
      return;
    }
    Reply(res, 404,
          absl::StrCat("log file for container \"", container, "\" in pod \"", pod_name,
                       "\" not found\n"));
    return;
  }

  if (options->follow && log_streams_.fetch_add(1) >= kMaxLogStreams) {
    log_streams_.fetch_sub(1);
    Reply(res, 503, "too many log streams; try again later\n");
    return;
  }
  // From here on the stream owns the slot.
  auto stream = std::make_shared<LogStream>(this, options->follow);
  stream->namespace_ = namespace_;
  stream->pod_name = pod_name;
  stream->pod_uid = pod->metadata.uid;
  stream->dir = dir;
  stream->number = numbers[index];
  stream->next_pod_check = std::chrono::steady_clock::now() + kPodCheckInterval;
  absl::StatusOr<std::unique_ptr<LogFileReader>> reader =
      LogFileReader::Open(absl::StrCat(dir, "/", stream->number, ".log"), *options);
  if (!reader.ok()) {
    // Removed between listing and opening: as if it never existed.
    Reply(res, absl::IsNotFound(reader.status()) ? 404 : 500,
          std::string(reader.status().message()) + "\n");
    return;
  }
  stream->reader = std::move(*reader);
  res.status = 200;
  res.set_chunked_content_provider(kTextPlain,
                                   [this, stream](size_t /*offset*/, httplib::DataSink& sink) {
                                     return ProduceLogs(*stream, sink);
                                   });
}

bool Server::Impl::ProduceLogs(LogStream& s, httplib::DataSink& sink) {
  std::string out;
  while (true) {
    if (stopping_.load()) {
      sink.done();
      return true;
    }
    out.clear();
    absl::StatusOr<size_t> n = s.reader->Read(&out);
    if (!n.ok()) {
      // The status line is sent: all that can be done is to end the body.
      LOG(WARNING) << "containerLogs " << s.namespace_ << "/" << s.pod_name << ": " << n.status();
      sink.done();
      return true;
    }
    if (!out.empty() && !sink.write(out.data(), out.size())) return false;
    if (s.reader->limit_reached()) {
      sink.done();
      return true;
    }
    if (*n > 0) {
      if (!out.empty()) return true;  // let httplib check the connection, then call again
      continue;
    }
    // Nothing new in the file.
    if (!s.follow || s.draining) {
      sink.done();
      return true;
    }
    if (s.reader->ReopenIfReplaced()) continue;
    std::vector<int64_t> numbers = ListLogNumbers(s.dir);
    if (!numbers.empty() && numbers.front() > s.number) {
      // The container restarted: read what the old one wrote last, then end.
      s.draining = true;
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= s.next_pod_check) {
      if (!PodStillThere(s)) {
        sink.done();
        return true;
      }
      s.next_pod_check = now + kPodCheckInterval;
    }
    if (!sink.is_writable()) return false;
    std::this_thread::sleep_for(kLogPollInterval);
  }
}

bool Server::Impl::PodStillThere(const LogStream& s) const {
  std::vector<api::Pod> pods = view_->GetPods();
  const api::Pod* pod = FindPod(pods, s.namespace_, s.pod_name);
  return pod != nullptr && pod->metadata.uid == s.pod_uid;
}

// ---- Server ----

Server::Server(const AgentView* view, ServerOptions options)
    : impl_(std::make_unique<Impl>(view, std::move(options))) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() { return impl_->Start(); }
void Server::Serve(int fd) { impl_->Serve(fd); }

int Server::port() const { return impl_->port(); }

void Server::Stop() { impl_->Stop(); }

}  // namespace cubelet::server
