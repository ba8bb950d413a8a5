// The CRI configs the manager sends: sandbox config (kuberuntime_sandbox.go)
// and container config (kuberuntime_container.go, the linux resources part of
// kuberuntime_container_linux.go, and the env/command expansion of
// kubelet_pods.go makeEnvironmentVariables + third_party expansion).
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/fieldpath.h"
#include "api/quantity.h"
#include "api/validation.h"
#include "kuberuntime/env_file.h"
#include "kuberuntime/labels.h"
#include "kuberuntime/pod_cgroup.h"
#include "kuberuntime/pod_dns.h"
#include "kuberuntime/runtime_manager.h"
#include "kuberuntime/termination_message.h"
#include "lifecycle/security_admission.h"
#include "util/log.h"
#include "volume/subpath.h"

namespace cubelet::kuberuntime {
namespace {

constexpr int64_t kMinShares = 2;
constexpr int64_t kMaxShares = 262144;
constexpr int64_t kSharesPerCpu = 1024;
constexpr int64_t kMilliCpuToCpu = 1000;
constexpr int64_t kQuotaPeriod = 100000;  // 100 ms, the CFS default
constexpr int64_t kMinQuotaPeriod = 1000;
constexpr char kEtcHostsPath[] = "/etc/hosts";

cri::Protocol ToRuntimeProtocol(const std::string& p) {
  if (p == "UDP") return cri::Protocol::kUdp;
  if (p == "SCTP") return cri::Protocol::kSctp;
  return cri::Protocol::kTcp;
}

// Kubernetes' $(VAR) expansion: $(NAME) becomes the value of NAME when it is
// defined and stays as written otherwise; $$ escapes a literal $.
std::string Expand(std::string_view in, const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] != '$' || i + 1 >= in.size()) {
      out.push_back(in[i++]);
      continue;
    }
    char next = in[i + 1];
    if (next == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    if (next == '(') {
      size_t close = in.find(')', i + 2);
      if (close != std::string_view::npos) {
        std::string name(in.substr(i + 2, close - i - 2));
        auto it = vars.find(name);
        if (it != vars.end()) {
          out += it->second;
        } else {
          absl::StrAppend(&out, "$(", name, ")");
        }
        i = close + 1;
        continue;
      }
    }
    out.push_back(in[i++]);
  }
  return out;
}

absl::StatusOr<int64_t> MilliValueOf(const std::map<std::string, std::string>& list,
                                     const char* name) {
  auto it = list.find(name);
  if (it == list.end()) return 0;
  return api::ParseMilliValue(it->second);
}

absl::StatusOr<int64_t> ValueOf(const std::map<std::string, std::string>& list, const char* name) {
  auto it = list.find(name);
  if (it == list.end()) return 0;
  return api::ParseValue(it->second);
}

std::string ReadFileOrEmpty(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

// runtimeutil.NamespacesForPod: host namespaces when asked for; the process
// namespace is the pod's only with shareProcessNamespace, else each
// container's own (the v1 default; the CRI default would share it).
cri::NamespaceOption NamespacesForPod(const api::Pod& pod) {
  cri::NamespaceOption ns;
  ns.network = pod.spec.host_network ? cri::NamespaceMode::kNode : cri::NamespaceMode::kPod;
  ns.ipc = pod.spec.host_ipc ? cri::NamespaceMode::kNode : cri::NamespaceMode::kPod;
  if (pod.spec.host_pid) {
    ns.pid = cri::NamespaceMode::kNode;
  } else if (pod.spec.share_process_namespace.value_or(false)) {
    ns.pid = cri::NamespaceMode::kPod;
  } else {
    ns.pid = cri::NamespaceMode::kContainer;
  }
  return ns;
}

// The pod's fsGroup and supplementalGroups, in the kubelet's order.
std::vector<int64_t> PodSupplementalGroups(const api::Pod& pod) {
  std::vector<int64_t> groups;
  if (!pod.spec.security_context.has_value()) return groups;
  const api::PodSecurityContext& psc = *pod.spec.security_context;
  if (psc.fs_group.has_value()) groups.push_back(*psc.fs_group);
  groups.insert(groups.end(), psc.supplemental_groups.begin(), psc.supplemental_groups.end());
  return groups;
}

cri::SELinuxOption ToRuntimeSELinux(const api::SELinuxOptions& o) {
  return cri::SELinuxOption{.user = o.user, .role = o.role, .type = o.type, .level = o.level};
}

// convertToRuntimeSecurityContext plus the no_new_privs rule of
// determineEffectiveSecurityContext (securitycontext.AddNoNewPrivileges), over
// the effective (container over pod) security context.
cri::LinuxContainerSecurityContext ToRuntimeSecurityContext(
    const std::optional<api::SecurityContext>& sc) {
  cri::LinuxContainerSecurityContext out;
  if (!sc.has_value()) return out;
  if (sc->capabilities.has_value()) {
    out.capabilities.add_capabilities = sc->capabilities->add;
    out.capabilities.drop_capabilities = sc->capabilities->drop;
  }
  out.privileged = sc->privileged.value_or(false);
  out.run_as_user = sc->run_as_user;
  out.run_as_group = sc->run_as_group;
  out.readonly_rootfs = sc->read_only_root_filesystem.value_or(false);
  // Only an explicit false sets the flag; unset leaves escalation allowed.
  out.no_new_privs = sc->allow_privilege_escalation.has_value() && !*sc->allow_privilege_escalation;
  if (sc->se_linux_options.has_value())
    out.selinux_options = ToRuntimeSELinux(*sc->se_linux_options);
  return out;
}

// The CPUs of a Linux CPU list ("0-3,8"), as /sys/devices/system/cpu/possible
// holds; what does not parse is left out.
std::vector<int> PossibleCpus() {
  std::vector<int> cpus;
  std::string list = ReadFileOrEmpty("/sys/devices/system/cpu/possible");
  std::stringstream ranges(list);
  std::string range;
  while (std::getline(ranges, range, ',')) {
    int first = 0, last = 0;
    char dash = 0;
    std::stringstream r(range);
    if (!(r >> first)) continue;
    last = first;
    if (r >> dash && dash == '-' && !(r >> last)) continue;
    for (int cpu = first; cpu <= last && cpu - first < 4096; ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

// Upstream securitycontext defaultMaskedPaths (kept in sync with moby's),
// with each possible CPU's thermal_throttle directory that exists.
const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> kPaths = [] {
    std::vector<std::string> paths = {
        "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
        "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap"};
    for (int cpu : PossibleCpus()) {
      std::string path = absl::StrCat("/sys/devices/system/cpu/cpu", cpu, "/thermal_throttle");
      std::error_code ec;
      if (std::filesystem::exists(path, ec)) paths.push_back(std::move(path));
    }
    return paths;
  }();
  return kPaths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> kPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                  "/proc/sysrq-trigger"};
  return kPaths;
}

// kubecontainer.HasPrivilegedContainer.
bool HasPrivilegedContainer(const api::Pod& pod) {
  for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const api::Container& c : *list) {
      if (c.security_context.has_value() && c.security_context->privileged.value_or(false)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::optional<api::SecurityContext> EffectiveSecurityContext(const api::Pod& pod,
                                                             const api::Container& container) {
  if (!pod.spec.security_context.has_value()) return container.security_context;
  const api::PodSecurityContext& psc = *pod.spec.security_context;
  api::SecurityContext sc = container.security_context.value_or(api::SecurityContext{});
  if (!sc.run_as_user.has_value()) sc.run_as_user = psc.run_as_user;
  if (!sc.run_as_group.has_value()) sc.run_as_group = psc.run_as_group;
  if (!sc.run_as_non_root.has_value()) sc.run_as_non_root = psc.run_as_non_root;
  if (!sc.seccomp_profile.has_value()) sc.seccomp_profile = psc.seccomp_profile;
  if (!sc.se_linux_options.has_value()) sc.se_linux_options = psc.se_linux_options;
  return sc;
}

absl::StatusOr<cri::SecurityProfile> SeccompProfileFor(const std::optional<api::SeccompProfile>& p,
                                                       const std::string& profile_root) {
  cri::SecurityProfile out;  // Unconfined: the kubelet's default (SeccompDefault off)
  if (!p.has_value()) return out;
  if (p->type == api::kSeccompRuntimeDefault) {
    out.type = cri::SecurityProfile::Type::kRuntimeDefault;
  } else if (p->type == api::kSeccompLocalhost) {
    if (!p->localhost_profile.has_value() || p->localhost_profile->empty()) {
      return absl::InvalidArgumentError(
          "localhostProfile must be set if seccompProfile type is Localhost.");
    }
    out.type = cri::SecurityProfile::Type::kLocalhost;
    out.localhost_ref = JoinPath(profile_root, *p->localhost_profile);
  }
  return out;
}

absl::Status VerifyRunAsNonRoot(const api::Pod& pod, const api::Container& container,
                                std::optional<int64_t> image_uid,
                                const std::string& image_username) {
  const std::optional<api::SecurityContext> sc = EffectiveSecurityContext(pod, container);
  if (!sc.has_value() || !sc->run_as_non_root.value_or(false)) return absl::OkStatus();
  if (sc->run_as_user.has_value()) {
    if (*sc->run_as_user == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("container's runAsUser breaks non-root policy (pod: \"", FormatPod(pod),
                       "\", container: ", container.name, ")"));
    }
    return absl::OkStatus();
  }
  if (image_uid.has_value() && *image_uid == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("container has runAsNonRoot and image will run as root (pod: \"",
                     FormatPod(pod), "\", container: ", container.name, ")"));
  }
  if (!image_uid.has_value() && !image_username.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container has runAsNonRoot and image has non-numeric user (", image_username,
                     "), cannot verify user is non-root (pod: \"", FormatPod(pod),
                     "\", container: ", container.name, ")"));
  }
  return absl::OkStatus();
}

cri::PodSandboxConfig RuntimeManager::GeneratePodSandboxConfig(const api::Pod& pod,
                                                               uint32_t attempt) const {
  cri::PodSandboxConfig config;
  config.metadata = cri::PodSandboxMetadata{.name = pod.metadata.name,
                                            .uid = pod.metadata.uid,
                                            .namespace_ = pod.metadata.namespace_,
                                            .attempt = attempt};
  // Host-network pods keep the node's hostname. An FQDN too long for the
  // kernel fails the sandbox's creation (SyncPod checks it first).
  if (!pod.spec.host_network) {
    config.hostname = SandboxHostname(pod, options_.cluster_domain)
                          .value_or(HostnameAndDomain(pod, options_.cluster_domain).hostname);
  }
  config.log_directory = JoinPath(
      options_.pod_logs_dir,
      absl::StrCat(pod.metadata.namespace_, "_", pod.metadata.name, "_", pod.metadata.uid));
  for (const api::Container& c : pod.spec.containers) {
    for (const api::ContainerPort& p : c.ports) {
      // Only host ports need the runtime's port forwarding.
      if (p.host_port <= 0) continue;
      config.port_mappings.push_back(cri::PortMapping{.protocol = ToRuntimeProtocol(p.protocol),
                                                      .container_port = p.container_port,
                                                      .host_port = p.host_port,
                                                      .host_ip = p.host_ip});
    }
  }
  config.labels = NewPodLabels(pod);
  config.annotations = NewPodAnnotations(pod);
  config.cgroup_parent = PodCgroupParent(options_.cgroup_root, pod.metadata.uid);
  const cri::NamespaceOption ns = NamespacesForPod(pod);
  config.network_mode = ns.network;
  config.pid_mode = ns.pid;
  config.ipc_mode = ns.ipc;
  config.privileged = HasPrivilegedContainer(pod);
  // The sandbox itself always runs under the runtime's default seccomp
  // profile (kubernetes#84623), whatever the containers use.
  config.seccomp = cri::SecurityProfile{.type = cri::SecurityProfile::Type::kRuntimeDefault};
  if (pod.spec.security_context.has_value()) {
    const api::PodSecurityContext& psc = *pod.spec.security_context;
    for (const api::Sysctl& s : psc.sysctls) config.sysctls[s.name] = s.value;
    config.run_as_user = psc.run_as_user;
    config.run_as_group = psc.run_as_group;
    if (psc.se_linux_options.has_value()) {
      config.selinux_options = ToRuntimeSELinux(*psc.se_linux_options);
    }
    config.supplemental_groups = PodSupplementalGroups(pod);
  }
  config.dns_config = PodDNSConfig(pod, ReadFileOrEmpty(options_.resolv_conf));
  return config;
}

absl::StatusOr<std::vector<cri::KeyValue>> RuntimeManager::MakeEnvironment(
    const api::Container& container, const api::Pod& pod,
    const std::vector<std::string>& pod_ips) const {
  const std::string& ns = pod.metadata.namespace_;
  // Each object is read once per container, as upstream's per-call maps.
  std::map<std::string, apiobjects::ConfigMapPtr> config_maps;
  std::map<std::string, apiobjects::SecretPtr> secrets;
  auto no_api = [](std::string_view kind, std::string_view name) {
    return absl::FailedPreconditionError(absl::StrCat("couldn't get ", std::string(kind), " ",
                                                      std::string(name),
                                                      ", no API server (cluster mode only)"));
  };
  // The object `name` from `cache` or `get`; NotFound with `optional` is null
  // and OK: the caller skips the reference.
  auto fetch = [&](auto& cache, const std::string& name, bool optional, auto get,
                   std::string_view kind)
      -> absl::StatusOr<typename std::decay_t<decltype(cache)>::mapped_type> {
    using Ptr = typename std::decay_t<decltype(cache)>::mapped_type;
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    if (options_.objects == nullptr) return no_api(kind, name);
    absl::StatusOr<Ptr> object = get(name);
    if (!object.ok()) {
      if (absl::IsNotFound(object.status()) && optional) return Ptr();
      return object.status();
    }
    cache[name] = *object;
    return object;
  };
  auto config_map = [&](const std::string& name, bool optional) {
    return fetch(
        config_maps, name, optional,
        [&](const std::string& n) { return options_.objects->GetConfigMap(ns, n); }, "configMap");
  };
  auto secret = [&](const std::string& name, bool optional) {
    return fetch(
        secrets, name, optional,
        [&](const std::string& n) { return options_.objects->GetSecret(ns, n); }, "secret");
  };
  // The value of `ref`'s key; nullopt for an optional reference to what is
  // missing (the variable is then left out).
  auto key_value = [&](auto get, const api::KeySelector& ref,
                       std::string_view kind) -> absl::StatusOr<std::optional<std::string>> {
    const bool optional = ref.optional.value_or(false);
    auto object = get(ref.name, optional);
    if (!object.ok()) return object.status();
    if (*object == nullptr) return std::nullopt;
    auto it = (*object)->data.find(ref.key);
    if (it == (*object)->data.end()) {
      if (optional) return std::nullopt;
      return absl::InvalidArgumentError(absl::StrCat("couldn't find key ", ref.key, " in ",
                                                     std::string(kind), " ", ns, "/", ref.name));
    }
    return it->second;
  };

  // Upstream makeEnvironmentVariables: envFrom first, then env, which
  // overrides; values expand references to what came before them. The
  // result keeps first-appearance order with one entry per name.
  std::vector<cri::KeyValue> envs;
  std::map<std::string, std::string> vars;
  std::map<std::string, size_t> index;
  // The Services' variables (getServiceEnvVarMap): references expand to them
  // and they come last, for each name the container does not set itself.
  std::map<std::string, std::string> service_vars;
  if (options_.services != nullptr) {
    absl::StatusOr<std::vector<apiobjects::Service>> services = options_.services->ListServices();
    if (!services.ok()) return services.status();
    service_vars =
        apiobjects::ServiceEnvVars(*services, ns, pod.spec.enable_service_links.value_or(true));
    vars = service_vars;
  }
  auto set = [&](const std::string& name, std::string value) {
    vars[name] = value;
    if (auto it = index.find(name); it != index.end()) {
      envs[it->second].value = std::move(value);
      return;
    }
    index[name] = envs.size();
    envs.push_back(cri::KeyValue{.key = name, .value = std::move(value)});
  };
  auto from_keys = [&](const std::map<std::string, std::string>& data, const std::string& prefix,
                       std::string_view kind, const std::string& name) {
    std::vector<std::string> invalid;
    for (const auto& [key, value] : data) {
      std::string var = prefix + key;
      if (var.empty() || !api::IsEnvVarName(var).empty()) {
        invalid.push_back(var);
        continue;
      }
      set(var, value);
    }
    if (!invalid.empty()) {
      recorder_->Event(events::PodReference(pod), events::kWarning,
                       "InvalidEnvironmentVariableNames",
                       absl::StrCat("Keys [", absl::StrJoin(invalid, ", "), "] from the EnvFrom ",
                                    std::string(kind), " ", ns, "/", name,
                                    " were skipped since they are considered invalid "
                                    "environment variable names."));
    }
  };
  for (const api::EnvFromSource& ef : container.env_from) {
    if (ef.config_map_ref.has_value()) {
      absl::StatusOr<apiobjects::ConfigMapPtr> cm =
          config_map(ef.config_map_ref->name, ef.config_map_ref->optional.value_or(false));
      if (!cm.ok()) return cm.status();
      if (*cm != nullptr) from_keys((*cm)->data, ef.prefix, "configMap", ef.config_map_ref->name);
    } else if (ef.secret_ref.has_value()) {
      absl::StatusOr<apiobjects::SecretPtr> sec =
          secret(ef.secret_ref->name, ef.secret_ref->optional.value_or(false));
      if (!sec.ok()) return sec.status();
      if (*sec != nullptr) from_keys((*sec)->data, ef.prefix, "secret", ef.secret_ref->name);
    }
  }
  for (const api::EnvVar& e : container.env) {
    std::string value;
    if (!e.value.empty() || !e.value_from.has_value()) {
      value = Expand(e.value, vars);
    } else if (e.value_from->field_ref.has_value()) {
      absl::StatusOr<std::string> v =
          api::ExtractFieldPath(pod, e.value_from->field_ref->field_path,
                                api::FieldContext{.pod_ips = pod_ips, .host_ip = options_.host_ip});
      if (!v.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("env ", e.name, ": ", v.status().message()));
      }
      value = *std::move(v);
    } else if (e.value_from->resource_field_ref.has_value()) {
      const api::ResourceFieldSelector& sel = *e.value_from->resource_field_ref;
      // containerName defaults to the container itself.
      const api::Container* target =
          sel.container_name.empty() ? &container : api::FindContainer(pod, sel.container_name);
      if (target == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("env ", e.name, ": no container named \"", sel.container_name, "\""));
      }
      absl::StatusOr<std::string> v = api::ExtractResourceValue(sel, *target, NodeAllocatable());
      if (!v.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("env ", e.name, ": ", v.status().message()));
      }
      value = *std::move(v);
    } else if (e.value_from->file_key_ref.has_value()) {
      // Upstream makeEnvironmentVariables (EnvFiles): read when the container
      // is created, typically from a file an init container wrote.
      const api::FileKeySelector& ref = *e.value_from->file_key_ref;
      if (std::none_of(pod.spec.volumes.begin(), pod.spec.volumes.end(),
                       [&](const api::Volume& v) { return v.name == ref.volume_name; })) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot find the volume \"", ref.volume_name, "\" referenced by FileKeyRef"));
      }
      const std::string root = EmptyDirPath(pod, ref.volume_name);
      absl::StatusOr<std::string> v = ReadEnvFileValue(root, ref.path, ref.key);
      if (!v.ok()) {
        LOG(WARNING) << "Failed to parse env file of pod " << FormatPod(pod) << ": "
                     << v.status().message();
        return absl::FailedPreconditionError("couldn't parse env file");
      }
      if (v->empty()) {
        if (ref.optional.value_or(false)) continue;
        return absl::FailedPreconditionError(absl::StrCat("environment variable key \"", ref.key,
                                                          "\" not found in file \"", root, "/",
                                                          ref.path, "\""));
      }
      value = *std::move(v);
    } else {
      absl::StatusOr<std::optional<std::string>> v =
          e.value_from->config_map_key_ref.has_value()
              ? key_value(config_map, *e.value_from->config_map_key_ref, "ConfigMap")
              : key_value(secret, *e.value_from->secret_key_ref, "Secret");
      if (!v.ok()) return v.status();
      if (!v->has_value()) continue;
      value = **std::move(v);
    }
    set(e.name, std::move(value));
  }
  for (auto& [name, value] : service_vars) {
    if (!index.contains(name)) envs.push_back(cri::KeyValue{.key = name, .value = value});
  }
  return envs;
}

std::string RuntimeManager::EmptyDirPath(const api::Pod& pod,
                                         const std::string& volume_name) const {
  return helper_->EmptyDirPath(pod.metadata.uid, volume_name);
}

api::NodeAllocatable RuntimeManager::NodeAllocatable() const {
  api::NodeAllocatable node{.milli_cpu = options_.node_allocatable_milli_cpu,
                            .memory = options_.node_allocatable_memory};
  if (node.milli_cpu <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    node.milli_cpu = (cpus > 0 ? cpus : 1) * 1000;
  }
  if (node.memory <= 0) node.memory = volume::NodeMemoryBytes();
  // Ephemeral storage is the filesystem holding the agent's state.
  struct statvfs fs {};
  if (statvfs(options_.root_dir.c_str(), &fs) == 0 || statvfs("/", &fs) == 0) {
    node.ephemeral_storage = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
  }
  return node;
}

absl::StatusOr<std::optional<cri::Mount>> RuntimeManager::MakeEtcHostsMount(
    const api::Container& container, const api::Pod& pod,
    const std::vector<std::string>& pod_ips) const {
  // A container that mounts its own /etc/hosts keeps it (makeMounts).
  for (const api::VolumeMount& m : container.volume_mounts) {
    if (m.mount_path == kEtcHostsPath) return std::nullopt;
  }
  std::vector<std::string> ips = pod_ips;
  if (ips.empty() && pod.spec.host_network && !options_.host_ip.empty()) ips = {options_.host_ip};
  // Upstream mounts no hosts file while the pod has no IP yet.
  if (ips.empty() && !pod.spec.host_network) return std::nullopt;
  const std::string content = HostsFileContent(
      pod, ips, pod.spec.host_network ? ReadFileOrEmpty(options_.node_hosts_file) : "",
      options_.cluster_domain);
  const std::string dir = helper_->PodDir(pod.metadata.uid);
  const std::string path = JoinPath(dir, "etc-hosts");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out) {
      return absl::InternalError(absl::StrCat("failed to write the hosts file ", tmp));
    }
  }
  std::filesystem::permissions(tmp, std::filesystem::perms(0644), ec);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("failed to write ", path, ": ", ec.message()));
  return cri::Mount{.container_path = kEtcHostsPath, .host_path = path};
}

absl::StatusOr<cri::ContainerConfig> RuntimeManager::GenerateContainerConfig(
    const api::Container& container, const api::Pod& pod, int32_t restart_count,
    const std::vector<std::string>& pod_ips) const {
  cri::ContainerConfig config;
  config.metadata = cri::ContainerMetadata{.name = container.name,
                                           .attempt = static_cast<uint32_t>(restart_count)};
  config.image = cri::ImageSpec{.image = container.image};

  absl::StatusOr<std::vector<cri::KeyValue>> envs = MakeEnvironment(container, pod, pod_ips);
  if (!envs.ok()) return envs.status();
  // Command and args may refer to every variable.
  std::map<std::string, std::string> vars;
  for (const cri::KeyValue& kv : *envs) vars[kv.key] = kv.value;
  config.envs = *std::move(envs);
  for (const std::string& s : container.command) config.command.push_back(Expand(s, vars));
  for (const std::string& s : container.args) config.args.push_back(Expand(s, vars));
  config.working_dir = container.working_dir;
  for (const api::VolumeMount& m : container.volume_mounts) {
    // Upstream resolveRecursiveReadOnly, with a runtime that reports no
    // recursive read-only support (containerd 1.6 has none): IfPossible is a
    // plain read-only mount, Enabled cannot be honoured.
    if (m.recursive_read_only.value_or("Disabled") == "Enabled") {
      return absl::FailedPreconditionError(
          absl::StrCat("failed to resolve recursive read-only mode: volume \"", m.name,
                       "\" requested recursive read-only mode, but it is not supported by the "
                       "runtime"));
    }
    const api::Volume* volume = nullptr;
    for (const api::Volume& v : pod.spec.volumes) {
      if (v.name == m.name) volume = &v;
    }
    std::string host_path;
    // Volumes the kubelet always mounts read-only (their plugins say so).
    bool must_read_only = false;
    if (volume != nullptr && volume->host_path.has_value()) {
      host_path = volume->host_path->path;
    } else if (volume != nullptr && volume->empty_dir.has_value()) {
      host_path = EmptyDirPath(pod, volume->name);
    } else if (volume != nullptr && volume->downward_api.has_value()) {
      host_path =
          helper_->PluginVolumePath(pod.metadata.uid, volume::kDownwardAPIPluginDir, volume->name);
      must_read_only = true;
    } else if (volume != nullptr && volume->config_map.has_value()) {
      host_path =
          helper_->PluginVolumePath(pod.metadata.uid, volume::kConfigMapPluginDir, volume->name);
      must_read_only = true;
    } else if (volume != nullptr && volume->secret.has_value()) {
      host_path =
          helper_->PluginVolumePath(pod.metadata.uid, volume::kSecretPluginDir, volume->name);
      must_read_only = true;
    } else if (volume != nullptr && volume->projected.has_value()) {
      host_path =
          helper_->PluginVolumePath(pod.metadata.uid, volume::kProjectedPluginDir, volume->name);
      must_read_only = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("volumeMounts ", m.name, ": no volume of that name"));
    }
    if (!m.sub_path.empty()) {
      // Made here, with the volume's mode, not by the runtime (0755 root).
      if (absl::Status s = volume::MakeMissingSubPath(host_path, m.sub_path); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("failed to create subPath directory for "
                                                   "volumeMount \"",
                                                   m.name, "\" of container \"", container.name,
                                                   "\": ", s.message()));
      }
      host_path = JoinPath(host_path, m.sub_path);
    }
    cri::MountPropagation propagation = cri::MountPropagation::kPrivate;
    if (m.mount_propagation == "HostToContainer") {
      propagation = cri::MountPropagation::kHostToContainer;
    } else if (m.mount_propagation == "Bidirectional") {
      propagation = cri::MountPropagation::kBidirectional;
    }
    config.mounts.push_back(cri::Mount{.container_path = m.mount_path,
                                       .host_path = host_path,
                                       .readonly = m.read_only || must_read_only,
                                       .propagation = propagation});
  }
  config.labels = NewContainerLabels(container, pod);
  config.annotations = NewContainerAnnotations(container, pod, restart_count);
  config.log_path = absl::StrCat(container.name, "/", restart_count, ".log");
  config.stdin = container.stdin;
  config.tty = container.tty;

  absl::StatusOr<int64_t> cpu_request = MilliValueOf(container.resources.requests, "cpu");
  absl::StatusOr<int64_t> cpu_limit = MilliValueOf(container.resources.limits, "cpu");
  absl::StatusOr<int64_t> memory_limit = ValueOf(container.resources.limits, "memory");
  for (const absl::StatusOr<int64_t>* q : {&cpu_request, &cpu_limit, &memory_limit}) {
    if (!q->ok()) return q->status();
  }
  // A limit without a request means request = limit (the API server defaults
  // this too; repeated for objects that skipped defaulting).
  int64_t milli_shares = (*cpu_request == 0 && *cpu_limit != 0) ? *cpu_limit : *cpu_request;
  config.resources.cpu_shares =
      std::clamp(milli_shares * kSharesPerCpu / kMilliCpuToCpu, kMinShares, kMaxShares);
  if (*cpu_limit > 0) {
    config.resources.cpu_period = kQuotaPeriod;
    config.resources.cpu_quota =
        std::max(*cpu_limit * kQuotaPeriod / kMilliCpuToCpu, kMinQuotaPeriod);
  }
  config.resources.memory_limit_in_bytes = *memory_limit;

  const std::optional<api::SecurityContext> sc = EffectiveSecurityContext(pod, container);
  std::optional<int64_t> image_uid;
  std::string image_username;
  if (sc.has_value() && sc->run_as_non_root.value_or(false) && !sc->run_as_user.has_value()) {
    // Only then does the image's user matter (getImageUser): an image
    // without USER runs as root.
    absl::StatusOr<std::optional<cri::Image>> image =
        images_->GetImageStatus({.image = container.image});
    if (!image.ok()) return image.status();
    image_uid = 0;
    if (image->has_value() && ((*image)->uid.has_value() || !(*image)->username.empty())) {
      image_uid = (*image)->uid;
      image_username = (*image)->username;
    }
  }
  if (absl::Status s = VerifyRunAsNonRoot(pod, container, image_uid, image_username); !s.ok()) {
    return s;
  }
  config.security_context = ToRuntimeSecurityContext(sc);
  config.security_context.namespaces = NamespacesForPod(pod);
  config.security_context.supplemental_groups = PodSupplementalGroups(pod);
  // procMount is always Default (Unmasked is refused): the runtime hides
  // these, as the kubelet's ConvertToRuntimeMaskedPaths asks.
  config.security_context.masked_paths = DefaultMaskedPaths();
  config.security_context.readonly_paths = DefaultReadonlyPaths();
  absl::StatusOr<cri::SecurityProfile> seccomp = SeccompProfileFor(
      sc.has_value() ? sc->seccomp_profile : std::nullopt, JoinPath(options_.root_dir, "seccomp"));
  if (!seccomp.ok()) return seccomp.status();
  config.security_context.seccomp = *seccomp;
  // AppArmor as upstream getAppArmorProfile: only when the pod asks (a host
  // without AppArmor never gets here: admission refused the pod).
  if (std::optional<api::AppArmorProfile> aa = lifecycle::AppArmorProfileFor(pod, container)) {
    cri::SecurityProfile& p = config.security_context.apparmor.emplace();
    if (aa->type == api::kSeccompRuntimeDefault) {
      p.type = cri::SecurityProfile::Type::kRuntimeDefault;
      config.security_context.apparmor_profile = "runtime/default";
    } else if (aa->type == api::kSeccompLocalhost) {
      p.type = cri::SecurityProfile::Type::kLocalhost;
      p.localhost_ref = aa->localhost_profile.value_or("");
      config.security_context.apparmor_profile = absl::StrCat("localhost/", p.localhost_ref);
    } else {
      p.type = cri::SecurityProfile::Type::kUnconfined;
      config.security_context.apparmor_profile = "unconfined";
    }
  }

  helper_->AddDeviceRunOptions(pod, container, &config);
  // Last, so a config that fails above leaves no file behind. Only a runtime
  // on this host can mount a host file.
  if (options_.manage_host_state) {
    absl::StatusOr<std::optional<cri::Mount>> hosts = MakeEtcHostsMount(container, pod, pod_ips);
    if (!hosts.ok()) return hosts.status();
    if (hosts->has_value()) config.mounts.push_back(**hosts);
  }
  if (options_.manage_host_state && !container.termination_message_path.empty()) {
    absl::StatusOr<cri::Mount> mount = MakeTerminationMessageMount(
        absl::StrCat(helper_->PodDir(pod.metadata.uid), "/containers/", container.name),
        container.termination_message_path);
    if (!mount.ok()) return mount.status();
    config.mounts.push_back(*std::move(mount));
  }
  return config;
}

}  // namespace cubelet::kuberuntime
