// FakeRuntime: a container::Runtime whose pods a PLEG test writes by hand
// (every transition and fault), with C() and MakePod() to build them. For
// the generic and evented PLEG tests; header-only.
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_PLEG_TESTING_FAKE_RUNTIME_H_
#define CUBELET_PLEG_TESTING_FAKE_RUNTIME_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "container/runtime.h"
#include "container/runtime_types.h"

namespace cubelet::pleg::testing {

// A runtime whose pods the test writes directly. GetPodStatus derives the
// status from the listed pod, so the two never disagree unless a test wants.
class FakeRuntime final : public container::Runtime {
 public:
  // Replaces the pod with the same uid (or adds it).
  void SetPod(container::Pod pod) {
    std::lock_guard<std::mutex> lock(mu_);
    pods_[pod.id] = std::move(pod);
  }
  void RemovePod(const std::string& uid) {
    std::lock_guard<std::mutex> lock(mu_);
    pods_.erase(uid);
  }
  void SetGetPodsError(absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    get_pods_error_ = std::move(s);
  }
  void SetStatusError(const std::string& uid, absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    status_errors_[uid] = std::move(s);
  }
  void SetIps(const std::string& uid, std::vector<std::string> ips) {
    std::lock_guard<std::mutex> lock(mu_);
    ips_[uid] = std::move(ips);
  }
  void SetExitCode(const std::string& cid, int32_t code) {
    std::lock_guard<std::mutex> lock(mu_);
    exit_codes_[cid] = code;
  }
  // Runs inside GetPods, after the list is taken: "meanwhile" for tests.
  void OnGetPods(std::function<void()> fn) { on_get_pods_ = std::move(fn); }
  // Runs at the start of GetPodStatus (outside the runtime's lock), with
  // the uid: to block a read, or to act while one is in progress.
  void OnGetPodStatus(std::function<void(const std::string&)> fn) {
    on_get_pod_status_ = std::move(fn);
  }
  int StatusCalls(const std::string& uid) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = status_calls_.find(uid);
    return it == status_calls_.end() ? 0 : it->second;
  }

  absl::StatusOr<std::vector<container::Pod>> GetPods(bool all) override {
    std::vector<container::Pod> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!get_pods_error_.ok()) return get_pods_error_;
      for (const auto& [uid, p] : pods_) out.push_back(p);
    }
    if (on_get_pods_) on_get_pods_();
    return out;
  }

  absl::StatusOr<container::PodStatusPtr> GetPodStatus(const std::string& uid,
                                                       const std::string& name,
                                                       const std::string& namespace_) override {
    if (on_get_pod_status_) on_get_pod_status_(uid);
    std::lock_guard<std::mutex> lock(mu_);
    ++status_calls_[uid];
    if (auto it = status_errors_.find(uid); it != status_errors_.end() && !it->second.ok()) {
      return it->second;
    }
    auto s = std::make_shared<container::PodStatus>();
    s->id = uid;
    s->name = name;
    s->namespace_ = namespace_;
    auto it = pods_.find(uid);
    if (it == pods_.end()) return s;
    bool ready = false;
    for (const container::Container& c : it->second.containers) {
      container::ContainerStatus cs{.id = c.id, .name = c.name, .state = c.state};
      if (auto code = exit_codes_.find(c.id); code != exit_codes_.end()) {
        cs.exit_code = code->second;
      }
      s->container_statuses.push_back(cs);
    }
    for (const container::Container& sb : it->second.sandboxes) {
      bool sb_ready = sb.state == container::ContainerState::kRunning;
      ready = ready || sb_ready;
      s->sandbox_statuses.push_back(
          container::SandboxStatus{.id = sb.id,
                                   .state = sb_ready ? container::SandboxState::kReady
                                                     : container::SandboxState::kNotReady});
    }
    if (ready) s->ips = ips_[uid];
    return s;
  }

  container::PodSyncResult SyncPod(const api::Pod&, const container::PodStatus&,
                                   const CancelTokenPtr&) override {
    return {};
  }
  container::PodSyncResult KillPod(const api::Pod*, const container::Pod&, std::optional<int64_t>,
                                   const CancelTokenPtr&) override {
    return {};
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, container::Pod> pods_;
  absl::Status get_pods_error_;
  std::map<std::string, absl::Status> status_errors_;
  std::map<std::string, std::vector<std::string>> ips_;
  std::map<std::string, int32_t> exit_codes_;
  std::map<std::string, int> status_calls_;
  std::function<void()> on_get_pods_;
  std::function<void(const std::string&)> on_get_pod_status_;
};

inline container::Container C(const std::string& id, container::ContainerState state) {
  return container::Container{.id = id, .name = "c-" + id, .state = state};
}

inline container::Pod MakePod(const std::string& uid, std::vector<container::Container> containers,
                              std::vector<container::Container> sandboxes = {}) {
  return container::Pod{.id = uid,
                        .name = "name-" + uid,
                        .namespace_ = "default",
                        .containers = std::move(containers),
                        .sandboxes = std::move(sandboxes)};
}

}  // namespace cubelet::pleg::testing

#endif  // CUBELET_PLEG_TESTING_FAKE_RUNTIME_H_
