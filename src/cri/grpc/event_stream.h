// What the runtime event sources (cri_events.h: the CRI's GetContainerEvents;
// cri/containerd: containerd's events service) share: a channel that comes
// back soon after the runtime restarts, and the once-only "the stream is
// live" signal that a Watch raises from its reading thread or a helper.
//
// Thread-safety: StreamReadiness may be used from any thread.
#ifndef CUBELET_CRI_GRPC_EVENT_STREAM_H_
#define CUBELET_CRI_GRPC_EVENT_STREAM_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace cubelet::cri {

// A channel to `endpoint` (as for GrpcRuntime::Connect) that reconnects
// within 100 ms to 3 s: the relist covers the gap, but the sooner a stream
// is back the sooner events are seen at once.
absl::StatusOr<std::shared_ptr<::grpc::Channel>> NewEventStreamChannel(const std::string& endpoint);

// Calls `on_ready` at most once: at the first Fire before Done.
class StreamReadiness {
 public:
  explicit StreamReadiness(std::function<void()> on_ready) : on_ready_(std::move(on_ready)) {}

  void Fire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ready_ || done_) return;
      ready_ = true;
    }
    cv_.notify_all();
    on_ready_();
  }
  // The stream ended: no Fire counts any more, and waiters return.
  void Done() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
  }
  // Waits up to `timeout`; true once fired or done.
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return ready_ || done_; });
  }

 private:
  const std::function<void()> on_ready_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  bool done_ = false;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_GRPC_EVENT_STREAM_H_
