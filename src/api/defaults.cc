#include "api/defaults.h"

#include <string>
#include <string_view>

namespace cubelet::api {
namespace {

void DefaultHTTPGet(HTTPGetAction& action) {
  if (action.path.empty()) action.path = "/";
  if (action.scheme.empty()) action.scheme = kURISchemeHTTP;
}

void DefaultProbe(std::optional<Probe>& probe) {
  if (!probe) return;
  // Zero means "unset" on the wire (the Go fields are omitempty ints).
  if (probe->timeout_seconds == 0) probe->timeout_seconds = 1;
  if (probe->period_seconds == 0) probe->period_seconds = 10;
  if (probe->success_threshold == 0) probe->success_threshold = 1;
  if (probe->failure_threshold == 0) probe->failure_threshold = 3;
  if (probe->handler.http_get) DefaultHTTPGet(*probe->handler.http_get);
}

void DefaultLifecycleHandler(std::optional<LifecycleHandler>& handler) {
  if (handler && handler->http_get) DefaultHTTPGet(*handler->http_get);
}

void DefaultContainer(Container& c, bool host_network) {
  if (c.image_pull_policy.empty()) c.image_pull_policy = DefaultImagePullPolicy(c.image);
  if (c.termination_message_path.empty()) {
    c.termination_message_path = kDefaultTerminationMessagePath;
  }
  if (c.termination_message_policy.empty()) {
    c.termination_message_policy = kTerminationMessageReadFile;
  }
  for (ContainerPort& port : c.ports) {
    if (port.protocol.empty()) port.protocol = kProtocolTCP;
    // With the host's network namespace the container port is the host port.
    if (host_network && port.host_port == 0) port.host_port = port.container_port;
  }
  for (EnvVar& env : c.env) {
    if (env.value_from && env.value_from->field_ref &&
        env.value_from->field_ref->api_version.empty()) {
      env.value_from->field_ref->api_version = "v1";
    }
  }
  // A limit without a request means "request exactly the limit".
  for (const auto& [resource, quantity] : c.resources.limits) {
    c.resources.requests.try_emplace(resource, quantity);
  }
  DefaultProbe(c.liveness_probe);
  DefaultProbe(c.readiness_probe);
  DefaultProbe(c.startup_probe);
  if (c.lifecycle) {
    DefaultLifecycleHandler(c.lifecycle->post_start);
    DefaultLifecycleHandler(c.lifecycle->pre_stop);
  }
}

}  // namespace

std::string DefaultImagePullPolicy(std::string_view image) {
  std::string_view name = image;
  bool has_digest = false;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    has_digest = true;
    name = name.substr(0, at);
  }
  // A ':' after the last '/' starts the tag; earlier ones are registry ports.
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool has_tag =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  if (has_tag) return name.substr(colon + 1) == "latest" ? kPullAlways : kPullIfNotPresent;
  if (has_digest || image.empty()) return kPullIfNotPresent;
  return kPullAlways;
}

void ApplyDefaults(Pod& pod) {
  if (pod.metadata.namespace_.empty()) pod.metadata.namespace_ = kDefaultNamespace;
  PodSpec& spec = pod.spec;
  if (spec.restart_policy.empty()) spec.restart_policy = kRestartAlways;
  if (!spec.termination_grace_period_seconds) {
    spec.termination_grace_period_seconds = kDefaultTerminationGracePeriodSeconds;
  } else if (*spec.termination_grace_period_seconds < 0) {
    spec.termination_grace_period_seconds = 1;  // SetDefaults_Pod
  }
  if (spec.dns_policy.empty()) spec.dns_policy = kDnsClusterFirst;
  if (spec.scheduler_name.empty()) spec.scheduler_name = kDefaultSchedulerName;
  for (Container& c : spec.init_containers) DefaultContainer(c, spec.host_network);
  for (Container& c : spec.containers) DefaultContainer(c, spec.host_network);
  for (Container& c : spec.ephemeral_containers) DefaultContainer(c, spec.host_network);
  // SetDefaults_ObjectFieldSelector, for downwardAPI volume files too.
  for (Volume& v : spec.volumes) {
    // SetDefaults_Volume: a volume that names no source is an emptyDir.
    if (!v.empty_dir && !v.host_path && !v.downward_api && !v.config_map && !v.secret &&
        !v.projected && v.refused_sources.empty()) {
      v.empty_dir.emplace();
    }
    // SetDefaults_ConfigMapVolumeSource / SetDefaults_SecretVolumeSource.
    if (v.config_map.has_value() && !v.config_map->default_mode.has_value()) {
      v.config_map->default_mode = kDefaultVolumeFileMode;
    }
    if (v.secret.has_value() && !v.secret->default_mode.has_value()) {
      v.secret->default_mode = kDefaultVolumeFileMode;
    }
    auto default_files = [](std::vector<DownwardAPIVolumeFile>& items) {
      for (DownwardAPIVolumeFile& item : items) {
        if (item.field_ref.has_value() && item.field_ref->api_version.empty()) {
          item.field_ref->api_version = "v1";
        }
      }
    };
    if (v.downward_api.has_value()) default_files(v.downward_api->items);
    // SetDefaults_ProjectedVolumeSource / SetDefaults_ServiceAccountTokenProjection.
    if (!v.projected.has_value()) continue;
    if (!v.projected->default_mode.has_value()) v.projected->default_mode = kDefaultVolumeFileMode;
    for (VolumeProjection& source : v.projected->sources) {
      if (source.downward_api.has_value()) default_files(source.downward_api->items);
      if (source.service_account_token.has_value() &&
          !source.service_account_token->expiration_seconds.has_value()) {
        source.service_account_token->expiration_seconds = 3600;
      }
    }
  }
}

}  // namespace cubelet::api
