// FakeObjectManager: an in-memory ObjectManager for tests. A test puts and
// removes ConfigMaps and Secrets; a Get of one that is absent is the
// kubelet's NotFound, and every Get is counted. Test-only.
//
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_APIOBJECTS_TESTING_FAKE_OBJECT_MANAGER_H_
#define CUBELET_APIOBJECTS_TESTING_FAKE_OBJECT_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apiobjects/object_manager.h"
#include "util/mutex.h"

namespace cubelet::apiobjects::testing {

class FakeObjectManager final : public ObjectManager {
 public:
  void PutConfigMap(ConfigMap cm) {
    MutexLock lock(&mu_);
    std::string key = Key(cm.namespace_, cm.name);
    config_maps_[key] = std::make_shared<const ConfigMap>(std::move(cm));
  }
  void PutSecret(Secret secret) {
    MutexLock lock(&mu_);
    std::string key = Key(secret.namespace_, secret.name);
    secrets_[key] = std::make_shared<const Secret>(std::move(secret));
  }
  void RemoveConfigMap(std::string_view namespace_, std::string_view name) {
    MutexLock lock(&mu_);
    config_maps_.erase(Key(namespace_, name));
  }
  void RemoveSecret(std::string_view namespace_, std::string_view name) {
    MutexLock lock(&mu_);
    secrets_.erase(Key(namespace_, name));
  }
  // Every Get fails with `status` until it is set back to OK.
  void FailWith(absl::Status status) {
    MutexLock lock(&mu_);
    fail_ = std::move(status);
  }
  int gets() const {
    MutexLock lock(&mu_);
    return gets_;
  }

  absl::StatusOr<ConfigMapPtr> GetConfigMap(std::string_view namespace_,
                                            std::string_view name) override {
    MutexLock lock(&mu_);
    ++gets_;
    if (!fail_.ok()) return fail_;
    auto it = config_maps_.find(Key(namespace_, name));
    if (it == config_maps_.end()) return ConfigMapNotFound(name);
    return it->second;
  }
  absl::StatusOr<SecretPtr> GetSecret(std::string_view namespace_, std::string_view name) override {
    MutexLock lock(&mu_);
    ++gets_;
    if (!fail_.ok()) return fail_;
    auto it = secrets_.find(Key(namespace_, name));
    if (it == secrets_.end()) return SecretNotFound(name);
    return it->second;
  }

 private:
  static std::string Key(std::string_view namespace_, std::string_view name) {
    return absl::StrCat(std::string(namespace_), "/", std::string(name));
  }

  mutable Mutex mu_;
  std::map<std::string, ConfigMapPtr> config_maps_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, SecretPtr> secrets_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  int gets_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cubelet::apiobjects::testing

#endif  // CUBELET_APIOBJECTS_TESTING_FAKE_OBJECT_MANAGER_H_
