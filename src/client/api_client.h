// ApiClient: how cubelet talks to a Kubernetes API server (the part of
// client-go's rest.Interface the node agent needs): one JSON request, or a
// watch stream of JSON events. The transport (HTTP, TLS, credentials, the
// client-side rate limit) lives in the implementation (curl_api_client.h);
// callers see only paths, JSON and absl::Status.
//
// Errors: a transport failure (connection refused, TLS, timeout) is
// Unavailable. An HTTP error maps the API server's Status to a canonical code
// (400/422 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404
// NotFound, 409 AlreadyExists or Aborted for a conflict, 410 FailedPrecondition
// "Expired", 429 ResourceExhausted, 5xx Unavailable) with the HTTP code and
// the Status reason attached (HttpCodeOf, ReasonOf), and the Status message.
//
// Thread-safety: implementations are safe to call from any thread, several
// calls at a time.
#ifndef CUBELET_CLIENT_API_CLIENT_H_
#define CUBELET_CLIENT_API_CLIENT_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"

namespace cubelet::client {

enum class Verb { kGet, kPost, kPut, kPatch, kDelete };
std::string_view VerbName(Verb verb);

// How a PATCH body is to be read (the Content-Type).
enum class PatchType { kStrategicMerge, kMerge, kJson };

struct Request {
  Verb verb = Verb::kGet;
  // Path and query, already escaped: "/api/v1/namespaces/default/pods/x".
  std::string path;
  // The body (POST, PUT, PATCH, DELETE options); null sends none.
  nlohmann::json body;
  PatchType patch_type = PatchType::kStrategicMerge;
  // Whole-request deadline; zero uses the client's default.
  absl::Duration timeout = absl::ZeroDuration();
};

// One watch event: type is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
struct WatchEvent {
  std::string type;
  nlohmann::json object;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // Sends `request` and returns the decoded response body (null for an empty
  // one).
  virtual absl::StatusOr<nlohmann::json> Call(const Request& request) = 0;

  // Opens a watch (`request.path` must carry watch=true) and calls `on_event`
  // for each event until the server ends the stream (OkStatus), `cancel` is
  // cancelled (Cancelled), or an error occurs. An ERROR event is passed on
  // like the others.
  virtual absl::Status Watch(const Request& request,
                             const std::function<void(const WatchEvent&)>& on_event,
                             const CancelTokenPtr& cancel) = 0;
};

// The HTTP code an error carries (0 when none: transport failures, success).
int HttpCodeOf(const absl::Status& status);
// The API server's Status reason ("NotFound", "AlreadyExists", "Conflict",
// "Expired", "Gone", ...), empty when none.
std::string ReasonOf(const absl::Status& status);

bool IsNotFound(const absl::Status& status);
bool IsAlreadyExists(const absl::Status& status);
bool IsConflict(const absl::Status& status);  // 409 other than AlreadyExists
bool IsGone(const absl::Status& status);      // 410: the resourceVersion is too old

// Builds the error for an HTTP `code` with the API server's response `body`
// (a metav1.Status when it parses; else its text, shortened).
absl::Status StatusFromHttp(int code, std::string_view body);

// The error StatusFromHttp builds for a Status with `reason` and `message`
// (either may be empty: the reason then is client-go's generic one for the
// code, "NotFound" for 404, and the message names the code). For fakes and
// tests: ApiError(404, "NotFound", "pods \"x\" not found").
absl::Status ApiError(int code, std::string_view reason, std::string_view message);

}  // namespace cubelet::client

#endif  // CUBELET_CLIENT_API_CLIENT_H_
