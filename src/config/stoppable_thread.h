// StoppableThread: a source's background thread plus the eventfd that asks it
// to stop. The thread's loop polls stop_fd() beside its own descriptors (or
// with a timeout for periodic work) and returns once it is readable.
//
// Owned by the source that runs it; Start/Stop are called by that owner only
// (not thread-safe against each other). Stop() joins; the destructor stops.
#ifndef CUBELET_CONFIG_STOPPABLE_THREAD_H_
#define CUBELET_CONFIG_STOPPABLE_THREAD_H_

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <thread>
#include <utility>

namespace cubelet::config {

class StoppableThread {
 public:
  StoppableThread() = default;
  ~StoppableThread() { Stop(); }
  StoppableThread(const StoppableThread&) = delete;
  StoppableThread& operator=(const StoppableThread&) = delete;

  // Runs `loop` on a new thread unless one is running.
  void Start(std::function<void()> loop) {
    if (thread_.joinable()) return;
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    thread_ = std::thread(std::move(loop));
  }

  // Wakes the loop through stop_fd() and waits for it to return.
  void Stop() {
    if (!thread_.joinable()) return;
    uint64_t one = 1;
    // An eventfd write of 1 cannot fail short of a counter overflow.
    (void)!::write(stop_fd_, &one, sizeof(one));
    thread_.join();
    ::close(stop_fd_);
    stop_fd_ = -1;
  }

  // Readable once Stop() was called; valid while the loop runs.
  int stop_fd() const { return stop_fd_; }

 private:
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_STOPPABLE_THREAD_H_
