// RestConfig and LoadKubeconfig: where the API server is and how to prove who
// we are to it (client-go's rest.Config, filled from a kubeconfig file the way
// clientcmd does).
//
// LoadKubeconfig follows current-context to its context, and the context to
// its cluster and user. Supported: cluster `server`, `certificate-authority`
// (a file) or `certificate-authority-data` (base64 PEM),
// `insecure-skip-tls-verify`; user `client-certificate` / `client-key` (files)
// or their `-data` forms, `token` and `tokenFile` (the file wins, as in
// client-go; read once). Relative file paths are resolved against the
// kubeconfig's directory, as clientcmd does. Exec and auth-provider plugins and
// basic auth are refused with an error naming the field. File contents end up
// in memory: the transport never reads a file.
//
// Errors name the file and the field: `kubeconfig /x/y:
// users[0].user.client-key: open /a/b: No such file or directory`.
// Scalars are read as strings, so a user named `n` or `no` stays a name.
//
// Thread-safety: plain functions and a value type.
#ifndef CUBELET_CLIENT_KUBECONFIG_H_
#define CUBELET_CLIENT_KUBECONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cubelet::client {

struct RestConfig {
  // "https://host:6443" (a path prefix is kept: "https://host/k8s").
  std::string server;
  // PEM CA bundle that signs the server's certificate; empty uses the system
  // store.
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  // PEM client certificate (chain) and its private key.
  std::string client_cert_pem, client_key_pem;
  std::string bearer_token;
  // Client-side rate limit (client-go's QPS and Burst); qps <= 0: none.
  double qps = 50;
  int burst = 100;
  // Default whole-request deadline of Call (watches have none).
  absl::Duration timeout = absl::Seconds(30);
  std::string user_agent = "cubelet";
};

// Reads the kubeconfig at `path` (see the file comment).
absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path);

// The same over the file's `content`; `path` names it in errors and gives the
// directory relative file paths are resolved against.
absl::StatusOr<RestConfig> ParseKubeconfig(std::string_view content, const std::string& path);

}  // namespace cubelet::client

#endif  // CUBELET_CLIENT_KUBECONFIG_H_
