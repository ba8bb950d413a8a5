#include "server/webhook_auth.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cubelet::server {
namespace {

using nlohmann::json;

// Bounds the caches: past it, expired entries go, then everything.
constexpr size_t kMaxCacheEntries = 4096;

template <typename Map>
void Trim(Map& cache, absl::Time now) {
  if (cache.size() < kMaxCacheEntries) return;
  absl::erase_if(cache, [now](const auto& kv) { return kv.second.expires <= now; });
  if (cache.size() >= kMaxCacheEntries) cache.clear();
}

std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const json& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

TokenReviewAuthenticator::TokenReviewAuthenticator(client::ApiClient* api, const Clock* clock,
                                                   absl::Duration cache_ttl)
    : api_(api), clock_(clock), ttl_(cache_ttl) {}

absl::StatusOr<std::optional<UserInfo>> TokenReviewAuthenticator::AuthenticateToken(
    const std::string& token) {
  absl::Time now = clock_->Now();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cache_.find(token);
    if (it != cache_.end() && it->second.expires > now) return it->second.user;
  }
  client::Request request{.verb = client::Verb::kPost,
                          .path = "/apis/authentication.k8s.io/v1/tokenreviews",
                          .body = {{"apiVersion", "authentication.k8s.io/v1"},
                                   {"kind", "TokenReview"},
                                   {"spec", {{"token", token}}}},
                          .timeout = absl::Seconds(10)};
  absl::StatusOr<json> review = api_->Call(request);
  if (!review.ok()) {
    return absl::Status(review.status().code(),
                        absl::StrCat("TokenReview: ", review.status().message()));
  }
  std::optional<UserInfo> user;
  const json& status = review->value("status", json::object());
  if (status.value("authenticated", false)) {
    const json& u = status.value("user", json::object());
    user = UserInfo{.name = u.value("username", ""),
                    .uid = u.value("uid", ""),
                    .groups = Strings(u.value("groups", json::array()))};
    if (u.contains("extra") && u["extra"].is_object()) {
      for (const auto& [key, values] : u["extra"].items()) user->extra[key] = Strings(values);
    }
    if (user->name.empty()) user.reset();
  }
  std::lock_guard<std::mutex> l(mu_);
  Trim(cache_, now);
  cache_[token] = Entry{.user = user, .expires = now + ttl_};
  return user;
}

SubjectAccessReviewAuthorizer::SubjectAccessReviewAuthorizer(client::ApiClient* api,
                                                             const Clock* clock,
                                                             absl::Duration allowed_ttl,
                                                             absl::Duration denied_ttl)
    : api_(api), clock_(clock), allowed_ttl_(allowed_ttl), denied_ttl_(denied_ttl) {}

absl::StatusOr<bool> SubjectAccessReviewAuthorizer::Authorize(const RequestAttributes& a) {
  json extra = json::object();
  for (const auto& [key, values] : a.user.extra) extra[key] = values;
  json spec = {{"resourceAttributes",
                {{"verb", a.verb},
                 {"group", ""},
                 {"version", "v1"},
                 {"resource", "nodes"},
                 {"subresource", a.subresource},
                 {"name", a.node_name}}},
               {"user", a.user.name},
               {"groups", a.user.groups},
               {"extra", extra},
               {"uid", a.user.uid}};
  std::string key = spec.dump();
  absl::Time now = clock_->Now();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.allowed;
  }
  client::Request request{.verb = client::Verb::kPost,
                          .path = "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                          .body = {{"apiVersion", "authorization.k8s.io/v1"},
                                   {"kind", "SubjectAccessReview"},
                                   {"spec", spec}},
                          .timeout = absl::Seconds(10)};
  absl::StatusOr<json> review = api_->Call(request);
  if (!review.ok()) {
    return absl::Status(review.status().code(),
                        absl::StrCat("SubjectAccessReview: ", review.status().message()));
  }
  bool allowed = review->value("status", json::object()).value("allowed", false);
  std::lock_guard<std::mutex> l(mu_);
  Trim(cache_, now);
  cache_[key] = Entry{.allowed = allowed, .expires = now + (allowed ? allowed_ttl_ : denied_ttl_)};
  return allowed;
}

}  // namespace cubelet::server
