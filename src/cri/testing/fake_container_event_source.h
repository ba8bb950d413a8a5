// FakeContainerEventSource: a cri::ContainerEventSource a test scripts by
// hand: publish events (in any order, twice, for unknown ids), break the
// stream, refuse it as Unimplemented. Header-only.
//
// Watch is live as soon as it is called (on_ready runs at once, on the
// watching thread); events published while no Watch runs are lost, as on a
// real stream.
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_CRI_TESTING_FAKE_CONTAINER_EVENT_SOURCE_H_
#define CUBELET_CRI_TESTING_FAKE_CONTAINER_EVENT_SOURCE_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "cri/container_events.h"

namespace cubelet::cri::testing {

class FakeContainerEventSource final : public ContainerEventSource {
 public:
  explicit FakeContainerEventSource(std::string name = "fake events") : name_(std::move(name)) {}

  // Every later Watch returns `status` at once, never live (OK: serve).
  void RefuseWatches(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = std::move(status);
  }
  // Delivers `event` to the live Watch; false (and dropped) if none.
  bool Publish(ContainerEvent event) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!live_) return false;
      queue_.push_back(std::move(event));
    }
    cv_.notify_all();
    return true;
  }
  // Ends the live Watch with `why` once the queued events are delivered.
  void Break(absl::Status why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      break_ = std::move(why);
    }
    cv_.notify_all();
  }
  // Waits (real time) until a Watch is live and the number of Watch calls
  // that became live reaches `starts`.
  bool WaitLive(int starts = 1, absl::Duration timeout = absl::Seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return live_ && starts_ >= starts; });
  }
  // Waits until every published event was handed to the consumer.
  bool WaitDelivered(absl::Duration timeout = absl::Seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return queue_.empty() && !delivering_; });
  }
  int Watches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return watches_;
  }

  absl::Status Watch(const CancelTokenPtr& cancel, const std::function<void()>& on_ready,
                     const std::function<void(const ContainerEvent&)>& on_event) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++watches_;
      if (!refuse_.ok()) return refuse_;
      live_ = true;
      ++starts_;
      break_.reset();
    }
    cv_.notify_all();
    cancel->OnCancel([this] {
      { std::lock_guard<std::mutex> lock(mu_); }  // no wakeup lost between check and wait
      cv_.notify_all();
    });
    on_ready();
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return cancel->IsCancelled() || !queue_.empty() || break_; });
      if (cancel->IsCancelled()) {
        live_ = false;
        queue_.clear();
        cv_.notify_all();
        return absl::CancelledError("watch cancelled");
      }
      if (!queue_.empty()) {
        ContainerEvent e = std::move(queue_.front());
        queue_.pop_front();
        delivering_ = true;
        lock.unlock();
        on_event(e);
        lock.lock();
        delivering_ = false;
        cv_.notify_all();
        continue;
      }
      live_ = false;
      absl::Status why = *std::move(break_);
      break_.reset();
      cv_.notify_all();
      return why;
    }
  }

  std::string Name() const override { return name_; }

 private:
  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ContainerEvent> queue_;
  std::optional<absl::Status> break_;
  absl::Status refuse_;
  bool live_ = false;
  bool delivering_ = false;
  int watches_ = 0;
  int starts_ = 0;
};

}  // namespace cubelet::cri::testing

#endif  // CUBELET_CRI_TESTING_FAKE_CONTAINER_EVENT_SOURCE_H_
