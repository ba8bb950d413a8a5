// FakeApiClient: a scriptable, in-memory ApiClient for unit tests of the
// modules that talk to the API server. Test-only.
//
// Calls: every request is recorded (Requests()). A test registers responders
// per verb and path prefix; the newest matching one answers, so a test can
// override an earlier answer. A request nothing answers fails with
// Unimplemented naming it. Build API errors with ApiError(404, "NotFound",
// ...) so IsNotFound() and friends see them as the real client's.
//
// Watches: Watch() records the request, asks the matching OnWatch responder
// (none: the watch opens), then blocks on the caller's thread, delivering the
// events a test pushes (PushEvent) in order, until the test closes it
// (CloseWatches: queued events are delivered first, then Watch returns the
// given status) or the cancel token fires (Cancelled). AwaitWatch waits for a
// watch to be open; AwaitDelivered waits until pushed events have been
// handed to on_event and it has returned.
//
//   FakeApiClient api;
//   api.OnReturn(Verb::kGet, "/api/v1/pods?", json{{"metadata", {{"resourceVersion", "5"}}},
//                                                  {"items", json::array()}});
//   ... start the code under test ...
//   ASSERT_TRUE(api.AwaitWatch("/api/v1/pods?").has_value());
//   api.PushEvent({"ADDED", pod});
//   ASSERT_TRUE(api.AwaitDelivered());
//   api.CloseWatches(ApiError(410, "Expired", "too old resource version"));
//
// Waiting uses real time (bounded by the timeouts, default 5 s): the fake
// has no clock. Ownership: the fake must outlive every Call and Watch made
// on it (close or cancel watches before destroying it).
// Thread-safety: every method may be called from any thread; responders and
// on_event run on the caller's thread, without the fake's lock held.
#ifndef CUBELET_CLIENT_TESTING_FAKE_API_CLIENT_H_
#define CUBELET_CLIENT_TESTING_FAKE_API_CLIENT_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"

namespace cubelet::client::testing {

class FakeApiClient final : public ApiClient {
 public:
  using Responder = std::function<absl::StatusOr<nlohmann::json>(const Request&)>;
  using WatchResponder = std::function<absl::Status(const Request&)>;

  FakeApiClient();
  ~FakeApiClient() override;

  FakeApiClient(const FakeApiClient&) = delete;
  FakeApiClient& operator=(const FakeApiClient&) = delete;

  // --- Calls ---

  // Calls with `verb` whose path starts with `path_prefix` are answered by
  // `responder` (the newest matching registration wins).
  void On(Verb verb, std::string path_prefix, Responder responder);
  // The same, always answering `response`.
  void OnReturn(Verb verb, std::string path_prefix, absl::StatusOr<nlohmann::json> response);

  // Every Call and Watch request so far, in order.
  std::vector<Request> Requests() const;
  // Those with `verb` and a path starting with `path_prefix`.
  std::vector<Request> RequestsTo(Verb verb, std::string_view path_prefix) const;
  void ClearRequests();
  // Waits up to `timeout` (real time) until at least `n` requests have been
  // recorded since the start (or the last ClearRequests).
  bool AwaitRequests(size_t n, absl::Duration timeout = absl::Seconds(5));

  // --- Watches ---

  // A Watch whose path starts with `path_prefix` first asks `responder`: a
  // non-OK status is returned at once instead of opening the watch.
  void OnWatch(std::string path_prefix, WatchResponder responder);

  // Waits up to `timeout` (real time) for an open watch whose path starts
  // with `path_prefix`; its request, or nullopt.
  std::optional<Request> AwaitWatch(std::string_view path_prefix = "",
                                    absl::Duration timeout = absl::Seconds(5));

  // Queues `event` on every open watch whose path starts with `path_prefix`;
  // how many watches got it.
  size_t PushEvent(WatchEvent event, std::string_view path_prefix = "");

  // Ends every open watch whose path starts with `path_prefix` once its
  // queued events are delivered; its Watch returns `status`. How many.
  size_t CloseWatches(absl::Status status = absl::OkStatus(), std::string_view path_prefix = "");

  // Waits up to `timeout` (real time) until every pushed event has been
  // delivered and on_event has returned.
  bool AwaitDelivered(absl::Duration timeout = absl::Seconds(5));

  // Watches open now (not closed, not cancelled), and opened in all.
  size_t OpenWatches(std::string_view path_prefix = "") const;
  size_t WatchesStarted() const;

  // ApiClient
  absl::StatusOr<nlohmann::json> Call(const Request& request) override;
  absl::Status Watch(const Request& request, const std::function<void(const WatchEvent&)>& on_event,
                     const CancelTokenPtr& cancel) override;

 private:
  struct Route {
    Verb verb;
    std::string prefix;
    Responder responder;
  };
  struct WatchRoute {
    std::string prefix;
    WatchResponder responder;
  };
  struct OpenWatch {
    Request request;
    std::deque<WatchEvent> queue;
    bool delivering = false;
    bool closed = false;  // by CloseWatches: return `status` once drained
    absl::Status status;
  };
  // Shared with cancel-token callbacks, which may outlive the fake.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
  };

  const std::shared_ptr<Shared> shared_;
  // Everything below is guarded by shared_->mu.
  std::vector<Request> requests_;
  std::vector<Route> routes_;
  std::vector<WatchRoute> watch_routes_;
  std::list<std::shared_ptr<OpenWatch>> watches_;
  size_t watches_started_ = 0;
};

}  // namespace cubelet::client::testing

#endif  // CUBELET_CLIENT_TESTING_FAKE_API_CLIENT_H_
