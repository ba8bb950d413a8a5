#include "probe/http.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace cubelet::probe {
namespace {

constexpr size_t kMaxBodyBytes = 10 * 1024;

// The answer to one GET: the status (0 when the request failed), the
// Location header and the start of the body; `error` when it failed.
struct Answer {
  int status = 0;
  std::string location;
  std::string body;
  std::string error;
};

template <typename Client>
Answer Get(Client& client, const HttpTarget& target, absl::Duration timeout) {
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
  Answer answer;
  const std::string path = target.path.empty() ? "/" : target.path;
  httplib::Result res = client.Get(path, headers, [&](const char* data, size_t n) {
    if (answer.body.size() < kMaxBodyBytes) {
      answer.body.append(data, std::min(n, kMaxBodyBytes - answer.body.size()));
    }
    return true;
  });
  if (!res) {
    answer.error = httplib::to_string(res.error());
    return answer;
  }
  answer.status = res->status;
  answer.location = res->get_header_value("Location");
  return answer;
}

Answer GetOnce(const HttpTarget& target, const std::string& scheme, absl::Duration timeout) {
  if (scheme == "HTTPS") {
    // As the kubelet: the certificate is not verified (probes check that
    // the server answers, not who it is).
    httplib::SSLClient client(target.host, target.port);
    client.enable_server_certificate_verification(false);
    return Get(client, target, timeout);
  }
  httplib::Client client(target.host, target.port);
  return Get(client, target, timeout);
}

std::string Url(const HttpTarget& t, const std::string& scheme) {
  return absl::StrCat(absl::AsciiStrToLower(scheme), "://", t.host, ":", t.port,
                      t.path.empty() ? "/" : t.path);
}

// Where `location` (a redirect's Location) points from `from`: a path on the
// same server, or an absolute http(s) URL. nullopt when it cannot be read.
std::optional<std::pair<HttpTarget, std::string>> Resolve(const HttpTarget& from,
                                                          const std::string& scheme,
                                                          const std::string& location) {
  HttpTarget to = from;
  if (location.empty()) return std::nullopt;
  if (location.front() == '/' && !absl::StartsWith(location, "//")) {
    to.path = location;
    return std::make_pair(to, scheme);
  }
  std::string rest = location;
  std::string to_scheme;
  if (absl::StartsWithIgnoreCase(rest, "http://")) {
    to_scheme = "HTTP";
    rest = rest.substr(7);
  } else if (absl::StartsWithIgnoreCase(rest, "https://")) {
    to_scheme = "HTTPS";
    rest = rest.substr(8);
  } else {
    // A relative path: resolved against the current one's directory.
    const std::string& base = from.path.empty() ? std::string("/") : from.path;
    to.path = base.substr(0, base.rfind('/') + 1) + location;
    return std::make_pair(to, scheme);
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  to.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(authority.substr(colon + 1), &port)) return std::nullopt;
    to.port = port;
    to.host = authority.substr(0, colon);
  } else {
    to.host = authority;
    to.port = to_scheme == "HTTPS" ? 443 : 80;
  }
  if (to.host.size() > 1 && to.host.front() == '[' && to.host.back() == ']') {
    to.host = to.host.substr(1, to.host.size() - 2);
  }
  return std::make_pair(to, to_scheme);
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
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
  // As the kubelet's prober (Go's client with RedirectChecker(false)):
  // redirects to the same host are followed, at most 10; a redirect elsewhere
  // is not, and its answer is a warning, not a failure.
  HttpTarget current = target;
  std::string current_scheme = scheme;
  for (int redirects = 0;; ++redirects) {
    const std::string url = Url(current, current_scheme);
    Answer answer = GetOnce(current, current_scheme, timeout);
    if (!answer.error.empty()) {
      return {Result::kFailure, absl::StrCat("Get \"", url, "\": ", answer.error)};
    }
    if (IsRedirect(answer.status)) {
      std::optional<std::pair<HttpTarget, std::string>> next =
          Resolve(current, current_scheme, answer.location);
      if (next.has_value() && next->first.host == target.host) {
        if (redirects >= 10) {
          return {Result::kFailure, absl::StrCat("Get \"", url, "\": stopped after 10 redirects")};
        }
        if (next->first.port <= 0 || next->first.port > 65535) {
          return {Result::kFailure, absl::StrCat("Get \"", url, "\": invalid redirect port")};
        }
        current = next->first;
        current_scheme = next->second;
        continue;
      }
    }
    if (answer.status >= 200 && answer.status < 300) return {Result::kSuccess, answer.body};
    if (answer.status >= 300 && answer.status < 400) {
      return {Result::kWarning,
              absl::StrCat("Probe terminated redirects, Response body: ", answer.body)};
    }
    return {Result::kFailure, absl::StrCat("HTTP probe failed with statuscode: ", answer.status)};
  }
}

}  // namespace cubelet::probe
