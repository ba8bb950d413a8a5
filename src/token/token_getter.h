// TokenGetter: service account tokens for projected volumes, from the API
// server's TokenRequest API (upstream pkg/kubelet/token.Manager). Only
// cluster mode has a real one (token_manager.h); testing/fake_token_getter.h
// stands in for tests.
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef CUBELET_TOKEN_TOKEN_GETTER_H_
#define CUBELET_TOKEN_TOKEN_GETTER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cubelet::token {

// A token for `service_account` in `namespace_`, bound to the pod (it stops
// being valid when the pod is deleted).
struct TokenRequest {
  std::string namespace_;
  std::string service_account;
  std::string audience;  // empty: the API server's own
  int64_t expiration_seconds = 3600;
  std::string pod_name;
  std::string pod_uid;

  bool operator==(const TokenRequest&) const = default;
};

class TokenGetter {
 public:
  virtual ~TokenGetter() = default;
  // The token to write, refreshed once 80 % of its lifetime (or 24 h) has
  // passed; a failed refresh keeps the old token while it is valid.
  virtual absl::StatusOr<std::string> GetServiceAccountToken(const TokenRequest& request) = 0;
  // Forgets the tokens of a pod that is gone.
  virtual void ForgetPod(const std::string& pod_uid) = 0;
};

// Whether a token issued for `expiration_seconds` and expiring at `expiry`
// must be renewed at `now` (upstream requiresRefresh): past 80 % of its
// lifetime, or 24 h after it was issued, each less `jitter`.
bool RequiresRefresh(absl::Time now, absl::Time expiry, int64_t expiration_seconds,
                     absl::Duration jitter);

}  // namespace cubelet::token

#endif  // CUBELET_TOKEN_TOKEN_GETTER_H_
