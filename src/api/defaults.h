// API-server v1 defaulting for pods read from manifests (what
// pkg/apis/core/v1/defaults.go fills in before validation), so static pods look
// like pods that came through the API server.
//
// Stateless; ApplyDefaults mutates only its argument and is idempotent.
#ifndef CUBELET_API_DEFAULTS_H_
#define CUBELET_API_DEFAULTS_H_

#include <string>
#include <string_view>

#include "api/pod.h"

namespace cubelet::api {

inline constexpr char kDefaultNamespace[] = "default";
inline constexpr int64_t kDefaultTerminationGracePeriodSeconds = 30;
inline constexpr char kDnsClusterFirst[] = "ClusterFirst";
inline constexpr char kDefaultSchedulerName[] = "default-scheduler";
inline constexpr char kDefaultTerminationMessagePath[] = "/dev/termination-log";
inline constexpr char kTerminationMessageReadFile[] = "File";
inline constexpr char kProtocolTCP[] = "TCP";
inline constexpr char kURISchemeHTTP[] = "HTTP";
// defaultMode of configMap and secret volumes (v1.ConfigMapVolumeSourceDefaultMode).
inline constexpr int32_t kDefaultVolumeFileMode = 0644;

// Fills every unset defaultable field of `pod` (namespace, restart policy, grace
// period, DNS policy, scheduler, per-container pull policy, termination message,
// port protocol, probe timings, httpGet scheme/path, fieldRef apiVersion,
// requests from limits, host ports under hostNetwork).
void ApplyDefaults(Pod& pod);

// The pull policy the API server would pick for `image` when none is given:
// Always when the tag is "latest" or the reference has neither tag nor digest,
// IfNotPresent otherwise.
std::string DefaultImagePullPolicy(std::string_view image);

}  // namespace cubelet::api

#endif  // CUBELET_API_DEFAULTS_H_
