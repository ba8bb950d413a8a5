// ServiceLister: the cluster's Services as the kubelet's service lister sees
// them, for the service environment variables of containers
// (upstream pkg/kubelet/envvars and getServiceEnvVarMap). Only cluster mode
// has a real one (service_store.h); testing/fake_service_lister.h stands in
// for tests.
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef CUBELET_APIOBJECTS_SERVICE_LISTER_H_
#define CUBELET_APIOBJECTS_SERVICE_LISTER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cubelet::apiobjects {

struct ServicePort {
  std::string name;
  int32_t port = 0;
  std::string protocol;  // TCP when empty

  bool operator==(const ServicePort&) const = default;
};

struct Service {
  std::string namespace_;
  std::string name;
  std::string cluster_ip;  // "" or "None": no variables
  std::vector<ServicePort> ports;

  bool operator==(const Service&) const = default;
};

class ServiceLister {
 public:
  virtual ~ServiceLister() = default;
  // Every Service; Unavailable until they have been read once.
  virtual absl::StatusOr<std::vector<Service>> ListServices() const = 0;
};

// A Service object as the API server returns it.
Service DecodeService(const nlohmann::json& object);

// The variables upstream gives a container in `namespace_`: for the
// "kubernetes" Service of "default" always, for the Services of its own
// namespace when `enable_service_links`: <NAME>_SERVICE_HOST,
// <NAME>_SERVICE_PORT[_<PORT NAME>] and the Docker link variables
// (<NAME>_PORT, <NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]), NAME being
// the Service's name upper-cased with '-' as '_'.
std::map<std::string, std::string> ServiceEnvVars(const std::vector<Service>& services,
                                                  const std::string& namespace_,
                                                  bool enable_service_links);

}  // namespace cubelet::apiobjects

#endif  // CUBELET_APIOBJECTS_SERVICE_LISTER_H_
