// FakeAgentView: an AgentView for tests whose pods and health are set by hand.
//
// Thread-safety: every method may be called from any thread (the server reads
// it from its worker threads while the test changes it).
#ifndef CUBELET_SERVER_FAKE_AGENT_VIEW_H_
#define CUBELET_SERVER_FAKE_AGENT_VIEW_H_

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "api/pod.h"
#include "server/agent_view.h"

namespace cubelet::server {

class FakeAgentView final : public AgentView {
 public:
  std::vector<api::Pod> GetPods() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return pods_;
  }
  absl::Status Healthy() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return healthy_;
  }

  void SetPods(std::vector<api::Pod> pods) {
    std::lock_guard<std::mutex> lock(mu_);
    pods_ = std::move(pods);
  }
  // Adds `pod`, replacing one with the same namespace and name.
  void AddPod(api::Pod pod) {
    std::lock_guard<std::mutex> lock(mu_);
    EraseLocked(pod.metadata.namespace_, pod.metadata.name);
    pods_.push_back(std::move(pod));
  }
  void RemovePod(const std::string& namespace_, const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    EraseLocked(namespace_, name);
  }
  void SetHealthy(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    healthy_ = std::move(status);
  }

 private:
  void EraseLocked(const std::string& namespace_, const std::string& name) {
    pods_.erase(std::remove_if(pods_.begin(), pods_.end(),
                               [&](const api::Pod& p) {
                                 return p.metadata.namespace_ == namespace_ &&
                                        p.metadata.name == name;
                               }),
                pods_.end());
  }

  mutable std::mutex mu_;
  std::vector<api::Pod> pods_;
  absl::Status healthy_;
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_FAKE_AGENT_VIEW_H_
