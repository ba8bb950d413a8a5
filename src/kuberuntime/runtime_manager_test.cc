// RuntimeManager driven against the in-memory CRI runtime with a fake clock.
#include "kuberuntime/runtime_manager.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "apiobjects/testing/fake_object_manager.h"
#include "apiobjects/testing/fake_service_lister.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "events/testing/fake_recorder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kuberuntime/hash.h"
#include "kuberuntime/labels.h"
#include "kuberuntime/termination_ordering.h"
#include "util/clock.h"
#include "util/testing/temp_dir.h"

namespace cubelet::kuberuntime {
namespace {

using container::ContainerState;
using container::PodSyncResult;
using container::SyncResult;
using ::testing::HasSubstr;

constexpr char kImage[] = "busybox:1.36";

api::Container Spec(const std::string& name, const std::string& image = kImage) {
  api::Container c;
  c.name = name;
  c.image = image;
  c.image_pull_policy = api::kPullIfNotPresent;
  c.termination_message_path = "/dev/termination-log";
  c.termination_message_policy = "File";
  return c;
}

api::Pod MakePod(const std::string& name, const std::string& policy,
                 std::vector<std::string> containers, std::vector<std::string> inits = {}) {
  api::Pod pod;
  pod.metadata.name = name;
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-" + name;
  pod.spec.restart_policy = policy;
  pod.spec.termination_grace_period_seconds = 30;
  for (const auto& n : containers) pod.spec.containers.push_back(Spec(n));
  for (const auto& n : inits) pod.spec.init_containers.push_back(Spec(n));
  return pod;
}

// The results of one action kind for one target.
std::vector<SyncResult> Results(const PodSyncResult& r, SyncResult::Action action,
                                const std::string& target = "") {
  std::vector<SyncResult> out;
  for (const SyncResult& s : r.results) {
    if (s.action == action && (target.empty() || s.target == target)) out.push_back(s);
  }
  return out;
}

bool Started(const PodSyncResult& r, const std::string& name) {
  auto starts = Results(r, SyncResult::Action::kStartContainer, name);
  return starts.size() == 1 && starts[0].error.ok();
}

class RuntimeManagerTest : public ::testing::Test {
 protected:
  RuntimeManagerTest() : RuntimeManagerTest(RuntimeManager::Options{.manage_host_state = false}) {}
  explicit RuntimeManagerTest(RuntimeManager::Options options)
      : cri_(&clock_), m_(&cri_, &cri_, &clock_, std::move(options)) {
    cri_.AddImage(kImage);
  }

  container::PodStatusPtr Status(const api::Pod& pod) {
    absl::StatusOr<container::PodStatusPtr> s =
        m_.GetPodStatus(pod.metadata.uid, pod.metadata.name, pod.metadata.namespace_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::make_shared<container::PodStatus>();
  }

  PodSyncResult Sync(const api::Pod& pod) { return m_.SyncPod(pod, *Status(pod), nullptr); }

  container::ContainerStatus Latest(const api::Pod& pod, const std::string& name) {
    container::PodStatusPtr s = Status(pod);
    const container::ContainerStatus* cs = s->FindContainerStatusByName(name);
    EXPECT_NE(cs, nullptr) << name;
    return cs == nullptr ? container::ContainerStatus{} : *cs;
  }

  int Instances(const api::Pod& pod, const std::string& name) {
    container::PodStatusPtr s = Status(pod);
    return static_cast<int>(
        std::count_if(s->container_statuses.begin(), s->container_statuses.end(),
                      [&](const container::ContainerStatus& cs) { return cs.name == name; }));
  }

  container::Pod RunningPod(const api::Pod& pod) {
    absl::StatusOr<std::vector<container::Pod>> pods = m_.GetPods(false);
    EXPECT_TRUE(pods.ok());
    for (const container::Pod& p : *pods) {
      if (p.id == pod.metadata.uid) return p;
    }
    return container::Pod{};
  }

  FakeClock clock_;
  cri::InMemoryRuntime cri_;
  RuntimeManager m_;
};

// Env from ConfigMaps and Secrets (cluster mode's ObjectManager).
class EnvFromObjectsTest : public RuntimeManagerTest {
 protected:
  EnvFromObjectsTest()
      : RuntimeManagerTest(RuntimeManager::Options{.manage_host_state = false,
                                                   .recorder = &recorder_,
                                                   .objects = &objects_,
                                                   .services = &services_}) {
    objects_.PutConfigMap(apiobjects::ConfigMap{
        .namespace_ = "default", .name = "cfg", .data = {{"MODE", "fast"}, {"LEVEL", "3"}}});
    objects_.PutSecret(apiobjects::Secret{
        .namespace_ = "default", .name = "creds", .data = {{"USER", "admin"}, {"bad=key", "x"}}});
  }

  // The started container's env as NAME=value, or the start's error.
  absl::StatusOr<std::vector<std::string>> StartedEnv(const api::Pod& pod) {
    PodSyncResult r = Sync(pod);
    auto starts = Results(r, SyncResult::Action::kStartContainer, "app");
    if (starts.size() != 1) return absl::InternalError("no start");
    if (!starts[0].error.ok()) {
      return absl::Status(starts[0].error.code(),
                          absl::StrCat(starts[0].reason, ": ", starts[0].message));
    }
    absl::StatusOr<cri::ContainerConfig> cc = cri_.GetContainerConfig(Latest(pod, "app").id);
    if (!cc.ok()) return cc.status();
    std::vector<std::string> envs;
    for (const cri::KeyValue& kv : cc->envs) envs.push_back(kv.key + "=" + kv.value);
    return envs;
  }

  static api::EnvVar KeyRef(const std::string& name, bool config_map, const std::string& object,
                            const std::string& key, bool optional = false) {
    api::KeySelector sel{.name = object, .key = key};
    if (optional) sel.optional = true;
    api::EnvVarSource from;
    (config_map ? from.config_map_key_ref : from.secret_key_ref) = sel;
    return api::EnvVar{.name = name, .value_from = from};
  }

  events::testing::FakeRecorder recorder_;
  apiobjects::testing::FakeObjectManager objects_;
  apiobjects::testing::FakeServiceLister services_;
};

TEST_F(EnvFromObjectsTest, ServicesGiveVariablesAfterTheContainersOwn) {
  services_.Set(std::vector<apiobjects::Service>{{.namespace_ = "default",
                                                  .name = "web-svc",
                                                  .cluster_ip = "10.0.0.5",
                                                  .ports = {{.port = 80, .protocol = "TCP"}}}});
  api::Pod pod = MakePod("web", api::kRestartAlways, {"app"});
  pod.spec.containers[0].env = {{.name = "WEB_SVC_SERVICE_PORT", .value = "mine"},
                                {.name = "URL", .value = "http://$(WEB_SVC_SERVICE_HOST)/"}};
  absl::StatusOr<std::vector<std::string>> env = StartedEnv(pod);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(*env, (std::vector<std::string>{
                      "WEB_SVC_SERVICE_PORT=mine", "URL=http://10.0.0.5/",
                      "WEB_SVC_PORT=tcp://10.0.0.5:80", "WEB_SVC_PORT_80_TCP=tcp://10.0.0.5:80",
                      "WEB_SVC_PORT_80_TCP_ADDR=10.0.0.5", "WEB_SVC_PORT_80_TCP_PORT=80",
                      "WEB_SVC_PORT_80_TCP_PROTO=tcp", "WEB_SVC_SERVICE_HOST=10.0.0.5"}));
  // enableServiceLinks: false leaves them out.
  api::Pod quiet = MakePod("quiet", api::kRestartAlways, {"app"});
  quiet.spec.enable_service_links = false;
  env = StartedEnv(quiet);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ::testing::IsEmpty());
  // Until the Services have been read the container waits.
  services_.Set(absl::UnavailableError(
      "services have not yet been read at least once, cannot construct envvars"));
  api::Pod early = MakePod("early", api::kRestartAlways, {"app"});
  env = StartedEnv(early);
  EXPECT_THAT(std::string(env.status().message()),
              ::testing::HasSubstr("services have not yet been read"));
}

TEST_F(EnvFromObjectsTest, EnvFromThenEnvWhichOverridesAndExpands) {
  api::Pod pod = MakePod("web", api::kRestartAlways, {"app"});
  api::Container& c = pod.spec.containers[0];
  c.env_from = {{.config_map_ref = api::OptionalObjectRef{.name = "cfg"}},
                {.prefix = "S_", .secret_ref = api::OptionalObjectRef{.name = "creds"}}};
  c.env = {{.name = "LEVEL", .value = "9"},
           {.name = "SUMMARY", .value = "$(MODE)/$(S_USER)"},
           KeyRef("FROM_CM", true, "cfg", "MODE"),
           KeyRef("FROM_SECRET", false, "creds", "USER")};
  c.args = {"--level=$(LEVEL)"};
  absl::StatusOr<std::vector<std::string>> env = StartedEnv(pod);
  ASSERT_TRUE(env.ok()) << env.status();
  // envFrom keys in key order, an env entry replacing one in place; the
  // secret key that is no valid variable name is skipped.
  EXPECT_EQ(*env,
            (std::vector<std::string>{"LEVEL=9", "MODE=fast", "S_USER=admin", "SUMMARY=fast/admin",
                                      "FROM_CM=fast", "FROM_SECRET=admin"}));
  absl::StatusOr<cri::ContainerConfig> cc = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(cc.ok());
  EXPECT_EQ(cc->args, (std::vector<std::string>{"--level=9"}));
  EXPECT_THAT(recorder_.Events(),
              ::testing::Contains(::testing::HasSubstr(
                  "InvalidEnvironmentVariableNames Keys [S_bad=key] from the EnvFrom secret "
                  "default/creds were skipped since they are considered invalid environment "
                  "variable names.")));
}

TEST_F(EnvFromObjectsTest, MissingObjectOrKeyIsACreateContainerConfigError) {
  api::Pod pod = MakePod("web", api::kRestartAlways, {"app"});
  pod.spec.containers[0].env = {KeyRef("X", true, "nope", "K")};
  absl::StatusOr<std::vector<std::string>> env = StartedEnv(pod);
  EXPECT_EQ(env.status().message(), "CreateContainerConfigError: configmap \"nope\" not found");

  pod.spec.containers[0].env = {KeyRef("X", true, "cfg", "K")};
  env = StartedEnv(pod);
  EXPECT_EQ(env.status().message(),
            "CreateContainerConfigError: couldn't find key K in ConfigMap default/cfg");

  pod.spec.containers[0].env = {KeyRef("X", false, "creds", "K")};
  env = StartedEnv(pod);
  EXPECT_EQ(env.status().message(),
            "CreateContainerConfigError: couldn't find key K in Secret default/creds");

  pod.spec.containers[0].env.clear();
  pod.spec.containers[0].env_from = {{.secret_ref = api::OptionalObjectRef{.name = "gone"}}};
  env = StartedEnv(pod);
  EXPECT_EQ(env.status().message(), "CreateContainerConfigError: secret \"gone\" not found");
}

TEST_F(EnvFromObjectsTest, OptionalReferencesToWhatIsMissingAreLeftOut) {
  api::Pod pod = MakePod("web", api::kRestartAlways, {"app"});
  api::Container& c = pod.spec.containers[0];
  c.env_from = {{.config_map_ref = api::OptionalObjectRef{.name = "nope", .optional = true}}};
  c.env = {KeyRef("A", true, "nope", "K", true),
           KeyRef("B", true, "cfg", "K", true),
           KeyRef("C", false, "creds", "K", true),
           {.name = "D", .value = "d"}};
  absl::StatusOr<std::vector<std::string>> env = StartedEnv(pod);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(*env, (std::vector<std::string>{"D=d"}));
}

TEST_F(EnvFromObjectsTest, EachObjectIsReadOncePerContainer) {
  api::Pod pod = MakePod("web", api::kRestartAlways, {"app"});
  pod.spec.containers[0].env_from = {{.config_map_ref = api::OptionalObjectRef{.name = "cfg"}}};
  pod.spec.containers[0].env = {KeyRef("A", true, "cfg", "MODE"),
                                KeyRef("B", true, "cfg", "LEVEL")};
  ASSERT_TRUE(StartedEnv(pod).ok());
  EXPECT_EQ(objects_.gets(), 1);
}

TEST_F(RuntimeManagerTest, StartsPodWithKubeletConfigs) {
  api::Pod pod = MakePod("web", api::kRestartAlways, {"app"});
  pod.metadata.labels = {{"tier", "front"}};
  pod.spec.node_name = "node-1";
  api::Container& c = pod.spec.containers[0];
  c.command = {"/bin/app", "--name=$(POD_NAME)", "$$(KEEP)", "$(UNDEFINED)"};
  c.args = {"--greeting=$(GREETING)"};
  c.working_dir = "/work";
  c.env = {
      {.name = "WHO", .value = "world"},
      {.name = "GREETING", .value = "hello $(WHO)"},
      {.name = "POD_NAME",
       .value_from =
           api::EnvVarSource{.field_ref = api::ObjectFieldSelector{.field_path = "metadata.name"}}},
      {.name = "POD_IP",
       .value_from =
           api::EnvVarSource{.field_ref = api::ObjectFieldSelector{.field_path = "status.podIP"}}},
      {.name = "NODE",
       .value_from = api::EnvVarSource{
           .field_ref = api::ObjectFieldSelector{.field_path = "spec.nodeName"}}}};
  c.ports = {{.container_port = 80, .protocol = "TCP"},
             {.host_port = 8053, .container_port = 53, .protocol = "UDP"}};
  c.resources.requests = {{"cpu", "250m"}};
  c.resources.limits = {{"cpu", "500m"}, {"memory", "64Mi"}};

  PodSyncResult r = Sync(pod);
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  ASSERT_EQ(Results(r, SyncResult::Action::kCreatePodSandbox).size(), 1u);
  EXPECT_EQ(Results(r, SyncResult::Action::kCreatePodSandbox)[0].target, "web_default(uid-web)");
  EXPECT_TRUE(Started(r, "app"));

  container::PodStatusPtr status = Status(pod);
  ASSERT_EQ(status->sandbox_statuses.size(), 1u);
  ASSERT_EQ(status->ips.size(), 1u);
  absl::StatusOr<cri::PodSandboxConfig> sb =
      cri_.GetPodSandboxConfig(status->sandbox_statuses[0].id);
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(sb->metadata.name, "web");
  EXPECT_EQ(sb->metadata.namespace_, "default");
  EXPECT_EQ(sb->metadata.uid, "uid-web");
  EXPECT_EQ(sb->metadata.attempt, 0u);
  EXPECT_EQ(sb->hostname, "web");
  EXPECT_EQ(sb->log_directory, "/var/log/pods/default_web_uid-web");
  EXPECT_EQ(sb->cgroup_parent, "/cubelet/poduid-web");
  EXPECT_EQ(sb->network_mode, cri::NamespaceMode::kPod);
  EXPECT_EQ(sb->labels, (cri::Labels{{"tier", "front"},
                                     {kPodNameLabel, "web"},
                                     {kPodNamespaceLabel, "default"},
                                     {kPodUidLabel, "uid-web"}}));
  ASSERT_EQ(sb->port_mappings.size(), 1u);
  EXPECT_EQ(sb->port_mappings[0].host_port, 8053);
  EXPECT_EQ(sb->port_mappings[0].container_port, 53);
  EXPECT_EQ(sb->port_mappings[0].protocol, cri::Protocol::kUdp);

  const container::ContainerStatus* cs = status->FindContainerStatusByName("app");
  ASSERT_NE(cs, nullptr);
  EXPECT_EQ(cs->state, ContainerState::kRunning);
  EXPECT_EQ(cs->hash, HashContainer(c));
  EXPECT_EQ(cs->restart_count, 0);
  absl::StatusOr<cri::ContainerConfig> cc = cri_.GetContainerConfig(cs->id);
  ASSERT_TRUE(cc.ok());
  EXPECT_EQ(cc->metadata.name, "app");
  EXPECT_EQ(cc->metadata.attempt, 0u);
  EXPECT_EQ(cc->log_path, "app/0.log");
  EXPECT_EQ(cc->working_dir, "/work");
  EXPECT_EQ(cc->command,
            (std::vector<std::string>{"/bin/app", "--name=web", "$(KEEP)", "$(UNDEFINED)"}));
  EXPECT_EQ(cc->args, (std::vector<std::string>{"--greeting=hello world"}));
  std::vector<std::string> envs;
  for (const cri::KeyValue& kv : cc->envs) envs.push_back(kv.key + "=" + kv.value);
  EXPECT_EQ(envs, (std::vector<std::string>{"WHO=world", "GREETING=hello world", "POD_NAME=web",
                                            "POD_IP=" + status->ips[0], "NODE=node-1"}));
  EXPECT_EQ(cc->labels, (cri::Labels{{kPodNameLabel, "web"},
                                     {kPodNamespaceLabel, "default"},
                                     {kPodUidLabel, "uid-web"},
                                     {kContainerNameLabel, "app"}}));
  EXPECT_EQ(cc->annotations.at(kContainerHashAnnotation), HashToString(HashContainer(c)));
  EXPECT_EQ(cc->annotations.at(kContainerRestartCountAnnotation), "0");
  EXPECT_EQ(cc->annotations.at(kContainerTerminationMessagePathAnnotation), "/dev/termination-log");
  EXPECT_EQ(cc->annotations.at(kPodTerminationGracePeriodAnnotation), "30");
  EXPECT_EQ(cc->resources.cpu_shares, 256);
  EXPECT_EQ(cc->resources.cpu_period, 100000);
  EXPECT_EQ(cc->resources.cpu_quota, 50000);
  EXPECT_EQ(cc->resources.memory_limit_in_bytes, 64 << 20);

  // A second sync changes nothing.
  PodSyncResult again = Sync(pod);
  EXPECT_TRUE(again.results.empty());
  EXPECT_EQ(cri_.CallCount("CreateContainer"), 1);
}

TEST_F(RuntimeManagerTest, DefaultResourcesAndHostNetwork) {
  api::Pod pod = MakePod("host", api::kRestartAlways, {"app"});
  pod.spec.host_network = true;
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::PodStatusPtr s = Status(pod);
  EXPECT_TRUE(s->ips.empty());
  EXPECT_TRUE(s->sandbox_statuses[0].host_network);
  absl::StatusOr<cri::PodSandboxConfig> sb = cri_.GetPodSandboxConfig(s->sandbox_statuses[0].id);
  EXPECT_EQ(sb->network_mode, cri::NamespaceMode::kNode);
  EXPECT_EQ(sb->hostname, "");
  absl::StatusOr<cri::ContainerConfig> cc =
      cri_.GetContainerConfig(s->FindContainerStatusByName("app")->id);
  EXPECT_EQ(cc->resources.cpu_shares, 2);
  EXPECT_EQ(cc->resources.cpu_quota, 0);
  EXPECT_EQ(cc->resources.memory_limit_in_bytes, 0);
  // No IP is expected for host networking: the next sync keeps the sandbox.
  EXPECT_TRUE(Sync(pod).results.empty());
}

struct PolicyCase {
  const char* policy;
  int exit_code;
  bool restarts;
};

class RestartPolicySyncTest : public RuntimeManagerTest,
                              public ::testing::WithParamInterface<PolicyCase> {};

TEST_P(RestartPolicySyncTest, ExitedContainer) {
  const PolicyCase& tc = GetParam();
  api::Pod pod = MakePod("p", tc.policy, {"app"});
  cri_.SetExitOnStart("app", tc.exit_code);
  ASSERT_TRUE(Started(Sync(pod), "app"));
  ASSERT_EQ(Latest(pod, "app").state, ContainerState::kExited);

  PodSyncResult r = Sync(pod);
  if (tc.restarts) {
    EXPECT_TRUE(Started(r, "app"));
    EXPECT_EQ(Latest(pod, "app").restart_count, 1);
    EXPECT_TRUE(Results(r, SyncResult::Action::kKillPodSandbox).empty());
  } else {
    EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer).empty());
    // Nothing will run again: the sandbox is stopped...
    EXPECT_EQ(Results(r, SyncResult::Action::kKillPodSandbox).size(), 1u);
    EXPECT_EQ(Status(pod)->sandbox_statuses[0].state, container::SandboxState::kNotReady);
    // ...and not recreated later.
    PodSyncResult later = Sync(pod);
    EXPECT_TRUE(Results(later, SyncResult::Action::kCreatePodSandbox).empty());
    EXPECT_EQ(cri_.SandboxIds().size(), 1u);
    EXPECT_EQ(Instances(pod, "app"), 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, RestartPolicySyncTest,
                         ::testing::Values(PolicyCase{api::kRestartAlways, 0, true},
                                           PolicyCase{api::kRestartAlways, 1, true},
                                           PolicyCase{api::kRestartOnFailure, 0, false},
                                           PolicyCase{api::kRestartOnFailure, 1, true},
                                           PolicyCase{api::kRestartNever, 0, false},
                                           PolicyCase{api::kRestartNever, 1, false}));

TEST_F(RuntimeManagerTest, InitContainersRunOneAfterAnother) {
  api::Pod pod = MakePod("init", api::kRestartAlways, {"app"}, {"i0", "i1"});
  PodSyncResult r = Sync(pod);
  EXPECT_TRUE(Started(r, "i0"));
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer, "i1").empty());
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer, "app").empty());

  // i0 still running: nothing else starts.
  EXPECT_TRUE(Sync(pod).results.empty());

  ASSERT_TRUE(cri_.ExitContainer(Latest(pod, "i0").id, 0).ok());
  r = Sync(pod);
  EXPECT_TRUE(Started(r, "i1"));
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer, "app").empty());

  ASSERT_TRUE(cri_.ExitContainer(Latest(pod, "i1").id, 0).ok());
  r = Sync(pod);
  EXPECT_TRUE(Started(r, "app"));
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer, "i0").empty());
  EXPECT_EQ(Latest(pod, "app").state, ContainerState::kRunning);
}

TEST_F(RuntimeManagerTest, FailedInitContainerUnderNeverKillsThePod) {
  api::Pod pod = MakePod("initfail", api::kRestartNever, {"app"}, {"i0"});
  cri_.SetExitOnStart("i0", 1);
  ASSERT_TRUE(Started(Sync(pod), "i0"));
  PodSyncResult r = Sync(pod);
  EXPECT_EQ(Results(r, SyncResult::Action::kKillPodSandbox).size(), 1u);
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer).empty());
  EXPECT_EQ(Status(pod)->sandbox_statuses[0].state, container::SandboxState::kNotReady);
  EXPECT_TRUE(Sync(pod).Error().ok());
  EXPECT_EQ(Instances(pod, "app"), 0);
  EXPECT_EQ(Instances(pod, "i0"), 1);
  EXPECT_EQ(cri_.SandboxIds().size(), 1u);
}

TEST_F(RuntimeManagerTest, FailedInitContainerUnderAlwaysIsRetried) {
  api::Pod pod = MakePod("initretry", api::kRestartAlways, {"app"}, {"i0"});
  cri_.SetExitOnStart("i0", 1);
  ASSERT_TRUE(Started(Sync(pod), "i0"));
  PodSyncResult r = Sync(pod);
  EXPECT_TRUE(Started(r, "i0"));
  EXPECT_EQ(Latest(pod, "i0").restart_count, 1);
  // The retry backs off like any crash loop, and app never starts meanwhile.
  r = Sync(pod);
  auto starts = Results(r, SyncResult::Action::kStartContainer, "i0");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kCrashLoopBackOff);
  EXPECT_EQ(Instances(pod, "app"), 0);
  // Once it succeeds, the app starts.
  cri_.ClearExitOnStart("i0");
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Started(Sync(pod), "i0"));
  ASSERT_TRUE(cri_.ExitContainer(Latest(pod, "i0").id, 0).ok());
  EXPECT_TRUE(Started(Sync(pod), "app"));
}

TEST_F(RuntimeManagerTest, CrashLoopBackOffSequenceAndReset) {
  api::Pod pod = MakePod("crash", api::kRestartAlways, {"app"});
  cri_.SetExitOnStart("app", 1);
  ASSERT_TRUE(Started(Sync(pod), "app"));  // restart count 0
  ASSERT_TRUE(Started(Sync(pod), "app"));  // first restart is immediate

  const std::vector<std::string> expected = {"10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"};
  const std::vector<int> seconds = {10, 20, 40, 80, 160, 300, 300};
  for (size_t i = 0; i < expected.size(); ++i) {
    PodSyncResult r = Sync(pod);
    auto starts = Results(r, SyncResult::Action::kStartContainer, "app");
    ASSERT_EQ(starts.size(), 1u) << i;
    EXPECT_EQ(starts[0].reason, container::kCrashLoopBackOff);
    EXPECT_EQ(starts[0].message,
              "back-off " + expected[i] +
                  " restarting failed container=app pod=crash_default(uid-crash)");
    EXPECT_TRUE(r.OnlyBackOffErrors());
    // The restart is due `seconds[i]` after the exit (the fake runtime's
    // instant exits finish at the start time).
    ASSERT_TRUE(r.MinBackoffExpiration().has_value()) << i;
    EXPECT_EQ(*r.MinBackoffExpiration(), Latest(pod, "app").finished_at + absl::Seconds(seconds[i]))
        << i;
    clock_.Advance(absl::Seconds(seconds[i] - 1));
    EXPECT_FALSE(Started(Sync(pod), "app")) << i;
    clock_.Advance(absl::Seconds(1));
    EXPECT_TRUE(Started(Sync(pod), "app")) << i;
  }
  EXPECT_EQ(Latest(pod, "app").restart_count, 8);

  // The next instance stays up for 11 minutes (> 2 × 300 s) before failing:
  // the back-off starts over and the restart is immediate.
  cri_.ClearExitOnStart("app");
  clock_.Advance(absl::Seconds(300));
  ASSERT_TRUE(Started(Sync(pod), "app"));
  clock_.Advance(absl::Minutes(11));
  ASSERT_TRUE(cri_.ExitContainer(Latest(pod, "app").id, 1).ok());
  ASSERT_TRUE(Started(Sync(pod), "app"));
  ASSERT_TRUE(cri_.ExitContainer(Latest(pod, "app").id, 1).ok());
  auto starts = Results(Sync(pod), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_THAT(starts[0].message, HasSubstr("back-off 10s "));
}

TEST_F(RuntimeManagerTest, SpecChangeRestartsEvenUnderNever) {
  api::Pod pod = MakePod("change", api::kRestartNever, {"app"});
  ASSERT_TRUE(Started(Sync(pod), "app"));
  std::string old_id = Latest(pod, "app").id;

  cri_.AddImage("busybox:1.37");
  pod.spec.containers[0].image = "busybox:1.37";
  PodSyncResult r = Sync(pod);
  EXPECT_EQ(Results(r, SyncResult::Action::kKillContainer, "app").size(), 1u);
  EXPECT_TRUE(Started(r, "app"));
  container::ContainerStatus now = Latest(pod, "app");
  EXPECT_NE(now.id, old_id);
  EXPECT_EQ(now.image, "busybox:1.37");
  EXPECT_EQ(now.state, ContainerState::kRunning);
  EXPECT_EQ(now.restart_count, 1);
  EXPECT_EQ(cri_.LastStopTimeout(old_id), 30);
}

TEST_F(RuntimeManagerTest, DeadSandboxIsReplacedWithNextAttempt) {
  api::Pod pod = MakePod("sbdeath", api::kRestartAlways, {"app"});
  ASSERT_TRUE(Started(Sync(pod), "app"));
  std::string first = Status(pod)->sandbox_statuses[0].id;
  ASSERT_TRUE(cri_.StopPodSandbox(first).ok());

  PodSyncResult r = Sync(pod);
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  EXPECT_EQ(Results(r, SyncResult::Action::kKillPodSandbox).size(), 1u);
  EXPECT_EQ(Results(r, SyncResult::Action::kCreatePodSandbox).size(), 1u);
  EXPECT_TRUE(Started(r, "app"));
  container::PodStatusPtr s = Status(pod);
  ASSERT_EQ(s->sandbox_statuses.size(), 2u);
  EXPECT_NE(s->sandbox_statuses[0].id, first);
  EXPECT_EQ(s->sandbox_statuses[0].attempt, 1u);
  EXPECT_EQ(cri_.GetPodSandboxConfig(s->sandbox_statuses[0].id)->metadata.attempt, 1u);
  EXPECT_EQ(s->FindContainerStatusByName("app")->restart_count, 1);
  EXPECT_EQ(s->FindContainerStatusByName("app")->state, ContainerState::kRunning);
}

TEST_F(RuntimeManagerTest, NewSandboxRerunsInitContainers) {
  api::Pod pod = MakePod("sbinit", api::kRestartAlways, {"app"}, {"i0"});
  ASSERT_TRUE(Started(Sync(pod), "i0"));
  ASSERT_TRUE(cri_.ExitContainer(Latest(pod, "i0").id, 0).ok());
  ASSERT_TRUE(Started(Sync(pod), "app"));
  ASSERT_TRUE(cri_.StopPodSandbox(Status(pod)->sandbox_statuses[0].id).ok());
  PodSyncResult r = Sync(pod);
  EXPECT_TRUE(Started(r, "i0"));
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer, "app").empty());
  // The old init instance was purged with the old sandbox.
  EXPECT_EQ(Instances(pod, "i0"), 1);
}

TEST_F(RuntimeManagerTest, KillPodStopsContainersThenSandboxes) {
  api::Pod pod = MakePod("kill", api::kRestartAlways, {"a", "b", "c"});
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::Pod running = RunningPod(pod);
  ASSERT_EQ(running.containers.size(), 3u);

  PodSyncResult r = m_.KillPod(&pod, running, std::nullopt, nullptr);
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  EXPECT_EQ(Results(r, SyncResult::Action::kKillContainer).size(), 3u);
  ASSERT_EQ(Results(r, SyncResult::Action::kKillPodSandbox).size(), 1u);
  EXPECT_EQ(r.results.back().action, SyncResult::Action::kKillPodSandbox);
  for (const container::Container& c : running.containers) {
    EXPECT_EQ(cri_.LastStopTimeout(c.id), 30) << c.name;
  }
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  EXPECT_EQ(Status(pod)->sandbox_statuses[0].state, container::SandboxState::kNotReady);
  // Killing again is harmless.
  EXPECT_TRUE(m_.KillPod(&pod, running, std::nullopt, nullptr).Error().ok());
}

TEST_F(RuntimeManagerTest, KillPodGracePeriods) {
  struct Case {
    std::optional<int64_t> tgps;
    std::optional<int64_t> deletion;
    std::optional<int64_t> override_;
    int64_t want;
  };
  const std::vector<Case> cases = {
      {30, std::nullopt, std::nullopt, 30},  // spec
      {30, 10, std::nullopt, 10},            // deletion grace wins over spec
      {30, 10, 5, 5},                        // override wins over both
      {30, std::nullopt, 0, 2},              // never below 2 s
      {1, std::nullopt, std::nullopt, 2},
      {std::nullopt, std::nullopt, std::nullopt, 2},
  };
  int n = 0;
  for (const Case& tc : cases) {
    api::Pod pod = MakePod("grace" + std::to_string(n++), api::kRestartAlways, {"app"});
    pod.spec.termination_grace_period_seconds = tc.tgps;
    ASSERT_TRUE(Sync(pod).Error().ok());
    pod.metadata.deletion_grace_period_seconds = tc.deletion;
    container::Pod running = RunningPod(pod);
    ASSERT_EQ(running.containers.size(), 1u);
    ASSERT_TRUE(m_.KillPod(&pod, running, tc.override_, nullptr).Error().ok());
    EXPECT_EQ(cri_.LastStopTimeout(running.containers[0].id), tc.want) << n;
  }
}

TEST_F(RuntimeManagerTest, KillOrphanPodUsesAnnotations) {
  api::Pod pod = MakePod("orphan", api::kRestartAlways, {"app"});
  pod.spec.termination_grace_period_seconds = 45;
  pod.spec.containers[0].lifecycle = api::Lifecycle{
      .pre_stop = api::LifecycleHandler{.exec = api::ExecAction{.command = {"/bin/drain"}}}};
  std::vector<std::string> hooks;
  cri_.SetExecHandler("app", [&](const std::vector<std::string>& cmd) {
    hooks.push_back(cmd.empty() ? "" : cmd[0]);
    return cri::ExecSyncResponse{};
  });
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::Pod running = RunningPod(pod);
  EXPECT_EQ(running.name, "orphan");
  EXPECT_EQ(running.namespace_, "default");

  PodSyncResult r = m_.KillPod(nullptr, running, std::nullopt, nullptr);
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  EXPECT_EQ(cri_.LastStopTimeout(running.containers[0].id), 45);
  EXPECT_EQ(hooks, (std::vector<std::string>{"/bin/drain"}));
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  EXPECT_EQ(Status(pod)->sandbox_statuses[0].state, container::SandboxState::kNotReady);
}

// Records the order in which preStop hooks ran (one per container name).
api::Lifecycle ExecPreStop() {
  return api::Lifecycle{
      .pre_stop = api::LifecycleHandler{.exec = api::ExecAction{.command = {"/bin/drain"}}}};
}

// upstream terminationOrdering: every preStop hook starts at once (the
// sidecars' too), then the main containers stop, then the sidecars in reverse
// order, each once the ones it serves are gone.
TEST_F(RuntimeManagerTest, SidecarsStopAfterMainContainersInReverseOrder) {
  api::Pod pod = MakePod("sidecars", api::kRestartAlways, {"app", "worker"}, {"log", "proxy"});
  std::mutex mu;
  std::condition_variable cv;
  int hooks_entered = 0;
  bool hooks_overlapped = true;
  for (auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
    for (api::Container& c : *list) {
      c.lifecycle = ExecPreStop();
      cri_.SetExecHandler(c.name, [&](const std::vector<std::string>&) {
        std::unique_lock<std::mutex> lock(mu);
        ++hooks_entered;
        cv.notify_all();
        // Every hook is held until all four run: hooks run one after another
        // would never get there.
        if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return hooks_entered == 4; })) {
          hooks_overlapped = false;
        }
        return cri::ExecSyncResponse{};
      });
    }
  }
  for (api::Container& c : pod.spec.init_containers) c.restart_policy = api::kRestartAlways;
  // Sidecars start one by one (each must be running before the next).
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Sync(pod).Error().ok());
  container::Pod running = RunningPod(pod);
  ASSERT_EQ(running.containers.size(), 4u);
  std::map<std::string, std::string> name_of;
  for (const container::Container& c : running.containers) name_of[c.id] = c.name;
  std::vector<std::string> stopped;
  cri_.SetExitListener([&](const std::string& id) {
    std::lock_guard<std::mutex> lock(mu);
    stopped.push_back(name_of[id]);
  });

  PodSyncResult r = m_.KillPod(&pod, running, std::nullopt, nullptr);
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(hooks_entered, 4);
  EXPECT_TRUE(hooks_overlapped) << "the preStop hooks did not run together";
  ASSERT_EQ(stopped.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(stopped.begin(), stopped.begin() + 2),
              ::testing::UnorderedElementsAre("app", "worker"));
  EXPECT_EQ(stopped[2], "proxy");
  EXPECT_EQ(stopped[3], "log");
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
}

// A main container that does not stop holds the sidecars back only for their
// grace period: then they stop anyway, with the minimum window left.
TEST(TerminationOrderingTest, SidecarWaitsForMainsAndLaterSidecarsAtMostItsGrace) {
  api::Pod pod;
  pod.spec.containers = {api::Container{.name = "app"}};
  api::Container log{.name = "log"}, proxy{.name = "proxy"}, setup{.name = "setup"};
  log.restart_policy = proxy.restart_policy = api::kRestartAlways;
  pod.spec.init_containers = {setup, log, proxy};
  TerminationOrdering ordering(pod, {"app", "log", "proxy"});

  EXPECT_EQ(ordering.WaitForTurn("app", absl::Seconds(5)), absl::ZeroDuration());
  EXPECT_EQ(ordering.WaitForTurn("setup", absl::Seconds(5)), absl::ZeroDuration());
  EXPECT_EQ(ordering.WaitForTurn("proxy", absl::ZeroDuration()), absl::ZeroDuration());
  absl::Duration waited = ordering.WaitForTurn("proxy", absl::Milliseconds(50));
  EXPECT_GE(waited, absl::Milliseconds(50)) << "app still runs";

  std::thread log_waiter([&] { waited = ordering.WaitForTurn("log", absl::Seconds(10)); });
  ordering.Terminated("app");
  ordering.Terminated("proxy");
  log_waiter.join();
  EXPECT_LT(waited, absl::Seconds(10)) << "log went on once app and proxy stopped";
}

// upstream executePreStopHook: the kubelet waits for a preStop hook at most
// the grace period, then stops the container with what is left (at least
// 2 s); the hook call may end later, in the background.
TEST_F(RuntimeManagerTest, PreStopHookLongerThanGraceIsAbandonedAtTheGrace) {
  api::Pod pod = MakePod("slowhook", api::kRestartAlways, {"app"});
  pod.spec.containers[0].lifecycle = ExecPreStop();
  pod.spec.termination_grace_period_seconds = 1;
  // Shared with the hook call, which outlives this test body.
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
  };
  auto gate = std::make_shared<Gate>();
  cri_.SetExecHandler("app", [gate](const std::vector<std::string>&) {
    std::unique_lock<std::mutex> lock(gate->mu);
    gate->cv.wait(lock, [&] { return gate->release; });  // outlives the grace period
    return cri::ExecSyncResponse{};
  });
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::Pod running = RunningPod(pod);
  const std::string id = running.containers[0].id;

  absl::Time start = absl::Now();
  PodSyncResult r = m_.KillPod(&pod, running, std::nullopt, CancelToken::Create());
  absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  EXPECT_EQ(cri_.RunningContainerCount(), 0u) << "stopped while the hook still runs";
  EXPECT_EQ(cri_.LastStopTimeout(id), kMinimumGracePeriodSeconds);
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, absl::Seconds(5)) << "the kill did not wait for the hook";
  {
    std::lock_guard<std::mutex> lock(gate->mu);
    gate->release = true;
  }
  gate->cv.notify_all();
  // The manager's destructor waits for the abandoned hook call to end.
}

TEST_F(RuntimeManagerTest, ShorterGraceInterruptsAStopInFlight) {
  api::Pod pod = MakePod("interrupt", api::kRestartAlways, {"app"});
  pod.spec.containers[0].lifecycle = ExecPreStop();
  std::mutex mu;
  std::condition_variable cv;
  bool hook_entered = false, release = false;
  int hook_calls = 0;
  cri_.SetExecHandler("app", [&](const std::vector<std::string>&) {
    std::unique_lock<std::mutex> lock(mu);
    ++hook_calls;
    hook_entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });  // a preStop that takes "forever"
    return cri::ExecSyncResponse{};
  });
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::Pod running = RunningPod(pod);
  const std::string id = running.containers[0].id;

  CancelTokenPtr first = CancelToken::Create();
  PodSyncResult first_result;
  std::thread slow([&] { first_result = m_.KillPod(&pod, running, std::nullopt, first); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return hook_entered; });
  }
  // A second deletion with a shorter grace: the pod workers cancel the kill
  // in flight and kill again with the new grace.
  first->Cancel();
  slow.join();
  EXPECT_TRUE(absl::IsCancelled(first_result.Error())) << first_result.Error();
  EXPECT_EQ(cri_.RunningContainerCount(), 1u) << "the interrupted stop has not stopped it yet";

  PodSyncResult second = m_.KillPod(&pod, running, 1, CancelToken::Create());
  ASSERT_TRUE(second.Error().ok()) << second.Error();
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  EXPECT_EQ(cri_.LastStopTimeout(id), kMinimumGracePeriodSeconds);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(hook_calls, 1) << "the preStop hook runs once";
    release = true;
  }
  cv.notify_all();
  // The manager's destructor waits for the abandoned stop to finish.
}

// Stops run on a bounded pool, not a thread each: with room for two stops at
// a time, five containers stop two by two and all complete.
class SmallStopPoolTest : public RuntimeManagerTest {
 protected:
  SmallStopPoolTest()
      : RuntimeManagerTest(
            RuntimeManager::Options{.manage_host_state = false, .max_parallel_stops = 2}) {}
};

TEST_F(SmallStopPoolTest, MoreStopsThanThePoolAllComplete) {
  const std::vector<std::string> names = {"c0", "c1", "c2", "c3", "c4"};
  api::Pod pod = MakePod("many", api::kRestartAlways, names);
  std::mutex mu;
  std::condition_variable cv;
  int active = 0, max_active = 0, entered = 0;
  for (api::Container& c : pod.spec.containers) {
    c.lifecycle = ExecPreStop();
    cri_.SetExecHandler(c.name, [&](const std::vector<std::string>&) {
      std::unique_lock<std::mutex> lock(mu);
      ++entered;
      max_active = std::max(max_active, ++active);
      cv.notify_all();
      // Hold the stop until a second one runs beside it (or none is left).
      cv.wait(lock, [&] { return active >= 2 || entered == static_cast<int>(names.size()); });
      --active;
      return cri::ExecSyncResponse{};
    });
  }
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::Pod running = RunningPod(pod);
  ASSERT_EQ(running.containers.size(), names.size());

  PodSyncResult r = m_.KillPod(&pod, running, std::nullopt, CancelToken::Create());
  ASSERT_TRUE(r.Error().ok()) << r.Error();
  EXPECT_EQ(Results(r, SyncResult::Action::kKillContainer).size(), names.size());
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(entered, static_cast<int>(names.size()));
  EXPECT_EQ(max_active, 2) << "two stops at a time, never more";
}

class RecordedEventsTest : public RuntimeManagerTest {
 protected:
  RecordedEventsTest()
      : RuntimeManagerTest(
            RuntimeManager::Options{.manage_host_state = false, .recorder = &recorder_}) {}
  static inline events::testing::FakeRecorder recorder_;
};

TEST_F(RecordedEventsTest, ContainerLifecycleEventsAsTheKubeletRecordsThem) {
  recorder_.Clear();
  api::Pod pod = MakePod("ev", api::kRestartAlways, {"app"});
  ASSERT_TRUE(Sync(pod).Error().ok());
  EXPECT_THAT(
      recorder_.Events(),
      ::testing::ElementsAre(
          absl::StrCat("Normal Pulled Container image \"", kImage, "\" already present on machine"),
          "Normal Created Created container: app", "Normal Started Started container app"));
  std::vector<events::testing::FakeRecorder::Recorded> recorded = recorder_.RecordedEvents();
  ASSERT_FALSE(recorded.empty());
  EXPECT_EQ(recorded[0].object.kind, "Pod");
  EXPECT_EQ(recorded[0].object.uid, pod.metadata.uid);
  EXPECT_EQ(recorded[0].object.field_path, "spec.containers{app}");

  recorder_.Clear();
  ASSERT_TRUE(m_.KillPod(&pod, RunningPod(pod), std::nullopt, nullptr).Error().ok());
  EXPECT_THAT(recorder_.Events(), ::testing::ElementsAre("Normal Killing Stopping container app"));

  recorder_.Clear();
  api::Pod bad = MakePod("bad-image", api::kRestartAlways, {"app"});
  bad.spec.containers[0].image = "registry.example/missing:1";
  Sync(bad);
  Sync(bad);
  EXPECT_THAT(recorder_.Events(),
              ::testing::ElementsAre(
                  "Normal Pulling Pulling image \"registry.example/missing:1\"",
                  ::testing::StartsWith(
                      "Warning Failed Failed to pull image \"registry.example/missing:1\""),
                  "Normal BackOff Back-off pulling image \"registry.example/missing:1\""));
}

TEST_F(RuntimeManagerTest, AnAnnouncedExitShowsBeforeTheCriCatchesUp) {
  api::Pod pod = MakePod("announced", api::kRestartNever, {"app"});
  ASSERT_TRUE(Sync(pod).Error().ok());
  const std::string id = Latest(pod, "app").id;
  ASSERT_EQ(Latest(pod, "app").state, container::ContainerState::kRunning);
  const absl::Time exited_at = clock_.Now() + absl::Minutes(10);
  m_.NoteRuntimeEvent(cri::ContainerEvent{.type = cri::ContainerEvent::Type::kExited,
                                          .container_id = id,
                                          .exit_code = 3,
                                          .at = exited_at});
  // The CRI still says running; the status and the list do not.
  container::ContainerStatus announced = Latest(pod, "app");
  EXPECT_EQ(announced.state, container::ContainerState::kExited);
  EXPECT_EQ(announced.exit_code, 3);
  EXPECT_EQ(announced.reason, "Error");
  EXPECT_EQ(announced.finished_at, exited_at);
  absl::StatusOr<std::vector<container::Pod>> pods = m_.GetPods(true);
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].containers[0].state, container::ContainerState::kExited);

  // Once the CRI agrees, its record is the truth.
  ASSERT_TRUE(cri_.ExitContainer(id, 3).ok());
  container::ContainerStatus caught_up = Latest(pod, "app");
  EXPECT_EQ(caught_up.state, container::ContainerState::kExited);
  EXPECT_NE(caught_up.finished_at, exited_at);
}

TEST_F(RuntimeManagerTest, AnAnnouncedOomKillIsOOMKilled) {
  api::Pod pod = MakePod("oom", api::kRestartNever, {"app"});
  ASSERT_TRUE(Sync(pod).Error().ok());
  const std::string id = Latest(pod, "app").id;
  m_.NoteRuntimeEvent(
      cri::ContainerEvent{.type = cri::ContainerEvent::Type::kOomKilled, .container_id = id});
  EXPECT_EQ(Latest(pod, "app").state, container::ContainerState::kRunning)
      << "an OOM kill alone is not an exit";
  m_.NoteRuntimeEvent(cri::ContainerEvent{
      .type = cri::ContainerEvent::Type::kExited, .container_id = id, .exit_code = 137});
  EXPECT_EQ(Latest(pod, "app").reason, "OOMKilled");
  EXPECT_EQ(Latest(pod, "app").exit_code, 137);
}

TEST_F(RuntimeManagerTest, MissingImageFailsOnlyThatPod) {
  api::Pod bad = MakePod("bad", api::kRestartAlways, {"app"});
  bad.spec.containers[0].image = "registry.example/missing:1";
  api::Pod good = MakePod("good", api::kRestartAlways, {"app"});
  const absl::Time pulled_at = clock_.Now();

  PodSyncResult r = Sync(bad);
  auto starts = Results(r, SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kErrImagePull);
  EXPECT_THAT(starts[0].message, HasSubstr("Failed to pull image \"registry.example/missing:1\""));
  EXPECT_FALSE(r.OnlyBackOffErrors());

  EXPECT_TRUE(Started(Sync(good), "app"));
  EXPECT_EQ(Latest(good, "app").state, ContainerState::kRunning);

  // Within the image back-off the pull is not retried.
  starts = Results(Sync(bad), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kImagePullBackOff);
  EXPECT_EQ(cri_.CallCount("PullImage"), 1);
  // The retry is due when the pull back-off (10 s from the failed pull) ends.
  ASSERT_TRUE(starts[0].backoff_expiration.has_value());
  EXPECT_EQ(*starts[0].backoff_expiration, pulled_at + absl::Seconds(10));

  cri_.AddPullableImage("registry.example/missing:1");
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Started(Sync(bad), "app"));
  EXPECT_EQ(Instances(good, "app"), 1);
}

TEST_F(RuntimeManagerTest, PullPolicies) {
  api::Pod never = MakePod("never", api::kRestartAlways, {"app"});
  never.spec.containers[0].image = "absent:1";
  never.spec.containers[0].image_pull_policy = api::kPullNever;
  auto starts = Results(Sync(never), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kErrImageNeverPull);
  EXPECT_EQ(starts[0].message,
            "Container image \"absent:1\" is not present with pull policy of Never");

  // Present + IfNotPresent: no pull.
  api::Pod ifnp = MakePod("ifnp", api::kRestartAlways, {"app"});
  EXPECT_TRUE(Started(Sync(ifnp), "app"));
  EXPECT_EQ(cri_.CallCount("PullImage"), 0);

  // Always pulls even when present.
  api::Pod always = MakePod("always", api::kRestartAlways, {"app"});
  always.spec.containers[0].image_pull_policy = api::kPullAlways;
  cri_.AddPullableImage(kImage);
  EXPECT_TRUE(Started(Sync(always), "app"));
  EXPECT_EQ(cri_.CallCount("PullImage"), 1);
}

TEST_F(RuntimeManagerTest, CreateAndStartErrors) {
  api::Pod pod = MakePod("errs", api::kRestartAlways, {"app"});
  cri_.InjectError("CreateContainer", absl::InternalError("disk full"));
  auto starts = Results(Sync(pod), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kCreateContainerError);
  EXPECT_EQ(starts[0].message, "disk full");

  cri_.InjectError("StartContainer", absl::InternalError("exec format error"));
  starts = Results(Sync(pod), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, container::kRunContainerError);

  // The container left in Created is replaced by a fresh instance.
  EXPECT_TRUE(Started(Sync(pod), "app"));
  container::ContainerStatus latest = Latest(pod, "app");
  EXPECT_EQ(latest.state, ContainerState::kRunning);
  EXPECT_EQ(latest.restart_count, 1);
}

TEST_F(RuntimeManagerTest, SandboxCreationFailure) {
  api::Pod pod = MakePod("sbfail", api::kRestartAlways, {"app"});
  cri_.InjectError("RunPodSandbox", absl::UnavailableError("cni not ready"));
  PodSyncResult r = Sync(pod);
  auto creates = Results(r, SyncResult::Action::kCreatePodSandbox);
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].reason, kCreatePodSandboxError);
  EXPECT_TRUE(Results(r, SyncResult::Action::kStartContainer).empty());
  EXPECT_TRUE(Started(Sync(pod), "app"));
}

TEST_F(RuntimeManagerTest, CancelledSyncDoesNothing) {
  api::Pod pod = MakePod("cancel", api::kRestartAlways, {"app"});
  CancelTokenPtr token = CancelToken::Create();
  token->Cancel();
  PodSyncResult r = m_.SyncPod(pod, *Status(pod), token);
  EXPECT_TRUE(absl::IsCancelled(r.sync_error));
  EXPECT_TRUE(cri_.SandboxIds().empty());
  EXPECT_TRUE(
      absl::IsCancelled(m_.KillPod(&pod, container::Pod{}, std::nullopt, token).sync_error));
}

TEST_F(RuntimeManagerTest, GetPodsGroupsByPod) {
  api::Pod a = MakePod("a", api::kRestartAlways, {"x", "y"});
  api::Pod b = MakePod("b", api::kRestartNever, {"z"});
  ASSERT_TRUE(Sync(a).Error().ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Sync(b).Error().ok());
  ASSERT_TRUE(cri_.ExitContainer(Latest(b, "z").id, 0).ok());

  absl::StatusOr<std::vector<container::Pod>> all = m_.GetPods(true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "uid-b");  // newest first
  EXPECT_EQ((*all)[0].name, "b");
  EXPECT_EQ((*all)[0].containers.size(), 1u);
  EXPECT_EQ((*all)[0].containers[0].state, ContainerState::kExited);
  EXPECT_EQ((*all)[1].id, "uid-a");
  EXPECT_EQ((*all)[1].containers.size(), 2u);
  EXPECT_EQ((*all)[1].sandboxes.size(), 1u);
  EXPECT_EQ((*all)[1].sandboxes[0].state, ContainerState::kRunning);
  for (const container::Container& c : (*all)[1].containers) {
    EXPECT_EQ(c.hash, HashContainer(a.spec.containers[c.name == "x" ? 0 : 1]));
    EXPECT_EQ(c.image, kImage);
  }

  absl::StatusOr<std::vector<container::Pod>> running = m_.GetPods(false);
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->size(), 2u);  // b's sandbox is still ready
  for (const container::Pod& p : *running) {
    EXPECT_EQ(p.containers.size(), p.id == "uid-a" ? 2u : 0u);
  }
  // After b is killed only a is listed.
  ASSERT_TRUE(Sync(b).Error().ok());
  running = m_.GetPods(false);
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].id, "uid-a");
}

// The relist's list hands an unchanged pod back as the same object and
// rebuilds only what changed; its content always equals GetPods(true).
TEST_F(RuntimeManagerTest, ListPodsForRelistRebuildsOnlyChangedPods) {
  api::Pod a = MakePod("a", api::kRestartAlways, {"x", "y"});
  api::Pod b = MakePod("b", api::kRestartNever, {"z"});
  ASSERT_TRUE(Sync(a).Error().ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Sync(b).Error().ok());

  auto by_uid = [](const std::vector<container::PodPtr>& pods) {
    std::map<std::string, container::PodPtr> out;
    for (const container::PodPtr& p : pods) out[p->id] = p;
    return out;
  };
  auto same_as_get_pods = [&](const std::vector<container::PodPtr>& pods) {
    absl::StatusOr<std::vector<container::Pod>> all = m_.GetPods(true);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), pods.size());
    for (size_t i = 0; i < pods.size(); ++i) {
      const container::Pod& want = (*all)[i];
      const container::Pod& got = *pods[i];
      EXPECT_EQ(got.id, want.id);
      EXPECT_EQ(got.name, want.name);
      EXPECT_EQ(got.namespace_, want.namespace_);
      EXPECT_EQ(got.created_at, want.created_at);
      ASSERT_EQ(got.containers.size(), want.containers.size());
      for (size_t j = 0; j < got.containers.size(); ++j) {
        EXPECT_EQ(got.containers[j].id, want.containers[j].id);
        EXPECT_EQ(got.containers[j].name, want.containers[j].name);
        EXPECT_EQ(got.containers[j].state, want.containers[j].state);
        EXPECT_EQ(got.containers[j].hash, want.containers[j].hash);
        EXPECT_EQ(got.containers[j].image, want.containers[j].image);
      }
      ASSERT_EQ(got.sandboxes.size(), want.sandboxes.size());
      for (size_t j = 0; j < got.sandboxes.size(); ++j) {
        EXPECT_EQ(got.sandboxes[j].id, want.sandboxes[j].id);
        EXPECT_EQ(got.sandboxes[j].state, want.sandboxes[j].state);
      }
    }
  };

  absl::StatusOr<std::vector<container::PodPtr>> first = m_.ListPodsForRelist();
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0]->id, "uid-b");  // newest first, as GetPods
  same_as_get_pods(*first);

  // Nothing changed: the very same objects.
  absl::StatusOr<std::vector<container::PodPtr>> second = m_.ListPodsForRelist();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(by_uid(*second)["uid-a"], by_uid(*first)["uid-a"]);
  EXPECT_EQ(by_uid(*second)["uid-b"], by_uid(*first)["uid-b"]);

  // b's container exits: b is rebuilt, a is not.
  ASSERT_TRUE(cri_.ExitContainer(Latest(b, "z").id, 0).ok());
  absl::StatusOr<std::vector<container::PodPtr>> third = m_.ListPodsForRelist();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(by_uid(*third)["uid-a"], by_uid(*first)["uid-a"]);
  EXPECT_NE(by_uid(*third)["uid-b"], by_uid(*first)["uid-b"]);
  EXPECT_EQ(by_uid(*third)["uid-b"]->containers[0].state, ContainerState::kExited);
  same_as_get_pods(*third);

  // A container removed (nothing new, one id fewer): rebuilt without it.
  ASSERT_TRUE(cri_.RemoveContainer(Latest(b, "z").id).ok());
  absl::StatusOr<std::vector<container::PodPtr>> fourth = m_.ListPodsForRelist();
  ASSERT_TRUE(fourth.ok());
  EXPECT_NE(by_uid(*fourth)["uid-b"], by_uid(*third)["uid-b"]);
  EXPECT_TRUE(by_uid(*fourth)["uid-b"]->containers.empty());
  same_as_get_pods(*fourth);

  // b killed and its sandbox removed: gone; a new pod appears.
  ASSERT_TRUE(Sync(b).Error().ok());
  for (const std::string& id : cri_.SandboxIds()) {
    absl::StatusOr<cri::PodSandboxStatus> st = cri_.GetPodSandboxStatus(id);
    if (st.ok() && st->metadata.uid == "uid-b") {
      ASSERT_TRUE(cri_.RemovePodSandbox(id).ok());
    }
  }
  api::Pod c = MakePod("c", api::kRestartAlways, {"w"});
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Sync(c).Error().ok());
  absl::StatusOr<std::vector<container::PodPtr>> fifth = m_.ListPodsForRelist();
  ASSERT_TRUE(fifth.ok());
  std::map<std::string, container::PodPtr> pods = by_uid(*fifth);
  EXPECT_FALSE(pods.contains("uid-b"));
  ASSERT_TRUE(pods.contains("uid-c"));
  EXPECT_EQ(pods["uid-a"], by_uid(*first)["uid-a"]);
  same_as_get_pods(*fifth);

  cri_.SetDown(true);
  EXPECT_FALSE(m_.ListPodsForRelist().ok());
}

// Once a relist has gone through, a pod is read by the ids the manager knows
// (PodSandboxStatus/ContainerStatus) instead of label-filtered lists, which
// containerd serves by converting every container it holds.
TEST_F(RuntimeManagerTest, AfterARelistAPodIsReadByIdNotByList) {
  api::Pod pod = MakePod("byid", api::kRestartAlways, {"app"});
  ASSERT_TRUE(Started(Sync(pod), "app"));
  container::PodStatusPtr listed = Status(pod);  // no relist yet: filtered lists
  ASSERT_TRUE(m_.ListPodsForRelist().ok());
  const int sandbox_lists = cri_.CallCount("ListPodSandbox");
  const int container_lists = cri_.CallCount("ListContainers");

  container::PodStatusPtr by_id = Status(pod);
  ASSERT_EQ(by_id->sandbox_statuses.size(), 1u);
  EXPECT_EQ(by_id->sandbox_statuses[0].id, listed->sandbox_statuses[0].id);
  EXPECT_EQ(by_id->ips, listed->ips);
  ASSERT_EQ(by_id->container_statuses.size(), 1u);
  EXPECT_EQ(by_id->container_statuses[0].id, listed->container_statuses[0].id);
  EXPECT_EQ(by_id->container_statuses[0].state, ContainerState::kRunning);

  // A container this manager creates is known at once, with no relist.
  api::Pod two = pod;
  two.spec.containers.push_back(Spec("side"));
  ASSERT_TRUE(Started(Sync(two), "side"));
  EXPECT_EQ(Status(two)->container_statuses.size(), 2u);

  // One removed behind the manager's back reads as gone, without an error.
  const std::string side = Latest(two, "side").id;
  ASSERT_TRUE(cri_.StopContainer(side, 0).ok());
  ASSERT_TRUE(cri_.RemoveContainer(side).ok());
  EXPECT_EQ(Instances(two, "side"), 0);
  EXPECT_EQ(Instances(two, "app"), 1);

  EXPECT_EQ(cri_.CallCount("ListPodSandbox"), sandbox_lists);
  EXPECT_EQ(cri_.CallCount("ListContainers"), container_lists);
}

// What the manager did not create itself (an earlier run of the agent, a
// tool) is known from the next relist on.
TEST_F(RuntimeManagerTest, ContainersItDidNotCreateAreKnownFromTheNextRelist) {
  api::Pod pod = MakePod("other", api::kRestartAlways, {"app"});
  ASSERT_TRUE(m_.ListPodsForRelist().ok());
  RuntimeManager earlier(&cri_, &cri_, &clock_,
                         RuntimeManager::Options{.manage_host_state = false});
  ASSERT_TRUE(Started(earlier.SyncPod(pod, container::PodStatus{}, nullptr), "app"));
  EXPECT_EQ(Instances(pod, "app"), 0);  // unknown to m_ until it relists
  ASSERT_TRUE(m_.ListPodsForRelist().ok());
  EXPECT_EQ(Instances(pod, "app"), 1);
  EXPECT_EQ(Status(pod)->sandbox_statuses.size(), 1u);
}

TEST_F(RuntimeManagerTest, GetPodStatusNewestFirst) {
  api::Pod pod = MakePod("st", api::kRestartAlways, {"app"});
  cri_.SetExitOnStart("app", 3, "OOMKilled");
  ASSERT_TRUE(Sync(pod).Error().ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Started(Sync(pod), "app"));
  container::PodStatusPtr s = Status(pod);
  EXPECT_EQ(s->id, "uid-st");
  EXPECT_EQ(s->name, "st");
  EXPECT_EQ(s->namespace_, "default");
  ASSERT_EQ(s->container_statuses.size(), 2u);
  EXPECT_EQ(s->container_statuses[0].restart_count, 1);
  EXPECT_EQ(s->container_statuses[1].restart_count, 0);
  const container::ContainerStatus& cs = s->container_statuses[0];
  EXPECT_EQ(cs.state, ContainerState::kExited);
  EXPECT_EQ(cs.exit_code, 3);
  EXPECT_EQ(cs.reason, "OOMKilled");
  EXPECT_EQ(cs.finished_at, clock_.Now());
  EXPECT_EQ(cs.image, kImage);
  EXPECT_THAT(cs.image_id, HasSubstr("sha256:"));
  ASSERT_EQ(s->ips.size(), 1u);
  EXPECT_EQ(s->ips[0], s->sandbox_statuses[0].ip);

  cri_.SetDown(true);
  EXPECT_FALSE(m_.GetPodStatus("uid-st", "st", "default").ok());
  EXPECT_FALSE(m_.GetPods(true).ok());
}

TEST_F(RuntimeManagerTest, PodNetworkSandboxWaitsForNetworkReady) {
  cri_.SetNetworkReady(false);
  api::Pod pod = MakePod("net", api::kRestartAlways, {"app"});
  PodSyncResult r = Sync(pod);
  EXPECT_EQ(r.sync_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(container::IsNetworkNotReady(r.sync_error)) << r.sync_error;
  EXPECT_TRUE(absl::StartsWith(r.sync_error.message(), container::kNetworkNotReadyErrorMsg))
      << r.sync_error;
  EXPECT_TRUE(cri_.SandboxIds().empty()) << "no sandbox is created, so none is left behind";

  api::Pod host = MakePod("host", api::kRestartAlways, {"app"});
  host.spec.host_network = true;
  EXPECT_TRUE(Sync(host).Error().ok()) << "host-network pods need no pod network";

  cri_.SetNetworkReady(true);
  EXPECT_TRUE(Sync(pod).Error().ok());
  EXPECT_EQ(cri_.RunningContainerCount(), 2u);
}

TEST_F(RuntimeManagerTest, HostPathAndEmptyDirVolumesAreMounted) {
  api::Pod pod = MakePod("vols", api::kRestartAlways, {"app"});
  api::Volume host;
  host.name = "data";
  host.host_path = api::HostPathVolumeSource{.path = "/srv/data", .type = ""};
  api::Volume scratch;
  scratch.name = "scratch";
  scratch.empty_dir = api::EmptyDirVolumeSource{};
  pod.spec.volumes = {host, scratch};
  pod.spec.containers[0].volume_mounts = {
      api::VolumeMount{.name = "data", .mount_path = "/data", .read_only = true, .sub_path = "in"},
      api::VolumeMount{.name = "scratch", .mount_path = "/scratch"}};
  ASSERT_TRUE(Sync(pod).Error().ok());
  auto config = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->mounts.size(), 2u);
  EXPECT_EQ(config->mounts[0].container_path, "/data");
  EXPECT_EQ(config->mounts[0].host_path, "/srv/data/in");
  EXPECT_TRUE(config->mounts[0].readonly);
  EXPECT_EQ(config->mounts[1].host_path, "/var/lib/cubelet/pods/" + pod.metadata.uid +
                                             "/volumes/kubernetes.io~empty-dir/scratch");
  EXPECT_FALSE(config->mounts[1].readonly);
}

// seLinuxOptions go to the runtime as the kubelet sends them: the pod's to
// the sandbox, the container's (or else the pod's) to each container.
TEST_F(RuntimeManagerTest, SELinuxOptionsGoToTheSandboxAndTheContainers) {
  api::Pod pod = MakePod("selinux", api::kRestartAlways, {"app", "own"});
  pod.spec.security_context = api::PodSecurityContext{};
  pod.spec.security_context->se_linux_options = api::SELinuxOptions{.level = "s0:c0,c1"};
  pod.spec.containers[1].security_context =
      api::SecurityContext{.se_linux_options = api::SELinuxOptions{.type = "spc_t"}};
  ASSERT_TRUE(Sync(pod).Error().ok());
  ASSERT_EQ(cri_.SandboxIds().size(), 1u);
  auto sandbox = cri_.GetPodSandboxConfig(cri_.SandboxIds()[0]);
  ASSERT_TRUE(sandbox.ok());
  EXPECT_EQ(sandbox->selinux_options, cri::SELinuxOption{.level = "s0:c0,c1"});
  auto app = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->security_context.selinux_options, cri::SELinuxOption{.level = "s0:c0,c1"});
  auto own = cri_.GetContainerConfig(Latest(pod, "own").id);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->security_context.selinux_options, cri::SELinuxOption{.type = "spc_t"});
}

// recursiveReadOnly with a runtime that cannot do it (containerd 1.6 reports
// no support): IfPossible is a plain read-only mount, Enabled fails the
// start with the kubelet's message.
TEST_F(RuntimeManagerTest, RecursiveReadOnlyResolvesAgainstARuntimeWithoutIt) {
  api::Pod pod = MakePod("rro", api::kRestartNever, {"app"});
  pod.spec.volumes = {api::Volume{.name = "mnt", .empty_dir = api::EmptyDirVolumeSource{}}};
  pod.spec.containers[0].volume_mounts = {api::VolumeMount{
      .name = "mnt", .mount_path = "/mnt", .read_only = true, .recursive_read_only = "IfPossible"}};
  ASSERT_TRUE(Sync(pod).Error().ok());
  auto config = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->mounts.size(), 1u);
  EXPECT_TRUE(config->mounts[0].readonly);

  api::Pod enabled = MakePod("rro-enabled", api::kRestartNever, {"app"});
  enabled.spec.volumes = pod.spec.volumes;
  enabled.spec.containers[0].volume_mounts = {api::VolumeMount{
      .name = "mnt", .mount_path = "/mnt", .read_only = true, .recursive_read_only = "Enabled"}};
  auto starts = Results(Sync(enabled), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, kCreateContainerConfigError);
  EXPECT_EQ(starts[0].message,
            "failed to resolve recursive read-only mode: volume \"mnt\" requested recursive "
            "read-only mode, but it is not supported by the runtime");
}

TEST_F(RuntimeManagerTest, SecurityContextMapsToTheRuntime) {
  api::Pod pod = MakePod("sec", api::kRestartAlways, {"app", "plain", "priv"});
  pod.spec.containers[0].security_context = api::SecurityContext{
      .run_as_user = 1000,
      .run_as_group = 2000,
      .read_only_root_filesystem = true,
      .allow_privilege_escalation = false,
      .capabilities = api::Capabilities{.add = {"NET_ADMIN"}, .drop = {"ALL"}}};
  pod.spec.containers[2].security_context =
      api::SecurityContext{.privileged = true, .allow_privilege_escalation = true};
  ASSERT_TRUE(Sync(pod).Error().ok());

  auto app = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(app.ok());
  const cri::LinuxContainerSecurityContext& sc = app->security_context;
  EXPECT_EQ(sc.run_as_user, 1000);
  EXPECT_EQ(sc.run_as_group, 2000);
  EXPECT_TRUE(sc.readonly_rootfs);
  EXPECT_TRUE(sc.no_new_privs);
  EXPECT_FALSE(sc.privileged);
  EXPECT_THAT(sc.capabilities.add_capabilities, ::testing::ElementsAre("NET_ADMIN"));
  EXPECT_THAT(sc.capabilities.drop_capabilities, ::testing::ElementsAre("ALL"));

  // No securityContext: the image's user, escalation allowed, nothing added.
  auto plain = cri_.GetContainerConfig(Latest(pod, "plain").id);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->security_context.run_as_user.has_value());
  EXPECT_FALSE(plain->security_context.no_new_privs);
  EXPECT_FALSE(plain->security_context.readonly_rootfs);
  EXPECT_TRUE(plain->security_context.capabilities.add_capabilities.empty());
  // procMount Default: /proc's sensitive files masked or read-only, as the
  // kubelet asks the runtime (DefaultProcMount conformance spec).
  EXPECT_THAT(plain->security_context.masked_paths,
              ::testing::IsSupersetOf({"/proc/kcore", "/proc/keys", "/sys/firmware"}));
  EXPECT_THAT(plain->security_context.readonly_paths,
              ::testing::ElementsAre("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                     "/proc/sysrq-trigger"));

  auto priv = cri_.GetContainerConfig(Latest(pod, "priv").id);
  ASSERT_TRUE(priv.ok());
  EXPECT_TRUE(priv->security_context.privileged);
  EXPECT_FALSE(priv->security_context.no_new_privs);
  // containerd refuses a privileged container in an unprivileged sandbox.
  ASSERT_EQ(cri_.SandboxIds().size(), 1u);
  auto sandbox = cri_.GetPodSandboxConfig(cri_.SandboxIds()[0]);
  ASSERT_TRUE(sandbox.ok());
  EXPECT_TRUE(sandbox->privileged);
  EXPECT_FALSE(m_.GeneratePodSandboxConfig(MakePod("p", api::kRestartAlways, {"a"}), 0).privileged);
}

// kuberuntime_sandbox.go generatePodSandboxLinuxConfig and
// determineEffectiveSecurityContext: host namespaces, the pod's own process
// namespace per container unless shared, sysctls, fsGroup and supplemental
// groups, pod-level runAs* under the container's own, seccomp.
TEST_F(RuntimeManagerTest, PodSecurityContextAndNamespacesReachTheRuntime) {
  api::Pod pod = MakePod("podsec", api::kRestartAlways, {"app", "own"});
  pod.spec.security_context = api::PodSecurityContext{
      .run_as_user = 1000,
      .run_as_group = 3000,
      .supplemental_groups = {4000},
      .fs_group = 2000,
      .seccomp_profile = api::SeccompProfile{.type = "RuntimeDefault"},
      .app_armor_profile = api::AppArmorProfile{.type = "RuntimeDefault"},
      .sysctls = {{.name = "net.ipv4.ip_unprivileged_port_start", .value = "0"}}};
  pod.spec.host_ipc = true;
  pod.spec.containers[1].security_context = api::SecurityContext{
      .run_as_user = 5000,
      .seccomp_profile = api::SeccompProfile{.type = "Localhost", .localhost_profile = "p.json"},
      .app_armor_profile = api::AppArmorProfile{.type = "Localhost", .localhost_profile = "web"}};
  ASSERT_TRUE(Sync(pod).Error().ok());

  ASSERT_EQ(cri_.SandboxIds().size(), 1u);
  auto sandbox = cri_.GetPodSandboxConfig(cri_.SandboxIds()[0]);
  ASSERT_TRUE(sandbox.ok());
  EXPECT_EQ(sandbox->ipc_mode, cri::NamespaceMode::kNode);
  EXPECT_EQ(sandbox->pid_mode, cri::NamespaceMode::kContainer);
  EXPECT_EQ(sandbox->network_mode, cri::NamespaceMode::kPod);
  EXPECT_EQ(sandbox->sysctls.at("net.ipv4.ip_unprivileged_port_start"), "0");
  EXPECT_EQ(sandbox->run_as_user, 1000);
  EXPECT_THAT(sandbox->supplemental_groups, ::testing::ElementsAre(2000, 4000));
  ASSERT_TRUE(sandbox->seccomp.has_value());
  EXPECT_EQ(sandbox->seccomp->type, cri::SecurityProfile::Type::kRuntimeDefault);

  auto app = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->security_context.run_as_user, 1000) << "from the pod";
  EXPECT_EQ(app->security_context.run_as_group, 3000);
  EXPECT_THAT(app->security_context.supplemental_groups, ::testing::ElementsAre(2000, 4000));
  EXPECT_EQ(app->security_context.namespaces.pid, cri::NamespaceMode::kContainer)
      << "each container has its own process namespace, as in v1";
  EXPECT_EQ(app->security_context.namespaces.ipc, cri::NamespaceMode::kNode);
  EXPECT_EQ(app->security_context.seccomp->type, cri::SecurityProfile::Type::kRuntimeDefault);
  ASSERT_TRUE(app->security_context.apparmor.has_value()) << "the pod's AppArmor profile";
  EXPECT_EQ(app->security_context.apparmor->type, cri::SecurityProfile::Type::kRuntimeDefault);
  EXPECT_EQ(app->security_context.apparmor_profile, "runtime/default");

  auto own = cri_.GetContainerConfig(Latest(pod, "own").id);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->security_context.run_as_user, 5000) << "the container's own wins";
  EXPECT_EQ(own->security_context.run_as_group, 3000);
  EXPECT_EQ(own->security_context.seccomp->type, cri::SecurityProfile::Type::kLocalhost);
  EXPECT_THAT(own->security_context.seccomp->localhost_ref, ::testing::EndsWith("/seccomp/p.json"));
  EXPECT_EQ(own->security_context.apparmor->localhost_ref, "web") << "a profile name, not a path";
  EXPECT_EQ(own->security_context.apparmor_profile, "localhost/web");

  // Without a profile anywhere: Unconfined, the kubelet's default.
  api::Pod plain = MakePod("plainsec", api::kRestartAlways, {"app"});
  plain.spec.share_process_namespace = true;
  ASSERT_TRUE(Sync(plain).Error().ok());
  auto plain_app = cri_.GetContainerConfig(Latest(plain, "app").id);
  ASSERT_TRUE(plain_app.ok());
  EXPECT_EQ(plain_app->security_context.seccomp->type, cri::SecurityProfile::Type::kUnconfined);
  EXPECT_FALSE(plain_app->security_context.apparmor.has_value()) << "the runtime's default";
  EXPECT_EQ(plain_app->security_context.namespaces.pid, cri::NamespaceMode::kPod);
  api::Pod host_pid = MakePod("hostpid", api::kRestartAlways, {"app"});
  host_pid.spec.host_pid = true;
  EXPECT_EQ(m_.GeneratePodSandboxConfig(host_pid, 0).pid_mode, cri::NamespaceMode::kNode);
}

TEST_F(RuntimeManagerTest, RuntimeClassNameSelectsTheRuntimeHandler) {
  api::Pod pod = MakePod("rc", api::kRestartAlways, {"app"});
  pod.spec.runtime_class_name = "kata";
  ASSERT_TRUE(Sync(pod).Error().ok());
  auto sandboxes = cri_.ListPodSandbox(std::nullopt);
  ASSERT_TRUE(sandboxes.ok());
  ASSERT_EQ(sandboxes->size(), 1u);
  EXPECT_EQ((*sandboxes)[0].runtime_handler, "kata");
}

TEST_F(RuntimeManagerTest, RunAsNonRootIsVerified) {
  auto start_error = [&](const std::string& name, api::SecurityContext sc) -> std::string {
    api::Pod pod = MakePod(name, api::kRestartAlways, {"app"});
    pod.spec.containers[0].security_context = sc;
    auto starts = Results(Sync(pod), SyncResult::Action::kStartContainer, "app");
    if (starts.size() != 1) return "no start";
    if (starts[0].error.ok()) return "";
    EXPECT_EQ(starts[0].reason, kCreateContainerConfigError);
    return starts[0].message;
  };
  EXPECT_EQ(start_error("uid0", {.run_as_user = 0, .run_as_non_root = true}),
            "container's runAsUser breaks non-root policy (pod: \"uid0_default(uid-uid0)\", "
            "container: app)");
  EXPECT_EQ(start_error("uid1000", {.run_as_user = 1000, .run_as_non_root = true}), "");
  EXPECT_EQ(start_error("rootallowed", {.run_as_user = 0, .run_as_non_root = false}), "");
  // No runAsUser: the image's USER decides; none means root.
  EXPECT_EQ(start_error("imageroot", {.run_as_non_root = true}),
            "container has runAsNonRoot and image will run as root (pod: "
            "\"imageroot_default(uid-imageroot)\", container: app)");
  cri_.SetImageUser(kImage, std::nullopt, "nobody");
  EXPECT_THAT(start_error("named", {.run_as_non_root = true}),
              HasSubstr("image has non-numeric user (nobody), cannot verify user is non-root"));
  cri_.SetImageUser(kImage, 65534);
  EXPECT_EQ(start_error("imageuser", {.run_as_non_root = true}), "");
}

// Made first, so the temp dir exists before the manager given its paths.
struct HostStateDirs {
  test_support::ScopedTempDir tmp_{"cubelet-runtime-manager"};
  events::testing::FakeRecorder recorder_;
};

// A manager that keeps host state in temp dirs: termination-message files,
// emptyDirs, pod log directories.
class HostStateTest : private HostStateDirs, public RuntimeManagerTest {
 protected:
  HostStateTest()
      : RuntimeManagerTest(RuntimeManager::Options{.pod_logs_dir = tmp_.File("logs"),
                                                   .container_logs_dir = tmp_.File("containers"),
                                                   .root_dir = tmp_.File("root"),
                                                   .cgroup_root = "/cubelet-unit-test-none",
                                                   .manage_host_state = true,
                                                   .recorder = &recorder_}) {}

  // The host file mounted at the container's termination-message path.
  std::string TerminationFile(const std::string& id) {
    absl::StatusOr<cri::ContainerConfig> config = cri_.GetContainerConfig(id);
    EXPECT_TRUE(config.ok());
    if (!config.ok()) return "";
    for (const cri::Mount& m : config->mounts) {
      if (m.container_path == "/dev/termination-log") return m.host_path;
    }
    return "";
  }

  using HostStateDirs::recorder_;
  using HostStateDirs::tmp_;
};

// upstream startContainer's legacy log symlink, and removeContainerLog.
TEST_F(HostStateTest, LegacyLogSymlinkLivesAsLongAsTheContainer) {
  api::Pod pod = MakePod("logs", api::kRestartAlways, {"app"});
  // containerd makes the log file when it creates the container; the
  // in-memory runtime does not, so the test does.
  const std::string log = tmp_.File("logs/default_logs_uid-logs/app/0.log");
  std::filesystem::create_directories(std::filesystem::path(log).parent_path());
  std::ofstream(log) << "hello\n";
  ASSERT_TRUE(Sync(pod).Error().ok());
  const std::string id = Latest(pod, "app").id;
  const std::string link = tmp_.File("containers/logs_default_app-" + id + ".log");
  ASSERT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link).string(), log);

  container::Pod running = RunningPod(pod);
  ASSERT_TRUE(m_.KillPod(&pod, running, 0, nullptr).Error().ok());
  ASSERT_TRUE(m_.RemovePod(running).ok());
  EXPECT_FALSE(std::filesystem::is_symlink(link)) << "removed with the pod";
}

TEST_F(HostStateTest, TerminationMessageFileBecomesTheTerminatedMessage) {
  api::Pod pod = MakePod("term", api::kRestartNever, {"app"});
  ASSERT_TRUE(Sync(pod).Error().ok());
  container::PodStatusPtr running = Status(pod);
  const container::ContainerStatus* cs = running->FindContainerStatusByName("app");
  ASSERT_NE(cs, nullptr);
  const std::string file = TerminationFile(cs->id);
  ASSERT_FALSE(file.empty()) << "termination-log mount missing";
  EXPECT_TRUE(absl::StartsWith(file, tmp_.File("root/pods/uid-term/containers/app/")));
  {
    std::ofstream out(file);
    out << "bye";
  }
  ASSERT_TRUE(cri_.ExitContainer(cs->id, 1).ok());
  container::ContainerStatus exited = Latest(pod, "app");
  EXPECT_EQ(exited.exit_code, 1);
  EXPECT_EQ(exited.message, "bye");
}

TEST_F(HostStateTest, FallbackToLogsOnErrorUsesTheLogTail) {
  api::Pod pod = MakePod("fallback", api::kRestartNever, {"app"});
  pod.spec.containers[0].termination_message_policy = "FallbackToLogsOnError";
  ASSERT_TRUE(Sync(pod).Error().ok());
  const std::string id = Latest(pod, "app").id;
  absl::StatusOr<cri::ContainerStatus> s = cri_.GetContainerStatus(id);
  ASSERT_TRUE(s.ok());
  {
    std::ofstream out(s->log_path);
    out << "2024-01-02T03:04:05Z stderr F panic: out of cheese\n";
  }
  ASSERT_TRUE(cri_.ExitContainer(id, 2).ok());
  EXPECT_EQ(Latest(pod, "app").message, "panic: out of cheese\n");
}

TEST_F(HostStateTest, HostPathTypeFailureFailsTheStartNamingVolumeAndPath) {
  api::Pod pod = MakePod("hostpath", api::kRestartAlways, {"app"});
  const std::string missing = tmp_.File("missing");
  pod.spec.volumes = {
      api::Volume{.name = "data",
                  .host_path = api::HostPathVolumeSource{.path = missing, .type = "Directory"}}};
  pod.spec.containers[0].volume_mounts = {api::VolumeMount{.name = "data", .mount_path = "/d"}};
  PodSyncResult r = Sync(pod);
  auto starts = Results(r, SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, kCreateContainerConfigError);
  EXPECT_EQ(starts[0].message,
            "MountVolume.SetUp failed for volume \"data\" : path " + missing + " does not exist");
  EXPECT_EQ(cri_.RunningContainerCount(), 0u);
  // A pod-level Warning, as the kubelet's syncPod records it.
  std::vector<events::testing::FakeRecorder::Recorded> recorded = recorder_.RecordedEvents();
  ASSERT_FALSE(recorded.empty());
  EXPECT_EQ(recorded.back().object.field_path, "");
  EXPECT_THAT(recorder_.Events(),
              ::testing::Contains("Warning FailedMount Unable to attach or mount volumes: "
                                  "MountVolume.SetUp failed for volume \"data\" : path " +
                                  missing + " does not exist"));

  std::filesystem::create_directories(missing);
  EXPECT_TRUE(Started(Sync(pod), "app"));
}

TEST_F(HostStateTest, EmptyDirIsCreatedBeforeTheFirstContainer) {
  api::Pod pod = MakePod("scratch", api::kRestartAlways, {"app"});
  pod.spec.volumes = {api::Volume{.name = "s", .empty_dir = api::EmptyDirVolumeSource{}}};
  pod.spec.containers[0].volume_mounts = {api::VolumeMount{.name = "s", .mount_path = "/s"}};
  ASSERT_TRUE(Sync(pod).Error().ok());
  EXPECT_TRUE(std::filesystem::is_directory(m_.EmptyDirPath(pod, "s")));
  EXPECT_EQ(m_.EmptyDirPath(pod, "s"),
            tmp_.File("root/pods/uid-scratch/volumes/kubernetes.io~empty-dir/s"));
}

// EnvFiles: an init container writes KEY='value' lines into an emptyDir; the
// next container's fileKeyRef env is read from there when it is created.
TEST_F(HostStateTest, FileKeyRefEnvIsReadFromTheEmptyDirAtCreation) {
  api::Pod pod = MakePod("envfile", api::kRestartNever, {"app"});
  pod.spec.volumes = {api::Volume{.name = "config", .empty_dir = api::EmptyDirVolumeSource{}}};
  auto ref = [](const std::string& key, bool optional) {
    api::FileKeySelector sel{.volume_name = "config", .path = "config.env", .key = key};
    if (optional) sel.optional = true;
    return api::EnvVar{.name = key, .value_from = api::EnvVarSource{.file_key_ref = sel}};
  };
  pod.spec.containers[0].env = {ref("CONFIG_1", false), ref("MAYBE", true)};

  // No file yet: the start fails with the kubelet's message, and is retried.
  PodSyncResult r = Sync(pod);
  auto starts = Results(r, SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].reason, kCreateContainerConfigError);
  EXPECT_EQ(starts[0].message, "couldn't parse env file");

  {
    std::ofstream out(m_.EmptyDirPath(pod, "config") + "/config.env");
    out << "CONFIG_1='value1'\n";
  }
  ASSERT_TRUE(Started(Sync(pod), "app"));
  absl::StatusOr<cri::ContainerConfig> cc = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(cc.ok());
  std::vector<std::string> envs;
  for (const cri::KeyValue& kv : cc->envs) envs.push_back(kv.key + "=" + kv.value);
  EXPECT_EQ(envs, (std::vector<std::string>{"CONFIG_1=value1"})) << "MAYBE is optional";

  // A required key the file lacks.
  api::Pod other = MakePod("envfile2", api::kRestartNever, {"app"});
  other.spec.volumes = pod.spec.volumes;
  other.spec.containers[0].env = {ref("ABSENT", false)};
  Sync(other);  // prepares the emptyDir; the start fails (no file yet)
  {
    std::ofstream out(m_.EmptyDirPath(other, "config") + "/config.env");
    out << "CONFIG_1='value1'\n";
  }
  starts = Results(Sync(other), SyncResult::Action::kStartContainer, "app");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].message, "environment variable key \"ABSENT\" not found in file \"" +
                                   m_.EmptyDirPath(other, "config") + "/config.env\"");
}

// Volumes are the kubelet's: an injected RuntimeHelper decides the pod's
// paths, prepares its volumes before a start and tears them down in
// RemovePod; the manager keeps no VolumeManager of its own.
class RecordingRuntimeHelper final : public RuntimeHelper {
 public:
  explicit RecordingRuntimeHelper(const std::string& root)
      : volumes_(root, volume::SystemMounter()), helper_(&volumes_) {}

  std::string PodDir(const std::string& uid) const override { return helper_.PodDir(uid); }
  std::string EmptyDirPath(const std::string& uid, const std::string& name) const override {
    return helper_.EmptyDirPath(uid, name);
  }
  std::string PluginVolumePath(const std::string& uid, std::string_view plugin_dir,
                               const std::string& name) const override {
    return helper_.PluginVolumePath(uid, plugin_dir, name);
  }
  absl::Status PrepareVolumes(const api::Pod& pod, const api::NodeAllocatable& node) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back("prepare " + pod.metadata.uid);
    }
    return helper_.PrepareVolumes(pod, node);
  }
  absl::Status TearDownVolumes(const std::string& uid) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back("teardown " + uid);
    }
    return helper_.TearDownVolumes(uid);
  }
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  volume::VolumeManager volumes_;
  VolumeRuntimeHelper helper_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

struct HelperDirs {
  test_support::ScopedTempDir tmp_{"cubelet-runtime-helper"};
  RecordingRuntimeHelper helper_{tmp_.File("kubelet-root")};
};

class RuntimeHelperTest : private HelperDirs, public RuntimeManagerTest {
 protected:
  RuntimeHelperTest()
      : RuntimeManagerTest(RuntimeManager::Options{.pod_logs_dir = tmp_.File("logs"),
                                                   .root_dir = tmp_.File("manager-root"),
                                                   .cgroup_root = "/cubelet-unit-test-none",
                                                   .manage_host_state = true,
                                                   .runtime_helper = &helper_}) {}
  using HelperDirs::helper_;
  using HelperDirs::tmp_;
};

TEST_F(RuntimeHelperTest, VolumesGoThroughTheInjectedHelper) {
  api::Pod pod = MakePod("helped", api::kRestartAlways, {"app"});
  pod.spec.volumes = {api::Volume{.name = "s", .empty_dir = api::EmptyDirVolumeSource{}}};
  pod.spec.containers[0].volume_mounts = {api::VolumeMount{.name = "s", .mount_path = "/s"}};
  ASSERT_TRUE(Sync(pod).Error().ok());
  EXPECT_EQ(helper_.calls(), (std::vector<std::string>{"prepare uid-helped"}));
  const std::string empty_dir =
      tmp_.File("kubelet-root/pods/uid-helped/volumes/kubernetes.io~empty-dir/s");
  EXPECT_EQ(m_.EmptyDirPath(pod, "s"), empty_dir);
  EXPECT_TRUE(std::filesystem::is_directory(empty_dir));
  auto config = cri_.GetContainerConfig(Latest(pod, "app").id);
  ASSERT_TRUE(config.ok());
  bool mounted = false;
  for (const cri::Mount& m : config->mounts) mounted |= m.host_path == empty_dir;
  EXPECT_TRUE(mounted) << "the container mounts the helper's path";
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("manager-root/pods")))
      << "the manager keeps no volumes of its own";

  container::Pod running = RunningPod(pod);
  ASSERT_TRUE(m_.KillPod(&pod, running, std::nullopt, nullptr).Error().ok());
  ASSERT_TRUE(m_.RemovePod(running).ok());
  EXPECT_EQ(helper_.calls(),
            (std::vector<std::string>{"prepare uid-helped", "teardown uid-helped"}));
}

}  // namespace
}  // namespace cubelet::kuberuntime
