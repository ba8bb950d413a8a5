// The agent's wiring over the in-memory CRI: a manifest in the folder
// becomes a running static pod, a stuck source would fail the agent's health,
// and Stop leaves the pod running. The agent runs its real threads, so the
// test waits (bounded) for what they do.
#include "app/agent.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::app {
namespace {

constexpr char kImage[] = "docker.io/library/busybox:1.36";

template <typename Pred>
bool WaitFor(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Options for an agent on `dir` with one manifest there, static pod "web"
// (container "app"), every server off.
AgentOptions WebPodAgentOptions(const std::string& dir) {
  std::ofstream(dir + "/web.yaml")
      << "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
         "  - name: app\n    image: "
      << kImage << "\n";
  AgentOptions options;
  options.pod_manifest_path = dir;
  options.node_name = "node1";
  options.root_dir = dir + "/root";
  options.pod_logs_dir = dir + "/logs";
  options.read_only_port = 0;
  options.port = 0;
  options.healthz_port = 0;
  options.file_check_frequency = absl::Milliseconds(100);
  return options;
}

TEST(AgentTest, ManifestInTheFolderRunsAsAStaticPodAndOutlivesTheAgent) {
  test_support::ScopedTempDir dir;
  cri::InMemoryRuntime cri;
  cri.AddImage(kImage);
  AgentOptions options = WebPodAgentOptions(dir.path());
  options.pod_worker_threads = 2;
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Create(options, AgentDeps{.runtime_service = &cri,
                                       .image_service = &cri,
                                       .host_ip = "192.0.2.10",
                                       .manage_host_state = false});
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_EQ((*agent)->server_port(), 0);
  ASSERT_TRUE((*agent)->Start().ok());

  EXPECT_TRUE(WaitFor([&] {
    for (const api::Pod& pod : (*agent)->kubelet().GetPods()) {
      if (pod.metadata.name == "web-node1" && pod.status.phase == api::kPodRunning) return true;
    }
    return false;
  }));
  EXPECT_TRUE(WaitFor([&] { return (*agent)->kubelet().Healthy().ok(); }))
      << (*agent)->kubelet().Healthy();
  EXPECT_EQ(cri.RunningContainerCount(), 1u);

  agent->reset();
  EXPECT_EQ(cri.RunningContainerCount(), 1u) << "stopping the agent stops no pod";
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One HTTPS request to 127.0.0.1:port (the certificate is not checked).
std::string HttpsRequest(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1 &&
        SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
      char buf[4096];
      for (int n; (n = SSL_read(ssl, buf, sizeof(buf))) > 0;) out.append(buf, n);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  ::close(fd);
  return out;
}

TEST(AgentTest, TheKubeletServerRunsCommandsAndServesHealthz) {
  test_support::ScopedTempDir dir;
  cri::InMemoryRuntime cri;
  cri.AddImage(kImage);
  cri.SetExecHandler("app", [](const std::vector<std::string>& cmd) {
    return cri::ExecSyncResponse{.stdout_data = absl::StrJoin(cmd, "|") + "\n"};
  });
  AgentOptions options = WebPodAgentOptions(dir.path());
  options.cert_dir = dir.path() + "/root/pki";
  options.secure_address = "127.0.0.1";
  options.port = FreePort();
  options.anonymous_auth = true;  // standalone: AlwaysAllow
  options.healthz_port = FreePort();
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Create(options, AgentDeps{.runtime_service = &cri,
                                       .image_service = &cri,
                                       .host_ip = "192.0.2.10",
                                       .manage_host_state = false});
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  EXPECT_EQ((*agent)->secure_port(), options.port);
  ASSERT_TRUE(WaitFor([&] { return cri.RunningContainerCount() == 1; }));

  std::string run;
  ASSERT_TRUE(WaitFor([&] {
    run = HttpsRequest(options.port,
                       "POST /run/default/web-node1/app?cmd=echo%20hi HTTP/1.1\r\nHost: x\r\n\r\n");
    return run.find("200 OK") != std::string::npos;
  })) << run;
  EXPECT_NE(run.find("\r\n\r\necho|hi\n"), std::string::npos) << run;
  std::string missing = HttpsRequest(
      options.port, "POST /run/default/web-node1/nope?cmd=ls HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(missing.find("container not found (\"nope\")"), std::string::npos) << missing;
  std::string configz = HttpsRequest(options.port, "GET /configz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(configz.find("\"staticPodPath\":\"" + dir.path() + "\""), std::string::npos) << configz;
  EXPECT_NE(configz.find("\"mode\":\"AlwaysAllow\""), std::string::npos) << configz;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/root/pki/kubelet.crt"));

  // The healthz port is plain HTTP and has nothing else.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.healthz_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
  std::string req = "GET /pods HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, req.data(), req.size(), 0);
  char buf[1024];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  ::close(fd);
  EXPECT_NE(std::string(buf, n > 0 ? n : 0).find("404"), std::string::npos);
}

TEST(AgentTest, UnreachableRuntimeNamesTheFlag) {
  AgentOptions options;
  options.container_runtime_endpoint = "tcp://nowhere";
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(options);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.status().message().find("--container-runtime-endpoint"), std::string::npos)
      << agent.status();
}

}  // namespace
}  // namespace cubelet::app
