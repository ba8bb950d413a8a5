// The CRI v1 messages cubelet uses, in cubelet's own types (runtime.v1 of
// kubernetes/cri-api, field for field where cubelet needs the field). The
// gRPC client (a later module) converts these to and from the wire; nothing
// gRPC-shaped appears here. Timestamps are Unix nanoseconds, as on the wire.
//
// Plain values; no thread-safety beyond that of plain values.
#ifndef CUBELET_CRI_TYPES_H_
#define CUBELET_CRI_TYPES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cubelet::cri {

// Transparent: lookups by a `const char*` key build no std::string (the
// relist reads a few labels of every container).
using Labels = std::map<std::string, std::string, std::less<>>;

enum class PodSandboxState { kReady = 0, kNotReady = 1 };
enum class ContainerState { kCreated = 0, kRunning = 1, kExited = 2, kUnknown = 3 };
enum class NamespaceMode { kPod = 0, kContainer = 1, kNode = 2, kTarget = 3 };
enum class Protocol { kTcp = 0, kUdp = 1, kSctp = 2 };
enum class MountPropagation { kPrivate = 0, kHostToContainer = 1, kBidirectional = 2 };

// The Linux namespaces of a sandbox or container. The CRI default is POD for
// all three; the kubelet sends CONTAINER for pid unless the pod shares its
// process namespace, so that is the default here.
struct NamespaceOption {
  NamespaceMode network = NamespaceMode::kPod;
  NamespaceMode pid = NamespaceMode::kContainer;
  NamespaceMode ipc = NamespaceMode::kPod;
  std::string target_id;  // the container a kTarget mode joins
  bool operator==(const NamespaceOption&) const = default;
};

// A seccomp profile (CRI SecurityProfile).
struct SecurityProfile {
  enum class Type { kRuntimeDefault = 0, kUnconfined = 1, kLocalhost = 2 };
  Type type = Type::kUnconfined;
  std::string localhost_ref;  // absolute path, for kLocalhost
  bool operator==(const SecurityProfile&) const = default;
};

struct VersionInfo {
  std::string version;
  std::string runtime_name;
  std::string runtime_version;
  std::string runtime_api_version;
};

struct RuntimeCondition {
  std::string type;  // "RuntimeReady", "NetworkReady"
  bool status = false;
  std::string reason;
  std::string message;
};

struct RuntimeStatus {
  std::vector<RuntimeCondition> conditions;
};

struct PodSandboxMetadata {
  std::string name;
  std::string uid;
  std::string namespace_;
  uint32_t attempt = 0;
};

struct DNSConfig {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

struct PortMapping {
  Protocol protocol = Protocol::kTcp;
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string host_ip;
};

struct LinuxContainerResources {
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_shares = 0;
  int64_t memory_limit_in_bytes = 0;
  int64_t oom_score_adj = 0;
};

// SELinux labels (CRI SELinuxOption); ignored by a runtime on a host
// without SELinux.
struct SELinuxOption {
  std::string user;
  std::string role;
  std::string type;
  std::string level;

  bool operator==(const SELinuxOption&) const = default;
};

struct PodSandboxConfig {
  PodSandboxMetadata metadata;
  std::string hostname;
  std::string log_directory;
  DNSConfig dns_config;
  std::vector<PortMapping> port_mappings;
  Labels labels;
  Labels annotations;
  // linux: cgroup_parent and the namespaces (network kNode = host network).
  std::string cgroup_parent;
  NamespaceMode network_mode = NamespaceMode::kPod;
  NamespaceMode pid_mode = NamespaceMode::kPod;
  NamespaceMode ipc_mode = NamespaceMode::kPod;
  Labels sysctls;  // the same map type, not labels
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::vector<int64_t> supplemental_groups;
  std::optional<SecurityProfile> seccomp;
  std::optional<SELinuxOption> selinux_options;
  // security_context.privileged: containerd refuses privileged containers in
  // a sandbox without it.
  bool privileged = false;
};

struct PodSandbox {
  std::string id;
  PodSandboxMetadata metadata;
  PodSandboxState state = PodSandboxState::kNotReady;
  int64_t created_at = 0;
  Labels labels;
  Labels annotations;
  std::string runtime_handler;
};

struct PodSandboxStatus {
  std::string id;
  PodSandboxMetadata metadata;
  PodSandboxState state = PodSandboxState::kNotReady;
  int64_t created_at = 0;
  std::string ip;  // network.ip
  std::vector<std::string> additional_ips;
  NamespaceMode network_mode = NamespaceMode::kPod;
  Labels labels;
  Labels annotations;
};

struct PodSandboxFilter {
  std::string id;
  std::optional<PodSandboxState> state;
  Labels label_selector;
};

struct ContainerMetadata {
  std::string name;
  uint32_t attempt = 0;
};

struct ImageSpec {
  std::string image;
  Labels annotations;
};

struct KeyValue {
  std::string key;
  std::string value;
};

struct Mount {
  std::string container_path;
  std::string host_path;
  bool readonly = false;
  MountPropagation propagation = MountPropagation::kPrivate;
};

// A host device node the container sees (from a device plugin).
struct Device {
  std::string container_path;
  std::string host_path;
  std::string permissions;  // "rwm" and subsets

  bool operator==(const Device&) const = default;
};

struct Capability {
  std::vector<std::string> add_capabilities;  // "NET_ADMIN", as in the pod spec
  std::vector<std::string> drop_capabilities;
};

// linux.security_context of a container (the fields cubelet sets).
struct LinuxContainerSecurityContext {
  Capability capabilities;
  bool privileged = false;
  std::optional<int64_t> run_as_user;  // unset: the image's user
  std::optional<int64_t> run_as_group;
  bool readonly_rootfs = false;
  bool no_new_privs = false;
  NamespaceOption namespaces;
  std::vector<int64_t> supplemental_groups;
  // Paths the runtime masks / makes read-only (the procMount: Default lists).
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::optional<SecurityProfile> seccomp;
  // AppArmor (localhost_ref: a profile name loaded on the node), and the same
  // in the deprecated string form older runtimes read.
  std::optional<SecurityProfile> apparmor;
  std::string apparmor_profile;
  std::optional<SELinuxOption> selinux_options;
};

struct ContainerConfig {
  ContainerMetadata metadata;
  ImageSpec image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<KeyValue> envs;
  std::vector<Mount> mounts;
  std::vector<Device> devices;
  Labels labels;
  Labels annotations;
  std::string log_path;  // relative to the sandbox's log_directory
  bool stdin = false;
  bool tty = false;
  LinuxContainerResources resources;
  LinuxContainerSecurityContext security_context;
};

struct Container {
  std::string id;
  std::string pod_sandbox_id;
  ContainerMetadata metadata;
  ImageSpec image;
  std::string image_ref;
  ContainerState state = ContainerState::kUnknown;
  int64_t created_at = 0;
  Labels labels;
  Labels annotations;
};

struct ContainerStatus {
  std::string id;
  ContainerMetadata metadata;
  ContainerState state = ContainerState::kUnknown;
  int64_t created_at = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  int32_t exit_code = 0;
  ImageSpec image;
  std::string image_ref;
  std::string reason;
  std::string message;
  Labels labels;
  Labels annotations;
  std::vector<Mount> mounts;
  std::string log_path;
};

struct ContainerFilter {
  std::string id;
  std::optional<ContainerState> state;
  std::string pod_sandbox_id;
  Labels label_selector;
};

struct ExecSyncResponse {
  std::string stdout_data;
  std::string stderr_data;
  int32_t exit_code = 0;
};

// Which streams an Exec or Attach session carries (a tty merges stderr into
// stdout).
struct StreamOptions {
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  bool tty = false;
};

struct Image {
  std::string id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  uint64_t size = 0;
  // The image's USER: a numeric uid, or else a name; neither when it has none.
  std::optional<int64_t> uid;
  std::string username;
};

// A filesystem's usage as the runtime counts it (a container's writable
// layer, the image filesystem); unset counts were not reported.
struct FilesystemUsage {
  int64_t timestamp = 0;  // ns since the epoch
  std::string mountpoint;
  std::optional<uint64_t> used_bytes;
  std::optional<uint64_t> inodes_used;
};

struct ImageFsInfo {
  std::vector<FilesystemUsage> image_filesystems;
  std::vector<FilesystemUsage> container_filesystems;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_TYPES_H_
