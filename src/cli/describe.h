// `cubelet describe pod`: the text `kubectl describe pod` prints (kubectl's
// describePod), for the fields the Pod model has. There are no events, so the
// output ends with "Events: <none>".
//
// Pure function of its arguments (the current time and the zone timestamps are
// shown in are passed in). Safe from any thread.
#ifndef CUBELET_CLI_DESCRIBE_H_
#define CUBELET_CLI_DESCRIBE_H_

#include <string>

#include "absl/time/time.h"
#include "api/pod.h"

namespace cubelet::cli {

std::string DescribePod(const api::Pod& pod, absl::Time now, absl::TimeZone zone);

}  // namespace cubelet::cli

#endif  // CUBELET_CLI_DESCRIBE_H_
