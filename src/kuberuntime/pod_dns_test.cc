#include "kuberuntime/pod_dns.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::kuberuntime {
namespace {

using ::testing::ElementsAre;

constexpr char kHostResolvConf[] =
    "# generated\n"
    "nameserver 192.0.2.53\n"
    "nameserver 192.0.2.54 ; second\n"
    "search corp.example\n"
    "search example.org lab.example\n"
    "options ndots:1 timeout:2\n";

api::Pod TestPod(const std::string& policy) {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.spec.dns_policy = policy;
  return pod;
}

TEST(ParseResolvConfTest, ServersLastSearchAndOptions) {
  cri::DNSConfig c = ParseResolvConf(kHostResolvConf);
  EXPECT_THAT(c.servers, ElementsAre("192.0.2.53", "192.0.2.54"));
  EXPECT_THAT(c.searches, ElementsAre("example.org", "lab.example"));
  EXPECT_THAT(c.options, ElementsAre("ndots:1", "timeout:2"));
}

// pkg/kubelet/network/dns: Default (and ClusterFirst without cluster DNS)
// use the node's resolver, None only the pod's dnsConfig.
TEST(PodDNSConfigTest, PoliciesAndMerge) {
  cri::DNSConfig host = PodDNSConfig(TestPod("Default"), kHostResolvConf);
  EXPECT_THAT(host.servers, ElementsAre("192.0.2.53", "192.0.2.54"));
  EXPECT_EQ(PodDNSConfig(TestPod("ClusterFirst"), kHostResolvConf).servers, host.servers);

  api::Pod none = TestPod("None");
  none.spec.dns_config = api::PodDNSConfig{
      .nameservers = {"10.0.0.10"},
      .searches = {"svc.local"},
      .options = {{.name = "ndots", .value = "2"}, {.name = "edns0", .value = std::nullopt}}};
  cri::DNSConfig c = PodDNSConfig(none, kHostResolvConf);
  EXPECT_THAT(c.servers, ElementsAre("10.0.0.10"));
  EXPECT_THAT(c.searches, ElementsAre("svc.local"));
  EXPECT_THAT(c.options, ElementsAre("ndots:2", "edns0"));

  api::Pod merged = TestPod("Default");
  merged.spec.dns_config = none.spec.dns_config;
  merged.spec.dns_config->nameservers.push_back("192.0.2.53");  // already there
  merged.spec.dns_config->nameservers.push_back("10.0.0.11");   // a fourth: cut
  c = PodDNSConfig(merged, kHostResolvConf);
  EXPECT_THAT(c.servers, ElementsAre("192.0.2.53", "192.0.2.54", "10.0.0.10"));
  EXPECT_THAT(c.searches, ElementsAre("example.org", "lab.example", "svc.local"));
  EXPECT_THAT(c.options, ElementsAre("ndots:2", "timeout:2", "edns0")) << "the pod's ndots wins";
}

TEST(HostsFileContentTest, ManagedFileWithHostAliases) {
  api::Pod pod = TestPod("Default");
  pod.spec.hostname = "front";
  pod.spec.host_aliases = {{.ip = "127.0.0.1", .hostnames = {"foo.local", "bar.local"}},
                           {.ip = "10.1.2.3", .hostnames = {"foo.remote"}}};
  EXPECT_EQ(HostsFileContent(pod, {"10.88.0.5"}, "", "cluster.local"),
            "# Kubernetes-managed hosts file.\n"
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "fe00::0\tip6-mcastprefix\n"
            "fe00::1\tip6-allnodes\n"
            "fe00::2\tip6-allrouters\n"
            "10.88.0.5\tfront\n"
            "\n"
            "# Entries added by HostAliases.\n"
            "127.0.0.1\tfoo.local\tbar.local\n"
            "10.1.2.3\tfoo.remote\n");
}

TEST(HostsFileContentTest, HostNetworkCopiesTheNodeFile) {
  api::Pod pod = TestPod("Default");
  pod.spec.host_network = true;
  EXPECT_EQ(HostsFileContent(pod, {"192.0.2.10"}, "127.0.0.1 localhost\n", ""),
            "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n");
}

TEST(PodHostnameTest, CutTo63WithoutTrailingDashOrDot) {
  api::Pod pod;
  pod.metadata.name = std::string(62, 'a') + "-b";
  EXPECT_EQ(HostnameAndDomain(pod, "cluster.local").hostname, std::string(62, 'a'));
}

// upstream GeneratePodHostNameAndDomain and GetNodenameForKernel.
TEST(PodHostnameTest, SubdomainGivesAnFqdnThatSetHostnameAsFqdnMakesTheHostname) {
  api::Pod pod = TestPod("ClusterFirst");
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "shop";
  pod.spec.subdomain = "t";
  PodHostnameAndDomain name = HostnameAndDomain(pod, "cluster.local");
  EXPECT_EQ(name.hostname, "web");
  EXPECT_EQ(name.domain, "t.shop.svc.cluster.local");
  EXPECT_EQ(SandboxHostname(pod, "cluster.local").value_or(""), "web") << "short name by default";
  EXPECT_NE(HostsFileContent(pod, {"10.88.0.5"}, "", "cluster.local")
                .find("10.88.0.5\tweb.t.shop.svc.cluster.local\tweb\n"),
            std::string::npos);

  pod.spec.set_hostname_as_fqdn = true;
  EXPECT_EQ(SandboxHostname(pod, "cluster.local").value_or(""), "web.t.shop.svc.cluster.local");
  pod.spec.subdomain.clear();
  EXPECT_EQ(SandboxHostname(pod, "cluster.local").value_or(""), "web") << "no subdomain, no FQDN";

  pod.spec.subdomain = "t";
  pod.metadata.name = "hostfqdnveryveryveryverylongforfqdntobemorethan64bytes-1";
  absl::StatusOr<std::string> too_long = SandboxHostname(pod, "cluster.local");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().message(),
            "failed to construct FQDN from pod hostname and cluster domain, FQDN "
            "hostfqdnveryveryveryverylongforfqdntobemorethan64bytes-1.t.shop.svc.cluster.local "
            "is too long (64 characters is the max, 81 characters requested)");
}

TEST(PodHostnameTest, HostnameOverrideWinsAndHasNoDomain) {
  api::Pod pod = TestPod("ClusterFirst");
  pod.metadata.name = "web";
  pod.spec.hostname = "front";
  pod.spec.subdomain = "t";
  pod.spec.hostname_override = "override.example";
  PodHostnameAndDomain name = HostnameAndDomain(pod, "cluster.local");
  EXPECT_EQ(name.hostname, "override.example");
  EXPECT_EQ(name.domain, "");
  EXPECT_EQ(SandboxHostname(pod, "cluster.local").value_or(""), "override.example");
  EXPECT_NE(HostsFileContent(pod, {"10.88.0.5"}, "", "cluster.local")
                .find("10.88.0.5\toverride.example\n"),
            std::string::npos);
}

}  // namespace
}  // namespace cubelet::kuberuntime
