#include "cli/client.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "api/json.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace cubelet::cli {
namespace {

using json = nlohmann::json;

constexpr int kConnectTimeoutSeconds = 5;
constexpr int kReadTimeoutSeconds = 30;
// httplib turns the read timeout into poll()'s int milliseconds; a followed
// log may stay quiet for days.
constexpr int kFollowReadTimeoutSeconds = 2'000'000;
// Error bodies are messages; more than this is not worth printing.
constexpr size_t kMaxErrorBody = 64 * 1024;

// Percent-encodes one path segment (everything but RFC 3986 unreserved).
std::string EscapeSegment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

absl::Status TransportError(const std::string& server, httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to the cubelet at ", server,
          error == httplib::Error::ConnectionTimeout ? " (connection timed out)" : "",
          ": is the daemon running? (--server or CUBELET_SERVER selects another address)"));
    case httplib::Error::Read:
      return absl::UnavailableError(
          absl::StrCat("reading the response from ", server, " failed (connection lost)"));
    default:
      return absl::UnavailableError(
          absl::StrCat("request to ", server, " failed: ", httplib::to_string(error)));
  }
}

constexpr char kHttpStatusPayload[] = "cubelet.dev/http-status";

absl::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      return status >= 500 ? absl::StatusCode::kInternal : absl::StatusCode::kUnknown;
  }
}

absl::Status HttpError(int status, const std::string& body) {
  std::string message(absl::StripAsciiWhitespace(body));
  if (message.empty()) message = absl::StrCat("the server returned HTTP ", status);
  absl::Status error(CodeForHttpStatus(status), message);
  error.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(status)));
  return error;
}

httplib::Client MakeClient(const ServerUrl& url, int read_timeout_seconds) {
  httplib::Client client(url.scheme_host_port);
  client.set_connection_timeout(kConnectTimeoutSeconds);
  client.set_read_timeout(read_timeout_seconds);
  return client;
}

}  // namespace

std::optional<int> HttpStatusOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kHttpStatusPayload);
  int code = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &code)) return std::nullopt;
  return code;
}

absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view url) {
  absl::string_view rest = absl::StripAsciiWhitespace(absl::string_view(url.data(), url.size()));
  auto invalid = [url](const char* why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid server URL \"", std::string(url), "\": ", why));
  };
  std::string scheme = "http";
  if (size_t sep = rest.find("://"); sep != absl::string_view::npos) {
    scheme = absl::AsciiStrToLower(rest.substr(0, sep));
    rest.remove_prefix(sep + 3);
  }
  if (scheme != "http" && scheme != "https") return invalid("the scheme must be http or https");
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return invalid("no query or fragment allowed");
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return invalid("no host");
  ServerUrl out;
  out.scheme_host_port = absl::StrCat(scheme, "://", authority);
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    out.path_prefix = std::string(prefix);
  }
  if (!httplib::Client(out.scheme_host_port).is_valid()) return invalid("not a valid address");
  return out;
}

absl::StatusOr<ApiClient> ApiClient::Create(std::string_view server) {
  absl::StatusOr<ServerUrl> url = ParseServerUrl(server);
  if (!url.ok()) return url.status();
  return ApiClient(std::string(server), *std::move(url));
}

std::string ApiClient::LogsPath(std::string_view ns, std::string_view pod,
                                std::string_view container, const LogOptions& options) {
  std::string path = absl::StrCat("/containerLogs/", EscapeSegment(ns), "/", EscapeSegment(pod),
                                  "/", EscapeSegment(container));
  std::vector<std::string> query;
  if (options.tail_lines) query.push_back(absl::StrCat("tailLines=", *options.tail_lines));
  if (options.follow) query.push_back("follow=true");
  if (options.previous) query.push_back("previous=true");
  if (options.timestamps) query.push_back("timestamps=true");
  for (size_t i = 0; i < query.size(); ++i) absl::StrAppend(&path, i == 0 ? "?" : "&", query[i]);
  return path;
}

absl::StatusOr<std::vector<api::Pod>> ApiClient::ListPods() const {
  httplib::Client client = MakeClient(url_, kReadTimeoutSeconds);
  httplib::Result res = client.Get(url_.path_prefix + "/pods");
  if (!res) return TransportError(server_, res.error());
  if (res->status != 200) return HttpError(res->status, res->body);

  json list = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded() || !list.is_object()) {
    return absl::InternalError(absl::StrCat("GET ", server_, "/pods: the reply is not a PodList"));
  }
  std::vector<api::Pod> pods;
  auto items = list.find("items");
  if (items == list.end() || items->is_null()) return pods;
  if (!items->is_array()) {
    return absl::InternalError(absl::StrCat("GET ", server_, "/pods: items is not a list"));
  }
  for (size_t i = 0; i < items->size(); ++i) {
    absl::StatusOr<api::Pod> pod = api::PodFromJson((*items)[i]);
    if (!pod.ok()) {
      return absl::InternalError(
          absl::StrCat("GET ", server_, "/pods: items[", i, "]: ", pod.status().message()));
    }
    pods.push_back(*std::move(pod));
  }
  return pods;
}

absl::Status ApiClient::StreamLogs(std::string_view ns, std::string_view pod,
                                   std::string_view container, const LogOptions& options,
                                   const std::function<bool(std::string_view)>& sink) const {
  httplib::Client client =
      MakeClient(url_, options.follow ? kFollowReadTimeoutSeconds : kReadTimeoutSeconds);
  int status = 0;
  bool sink_stopped = false;
  std::string error_body;
  httplib::Result res = client.Get(
      url_.path_prefix + LogsPath(ns, pod, container, options),
      [&status](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {
          // An error message, not log lines: collect it for the status.
          if (error_body.size() < kMaxErrorBody) error_body.append(data, size);
          return true;
        }
        if (!sink(std::string_view(data, size))) {
          sink_stopped = true;
          return false;
        }
        return true;
      });
  if (!res) {
    if (sink_stopped) return absl::OkStatus();
    if (status != 0 && status != 200) return HttpError(status, error_body);
    return TransportError(server_, res.error());
  }
  if (res->status != 200) return HttpError(res->status, error_body);
  return absl::OkStatus();
}

}  // namespace cubelet::cli
