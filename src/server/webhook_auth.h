// The kubelet server's webhook authentication and authorization: the API
// server decides, through a TokenReview (authentication.k8s.io/v1) for a
// bearer token and a SubjectAccessReview (authorization.k8s.io/v1) for each
// request's attributes; answers are cached as the kubelet's
// KubeletConfiguration defaults do (tokens 2 min; allowed 5 min, denied
// 30 s). Errors are never cached.
//
// Ownership: borrows the API client and the clock.
// Thread-safety: thread-safe; concurrent misses for one key may each ask.
#ifndef CUBELET_SERVER_WEBHOOK_AUTH_H_
#define CUBELET_SERVER_WEBHOOK_AUTH_H_

#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "server/auth.h"
#include "util/clock.h"

namespace cubelet::server {

class TokenReviewAuthenticator final : public TokenAuthenticator {
 public:
  TokenReviewAuthenticator(client::ApiClient* api, const Clock* clock,
                           absl::Duration cache_ttl = absl::Minutes(2));
  absl::StatusOr<std::optional<UserInfo>> AuthenticateToken(const std::string& token) override;

 private:
  struct Entry {
    std::optional<UserInfo> user;
    absl::Time expires;
  };
  client::ApiClient* const api_;
  const Clock* const clock_;
  const absl::Duration ttl_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_;  // by token; guarded by mu_
};

class SubjectAccessReviewAuthorizer final : public Authorizer {
 public:
  SubjectAccessReviewAuthorizer(client::ApiClient* api, const Clock* clock,
                                absl::Duration allowed_ttl = absl::Minutes(5),
                                absl::Duration denied_ttl = absl::Seconds(30));
  absl::StatusOr<bool> Authorize(const RequestAttributes& attributes) override;

 private:
  struct Entry {
    bool allowed;
    absl::Time expires;
  };
  client::ApiClient* const api_;
  const Clock* const clock_;
  const absl::Duration allowed_ttl_;
  const absl::Duration denied_ttl_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_;  // by the review's spec; guarded by mu_
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_WEBHOOK_AUTH_H_
