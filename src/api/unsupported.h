// The v1 Pod fields cubelet knows but does not implement, refused with a
// message that names the field and says why, so nothing in a manifest is
// silently ignored (issue 14). Two reasons:
//
//   needs cluster mode        the field reads objects only an API server holds
//                             (ConfigMaps, Secrets, PersistentVolumeClaims,
//                             ResourceClaims, readiness-gate conditions):
//                             `spec.volumes[0].configMap: Forbidden: ConfigMaps
//                             come from the API server: needs cluster mode`
//   not supported by cubelet  the node would have to do something cubelet does
//                             not do (SELinux labels, AppArmor, user
//                             namespaces, other volume plugins, ...)
//
// plus the API server's own create-time rule for ephemeralContainers. The
// check reads the decoded document (JSON), since most of these fields have no
// place in api/pod.h; the volume sources it refuses are recorded on the Pod
// (Volume::refused_sources) so validation counts them as the volume's type.
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_API_UNSUPPORTED_H_
#define CUBELET_API_UNSUPPORTED_H_

#include <vector>

#include "api/pod.h"
#include "api/validation.h"
#include "nlohmann/json.hpp"

namespace cubelet::api {

struct RefuseOptions {
  // The pod came from the API server (cluster mode): configMap and secret
  // volumes, configMapKeyRef/secretKeyRef env and envFrom are read from it,
  // not refused. Static pods never reference API objects (upstream's
  // NodeRestriction refuses such mirror pods), so manifests keep refusing them.
  bool from_api_server = false;
};

// Every refused field of `doc` (a Pod object that DecodePod accepted into
// `pod`), in document order: volumes, containers, init containers, then
// pod-level fields. Records refused volume sources in `pod`.
std::vector<FieldError> RefuseUnsupportedFields(const nlohmann::json& doc, Pod& pod,
                                                const RefuseOptions& options = {});

}  // namespace cubelet::api

#endif  // CUBELET_API_UNSUPPORTED_H_
