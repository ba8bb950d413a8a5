// TokenManager: TokenGetter over the API server's TokenRequest API
// (POST /api/v1/namespaces/<ns>/serviceaccounts/<sa>/token, bound to the
// pod), which the Node authorizer allows for the service accounts of pods
// bound to this node. Tokens are cached per request and pod, refreshed as
// RequiresRefresh says (with up to 10 s of jitter, as the kubelet), dropped
// when they expire or their pod is forgotten.
//
// Ownership: borrows the API client and the clock.
// Thread-safety: thread-safe; a refresh is one API call made outside the lock.
#ifndef CUBELET_TOKEN_TOKEN_MANAGER_H_
#define CUBELET_TOKEN_TOKEN_MANAGER_H_

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "client/api_client.h"
#include "token/token_getter.h"
#include "util/clock.h"

namespace cubelet::token {

class TokenManager final : public TokenGetter {
 public:
  TokenManager(client::ApiClient* api, const Clock* clock);

  absl::StatusOr<std::string> GetServiceAccountToken(const TokenRequest& request) override;
  void ForgetPod(const std::string& pod_uid) override;

  size_t cached() const;

 private:
  struct Entry {
    TokenRequest request;
    std::string token;
    absl::Time expiry;
  };
  client::ApiClient* const api_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_;  // guarded by mu_
};

}  // namespace cubelet::token

#endif  // CUBELET_TOKEN_TOKEN_MANAGER_H_
