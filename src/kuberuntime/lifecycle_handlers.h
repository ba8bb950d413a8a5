// HandlerRunner: runs a container's lifecycle handlers (postStart, preStop)
// as upstream pkg/kubelet/lifecycle/handlers.go: exec through the CRI's
// ExecSync, httpGet against the handler's host or else the pod IP, sleep;
// tcpSocket is accepted and not run (as upstream).
//
// Ownership: `runtime` is not owned and must outlive the runner.
// Thread-safety: Run may be called concurrently (it keeps no state).
#ifndef CUBELET_KUBERUNTIME_LIFECYCLE_HANDLERS_H_
#define CUBELET_KUBERUNTIME_LIFECYCLE_HANDLERS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "cri/runtime_service.h"

namespace cubelet::kuberuntime {

class HandlerRunner {
 public:
  explicit HandlerRunner(cri::RuntimeService* runtime) : runtime_(runtime) {}

  // Runs `handler` for the container `container_id` of pod `pod_uid`, taking
  // at most about `timeout`. httpGet goes to the handler's host or else the
  // pod IP (`pod_ips`, or looked up from the pod's sandbox when null); named
  // ports resolve through `ports`.
  absl::Status Run(const std::string& pod_uid, const std::string& container_id,
                   const std::vector<api::ContainerPort>& ports,
                   const api::LifecycleHandler& handler, absl::Duration timeout,
                   const std::vector<std::string>* pod_ips);

 private:
  // The IPs of the pod's ready sandbox (none for host-network pods).
  std::vector<std::string> PodIps(const std::string& pod_uid);

  cri::RuntimeService* const runtime_;
};

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_LIFECYCLE_HANDLERS_H_
