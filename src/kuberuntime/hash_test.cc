#include "kuberuntime/hash.h"

#include "gtest/gtest.h"

namespace cubelet::kuberuntime {
namespace {

api::Container FixedContainer() {
  api::Container c;
  c.name = "web";
  c.image = "nginx:1.25";
  c.command = {"nginx"};
  c.args = {"-g", "daemon off;"};
  c.working_dir = "/srv";
  c.ports = {{.name = "http", .container_port = 80, .protocol = "TCP"}};
  c.env = {
      {.name = "MODE", .value = "prod"},
      {.name = "POD",
       .value_from = api::EnvVarSource{.field_ref = api::ObjectFieldSelector{
                                           .api_version = "v1", .field_path = "metadata.name"}}}};
  c.volume_mounts = {{.name = "data", .mount_path = "/data", .read_only = true}};
  c.termination_message_path = "/dev/termination-log";
  c.termination_message_policy = "File";
  c.image_pull_policy = "IfNotPresent";
  return c;
}

// Pinned: a change here restarts every container on agent upgrade. Only
// update it together with kContainerHashVersion.
TEST(HashTest, PinnedValue) {
  EXPECT_EQ(kContainerHashVersion, 1u);
  EXPECT_EQ(HashToString(HashContainer(FixedContainer())), "b650f4ebcccc6b5");
}

TEST(HashTest, Deterministic) {
  EXPECT_EQ(HashContainer(FixedContainer()), HashContainer(FixedContainer()));
}

TEST(HashTest, RestartRelevantFieldsChangeTheHash) {
  const uint64_t base = HashContainer(FixedContainer());
  auto changed = [&](auto mutate) {
    api::Container c = FixedContainer();
    mutate(c);
    return HashContainer(c) != base;
  };
  EXPECT_TRUE(changed([](api::Container& c) { c.image = "nginx:1.26"; }));
  EXPECT_TRUE(changed([](api::Container& c) { c.command.push_back("-x"); }));
  EXPECT_TRUE(changed([](api::Container& c) { c.args.clear(); }));
  EXPECT_TRUE(changed([](api::Container& c) { c.working_dir = "/"; }));
  EXPECT_TRUE(changed([](api::Container& c) { c.ports[0].container_port = 81; }));
  EXPECT_TRUE(changed([](api::Container& c) { c.env[0].value = "dev"; }));
  EXPECT_TRUE(changed([](api::Container& c) { c.volume_mounts[0].read_only = false; }));
  EXPECT_TRUE(changed([](api::Container& c) { c.security_context = api::SecurityContext{}; }));
  EXPECT_TRUE(changed([](api::Container& c) { c.tty = true; }));
  // Moving content between neighbouring fields must not collide.
  EXPECT_TRUE(changed([](api::Container& c) {
    c.command = {"nginx", "-g"};
    c.args = {"daemon off;"};
  }));
}

TEST(HashTest, ResizeProbeAndHookChangesKeepTheHash) {
  const uint64_t base = HashContainer(FixedContainer());
  api::Container c = FixedContainer();
  c.resources.limits["cpu"] = "500m";
  c.readiness_probe = api::Probe{};
  c.liveness_probe = api::Probe{};
  c.lifecycle = api::Lifecycle{.pre_stop = api::LifecycleHandler{}};
  c.image_pull_policy = "Always";
  EXPECT_EQ(HashContainer(c), base);
}

TEST(HashTest, StringRoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{0xabc}, ~uint64_t{0}}) {
    EXPECT_EQ(ParseHash(HashToString(v)), v);
  }
  EXPECT_EQ(HashToString(0xdeadbeef), "deadbeef");
  EXPECT_FALSE(ParseHash("").has_value());
  EXPECT_FALSE(ParseHash("xyz").has_value());
  EXPECT_FALSE(ParseHash("12345678901234567").has_value());
}

}  // namespace
}  // namespace cubelet::kuberuntime
