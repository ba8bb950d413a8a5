// ApiObjectManager: the cluster-mode ObjectManager. It GETs each ConfigMap
// and Secret from the API server when a pod needs it and keeps the answer
// for `ttl` (upstream's cache-based manager, the kubelet's "Cache"
// strategy): the pods that share an object cost one GET per ttl, and an
// edited object reaches a volume at the pod's next sync after the ttl.
// Immutable objects are never fetched again. Errors are not cached, so a pod
// waiting for a missing object sees it the first time it is asked for after
// it appears. Entries nobody asked for in kForgetAfter are dropped.
//
// Reads go through the Node authorizer: a node may GET only the objects its
// own pods reference, which is all this asks for.
//
// Ownership: borrows the client and the clock (both must outlive it).
// Thread-safety: safe from any thread; GETs run without the lock, so two
// callers that miss at once may both fetch.
#ifndef CUBELET_APIOBJECTS_API_OBJECT_MANAGER_H_
#define CUBELET_APIOBJECTS_API_OBJECT_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "apiobjects/object_manager.h"
#include "client/api_client.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::apiobjects {

class ApiObjectManager final : public ObjectManager {
 public:
  static constexpr absl::Duration kDefaultTtl = absl::Seconds(10);
  static constexpr absl::Duration kForgetAfter = absl::Minutes(10);

  ApiObjectManager(client::ApiClient* client, const Clock* clock, absl::Duration ttl = kDefaultTtl);

  absl::StatusOr<ConfigMapPtr> GetConfigMap(std::string_view namespace_,
                                            std::string_view name) override;
  absl::StatusOr<SecretPtr> GetSecret(std::string_view namespace_, std::string_view name) override;

  // GETs sent so far (tests, metrics).
  int64_t fetches() const;

 private:
  struct Entry {
    std::shared_ptr<const void> object;  // a ConfigMap or a Secret, by the path
    bool immutable = false;
    absl::Time fetched;
    absl::Time used;
  };
  using Decoder = std::function<absl::StatusOr<std::pair<std::shared_ptr<const void>, bool>>(
      const nlohmann::json&)>;

  // The object at `path` (an API path), from the cache or a GET; a 404 is
  // `not_found`.
  absl::StatusOr<std::shared_ptr<const void>> Get(const std::string& path,
                                                  const absl::Status& not_found,
                                                  const Decoder& decode) ABSL_LOCKS_EXCLUDED(mu_);
  void ForgetUnusedLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  client::ApiClient* const client_;
  const Clock* const clock_;
  const absl::Duration ttl_;

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);  // by API path
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cubelet::apiobjects

#endif  // CUBELET_APIOBJECTS_API_OBJECT_MANAGER_H_
