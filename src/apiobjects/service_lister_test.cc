#include "apiobjects/service_lister.h"

#include "apiobjects/service_store.h"
#include "client/testing/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet::apiobjects {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(ServiceEnvVarsTest, TheKubeletsVariablesForItsNamespaceAndTheMasterService) {
  std::vector<Service> services = {
      {.namespace_ = "default",
       .name = "kubernetes",
       .cluster_ip = "10.0.0.1",
       .ports = {{.name = "https", .port = 443, .protocol = "TCP"}}},
      {.namespace_ = "ns",
       .name = "fooservice",
       .cluster_ip = "10.0.0.7",
       .ports = {{.port = 8765}}},
      {.namespace_ = "ns", .name = "headless", .cluster_ip = "None", .ports = {{.port = 80}}},
      {.namespace_ = "other",
       .name = "elsewhere",
       .cluster_ip = "10.0.0.9",
       .ports = {{.port = 1}}},
  };
  std::map<std::string, std::string> vars = ServiceEnvVars(services, "ns", true);
  EXPECT_THAT(vars, UnorderedElementsAre(Pair("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
                                         Pair("KUBERNETES_SERVICE_PORT", "443"),
                                         Pair("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
                                         Pair("KUBERNETES_PORT", "tcp://10.0.0.1:443"),
                                         Pair("KUBERNETES_PORT_443_TCP", "tcp://10.0.0.1:443"),
                                         Pair("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
                                         Pair("KUBERNETES_PORT_443_TCP_PORT", "443"),
                                         Pair("KUBERNETES_PORT_443_TCP_ADDR", "10.0.0.1"),
                                         Pair("FOOSERVICE_SERVICE_HOST", "10.0.0.7"),
                                         Pair("FOOSERVICE_SERVICE_PORT", "8765"),
                                         Pair("FOOSERVICE_PORT", "tcp://10.0.0.7:8765"),
                                         Pair("FOOSERVICE_PORT_8765_TCP", "tcp://10.0.0.7:8765"),
                                         Pair("FOOSERVICE_PORT_8765_TCP_PROTO", "tcp"),
                                         Pair("FOOSERVICE_PORT_8765_TCP_PORT", "8765"),
                                         Pair("FOOSERVICE_PORT_8765_TCP_ADDR", "10.0.0.7")));
  // Without service links only the master service's.
  vars = ServiceEnvVars(services, "ns", false);
  EXPECT_EQ(vars.size(), 8u);
  EXPECT_FALSE(vars.contains("FOOSERVICE_SERVICE_HOST"));
}

TEST(ServiceEnvVarsTest, NamesAndProtocolsAndIpv6) {
  std::vector<Service> services = {{.namespace_ = "ns",
                                    .name = "my-dns",
                                    .cluster_ip = "fd00::a",
                                    .ports = {{.name = "dns-udp", .port = 53, .protocol = "UDP"},
                                              {.name = "dns-tcp", .port = 53}}}};
  std::map<std::string, std::string> vars = ServiceEnvVars(services, "ns", true);
  EXPECT_EQ(vars["MY_DNS_SERVICE_PORT"], "53");
  EXPECT_EQ(vars["MY_DNS_SERVICE_PORT_DNS_UDP"], "53");
  EXPECT_EQ(vars["MY_DNS_SERVICE_PORT_DNS_TCP"], "53");
  EXPECT_EQ(vars["MY_DNS_PORT"], "udp://[fd00::a]:53");
  EXPECT_EQ(vars["MY_DNS_PORT_53_UDP_PROTO"], "udp");
  EXPECT_EQ(vars["MY_DNS_PORT_53_TCP"], "tcp://[fd00::a]:53");
}

TEST(ServiceStoreTest, ListsThenFollowsTheWatch) {
  client::testing::FakeApiClient api;
  FakeClock clock;
  auto service = [](const std::string& name, const std::string& ip) {
    return json{{"metadata", {{"namespace", "ns"}, {"name", name}}},
                {"spec", {{"clusterIP", ip}, {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}}}};
  };
  api.OnReturn(
      client::Verb::kGet, "/api/v1/services?",
      json{{"metadata", {{"resourceVersion", "5"}}}, {"items", {service("a", "10.0.0.2")}}});
  ServiceStore store(&api, &clock);
  EXPECT_TRUE(absl::IsUnavailable(store.ListServices().status()));
  store.Start();
  ASSERT_TRUE(api.AwaitWatch("/api/v1/services?").has_value());
  absl::StatusOr<std::vector<Service>> listed = store.ListServices();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0], (Service{.namespace_ = "ns",
                                   .name = "a",
                                   .cluster_ip = "10.0.0.2",
                                   .ports = {{.port = 80, .protocol = "TCP"}}}));
  api.PushEvent({"ADDED", service("b", "10.0.0.3")});
  api.PushEvent({"DELETED", service("a", "10.0.0.2")});
  ASSERT_TRUE(api.AwaitDelivered());
  listed = store.ListServices();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "b");
  store.Stop();
}

}  // namespace
}  // namespace cubelet::apiobjects
