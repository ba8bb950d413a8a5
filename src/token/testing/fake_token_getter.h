// FakeTokenGetter: a TokenGetter for tests. Answers "token-<n>" for the n-th
// distinct request (or `error` when set) and records every call.
//
// Thread-safety: thread-safe.
#ifndef CUBELET_TOKEN_TESTING_FAKE_TOKEN_GETTER_H_
#define CUBELET_TOKEN_TESTING_FAKE_TOKEN_GETTER_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "token/token_getter.h"

namespace cubelet::token::testing {

class FakeTokenGetter final : public TokenGetter {
 public:
  absl::StatusOr<std::string> GetServiceAccountToken(const TokenRequest& request) override {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(request);
    if (!error_.ok()) return error_;
    return absl::StrCat("token-for-", request.service_account, "-", request.pod_name);
  }
  void ForgetPod(const std::string& pod_uid) override {
    std::lock_guard<std::mutex> l(mu_);
    forgotten_.push_back(pod_uid);
  }

  void SetError(absl::Status error) {
    std::lock_guard<std::mutex> l(mu_);
    error_ = std::move(error);
  }
  std::vector<TokenRequest> requests() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  std::vector<std::string> forgotten() const {
    std::lock_guard<std::mutex> l(mu_);
    return forgotten_;
  }

 private:
  mutable std::mutex mu_;
  absl::Status error_;
  std::vector<TokenRequest> requests_;
  std::vector<std::string> forgotten_;
};

}  // namespace cubelet::token::testing

#endif  // CUBELET_TOKEN_TESTING_FAKE_TOKEN_GETTER_H_
