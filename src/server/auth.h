// Authentication and authorization of requests to the kubelet server (port
// 10250), after upstream pkg/kubelet/server/auth.go and the apiserver's
// delegating authenticator/authorizer:
//   - who: a client certificate signed by --client-ca-file (CN = user,
//     O = groups), else a bearer token the TokenAuthenticator accepts, else
//     system:anonymous when anonymous requests are allowed; a token that is
//     refused is 401 even when anonymous requests are allowed;
//   - may they: the Authorizer decides on "<verb> nodes/<subresource> <node>"
//     where the verb comes from the HTTP method and the subresource from the
//     path (RequestAttributesFor); the first allowed attribute wins.
// Fakes: AlwaysAllowAuthorizer, and any TokenAuthenticator/Authorizer
// subclass in tests.
//
// Thread-safety: implementations are called from the server's connection
// threads concurrently and must be thread-safe.
#ifndef CUBELET_SERVER_AUTH_H_
#define CUBELET_SERVER_AUTH_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cubelet::server {

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;

  bool operator==(const UserInfo&) const = default;
};

// One authorization question: may `user` <verb> nodes/<subresource> <node>?
struct RequestAttributes {
  UserInfo user;
  std::string verb;         // get, create, update, patch, delete
  std::string subresource;  // proxy, log, stats, metrics, pods, healthz, configz, ...
  std::string node_name;
  std::string path;
};

class TokenAuthenticator {
 public:
  virtual ~TokenAuthenticator() = default;
  // The token's user, nullopt when the token is not valid; an error when it
  // could not be checked.
  virtual absl::StatusOr<std::optional<UserInfo>> AuthenticateToken(const std::string& token) = 0;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Allowed or not; an error when it could not be decided.
  virtual absl::StatusOr<bool> Authorize(const RequestAttributes& attributes) = 0;
};

class AlwaysAllowAuthorizer final : public Authorizer {
 public:
  absl::StatusOr<bool> Authorize(const RequestAttributes&) override { return true; }
};

// The attributes to try for a request, most specific first: "pods",
// "healthz" or "configz" for /pods, /runningpods, /healthz, /configz (the
// fine-grained ones), then "stats", "metrics", "log", "checkpoint" or
// "proxy" (everything else, exec and logs of containers included).
std::vector<RequestAttributes> RequestAttributesFor(const UserInfo& user, std::string_view method,
                                                    std::string_view path,
                                                    const std::string& node_name);

// The user of a request that carried no credentials.
UserInfo AnonymousUser();
// Authenticated users also belong to system:authenticated.
void AddAuthenticatedGroup(UserInfo& user);

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_AUTH_H_
