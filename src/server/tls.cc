#include "server/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cubelet::server {
namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Whether the PEM certificate at `path` is still valid for a day.
bool StillValid(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return false;
  time_t tomorrow = time(nullptr) + 24 * 3600;
  bool valid = X509_cmp_time(X509_get0_notAfter(cert), &tomorrow) > 0;
  X509_free(cert);
  return valid;
}

}  // namespace

absl::Status WriteSelfSignedCertificate(const std::vector<std::string>& hostnames,
                                        const std::string& cert_file, const std::string& key_file) {
  if (hostnames.empty()) return absl::InvalidArgumentError("no host names for the certificate");
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return absl::InternalError(absl::StrCat("key: ", OpenSslError()));
  X509* cert = X509_new();
  absl::Status status = absl::OkStatus();
  std::vector<std::string> sans;
  for (const std::string& h : hostnames) {
    sans.push_back(absl::StrCat(IsIpAddress(h) ? "IP:" : "DNS:", h));
  }
  std::string cn = absl::StrCat(hostnames.front(), "@", time(nullptr));
  bool ok = X509_set_version(cert, 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(time(nullptr))) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600) != nullptr &&
            X509_set_pubkey(cert, key) == 1;
  X509_NAME* name = X509_get_subject_name(cert);
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                  0) == 1 &&
       X509_set_issuer_name(cert, name) == 1 &&
       AddExtension(cert, NID_basic_constraints, "critical,CA:FALSE") &&
       AddExtension(cert, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
       AddExtension(cert, NID_ext_key_usage, "serverAuth") &&
       AddExtension(cert, NID_subject_alt_name, absl::StrJoin(sans, ",")) &&
       X509_sign(cert, key, EVP_sha256()) > 0;
  if (!ok) status = absl::InternalError(absl::StrCat("certificate: ", OpenSslError()));
  if (status.ok()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(cert_file).parent_path(), ec);
    FILE* kf = std::fopen(key_file.c_str(), "w");
    if (kf != nullptr) ::chmod(key_file.c_str(), 0600);
    FILE* cf = std::fopen(cert_file.c_str(), "w");
    if (kf == nullptr || cf == nullptr ||
        PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        PEM_write_X509(cf, cert) != 1) {
      status = absl::InternalError(absl::StrCat("cannot write ", cert_file, " and ", key_file));
    }
    if (kf != nullptr) std::fclose(kf);
    if (cf != nullptr) std::fclose(cf);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return status;
}

absl::StatusOr<std::unique_ptr<TlsServerContext>> TlsServerContext::Create(
    const TlsOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-private-key-file go together: give both or neither");
  }
  std::string cert_file = options.cert_file;
  std::string key_file = options.key_file;
  if (cert_file.empty()) {
    std::string dir = options.cert_dir;
    if (dir.empty()) {
      dir = (std::filesystem::temp_directory_path() / absl::StrCat("cubelet-pki-", getpid()))
                .string();
    }
    cert_file = absl::StrCat(dir, "/kubelet.crt");
    key_file = absl::StrCat(dir, "/kubelet.key");
    if (!StillValid(cert_file) || !std::filesystem::exists(key_file)) {
      if (absl::Status s = WriteSelfSignedCertificate(options.hostnames, cert_file, key_file);
          !s.ok()) {
        return s;
      }
    }
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("TLS: ", OpenSslError()));
  auto context = std::unique_ptr<TlsServerContext>(new TlsServerContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A client that closes without close_notify has just hung up.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS certificate ", cert_file, ": ", OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS private key ", key_file, ": ", OpenSslError()));
  }
  if (!options.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names == nullptr ||
        SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return absl::InvalidArgumentError(
          absl::StrCat("--client-ca-file ", options.client_ca_file, ": ", OpenSslError()));
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return context;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

SSL* TlsServerContext::NewConnection(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl != nullptr) SSL_set_fd(ssl, fd);
  return ssl;
}

std::optional<UserInfo> TlsServerContext::PeerUser(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::optional<UserInfo> user;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    user.emplace();
    X509_NAME* subject = X509_get_subject_name(cert);
    auto text = [](X509_NAME_ENTRY* entry) {
      unsigned char* utf8 = nullptr;
      int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
      std::string out = n > 0 ? std::string(reinterpret_cast<char*>(utf8), n) : "";
      OPENSSL_free(utf8);
      return out;
    };
    int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (cn >= 0) user->name = text(X509_NAME_get_entry(subject, cn));
    for (int i = X509_NAME_get_index_by_NID(subject, NID_organizationName, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) {
      user->groups.push_back(text(X509_NAME_get_entry(subject, i)));
    }
    if (user->name.empty()) user.reset();
  }
  X509_free(cert);
  return user;
}

}  // namespace cubelet::server
