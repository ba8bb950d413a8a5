// FormatGoDuration: a duration as Go's time.Duration.String() writes it
// ("0s", "1.5ms", "2.5\u00b5s", "3m0s", "1h2m3.5s"), so the agent's messages
// read as the kubelet's.
// Thread-safety: a pure function.
#ifndef CUBELET_UTIL_GO_DURATION_H_
#define CUBELET_UTIL_GO_DURATION_H_

#include <string>

#include "absl/time/time.h"

namespace cubelet {

std::string FormatGoDuration(absl::Duration d);

}  // namespace cubelet

#endif  // CUBELET_UTIL_GO_DURATION_H_
