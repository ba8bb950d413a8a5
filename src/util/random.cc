#include "util/random.h"

#include <random>

namespace cubelet {

double RandomUnit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

absl::Duration Jitter(absl::Duration d, double max_factor) {
  if (max_factor <= 0.0) max_factor = 1.0;
  return d + d * (RandomUnit() * max_factor);
}

}  // namespace cubelet
