#include "token/token_getter.h"

namespace cubelet::token {

bool RequiresRefresh(absl::Time now, absl::Time expiry, int64_t expiration_seconds,
                     absl::Duration jitter) {
  const absl::Time issued = expiry - absl::Seconds(expiration_seconds);
  if (now > issued + absl::Hours(24) - jitter) return true;
  return now > expiry - absl::Seconds(expiration_seconds * 20 / 100) - jitter;
}

}  // namespace cubelet::token
