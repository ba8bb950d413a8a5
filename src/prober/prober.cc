#include "prober/prober.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "probe/grpc.h"
#include "probe/http.h"
#include "probe/tcp.h"

namespace cubelet::prober {

const char* ProbeTypeName(ProbeType type) {
  switch (type) {
    case ProbeType::kLiveness:
      return "Liveness";
    case ProbeType::kReadiness:
      return "Readiness";
    case ProbeType::kStartup:
      return "Startup";
  }
  return "Unknown";
}

probe::Outcome RuntimeProber::Probe(ProbeType /*type*/, const api::Pod& pod,
                                    const api::PodStatus& status, const api::Container& container,
                                    const api::Probe& spec, const std::string& container_id) {
  const absl::Duration timeout = absl::Seconds(spec.timeout_seconds > 0 ? spec.timeout_seconds : 1);
  const api::ProbeHandler& h = spec.handler;
  auto host_or_pod_ip = [&](const std::string& host) {
    if (!host.empty()) return host;
    return pod.spec.host_network && status.pod_ip.empty() ? std::string("127.0.0.1")
                                                          : status.pod_ip;
  };
  if (h.exec.has_value()) {
    absl::StatusOr<cri::ExecSyncResponse> r =
        runtime_->ExecSync(container_id, h.exec->command, timeout);
    if (!r.ok()) {
      // The runtime's deadline is the probe's timeout: a command that does
      // not finish in time failed (upstream since 1.20).
      if (absl::IsDeadlineExceeded(r.status())) {
        return {probe::Result::kFailure,
                absl::StrCat("command timed out: ", absl::StrJoin(h.exec->command, " "))};
      }
      return {probe::Result::kUnknown, std::string(r.status().message())};
    }
    std::string output = r->stdout_data + r->stderr_data;
    if (r->exit_code == 0) return {probe::Result::kSuccess, std::move(output)};
    return {probe::Result::kFailure, absl::StrCat("command '", absl::StrJoin(h.exec->command, " "),
                                                  "' exited with ", r->exit_code, ": ", output)};
  }
  if (h.http_get.has_value()) {
    const api::HTTPGetAction& g = *h.http_get;
    probe::HttpTarget target;
    target.scheme = g.scheme.empty() ? "HTTP" : g.scheme;
    target.host = host_or_pod_ip(g.host);
    target.port = api::ResolvePort(g.port, container.ports);
    target.path = g.path.empty() ? "/" : g.path;
    for (const api::HTTPHeader& header : g.http_headers) {
      target.headers.emplace_back(header.name, header.value);
    }
    return probe::HttpGet(target, timeout);
  }
  if (h.tcp_socket.has_value()) {
    return probe::TcpConnect(host_or_pod_ip(h.tcp_socket->host),
                             api::ResolvePort(h.tcp_socket->port, container.ports), timeout);
  }
  if (h.grpc.has_value()) {
    return probe::GrpcHealthCheck(host_or_pod_ip(""), h.grpc->port, h.grpc->service.value_or(""),
                                  timeout);
  }
  return {probe::Result::kUnknown, "missing probe handler"};
}

}  // namespace cubelet::prober
