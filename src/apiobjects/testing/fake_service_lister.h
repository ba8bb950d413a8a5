// FakeServiceLister: a settable ServiceLister for tests.
//
// Thread-safety: thread-safe.
#ifndef CUBELET_APIOBJECTS_TESTING_FAKE_SERVICE_LISTER_H_
#define CUBELET_APIOBJECTS_TESTING_FAKE_SERVICE_LISTER_H_

#include <mutex>
#include <utility>
#include <vector>

#include "apiobjects/service_lister.h"

namespace cubelet::apiobjects::testing {

class FakeServiceLister final : public ServiceLister {
 public:
  void Set(absl::StatusOr<std::vector<Service>> services) {
    std::lock_guard<std::mutex> l(mu_);
    services_ = std::move(services);
  }
  absl::StatusOr<std::vector<Service>> ListServices() const override {
    std::lock_guard<std::mutex> l(mu_);
    return services_;
  }

 private:
  mutable std::mutex mu_;
  absl::StatusOr<std::vector<Service>> services_ = std::vector<Service>();
};

}  // namespace cubelet::apiobjects::testing

#endif  // CUBELET_APIOBJECTS_TESTING_FAKE_SERVICE_LISTER_H_
