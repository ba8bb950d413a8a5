// HandlerRunner: runs a container's lifecycle handlers (postStart, preStop)
// as upstream pkg/kubelet/lifecycle/handlers.go: exec through the CRI's
// ExecSync, httpGet against the handler's host or else the pod IP, sleep;
// tcpSocket is accepted and not run (as upstream). The HTTP client and the
// clock the sleep action waits on are injected, so tests of hooks neither
// open sockets nor sleep.
//
// Ownership: `runtime`, `http` and `clock` are not owned and must outlive
// the runner.
// Thread-safety: Run may be called concurrently (it keeps no state; the
// HttpGetter must be thread-safe).
#ifndef CUBELET_KUBERUNTIME_LIFECYCLE_HANDLERS_H_
#define CUBELET_KUBERUNTIME_LIFECYCLE_HANDLERS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "cri/runtime_service.h"
#include "probe/http.h"
#include "probe/probe.h"
#include "util/cancellation.h"
#include "util/clock.h"

namespace cubelet::kuberuntime {

// Performs the GET of an httpGet handler (upstream's HTTPDoer).
class HttpGetter {
 public:
  virtual ~HttpGetter() = default;
  // GETs `target`, taking at most about `timeout`; a status in [200, 400)
  // succeeds.
  virtual probe::Outcome Get(const probe::HttpTarget& target, absl::Duration timeout) = 0;
};

// The real getter: probe::HttpGet (cpp-httplib). Stateless; lives forever.
HttpGetter* DefaultHttpGetter();

class HandlerRunner {
 public:
  // `http` null: DefaultHttpGetter().
  HandlerRunner(cri::RuntimeService* runtime, HttpGetter* http, Clock* clock)
      : runtime_(runtime), http_(http != nullptr ? http : DefaultHttpGetter()), clock_(clock) {}

  // Runs `handler` for the container `container_id` of pod `pod_uid`. exec
  // runs without a timeout (as upstream: the command lives until it exits or
  // the container dies); httpGet and sleep take at most about `timeout`.
  // httpGet goes to the handler's host or else the
  // pod IP (`pod_ips`, or looked up from the pod's sandbox when null); named
  // ports resolve through `ports`. sleep waits on the clock for the lesser
  // of its seconds and `timeout` (OK), unless `cancel` (may be null) fires
  // first: then it fails, as upstream's "container terminated before sleep
  // hook finished".
  absl::Status Run(const std::string& pod_uid, const std::string& container_id,
                   const std::vector<api::ContainerPort>& ports,
                   const api::LifecycleHandler& handler, absl::Duration timeout,
                   const std::vector<std::string>* pod_ips, const CancelTokenPtr& cancel);

 private:
  // The IPs of the pod's ready sandbox (none for host-network pods).
  std::vector<std::string> PodIps(const std::string& pod_uid);

  cri::RuntimeService* const runtime_;
  HttpGetter* const http_;
  Clock* const clock_;
};

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_LIFECYCLE_HANDLERS_H_
