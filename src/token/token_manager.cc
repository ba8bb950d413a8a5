#include "token/token_manager.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cubelet::token {
namespace {

using nlohmann::json;

constexpr absl::Duration kMaxJitter = absl::Seconds(10);

std::string KeyOf(const TokenRequest& r) {
  return absl::StrCat(r.namespace_, "/", r.service_account, "/", r.audience, "/",
                      r.expiration_seconds, "/", r.pod_name, "/", r.pod_uid);
}

}  // namespace

TokenManager::TokenManager(client::ApiClient* api, const Clock* clock) : api_(api), clock_(clock) {}

absl::StatusOr<std::string> TokenManager::GetServiceAccountToken(const TokenRequest& r) {
  const std::string key = KeyOf(r);
  const absl::Time now = clock_->Now();
  absl::Duration jitter;
  {
    absl::BitGen gen;
    jitter = absl::Seconds(absl::Uniform(gen, 0, absl::ToInt64Seconds(kMaxJitter)));
  }
  std::optional<Entry> cached;
  {
    std::lock_guard<std::mutex> l(mu_);
    // Expired tokens are of no use to anyone.
    absl::erase_if(cache_, [now](const auto& kv) { return kv.second.expiry <= now; });
    if (auto it = cache_.find(key); it != cache_.end()) {
      cached = it->second;
      if (!RequiresRefresh(now, cached->expiry, r.expiration_seconds, jitter)) {
        return cached->token;
      }
    }
  }
  json spec = {{"expirationSeconds", r.expiration_seconds},
               {"boundObjectRef",
                {{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", r.pod_name}, {"uid", r.pod_uid}}}};
  if (!r.audience.empty()) spec["audiences"] = json::array({r.audience});
  absl::StatusOr<json> answer = api_->Call(client::Request{
      .verb = client::Verb::kPost,
      .path = absl::StrCat("/api/v1/namespaces/", r.namespace_, "/serviceaccounts/",
                           r.service_account, "/token"),
      .body = {
          {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", spec}}});
  absl::Status failed;
  Entry fresh{.request = r};
  if (!answer.ok()) {
    failed = answer.status();
  } else {
    const json& status = answer->value("status", json::object());
    fresh.token = status.value("token", "");
    std::string expiry = status.value("expirationTimestamp", "");
    std::string err;
    if (fresh.token.empty() || !absl::ParseTime(absl::RFC3339_full, expiry, &fresh.expiry, &err)) {
      failed = absl::InternalError("the TokenRequest answer has no token or expiry");
    }
  }
  if (!failed.ok()) {
    if (!cached.has_value()) {
      return absl::Status(failed.code(), absl::StrCat("failed to fetch token: ", failed.message()));
    }
    // The old token still works until it expires (the cache holds no expired ones).
    return cached->token;
  }
  std::lock_guard<std::mutex> l(mu_);
  cache_[key] = fresh;
  return fresh.token;
}

void TokenManager::ForgetPod(const std::string& pod_uid) {
  std::lock_guard<std::mutex> l(mu_);
  absl::erase_if(cache_, [&](const auto& kv) { return kv.second.request.pod_uid == pod_uid; });
}

size_t TokenManager::cached() const {
  std::lock_guard<std::mutex> l(mu_);
  return cache_.size();
}

}  // namespace cubelet::token
