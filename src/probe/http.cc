#include "probe/http.h"

#include <chrono>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace cubelet::probe {
namespace {

constexpr size_t kMaxBodyBytes = 10 * 1024;

// One GET with `client` (plain or TLS); the probe's verdict on the answer.
template <typename Client>
Outcome Get(Client& client, const HttpTarget& target, absl::Duration timeout,
            const std::string& scheme) {
  const auto micros = std::chrono::microseconds(absl::ToInt64Microseconds(timeout));
  client.set_connection_timeout(micros);
  client.set_read_timeout(micros);
  client.set_write_timeout(micros);
  client.set_keep_alive(false);
  client.set_follow_location(false);

  httplib::Headers headers{{"User-Agent", kProbeUserAgent}, {"Accept", "*/*"}};
  for (const auto& [name, value] : target.headers) {
    // A header given in the probe replaces the default of the same name.
    for (auto it = headers.begin(); it != headers.end();) {
      it = absl::EqualsIgnoreCase(it->first, name) ? headers.erase(it) : std::next(it);
    }
    headers.emplace(name, value);
  }
  std::string body;
  const std::string path = target.path.empty() ? "/" : target.path;
  httplib::Result res = client.Get(path, headers, [&](const char* data, size_t n) {
    if (body.size() < kMaxBodyBytes) body.append(data, std::min(n, kMaxBodyBytes - body.size()));
    return true;
  });
  const std::string url = absl::StrCat(scheme, "://", target.host, ":", target.port, path);
  if (!res) {
    return {Result::kFailure, absl::StrCat("Get \"", url, "\": ", httplib::to_string(res.error()))};
  }
  if (res->status >= 200 && res->status < 400) return {Result::kSuccess, body};
  return {Result::kFailure, absl::StrCat("HTTP probe failed with statuscode: ", res->status)};
}

}  // namespace

Outcome HttpGet(const HttpTarget& target, absl::Duration timeout) {
  const std::string scheme = absl::AsciiStrToUpper(target.scheme);
  if (scheme != "HTTP" && scheme != "HTTPS") {
    return {Result::kUnknown, absl::StrCat("unsupported scheme ", target.scheme)};
  }
  if (target.port <= 0 || target.port > 65535) {
    return {Result::kUnknown, absl::StrCat("invalid port ", target.port)};
  }
  if (scheme == "HTTPS") {
    // As the kubelet: the certificate is not verified (probes check that
    // the server answers, not who it is).
    httplib::SSLClient client(target.host, target.port);
    client.enable_server_certificate_verification(false);
    return Get(client, target, timeout, "https");
  }
  httplib::Client client(target.host, target.port);
  return Get(client, target, timeout, "http");
}

}  // namespace cubelet::probe
