// TlsServerContext: the kubelet server's TLS settings (OpenSSL): its serving
// certificate, from files or self-signed, and the CA its clients'
// certificates are checked against.
//
// Without --tls-cert-file/--tls-private-key-file the kubelet makes its own
// certificate; so does this: an EC P-256 certificate for the node's names
// and addresses, valid a year, kept in cert_dir as kubelet.crt/kubelet.key
// and reused while it is valid.
//
// With a client CA, a client may present a certificate (it must then verify
// or the handshake fails) or none (the request is then authenticated by
// token or as anonymous), like Go's VerifyClientCertIfGiven.
//
// Ownership: owns its SSL_CTX; the SSL objects it makes belong to the caller.
// Thread-safety: NewConnection may be called from any thread.
#ifndef CUBELET_SERVER_TLS_H_
#define CUBELET_SERVER_TLS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/auth.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace cubelet::server {

struct TlsOptions {
  std::string cert_file;  // PEM, may hold the chain; both or neither
  std::string key_file;
  // Where the self-signed pair lives when no files are given; empty: made in
  // memory at each start.
  std::string cert_dir;
  std::vector<std::string> hostnames;  // names and IP addresses the certificate covers
  std::string client_ca_file;          // empty: client certificates are not asked for
};

class TlsServerContext {
 public:
  static absl::StatusOr<std::unique_ptr<TlsServerContext>> Create(const TlsOptions& options);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A server-side SSL on the connected socket `fd` (not yet handshaken).
  SSL* NewConnection(int fd) const;
  // The user a verified client certificate names (CN, O), nullopt without
  // one.
  static std::optional<UserInfo> PeerUser(SSL* ssl);

 private:
  explicit TlsServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* const ctx_;
};

// Writes a self-signed EC certificate and key for `hostnames` (names or IP
// addresses; the first is the subject's CN) as PEM files. Exposed for tests.
absl::Status WriteSelfSignedCertificate(const std::vector<std::string>& hostnames,
                                        const std::string& cert_file, const std::string& key_file);

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_TLS_H_
