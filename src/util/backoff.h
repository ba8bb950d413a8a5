// Backoff: per-key exponential back-off (client-go's flowcontrol.Backoff),
// used for crash-looping containers and failing image pulls.
//
// Each key has a current delay and the time it was last moved. Next() starts
// a key at `initial` and doubles it up to `max`; a key whose last move is more
// than 2·max before the event being judged counts as expired, so a container
// that stayed up that long starts over at `initial`. No jitter: the kubelet
// creates its container back-off without it, and tests need exact delays.
//
// Ownership: `clock` is not owned and must outlive the Backoff.
// Thread-safety: every method may be called from any thread (one std::mutex).
#ifndef CUBELET_UTIL_BACKOFF_H_
#define CUBELET_UTIL_BACKOFF_H_

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "util/clock.h"

namespace cubelet {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, Clock* clock);

  Backoff(const Backoff&) = delete;
  Backoff& operator=(const Backoff&) = delete;

  // Moves `key` to its next delay: `initial` when absent or expired relative
  // to `event_time`, else min(2·current, max). Records now as the last update.
  void Next(const std::string& key, absl::Time event_time);

  // True while now − event_time < current delay, for a present, unexpired key.
  // The kubelet passes the container's FinishedAt as `event_time`.
  bool IsInBackOffSince(const std::string& key, absl::Time event_time) const;

  // True while event_time − last update < current delay, for a present,
  // unexpired key (the image puller's check, with event_time = now).
  bool IsInBackOffSinceUpdate(const std::string& key, absl::Time event_time) const;

  // The current delay of `key`; zero when absent.
  absl::Duration Get(const std::string& key) const;

  // When the back-off of `key` started by its last Next() ends (last update
  // + current delay), the moment IsInBackOffSinceUpdate turns false; nullopt
  // when absent.
  std::optional<absl::Time> UpdateExpiration(const std::string& key) const;

  // Forgets `key`.
  void Reset(const std::string& key);

  // Drops keys not updated for more than 2·max (housekeeping calls this).
  void GC();

  size_t Size() const;

  absl::Duration initial() const { return initial_; }
  absl::Duration max() const { return max_; }

 private:
  struct Entry {
    absl::Duration backoff;
    absl::Time last_update;
  };

  bool HasExpired(absl::Time event_time, absl::Time last_update) const {
    return event_time - last_update > 2 * max_;
  }

  const absl::Duration initial_;
  const absl::Duration max_;
  Clock* const clock_;

  mutable std::mutex mu_;
  // std::unordered_map keeps cubelet_util free of absl container deps.
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace cubelet

#endif  // CUBELET_UTIL_BACKOFF_H_
