// FakeProber: a Prober whose verdicts tests script per (container, probe
// type); it counts calls. Stands in for RuntimeProber in ProberManager and
// Kubelet tests. Thread-safe.
#ifndef CUBELET_PROBER_TESTING_FAKE_PROBER_H_
#define CUBELET_PROBER_TESTING_FAKE_PROBER_H_

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "prober/prober.h"

namespace cubelet::prober {

class FakeProber final : public Prober {
 public:
  // The verdict for `container`'s `type` probe from now on (default Success).
  void Set(const std::string& container, ProbeType type, probe::Result result) {
    std::lock_guard<std::mutex> lock(mu_);
    results_[{container, type}] = result;
  }
  int Calls(const std::string& container, ProbeType type) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = calls_.find({container, type});
    return it == calls_.end() ? 0 : it->second;
  }

  probe::Outcome Probe(ProbeType type, const api::Pod&, const api::PodStatus&,
                       const api::Container& container, const api::Probe&,
                       const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[{container.name, type}];
    auto it = results_.find({container.name, type});
    probe::Result r = it == results_.end() ? probe::Result::kSuccess : it->second;
    return {r, r == probe::Result::kFailure ? "scripted failure" : ""};
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, ProbeType>, probe::Result> results_;
  std::map<std::pair<std::string, ProbeType>, int> calls_;
};

}  // namespace cubelet::prober

#endif  // CUBELET_PROBER_TESTING_FAKE_PROBER_H_
