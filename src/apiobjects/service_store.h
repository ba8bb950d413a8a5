// ServiceStore: a ServiceLister kept in step with the API server's Services
// by a client::Reflector (list, then watch, all namespaces; the Node
// authorizer lets nodes read Services), on a thread of its own.
//
// Ownership: borrows the client and the clock; owns the reflector and its
// thread. Thread-safety: Start/Stop from the owner; ListServices from any
// thread.
#ifndef CUBELET_APIOBJECTS_SERVICE_STORE_H_
#define CUBELET_APIOBJECTS_SERVICE_STORE_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "apiobjects/service_lister.h"
#include "client/api_client.h"
#include "client/reflector.h"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::apiobjects {

class ServiceStore final : public ServiceLister, public client::ReflectorHandler {
 public:
  ServiceStore(client::ApiClient* client, Clock* clock);
  ~ServiceStore() override;  // Stop()s

  void Start();
  void Stop();

  absl::StatusOr<std::vector<Service>> ListServices() const override;

  // client::ReflectorHandler (the reflector's thread).
  void Replace(std::vector<nlohmann::json> items, const std::string& resource_version) override;
  void Add(const nlohmann::json& object) override;
  void Update(const nlohmann::json& object) override;
  void Delete(const nlohmann::json& object) override;

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Service> services_ ABSL_GUARDED_BY(mu_);  // by ns/name
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<client::Reflector> reflector_;
  CancelTokenPtr cancel_;
  std::thread thread_;
};

}  // namespace cubelet::apiobjects

#endif  // CUBELET_APIOBJECTS_SERVICE_STORE_H_
