#include "apiobjects/api_object_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cubelet::apiobjects {
namespace {

std::string ObjectPath(std::string_view resource, std::string_view namespace_,
                       std::string_view name) {
  return absl::StrCat("/api/v1/namespaces/", std::string(namespace_), "/", std::string(resource),
                      "/", std::string(name));
}

}  // namespace

ApiObjectManager::ApiObjectManager(client::ApiClient* client, const Clock* clock,
                                   absl::Duration ttl)
    : client_(client), clock_(clock), ttl_(ttl) {}

int64_t ApiObjectManager::fetches() const {
  MutexLock lock(&mu_);
  return fetches_;
}

absl::StatusOr<ConfigMapPtr> ApiObjectManager::GetConfigMap(std::string_view namespace_,
                                                            std::string_view name) {
  absl::StatusOr<std::shared_ptr<const void>> object = Get(
      ObjectPath("configmaps", namespace_, name), ConfigMapNotFound(name),
      [](const nlohmann::json& j) -> absl::StatusOr<std::pair<std::shared_ptr<const void>, bool>> {
        absl::StatusOr<ConfigMap> cm = DecodeConfigMap(j);
        if (!cm.ok()) return cm.status();
        const bool immutable = cm->immutable;
        return std::make_pair(std::make_shared<const ConfigMap>(*std::move(cm)), immutable);
      });
  if (!object.ok()) return object.status();
  return std::static_pointer_cast<const ConfigMap>(*std::move(object));
}

absl::StatusOr<SecretPtr> ApiObjectManager::GetSecret(std::string_view namespace_,
                                                      std::string_view name) {
  absl::StatusOr<std::shared_ptr<const void>> object = Get(
      ObjectPath("secrets", namespace_, name), SecretNotFound(name),
      [](const nlohmann::json& j) -> absl::StatusOr<std::pair<std::shared_ptr<const void>, bool>> {
        absl::StatusOr<Secret> secret = DecodeSecret(j);
        if (!secret.ok()) return secret.status();
        const bool immutable = secret->immutable;
        return std::make_pair(std::make_shared<const Secret>(*std::move(secret)), immutable);
      });
  if (!object.ok()) return object.status();
  return std::static_pointer_cast<const Secret>(*std::move(object));
}

absl::StatusOr<std::shared_ptr<const void>> ApiObjectManager::Get(const std::string& path,
                                                                  const absl::Status& not_found,
                                                                  const Decoder& decode) {
  const absl::Time now = clock_->Now();
  {
    MutexLock lock(&mu_);
    ForgetUnusedLocked(now);
    auto it = cache_.find(path);
    if (it != cache_.end() && (it->second.immutable || now - it->second.fetched < ttl_)) {
      it->second.used = now;
      return it->second.object;
    }
    ++fetches_;
  }
  absl::StatusOr<nlohmann::json> response = client_->Call(client::Request{.path = path});
  if (!response.ok()) {
    if (client::IsNotFound(response.status())) {
      MutexLock lock(&mu_);
      cache_.erase(path);  // gone: a later GET must not be answered from before
      return not_found;
    }
    return response.status();
  }
  absl::StatusOr<std::pair<std::shared_ptr<const void>, bool>> decoded = decode(*response);
  if (!decoded.ok()) return decoded.status();
  MutexLock lock(&mu_);
  cache_[path] =
      Entry{.object = decoded->first, .immutable = decoded->second, .fetched = now, .used = now};
  return decoded->first;
}

void ApiObjectManager::ForgetUnusedLocked(absl::Time now) {
  if (now - last_sweep_ < absl::Minutes(1)) return;
  last_sweep_ = now;
  absl::erase_if(cache_, [&](const auto& kv) { return now - kv.second.used >= kForgetAfter; });
}

}  // namespace cubelet::apiobjects
