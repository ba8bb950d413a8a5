// FakeStreamingHost: a StreamingHost for tests. Every call is recorded;
// Exec/Attach/PortForward answer `url` (or `error` when set), Run answers
// `run_output`.
//
// Thread-safety: thread-safe.
#ifndef CUBELET_SERVER_FAKE_STREAMING_HOST_H_
#define CUBELET_SERVER_FAKE_STREAMING_HOST_H_

#include <mutex>
#include <string>
#include <vector>

#include "server/streaming_host.h"

namespace cubelet::server {

class FakeStreamingHost final : public StreamingHost {
 public:
  struct Call {
    std::string method;  // "exec", "attach", "portforward", "run"
    ContainerRef ref;
    std::vector<std::string> cmd;
    cri::StreamOptions streams;
    std::vector<int32_t> ports;
  };

  void SetUrl(std::string url) {
    std::lock_guard<std::mutex> l(mu_);
    url_ = std::move(url);
  }
  void SetError(absl::Status error) {
    std::lock_guard<std::mutex> l(mu_);
    error_ = std::move(error);
  }
  void SetRunOutput(std::string output) {
    std::lock_guard<std::mutex> l(mu_);
    run_output_ = std::move(output);
  }
  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

  absl::StatusOr<std::string> GetExec(const ContainerRef& ref, const std::vector<std::string>& cmd,
                                      const cri::StreamOptions& streams) override {
    return Record({.method = "exec", .ref = ref, .cmd = cmd, .streams = streams}, false);
  }
  absl::StatusOr<std::string> GetAttach(const ContainerRef& ref,
                                        const cri::StreamOptions& streams) override {
    return Record({.method = "attach", .ref = ref, .streams = streams}, false);
  }
  absl::StatusOr<std::string> GetPortForward(const ContainerRef& ref,
                                             const std::vector<int32_t>& ports) override {
    return Record({.method = "portforward", .ref = ref, .ports = ports}, false);
  }
  absl::StatusOr<std::string> RunInContainer(const ContainerRef& ref,
                                             const std::vector<std::string>& cmd) override {
    return Record({.method = "run", .ref = ref, .cmd = cmd}, true);
  }

 private:
  absl::StatusOr<std::string> Record(Call call, bool run) {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back(std::move(call));
    if (!error_.ok()) return error_;
    return run ? run_output_ : url_;
  }

  mutable std::mutex mu_;
  std::string url_;
  std::string run_output_;
  absl::Status error_;
  std::vector<Call> calls_;
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_FAKE_STREAMING_HOST_H_
