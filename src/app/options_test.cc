#include "app/options.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace cubelet::app {
namespace {

TEST(OptionsTest, DefaultsAreTheContract) {
  absl::StatusOr<AgentOptions> o = ParseOptions({"cubelet", "--node-name=n1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->container_runtime_endpoint, "unix:///run/containerd/containerd.sock");
  EXPECT_EQ(o->root_dir, "/var/lib/cubelet");
  EXPECT_EQ(o->pod_logs_dir, "/var/log/pods");
  EXPECT_EQ(o->address, "127.0.0.1");
  EXPECT_EQ(o->read_only_port, 10255);
  EXPECT_EQ(o->file_check_frequency, absl::Seconds(20));
  EXPECT_EQ(o->sync_frequency, absl::Minutes(1));
  EXPECT_EQ(o->cgroup_root, "/cubelet");
  EXPECT_EQ(o->verbosity, 0);
}

TEST(OptionsTest, BothFlagForms) {
  absl::StatusOr<AgentOptions> o =
      ParseOptions({"cubelet", "--pod-manifest-path", "/etc/pods", "--read-only-port=0", "-v", "4",
                    "--file-check-frequency=1m30s", "--node-name", "Node-A"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pod_manifest_path, "/etc/pods");
  EXPECT_EQ(o->read_only_port, 0);
  EXPECT_EQ(o->verbosity, 4);
  EXPECT_EQ(o->file_check_frequency, absl::Seconds(90));
  EXPECT_EQ(o->node_name, "node-a");  // lower-cased: static pod names embed it
}

TEST(OptionsTest, ErrorsNameTheFlag) {
  EXPECT_EQ(ParseOptions({"cubelet", "--bogus=1"}).status().message(), "unknown flag: --bogus");
  EXPECT_EQ(ParseOptions({"cubelet", "--read-only-port=x"}).status().message(),
            "--read-only-port: invalid value \"x\": must be an integer in [0, 65535]");
  EXPECT_EQ(ParseOptions({"cubelet", "--sync-frequency=soon"}).status().message(),
            "--sync-frequency: invalid value \"soon\": must be a positive duration such as 20s "
            "or 1m30s");
  EXPECT_EQ(ParseOptions({"cubelet", "--root-dir"}).status().message(),
            "flag needs an argument: --root-dir");
  EXPECT_FALSE(ParseOptions({"cubelet", "--container-runtime-endpoint=tcp://x:1"}).ok());
}

TEST(OptionsTest, ConfigFileThenFlagsOverride) {
  std::string path = ::testing::TempDir() + "/kubelet-config.yaml";
  {
    std::ofstream out(path);
    out << "apiVersion: kubelet.config.k8s.io/v1beta1\n"
           "kind: KubeletConfiguration\n"
           "staticPodPath: /etc/cubelet/pods\n"
           "readOnlyPort: 10300\n"
           "syncFrequency: 30s\n"
           "fileCheckFrequency: 5s\n"
           "cgroupRoot: /custom\n";
  }
  absl::StatusOr<AgentOptions> o =
      ParseOptions({"cubelet", "--config", path, "--read-only-port=10400", "--node-name=x"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pod_manifest_path, "/etc/cubelet/pods");
  EXPECT_EQ(o->read_only_port, 10400);
  EXPECT_EQ(o->sync_frequency, absl::Seconds(30));
  EXPECT_EQ(o->file_check_frequency, absl::Seconds(5));
  EXPECT_EQ(o->cgroup_root, "/custom");
  std::remove(path.c_str());
}

TEST(OptionsTest, MaxPodsFromTheFlagOrTheConfigFile) {
  AgentOptions o;
  EXPECT_EQ(o.max_pods, 110);
  ASSERT_TRUE(ApplyConfigFile("apiVersion: kubelet.config.k8s.io/v1beta1\n"
                              "kind: KubeletConfiguration\nmaxPods: 1000\n",
                              "k.yaml", o)
                  .ok());
  EXPECT_EQ(o.max_pods, 1000);
  absl::StatusOr<AgentOptions> parsed = ParseOptions({"cubelet", "--max-pods=250"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->max_pods, 250);
  EXPECT_FALSE(ParseOptions({"cubelet", "--max-pods=0"}).ok());
}

TEST(OptionsTest, ConfigFileErrorsNameFileAndField) {
  AgentOptions o;
  EXPECT_EQ(ApplyConfigFile("apiVersion: kubelet.config.k8s.io/v1beta1\n"
                            "kind: KubeletConfiguration\npodPidsLimit: 10\n",
                            "k.yaml", o)
                .message(),
            "k.yaml: podPidsLimit: unknown or unsupported KubeletConfiguration field");
  EXPECT_EQ(ApplyConfigFile("apiVersion: kubelet.config.k8s.io/v1beta1\n"
                            "kind: KubeletConfiguration\nreadOnlyPort: big\n",
                            "k.yaml", o)
                .message(),
            "k.yaml: readOnlyPort: invalid value \"big\": must be an integer in [0, 65535]");
  EXPECT_EQ(ApplyConfigFile("apiVersion: v1\nkind: KubeletConfiguration\n", "k.yaml", o).message(),
            "k.yaml: apiVersion: Unsupported value: \"v1\": supported values: "
            "\"kubelet.config.k8s.io/v1beta1\"");
  EXPECT_FALSE(ApplyConfigFile("[1, 2", "k.yaml", o).ok());
  // Found by the fuzzer: a mapping as a key used to throw out of the parser.
  EXPECT_EQ(ApplyConfigFile("{\"q]]l5,\"}:", "k.yaml", o).message(),
            "k.yaml: field names must be strings");
  EXPECT_EQ(ParseOptions({"cubelet", "--config=/nonexistent/k.yaml"}).status().message(),
            "--config: cannot read \"/nonexistent/k.yaml\"");
}

TEST(OptionsTest, KubeletServerFlagsAndConfig) {
  absl::StatusOr<AgentOptions> o = ParseOptions({"cubelet", "--root-dir=/r"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->port, 10250);
  EXPECT_EQ(o->secure_address, "0.0.0.0");
  EXPECT_EQ(o->cert_dir, "/r/pki");
  EXPECT_FALSE(o->anonymous_auth);
  EXPECT_TRUE(o->authentication_token_webhook);
  EXPECT_EQ(o->authorization_mode, "");
  EXPECT_EQ(o->healthz_port, 10248);
  EXPECT_EQ(o->healthz_bind_address, "127.0.0.1");

  o = ParseOptions({"cubelet", "--address=10.0.0.5", "--port=11250", "--anonymous-auth=true",
                    "--authorization-mode=AlwaysAllow", "--client-ca-file=/ca.crt",
                    "--tls-cert-file=/c", "--tls-private-key-file=/k", "--healthz-port=0"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->address, "10.0.0.5");
  EXPECT_EQ(o->secure_address, "10.0.0.5");
  EXPECT_EQ(o->port, 11250);
  EXPECT_TRUE(o->anonymous_auth);
  EXPECT_EQ(o->authorization_mode, "AlwaysAllow");
  EXPECT_EQ(o->client_ca_file, "/ca.crt");
  EXPECT_EQ(o->tls_cert_file, "/c");
  EXPECT_EQ(o->tls_private_key_file, "/k");
  EXPECT_EQ(o->healthz_port, 0);
  EXPECT_EQ(ParseOptions({"cubelet", "--authorization-mode=RBAC"}).status().message(),
            "--authorization-mode: Unsupported value: \"RBAC\": supported values: "
            "\"AlwaysAllow\", \"Webhook\"");

  AgentOptions c;
  absl::Status s = ApplyConfigFile(
      "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nport: 10350\n"
      "authentication:\n  anonymous: {enabled: true}\n  webhook: {enabled: false}\n"
      "  x509: {clientCAFile: /etc/ca.crt}\nauthorization: {mode: AlwaysAllow}\n"
      "healthzPort: 10349\n",
      "k.yaml", c);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.port, 10350);
  EXPECT_TRUE(c.anonymous_auth);
  EXPECT_FALSE(c.authentication_token_webhook);
  EXPECT_EQ(c.client_ca_file, "/etc/ca.crt");
  EXPECT_EQ(c.authorization_mode, "AlwaysAllow");
  EXPECT_EQ(c.healthz_port, 10349);
  EXPECT_EQ(
      ApplyConfigFile("apiVersion: kubelet.config.k8s.io/v1beta1\n"
                      "kind: KubeletConfiguration\nauthentication: {webhook: {cacheTTL: 2m}}\n",
                      "k.yaml", c)
          .message(),
      "k.yaml: authentication.webhook.cacheTTL: unknown or unsupported KubeletConfiguration "
      "field");
}

TEST(OptionsTest, Help) {
  absl::StatusOr<AgentOptions> o = ParseOptions({"cubelet", "--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_NE(Usage().find("--pod-manifest-path"), std::string::npos);
}

}  // namespace
}  // namespace cubelet::app
