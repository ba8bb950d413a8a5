// Reflector: keeps a handler in step with one API collection by listing it
// and then watching it from the list's resourceVersion (client-go's
// cache.Reflector, ListAndWatch).
//
// Run() loops until cancelled:
//  - LIST `list_path` (resourceVersion=0 the first time, served from the API
//    server's cache; afterwards the last synced version; none at all after
//    the server said that version is gone, as client-go's
//    relistResourceVersion) and hand the items and the list's
//    resourceVersion to Replace().
//  - WATCH from that version (watch=true, allowWatchBookmarks=true, a
//    timeoutSeconds random in [min_watch_timeout, 2·min_watch_timeout)).
//    ADDED / MODIFIED / DELETED go to Add / Update / Delete and advance the
//    version; BOOKMARK only advances it. A stream the server ends normally
//    is watched again from the last version, without a list.
//  - 410 Gone (an ERROR event or the watch call itself): list again at once,
//    from the last version seen (client-go's choice; a list that is itself
//    410 is retried without a version).
//  - Any other error, or a watch that ends within a second with no events
//    (client-go's "very short watch"): wait a back-off, then list again. The
//    back-off is client-go's reflector back-off manager: 800 ms doubling to
//    30 s, each wait jittered up to 2×, starting over once 2 min pass
//    without one.
// All waiting goes through the clock's cancellable SleepFor, so tests drive
// it with a FakeClock and Run returns promptly when cancelled.
//
// Ownership: borrows the client, the handler and the clock, which must
// outlive Run. Thread-safety: Run from one thread at a time; the handler is
// called on Run's thread, one call at a time; the other methods from any
// thread.
#ifndef CUBELET_CLIENT_REFLECTOR_H_
#define CUBELET_CLIENT_REFLECTOR_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::client {

// What a Reflector feeds (client-go's cache.Store, the part the reflector
// uses).
class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  // The whole collection, after each (re)list.
  virtual void Replace(std::vector<nlohmann::json> items, const std::string& resource_version) = 0;
  virtual void Add(const nlohmann::json& object) = 0;
  virtual void Update(const nlohmann::json& object) = 0;
  virtual void Delete(const nlohmann::json& object) = 0;
};

struct ReflectorOptions {
  // The collection, with any selector, already escaped:
  // "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode1".
  std::string list_path;
  // For logs; defaults to list_path.
  std::string name;
  Clock* clock = RealClock::Get();
  // Each watch asks the server to end it after a random time in
  // [min_watch_timeout, 2·min_watch_timeout).
  absl::Duration min_watch_timeout = absl::Minutes(5);
  // Deadline of a list request; zero uses the client's default.
  absl::Duration list_timeout = absl::ZeroDuration();
  // The back-off after errors (see the file comment); jitter 0 gives exact
  // delays for tests.
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration backoff_reset = absl::Minutes(2);
  double backoff_jitter = 1.0;
};

class Reflector {
 public:
  Reflector(ApiClient* client, ReflectorOptions options, ReflectorHandler* handler);

  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Lists and watches until `cancel` is cancelled.
  void Run(const CancelTokenPtr& cancel);

  // The resourceVersion the handler is in step with ("" before the first
  // list).
  std::string LastSyncResourceVersion() const;

  // True once a list has been handed to Replace().
  bool HasSynced() const;

  struct Health {
    bool synced = false;
    // The last successful list, watch event, or watch ended by the server;
    // InfinitePast() before any.
    absl::Time last_success = absl::InfinitePast();
    // The last list or watch error (OK after a success).
    absl::Status last_error;
  };
  Health health() const;

 private:
  enum class WatchEnd { kCancelled, kEnded, kGone, kError };
  struct WatchResult {
    WatchEnd end = WatchEnd::kEnded;
    // No events, and less than a second.
    bool short_lived = false;
  };

  // One LIST and Replace(); handles a 410 by listing again without a version.
  absl::Status List(const CancelTokenPtr& cancel);
  // One WATCH from the last version, until the stream ends.
  WatchResult WatchOnce(const CancelTokenPtr& cancel);
  // Next back-off delay (client-go's exponentialBackoffManagerImpl).
  absl::Duration NextBackoff();
  // list_path with `query` appended after '?' or '&'.
  std::string PathWith(const std::string& query) const;
  void Succeeded();
  void Failed(const absl::Status& status);

  ApiClient* const client_;
  const ReflectorOptions options_;
  ReflectorHandler* const handler_;
  Clock* const clock_;
  const std::string name_;

  // Run's thread only.
  absl::Duration backoff_;
  absl::Time last_backoff_start_ = absl::InfinitePast();
  // The last version is unknown to the server (410): list without one.
  bool version_unavailable_ = false;

  mutable Mutex mu_;
  std::string resource_version_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_success_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::client

#endif  // CUBELET_CLIENT_REFLECTOR_H_
