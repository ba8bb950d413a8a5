#include "cri/grpc/convert.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cubelet::cri::convert {
namespace {

void ToProtoMap(const Labels& in, google::protobuf::Map<std::string, std::string>* out) {
  out->clear();
  for (const auto& [k, v] : in) (*out)[k] = v;
}

Labels FromProtoMap(const google::protobuf::Map<std::string, std::string>& in) {
  return Labels(in.begin(), in.end());
}

void ToProtoStrings(const std::vector<std::string>& in,
                    google::protobuf::RepeatedPtrField<std::string>* out) {
  out->Clear();
  out->Reserve(static_cast<int>(in.size()));
  for (const std::string& s : in) out->Add(std::string(s));
}

std::vector<std::string> FromProtoStrings(
    const google::protobuf::RepeatedPtrField<std::string>& in) {
  return std::vector<std::string>(in.begin(), in.end());
}

}  // namespace

// ---------------------------------------------------------------------------
// Enums. cubelet's enumerators have upstream's numbers, but the switches keep
// the mapping explicit so a renumbering on either side cannot go unnoticed.

pb::PodSandboxState ToProto(PodSandboxState s) {
  return s == PodSandboxState::kReady ? pb::SANDBOX_READY : pb::SANDBOX_NOTREADY;
}

PodSandboxState FromProto(pb::PodSandboxState s) {
  return s == pb::SANDBOX_READY ? PodSandboxState::kReady : PodSandboxState::kNotReady;
}

pb::ContainerState ToProto(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated:
      return pb::CONTAINER_CREATED;
    case ContainerState::kRunning:
      return pb::CONTAINER_RUNNING;
    case ContainerState::kExited:
      return pb::CONTAINER_EXITED;
    case ContainerState::kUnknown:
      break;
  }
  return pb::CONTAINER_UNKNOWN;
}

ContainerState FromProto(pb::ContainerState s) {
  switch (s) {
    case pb::CONTAINER_CREATED:
      return ContainerState::kCreated;
    case pb::CONTAINER_RUNNING:
      return ContainerState::kRunning;
    case pb::CONTAINER_EXITED:
      return ContainerState::kExited;
    default:
      return ContainerState::kUnknown;
  }
}

pb::NamespaceMode ToProto(NamespaceMode m) {
  switch (m) {
    case NamespaceMode::kPod:
      return pb::POD;
    case NamespaceMode::kContainer:
      return pb::CONTAINER;
    case NamespaceMode::kNode:
      return pb::NODE;
    case NamespaceMode::kTarget:
      return pb::TARGET;
  }
  return pb::POD;
}

NamespaceMode FromProto(pb::NamespaceMode m) {
  switch (m) {
    case pb::CONTAINER:
      return NamespaceMode::kContainer;
    case pb::NODE:
      return NamespaceMode::kNode;
    case pb::TARGET:
      return NamespaceMode::kTarget;
    default:
      return NamespaceMode::kPod;
  }
}

pb::Protocol ToProto(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return pb::TCP;
    case Protocol::kUdp:
      return pb::UDP;
    case Protocol::kSctp:
      return pb::SCTP;
  }
  return pb::TCP;
}

Protocol FromProto(pb::Protocol p) {
  switch (p) {
    case pb::UDP:
      return Protocol::kUdp;
    case pb::SCTP:
      return Protocol::kSctp;
    default:
      return Protocol::kTcp;
  }
}

// ---------------------------------------------------------------------------
// Runtime

void ToProto(const VersionInfo& v, pb::VersionResponse* out) {
  out->set_version(v.version);
  out->set_runtime_name(v.runtime_name);
  out->set_runtime_version(v.runtime_version);
  out->set_runtime_api_version(v.runtime_api_version);
}

VersionInfo FromProto(const pb::VersionResponse& v) {
  return VersionInfo{.version = v.version(),
                     .runtime_name = v.runtime_name(),
                     .runtime_version = v.runtime_version(),
                     .runtime_api_version = v.runtime_api_version()};
}

void ToProto(const RuntimeStatus& s, pb::RuntimeStatus* out) {
  out->clear_conditions();
  for (const RuntimeCondition& c : s.conditions) {
    pb::RuntimeCondition* pc = out->add_conditions();
    pc->set_type(c.type);
    pc->set_status(c.status);
    pc->set_reason(c.reason);
    pc->set_message(c.message);
  }
}

RuntimeStatus FromProto(const pb::RuntimeStatus& s) {
  RuntimeStatus out;
  out.conditions.reserve(s.conditions_size());
  for (const pb::RuntimeCondition& c : s.conditions()) {
    out.conditions.push_back(RuntimeCondition{
        .type = c.type(), .status = c.status(), .reason = c.reason(), .message = c.message()});
  }
  return out;
}

// ---------------------------------------------------------------------------
// Sandboxes

void ToProto(const PodSandboxMetadata& m, pb::PodSandboxMetadata* out) {
  out->set_name(m.name);
  out->set_uid(m.uid);
  out->set_namespace_(m.namespace_);
  out->set_attempt(m.attempt);
}

PodSandboxMetadata FromProto(const pb::PodSandboxMetadata& m) {
  return PodSandboxMetadata{
      .name = m.name(), .uid = m.uid(), .namespace_ = m.namespace_(), .attempt = m.attempt()};
}

void ToProto(const DNSConfig& d, pb::DNSConfig* out) {
  ToProtoStrings(d.servers, out->mutable_servers());
  ToProtoStrings(d.searches, out->mutable_searches());
  ToProtoStrings(d.options, out->mutable_options());
}

DNSConfig FromProto(const pb::DNSConfig& d) {
  return DNSConfig{.servers = FromProtoStrings(d.servers()),
                   .searches = FromProtoStrings(d.searches()),
                   .options = FromProtoStrings(d.options())};
}

void ToProto(const PortMapping& p, pb::PortMapping* out) {
  out->set_protocol(ToProto(p.protocol));
  out->set_container_port(p.container_port);
  out->set_host_port(p.host_port);
  out->set_host_ip(p.host_ip);
}

PortMapping FromProto(const pb::PortMapping& p) {
  return PortMapping{.protocol = FromProto(p.protocol()),
                     .container_port = p.container_port(),
                     .host_port = p.host_port(),
                     .host_ip = p.host_ip()};
}

void ToProto(const SELinuxOption& o, pb::SELinuxOption* out) {
  out->set_user(o.user);
  out->set_role(o.role);
  out->set_type(o.type);
  out->set_level(o.level);
}

SELinuxOption FromProto(const pb::SELinuxOption& o) {
  return SELinuxOption{.user = o.user(), .role = o.role(), .type = o.type(), .level = o.level()};
}

void ToProto(const PodSandboxConfig& c, pb::PodSandboxConfig* out) {
  ToProto(c.metadata, out->mutable_metadata());
  out->set_hostname(c.hostname);
  out->set_log_directory(c.log_directory);
  ToProto(c.dns_config, out->mutable_dns_config());
  out->clear_port_mappings();
  for (const PortMapping& p : c.port_mappings) ToProto(p, out->add_port_mappings());
  ToProtoMap(c.labels, out->mutable_labels());
  ToProtoMap(c.annotations, out->mutable_annotations());
  pb::LinuxPodSandboxConfig* linux = out->mutable_linux();
  linux->set_cgroup_parent(c.cgroup_parent);
  // The kubelet always sends namespace options; containerd reads host
  // networking only from here.
  pb::LinuxSandboxSecurityContext* sc = linux->mutable_security_context();
  pb::NamespaceOption* ns = sc->mutable_namespace_options();
  ns->set_network(ToProto(c.network_mode));
  ns->set_pid(ToProto(c.pid_mode));
  ns->set_ipc(ToProto(c.ipc_mode));
  sc->set_privileged(c.privileged);
  if (c.run_as_user.has_value()) sc->mutable_run_as_user()->set_value(*c.run_as_user);
  if (c.run_as_group.has_value()) sc->mutable_run_as_group()->set_value(*c.run_as_group);
  sc->clear_supplemental_groups();
  for (int64_t g : c.supplemental_groups) sc->add_supplemental_groups(g);
  if (c.seccomp.has_value()) ToProto(*c.seccomp, sc->mutable_seccomp());
  if (c.selinux_options.has_value()) ToProto(*c.selinux_options, sc->mutable_selinux_options());
  ToProtoMap(c.sysctls, linux->mutable_sysctls());
}

PodSandboxConfig FromProto(const pb::PodSandboxConfig& c) {
  PodSandboxConfig out;
  out.metadata = FromProto(c.metadata());
  out.hostname = c.hostname();
  out.log_directory = c.log_directory();
  out.dns_config = FromProto(c.dns_config());
  out.port_mappings.reserve(c.port_mappings_size());
  for (const pb::PortMapping& p : c.port_mappings()) out.port_mappings.push_back(FromProto(p));
  out.labels = FromProtoMap(c.labels());
  out.annotations = FromProtoMap(c.annotations());
  out.cgroup_parent = c.linux().cgroup_parent();
  const pb::LinuxSandboxSecurityContext& sc = c.linux().security_context();
  out.network_mode = FromProto(sc.namespace_options().network());
  out.pid_mode = FromProto(sc.namespace_options().pid());
  out.ipc_mode = FromProto(sc.namespace_options().ipc());
  out.privileged = sc.privileged();
  if (sc.has_run_as_user()) out.run_as_user = sc.run_as_user().value();
  if (sc.has_run_as_group()) out.run_as_group = sc.run_as_group().value();
  out.supplemental_groups.assign(sc.supplemental_groups().begin(), sc.supplemental_groups().end());
  if (sc.has_seccomp()) out.seccomp = FromProto(sc.seccomp());
  if (sc.has_selinux_options()) out.selinux_options = FromProto(sc.selinux_options());
  out.sysctls = FromProtoMap(c.linux().sysctls());
  return out;
}

void ToProto(const PodSandbox& s, pb::PodSandbox* out) {
  out->set_id(s.id);
  ToProto(s.metadata, out->mutable_metadata());
  out->set_state(ToProto(s.state));
  out->set_created_at(s.created_at);
  ToProtoMap(s.labels, out->mutable_labels());
  ToProtoMap(s.annotations, out->mutable_annotations());
  out->set_runtime_handler(s.runtime_handler);
}

PodSandbox FromProto(const pb::PodSandbox& s) {
  return PodSandbox{.id = s.id(),
                    .metadata = FromProto(s.metadata()),
                    .state = FromProto(s.state()),
                    .created_at = s.created_at(),
                    .labels = FromProtoMap(s.labels()),
                    .annotations = FromProtoMap(s.annotations()),
                    .runtime_handler = s.runtime_handler()};
}

void ToProto(const PodSandboxStatus& s, pb::PodSandboxStatus* out) {
  out->set_id(s.id);
  ToProto(s.metadata, out->mutable_metadata());
  out->set_state(ToProto(s.state));
  out->set_created_at(s.created_at);
  pb::PodSandboxNetworkStatus* net = out->mutable_network();
  net->set_ip(s.ip);
  net->clear_additional_ips();
  for (const std::string& ip : s.additional_ips) net->add_additional_ips()->set_ip(ip);
  out->mutable_linux()->mutable_namespaces()->mutable_options()->set_network(
      ToProto(s.network_mode));
  ToProtoMap(s.labels, out->mutable_labels());
  ToProtoMap(s.annotations, out->mutable_annotations());
}

PodSandboxStatus FromProto(const pb::PodSandboxStatus& s) {
  PodSandboxStatus out;
  out.id = s.id();
  out.metadata = FromProto(s.metadata());
  out.state = FromProto(s.state());
  out.created_at = s.created_at();
  out.ip = s.network().ip();
  out.additional_ips.reserve(s.network().additional_ips_size());
  for (const pb::PodIP& ip : s.network().additional_ips()) out.additional_ips.push_back(ip.ip());
  out.network_mode = FromProto(s.linux().namespaces().options().network());
  out.labels = FromProtoMap(s.labels());
  out.annotations = FromProtoMap(s.annotations());
  return out;
}

void ToProto(const PodSandboxFilter& f, pb::PodSandboxFilter* out) {
  out->set_id(f.id);
  if (f.state) {
    out->mutable_state()->set_state(ToProto(*f.state));
  } else {
    out->clear_state();
  }
  ToProtoMap(f.label_selector, out->mutable_label_selector());
}

PodSandboxFilter FromProto(const pb::PodSandboxFilter& f) {
  PodSandboxFilter out;
  out.id = f.id();
  if (f.has_state()) out.state = FromProto(f.state().state());
  out.label_selector = FromProtoMap(f.label_selector());
  return out;
}

// ---------------------------------------------------------------------------
// Containers

void ToProto(const ContainerMetadata& m, pb::ContainerMetadata* out) {
  out->set_name(m.name);
  out->set_attempt(m.attempt);
}

ContainerMetadata FromProto(const pb::ContainerMetadata& m) {
  return ContainerMetadata{.name = m.name(), .attempt = m.attempt()};
}

void ToProto(const ImageSpec& i, pb::ImageSpec* out) {
  out->set_image(i.image);
  ToProtoMap(i.annotations, out->mutable_annotations());
}

ImageSpec FromProto(const pb::ImageSpec& i) {
  return ImageSpec{.image = i.image(), .annotations = FromProtoMap(i.annotations())};
}

void ToProto(const KeyValue& kv, pb::KeyValue* out) {
  out->set_key(kv.key);
  out->set_value(kv.value);
}

KeyValue FromProto(const pb::KeyValue& kv) {
  return KeyValue{.key = kv.key(), .value = kv.value()};
}

void ToProto(const Mount& m, pb::Mount* out) {
  out->set_container_path(m.container_path);
  out->set_host_path(m.host_path);
  out->set_readonly(m.readonly);
  out->set_propagation(static_cast<pb::MountPropagation>(m.propagation));
}

Mount FromProto(const pb::Mount& m) {
  return Mount{.container_path = m.container_path(),
               .host_path = m.host_path(),
               .readonly = m.readonly(),
               .propagation = static_cast<MountPropagation>(m.propagation())};
}

void ToProto(const SecurityProfile& p, pb::SecurityProfile* out) {
  out->set_profile_type(static_cast<pb::SecurityProfile::ProfileType>(p.type));
  out->set_localhost_ref(p.localhost_ref);
}

SecurityProfile FromProto(const pb::SecurityProfile& p) {
  return SecurityProfile{.type = static_cast<SecurityProfile::Type>(p.profile_type()),
                         .localhost_ref = p.localhost_ref()};
}

void ToProto(const LinuxContainerResources& r, pb::LinuxContainerResources* out) {
  out->set_cpu_period(r.cpu_period);
  out->set_cpu_quota(r.cpu_quota);
  out->set_cpu_shares(r.cpu_shares);
  out->set_memory_limit_in_bytes(r.memory_limit_in_bytes);
  out->set_oom_score_adj(r.oom_score_adj);
}

LinuxContainerResources FromProto(const pb::LinuxContainerResources& r) {
  return LinuxContainerResources{.cpu_period = r.cpu_period(),
                                 .cpu_quota = r.cpu_quota(),
                                 .cpu_shares = r.cpu_shares(),
                                 .memory_limit_in_bytes = r.memory_limit_in_bytes(),
                                 .oom_score_adj = r.oom_score_adj()};
}

void ToProto(const LinuxContainerSecurityContext& sc, pb::LinuxContainerSecurityContext* out) {
  // Unset unless there is something to add or drop, as the kubelet sends it.
  if (!sc.capabilities.add_capabilities.empty() || !sc.capabilities.drop_capabilities.empty()) {
    ToProtoStrings(sc.capabilities.add_capabilities,
                   out->mutable_capabilities()->mutable_add_capabilities());
    ToProtoStrings(sc.capabilities.drop_capabilities,
                   out->mutable_capabilities()->mutable_drop_capabilities());
  }
  out->set_privileged(sc.privileged);
  if (sc.run_as_user.has_value()) out->mutable_run_as_user()->set_value(*sc.run_as_user);
  if (sc.run_as_group.has_value()) out->mutable_run_as_group()->set_value(*sc.run_as_group);
  out->set_readonly_rootfs(sc.readonly_rootfs);
  out->set_no_new_privs(sc.no_new_privs);
  pb::NamespaceOption* ns = out->mutable_namespace_options();
  ns->set_network(ToProto(sc.namespaces.network));
  ns->set_pid(ToProto(sc.namespaces.pid));
  ns->set_ipc(ToProto(sc.namespaces.ipc));
  ns->set_target_id(sc.namespaces.target_id);
  out->clear_supplemental_groups();
  for (int64_t g : sc.supplemental_groups) out->add_supplemental_groups(g);
  ToProtoStrings(sc.masked_paths, out->mutable_masked_paths());
  ToProtoStrings(sc.readonly_paths, out->mutable_readonly_paths());
  if (sc.seccomp.has_value()) ToProto(*sc.seccomp, out->mutable_seccomp());
  if (sc.apparmor.has_value()) ToProto(*sc.apparmor, out->mutable_apparmor());
  out->set_apparmor_profile(sc.apparmor_profile);
  if (sc.selinux_options.has_value()) {
    ToProto(*sc.selinux_options, out->mutable_selinux_options());
  }
}

LinuxContainerSecurityContext FromProto(const pb::LinuxContainerSecurityContext& sc) {
  LinuxContainerSecurityContext out;
  out.capabilities.add_capabilities = FromProtoStrings(sc.capabilities().add_capabilities());
  out.capabilities.drop_capabilities = FromProtoStrings(sc.capabilities().drop_capabilities());
  out.privileged = sc.privileged();
  if (sc.has_run_as_user()) out.run_as_user = sc.run_as_user().value();
  if (sc.has_run_as_group()) out.run_as_group = sc.run_as_group().value();
  out.readonly_rootfs = sc.readonly_rootfs();
  out.no_new_privs = sc.no_new_privs();
  out.namespaces.network = FromProto(sc.namespace_options().network());
  out.namespaces.pid = FromProto(sc.namespace_options().pid());
  out.namespaces.ipc = FromProto(sc.namespace_options().ipc());
  out.namespaces.target_id = sc.namespace_options().target_id();
  out.supplemental_groups.assign(sc.supplemental_groups().begin(), sc.supplemental_groups().end());
  out.masked_paths = FromProtoStrings(sc.masked_paths());
  out.readonly_paths = FromProtoStrings(sc.readonly_paths());
  if (sc.has_selinux_options()) out.selinux_options = FromProto(sc.selinux_options());
  if (sc.has_seccomp()) out.seccomp = FromProto(sc.seccomp());
  if (sc.has_apparmor()) out.apparmor = FromProto(sc.apparmor());
  out.apparmor_profile = sc.apparmor_profile();
  return out;
}

void ToProto(const ContainerConfig& c, pb::ContainerConfig* out) {
  ToProto(c.metadata, out->mutable_metadata());
  ToProto(c.image, out->mutable_image());
  ToProtoStrings(c.command, out->mutable_command());
  ToProtoStrings(c.args, out->mutable_args());
  out->set_working_dir(c.working_dir);
  out->clear_envs();
  for (const KeyValue& kv : c.envs) ToProto(kv, out->add_envs());
  out->clear_mounts();
  for (const Mount& m : c.mounts) ToProto(m, out->add_mounts());
  out->clear_devices();
  for (const Device& d : c.devices) {
    pb::Device* pd = out->add_devices();
    pd->set_container_path(d.container_path);
    pd->set_host_path(d.host_path);
    pd->set_permissions(d.permissions);
  }
  ToProtoMap(c.labels, out->mutable_labels());
  ToProtoMap(c.annotations, out->mutable_annotations());
  out->set_log_path(c.log_path);
  out->set_stdin(c.stdin);
  out->set_tty(c.tty);
  ToProto(c.resources, out->mutable_linux()->mutable_resources());
  ToProto(c.security_context, out->mutable_linux()->mutable_security_context());
}

ContainerConfig FromProto(const pb::ContainerConfig& c) {
  ContainerConfig out;
  out.metadata = FromProto(c.metadata());
  out.image = FromProto(c.image());
  out.command = FromProtoStrings(c.command());
  out.args = FromProtoStrings(c.args());
  out.working_dir = c.working_dir();
  out.envs.reserve(c.envs_size());
  for (const pb::KeyValue& kv : c.envs()) out.envs.push_back(FromProto(kv));
  out.mounts.reserve(c.mounts_size());
  for (const pb::Mount& m : c.mounts()) out.mounts.push_back(FromProto(m));
  for (const pb::Device& d : c.devices()) {
    out.devices.push_back(Device{.container_path = d.container_path(),
                                 .host_path = d.host_path(),
                                 .permissions = d.permissions()});
  }
  out.labels = FromProtoMap(c.labels());
  out.annotations = FromProtoMap(c.annotations());
  out.log_path = c.log_path();
  out.stdin = c.stdin();
  out.tty = c.tty();
  out.resources = FromProto(c.linux().resources());
  out.security_context = FromProto(c.linux().security_context());
  return out;
}

void ToProto(const Container& c, pb::Container* out) {
  out->set_id(c.id);
  out->set_pod_sandbox_id(c.pod_sandbox_id);
  ToProto(c.metadata, out->mutable_metadata());
  ToProto(c.image, out->mutable_image());
  out->set_image_ref(c.image_ref);
  out->set_state(ToProto(c.state));
  out->set_created_at(c.created_at);
  ToProtoMap(c.labels, out->mutable_labels());
  ToProtoMap(c.annotations, out->mutable_annotations());
}

Container FromProto(const pb::Container& c) {
  return Container{.id = c.id(),
                   .pod_sandbox_id = c.pod_sandbox_id(),
                   .metadata = FromProto(c.metadata()),
                   .image = FromProto(c.image()),
                   .image_ref = c.image_ref(),
                   .state = FromProto(c.state()),
                   .created_at = c.created_at(),
                   .labels = FromProtoMap(c.labels()),
                   .annotations = FromProtoMap(c.annotations())};
}

void ToProto(const ContainerStatus& s, pb::ContainerStatus* out) {
  out->set_id(s.id);
  ToProto(s.metadata, out->mutable_metadata());
  out->set_state(ToProto(s.state));
  out->set_created_at(s.created_at);
  out->set_started_at(s.started_at);
  out->set_finished_at(s.finished_at);
  out->set_exit_code(s.exit_code);
  ToProto(s.image, out->mutable_image());
  out->set_image_ref(s.image_ref);
  out->set_reason(s.reason);
  out->set_message(s.message);
  ToProtoMap(s.labels, out->mutable_labels());
  ToProtoMap(s.annotations, out->mutable_annotations());
  out->clear_mounts();
  for (const Mount& m : s.mounts) ToProto(m, out->add_mounts());
  out->set_log_path(s.log_path);
}

ContainerStatus FromProto(const pb::ContainerStatus& s) {
  ContainerStatus out;
  out.id = s.id();
  out.metadata = FromProto(s.metadata());
  out.state = FromProto(s.state());
  out.created_at = s.created_at();
  out.started_at = s.started_at();
  out.finished_at = s.finished_at();
  out.exit_code = s.exit_code();
  out.image = FromProto(s.image());
  out.image_ref = s.image_ref();
  out.reason = s.reason();
  out.message = s.message();
  out.labels = FromProtoMap(s.labels());
  out.annotations = FromProtoMap(s.annotations());
  out.mounts.reserve(s.mounts_size());
  for (const pb::Mount& m : s.mounts()) out.mounts.push_back(FromProto(m));
  out.log_path = s.log_path();
  return out;
}

void ToProto(const ContainerFilter& f, pb::ContainerFilter* out) {
  out->set_id(f.id);
  if (f.state) {
    out->mutable_state()->set_state(ToProto(*f.state));
  } else {
    out->clear_state();
  }
  out->set_pod_sandbox_id(f.pod_sandbox_id);
  ToProtoMap(f.label_selector, out->mutable_label_selector());
}

ContainerFilter FromProto(const pb::ContainerFilter& f) {
  ContainerFilter out;
  out.id = f.id();
  if (f.has_state()) out.state = FromProto(f.state().state());
  out.pod_sandbox_id = f.pod_sandbox_id();
  out.label_selector = FromProtoMap(f.label_selector());
  return out;
}

void ToProto(const ExecSyncResponse& r, pb::ExecSyncResponse* out) {
  out->set_stdout(r.stdout_data);
  out->set_stderr(r.stderr_data);
  out->set_exit_code(r.exit_code);
}

ExecSyncResponse FromProto(const pb::ExecSyncResponse& r) {
  return ExecSyncResponse{
      .stdout_data = r.stdout(), .stderr_data = r.stderr(), .exit_code = r.exit_code()};
}

// ---------------------------------------------------------------------------
// Images

void ToProto(const Image& i, pb::Image* out) {
  out->set_id(i.id);
  ToProtoStrings(i.repo_tags, out->mutable_repo_tags());
  ToProtoStrings(i.repo_digests, out->mutable_repo_digests());
  out->set_size(i.size);
  if (i.uid.has_value()) out->mutable_uid()->set_value(*i.uid);
  out->set_username(i.username);
}

Image FromProto(const pb::Image& i) {
  return Image{.id = i.id(),
               .repo_tags = FromProtoStrings(i.repo_tags()),
               .repo_digests = FromProtoStrings(i.repo_digests()),
               .size = i.size(),
               .uid = i.has_uid() ? std::optional<int64_t>(i.uid().value()) : std::nullopt,
               .username = i.username()};
}

// ---------------------------------------------------------------------------
// Status codes. gRPC and absl share the canonical code numbering, so the
// integer casts are exact.

absl::Status FromGrpcStatus(const ::grpc::Status& s, absl::string_view method,
                            absl::Duration timeout) {
  const std::string& detail = s.error_message();
  switch (s.error_code()) {
    case ::grpc::StatusCode::OK:
      return absl::OkStatus();
    case ::grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(detail);
    case ::grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat("container runtime is unavailable: ", detail));
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat(method, ": no answer within ", absl::FormatDuration(timeout), ": ", detail));
    default:
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                          absl::StrCat(method, ": ", detail));
  }
}

::grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return ::grpc::Status::OK;
  return ::grpc::Status(static_cast<::grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::StatusOr<std::string> NormalizeEndpoint(const std::string& endpoint) {
  absl::string_view path = endpoint;
  if (absl::StartsWith(path, "unix://")) {
    path.remove_prefix(7);
  } else if (absl::StartsWith(path, "unix:")) {
    path.remove_prefix(5);
  }
  if (path.size() < 2 || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "CRI endpoint \"", endpoint, "\" is not unix:///absolute/path or /absolute/path"));
  }
  return absl::StrCat("unix://", path);
}

}  // namespace cubelet::cri::convert
