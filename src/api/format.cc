#include "api/format.h"

#include "absl/strings/str_cat.h"

namespace cubelet::api {

std::string FormatPod(const Pod& pod) {
  return absl::StrCat(pod.metadata.name, "_", pod.metadata.namespace_, "(", pod.metadata.uid, ")");
}

}  // namespace cubelet::api
