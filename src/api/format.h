// FormatPod: how log lines and messages name a pod, as the kubelet's
// format.Pod does: "<name>_<namespace>(<uid>)".
// Thread-safety: a pure function.
#ifndef CUBELET_API_FORMAT_H_
#define CUBELET_API_FORMAT_H_

#include <string>

#include "api/pod.h"

namespace cubelet::api {

std::string FormatPod(const Pod& pod);

}  // namespace cubelet::api

#endif  // CUBELET_API_FORMAT_H_
