#include "cri/grpc/convert.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace cubelet::cri::convert {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Passes the message through its wire form, as the other side would see it.
template <typename M>
M OverWire(const M& m) {
  M out;
  EXPECT_TRUE(out.ParseFromString(m.SerializeAsString()));
  return out;
}

// cri:: types have no operator==, and adding one is not this module's call:
// the comparisons below are field by field.
#define EXPECT_FIELD(a, b, f) EXPECT_EQ((a).f, (b).f) << #f

void ExpectSame(const PodSandboxMetadata& a, const PodSandboxMetadata& b) {
  EXPECT_FIELD(a, b, name);
  EXPECT_FIELD(a, b, uid);
  EXPECT_FIELD(a, b, namespace_);
  EXPECT_FIELD(a, b, attempt);
}

void ExpectSame(const PortMapping& a, const PortMapping& b) {
  EXPECT_FIELD(a, b, protocol);
  EXPECT_FIELD(a, b, container_port);
  EXPECT_FIELD(a, b, host_port);
  EXPECT_FIELD(a, b, host_ip);
}

void ExpectSame(const Mount& a, const Mount& b) {
  EXPECT_FIELD(a, b, container_path);
  EXPECT_FIELD(a, b, host_path);
  EXPECT_FIELD(a, b, readonly);
}

void ExpectSame(const ImageSpec& a, const ImageSpec& b) {
  EXPECT_FIELD(a, b, image);
  EXPECT_FIELD(a, b, annotations);
}

void ExpectSame(const ContainerMetadata& a, const ContainerMetadata& b) {
  EXPECT_FIELD(a, b, name);
  EXPECT_FIELD(a, b, attempt);
}

template <typename T>
void ExpectSameList(const std::vector<T>& a, const std::vector<T>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ExpectSame(a[i], b[i]);
}

PodSandboxConfig SampleSandboxConfig() {
  PodSandboxConfig c;
  c.metadata = {.name = "web", .uid = "uid-1", .namespace_ = "prod", .attempt = 3};
  c.hostname = "web-host";
  c.log_directory = "/var/log/pods/prod_web_uid-1";
  c.dns_config = {.servers = {"10.0.0.10", "10.0.0.11"},
                  .searches = {"prod.svc.cluster.local", "svc.cluster.local"},
                  .options = {"ndots:5"}};
  c.port_mappings = {
      {.protocol = Protocol::kTcp, .container_port = 80, .host_port = 8080, .host_ip = "0.0.0.0"},
      {.protocol = Protocol::kUdp, .container_port = 53, .host_port = 0},
      {.protocol = Protocol::kSctp, .container_port = 9, .host_port = 9, .host_ip = "::1"}};
  c.labels = {{"io.kubernetes.pod.uid", "uid-1"}, {"app", "web"}};
  c.annotations = {{"kubernetes.io/config.seen", "2024-01-01T00:00:00Z"}, {"empty", ""}};
  c.cgroup_parent = "/cubelet/poduid-1";
  c.network_mode = NamespaceMode::kPod;
  return c;
}

ContainerConfig SampleContainerConfig() {
  ContainerConfig c;
  c.metadata = {.name = "main", .attempt = 2};
  c.image = {.image = "docker.io/library/busybox:latest", .annotations = {{"arch", "amd64"}}};
  c.command = {"/bin/sh", "-c"};
  c.args = {"echo hi; sleep 3600"};
  c.working_dir = "/work";
  c.envs = {{"A", "1"}, {"B", "two words"}, {"A", "dup keys keep order"}};
  c.mounts = {{.container_path = "/data", .host_path = "/var/lib/data", .readonly = false},
              {.container_path = "/etc/cfg", .host_path = "/srv/cfg", .readonly = true}};
  c.labels = {{"io.kubernetes.container.name", "main"}};
  c.annotations = {{"io.kubernetes.container.hash", "abc123"}};
  c.log_path = "main/2.log";
  c.stdin = true;
  c.tty = true;
  c.resources = {.cpu_period = 100000,
                 .cpu_quota = 50000,
                 .cpu_shares = 512,
                 .memory_limit_in_bytes = 64 << 20,
                 .oom_score_adj = 999};
  return c;
}

TEST(ConvertEnumTest, EveryValueRoundTrips) {
  for (auto s : {PodSandboxState::kReady, PodSandboxState::kNotReady}) {
    EXPECT_EQ(FromProto(ToProto(s)), s);
  }
  for (auto s : {ContainerState::kCreated, ContainerState::kRunning, ContainerState::kExited,
                 ContainerState::kUnknown}) {
    EXPECT_EQ(FromProto(ToProto(s)), s);
  }
  for (auto m : {NamespaceMode::kPod, NamespaceMode::kContainer, NamespaceMode::kNode,
                 NamespaceMode::kTarget}) {
    EXPECT_EQ(FromProto(ToProto(m)), m);
  }
  for (auto p : {Protocol::kTcp, Protocol::kUdp, Protocol::kSctp}) {
    EXPECT_EQ(FromProto(ToProto(p)), p);
  }
  EXPECT_EQ(ToProto(NamespaceMode::kNode), pb::NODE);
  EXPECT_EQ(ToProto(ContainerState::kExited), pb::CONTAINER_EXITED);
  EXPECT_EQ(ToProto(PodSandboxState::kNotReady), pb::SANDBOX_NOTREADY);
  EXPECT_EQ(ToProto(Protocol::kSctp), pb::SCTP);
}

TEST(ConvertEnumTest, UnknownWireValuesMapToSafeDefaults) {
  EXPECT_EQ(FromProto(static_cast<pb::ContainerState>(42)), ContainerState::kUnknown);
  EXPECT_EQ(FromProto(static_cast<pb::PodSandboxState>(42)), PodSandboxState::kNotReady);
  EXPECT_EQ(FromProto(static_cast<pb::NamespaceMode>(42)), NamespaceMode::kPod);
  EXPECT_EQ(FromProto(static_cast<pb::Protocol>(42)), Protocol::kTcp);
}

TEST(ConvertTest, VersionRoundTrips) {
  VersionInfo v{.version = "0.1.0",
                .runtime_name = "containerd",
                .runtime_version = "1.6.20",
                .runtime_api_version = "v1"};
  pb::VersionResponse p;
  ToProto(v, &p);
  VersionInfo back = FromProto(OverWire(p));
  EXPECT_FIELD(v, back, version);
  EXPECT_FIELD(v, back, runtime_name);
  EXPECT_FIELD(v, back, runtime_version);
  EXPECT_FIELD(v, back, runtime_api_version);
}

TEST(ConvertTest, RuntimeStatusRoundTrips) {
  RuntimeStatus s;
  s.conditions = {{.type = "RuntimeReady", .status = true},
                  {.type = "NetworkReady",
                   .status = false,
                   .reason = "NetworkPluginNotReady",
                   .message = "cni plugin not initialized"}};
  pb::RuntimeStatus p;
  ToProto(s, &p);
  RuntimeStatus back = FromProto(OverWire(p));
  ASSERT_EQ(back.conditions.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_FIELD(s.conditions[i], back.conditions[i], type);
    EXPECT_FIELD(s.conditions[i], back.conditions[i], status);
    EXPECT_FIELD(s.conditions[i], back.conditions[i], reason);
    EXPECT_FIELD(s.conditions[i], back.conditions[i], message);
  }
}

TEST(ConvertTest, PodSandboxConfigRoundTrips) {
  PodSandboxConfig c = SampleSandboxConfig();
  pb::PodSandboxConfig p;
  ToProto(c, &p);
  // Where upstream keeps the fields: containerd reads them from these paths.
  EXPECT_EQ(p.metadata().namespace_(), "prod");
  EXPECT_EQ(p.linux().cgroup_parent(), "/cubelet/poduid-1");
  EXPECT_EQ(p.linux().security_context().namespace_options().network(), pb::POD);
  EXPECT_EQ(p.port_mappings(2).protocol(), pb::SCTP);
  EXPECT_EQ(p.labels().at("app"), "web");

  PodSandboxConfig back = FromProto(OverWire(p));
  ExpectSame(c.metadata, back.metadata);
  EXPECT_FIELD(c, back, hostname);
  EXPECT_FIELD(c, back, log_directory);
  EXPECT_FIELD(c, back, dns_config.servers);
  EXPECT_FIELD(c, back, dns_config.searches);
  EXPECT_FIELD(c, back, dns_config.options);
  ExpectSameList(c.port_mappings, back.port_mappings);
  EXPECT_FIELD(c, back, labels);
  EXPECT_FIELD(c, back, annotations);
  EXPECT_FIELD(c, back, cgroup_parent);
  EXPECT_FIELD(c, back, network_mode);
}

TEST(ConvertTest, HostNetworkSandboxConfig) {
  PodSandboxConfig c = SampleSandboxConfig();
  c.network_mode = NamespaceMode::kNode;
  c.port_mappings.clear();
  c.dns_config = {};
  pb::PodSandboxConfig p;
  ToProto(c, &p);
  EXPECT_EQ(p.linux().security_context().namespace_options().network(), pb::NODE);
  EXPECT_EQ(p.port_mappings_size(), 0);
  PodSandboxConfig back = FromProto(OverWire(p));
  EXPECT_EQ(back.network_mode, NamespaceMode::kNode);
  EXPECT_TRUE(back.port_mappings.empty());
  EXPECT_TRUE(back.dns_config.servers.empty());
}

TEST(ConvertTest, SandboxConfigWithoutLinuxSectionDefaultsToPodNetwork) {
  pb::PodSandboxConfig p;
  p.mutable_metadata()->set_name("x");
  PodSandboxConfig back = FromProto(p);
  EXPECT_EQ(back.network_mode, NamespaceMode::kPod);
  EXPECT_EQ(back.cgroup_parent, "");
}

TEST(ConvertTest, PodSandboxRoundTrips) {
  PodSandbox s{.id = "sb1",
               .metadata = {.name = "web", .uid = "u", .namespace_ = "ns", .attempt = 1},
               .state = PodSandboxState::kNotReady,
               .created_at = 1'700'000'000'123'456'789,
               .labels = {{"a", "b"}},
               .annotations = {{"c", "d"}},
               .runtime_handler = "runc"};
  pb::PodSandbox p;
  ToProto(s, &p);
  PodSandbox back = FromProto(OverWire(p));
  EXPECT_FIELD(s, back, id);
  ExpectSame(s.metadata, back.metadata);
  EXPECT_FIELD(s, back, state);
  EXPECT_FIELD(s, back, created_at);
  EXPECT_FIELD(s, back, labels);
  EXPECT_FIELD(s, back, annotations);
  EXPECT_FIELD(s, back, runtime_handler);
}

TEST(ConvertTest, PodSandboxStatusRoundTrips) {
  for (NamespaceMode mode : {NamespaceMode::kPod, NamespaceMode::kNode}) {
    PodSandboxStatus s{.id = "sb1",
                       .metadata = {.name = "web", .uid = "u", .namespace_ = "ns", .attempt = 2},
                       .state = PodSandboxState::kReady,
                       .created_at = 42,
                       .ip = mode == NamespaceMode::kPod ? "10.88.0.5" : "",
                       .additional_ips = {"fd00::5"},
                       .network_mode = mode,
                       .labels = {{"l", "v"}},
                       .annotations = {{"a", "v"}}};
    pb::PodSandboxStatus p;
    ToProto(s, &p);
    EXPECT_EQ(p.network().ip(), s.ip);
    EXPECT_EQ(p.linux().namespaces().options().network(), ToProto(mode));
    PodSandboxStatus back = FromProto(OverWire(p));
    EXPECT_FIELD(s, back, id);
    ExpectSame(s.metadata, back.metadata);
    EXPECT_FIELD(s, back, state);
    EXPECT_FIELD(s, back, created_at);
    EXPECT_FIELD(s, back, ip);
    EXPECT_FIELD(s, back, additional_ips);
    EXPECT_FIELD(s, back, network_mode);
    EXPECT_FIELD(s, back, labels);
    EXPECT_FIELD(s, back, annotations);
  }
}

TEST(ConvertTest, PodSandboxFilterKeepsStatePresence) {
  PodSandboxFilter f{.id = "x", .state = PodSandboxState::kReady, .label_selector = {{"k", "v"}}};
  pb::PodSandboxFilter p;
  ToProto(f, &p);
  // SANDBOX_READY is 0: only the wrapper's presence says "filter on state".
  EXPECT_TRUE(p.has_state());
  PodSandboxFilter back = FromProto(OverWire(p));
  EXPECT_FIELD(f, back, id);
  EXPECT_FIELD(f, back, state);
  EXPECT_FIELD(f, back, label_selector);

  PodSandboxFilter any{.label_selector = {{"k", "v"}}};
  pb::PodSandboxFilter p2;
  ToProto(any, &p2);
  EXPECT_FALSE(p2.has_state());
  EXPECT_FALSE(FromProto(OverWire(p2)).state.has_value());
}

TEST(ConvertTest, ContainerConfigRoundTrips) {
  ContainerConfig c = SampleContainerConfig();
  c.devices = {{.container_path = "/dev/fuse", .host_path = "/dev/fuse", .permissions = "rwm"}};
  pb::ContainerConfig p;
  ToProto(c, &p);
  EXPECT_EQ(p.linux().resources().memory_limit_in_bytes(), 64 << 20);
  EXPECT_EQ(p.linux().resources().cpu_shares(), 512);
  EXPECT_EQ(p.mounts(1).readonly(), true);
  EXPECT_EQ(p.image().image(), "docker.io/library/busybox:latest");

  ContainerConfig back = FromProto(OverWire(p));
  ExpectSame(c.metadata, back.metadata);
  ExpectSame(c.image, back.image);
  EXPECT_FIELD(c, back, command);
  EXPECT_FIELD(c, back, args);
  EXPECT_FIELD(c, back, working_dir);
  ASSERT_EQ(back.envs.size(), c.envs.size());
  for (size_t i = 0; i < c.envs.size(); ++i) {
    EXPECT_FIELD(c.envs[i], back.envs[i], key);
    EXPECT_FIELD(c.envs[i], back.envs[i], value);
  }
  ExpectSameList(c.mounts, back.mounts);
  EXPECT_EQ(p.devices(0).host_path(), "/dev/fuse");
  EXPECT_FIELD(c, back, devices);
  EXPECT_FIELD(c, back, labels);
  EXPECT_FIELD(c, back, annotations);
  EXPECT_FIELD(c, back, log_path);
  EXPECT_FIELD(c, back, stdin);
  EXPECT_FIELD(c, back, tty);
  EXPECT_FIELD(c, back, resources.cpu_period);
  EXPECT_FIELD(c, back, resources.cpu_quota);
  EXPECT_FIELD(c, back, resources.cpu_shares);
  EXPECT_FIELD(c, back, resources.memory_limit_in_bytes);
  EXPECT_FIELD(c, back, resources.oom_score_adj);
}

TEST(ConvertTest, ContainerRoundTrips) {
  Container c{.id = "c1",
              .pod_sandbox_id = "sb1",
              .metadata = {.name = "main", .attempt = 4},
              .image = {.image = "busybox"},
              .image_ref = "sha256:abc",
              .state = ContainerState::kRunning,
              .created_at = 7,
              .labels = {{"l", "1"}},
              .annotations = {{"a", "2"}}};
  pb::Container p;
  ToProto(c, &p);
  Container back = FromProto(OverWire(p));
  EXPECT_FIELD(c, back, id);
  EXPECT_FIELD(c, back, pod_sandbox_id);
  ExpectSame(c.metadata, back.metadata);
  ExpectSame(c.image, back.image);
  EXPECT_FIELD(c, back, image_ref);
  EXPECT_FIELD(c, back, state);
  EXPECT_FIELD(c, back, created_at);
  EXPECT_FIELD(c, back, labels);
  EXPECT_FIELD(c, back, annotations);
}

TEST(ConvertTest, ContainerStatusRoundTrips) {
  ContainerStatus s{.id = "c1",
                    .metadata = {.name = "main", .attempt = 1},
                    .state = ContainerState::kExited,
                    .created_at = 1,
                    .started_at = 2,
                    .finished_at = 3,
                    .exit_code = 137,
                    .image = {.image = "busybox:latest"},
                    .image_ref = "sha256:def",
                    .reason = "OOMKilled",
                    .message = "out of memory",
                    .labels = {{"l", "1"}},
                    .annotations = {{"a", "2"}},
                    .mounts = {{.container_path = "/d", .host_path = "/h", .readonly = true}},
                    .log_path = "/var/log/pods/x/main/1.log"};
  pb::ContainerStatus p;
  ToProto(s, &p);
  ContainerStatus back = FromProto(OverWire(p));
  EXPECT_FIELD(s, back, id);
  ExpectSame(s.metadata, back.metadata);
  EXPECT_FIELD(s, back, state);
  EXPECT_FIELD(s, back, created_at);
  EXPECT_FIELD(s, back, started_at);
  EXPECT_FIELD(s, back, finished_at);
  EXPECT_FIELD(s, back, exit_code);
  ExpectSame(s.image, back.image);
  EXPECT_FIELD(s, back, image_ref);
  EXPECT_FIELD(s, back, reason);
  EXPECT_FIELD(s, back, message);
  EXPECT_FIELD(s, back, labels);
  EXPECT_FIELD(s, back, annotations);
  ExpectSameList(s.mounts, back.mounts);
  EXPECT_FIELD(s, back, log_path);
}

TEST(ConvertTest, ContainerFilterRoundTrips) {
  ContainerFilter f{.id = "",
                    .state = ContainerState::kCreated,
                    .pod_sandbox_id = "sb1",
                    .label_selector = {{"io.kubernetes.pod.uid", "u"}}};
  pb::ContainerFilter p;
  ToProto(f, &p);
  EXPECT_TRUE(p.has_state());  // CONTAINER_CREATED is 0
  ContainerFilter back = FromProto(OverWire(p));
  EXPECT_FIELD(f, back, id);
  EXPECT_FIELD(f, back, state);
  EXPECT_FIELD(f, back, pod_sandbox_id);
  EXPECT_FIELD(f, back, label_selector);

  pb::ContainerFilter p2;
  ToProto(ContainerFilter{}, &p2);
  EXPECT_FALSE(FromProto(OverWire(p2)).state.has_value());
}

TEST(ConvertTest, ExecSyncResponseKeepsBinaryOutput) {
  ExecSyncResponse r{
      .stdout_data = std::string("a\0b\xff", 4), .stderr_data = "err\n", .exit_code = 2};
  pb::ExecSyncResponse p;
  ToProto(r, &p);
  ExecSyncResponse back = FromProto(OverWire(p));
  EXPECT_FIELD(r, back, stdout_data);
  EXPECT_FIELD(r, back, stderr_data);
  EXPECT_FIELD(r, back, exit_code);
}

TEST(ConvertTest, ContainerSecurityContextRoundTrips) {
  ContainerConfig c = SampleContainerConfig();
  c.security_context = {
      .capabilities = {.add_capabilities = {"NET_ADMIN", "SYS_TIME"}, .drop_capabilities = {"ALL"}},
      .privileged = true,
      .run_as_user = 0,
      .run_as_group = 1000,
      .readonly_rootfs = true,
      .no_new_privs = true};
  pb::ContainerConfig p;
  ToProto(c, &p);
  const pb::LinuxContainerSecurityContext& sc = p.linux().security_context();
  // uid 0 is sent (a wrapper, not proto3's "unset" zero).
  ASSERT_TRUE(sc.has_run_as_user());
  EXPECT_EQ(sc.run_as_user().value(), 0);
  EXPECT_EQ(sc.run_as_group().value(), 1000);
  EXPECT_THAT(sc.capabilities().add_capabilities(), ElementsAre("NET_ADMIN", "SYS_TIME"));

  LinuxContainerSecurityContext back = FromProto(OverWire(p)).security_context;
  EXPECT_THAT(back.capabilities.add_capabilities, ElementsAre("NET_ADMIN", "SYS_TIME"));
  EXPECT_THAT(back.capabilities.drop_capabilities, ElementsAre("ALL"));
  EXPECT_TRUE(back.privileged);
  EXPECT_EQ(back.run_as_user, 0);
  EXPECT_EQ(back.run_as_group, 1000);
  EXPECT_TRUE(back.readonly_rootfs);
  EXPECT_TRUE(back.no_new_privs);

  // Nothing asked: no user, no group, no capabilities message.
  pb::ContainerConfig plain;
  ToProto(SampleContainerConfig(), &plain);
  EXPECT_TRUE(plain.linux().has_security_context());
  EXPECT_FALSE(plain.linux().security_context().has_run_as_user());
  EXPECT_FALSE(plain.linux().security_context().has_run_as_group());
  EXPECT_FALSE(plain.linux().security_context().has_capabilities());
  EXPECT_FALSE(FromProto(OverWire(plain)).security_context.run_as_user.has_value());
}

TEST(ConvertTest, SandboxPrivilegedRoundTrips) {
  PodSandboxConfig c = SampleSandboxConfig();
  c.privileged = true;
  pb::PodSandboxConfig p;
  ToProto(c, &p);
  EXPECT_TRUE(p.linux().security_context().privileged());
  EXPECT_TRUE(FromProto(OverWire(p)).privileged);
  EXPECT_FALSE(FromProto(OverWire(pb::PodSandboxConfig())).privileged);
}

TEST(ConvertTest, ImageUserRoundTrips) {
  Image numeric{.id = "a", .uid = 0};
  pb::Image p;
  ToProto(numeric, &p);
  EXPECT_TRUE(p.has_uid());
  EXPECT_EQ(FromProto(OverWire(p)).uid, 0);
  Image named{.id = "b", .username = "nobody"};
  pb::Image q;
  ToProto(named, &q);
  Image back = FromProto(OverWire(q));
  EXPECT_FALSE(back.uid.has_value());
  EXPECT_EQ(back.username, "nobody");
}

TEST(ConvertTest, ImageRoundTrips) {
  Image i{.id = "sha256:aaa",
          .repo_tags = {"busybox:latest", "busybox:1.36"},
          .repo_digests = {"busybox@sha256:bbb"},
          .size = 5ull << 32};
  pb::Image p;
  ToProto(i, &p);
  Image back = FromProto(OverWire(p));
  EXPECT_FIELD(i, back, id);
  EXPECT_FIELD(i, back, repo_tags);
  EXPECT_FIELD(i, back, repo_digests);
  EXPECT_FIELD(i, back, size);
}

TEST(ConvertTest, SmallMessagesRoundTrip) {
  KeyValue kv{.key = "k", .value = "v"};
  pb::KeyValue pkv;
  ToProto(kv, &pkv);
  EXPECT_EQ(FromProto(OverWire(pkv)).value, "v");

  DNSConfig d{.servers = {"1.1.1.1"}, .searches = {}, .options = {"a", "b"}};
  pb::DNSConfig pd;
  ToProto(d, &pd);
  EXPECT_THAT(FromProto(OverWire(pd)).options, ElementsAre("a", "b"));

  ImageSpec spec{.image = "x", .annotations = {{"k", "v"}}};
  pb::ImageSpec ps;
  ToProto(spec, &ps);
  EXPECT_THAT(FromProto(OverWire(ps)).annotations, ElementsAre(Pair("k", "v")));
}

TEST(ConvertTest, ToProtoReplacesRepeatedAndMapFields) {
  // Reusing a message must not accumulate entries from an earlier value.
  pb::PodSandboxConfig p;
  ToProto(SampleSandboxConfig(), &p);
  PodSandboxConfig smaller = SampleSandboxConfig();
  smaller.port_mappings.resize(1);
  smaller.labels = {{"only", "one"}};
  smaller.dns_config.servers = {"9.9.9.9"};
  ToProto(smaller, &p);
  EXPECT_EQ(p.port_mappings_size(), 1);
  EXPECT_EQ(p.labels_size(), 1);
  EXPECT_EQ(p.dns_config().servers_size(), 1);
}

// Field numbers are the wire contract with containerd: spot-check the ones
// that differ from their position in the message (upstream left gaps).
TEST(ProtoSchemaTest, FieldNumbersMatchUpstream) {
  struct Want {
    const google::protobuf::Descriptor* message;
    const char* field;
    int number;
  };
  const Want wants[] = {
      {pb::PodSandboxMetadata::descriptor(), "namespace", 3},
      {pb::PodSandboxConfig::descriptor(), "linux", 8},
      {pb::LinuxPodSandboxConfig::descriptor(), "security_context", 2},
      {pb::LinuxSandboxSecurityContext::descriptor(), "namespace_options", 1},
      {pb::Namespace::descriptor(), "options", 2},
      {pb::PodSandboxStatus::descriptor(), "network", 5},
      {pb::PodSandboxStatus::descriptor(), "linux", 6},
      {pb::PodSandboxStatus::descriptor(), "annotations", 8},
      {pb::ContainerConfig::descriptor(), "labels", 9},
      {pb::ContainerConfig::descriptor(), "log_path", 11},
      {pb::ContainerConfig::descriptor(), "stdin", 12},
      {pb::ContainerConfig::descriptor(), "tty", 14},
      {pb::ContainerConfig::descriptor(), "linux", 15},
      {pb::ContainerStatus::descriptor(), "log_path", 15},
      {pb::ContainerFilter::descriptor(), "label_selector", 4},
      {pb::ExecSyncResponse::descriptor(), "exit_code", 3},
      {pb::Image::descriptor(), "size", 4},
      {pb::Image::descriptor(), "uid", 5},
      {pb::Image::descriptor(), "username", 6},
      {pb::LinuxSandboxSecurityContext::descriptor(), "privileged", 6},
      {pb::LinuxContainerConfig::descriptor(), "security_context", 2},
      {pb::LinuxContainerSecurityContext::descriptor(), "capabilities", 1},
      {pb::LinuxContainerSecurityContext::descriptor(), "privileged", 2},
      {pb::LinuxContainerSecurityContext::descriptor(), "run_as_user", 5},
      {pb::LinuxContainerSecurityContext::descriptor(), "readonly_rootfs", 7},
      {pb::LinuxContainerSecurityContext::descriptor(), "no_new_privs", 11},
      {pb::LinuxContainerSecurityContext::descriptor(), "run_as_group", 12},
      {pb::Capability::descriptor(), "add_capabilities", 1},
      {pb::Capability::descriptor(), "drop_capabilities", 2},
      {pb::Int64Value::descriptor(), "value", 1},
  };
  for (const Want& w : wants) {
    const google::protobuf::FieldDescriptor* f = w.message->FindFieldByName(w.field);
    ASSERT_NE(f, nullptr) << w.message->full_name() << "." << w.field;
    EXPECT_EQ(f->number(), w.number) << w.message->full_name() << "." << w.field;
  }
  EXPECT_EQ(pb::PodSandboxConfig::descriptor()->file()->package(), "runtime.v1");
}

TEST(StatusMappingTest, MapsCodesAndMessages) {
  absl::Duration t = absl::Seconds(2);
  EXPECT_TRUE(FromGrpcStatus(::grpc::Status::OK, "Version", t).ok());

  absl::Status nf = FromGrpcStatus(
      ::grpc::Status(::grpc::StatusCode::NOT_FOUND, "container \"x\" not found"), "X", t);
  EXPECT_TRUE(absl::IsNotFound(nf));
  EXPECT_EQ(nf.message(), "container \"x\" not found");

  absl::Status un = FromGrpcStatus(
      ::grpc::Status(::grpc::StatusCode::UNAVAILABLE, "connection refused"), "Version", t);
  EXPECT_TRUE(absl::IsUnavailable(un));
  EXPECT_EQ(un.message(), "container runtime is unavailable: connection refused");

  absl::Status de = FromGrpcStatus(
      ::grpc::Status(::grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"), "Status", t);
  EXPECT_TRUE(absl::IsDeadlineExceeded(de));
  EXPECT_THAT(std::string(de.message()), HasSubstr("Status"));

  EXPECT_TRUE(absl::IsUnimplemented(FromGrpcStatus(
      ::grpc::Status(::grpc::StatusCode::UNIMPLEMENTED, "nope"), "GetContainerEvents", t)));

  absl::Status unknown = FromGrpcStatus(
      ::grpc::Status(::grpc::StatusCode::UNKNOWN, "name is reserved"), "RunPodSandbox", t);
  EXPECT_TRUE(absl::IsUnknown(unknown));
  EXPECT_EQ(unknown.message(), "RunPodSandbox: name is reserved");

  absl::Status re = FromGrpcStatus(
      ::grpc::Status(::grpc::StatusCode::RESOURCE_EXHAUSTED, "too big"), "ListContainers", t);
  EXPECT_TRUE(absl::IsResourceExhausted(re));
  EXPECT_EQ(re.message(), "ListContainers: too big");
}

TEST(StatusMappingTest, ServerSideKeepsCodeAndMessage) {
  ::grpc::Status g = ToGrpcStatus(absl::FailedPreconditionError("bad state"));
  EXPECT_EQ(g.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(g.error_message(), "bad state");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace cubelet::cri::convert
