// Jitter and random numbers for requeue delays (the kubelet's wait.Jitter).
// Thread-safety: safe from any thread (a thread-local generator per thread).
#ifndef CUBELET_UTIL_RANDOM_H_
#define CUBELET_UTIL_RANDOM_H_

#include "absl/time/time.h"

namespace cubelet {

// A duration in [d, d * (1 + max_factor)); max_factor <= 0 means 1.
absl::Duration Jitter(absl::Duration d, double max_factor);

// A uniformly random double in [0, 1).
double RandomUnit();

}  // namespace cubelet

#endif  // CUBELET_UTIL_RANDOM_H_
