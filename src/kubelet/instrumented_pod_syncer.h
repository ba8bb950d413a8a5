// InstrumentedPodSyncer: a PodSyncer decorator that times every step into the
// kubelet's kubelet_pod_worker_duration_seconds{operation_type} histogram
// ("create", "update", "sync" for SyncPod by update type; "terminating",
// "terminating_runtime", "terminated" for the other steps).
//
// Ownership: borrows the wrapped syncer, the histogram family and the clock.
// Thread-safety: as the wrapped syncer (the histograms are thread-safe).
#ifndef CUBELET_KUBELET_INSTRUMENTED_POD_SYNCER_H_
#define CUBELET_KUBELET_INSTRUMENTED_POD_SYNCER_H_

#include "metrics/registry.h"
#include "podworkers/pod_syncer.h"
#include "util/clock.h"

namespace cubelet::kubelet {

class InstrumentedPodSyncer final : public podworkers::PodSyncer {
 public:
  InstrumentedPodSyncer(podworkers::PodSyncer* inner, metrics::HistogramVec* durations,
                        const Clock* clock)
      : inner_(inner), durations_(durations), clock_(clock) {}

  absl::StatusOr<bool> SyncPod(const CancelTokenPtr& cancel, podworkers::SyncPodType update_type,
                               const api::PodPtr& pod, const api::PodPtr& mirror_pod,
                               const container::PodStatusPtr& status) override {
    absl::Time start = clock_->Now();
    auto result = inner_->SyncPod(cancel, update_type, pod, mirror_pod, status);
    Observe(podworkers::ToString(update_type), start);
    return result;
  }
  absl::Status SyncTerminatingPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                  const container::PodStatusPtr& status,
                                  std::optional<int64_t> grace_period,
                                  const podworkers::PodStatusFunc& pod_status_fn) override {
    absl::Time start = clock_->Now();
    absl::Status result =
        inner_->SyncTerminatingPod(cancel, pod, status, grace_period, pod_status_fn);
    Observe("terminating", start);
    return result;
  }
  absl::Status SyncTerminatingRuntimePod(const CancelTokenPtr& cancel,
                                         const container::Pod& running_pod) override {
    absl::Time start = clock_->Now();
    absl::Status result = inner_->SyncTerminatingRuntimePod(cancel, running_pod);
    Observe("terminating_runtime", start);
    return result;
  }
  absl::Status SyncTerminatedPod(const CancelTokenPtr& cancel, const api::PodPtr& pod,
                                 const container::PodStatusPtr& status) override {
    absl::Time start = clock_->Now();
    absl::Status result = inner_->SyncTerminatedPod(cancel, pod, status);
    Observe("terminated", start);
    return result;
  }

 private:
  void Observe(const char* operation, absl::Time start) {
    durations_->WithLabels({operation})->Observe(absl::ToDoubleSeconds(clock_->Now() - start));
  }

  podworkers::PodSyncer* const inner_;
  metrics::HistogramVec* const durations_;
  const Clock* const clock_;
};

}  // namespace cubelet::kubelet

#endif  // CUBELET_KUBELET_INSTRUMENTED_POD_SYNCER_H_
