// Checks on the magnitude of values that are well-formed but absurd: a grace
// period near int64 max seconds, a memory limit of 10^23 Ei. The API server's
// validation lets some through, but cubelet would only fail later, at run
// time (a duration or a byte count that does not fit 64 bits); they are
// refused with the other validation errors instead.
//
// Kept apart from api/validation.h (the upstream rules); stateless, any thread.
#ifndef CUBELET_API_MAGNITUDE_H_
#define CUBELET_API_MAGNITUDE_H_

#include <cstdint>
#include <vector>

#include "api/pod.h"
#include "api/validation.h"

namespace cubelet::api {

// The longest duration in seconds a Go time.Duration (int64 nanoseconds) can
// hold, the bound for every *Seconds field used as a duration.
inline constexpr int64_t kMaxDurationSeconds = INT64_MAX / 1'000'000'000;

// Grace periods and sleeps over kMaxDurationSeconds; resource quantities (and
// emptyDir size limits) whose value does not fit int64 (in millis for cpu).
// Quantities with bad syntax are left to ValidatePod.
std::vector<FieldError> ValidateMagnitudes(const Pod& pod);

}  // namespace cubelet::api

#endif  // CUBELET_API_MAGNITUDE_H_
