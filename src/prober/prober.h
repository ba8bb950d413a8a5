// Prober: runs one probe of one container once (the kubelet's
// pkg/kubelet/prober/prober.go). RuntimeProber does it for real: exec probes
// through the CRI's ExecSync, httpGet/tcpSocket/grpc against the pod IP (or
// the probe's host), with the probe's timeout. The ProberManager decides when
// to call it and what the verdicts mean; FakeProber (testing/) scripts them.
//
// Ownership: RuntimeProber borrows the CRI runtime service, which must outlive
// it. Thread-safety: Probe() may be called concurrently.
#ifndef CUBELET_PROBER_PROBER_H_
#define CUBELET_PROBER_PROBER_H_

#include <string>

#include "api/pod.h"
#include "cri/runtime_service.h"
#include "probe/probe.h"

namespace cubelet::prober {

enum class ProbeType { kLiveness, kReadiness, kStartup };

// "Liveness", "Readiness", "Startup" (the kubelet's log and event wording).
const char* ProbeTypeName(ProbeType type);

class Prober {
 public:
  virtual ~Prober() = default;
  // `container_id` is the runtime id (no "containerd://" prefix); `status` is
  // the pod's latest API status (its podIP is the default probe host).
  virtual probe::Outcome Probe(ProbeType type, const api::Pod& pod, const api::PodStatus& status,
                               const api::Container& container, const api::Probe& spec,
                               const std::string& container_id) = 0;
};

class RuntimeProber final : public Prober {
 public:
  explicit RuntimeProber(cri::RuntimeService* runtime) : runtime_(runtime) {}

  probe::Outcome Probe(ProbeType type, const api::Pod& pod, const api::PodStatus& status,
                       const api::Container& container, const api::Probe& spec,
                       const std::string& container_id) override;

 private:
  cri::RuntimeService* const runtime_;
};

}  // namespace cubelet::prober

#endif  // CUBELET_PROBER_PROBER_H_
