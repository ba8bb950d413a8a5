#include "kuberuntime/lifecycle_handlers.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kuberuntime/labels.h"
#include "probe/http.h"

namespace cubelet::kuberuntime {
namespace {

class ProbeHttpGetter final : public HttpGetter {
 public:
  probe::Outcome Get(const probe::HttpTarget& target, absl::Duration timeout) override {
    return probe::HttpGet(target, timeout);
  }
};

}  // namespace

HttpGetter* DefaultHttpGetter() {
  static ProbeHttpGetter getter;
  return &getter;
}

absl::Status HandlerRunner::Run(const std::string& pod_uid, const std::string& container_id,
                                const std::vector<api::ContainerPort>& ports,
                                const api::LifecycleHandler& handler, absl::Duration timeout,
                                const std::vector<std::string>* pod_ips,
                                const CancelTokenPtr& cancel) {
  if (handler.exec.has_value()) {
    // No timeout, as the kubelet runs hooks: a preStop command outliving the
    // grace period is not killed then but keeps running until the stop's
    // SIGKILL ends the container (the caller stops waiting at the grace).
    absl::StatusOr<cri::ExecSyncResponse> r =
        runtime_->ExecSync(container_id, handler.exec->command, absl::ZeroDuration());
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      return absl::UnknownError(absl::StrCat("command '", absl::StrJoin(handler.exec->command, " "),
                                             "' exited with ", r->exit_code, ": ", r->stdout_data,
                                             r->stderr_data));
    }
    return absl::OkStatus();
  }
  if (handler.http_get.has_value()) {
    const api::HTTPGetAction& g = *handler.http_get;
    probe::HttpTarget target;
    target.scheme = g.scheme.empty() ? "HTTP" : g.scheme;
    target.host = g.host;
    if (target.host.empty()) {
      std::vector<std::string> ips = pod_ips != nullptr ? *pod_ips : PodIps(pod_uid);
      // A host-network pod has no IP of its own: it shares the node's.
      target.host = ips.empty() ? "127.0.0.1" : ips.front();
    }
    target.port = api::ResolvePort(g.port, ports);
    target.path = g.path.empty() ? "/" : g.path;
    for (const api::HTTPHeader& h : g.http_headers) target.headers.emplace_back(h.name, h.value);
    probe::Outcome outcome = http_->Get(target, timeout);
    if (!outcome.ok()) {
      return absl::UnknownError(
          absl::StrCat("HTTP lifecycle hook (", target.path, ") failed: ", outcome.output));
    }
    return absl::OkStatus();
  }
  if (handler.sleep.has_value()) {
    if (!clock_->SleepFor(std::min(absl::Seconds(handler.sleep->seconds), timeout), cancel)) {
      return absl::CancelledError("container terminated before sleep hook finished");
    }
    return absl::OkStatus();
  }
  // tcpSocket is accepted by the API for compatibility but never run (as
  // upstream).
  return absl::OkStatus();
}

std::vector<std::string> HandlerRunner::PodIps(const std::string& pod_uid) {
  std::vector<std::string> ips;
  absl::StatusOr<std::vector<cri::PodSandbox>> sandboxes =
      runtime_->ListPodSandbox(cri::PodSandboxFilter{.state = cri::PodSandboxState::kReady,
                                                     .label_selector = {{kPodUidLabel, pod_uid}}});
  if (!sandboxes.ok() || sandboxes->empty()) return ips;
  absl::StatusOr<cri::PodSandboxStatus> s = runtime_->GetPodSandboxStatus(sandboxes->front().id);
  if (!s.ok() || s->ip.empty()) return ips;
  ips.push_back(s->ip);
  for (const std::string& ip : s->additional_ips) ips.push_back(ip);
  return ips;
}

}  // namespace cubelet::kuberuntime
