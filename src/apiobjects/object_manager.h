// ObjectManager: the ConfigMaps and Secrets a node's pods reference, as the
// volume plugins and the container environment read them (upstream
// pkg/kubelet/configmap.Manager and pkg/kubelet/secret.Manager). Objects
// come from the API server, so only cluster mode has a real one
// (api_object_manager.h); testing/fake_object_manager.h stands in for tests.
//
// Errors: an object the API server does not have is NotFound with the
// kubelet's message, `configmap "x" not found` / `secret "x" not found`
// (the volume plugins and env code pass it on as it is); other failures keep
// the API client's code and message.
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef CUBELET_APIOBJECTS_OBJECT_MANAGER_H_
#define CUBELET_APIOBJECTS_OBJECT_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cubelet::apiobjects {

// A ConfigMap's contents: `data` (UTF-8 strings) and `binary_data` (the
// bytes of the base64 in the object).
struct ConfigMap {
  std::string namespace_;
  std::string name;
  std::map<std::string, std::string> data;
  std::map<std::string, std::string> binary_data;
  bool immutable = false;
};

// A Secret's contents: `data` decoded from base64 (the API server has already
// folded stringData into it).
struct Secret {
  std::string namespace_;
  std::string name;
  std::string type;
  std::map<std::string, std::string> data;
  bool immutable = false;
};

using ConfigMapPtr = std::shared_ptr<const ConfigMap>;
using SecretPtr = std::shared_ptr<const Secret>;

class ObjectManager {
 public:
  virtual ~ObjectManager() = default;

  virtual absl::StatusOr<ConfigMapPtr> GetConfigMap(std::string_view namespace_,
                                                    std::string_view name) = 0;
  virtual absl::StatusOr<SecretPtr> GetSecret(std::string_view namespace_,
                                              std::string_view name) = 0;
};

// The kubelet's not-found errors (NotFound).
absl::Status ConfigMapNotFound(std::string_view name);
absl::Status SecretNotFound(std::string_view name);

// A ConfigMap / Secret object as the API server returns it; the error names
// the field that does not decode (`secret ns/x: data.key: illegal base64`).
absl::StatusOr<ConfigMap> DecodeConfigMap(const nlohmann::json& object);
absl::StatusOr<Secret> DecodeSecret(const nlohmann::json& object);

}  // namespace cubelet::apiobjects

#endif  // CUBELET_APIOBJECTS_OBJECT_MANAGER_H_
