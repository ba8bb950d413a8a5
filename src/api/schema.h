// The v1 Pod's field names, per object type, generated from the upstream
// OpenAPI document (scripts/gen/pod_schema.py writes pod_schema.inc). It
// separates a field the API server does not know at all (a typo such as
// `imagePullPolice`: refused, as kubectl's strict field validation refuses
// it) from a field that exists but cubelet does not read.
//
// Immutable static data; safe from any thread.
#ifndef CUBELET_API_SCHEMA_H_
#define CUBELET_API_SCHEMA_H_

#include <string_view>

namespace cubelet::api {

// True when `path` (e.g. "spec.containers[0].imagePullPolicy", the form the
// decoder reports) names a field of the v1 Pod: each member is a field of the
// object type its parent holds; list indices are skipped. Anything below a
// map or a leaf (labels, quantities, int-or-strings) is data, so known.
bool IsPodSchemaField(std::string_view path);

}  // namespace cubelet::api

#endif  // CUBELET_API_SCHEMA_H_
