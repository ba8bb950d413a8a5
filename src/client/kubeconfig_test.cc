#include "client/kubeconfig.h"

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::client {
namespace {

using ::testing::HasSubstr;

constexpr char kCa[] = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
constexpr char kCert[] = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
constexpr char kKey[] = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
}

std::string B64(const std::string& s) { return absl::Base64Escape(s); }

class KubeconfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content, const std::string& name = "kubeconfig") {
    const std::string path = dir_.File(name);
    WriteFile(path, content);
    return path;
  }

  test_support::ScopedTempDir dir_{"cubelet-kubeconfig"};
};

TEST_F(KubeconfigTest, DataForms) {
  const std::string path = Write(R"(apiVersion: v1
kind: Config
current-context: main
clusters:
- name: other
  cluster:
    server: https://other:6443
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )" +
                                 B64(kCa) + R"(
contexts:
- name: main
  context:
    cluster: prod
    user: node
    namespace: kube-system
users:
- name: node
  user:
    client-certificate-data: )" + B64(kCert) +
                                 R"(
    client-key-data: )" + B64(kKey) +
                                 R"(
)");
  absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, kCa);
  EXPECT_EQ(config->client_cert_pem, kCert);
  EXPECT_EQ(config->client_key_pem, kKey);
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->bearer_token, "");
  // Defaults the file does not set.
  EXPECT_EQ(config->qps, 50);
  EXPECT_EQ(config->burst, 100);
  EXPECT_EQ(config->timeout, absl::Seconds(30));
  EXPECT_EQ(config->user_agent, "cubelet");
}

TEST_F(KubeconfigTest, PathFormsRelativeToTheKubeconfig) {
  std::filesystem::create_directories(dir_.File("etc/pki"));
  WriteFile(dir_.File("etc/pki/ca.crt"), kCa);
  WriteFile(dir_.File("etc/client.crt"), kCert);
  WriteFile(dir_.File("key.pem"), kKey);  // absolute below
  const std::string path = Write(R"(current-context: c
clusters:
- name: k
  cluster:
    server: https://api:6443
    certificate-authority: pki/ca.crt
contexts:
- name: c
  context: {cluster: k, user: u}
users:
- name: u
  user:
    client-certificate: client.crt
    client-key: )" + dir_.File("key.pem") +
                                     "\n",
                                 "etc/kubelet.conf");
  absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ca_pem, kCa);
  EXPECT_EQ(config->client_cert_pem, kCert);
  EXPECT_EQ(config->client_key_pem, kKey);
}

TEST_F(KubeconfigTest, TokenAndTokenFile) {
  std::string path = Write(R"(current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: abc.def}}]
)");
  absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "http://127.0.0.1:8080");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->bearer_token, "abc.def");

  // tokenFile wins over token, trimmed.
  WriteFile(dir_.File("token"), "  from-file\n");
  path = Write(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: inline, tokenFile: token}}]
)");
  config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bearer_token, "from-file");
}

TEST_F(KubeconfigTest, NamesThatLookLikeBooleansStayNames) {
  const std::string path = Write(R"(current-context: y
clusters:
- name: no
  cluster:
    server: https://h
contexts:
- name: off
  context: {cluster: no, user: n}
- name: y
  context:
    cluster: no
    user: n
users:
- name: yes
  user: {token: wrong}
- name: n
  user: {token: right}
)");
  absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bearer_token, "right");
}

TEST_F(KubeconfigTest, ContextWithoutUser) {
  const std::string path = Write(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://h");
}

TEST_F(KubeconfigTest, MissingFiles) {
  const std::string missing = dir_.File("nope");
  absl::StatusOr<RestConfig> config = LoadKubeconfig(missing);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "kubeconfig " + missing + ": open " + missing + ": No such file or directory");

  WriteFile(dir_.File("client.crt"), kCert);
  const std::string path = Write(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    client-certificate: client.crt
    client-key: keys/client.key
)");
  config = LoadKubeconfig(path);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "kubeconfig " + path + ": users[0].user.client-key: open " +
                                           dir_.File("keys/client.key") +
                                           ": No such file or directory");
}

TEST_F(KubeconfigTest, Errors) {
  struct Case {
    std::string content;
    std::string want;
  };
  const std::string head =
      "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n";
  const Case cases[] = {
      {"clusters: []\n", "current-context: not set"},
      {"current-context: x\ncontexts: [{name: c, context: {cluster: k}}]\n",
       "current-context: no context named \"x\""},
      {head + "clusters: [{name: other, cluster: {server: https://h}}]\n",
       "contexts[0].context.cluster: no cluster named \"k\""},
      {head + "clusters: [{name: k, cluster: {server: https://h}}]\n",
       "contexts[0].context.user: no user named \"u\""},
      {head + "clusters: [{name: k, cluster: {}}]\nusers: [{name: u, user: {}}]\n",
       "clusters[0].cluster.server: not set"},
      {head + "clusters: [{name: k, cluster: {server: https://h, certificate-authority-data: "
              "'@@@'}}]\n",
       "clusters[0].cluster.certificate-authority-data: illegal base64 data"},
      {head + "clusters: [{name: k, cluster: {server: https://h, certificate-authority: a, "
              "certificate-authority-data: YQ==}}]\n",
       "clusters[0].cluster: certificate-authority and certificate-authority-data are both set"},
      {head + "clusters: [{name: k, cluster: {server: https://h, insecure-skip-tls-verify: "
              "maybe}}]\n",
       "clusters[0].cluster.insecure-skip-tls-verify: must be true or false, not \"maybe\""},
      {head + "clusters: [{name: k, cluster: {server: https://h, insecure-skip-tls-verify: true, "
              "certificate-authority-data: YQ==}}]\n",
       "specifying a root certificates file with the insecure flag is not allowed"},
      {head + "clusters: [{name: k, cluster: {server: https://h}}]\n"
              "users: [{name: u, user: {client-certificate-data: YQ==}}]\n",
       "users[0].user: client-certificate is set without client-key(-data)"},
      {head + "clusters: [{name: k, cluster: {server: https://h}}]\n"
              "users: [{name: u, user: {exec: {command: aws}}}]\n",
       "users[0].user.exec: not supported by cubelet"},
      {head + "clusters: {k: 1}\n", "clusters: must be a list"},
      {head + "clusters: [{name: k, cluster: {server: [a]}}]\n",
       "clusters[0].cluster.server: must be a string"},
      {"- a\n- b\n", "not a kubeconfig (expected a YAML mapping)"},
      {"a: [b\n", "yaml-cpp"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content);
    const std::string path = Write(c.content);
    absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(std::string(config.status().message()), HasSubstr("kubeconfig " + path + ": "));
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.want));
  }
}

TEST(ParseKubeconfigTest, NeverThrows) {
  for (const char* content :
       {"", "\t", "{", "[", "*x", "&a [*a]", "current-context: [", "%YAML 9\n---\n",
        "current-context: c\ncontexts: 5\n", "current-context: c\ncontexts: [5]\n",
        "current-context: c\ncontexts: [{name: c, context: 5}]\n"}) {
    SCOPED_TRACE(content);
    EXPECT_FALSE(ParseKubeconfig(content, "/x/kubeconfig").ok());
  }
}

}  // namespace
}  // namespace cubelet::client
