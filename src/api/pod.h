// The Kubernetes v1 Pod subset a node agent needs, as plain C++ values.
//
// Field names follow the v1 API in snake_case (`namespace` is `namespace_`).
// Pointers in the Go API (`*int64`, `*Probe`) are std::optional here; enum-like
// strings stay strings so JSON round-trips losslessly (constants below).
// Values are immutable once handed to the engine: the pod workers share them as
// std::shared_ptr<const Pod>. No thread-safety beyond that of plain values.
// Every struct has a defaulted operator== (field-wise), so tests and change
// detection can compare whole pods.
#ifndef CUBELET_API_POD_H_
#define CUBELET_API_POD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace cubelet::api {

// Pod phases (PodPhase).
inline constexpr char kPodPending[] = "Pending";
inline constexpr char kPodRunning[] = "Running";
inline constexpr char kPodSucceeded[] = "Succeeded";
inline constexpr char kPodFailed[] = "Failed";
inline constexpr char kPodUnknown[] = "Unknown";

// Restart policies (pod level; "Always" is also the init-container sidecar value).
inline constexpr char kRestartAlways[] = "Always";
inline constexpr char kRestartOnFailure[] = "OnFailure";
inline constexpr char kRestartNever[] = "Never";

// Container restart rules: actions and exit-code operators.
inline constexpr char kRestartRuleActionRestart[] = "Restart";
inline constexpr char kRestartRuleActionRestartAllContainers[] = "RestartAllContainers";
inline constexpr char kExitCodesOpIn[] = "In";
inline constexpr char kExitCodesOpNotIn[] = "NotIn";

// Image pull policies.
inline constexpr char kPullAlways[] = "Always";
inline constexpr char kPullIfNotPresent[] = "IfNotPresent";
inline constexpr char kPullNever[] = "Never";

// Pod condition types and statuses.
inline constexpr char kPodScheduled[] = "PodScheduled";
inline constexpr char kPodInitialized[] = "Initialized";
inline constexpr char kContainersReady[] = "ContainersReady";
inline constexpr char kPodReady[] = "Ready";
inline constexpr char kConditionTrue[] = "True";
inline constexpr char kConditionFalse[] = "False";

// Annotations the kubelet's config layer sets on pods it reads.
inline constexpr char kConfigSourceAnnotation[] = "kubernetes.io/config.source";
inline constexpr char kConfigHashAnnotation[] = "kubernetes.io/config.hash";
inline constexpr char kConfigSeenAnnotation[] = "kubernetes.io/config.seen";
inline constexpr char kConfigMirrorAnnotation[] = "kubernetes.io/config.mirror";
inline constexpr char kApiserverSource[] = "api";

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<absl::Time> creation_timestamp;
  std::optional<absl::Time> deletion_timestamp;
  std::optional<int64_t> deletion_grace_period_seconds;

  bool operator==(const ObjectMeta&) const = default;
};

// An int-or-string port ("http" or 8080).
struct IntOrString {
  bool is_string = false;
  int32_t int_value = 0;
  std::string string_value;

  bool operator==(const IntOrString&) const = default;
};

struct ObjectFieldSelector {
  std::string api_version;  // defaulted to "v1"
  std::string field_path;

  bool operator==(const ObjectFieldSelector&) const = default;
};

// limits.cpu, requests.memory, ... of a container, scaled by `divisor`.
struct ResourceFieldSelector {
  std::string container_name;
  std::string resource;
  std::optional<std::string> divisor;  // a quantity; "1" when unset

  bool operator==(const ResourceFieldSelector&) const = default;
};

// A key of a ConfigMap or Secret (configMapKeyRef, secretKeyRef).
struct KeySelector {
  std::string name;
  std::string key;
  std::optional<bool> optional;

  bool operator==(const KeySelector&) const = default;
};

// A key of an env file (KEY='value' lines) in an emptyDir volume
// (fileKeyRef, the EnvFiles feature).
struct FileKeySelector {
  std::string volume_name;
  std::string path;  // within the volume
  std::string key;
  std::optional<bool> optional;

  bool operator==(const FileKeySelector&) const = default;
};

struct EnvVarSource {
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<KeySelector> config_map_key_ref;
  std::optional<KeySelector> secret_key_ref;
  std::optional<FileKeySelector> file_key_ref;

  bool operator==(const EnvVarSource&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;
  std::optional<EnvVarSource> value_from;

  bool operator==(const EnvVar&) const = default;
};

// A whole ConfigMap or Secret (envFrom's configMapRef, secretRef).
struct OptionalObjectRef {
  std::string name;
  std::optional<bool> optional;

  bool operator==(const OptionalObjectRef&) const = default;
};

struct EnvFromSource {
  std::string prefix;
  std::optional<OptionalObjectRef> config_map_ref;
  std::optional<OptionalObjectRef> secret_ref;

  bool operator==(const EnvFromSource&) const = default;
};

struct ContainerPort {
  std::string name;
  int32_t host_port = 0;
  int32_t container_port = 0;
  std::string protocol;  // defaulted to "TCP"
  std::string host_ip;

  bool operator==(const ContainerPort&) const = default;
};

// Quantities are kept as written ("100m", "64Mi"); see api/quantity.h to read them.
struct ResourceRequirements {
  std::map<std::string, std::string> limits;
  std::map<std::string, std::string> requests;

  bool operator==(const ResourceRequirements&) const = default;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  bool read_only = false;
  std::string sub_path;
  std::optional<std::string> mount_propagation;    // None, HostToContainer, Bidirectional
  std::optional<std::string> recursive_read_only;  // Disabled, IfPossible, Enabled

  bool operator==(const VolumeMount&) const = default;
};

struct ExecAction {
  std::vector<std::string> command;

  bool operator==(const ExecAction&) const = default;
};

struct HTTPHeader {
  std::string name;
  std::string value;

  bool operator==(const HTTPHeader&) const = default;
};

struct HTTPGetAction {
  std::string path;
  IntOrString port;
  std::string host;
  std::string scheme;  // defaulted to "HTTP"
  std::vector<HTTPHeader> http_headers;

  bool operator==(const HTTPGetAction&) const = default;
};

struct TCPSocketAction {
  IntOrString port;
  std::string host;

  bool operator==(const TCPSocketAction&) const = default;
};

struct GRPCAction {
  int32_t port = 0;
  std::optional<std::string> service;

  bool operator==(const GRPCAction&) const = default;
};

struct SleepAction {
  int64_t seconds = 0;

  bool operator==(const SleepAction&) const = default;
};

// Exactly one member is set in a valid handler.
struct ProbeHandler {
  std::optional<ExecAction> exec;
  std::optional<HTTPGetAction> http_get;
  std::optional<TCPSocketAction> tcp_socket;
  std::optional<GRPCAction> grpc;

  bool operator==(const ProbeHandler&) const = default;
};

struct Probe {
  ProbeHandler handler;  // inlined in the API object, as in Go
  int32_t initial_delay_seconds = 0;
  int32_t timeout_seconds = 1;
  int32_t period_seconds = 10;
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
  std::optional<int64_t> termination_grace_period_seconds;

  bool operator==(const Probe&) const = default;
};

struct LifecycleHandler {
  std::optional<ExecAction> exec;
  std::optional<HTTPGetAction> http_get;
  std::optional<TCPSocketAction> tcp_socket;
  std::optional<SleepAction> sleep;

  bool operator==(const LifecycleHandler&) const = default;
};

struct Lifecycle {
  std::optional<LifecycleHandler> post_start;
  std::optional<LifecycleHandler> pre_stop;

  bool operator==(const Lifecycle&) const = default;
};

struct Capabilities {
  std::vector<std::string> add;
  std::vector<std::string> drop;

  bool operator==(const Capabilities&) const = default;
};

// Seccomp profile types.
inline constexpr char kSeccompRuntimeDefault[] = "RuntimeDefault";
inline constexpr char kSeccompUnconfined[] = "Unconfined";
inline constexpr char kSeccompLocalhost[] = "Localhost";

struct SeccompProfile {
  std::string type;
  std::optional<std::string> localhost_profile;  // relative to <root-dir>/seccomp

  bool operator==(const SeccompProfile&) const = default;
};

// An AppArmor profile (appArmorProfile): the same types (RuntimeDefault,
// Unconfined, Localhost with a profile name loaded on the node) and shape.
using AppArmorProfile = SeccompProfile;

// SELinux labels for containers (seLinuxOptions). Passed to the runtime as
// the kubelet does; on a host without SELinux the runtime ignores them.
struct SELinuxOptions {
  std::string user;
  std::string role;
  std::string type;
  std::string level;

  bool operator==(const SELinuxOptions&) const = default;
};

struct SecurityContext {
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::optional<bool> read_only_root_filesystem;
  std::optional<bool> privileged;
  std::optional<bool> allow_privilege_escalation;
  std::optional<Capabilities> capabilities;
  std::optional<SeccompProfile> seccomp_profile;
  std::optional<AppArmorProfile> app_armor_profile;
  std::optional<SELinuxOptions> se_linux_options;

  bool operator==(const SecurityContext&) const = default;
};

// Upstream ContainerRestartRuleOnExitCodes: which exit codes a rule matches.
struct ContainerRestartRuleOnExitCodes {
  std::string operator_;  // "In" or "NotIn"
  std::vector<int32_t> values;

  bool operator==(const ContainerRestartRuleOnExitCodes&) const = default;
};

// Upstream ContainerRestartRule (ContainerRestartRules, Beta since 1.35):
// what to do when a container exits with a matching code.
struct ContainerRestartRule {
  std::string action;  // "Restart"; "RestartAllContainers" is refused
  std::optional<ContainerRestartRuleOnExitCodes> exit_codes;

  bool operator==(const ContainerRestartRule&) const = default;
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvFromSource> env_from;
  std::vector<EnvVar> env;
  ResourceRequirements resources;
  std::vector<VolumeMount> volume_mounts;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> startup_probe;
  std::optional<Lifecycle> lifecycle;
  std::string termination_message_path;    // defaulted to /dev/termination-log
  std::string termination_message_policy;  // defaulted to "File"
  std::string image_pull_policy;  // defaulted: Always for :latest/no tag, else IfNotPresent
  std::optional<SecurityContext> security_context;
  // Always, OnFailure or Never, overriding the pod's; an init container's
  // "Always" makes it a sidecar (api/restart_policy.h decides restarts).
  std::optional<std::string> restart_policy;
  std::vector<ContainerRestartRule> restart_policy_rules;  // needs restart_policy
  // Ephemeral containers only: the container whose process namespace it joins.
  std::string target_container_name;
  bool stdin = false;
  bool tty = false;

  bool operator==(const Container&) const = default;
};

struct EmptyDirVolumeSource {
  std::string medium;  // "" (node disk) or "Memory"
  std::optional<std::string> size_limit;

  bool operator==(const EmptyDirVolumeSource&) const = default;
};

struct HostPathVolumeSource {
  std::string path;
  std::string type;  // "" (no check), Directory, DirectoryOrCreate, File, FileOrCreate, Socket, ...

  bool operator==(const HostPathVolumeSource&) const = default;
};

struct DownwardAPIVolumeFile {
  std::string path;
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<int32_t> mode;

  bool operator==(const DownwardAPIVolumeFile&) const = default;
};

struct DownwardAPIVolumeSource {
  std::vector<DownwardAPIVolumeFile> items;
  std::optional<int32_t> default_mode;  // defaulted to 0644

  bool operator==(const DownwardAPIVolumeSource&) const = default;
};

// One key of a ConfigMap or Secret volume, projected to `path` (items).
struct KeyToPath {
  std::string key;
  std::string path;
  std::optional<int32_t> mode;

  bool operator==(const KeyToPath&) const = default;
};

// configMap and secret volumes (cluster mode: the objects come from the API
// server). Without items every key becomes a file named after it.
struct ConfigMapVolumeSource {
  std::string name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;  // defaulted to 0644
  std::optional<bool> optional;

  bool operator==(const ConfigMapVolumeSource&) const = default;
};

struct SecretVolumeSource {
  std::string secret_name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;  // defaulted to 0644
  std::optional<bool> optional;

  bool operator==(const SecretVolumeSource&) const = default;
};

// The sources of a projected volume: one of them per entry.
struct ServiceAccountTokenProjection {
  std::string audience;
  std::optional<int64_t> expiration_seconds;  // defaulted to 3600
  std::string path;

  bool operator==(const ServiceAccountTokenProjection&) const = default;
};

struct VolumeProjection {
  std::optional<SecretVolumeSource> secret;             // secret_name holds "name"; no defaultMode
  std::optional<ConfigMapVolumeSource> config_map;      // no defaultMode
  std::optional<DownwardAPIVolumeSource> downward_api;  // items only
  std::optional<ServiceAccountTokenProjection> service_account_token;
  // clusterTrustBundle, podCertificate: known, refused (api/unsupported.h).
  std::vector<std::string> refused_sources;

  bool operator==(const VolumeProjection&) const = default;
};

// projected: the files of several sources in one directory (the
// ServiceAccount admission plugin's kube-api-access-* volume is one).
struct ProjectedVolumeSource {
  std::vector<VolumeProjection> sources;
  std::optional<int32_t> default_mode;  // defaulted to 0644

  bool operator==(const ProjectedVolumeSource&) const = default;
};

struct Volume {
  std::string name;
  std::optional<EmptyDirVolumeSource> empty_dir;
  std::optional<HostPathVolumeSource> host_path;
  std::optional<DownwardAPIVolumeSource> downward_api;
  std::optional<ConfigMapVolumeSource> config_map;
  std::optional<SecretVolumeSource> secret;
  std::optional<ProjectedVolumeSource> projected;
  // v1 sources cubelet knows but refuses ("configMap", "nfs", ...; see
  // api/unsupported.h), as written; validation counts them as the volume's type.
  std::vector<std::string> refused_sources;

  bool operator==(const Volume&) const = default;
};

struct Sysctl {
  std::string name;
  std::string value;

  bool operator==(const Sysctl&) const = default;
};

// Pod-wide security settings; a container's own SecurityContext overrides
// the fields both have.
struct PodSecurityContext {
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::vector<int64_t> supplemental_groups;
  std::optional<int64_t> fs_group;
  std::optional<std::string> fs_group_change_policy;  // Always, OnRootMismatch
  std::optional<SeccompProfile> seccomp_profile;
  std::optional<AppArmorProfile> app_armor_profile;
  std::optional<SELinuxOptions> se_linux_options;
  std::vector<Sysctl> sysctls;

  bool operator==(const PodSecurityContext&) const = default;
};

struct PodDNSConfigOption {
  std::string name;
  std::optional<std::string> value;

  bool operator==(const PodDNSConfigOption&) const = default;
};

struct PodDNSConfig {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<PodDNSConfigOption> options;

  bool operator==(const PodDNSConfig&) const = default;
};

// DNS policies.
inline constexpr char kDNSClusterFirst[] = "ClusterFirst";
inline constexpr char kDNSClusterFirstWithHostNet[] = "ClusterFirstWithHostNet";
inline constexpr char kDNSDefault[] = "Default";
inline constexpr char kDNSNone[] = "None";

struct HostAlias {
  std::string ip;
  std::vector<std::string> hostnames;

  bool operator==(const HostAlias&) const = default;
};

struct Toleration {
  std::string key;
  std::string operator_;  // Exists, Equal ("" means Equal)
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute, or "" (all)
  std::optional<int64_t> toleration_seconds;

  bool operator==(const Toleration&) const = default;
};

struct NodeSelectorRequirement {
  std::string key;
  std::string operator_;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;

  bool operator==(const NodeSelectorRequirement&) const = default;
};

struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;

  bool operator==(const NodeSelectorTerm&) const = default;
};

// Only what the node admits by: the required node affinity. Preferred terms
// and pod (anti-)affinity are the scheduler's business; the kubelet ignores
// them too.
struct NodeAffinity {
  std::optional<std::vector<NodeSelectorTerm>> required_terms;

  bool operator==(const NodeAffinity&) const = default;
};

struct Affinity {
  std::optional<NodeAffinity> node_affinity;

  bool operator==(const Affinity&) const = default;
};

struct PodOS {
  std::string name;  // linux, windows

  bool operator==(const PodOS&) const = default;
};

struct PodSpec {
  std::vector<Volume> volumes;
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  // Added to a running pod through the API server (kubectl debug); started
  // once, never restarted, not part of the phase.
  std::vector<Container> ephemeral_containers;
  std::string restart_policy;                               // defaulted to Always
  std::optional<int64_t> termination_grace_period_seconds;  // defaulted to 30
  std::optional<int64_t> active_deadline_seconds;
  std::string dns_policy;  // defaulted to ClusterFirst
  std::string node_name;
  bool host_network = false;
  std::string hostname;
  std::string subdomain;
  // The sandbox's hostname is hostname.subdomain.<namespace>.svc.<cluster
  // domain> (with a subdomain); at most 64 bytes.
  std::optional<bool> set_hostname_as_fqdn;
  // Replaces the hostname (and any FQDN) outright; not with hostNetwork.
  std::optional<std::string> hostname_override;
  std::string scheduler_name;  // defaulted to default-scheduler
  std::optional<int64_t> priority;
  std::optional<PodSecurityContext> security_context;
  bool host_pid = false;
  bool host_ipc = false;
  std::optional<bool> share_process_namespace;
  std::optional<bool> host_users;
  std::optional<std::string> runtime_class_name;
  std::vector<std::string> image_pull_secrets;  // LocalObjectReference names
  std::optional<PodDNSConfig> dns_config;
  std::vector<HostAlias> host_aliases;
  std::map<std::string, std::string> node_selector;
  std::optional<Affinity> affinity;
  std::vector<Toleration> tolerations;
  std::optional<PodOS> os;
  std::optional<ResourceRequirements> resources;  // pod-level
  std::string service_account_name;
  std::optional<bool> automount_service_account_token;
  std::optional<bool> enable_service_links;
  // readinessGates[].conditionType: conditions others set that must be True
  // too before the pod is Ready.
  std::vector<std::string> readiness_gates;
  std::string priority_class_name;

  bool operator==(const PodSpec&) const = default;
};

struct PodCondition {
  std::string type;
  std::string status;
  std::optional<absl::Time> last_probe_time;
  std::optional<absl::Time> last_transition_time;
  std::string reason;
  std::string message;

  bool operator==(const PodCondition&) const = default;
};

struct ContainerStateWaiting {
  std::string reason;
  std::string message;

  bool operator==(const ContainerStateWaiting&) const = default;
};

struct ContainerStateRunning {
  std::optional<absl::Time> started_at;

  bool operator==(const ContainerStateRunning&) const = default;
};

struct ContainerStateTerminated {
  int32_t exit_code = 0;
  int32_t signal = 0;
  std::string reason;
  std::string message;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;
  std::string container_id;

  bool operator==(const ContainerStateTerminated&) const = default;
};

// At most one member is set.
struct ContainerState {
  std::optional<ContainerStateWaiting> waiting;
  std::optional<ContainerStateRunning> running;
  std::optional<ContainerStateTerminated> terminated;

  bool operator==(const ContainerState&) const = default;
};

// A container's volume mount as its status reports it (v1 VolumeMountStatus).
struct VolumeMountStatus {
  std::string name;
  std::string mount_path;
  bool read_only = false;
  std::optional<std::string> recursive_read_only;  // Disabled or Enabled; unset when read-write

  bool operator==(const VolumeMountStatus&) const = default;
};

struct ContainerStatus {
  std::string name;
  ContainerState state;
  ContainerState last_state;
  bool ready = false;
  int32_t restart_count = 0;
  std::string image;
  std::string image_id;
  std::string container_id;  // "containerd://<id>"
  std::optional<bool> started;
  std::vector<VolumeMountStatus> volume_mounts;

  bool operator==(const ContainerStatus&) const = default;
};

struct PodIP {
  std::string ip;

  bool operator==(const PodIP&) const = default;
};

struct PodStatus {
  std::string phase;
  std::vector<PodCondition> conditions;
  std::string message;
  std::string reason;
  std::string host_ip;
  std::string pod_ip;
  std::vector<PodIP> pod_ips;
  std::optional<absl::Time> start_time;
  std::vector<ContainerStatus> init_container_statuses;
  std::vector<ContainerStatus> container_statuses;
  std::vector<ContainerStatus> ephemeral_container_statuses;
  std::string qos_class;

  bool operator==(const PodStatus&) const = default;
};

struct Pod {
  std::string api_version = "v1";
  std::string kind = "Pod";
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;
  // Not on the wire: why cubelet cannot run this pod ("spec.volumes[0].secret:
  // ..."; the fields it does not implement), set by the API server source,
  // which must still hand the pod over so it is rejected with this message
  // rather than dropped. Empty for pods cubelet can run.
  std::string unsupported;

  bool operator==(const Pod&) const = default;
};

using PodPtr = std::shared_ptr<const Pod>;

// "<name>_<namespace>", the key the kubelet uses for static pods.
inline std::string PodFullName(const Pod& pod) {
  return pod.metadata.name + "_" + pod.metadata.namespace_;
}

// A pod is static when a source other than the API server supplied it.
inline bool IsStaticPod(const Pod& pod) {
  auto it = pod.metadata.annotations.find(kConfigSourceAnnotation);
  return it != pod.metadata.annotations.end() && it->second != kApiserverSource;
}

inline bool IsMirrorPod(const Pod& pod) {
  return pod.metadata.annotations.count(kConfigMirrorAnnotation) > 0;
}

inline bool IsTerminalPhase(const std::string& phase) {
  return phase == kPodSucceeded || phase == kPodFailed;
}

// The port a probe or lifecycle handler names: a number, or the name of one
// of `ports` (a container's ports); -1 when the name is unknown.
inline int ResolvePort(const IntOrString& port, const std::vector<ContainerPort>& ports) {
  if (!port.is_string) return port.int_value;
  for (const ContainerPort& p : ports) {
    if (p.name == port.string_value) return p.container_port;
  }
  return -1;
}

// An init container with restartPolicy Always (a sidecar).
inline bool IsRestartableInitContainer(const Container& c) {
  return c.restart_policy.has_value() && *c.restart_policy == kRestartAlways;
}

}  // namespace cubelet::api

#endif  // CUBELET_API_POD_H_
