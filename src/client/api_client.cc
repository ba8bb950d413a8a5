#include "client/api_client.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cubelet::client {
namespace {

// Where an HTTP error keeps what the API server said (absl::Status payloads).
constexpr char kHttpCodeUrl[] = "cubelet.dev/http-code";
constexpr char kReasonUrl[] = "cubelet.dev/reason";

// Longest piece of a non-Status body quoted in an error message.
constexpr size_t kMaxQuotedBody = 200;

// Debian's Abseil has its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::StatusCode CodeFor(int http_code, std::string_view reason) {
  switch (http_code) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 408:
      return absl::StatusCode::kDeadlineExceeded;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kFailedPrecondition;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      break;
  }
  if (http_code >= 500 && http_code <= 599) return absl::StatusCode::kUnavailable;
  if (http_code >= 400 && http_code <= 499) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnknown;
}

// The reason client-go gives a response that carried no Status
// (NewGenericServerResponse).
std::string_view GenericReason(int http_code) {
  switch (http_code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return http_code >= 500 ? "InternalError" : "";
  }
}

// `body` cut to at most kMaxQuotedBody bytes, not inside a UTF-8 sequence.
std::string_view Shorten(std::string_view body) {
  if (body.size() <= kMaxQuotedBody) return body;
  size_t n = kMaxQuotedBody;
  while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
  return body.substr(0, n);
}

}  // namespace

std::string_view VerbName(Verb verb) {
  switch (verb) {
    case Verb::kGet:
      return "GET";
    case Verb::kPost:
      return "POST";
    case Verb::kPut:
      return "PUT";
    case Verb::kPatch:
      return "PATCH";
    case Verb::kDelete:
      return "DELETE";
  }
  return "GET";
}

int HttpCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kHttpCodeUrl);
  int code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) return 0;
  return code;
}

std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonUrl);
  return payload.has_value() ? std::string(*payload) : std::string();
}

bool IsNotFound(const absl::Status& status) {
  return HttpCodeOf(status) == 404 || ReasonOf(status) == "NotFound";
}

bool IsAlreadyExists(const absl::Status& status) { return ReasonOf(status) == "AlreadyExists"; }

bool IsConflict(const absl::Status& status) {
  return HttpCodeOf(status) == 409 && ReasonOf(status) != "AlreadyExists";
}

bool IsGone(const absl::Status& status) {
  const std::string reason = ReasonOf(status);
  return HttpCodeOf(status) == 410 || reason == "Expired" || reason == "Gone";
}

absl::Status ApiError(int code, std::string_view reason, std::string_view message) {
  if (reason.empty()) reason = GenericReason(code);
  std::string text(message);
  if (text.empty()) {
    text = absl::StrCat("the server responded with HTTP ", code);
    if (!reason.empty()) absl::StrAppend(&text, " (", Sv(reason), ")");
  }
  absl::Status status(CodeFor(code, reason), text);
  status.SetPayload(kHttpCodeUrl, absl::Cord(absl::StrCat(code)));
  if (!reason.empty()) status.SetPayload(kReasonUrl, absl::Cord(Sv(reason)));
  return status;
}

absl::Status StatusFromHttp(int code, std::string_view body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto kind = parsed.find("kind");
    if (kind != parsed.end() && kind->is_string() && *kind == "Status") {
      std::string reason, message;
      if (auto it = parsed.find("reason"); it != parsed.end() && it->is_string()) {
        reason = it->get<std::string>();
      }
      if (auto it = parsed.find("message"); it != parsed.end() && it->is_string()) {
        message = it->get<std::string>();
      }
      return ApiError(code, reason, message);
    }
  }
  return ApiError(code, "", Shorten(body));
}

}  // namespace cubelet::client
