// CurlApiClient: the ApiClient that talks HTTP(S) to a real API server, on
// libcurl.
//
// Built from a RestConfig: TLS material is handed to libcurl from memory (CA
// bundle, client certificate and key, PEM); without a CA the system store is
// used; insecure_skip_tls_verify turns verification off. Every request sends
// `Accept: application/json`, the User-Agent, `Authorization: Bearer` when a
// token is set, and a Content-Type for a body (application/json, or the patch
// type's). Every Call and every Watch start first takes a token from the
// client's RateLimiter (qps/burst of the config).
//
// Transfers run on a small pool of (easy, multi) handle pairs: each call takes
// one, so a connection (and its TLS session) is reused by the next call that
// takes the pair; up to kMaxIdle pairs are kept. A transfer is driven with
// curl_multi_poll, and a Watch's cancel token wakes the poll
// (curl_multi_wakeup), so cancellation is immediate. Call has the request's
// timeout (else RestConfig.timeout); a Watch has none unless the request sets
// one (the server's timeoutSeconds ends it) and uses TCP keepalive.
//
// Ownership: owns its handles; `clock` (the rate limiter's) is not owned and
// must outlive the client. Thread-safety: Call and Watch may be called from
// any thread, several at a time.
#ifndef CUBELET_CLIENT_CURL_API_CLIENT_H_
#define CUBELET_CLIENT_CURL_API_CLIENT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "client/kubeconfig.h"
#include "client/rate_limiter.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::client {

class CurlApiClient final : public ApiClient {
 public:
  // Idle handle pairs kept for reuse.
  static constexpr size_t kMaxIdle = 8;

  // Checks the config (server is an http:// or https:// URL; a client
  // certificate comes with its key) and initializes libcurl once per process.
  static absl::StatusOr<std::unique_ptr<CurlApiClient>> Create(RestConfig config,
                                                               Clock* clock = RealClock::Get());

  ~CurlApiClient() override;

  CurlApiClient(const CurlApiClient&) = delete;
  CurlApiClient& operator=(const CurlApiClient&) = delete;

  absl::StatusOr<nlohmann::json> Call(const Request& request) override;
  absl::Status Watch(const Request& request, const std::function<void(const WatchEvent&)>& on_event,
                     const CancelTokenPtr& cancel) override;

  const RestConfig& config() const { return config_; }

 private:
  struct Handles;  // a CURL easy handle and the CURLM that drives it
  struct Transfer;

  CurlApiClient(RestConfig config, Clock* clock);

  absl::StatusOr<std::unique_ptr<Handles>> Acquire();
  void Release(std::unique_ptr<Handles> handles);

  // Sets every option of one request on `transfer`'s easy handle.
  absl::Status Prepare(Transfer& transfer, const Request& request, bool watch) const;

  // Runs the transfer to its end (or until `cancel`); the transport error, a
  // callback's error, or Cancelled.
  absl::Status Perform(Transfer& transfer, const CancelTokenPtr& cancel);

  const RestConfig config_;
  // config_.server without a trailing '/'.
  const std::string base_url_;
  RateLimiter limiter_;

  Mutex mu_;
  std::vector<std::unique_ptr<Handles>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::client

#endif  // CUBELET_CLIENT_CURL_API_CLIENT_H_
