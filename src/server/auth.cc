#include "server/auth.h"

#include <algorithm>

namespace cubelet::server {
namespace {

// upstream isSubpath: `path` itself or anything below it.
bool IsSubpath(std::string_view subpath, std::string_view path) {
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return subpath == path ||
         (subpath.starts_with(path) && subpath.size() > path.size() && subpath[path.size()] == '/');
}

std::string VerbFor(std::string_view method) {
  if (method == "POST") return "create";
  if (method == "GET") return "get";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

}  // namespace

std::vector<RequestAttributes> RequestAttributesFor(const UserInfo& user, std::string_view method,
                                                    std::string_view path,
                                                    const std::string& node_name) {
  std::vector<std::string> subresources;
  if (IsSubpath(path, "/allocatedPods") || IsSubpath(path, "/pods") ||
      IsSubpath(path, "/runningpods/")) {
    subresources.push_back("pods");
  } else if (IsSubpath(path, "/healthz")) {
    subresources.push_back("healthz");
  } else if (IsSubpath(path, "/configz")) {
    subresources.push_back("configz");
  }
  if (IsSubpath(path, "/stats/")) {
    subresources.push_back("stats");
  } else if (IsSubpath(path, "/metrics")) {
    subresources.push_back("metrics");
  } else if (IsSubpath(path, "/logs/")) {
    subresources.push_back("log");
  } else if (IsSubpath(path, "/checkpoint/")) {
    subresources.push_back("checkpoint");
  } else if (IsSubpath(path, "/statusz")) {
    subresources.push_back("statusz");
  } else if (IsSubpath(path, "/flagz")) {
    subresources.push_back("configz");
  } else {
    subresources.push_back("proxy");
  }
  std::vector<RequestAttributes> out;
  for (std::string& subresource : subresources) {
    out.push_back(RequestAttributes{.user = user,
                                    .verb = VerbFor(method),
                                    .subresource = std::move(subresource),
                                    .node_name = node_name,
                                    .path = std::string(path)});
  }
  return out;
}

UserInfo AnonymousUser() {
  return UserInfo{.name = "system:anonymous", .groups = {"system:unauthenticated"}};
}

void AddAuthenticatedGroup(UserInfo& user) {
  constexpr std::string_view kGroup = "system:authenticated";
  if (std::find(user.groups.begin(), user.groups.end(), kGroup) == user.groups.end()) {
    user.groups.push_back(std::string(kGroup));
  }
}

}  // namespace cubelet::server
